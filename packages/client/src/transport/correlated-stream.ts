import { EddyError, type Logger } from '@eddy/base';
import { fromGrpcError } from '@eddy/protocol';
import type * as grpc from '@grpc/grpc-js';
import { ClientClosedError } from '../errors.js';

/** A message of a long-lived stream: the sender picks the id, the answer echoes it. */
export interface Correlated {
  correlationId: number;
}

export interface CorrelatedStreamOptions<Req, Res> {
  /** Opens the underlying gRPC bidi call (on first use, and again after a failure). */
  readonly open: () => grpc.ClientDuplexStream<Req, Res>;
  /** Names the stream in errors and logs (`produce stream to broker 2`). */
  readonly label: string;
  readonly logger: Logger;
}

interface Pending<Res> {
  readonly resolve: (response: Res) => void;
  readonly reject: (error: EddyError) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Many requests in flight on one long-lived bidi stream (the Produce and Fetch hot paths),
 * matched to their answers by correlation id. A failure of the stream fails every request in
 * flight on it with a retriable error and the next request opens a new stream. A request that
 * outlives its deadline fails with REQUEST_TIMED_OUT and resets the stream (as Kafka closes the
 * connection), so no late answer can arrive for a request its sender gave up on.
 */
export class CorrelatedStream<Req extends Correlated, Res extends Correlated> {
  private call: grpc.ClientDuplexStream<Req, Res> | undefined;
  private readonly pending = new Map<number, Pending<Res>>();
  private nextCorrelationId = 1;
  private closed = false;

  constructor(private readonly options: CorrelatedStreamOptions<Req, Res>) {}

  /** Requests waiting for an answer. */
  get inFlight(): number {
    return this.pending.size;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends `build(correlationId)` and resolves with its answer (rejects with an EddyError). */
  request(build: (correlationId: number) => Req, timeoutMs: number): Promise<Res> {
    if (this.closed) return Promise.reject(new ClientClosedError(this.options.label));
    const call = this.ensureCall();
    const correlationId = this.takeCorrelationId();
    return new Promise<Res>((resolve, reject) => {
      const timer = setTimeout(() => this.onTimeout(correlationId, timeoutMs), timeoutMs);
      this.pending.set(correlationId, { resolve, reject, timer });
      call.write(build(correlationId));
    });
  }

  /** Sends a request that gets no answer (acks = 0); resolves once it is handed to the transport. */
  send(build: (correlationId: number) => Req): Promise<void> {
    if (this.closed) return Promise.reject(new ClientClosedError(this.options.label));
    const call = this.ensureCall();
    const message = build(this.takeCorrelationId());
    return new Promise<void>((resolve, reject) => {
      call.write(message, (error: Error | null | undefined) => {
        if (error === null || error === undefined) resolve();
        else reject(this.streamError(error));
      });
    });
  }

  /** Fails every request in flight with `error` and drops the stream (the next request opens another). */
  reset(error: EddyError): void {
    const call = this.call;
    this.call = undefined;
    if (call !== undefined) call.cancel();
    this.failAll(error);
  }

  /**
   * Ends the stream: half-closes it and waits up to `graceMs` for the broker to finish, then
   * cancels it. Requests still in flight fail with CANCELLED.
   */
  async close(graceMs: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const call = this.call;
    this.call = undefined;
    this.failAll(new ClientClosedError(this.options.label));
    if (call === undefined) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        call.cancel();
        resolve();
      }, graceMs);
      call.once('status', () => {
        clearTimeout(timer);
        resolve();
      });
      call.end();
    });
  }

  private ensureCall(): grpc.ClientDuplexStream<Req, Res> {
    if (this.call !== undefined) return this.call;
    const call = this.options.open();
    this.call = call;
    call.on('data', (response: Res) => {
      if (this.call !== call) return;
      const pending = this.pending.get(response.correlationId);
      if (pending === undefined) {
        this.options.logger.warn({ correlationId: response.correlationId }, `${this.options.label}: answer to no request in flight`);
        return;
      }
      this.pending.delete(response.correlationId);
      clearTimeout(pending.timer);
      pending.resolve(response);
    });
    // An 'error' listener stays on every call for its whole life: grpc-js emits CANCELLED after
    // our own cancel(), and an unheard 'error' would crash the process.
    call.on('error', (error: Error) => {
      if (this.call !== call) return;
      this.call = undefined;
      this.failAll(this.streamError(error));
    });
    call.on('end', () => {
      if (this.call !== call) return;
      this.call = undefined;
      call.cancel();
      this.failAll(new EddyError('NETWORK_EXCEPTION', `${this.options.label} was ended by the broker`, { retriable: true }));
    });
    return call;
  }

  private streamError(error: Error): EddyError {
    const mapped = fromGrpcError(error, this.options.label);
    if (mapped.code === 'CANCELLED' && !this.closed) {
      // Cancelled by the peer or the transport, not by us: the request may succeed elsewhere.
      return new EddyError('NETWORK_EXCEPTION', mapped.message, { retriable: true, cause: error });
    }
    return mapped;
  }

  private onTimeout(correlationId: number, timeoutMs: number): void {
    const pending = this.pending.get(correlationId);
    if (pending === undefined) return;
    this.pending.delete(correlationId);
    pending.reject(new EddyError('REQUEST_TIMED_OUT', `${this.options.label}: no answer within ${timeoutMs} ms`, { retriable: true }));
    this.options.logger.warn({ correlationId, timeoutMs }, `${this.options.label}: request timed out, resetting the stream`);
    this.reset(new EddyError('NETWORK_EXCEPTION', `${this.options.label} was reset after a request timed out`, { retriable: true }));
  }

  private failAll(error: EddyError): void {
    if (this.pending.size === 0) return;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const entry of pending) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
  }

  private takeCorrelationId(): number {
    let id = this.nextCorrelationId;
    while (this.pending.has(id)) id = (id + 1) >>> 0;
    this.nextCorrelationId = (id + 1) >>> 0;
    return id;
  }
}
