import type { FileHandle } from 'node:fs/promises';

/**
 * Positioned reads and writes that finish the job: the OS may move fewer bytes than asked.
 * A read stops early only at the end of the file and says how many bytes it got.
 */
export async function readAt(handle: FileHandle, target: Buffer, position: number, length = target.length): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(target, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

export async function writeAt(handle: FileHandle, source: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < source.length) {
    const { bytesWritten } = await handle.write(source, done, source.length - done, position + done);
    done += bytesWritten;
  }
}
