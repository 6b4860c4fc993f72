import { assert, EddyError } from '@eddy/base';
import { crc32c } from '@eddy/record';
import { type FileHandle, mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from './atomic-file.js';

/** One Raft log entry as stored; `kind` is the Raft core's entry kind. */
export interface WalEntry {
  readonly index: number;
  readonly term: number;
  readonly kind: WalEntryKind;
  readonly data: Uint8Array;
}

export type WalEntryKind = 'normal' | 'noop' | 'membership';

const kindCodes: Readonly<Record<WalEntryKind, number>> = { normal: 0, noop: 1, membership: 2 };
const kindsByCode: readonly WalEntryKind[] = ['normal', 'noop', 'membership'];

/** Frame: u32 length of what follows, u32 CRC32C of what follows it, u64 index, u64 term, u8 kind, data. */
const FRAME_PREFIX_BYTES = 8;
const FRAME_FIXED_BYTES = 8 + 8 + 1;
export const WAL_ENTRY_BYTES_MAX = 64 * 1024 * 1024;

export interface WalLoad {
  readonly entries: readonly WalEntry[];
  /** Bytes cut from the tail because they held a torn or corrupt frame. */
  readonly truncatedBytes: number;
}

/**
 * The durable Raft log of the metadata quorum: an append-only file of CRC-protected frames.
 * Opening it validates every frame and cuts the file at the first torn or corrupt one (a crash
 * mid-write), so a restarted node holds exactly the entries it fully wrote. Entries are durable
 * once `sync` returns; the driver syncs before it answers a leader or counts its own vote.
 */
export class RaftWal {
  /** positions[i] is the file position of entry firstIndex + i. */
  private positions: number[] = [];
  private firstIndex = 1;
  private size = 0;
  private dirty = false;

  private constructor(
    private readonly path: string,
    private file: FileHandle,
  ) {}

  static async open(directory: string): Promise<{ wal: RaftWal; load: WalLoad }> {
    await mkdir(directory, { recursive: true });
    const path = join(directory, 'raft.log');
    const file = await open(path, 'a+');
    const wal = new RaftWal(path, file);
    const load = await wal.scan();
    return { wal, load };
  }

  get lastIndex(): number {
    return this.firstIndex + this.positions.length - 1;
  }

  /** Appends entries; an entry at or below the last index first truncates the log there. */
  async append(entries: readonly WalEntry[]): Promise<void> {
    const first = entries[0];
    if (first === undefined) return;
    if (this.positions.length === 0) this.firstIndex = first.index;
    else if (first.index <= this.lastIndex) await this.truncateFrom(first.index);
    assert(first.index === this.lastIndex + 1, `WAL append at ${first.index} leaves a gap after ${this.lastIndex}`);
    const frames = entries.map((entry, i) => {
      assert(entry.index === first.index + i, 'WAL entries must be consecutive');
      return encodeFrame(entry);
    });
    for (const frame of frames) {
      this.positions.push(this.size);
      this.size += frame.byteLength;
    }
    await this.file.appendFile(Buffer.concat(frames));
    this.dirty = true;
  }

  /** Makes every appended entry durable. */
  async sync(): Promise<void> {
    if (!this.dirty) return;
    await this.file.datasync();
    this.dirty = false;
  }

  /** Drops entries from `index` on (a follower's log conflicted with the leader's). */
  async truncateFrom(index: number): Promise<void> {
    if (index > this.lastIndex) return;
    const at = Math.max(0, index - this.firstIndex);
    const position = this.positions[at] ?? 0;
    await this.file.truncate(position);
    await this.file.datasync();
    this.positions.length = at;
    this.size = position;
  }

  /**
   * Rewrites the log without the entries up to `index` (a snapshot covers them); later entries
   * are kept. The new file replaces the old one atomically.
   */
  async compact(index: number): Promise<void> {
    const keepFrom = index + 1 - this.firstIndex;
    const position = keepFrom <= 0 ? 0 : (this.positions[keepFrom] ?? this.size);
    await this.sync();
    const tail = (await readFile(this.path)).subarray(position, this.size);
    await this.file.close();
    await writeFileAtomically(this.path, tail);
    this.file = await open(this.path, 'a+');
    const kept = this.positions.slice(Math.max(0, keepFrom)).map((p) => p - position);
    this.firstIndex = keepFrom <= 0 ? this.firstIndex : index + 1;
    this.positions = kept;
    this.size = tail.byteLength;
  }

  /** Drops every entry (a snapshot from the leader replaces the whole log). */
  async clear(nextIndex: number): Promise<void> {
    await this.file.truncate(0);
    await this.file.datasync();
    this.positions = [];
    this.size = 0;
    this.firstIndex = nextIndex;
  }

  async close(): Promise<void> {
    await this.sync();
    await this.file.close();
  }

  private async scan(): Promise<WalLoad> {
    const bytes = await readFile(this.path);
    const entries: WalEntry[] = [];
    let position = 0;
    while (position < bytes.byteLength) {
      const entry = decodeFrame(bytes, position);
      const previous = entries.at(-1);
      if (entry === undefined || (previous !== undefined && entry.index !== previous.index + 1)) break;
      entries.push(entry);
      this.positions.push(position);
      position += FRAME_PREFIX_BYTES + FRAME_FIXED_BYTES + entry.data.byteLength;
    }
    const truncatedBytes = bytes.byteLength - position;
    if (truncatedBytes > 0) {
      await this.file.truncate(position);
      await this.file.datasync();
    }
    this.size = position;
    this.firstIndex = entries[0]?.index ?? 1;
    return { entries, truncatedBytes };
  }
}

function encodeFrame(entry: WalEntry): Buffer {
  if (entry.data.byteLength > WAL_ENTRY_BYTES_MAX) {
    throw new EddyError('MESSAGE_TOO_LARGE', `a Raft entry of ${entry.data.byteLength} bytes exceeds ${WAL_ENTRY_BYTES_MAX}`);
  }
  const frame = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + FRAME_FIXED_BYTES + entry.data.byteLength);
  frame.writeUInt32BE(FRAME_FIXED_BYTES + entry.data.byteLength, 0);
  frame.writeBigUInt64BE(BigInt(entry.index), 8);
  frame.writeBigUInt64BE(BigInt(entry.term), 16);
  frame.writeUInt8(kindCodes[entry.kind], 24);
  frame.set(entry.data, 25);
  frame.writeUInt32BE(crc32c(frame.subarray(8)), 4);
  return frame;
}

/** The frame at `position`, or undefined when it is torn or corrupt. */
function decodeFrame(bytes: Buffer, position: number): WalEntry | undefined {
  if (position + FRAME_PREFIX_BYTES + FRAME_FIXED_BYTES > bytes.byteLength) return undefined;
  const length = bytes.readUInt32BE(position);
  const end = position + FRAME_PREFIX_BYTES + length;
  if (length < FRAME_FIXED_BYTES || length > FRAME_FIXED_BYTES + WAL_ENTRY_BYTES_MAX || end > bytes.byteLength) return undefined;
  const body = bytes.subarray(position + FRAME_PREFIX_BYTES, end);
  if (crc32c(body) !== bytes.readUInt32BE(position + 4)) return undefined;
  const kind = kindsByCode[body.readUInt8(16)];
  if (kind === undefined) return undefined;
  return {
    index: Number(body.readBigUInt64BE(0)),
    term: Number(body.readBigUInt64BE(8)),
    kind,
    data: Buffer.from(body.subarray(FRAME_FIXED_BYTES)),
  };
}
