/**
 * Partition log throughput and open times:
 *   - append of 16 KiB and 1 MiB batches through PartitionLog (verify CRC, stamp, write, index),
 *     as a ratio to a plain sequential write of the same bytes to the same disk in the same run;
 *   - sequential read through PartitionLog.read (1 MiB fetches) from the page cache, as a ratio
 *     to plain positioned reads of the same file;
 *   - time to open 10,000 partitions (one batch each) after a clean and an unclean shutdown.
 *
 *   npx tsx tools/bench/log-append.ts [--json] [--partitions N]
 *
 * Measures the built package (`pnpm build` first); add `--conditions=@eddy/source` after `tsx`
 * to measure the sources instead. Rounds of the log and of the baseline alternate, so both see
 * the same disk; every figure is a median, and a ratio is the median of the per-round ratios, so
 * load from other processes that changes between rounds cancels out. The CPU ratio (process CPU
 * time, every thread) shows what the log costs beyond the write even on a saturated machine. The
 * whole run is bounded to one or two minutes.
 */
import { mkdtemp, open, readdir, rm, unlink } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { CLEAN_SHUTDOWN_FILE, LogManager, PartitionLog } from '@eddy/log';
import { batchSizeAt, encodeRecordBatch, readBatchHeader } from '@eddy/record';
import { formatBytes, formatNumber, formatTable, median } from './lib/index.js';

const KiB = 1024;
const MiB = 1024 * KiB;

interface ThroughputMeasurement {
  readonly name: string;
  readonly batchBytes: number;
  /** One operation in flight at a time, like the baseline. */
  readonly logMBps: number;
  /** `PIPELINE_DEPTH` appends in flight (a broker with many producers). */
  readonly pipelinedMBps: number | undefined;
  readonly baselineMBps: number;
  /** Median over rounds of (log round / baseline round of the same round): robust to load that changes between rounds. */
  readonly ratio: number;
  readonly pipelinedRatio: number | undefined;
  /** Appends whose CRC the caller checked already (the broker's leader path), one in flight. */
  readonly verifiedMBps: number | undefined;
  readonly verifiedRatio: number | undefined;
  /**
   * Median over rounds of (baseline CPU time / log CPU time) for the same bytes, every thread of
   * the process counted (the kernel copy into the page cache runs on libuv's pool): what the
   * log costs beyond the write, whatever else the machine runs.
   */
  readonly cpuRatio: number;
  readonly bytesPerRound: number;
  readonly rounds: number;
}

interface OpenMeasurement {
  readonly name: string;
  readonly partitions: number;
  readonly medianMs: number;
  readonly rounds: number;
}

/** One timed round: throughput and the process CPU time it took. */
interface Sample {
  readonly mbps: number;
  readonly cpuMs: number;
}

const json = process.argv.includes('--json');
const partitionsArg = process.argv.indexOf('--partitions');
const PARTITIONS = partitionsArg >= 0 ? Number(process.argv[partitionsArg + 1]) : 10_000;
/** A round is sized so the baseline takes about this long (after the warm-up measured it). */
const ROUND_TARGET_MS = 100;
const ROUND_BYTES_MIN = 16 * MiB;
const ROUND_BYTES_MAX = 256 * MiB;
const WARMUP_BYTES = 32 * MiB;
const PIPELINE_DEPTH = 8;
const ROUNDS_MAX = 15;
/** Per measured section (log variants + baseline), warm-up included. */
const SECTION_BUDGET_MS = 8_000;
/** The open rounds stop repeating once the run is this old (the 10,000-partition setup is a fixed cost). */
const RUN_BUDGET_MS = 50_000;
const runStarted = performance.now();

/** A batch of ~`batchBytes` made of 1 KiB records. */
function batchOf(batchBytes: number): Buffer {
  const records = Array.from({ length: Math.max(1, Math.floor(batchBytes / 1040)) }, (_, i) => ({
    key: `key-${i}`,
    value: Buffer.alloc(1024, i & 0xff),
  }));
  return encodeRecordBatch(records, { timestampMs: Date.now() });
}

/** Times `run` (which returns the bytes it moved) in wall and process CPU time. */
async function timed(run: () => Promise<number>): Promise<Sample> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const bytes = await run();
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return { mbps: bytes / 1e6 / (elapsedMs / 1000), cpuMs: (cpu.user + cpu.system) / 1000 };
}

async function appendRound(dir: string, batch: Buffer, roundBytes: number, depth: number, crcVerified = false): Promise<Sample> {
  const log = await PartitionLog.open(path.join(dir, `append-${Date.now()}-0`), { maxMessageBytes: 2 * MiB });
  const buffers = Array.from({ length: depth }, () => Buffer.from(batch));
  const count = Math.ceil(roundBytes / batch.length);
  let issued = 0;
  const lane = async (buffer: Buffer): Promise<void> => {
    while (issued < count) {
      issued++;
      await log.append(buffer, { leaderEpoch: 0, assignOffsets: true, crcVerified });
    }
  };
  const sample = await timed(async () => {
    await Promise.all(buffers.map(lane));
    return count * batch.length;
  });
  await log.abandon();
  await rm(log.dir, { recursive: true, force: true });
  return sample;
}

