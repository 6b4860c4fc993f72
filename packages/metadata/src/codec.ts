import { EddyError } from '@eddy/base';
import type { MetadataRecord, MetadataRecordType } from './records.js';

/**
 * Metadata records are stored in the Raft log as UTF-8 JSON: metadata is small and rare next
 * to partition data, and a readable log is worth more than a few bytes. Decoding checks every
 * field against the schema below, so a record that does not match its type never reaches
 * replay.
 */
type FieldKind = 'string' | 'int' | 'bool' | 'ints' | 'nullableString' | 'endpoint' | 'resourceType';
type FieldSpec = FieldKind | { readonly optional: FieldKind };

const schemas: { readonly [T in MetadataRecordType]: Readonly<Record<string, FieldSpec>> } = {
  ClusterId: { clusterId: 'string' },
  RegisterBroker: { brokerId: 'int', incarnationId: 'string', brokerEpoch: 'int', endpoint: 'endpoint', rack: 'nullableString' },
  UnregisterBroker: { brokerId: 'int', brokerEpoch: 'int' },
  FenceBroker: { brokerId: 'int', brokerEpoch: 'int' },
  UnfenceBroker: { brokerId: 'int', brokerEpoch: 'int' },
  BrokerShutdown: { brokerId: 'int', brokerEpoch: 'int', inControlledShutdown: 'bool' },
  Topic: { name: 'string', topicId: 'string' },
  Partition: {
    topicId: 'string',
    partition: 'int',
    replicas: 'ints',
    isr: 'ints',
    adding: 'ints',
    removing: 'ints',
    leader: 'int',
    leaderEpoch: 'int',
    partitionEpoch: 'int',
  },
  PartitionChange: {
    topicId: 'string',
    partition: 'int',
    leader: { optional: 'int' },
    isr: { optional: 'ints' },
    replicas: { optional: 'ints' },
    adding: { optional: 'ints' },
    removing: { optional: 'ints' },
  },
  RemoveTopic: { topicId: 'string' },
  Config: { resourceType: 'resourceType', resourceName: 'string', name: 'string', value: 'nullableString' },
  ProducerIds: { brokerId: 'int', brokerEpoch: 'int', nextProducerId: 'int' },
};

function isKind(kind: FieldKind, value: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'int':
      return Number.isSafeInteger(value);
    case 'bool':
      return typeof value === 'boolean';
    case 'ints':
      return Array.isArray(value) && value.every((v) => Number.isSafeInteger(v));
    case 'nullableString':
      return value === null || typeof value === 'string';
    case 'resourceType':
      return value === 'topic' || value === 'broker';
    case 'endpoint': {
      if (typeof value !== 'object' || value === null) return false;
      const { host, port } = value as { host?: unknown; port?: unknown };
      return typeof host === 'string' && Number.isInteger(port) && (port as number) > 0 && (port as number) < 65536;
    }
  }
}

function corrupt(reason: string): EddyError {
  return new EddyError('CORRUPT_RECORD', `invalid metadata record: ${reason}`);
}

export function encodeMetadataRecord(record: MetadataRecord): Buffer {
  return Buffer.from(JSON.stringify(record), 'utf8');
}

export function decodeMetadataRecord(bytes: Uint8Array): MetadataRecord {
  return validateMetadataRecord(parseJson(bytes));
}

/** Parses UTF-8 JSON, reporting malformed input as CORRUPT_RECORD. */
export function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (error: unknown) {
    throw corrupt(`not JSON (${(error as Error).message})`);
  }
}

/** Checks an already parsed value against the record schemas. */
export function validateMetadataRecord(parsed: unknown): MetadataRecord {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw corrupt('not an object');
  const fields = parsed as Record<string, unknown>;
  const type = fields.type;
  if (typeof type !== 'string' || !Object.hasOwn(schemas, type)) throw corrupt(`unknown type ${JSON.stringify(type)}`);
  const schema = schemas[type as MetadataRecordType];
  for (const [name, spec] of Object.entries(schema)) {
    const value = fields[name];
    if (typeof spec === 'object') {
      if (value !== undefined && !isKind(spec.optional, value)) throw corrupt(`${type}.${name} is not ${spec.optional}`);
    } else if (!isKind(spec, value)) {
      throw corrupt(`${type}.${name} is not ${spec}`);
    }
  }
  for (const name of Object.keys(fields)) {
    if (name !== 'type' && !Object.hasOwn(schema, name)) throw corrupt(`${type} has unknown field ${name}`);
  }
  return fields as unknown as MetadataRecord;
}
