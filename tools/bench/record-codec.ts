/**
 * RecordBatch codec throughput: encode, decode and verifyBatch (the broker's per-batch cost) for
 * 100 B and 1 KiB records (a 16-byte key and a JSON-like value) in batches of at most 16 KiB and
 * 1 MiB, uncompressed and gzip.
 *
 *   npx tsx tools/bench/record-codec.ts [--json]
 *
 * Measures the built package (`pnpm build` first); add `--conditions=@eddy/source` after `tsx`
 * to measure the sources instead. MB/s counts uncompressed batch bytes (10^6 bytes per MB);
 * every figure is the median of timed rounds after a warm-up. About 25 s in all.
 */
import { cpus } from 'node:os';
import { Prng } from '@eddy/base';
import {
  type Compression,
  decodeRecordBatch,
  encodeRecordBatch,
  RECORD_BATCH_HEADER_BYTES,
  type RecordInput,
  verifyBatch,
} from '@eddy/record';
import {
  formatBytes,
  formatNumber,
  formatTable,
  type RoundsResult,
  type TableColumn,
  timeRounds,
  type TimeRoundsOptions,
} from './lib/index.js';

interface Scenario {
  readonly recordBytes: number;
  readonly batchBytes: number;
  readonly compression: Compression;
}

interface Measurement {
  readonly operation: 'encode' | 'decode' | 'verifyBatch';
  readonly recordBytes: number;
  readonly batchBytesTarget: number;
  readonly compression: Compression;
  readonly recordsPerBatch: number;
  /** Encoded size (compressed, for gzip). */
  readonly encodedBytes: number;
  /** Size of the same batch uncompressed: the basis of MB/s. */
  readonly uncompressedBytes: number;
  readonly mbPerSecond: number;
  readonly recordsPerSecond: number;
  readonly microsPerBatch: number;
  readonly rounds: number;
}

const KEY_BYTES = 16;
const KiB = 1024;
const MiB = 1024 * KiB;

const scenarios: readonly Scenario[] = [
  { recordBytes: 100, batchBytes: 16 * KiB, compression: 'none' },
  { recordBytes: 100, batchBytes: MiB, compression: 'none' },
  { recordBytes: KiB, batchBytes: 16 * KiB, compression: 'none' },
  { recordBytes: KiB, batchBytes: MiB, compression: 'none' },
  { recordBytes: 100, batchBytes: 16 * KiB, compression: 'gzip' },
  { recordBytes: KiB, batchBytes: MiB, compression: 'gzip' },
];

const timing: TimeRoundsOptions = { warmupMs: 250, roundMs: 120, rounds: 7, budgetMs: 1800 };

/** Log-like text values: compressible roughly as real payloads are, unlike random bytes. */
function makeRecords(prng: Prng, scenario: Scenario): RecordInput[] {
  const words = ['user', 'order', 'id', 'status', 'created', 'amount', 'EUR', 'shipped', 'true', 'false', 'item', 'sku'];
  const makeValue = (): Buffer => {
    let text = '{';
    while (text.length < scenario.recordBytes - KEY_BYTES) {
      text += `"${prng.pick(words)}":${prng.intBetween(0, 99_999)},`;
    }
    return Buffer.from(text.slice(0, scenario.recordBytes - KEY_BYTES));
  };
  const recordCount = Math.floor((scenario.batchBytes - RECORD_BATCH_HEADER_BYTES) / scenario.recordBytes);
  const baseTimestamp = 1_700_000_000_000;
  const records = Array.from({ length: recordCount }, (_, index) => ({
    key: Buffer.from(`key-${String(prng.intBetween(0, 1e9)).padStart(KEY_BYTES - 4, '0')}`),
    value: makeValue(),
    timestamp: baseTimestamp + Math.floor(index / 10),
  }));
  // Drop records until the uncompressed batch fits the target size.
  for (;;) {
    const excessBytes = encodeRecordBatch(records).length - scenario.batchBytes;
    if (excessBytes <= 0 || records.length === 1) return records;
    records.length = Math.max(1, records.length - Math.ceil(excessBytes / scenario.recordBytes));
  }
}

function measure(scenario: Scenario, prng: Prng): Measurement[] {
  const records = makeRecords(prng, scenario);
  const options = { compression: scenario.compression, timestampMs: 1_700_000_000_000 };
  const batch = encodeRecordBatch(records, options);
  const uncompressedBytes =
    scenario.compression === 'none' ? batch.length : encodeRecordBatch(records, { ...options, compression: 'none' }).length;
  // Pair the checks: what we measure must round-trip.
  const decoded = decodeRecordBatch(batch);
  if (decoded.records.length !== records.length) throw new Error('the benchmark batch does not round-trip');

  const operations: ReadonlyArray<readonly [Measurement['operation'], () => unknown]> = [
    ['encode', () => encodeRecordBatch(records, options)],
    ['decode', () => decodeRecordBatch(batch)],
    ['verifyBatch', () => verifyBatch(batch)],
  ];
  return operations.map(([operation, run]) => {
    const result: RoundsResult = timeRounds(run, timing);
    const batchesPerSecond = result.opsPerSecond;
    return {
      operation,
      recordBytes: scenario.recordBytes,
      batchBytesTarget: scenario.batchBytes,
      compression: scenario.compression,
      recordsPerBatch: records.length,
      encodedBytes: batch.length,
      uncompressedBytes,
      mbPerSecond: (batchesPerSecond * uncompressedBytes) / 1e6,
      recordsPerSecond: batchesPerSecond * records.length,
      microsPerBatch: result.medianNsPerOp / 1e3,
      rounds: result.nsPerOp.length,
    };
  });
}

function main(): void {
  const json = process.argv.includes('--json');
  const prng = new Prng(20_240_601);
  const startedMs = performance.now();
  const measurements = scenarios.flatMap((scenario) => measure(scenario, prng));
  const elapsedS = (performance.now() - startedMs) / 1000;
  if (json) {
    console.log(JSON.stringify({ benchmark: 'record-codec', node: process.version, elapsedS, measurements }, null, 2));
    return;
  }
  const right = (title: string): TableColumn => ({ title, align: 'right' });
  const columns = [
    'records',
    'batch',
    'compression',
    'operation',
    right('records/batch'),
    right('MB/s'),
    right('records/s'),
    right('µs/batch'),
  ];
  const rows = measurements.map((m) => [
    formatBytes(m.recordBytes),
    formatBytes(m.batchBytesTarget),
    m.compression === 'none' ? 'none' : `${m.compression} (${formatBytes(m.encodedBytes)})`,
    m.operation,
    formatNumber(m.recordsPerBatch),
    formatNumber(m.mbPerSecond),
    formatNumber(m.recordsPerSecond),
    formatNumber(m.microsPerBatch, 1),
  ]);
  console.log(`RecordBatch codec: Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} CPUs`);
  console.log(formatTable(columns, rows));
  console.log(`MB/s counts uncompressed batch bytes; medians of up to ${timing.rounds ?? 0} rounds; ${elapsedS.toFixed(1)} s.`);
}

main();
