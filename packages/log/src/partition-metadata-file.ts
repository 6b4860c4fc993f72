import path from 'node:path';
import { assert } from '@eddy/base';
import { readTextFile, writeFileAtomically } from './checkpoint-file.js';
import { LogError, type LogErrorContext } from './errors.js';
import { PARTITION_METADATA_FILE } from './file-names.js';
import { logLimits } from './limits.js';

/**
 * `partition.metadata` (Kafka's KIP-516): the id of the topic incarnation a partition directory
 * belongs to, so a directory left behind by a deleted topic is never taken for the log of a
 * new topic with the same name. Format: `version: 0\ntopic_id: <id>\n`.
 */
const VERSION = 0;
const TOPIC_ID_PATTERN = /^[A-Za-z0-9._-]+$/;

export function isValidTopicId(topicId: string): boolean {
  return topicId.length > 0 && topicId.length <= logLimits.topicIdLengthMax && TOPIC_ID_PATTERN.test(topicId);
}

export function formatPartitionMetadata(topicId: string): string {
  assert(isValidTopicId(topicId), `invalid topic id ${JSON.stringify(topicId)}`);
  return `version: ${VERSION}\ntopic_id: ${topicId}\n`;
}

/** The topic id, or undefined when the text is not a well-formed version 0 file. */
export function parsePartitionMetadata(text: string): string | undefined {
  const match = /^version: (\d+)\ntopic_id: (\S+)\n$/.exec(text);
  if (match === null || match[1] !== String(VERSION)) return undefined;
  const topicId = match[2] as string;
  return isValidTopicId(topicId) ? topicId : undefined;
}

/**
 * The topic id recorded in `dir`, undefined when there is no file (a log created before topic
 * ids were recorded). A file that does not parse is a KAFKA_STORAGE_ERROR: it is only ever
 * replaced atomically, so a damaged one means the directory was damaged, and neither keeping
 * its data (it may be another incarnation's) nor discarding it (it may be the only copy) is a
 * safe guess: the operator decides, as with Kafka's offline log directories.
 */
export async function readPartitionMetadata(dir: string, context: LogErrorContext): Promise<string | undefined> {
  const file = path.join(dir, PARTITION_METADATA_FILE);
  const text = await readTextFile(file);
  if (text === undefined) return undefined;
  const topicId = parsePartitionMetadata(text);
  if (topicId === undefined) throw new LogError('KAFKA_STORAGE_ERROR', `${file} is corrupt: remove the partition directory or restore the file`, context);
  return topicId;
}

/** Records the topic id durably: temp file, rename, fsync of the file and the directory. */
export function writePartitionMetadata(dir: string, topicId: string): Promise<void> {
  return writeFileAtomically(path.join(dir, PARTITION_METADATA_FILE), formatPartitionMetadata(topicId), true);
}