async function writeRound(dir: string, batch: Buffer, roundBytes: number): Promise<Sample> {
  const file = path.join(dir, `plain-${Date.now()}.bin`);
  const handle = await open(file, 'w');
  const count = Math.ceil(roundBytes / batch.length);
  const sample = await timed(async () => {
    for (let i = 0; i < count; i++) await handle.write(batch, 0, batch.length, null);
    return count * batch.length;
  });
  await handle.close();
  await unlink(file);
  return sample;
}

/** Round size for a baseline measured at `mbps` during the warm-up. */
function roundBytesFor(mbps: number, batchBytes: number): number {
  const bytes = Math.min(ROUND_BYTES_MAX, Math.max(ROUND_BYTES_MIN, mbps * 1e3 * ROUND_TARGET_MS));
  return Math.ceil(bytes / batchBytes) * batchBytes;
}

interface Alternated {
  /** samples[i][round] of measurement i. */
  readonly samples: Sample[][];
  readonly roundBytes: number;
}

/**
 * Alternating rounds of each measurement (the first is the baseline), within the section
 * budget, after a warm-up round of each that also sizes the rounds.
 */
async function alternating(batchBytes: number, measurements: ReadonlyArray<(roundBytes: number) => Promise<Sample>>): Promise<Alternated> {
  const samples = measurements.map((): Sample[] => []);
  const started = performance.now();
  let roundBytes = WARMUP_BYTES;
  for (const [i, measure] of measurements.entries()) {
    const warm = await measure(WARMUP_BYTES); // JIT, page cache, file system
    if (i === 0) roundBytes = roundBytesFor(warm.mbps, batchBytes);
  }
  const base = samples[0] as Sample[];
  while (base.length < ROUNDS_MAX && (base.length === 0 || performance.now() - started < SECTION_BUDGET_MS)) {
    for (const [i, measure] of measurements.entries()) (samples[i] as Sample[]).push(await measure(roundBytes));
  }
  return { samples, roundBytes };
}

/** Median of the per-round ratio `of(sample, baseline)`. */
function pairedRatio(base: readonly Sample[], other: readonly Sample[], of: (sample: Sample, baseline: Sample) => number): number {
  return median(other.map((sample, round) => of(sample, base[round] as Sample)));
}

const throughputRatio = (sample: Sample, baseline: Sample): number => sample.mbps / baseline.mbps;
const cpuRatio = (sample: Sample, baseline: Sample): number => baseline.cpuMs / sample.cpuMs;
const medianMBps = (samples: readonly Sample[]): number => median(samples.map((sample) => sample.mbps));

async function measureAppends(dir: string, batchBytes: number): Promise<ThroughputMeasurement> {
  const batch = batchOf(batchBytes);
  const { samples, roundBytes } = await alternating(batch.length, [
    (bytes) => writeRound(dir, batch, bytes),
    (bytes) => appendRound(dir, batch, bytes, 1),
    (bytes) => appendRound(dir, batch, bytes, PIPELINE_DEPTH),
    (bytes) => appendRound(dir, batch, bytes, 1, true),
  ]);
  const [base = [], sequential = [], pipelined = [], verified = []] = samples;
  return {
    name: 'append',
    batchBytes: batch.length,
    logMBps: medianMBps(sequential),
    pipelinedMBps: medianMBps(pipelined),
    baselineMBps: medianMBps(base),
    ratio: pairedRatio(base, sequential, throughputRatio),
    pipelinedRatio: pairedRatio(base, pipelined, throughputRatio),
    verifiedMBps: medianMBps(verified),
    verifiedRatio: pairedRatio(base, verified, throughputRatio),
    cpuRatio: pairedRatio(base, sequential, cpuRatio),
    bytesPerRound: roundBytes,
    rounds: base.length,
  };
}

