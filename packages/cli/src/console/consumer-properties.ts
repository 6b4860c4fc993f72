import { EddyError } from '@eddy/base';
import { type AutoOffsetReset, assignorNames, type AssignorName, type ConsumerOptions, type EddyOptions } from '@eddy/client';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What `--consumer-property` may set: the Kafka property name, then how it maps onto ConsumerOptions. */
const integerProperties = {
  'auto.commit.interval.ms': 'autoCommitIntervalMs',
  'session.timeout.ms': 'sessionTimeoutMs',
  'heartbeat.interval.ms': 'heartbeatIntervalMs',
  'max.poll.interval.ms': 'rebalanceTimeoutMs',
  'max.poll.records': 'maxPollRecords',
  'fetch.max.wait.ms': 'fetchMaxWaitMs',
  'fetch.min.bytes': 'fetchMinBytes',
  'fetch.max.bytes': 'fetchMaxBytes',
  'max.partition.fetch.bytes': 'maxPartitionFetchBytes',
  'request.timeout.ms': 'requestTimeoutMs',
  'default.api.timeout.ms': 'defaultApiTimeoutMs',
} as const satisfies Record<string, keyof ConsumerOptions>;

/** Properties that configure the client under the consumer (its metadata cache), not the consumer itself. */
const clientIntegerProperties = {
  'metadata.max.age.ms': 'metadataMaxAgeMs',
} as const satisfies Record<string, keyof EddyOptions>;

export type ConsumerClientOptions = Pick<EddyOptions, (typeof clientIntegerProperties)[keyof typeof clientIntegerProperties]>;

const otherProperties = ['auto.offset.reset', 'enable.auto.commit', 'group.id', 'group.instance.id', 'partition.assignment.strategy'] as const;

/** Every property name `--consumer-property` accepts. */
export const consumerPropertyNames: readonly string[] = [...Object.keys(integerProperties), ...Object.keys(clientIntegerProperties), ...otherProperties].sort();

function isIntegerProperty(name: string): name is keyof typeof integerProperties {
  return Object.hasOwn(integerProperties, name);
}

function isClientIntegerProperty(name: string): name is keyof typeof clientIntegerProperties {
  return Object.hasOwn(clientIntegerProperties, name);
}

function parseInteger(name: string, value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed)) throw invalid(name, value, 'a non-negative integer');
  return parsed;
}

/** The client-level settings among the consumer properties (`metadata.max.age.ms`); the rest are ignored here. */
export function clientOptionsFromConsumerProperties(properties: Readonly<Record<string, string>>): ConsumerClientOptions {
  const options: Mutable<ConsumerClientOptions> = {};
  for (const [name, value] of Object.entries(properties)) {
    if (isClientIntegerProperty(name)) options[clientIntegerProperties[name]] = parseInteger(name, value);
  }
  return options;
}

/** Kafka's `partition.assignment.strategy` takes class names too; the simple name decides. */
const assignorAliases: Readonly<Record<string, AssignorName>> = {
  range: 'range',
  rangeassignor: 'range',
  roundrobin: 'roundrobin',
  roundrobinassignor: 'roundrobin',
  sticky: 'sticky',
  stickyassignor: 'sticky',
};

function invalid(name: string, value: string, expected: string): EddyError {
  return new EddyError('INVALID_CONFIG', `--consumer-property ${name}=${value}: expected ${expected}`);
}

/**
 * Maps Kafka consumer properties (`--consumer-property k=v`) onto the SDK's ConsumerOptions, so
 * the familiar names work (`auto.offset.reset=earliest`, `max.poll.records=100`, ...). An unknown
 * name or a malformed value is an error that lists what is accepted.
 */
export function consumerOptionsFromProperties(properties: Readonly<Record<string, string>>): ConsumerOptions {
  const options: Mutable<ConsumerOptions> = {};
  for (const [name, value] of Object.entries(properties)) {
    if (isIntegerProperty(name)) {
      options[integerProperties[name]] = parseInteger(name, value);
      continue;
    }
    if (isClientIntegerProperty(name)) continue;
    switch (name) {
      case 'auto.offset.reset':
        if (value !== 'earliest' && value !== 'latest' && value !== 'none') throw invalid(name, value, 'earliest, latest or none');
        options.autoOffsetReset = value satisfies AutoOffsetReset;
        break;
      case 'enable.auto.commit':
        if (value !== 'true' && value !== 'false') throw invalid(name, value, 'true or false');
        options.enableAutoCommit = value === 'true';
        break;
      case 'group.id':
        if (value === '') throw invalid(name, value, 'a group id');
        options.groupId = value;
        break;
      case 'group.instance.id':
        options.groupInstanceId = value;
        break;
      case 'partition.assignment.strategy': {
        const assignors = value.split(',').map((entry) => {
          const simple = (entry.trim().split('.').pop() ?? '').toLowerCase();
          const assignor = assignorAliases[simple];
          if (assignor === undefined) throw invalid(name, value, `a list of ${assignorNames.join(', ')}`);
          return assignor;
        });
        options.assignors = assignors;
        break;
      }
      default:
        throw new EddyError('INVALID_CONFIG', `unknown --consumer-property ${JSON.stringify(name)}; known: ${consumerPropertyNames.join(', ')}`);
    }
  }
  return options;
}
