import { assert, EddyError } from '@eddy/base';
import {
  decodeMetadataRecord,
  encodeMetadataRecord,
  parseJson,
  validateMetadataRecord,
  imageFromRecords,
  imageToRecords,
  MetadataDelta,
  MetadataImage,
  type MetadataRecord,
} from '@eddy/metadata';

/** A committed metadata-log entry as the loader sees it; `records` is empty for Raft's own entries. */
export interface CommittedMetadata {
  readonly offset: number;
  readonly records: readonly MetadataRecord[];
}

export type MetadataListener = (image: MetadataImage, delta: MetadataDelta | undefined) => void;

/**
 * Replays the committed metadata log into images and tells listeners (replica manager, group
 * coordinator, controller) about each new image together with the delta that produced it.
 * A batch of entries becomes one delta and one image, so listeners react once per batch.
 */
export class MetadataLoader {
  private current = MetadataImage.empty;
  private readonly listeners: MetadataListener[] = [];

  get image(): MetadataImage {
    return this.current;
  }

  subscribe(listener: MetadataListener): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  /** Applies committed entries in order (entries at or below the current offset are skipped). */
  applyCommitted(entries: readonly CommittedMetadata[]): void {
    const fresh = entries.filter((entry) => entry.offset > this.current.offset);
    if (fresh.length === 0) return;
    const delta = new MetadataDelta(this.current);
    let lastOffset = this.current.offset;
    for (const entry of fresh) {
      assert(entry.offset > lastOffset, `metadata offsets must grow: ${entry.offset} after ${lastOffset}`);
      for (const record of entry.records) delta.replay(record);
      lastOffset = entry.offset;
    }
    this.publish(delta.apply(lastOffset), delta);
  }

  /** Replaces the image with a snapshot's (on restart or when the leader sends one). */
  loadSnapshot(data: Uint8Array, offset: number): void {
    this.publish(imageFromRecords(decodeMetadataSnapshot(data), offset), undefined);
  }

  private publish(image: MetadataImage, delta: MetadataDelta | undefined): void {
    this.current = image;
    for (const listener of [...this.listeners]) listener(image, delta);
  }
}

/** A metadata snapshot: the image as records, one JSON record per line. */
export function encodeMetadataSnapshot(image: MetadataImage): Buffer {
  return Buffer.concat(imageToRecords(image).flatMap((record) => [encodeMetadataRecord(record), Buffer.from('\n')]));
}

export function decodeMetadataSnapshot(data: Uint8Array): MetadataRecord[] {
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => decodeMetadataRecord(Buffer.from(line, 'utf8')));
}

/** Metadata records of one Raft entry: a batch proposed together, encoded as a JSON array. */
export function encodeMetadataEntry(records: readonly MetadataRecord[]): Buffer {
  return Buffer.concat([Buffer.from('['), ...records.flatMap((record, i) => (i === 0 ? [encodeMetadataRecord(record)] : [Buffer.from(','), encodeMetadataRecord(record)])), Buffer.from(']')]);
}

export function decodeMetadataEntry(data: Uint8Array): MetadataRecord[] {
  const parsed = parseJson(data);
  if (!Array.isArray(parsed)) throw new EddyError('CORRUPT_RECORD', 'a metadata entry must be a JSON array of records');
  return parsed.map((record: unknown) => validateMetadataRecord(record));
}
