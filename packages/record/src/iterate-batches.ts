import { batchSizeAt } from './batch-header.js';
import { CorruptRecordError } from './errors.js';
import type { RecordBatchLocation } from './types.js';
import { checkBatchIntegrity } from './verify-batch.js';

/**
 * Walks batches laid end to end in `buf` (a log segment, a fetch response), checking each one's
 * length, magic and CRC32C. Throws `CorruptRecordError` at the first torn or corrupt batch, with
 * `position` at its start: everything before it was yielded and is intact. Does not judge the
 * compression (an unsupported codec is still intact bytes).
 */
export function* iterateBatches(buf: Buffer): Generator<RecordBatchLocation, void, undefined> {
  let position = 0;
  while (position < buf.length) {
    const remaining = buf.length - position;
    const size = batchSizeAt(buf, position);
    if (size === undefined) {
      throw new CorruptRecordError(`torn batch: ${remaining} bytes remain, too few for a batch prefix`, { position });
    }
    if (size > remaining) {
      throw new CorruptRecordError(`torn batch: it needs ${size} bytes, ${remaining} remain`, { position });
    }
    const header = checkBatchIntegrity(buf, position, size);
    yield { position, size, header };
    position += size;
  }
}
