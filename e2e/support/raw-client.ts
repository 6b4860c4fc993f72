import {
  type Connection,
  connect,
  type FetchRequest,
  type FetchResponse,
  fromGrpcError,
  loadProtocol,
  type ProducePartitionResponse,
  type ProduceRequest,
  type ProduceResponse,
  type Protocol,
  type ReplicaFetchRequest,
  type ReplicaFetchResponse,
} from '@eddy/protocol';
import { encodeRecordBatch } from '@eddy/record';

/**
 * Raw gRPC access to one node, below the SDK: requests built by hand (bad ones too) go to
 * exactly the node named, with no retries, redirects or metadata refreshes in between.
 */

let protocol: Protocol | undefined;

/** A connection to `address` (host:port); close it when done. */
export function rawConnection(address: string): Connection {
  protocol ??= loadProtocol();
  return connect(protocol, address, { clientId: 'e2e-raw' });
}

interface Correlated {
  correlationId: number;
}

interface DuplexCall<Req, Res> {
  write(request: Req): boolean;
  on(event: 'data', listener: (response: Res) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  cancel(): void;
}

/** A bidi stream (Produce, Fetch, ReplicaFetch) used request by request, matched by correlation id. */
export class RawStream<Req extends Correlated, Res extends Correlated> {
  private readonly pending = new Map<number, { resolve: (response: Res) => void; reject: (error: Error) => void }>();
  private nextId = 1;

  constructor(private readonly call: DuplexCall<Req, Res>) {
    call.on('data', (response) => {
      this.pending.get(response.correlationId)?.resolve(response);
      this.pending.delete(response.correlationId);
    });
    call.on('error', (error) => {
      for (const waiter of this.pending.values()) waiter.reject(fromGrpcError(error));
      this.pending.clear();
    });
  }

  /** Sends one request; resolves with its answer, or 'no answer' after `timeoutMs`. */
  send(request: Omit<Req, 'correlationId'>, timeoutMs: number): Promise<Res | 'no answer'> {
    const correlationId = this.nextId++;
    return new Promise<Res | 'no answer'>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        resolve('no answer');
      }, timeoutMs);
      const settle = { resolve: (response: Res) => (clearTimeout(timer), resolve(response)), reject: (error: Error) => (clearTimeout(timer), reject(error)) };
      this.pending.set(correlationId, settle);
      this.call.write({ ...request, correlationId } as Req);
    });
  }

  close(): void {
    this.call.cancel();
  }
}

/** A Produce stream to the node behind `connection`. */
export function produceStream(connection: Connection): RawStream<ProduceRequest, ProduceResponse> {
  return new RawStream(connection.service('ClientService').produce());
}

/** A consumer Fetch stream to the node behind `connection`. */
export function fetchStream(connection: Connection): RawStream<FetchRequest, FetchResponse> {
  return new RawStream(connection.service('ClientService').fetch());
}

/** A follower's ReplicaFetch stream to the node behind `connection`. */
export function replicaFetchStream(connection: Connection): RawStream<ReplicaFetchRequest, ReplicaFetchResponse> {
  return new RawStream(connection.service('ReplicationService').replicaFetch());
}

/** One batch of plain records (no producer id, so no idempotence), as the SDK would encode it. */
export function recordBatch(values: readonly string[]): Buffer {
  return encodeRecordBatch(values.map((value) => ({ value })));
}

/** A produce request carrying `records` for one partition. */
export function produceRequest(topic: string, partition: number, records: Buffer, acks: -1 | 0 | 1, timeoutMs: number): Omit<ProduceRequest, 'correlationId'> {
  return { acks, timeoutMs, topics: [{ name: topic, partitions: [{ partition, records }] }] };
}

/** The answer for the only partition of a one-partition produce; throws when the whole request failed. */
export function onlyPartition(response: ProduceResponse): ProducePartitionResponse {
  if (response.errorCode !== 'NONE') throw new Error(`the produce request failed as a whole: ${response.errorCode}: ${response.errorMessage}`);
  const answer = response.topics[0]?.partitions[0];
  if (answer === undefined) throw new Error('the produce answer names no partition');
  return answer;
}
