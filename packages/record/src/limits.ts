import { constants } from 'node:buffer';
import { assert } from '@eddy/base';
import { RECORD_BATCH_HEADER_BYTES } from './layout.js';

/**
 * Bounds of the RecordBatch codec. Every size the codec reads from the wire is checked against
 * these before it allocates or loops, so a corrupt or hostile batch costs at most this much.
 */

/**
 * The largest batch, header included, that is encoded or accepted. Kafka's
 * `message.max.bytes` plays this role; brokers and producers may enforce smaller limits.
 */
export const recordBatchBytesMax = 64 * 1024 * 1024;

/**
 * The largest records section after decompression. It bounds what a gzip bomb can make us
 * allocate, and every uncompressed batch must fit it too, so encode and decode agree.
 */
export const recordsBytesMax = 64 * 1024 * 1024;

/**
 * The smallest encoded record: length, attributes, timestampDelta, offsetDelta, keyLength,
 * valueLength and headerCount, one byte each. Bounds recordCount by the bytes present.
 */
export const recordBytesMin = 7;

/** The smallest encoded header: a key length and a value length, one byte each. */
export const headerBytesMin = 2;

assert(recordBatchBytesMax <= 0x7fff_ffff, 'batchLength is an int32');
assert(recordBatchBytesMax > RECORD_BATCH_HEADER_BYTES, 'a batch must hold its header');
assert(
  recordsBytesMax >= recordBatchBytesMax - RECORD_BATCH_HEADER_BYTES,
  'every uncompressed records section that fits a batch must also pass the decompression bound',
);
assert(recordsBytesMax <= constants.MAX_LENGTH, 'the records section must fit one Buffer');
assert(Math.floor(recordsBytesMax / recordBytesMin) <= 0x7fff_ffff, 'recordCount and offset deltas are int32');
