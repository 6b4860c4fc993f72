import { ByteReader } from './byte-reader.js';
import { decompressRecords } from './compression.js';
import { BATCH_ATTRIBUTES, RECORD_BATCH_HEADER_BYTES } from './layout.js';
import { headerBytesMin, recordBytesMin } from './limits.js';
import type { Record, RecordBatchHeader, RecordHeader } from './types.js';
import { checkBatchIntegrity } from './verify-batch.js';

/** The smallest record body after its length: attributes, two deltas, two lengths, a count. */
const RECORD_BODY_BYTES_MIN = recordBytesMin - 1;

export interface DecodedRecordBatch {
  header: RecordBatchHeader;
  records: Record[];
}

/**
 * Decodes one whole batch (`batch` is exactly the batch), checking its length, magic and
 * CRC32C first, then every record's structure: lengths inside their bounds, offset deltas
 * increasing within lastOffsetDelta, exactly recordCount records and no byte left over.
 * Throws `CorruptRecordError` for anything malformed and `UnsupportedCompressionError` for
 * snappy, lz4 and zstd. Keys, values and header values are views into `batch` (or into the
 * decompressed records).
 */
export function decodeRecordBatch(batch: Buffer): DecodedRecordBatch {
  const header = checkBatchIntegrity(batch, 0, batch.length);
  const compressed = header.compression !== 'none';
  const section = decompressRecords(header.compression, batch.subarray(RECORD_BATCH_HEADER_BYTES));
  const reader = compressed
    ? new ByteReader(section, 0, section.length, RECORD_BATCH_HEADER_BYTES)
    : new ByteReader(batch, RECORD_BATCH_HEADER_BYTES, batch.length);
  return { header, records: readRecords(reader, header) };
}

function readRecords(reader: ByteReader, header: RecordBatchHeader): Record[] {
  const count = header.recordCount;
  if (count > reader.remaining / recordBytesMin) {
    reader.fail(`recordCount ${count} cannot fit in ${reader.remaining} bytes of records`);
  }
  const records: Record[] = [];
  const baseOffset = header.baseOffset;
  const baseTimestamp = header.baseTimestamp;
  const lastOffsetDelta = header.lastOffsetDelta;
  const isLogAppendTime = (header.attributes & BATCH_ATTRIBUTES.logAppendTime) !== 0;
  const sectionEnd = reader.end;
  let previousOffsetDelta = -1;
  for (let index = 0; index < count; index++) {
    const recordPosition = reader.position;
    const length = reader.varint();
    if (length < RECORD_BODY_BYTES_MIN || length > reader.remaining) {
      reader.fail(`record ${index} has length ${length}, ${reader.remaining} bytes remain`, recordPosition);
    }
    reader.end = reader.position + length;
    reader.skip(1); // record attributes: unused
    const timestampDelta = reader.varlong();
    const offsetDelta = reader.varint();
    if (offsetDelta <= previousOffsetDelta || offsetDelta > lastOffsetDelta) {
      reader.fail(
        `record ${index} has offsetDelta ${offsetDelta}, after ${previousOffsetDelta} and up to ${lastOffsetDelta}`,
        recordPosition,
      );
    }
    previousOffsetDelta = offsetDelta;
    const key = reader.nullableBytes();
    const value = reader.nullableBytes();
    const headers = readHeaders(reader);
    if (reader.remaining !== 0) reader.fail(`record ${index} has ${reader.remaining} bytes left over`, recordPosition);
    reader.end = sectionEnd;
    const timestamp = isLogAppendTime ? header.maxTimestamp : baseTimestamp + timestampDelta;
    if (!Number.isSafeInteger(timestamp)) reader.fail(`record ${index} has timestamp ${timestamp}`, recordPosition);
    records.push({ offset: baseOffset + BigInt(offsetDelta), timestamp, key, value, headers });
  }
  if (reader.remaining !== 0) {
    reader.fail(`${reader.remaining} bytes follow the last of ${count} records`);
  }
  return records;
}

function readHeaders(reader: ByteReader): RecordHeader[] {
  const countPosition = reader.position;
  const count = reader.varint();
  const headers: RecordHeader[] = [];
  if (count === 0) return headers;
  if (count < 0 || count > reader.remaining / headerBytesMin) {
    reader.fail(`header count ${count} cannot fit in ${reader.remaining} bytes`, countPosition);
  }
  for (let index = 0; index < count; index++) {
    const key = reader.string();
    const value = reader.nullableBytes();
    headers.push({ key, value });
  }
  return headers;
}

