import { EddyError } from '@eddy/base';

/** One partition and the replicas it should have, preferred leader first. */
export interface PartitionReplicas {
  readonly topic: string;
  readonly partition: number;
  readonly replicas: readonly number[];
}

/**
 * Kafka's kafka-reassign-partitions files: `{"version":1,"topics":[{"topic":"t"}]}` names the
 * topics to move, `{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2]}]}`
 * a reassignment. Parsing reports the file and the first field that is wrong, as INVALID_REQUEST.
 */
export function parseTopicsToMove(text: string, source: string): string[] {
  const fail = failure(source);
  const root = versionOneObject(text, fail);
  const topics = root.topics;
  if (!Array.isArray(topics) || topics.length === 0) throw fail('"topics" must be a non-empty array');
  const names = topics.map((entry: unknown, i) => {
    if (!isObject(entry) || typeof entry.topic !== 'string' || entry.topic === '') throw fail(`topics[${i}].topic must be a non-empty string`);
    return entry.topic;
  });
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate !== undefined) throw fail(`topic ${duplicate} is listed twice`);
  return names;
}

export function parseReassignment(text: string, source: string): PartitionReplicas[] {
  const fail = failure(source);
  const root = versionOneObject(text, fail);
  const partitions = root.partitions;
  if (!Array.isArray(partitions) || partitions.length === 0) throw fail('"partitions" must be a non-empty array');
  const seen = new Set<string>();
  return partitions.map((entry: unknown, i) => {
    const where = `partitions[${i}]`;
    if (!isObject(entry)) throw fail(`${where} must be an object`);
    const { topic, partition, replicas } = entry;
    if (typeof topic !== 'string' || topic === '') throw fail(`${where}.topic must be a non-empty string`);
    if (!isBrokerOrPartitionId(partition)) throw fail(`${where}.partition must be a non-negative integer`);
    if (!Array.isArray(replicas) || replicas.length === 0 || !replicas.every(isBrokerOrPartitionId)) {
      throw fail(`${where}.replicas must be a non-empty array of broker ids`);
    }
    // Kafka writes "log_dirs" beside the replicas; "any" (let the broker choose) is all Eddy has.
    const logDirs = entry.log_dirs;
    if (logDirs !== undefined && (!Array.isArray(logDirs) || !logDirs.every((dir) => dir === 'any'))) throw fail(`${where}.log_dirs may only hold "any"`);
    const key = `${topic}-${partition}`;
    if (seen.has(key)) throw fail(`partition ${key} is listed twice`);
    seen.add(key);
    return { topic, partition, replicas };
  });
}

export function formatReassignment(partitions: readonly PartitionReplicas[]): string {
  return JSON.stringify({ version: 1, partitions: partitions.map(({ topic, partition, replicas }) => ({ topic, partition, replicas })) });
}

function versionOneObject(text: string, fail: (why: string) => EddyError): Record<string, unknown> {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (error: unknown) {
    throw fail(`not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isObject(root)) throw fail('must hold a JSON object');
  if (root.version !== 1) throw fail(`"version" must be 1, ${root.version === undefined ? 'and it is missing' : `got ${JSON.stringify(root.version)}`}`);
  return root;
}

function failure(source: string): (why: string) => EddyError {
  return (why) => new EddyError('INVALID_REQUEST', `${source}: ${why}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isBrokerOrPartitionId(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
