import { setTimeout as sleep } from 'node:timers/promises';
import { EddyError } from '@eddy/base';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { toEddyError } from './error-codes.js';
import { clientIdMetadataKey, connect, deadline, formatAddress, fromGrpcError, type ServerHandle, startServer, toGrpcStatus } from './grpc.js';
import { loadProtocol } from './load.js';
import type { MetadataResponse, ProduceRequest, ProduceResponse } from './messages/client.js';

const protocol = loadProtocol();

function networkHandles(): number {
  return process.getActiveResourcesInfo().filter((name) => name.startsWith('TCP') || name === 'Http2Session').length;
}

async function settle(until: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !until(); i++) await sleep(10);
}

const metadataResponse: MetadataResponse = {
  clusterId: 'eddy-test',
  controllerId: 1,
  brokers: [{ brokerId: 1, host: '127.0.0.1', port: 9092, rack: 'r1' }],
  topics: [
    {
      errorCode: 'NONE',
      errorMessage: '',
      name: 'orders',
      topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
      isInternal: false,
      maxMessageBytes: 1_048_588,
      partitions: [
        {
          errorCode: 'NONE',
          errorMessage: '',
          partition: 0,
          leaderId: 1,
          leaderEpoch: 7,
          replicas: [1, 2, 3],
          isr: [1, 2],
          offlineReplicas: [3],
          state: 'PARTITION_STATE_ONLINE',
          replicaStates: ['REPLICA_STATE_ONLINE', 'REPLICA_STATE_ONLINE', 'REPLICA_STATE_OFFLINE'],
          addingReplicas: [],
          removingReplicas: [],
        },
      ],
    },
  ],
  metadataOffset: 12_345_678_901_234n,
};

/** A fake broker: Metadata echoes the client id, Produce answers every request with its offset. */
async function startFakeBroker(): Promise<ServerHandle> {
  return startServer({
    protocol,
    host: '127.0.0.1',
    port: 0,
    services: {
      ClientService: {
        metadata(call, callback) {
          const clientId = call.metadata.get(clientIdMetadataKey)[0];
          if (call.request.topics.includes('forbidden')) {
            callback(toGrpcStatus(toEddyError('NOT_CONTROLLER', 'ask broker 3')));
            return;
          }
          callback(null, { ...metadataResponse, clusterId: `${metadataResponse.clusterId}/${String(clientId)}` });
        },
        produce(call) {
          let nextOffset = 100n;
          call.on('data', (request: ProduceRequest) => {
            const topics = request.topics.map((topic) => ({
              name: topic.name,
              partitions: topic.partitions.map((partition) => {
                const baseOffset = nextOffset;
                nextOffset += BigInt(partition.records.length);
                return {
                  partition: partition.partition,
                  errorCode: 'NONE' as const,
                  errorMessage: '',
                  baseOffset,
                  logAppendTimeMs: -1n,
                  logStartOffset: 0n,
                  currentLeaderId: -1,
                  currentLeaderEpoch: -1,
                  recordErrors: [],
                };
              }),
            }));
            const response: ProduceResponse = {
              correlationId: request.correlationId,
              errorCode: 'NONE',
              errorMessage: '',
              topics,
              throttleTimeMs: 0,
              nodeEndpoints: [],
            };
            if (request.acks !== 0) call.write(response);
          });
          call.on('end', () => call.end());
        },
      },
      GroupService: {
        joinGroup(_call, callback) {
          // Never answers on its own: a long poll the client must bound with a deadline.
          setTimeout(() => callback(toGrpcStatus(toEddyError('REBALANCE_IN_PROGRESS'))), 5_000).unref();
        },
      },
    },
  });
}

