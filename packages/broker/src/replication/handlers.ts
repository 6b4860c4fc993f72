import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '@eddy/base';
import {
  type FetchRequest,
  type FetchResponse,
  type ProduceRequest,
  type ProduceResponse,
  type ReplicaFetchRequest,
  type ReplicaFetchResponse,
  type ServiceHandlerMap,
  type ServiceHandlers,
  toGrpcStatus,
} from '@eddy/protocol';
import { replicationLimits } from './limits.js';
import { ReplicaFetchSession } from './replica-fetch-session.js';
import type { ReplicaManager } from './replica-manager.js';
import { wireErrorOf } from './wire-errors.js';

/** The data-path RPCs of ClientService this module serves (Metadata and InitProducerId are the node's). */
export type ClientDataHandlers = Pick<ServiceHandlers<'ClientService'>, 'produce' | 'fetch' | 'listOffsets'>;

/**
 * Serves a bidi stream of correlated requests: each request is handled as it arrives (so the
 * handler sees them in order) and answered when its promise settles, in any order. Reading
 * pauses while too many requests or bytes are in flight, so a fast client is held back by
 * HTTP/2 flow control rather than by memory. When the client half-closes, the stream ends
 * after the last answer; when it cancels, waiting requests are aborted and nothing more is
 * written.
 */
function serveStream<Req, Res>(
  call: grpc.ServerDuplexStream<Req, Res>,
  limits: { readonly inflightMax: number; readonly inflightBytesMax: number; readonly bytesOf: (request: Req) => number },
  handle: (request: Req, signal: AbortSignal) => Promise<Res | undefined>,
  failure: (request: Req, error: unknown) => Res,
  logger: Logger,
): void {
  const abort = new AbortController();
  let inflight = 0;
  let inflightBytes = 0;
  let paused = false;
  let writeBlocked = false;
  let ended = false;
  let cancelled = false;
  const maybeResume = (): void => {
    const wanted = !writeBlocked && inflight <= limits.inflightMax / 2 && inflightBytes <= limits.inflightBytesMax / 2;
    if (paused && !cancelled && wanted) {
      paused = false;
      call.resume();
    } else if (!paused && !cancelled && writeBlocked) {
      paused = true;
      call.pause();
    }
  };
  const maybeEnd = (): void => {
    if (ended && inflight === 0 && !cancelled) call.end();
  };
  call.on('data', (request: Req) => {
    if (cancelled) return;
    const bytes = limits.bytesOf(request);
    inflight++;
    inflightBytes += bytes;
    if (!paused && (inflight >= limits.inflightMax || inflightBytes >= limits.inflightBytesMax)) {
      paused = true;
      call.pause();
    }
    let answer: Promise<Res | undefined>;
    try {
      answer = handle(request, abort.signal);
    } catch (error) {
      answer = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    answer
      .catch((error: unknown) => {
        logger.error({ error: String(error) }, 'a stream request failed unexpectedly');
        return failure(request, error);
      })
      .then((response) => {
        inflight--;
        inflightBytes -= bytes;
        if (response !== undefined && !cancelled && !call.write(response) && !writeBlocked) {
          // The client reads slower than we answer: stop taking requests until it catches up.
          writeBlocked = true;
          call.once('drain', () => {
            writeBlocked = false;
            maybeResume();
          });
        }
        maybeResume();
        maybeEnd();
      })
      .catch((error: unknown) => logger.error({ error: String(error) }, 'could not answer a stream request'));
  });
  call.on('end', () => {
    ended = true;
    maybeEnd();
  });
  const onGone = (): void => {
    if (cancelled) return;
    cancelled = true;
    abort.abort();
  };
  call.on('cancelled', onGone);
  call.on('error', onGone);
}

const unlimitedBytes = (): number => 0;

/** ClientService.Produce, Fetch and ListOffsets over a ReplicaManager. */
export function clientDataHandlers(manager: ReplicaManager): ClientDataHandlers {
  const logger = manager.logger;
  return {
    produce(call) {
      serveStream<ProduceRequest, ProduceResponse>(
        call,
        {
          inflightMax: replicationLimits.produceInflightRequestsPerStreamMax,
          inflightBytesMax: replicationLimits.produceInflightBytesPerStreamMax,
          bytesOf: (request) => request.topics.reduce((sum, topic) => sum + topic.partitions.reduce((inner, partition) => inner + partition.records.length, 0), 0),
        },
        async (request) => {
          const response = await manager.produce(request);
          return request.acks === 0 ? undefined : response;
        },
        (request, error) => ({ correlationId: request.correlationId, ...wireErrorOf(error), topics: [], throttleTimeMs: 0, nodeEndpoints: [] }),
        logger,
      );
    },
    fetch(call) {
      serveStream<FetchRequest, FetchResponse>(
        call,
        { inflightMax: replicationLimits.fetchInflightRequestsPerStreamMax, inflightBytesMax: Infinity, bytesOf: unlimitedBytes },
        (request, signal) => manager.fetch(request, signal),
        (request, error) => ({ correlationId: request.correlationId, ...wireErrorOf(error), topics: [], throttleTimeMs: 0, nodeEndpoints: [] }),
        logger,
      );
    },
    listOffsets(call, callback) {
      manager.listOffsets(call.request).then(
        (response) => callback(null, response),
        (error: unknown) => callback(toGrpcStatus(error)),
      );
    },
  };
}

/** ReplicationService (ReplicaFetch with its fetch session per stream, OffsetsForLeaderEpoch). */
export function replicationServiceHandlers(manager: ReplicaManager): ServiceHandlers<'ReplicationService'> {
  const logger = manager.logger;
  return {
    replicaFetch(call) {
      const session = new ReplicaFetchSession();
      serveStream<ReplicaFetchRequest, ReplicaFetchResponse>(
        call,
        { inflightMax: replicationLimits.fetchInflightRequestsPerStreamMax, inflightBytesMax: Infinity, bytesOf: unlimitedBytes },
        (request, signal) => manager.replicaFetch(request, session, signal),
        (request, error) => ({ correlationId: request.correlationId, ...wireErrorOf(error), topics: [], throttleTimeMs: 0 }),
        logger,
      );
    },
    offsetsForLeaderEpoch(call, callback) {
      manager.offsetsForLeaderEpoch(call.request).then(
        (response) => callback(null, response),
        (error: unknown) => callback(toGrpcStatus(error)),
      );
    },
  };
}

/**
 * Both handler sets, ready for `startServer({ services })`. The node merges its own
 * ClientService handlers (metadata, initProducerId) into `ClientService`.
 */
export function replicationHandlerMap(manager: ReplicaManager): ServiceHandlerMap & { readonly ClientService: ClientDataHandlers; readonly ReplicationService: ServiceHandlers<'ReplicationService'> } {
  return { ClientService: clientDataHandlers(manager), ReplicationService: replicationServiceHandlers(manager) };
}

