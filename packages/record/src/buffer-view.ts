type BufferViewConstructor = new (arrayBuffer: ArrayBufferLike, byteOffset: number, length: number) => Buffer;

/**
 * Node's own Buffer class (`FastBuffer`), reached through `Buffer[Symbol.species]`. Constructing
 * it directly makes the same Buffer as `subarray` does, about three times faster, because
 * `subarray` looks the species up on every call. Falls back to `subarray` if a runtime ever
 * stops exposing it.
 */
const species = (Buffer as unknown as { readonly [Symbol.species]?: unknown })[Symbol.species];
const FastBuffer: BufferViewConstructor | undefined =
  typeof species === 'function' && Buffer.isBuffer(new (species as BufferViewConstructor)(new ArrayBuffer(1), 0, 1))
    ? (species as BufferViewConstructor)
    : undefined;

/**
 * A Buffer over `length` bytes of `arrayBuffer` from `byteOffset`, sharing its memory (no copy);
 * the caller checks bounds.
 */
export function bufferOver(arrayBuffer: ArrayBufferLike, byteOffset: number, length: number): Buffer {
  if (FastBuffer === undefined) return Buffer.from(arrayBuffer, byteOffset, length);
  return new FastBuffer(arrayBuffer, byteOffset, length);
}

/** `buf[start, end)` as a Buffer sharing `buf`'s memory (no copy); the caller checks bounds. */
export function bufferView(buf: Buffer, start: number, end: number): Buffer {
  if (FastBuffer === undefined) return buf.subarray(start, end);
  return new FastBuffer(buf.buffer, buf.byteOffset + start, end - start);
}