describe('a typed client and server over loopback', () => {
  it('round-trips a unary call and a pipelined bidi stream, then leaves no handle behind', async () => {
    const before = networkHandles();
    const server = await startFakeBroker();
    expect(server.port).toBeGreaterThan(0);
    expect(server.address).toBe(`127.0.0.1:${server.port}`);
    const connection = connect(protocol, server.address, { clientId: 'test-client' });
    try {
      await connection.waitForReady(deadline(5_000));
      expect(networkHandles()).toBeGreaterThan(before);
      const client = connection.service('ClientService');

      const metadata = await client.metadata({ topics: ['orders'], allTopics: false, allowAutoTopicCreation: false });
      expect(metadata).toEqual({ ...metadataResponse, clusterId: 'eddy-test/test-client' });
      expect(typeof metadata.metadataOffset).toBe('bigint');

      const stream = client.produce();
      const responses: ProduceResponse[] = [];
      const done = new Promise<void>((resolve, reject) => {
        stream.on('data', (response: ProduceResponse) => responses.push(response));
        stream.on('error', reject);
        stream.on('end', resolve);
      });
      for (let correlationId = 1; correlationId <= 3; correlationId++) {
        const records = Buffer.alloc(correlationId * 10, correlationId);
        stream.write({ correlationId, acks: -1, timeoutMs: 1_000, topics: [{ name: 'orders', partitions: [{ partition: 0, records }] }] });
      }
      stream.write({ correlationId: 4, acks: 0, timeoutMs: 1_000, topics: [] });
      stream.end();
      await done;
      expect(responses.map((r) => r.correlationId)).toEqual([1, 2, 3]);
      expect(responses.map((r) => r.topics[0]?.partitions[0]?.baseOffset)).toEqual([100n, 110n, 130n]);
    } finally {
      connection.close();
      await server.close();
    }
    await settle(() => networkHandles() <= before);
    expect(networkHandles()).toBe(before);
  });

  it('maps failed calls to typed EddyErrors', async () => {
    const server = await startFakeBroker();
    const connection = connect(protocol, server.address);
    try {
      const client = connection.service('ClientService');
      // A handler that fails the call with an Eddy code: the exact code comes back.
      const notController = await client.metadata({ topics: ['forbidden'], allTopics: false, allowAutoTopicCreation: false }).catch((e: unknown) => e);
      expect(notController).toBeInstanceOf(EddyError);
      expect(notController).toMatchObject({ code: 'NOT_CONTROLLER', retriable: true });
      expect((notController as EddyError).message).toContain('ask broker 3');

      // An RPC the server does not implement.
      const unimplemented = await client.listOffsets({ topics: [] }).catch((e: unknown) => e);
      expect(unimplemented).toMatchObject({ code: 'UNSUPPORTED_VERSION', retriable: false });

      // A deadline.
      const groups = connection.service('GroupService');
      const join = {
        groupId: 'g',
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000,
        memberId: '',
        groupInstanceId: '',
        protocolType: 'consumer',
        protocols: [],
        reason: '',
      };
      const timedOut = await groups.joinGroup(join, { timeoutMs: 50 }).catch((e: unknown) => e);
      expect(timedOut).toMatchObject({ code: 'REQUEST_TIMED_OUT', retriable: true });

      // Cancellation through an AbortSignal.
      const controller = new AbortController();
      const cancelled = groups.joinGroup(join, { signal: controller.signal }).catch((e: unknown) => e);
      controller.abort();
      expect(await cancelled).toMatchObject({ code: 'CANCELLED' });
    } finally {
      connection.close();
      await server.close();
    }
  });

  it('reports an unreachable broker as a retriable network error', async () => {
    const server = await startFakeBroker();
    const address = server.address;
    await server.close();
    const connection = connect(protocol, address);
    try {
      const error = await connection
        .service('ClientService')
        .metadata({ topics: [], allTopics: true, allowAutoTopicCreation: false }, { timeoutMs: 2_000 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EddyError);
      expect(['NETWORK_EXCEPTION', 'REQUEST_TIMED_OUT']).toContain((error as EddyError).code);
      expect((error as EddyError).retriable).toBe(true);
      await expect(connection.waitForReady(deadline(50))).rejects.toMatchObject({ code: 'NETWORK_EXCEPTION' });
    } finally {
      connection.close();
    }
  });
});

describe('status mapping', () => {
  function serviceError(code: grpc.status, details: string, metadata = new grpc.Metadata()): grpc.ServiceError {
    return Object.assign(new Error(details), { code, details, metadata });
  }

  it('maps gRPC statuses to Eddy codes', () => {
    expect(fromGrpcError(serviceError(grpc.status.UNAVAILABLE, 'connection refused'))).toMatchObject({ code: 'NETWORK_EXCEPTION', retriable: true });
    expect(fromGrpcError(serviceError(grpc.status.DEADLINE_EXCEEDED, 'deadline'))).toMatchObject({ code: 'REQUEST_TIMED_OUT', retriable: true });
    expect(fromGrpcError(serviceError(grpc.status.CANCELLED, 'cancelled'))).toMatchObject({ code: 'CANCELLED', retriable: false });
    expect(fromGrpcError(serviceError(grpc.status.RESOURCE_EXHAUSTED, 'Received message larger than max (9 vs. 8)'))).toMatchObject({
      code: 'MESSAGE_TOO_LARGE',
    });
    expect(fromGrpcError(serviceError(grpc.status.INTERNAL, 'boom'), '/eddy.v1.X/Y')).toMatchObject({
      code: 'UNKNOWN_SERVER_ERROR',
      message: '/eddy.v1.X/Y: boom',
    });
  });

  it('prefers the Eddy code in the trailer and round-trips toGrpcStatus', () => {
    const status = toGrpcStatus(toEddyError('NODE_SHUTTING_DOWN', 'bye'));
    expect(status.code).toBe(grpc.status.UNAVAILABLE);
    expect(fromGrpcError(serviceError(status.code, status.details, status.metadata))).toMatchObject({
      code: 'NODE_SHUTTING_DOWN',
      message: 'bye',
      retriable: true,
    });
    const eddy = toEddyError('INVALID_CONFIG');
    expect(fromGrpcError(eddy)).toBe(eddy);
    expect(fromGrpcError(new RangeError('odd'))).toMatchObject({ code: 'UNKNOWN_SERVER_ERROR', message: 'odd' });
  });

  it('reports an unusable address or port as INVALID_CONFIG', async () => {
    expect(() => connect(protocol, '')).toThrow(EddyError);
    const server = await startFakeBroker();
    try {
      await expect(startServer({ protocol, host: '127.0.0.1', port: server.port })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    } finally {
      await server.close();
    }
  });

  it('formats IPv6 addresses and deadlines', () => {
    expect(formatAddress('::1', 9092)).toBe('[::1]:9092');
    expect(formatAddress('127.0.0.1', 9092)).toBe('127.0.0.1:9092');
    const at = deadline(1_000).getTime() - Date.now();
    expect(at).toBeGreaterThan(900);
    expect(at).toBeLessThanOrEqual(1_000);
  });
});