async function measureReads(dir: string): Promise<ThroughputMeasurement> {
  const batch = batchOf(16 * KiB);
  const log = await PartitionLog.open(path.join(dir, 'read-0'));
  const logBytes = 128 * MiB;
  const count = Math.ceil(logBytes / batch.length);
  for (let i = 0; i < count; i++) await log.append(batch, { leaderEpoch: 0, assignOffsets: true });
  const segmentFile = path.join(log.dir, '00000000000000000000.log');
  const readLog = (): Promise<Sample> =>
    timed(async () => {
      let offset = 0n;
      let bytes = 0;
      while (offset < log.logEndOffset) {
        const { records } = await log.read(offset, MiB);
        bytes += records.length;
        // Continue after the last batch returned: step over the others by their length (what
        // the consumer does with them is not the log's cost).
        let last = 0;
        for (let position = 0; position < records.length; position += batchSizeAt(records, position) ?? records.length) last = position;
        const header = readBatchHeader(records, last);
        offset = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
      }
      return bytes;
    });
  const readPlain = async (): Promise<Sample> => {
    const handle = await open(segmentFile, 'r');
    const size = (await handle.stat()).size;
    let position = 0;
    const sample = await timed(async () => {
      while (position < size) {
        const chunk = Buffer.allocUnsafe(Math.min(MiB, size - position));
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
        position += bytesRead;
      }
      return size;
    });
    await handle.close();
    return sample;
  };
  const { samples } = await alternating(batch.length, [readPlain, readLog]);
  const [base = [], logRounds = []] = samples;
  await log.close();
  await rm(log.dir, { recursive: true, force: true });
  return {
    name: 'read 1 MiB (page cache)',
    batchBytes: batch.length,
    logMBps: medianMBps(logRounds),
    pipelinedMBps: undefined,
    baselineMBps: medianMBps(base),
    ratio: pairedRatio(base, logRounds, throughputRatio),
    pipelinedRatio: undefined,
    verifiedMBps: undefined,
    verifiedRatio: undefined,
    cpuRatio: pairedRatio(base, logRounds, cpuRatio),
    bytesPerRound: logBytes,
    rounds: base.length,
  };
}

async function measureOpens(dir: string): Promise<OpenMeasurement[]> {
  const dataDir = path.join(dir, 'many');
  const batch = batchOf(512);
  const setup = new LogManager({ dataDir, maxOpenFiles: 256 });
  for (let start = 0; start < PARTITIONS; start += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, PARTITIONS - start) }, async (_, j) => {
        const i = start + j;
        const log = await setup.getOrCreate(`topic${i % 100}`, Math.floor(i / 100));
        await log.append(Buffer.from(batch), { leaderEpoch: 0, assignOffsets: true });
      }),
    );
  }
  await setup.close();
  const openOnce = async (): Promise<number> => {
    const manager = new LogManager({ dataDir, maxOpenFiles: 256 });
    const started = performance.now();
    await manager.openAll();
    const elapsed = performance.now() - started;
    await manager.close();
    return elapsed;
  };
  const removeMarkers = async (): Promise<void> => {
    const names = await readdir(dataDir);
    await Promise.all(names.map((name) => rm(path.join(dataDir, name, CLEAN_SHUTDOWN_FILE), { force: true })));
  };
  const clean: number[] = [];
  const unclean: number[] = [];
  for (let round = 0; round < 3 && (round === 0 || performance.now() - runStarted < RUN_BUDGET_MS); round++) {
    clean.push(await openOnce());
    await removeMarkers(); // what a crash leaves: no marker, so every partition is recovered
    unclean.push(await openOnce());
  }
  return [
    { name: 'open after clean shutdown', partitions: PARTITIONS, medianMs: median(clean), rounds: clean.length },
    { name: 'open after unclean shutdown', partitions: PARTITIONS, medianMs: median(unclean), rounds: unclean.length },
  ];
}

async function main(): Promise<void> {
  const started = runStarted;
  const dir = await mkdtemp(path.join(tmpdir(), 'eddy-bench-log-'));
  try {
    const throughput = [await measureAppends(dir, 16 * KiB), await measureAppends(dir, MiB), await measureReads(dir)];
    const opens = await measureOpens(dir);
    const elapsedS = (performance.now() - started) / 1000;
    if (json) {
      console.log(JSON.stringify({ benchmark: 'log-append', node: process.version, elapsedS, throughput, opens }, null, 2));
      return;
    }
    console.log(`Partition log: Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} CPUs, ${dir}`);
    console.log(
      formatTable(
        ['operation', 'batch', 'plain fs MB/s', 'log MB/s', 'ratio', 'CPU ratio', `log MB/s, ${PIPELINE_DEPTH} in flight`, 'ratio', 'log MB/s, CRC checked upstream', 'ratio', 'round', 'rounds'],
        throughput.map((m) => [
          m.name,
          formatBytes(m.batchBytes),
          formatNumber(m.baselineMBps),
          formatNumber(m.logMBps),
          m.ratio.toFixed(2),
          m.cpuRatio.toFixed(2),
          m.pipelinedMBps === undefined ? '-' : formatNumber(m.pipelinedMBps),
          m.pipelinedRatio === undefined ? '-' : m.pipelinedRatio.toFixed(2),
          m.verifiedMBps === undefined ? '-' : formatNumber(m.verifiedMBps),
          m.verifiedRatio === undefined ? '-' : m.verifiedRatio.toFixed(2),
          formatBytes(m.bytesPerRound),
          m.rounds,
        ]),
      ),
    );
    console.log();
    console.log(formatTable(['open', 'partitions', 'median ms', 'rounds'], opens.map((m) => [m.name, m.partitions, formatNumber(m.medianMs), m.rounds])));
    console.log(
      'Medians over rounds; a ratio is the median of per-round ratios to the plain fs round run beside it (CPU ratio: plain CPU time / log CPU time,',
    );
    console.log(`all threads); plain fs = sequential writes/reads of the same bytes to the same disk; ${elapsedS.toFixed(1)} s.`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
