import { EddyError } from '@eddy/base';
import { crc32c } from '@eddy/record';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from './atomic-file.js';

/** Term and vote: what a Raft node must never forget once it has acted on it. */
export interface StoredHardState {
  readonly term: number;
  readonly vote: number;
  readonly commit: number;
}

export interface StoredSnapshot {
  readonly index: number;
  readonly term: number;
  readonly voters: readonly number[];
  readonly observers: readonly number[];
  readonly data: Uint8Array;
}

/**
 * The small files beside the Raft WAL: `quorum-state` (hard state) and `snapshot`. Both are
 * replaced atomically and carry a CRC32C, and a damaged one stops the node with a clear error
 * instead of being reset: forgetting a vote could elect two leaders in one term.
 */
export class QuorumFiles {
  constructor(private readonly directory: string) {}

  async loadHardState(): Promise<StoredHardState | undefined> {
    const body = await this.readChecked('quorum-state');
    if (body === undefined) return undefined;
    const parsed = JSON.parse(body.toString('utf8')) as Partial<StoredHardState>;
    const { term, vote, commit } = parsed;
    if (!Number.isSafeInteger(term) || !Number.isSafeInteger(vote) || !Number.isSafeInteger(commit)) {
      throw this.corrupt('quorum-state', 'fields are missing');
    }
    return { term: term as number, vote: vote as number, commit: commit as number };
  }

  async saveHardState(state: StoredHardState): Promise<void> {
    await this.writeChecked('quorum-state', Buffer.from(JSON.stringify(state), 'utf8'));
  }

  async loadSnapshot(): Promise<StoredSnapshot | undefined> {
    const body = await this.readChecked('snapshot');
    if (body === undefined) return undefined;
    const metaBytes = body.readUInt32BE(0);
    const meta = JSON.parse(body.subarray(4, 4 + metaBytes).toString('utf8')) as Omit<StoredSnapshot, 'data'>;
    return { ...meta, data: body.subarray(4 + metaBytes) };
  }

  async saveSnapshot(snapshot: StoredSnapshot): Promise<void> {
    const { data, ...meta } = snapshot;
    const metaBytes = Buffer.from(JSON.stringify(meta), 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(metaBytes.byteLength);
    await this.writeChecked('snapshot', Buffer.concat([length, metaBytes, data]));
  }

  private async readChecked(name: string): Promise<Buffer | undefined> {
    const bytes = await readFile(join(this.directory, name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (bytes === undefined) return undefined;
    if (bytes.byteLength < 4 || crc32c(bytes.subarray(4)) !== bytes.readUInt32BE(0)) throw this.corrupt(name, 'checksum mismatch');
    return bytes.subarray(4);
  }

  private async writeChecked(name: string, body: Buffer): Promise<void> {
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32c(body));
    await writeFileAtomically(join(this.directory, name), Buffer.concat([crc, body]));
  }

  private corrupt(name: string, reason: string): EddyError {
    return new EddyError('CORRUPT_RECORD', `${join(this.directory, name)} is damaged (${reason}); restore it or remove the node's metadata directory to rejoin from the quorum`);
  }
}
