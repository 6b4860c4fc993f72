import { assert } from '@eddy/base';
import { recordBatchBytesMax } from '@eddy/record';

/**
 * Bounds of the gRPC transport. Every message is bounded on both ends, so a hostile or buggy
 * peer costs at most this much memory per message.
 */

/** Room for the protobuf envelope around the records of one message (names, offsets, epochs). */
export const envelopeBytesMax = 1024 * 1024;

/**
 * The largest gRPC message sent or received: one largest RecordBatch and its envelope. Producers
 * bound their requests, and fetchers their max_bytes, to stay under it (a fetch returns one
 * batch above max_bytes only when that batch alone is larger).
 */
export const messageBytesMax = recordBatchBytesMax + envelopeBytesMax;

/** Default deadline of unary calls made without one. */
export const unaryTimeoutMsDefault = 30_000;

/** Keepalive pings on idle connections detect a dead peer within about time + timeout. */
export const keepaliveTimeMs = 10_000;
export const keepaliveTimeoutMs = 5_000;

/** Reconnect backoff bounds: short, so a restarted broker is reached again quickly. */
export const reconnectBackoffMsInitial = 100;
export const reconnectBackoffMsMax = 2_000;

/**
 * The HTTP/2 flow-control window a client opens per stream and connection: large enough that a
 * 1 MiB batch is not paced by window updates on loopback.
 */
export const flowControlWindowBytes = 8 * 1024 * 1024;

/** How long a closing server waits for calls to finish before cancelling them. */
export const shutdownGraceMsDefault = 5_000;

assert(messageBytesMax <= 0x7fff_ffff, 'gRPC message lengths are int32');
assert(recordBatchBytesMax + envelopeBytesMax <= messageBytesMax, 'a largest batch fits one message');
assert(keepaliveTimeoutMs < keepaliveTimeMs, 'a keepalive ping times out before the next one is due');
assert(reconnectBackoffMsInitial <= reconnectBackoffMsMax, 'backoff grows from its initial value');
