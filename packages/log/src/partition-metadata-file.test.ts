import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogError } from './errors.js';
import { PARTITION_METADATA_FILE } from './file-names.js';
import { formatPartitionMetadata, parsePartitionMetadata, readPartitionMetadata, writePartitionMetadata } from './partition-metadata-file.js';
import { tempDir } from './test-support/fixtures.js';

const TOPIC_ID = 'q0Lh2fJ7TfCp0cBkQXtM8w';

describe('partition.metadata', () => {
  let root: { dir: string; remove: () => Promise<void> };
  beforeEach(async () => {
    root = await tempDir();
  });
  afterEach(() => root.remove());

  it("formats Kafka's layout and parses it strictly", () => {
    expect(formatPartitionMetadata(TOPIC_ID)).toBe(`version: 0\ntopic_id: ${TOPIC_ID}\n`);
    expect(parsePartitionMetadata(`version: 0\ntopic_id: ${TOPIC_ID}\n`)).toBe(TOPIC_ID);
    expect(parsePartitionMetadata(`version: 0\ntopic_id: ${TOPIC_ID}`)).toBeUndefined();
    expect(parsePartitionMetadata(`version: 1\ntopic_id: ${TOPIC_ID}\n`)).toBeUndefined();
    expect(parsePartitionMetadata('version: 0\ntopic_id: a/b\n')).toBeUndefined();
    expect(parsePartitionMetadata(`version: 0\ntopic_id: ${'x'.repeat(65)}\n`)).toBeUndefined();
    expect(parsePartitionMetadata('')).toBeUndefined();
    expect(() => formatPartitionMetadata('bad id')).toThrow(/invalid topic id/);
  });

  it('writes atomically (no temp file left), replaces, and reads back; a missing file is undefined', async () => {
    expect(await readPartitionMetadata(root.dir, {})).toBeUndefined();
    await writePartitionMetadata(root.dir, TOPIC_ID);
    expect(await readPartitionMetadata(root.dir, {})).toBe(TOPIC_ID);
    await writePartitionMetadata(root.dir, 'other-id');
    expect(await readPartitionMetadata(root.dir, {})).toBe('other-id');
    expect(await readdir(root.dir)).toEqual([PARTITION_METADATA_FILE]);
    expect(await readFile(path.join(root.dir, PARTITION_METADATA_FILE), 'utf8')).toBe('version: 0\ntopic_id: other-id\n');
  });

  it('reports a damaged file as a storage error naming the file and the partition', async () => {
    await writeFile(path.join(root.dir, PARTITION_METADATA_FILE), 'version: 0\ntopic_');
    const failure = await readPartitionMetadata(root.dir, { topic: 't', partition: 3 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(LogError);
    expect(failure).toMatchObject({ code: 'KAFKA_STORAGE_ERROR', topic: 't', partition: 3 });
    expect((failure as LogError).message).toContain(PARTITION_METADATA_FILE);
  });
});
