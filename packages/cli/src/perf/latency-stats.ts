import { build, type Histogram } from 'hdr-histogram-js';

/** Latency figures in milliseconds, throughput in records and MiB per second. */
export interface PerfSummary {
  readonly records: number;
  readonly bytes: number;
  readonly elapsedMs: number;
  readonly recordsPerSecond: number;
  readonly mbPerSecond: number;
  readonly avgLatencyMs: number;
  readonly maxLatencyMs: number;
  readonly p50LatencyMs: number;
  readonly p95LatencyMs: number;
  readonly p99LatencyMs: number;
  readonly p999LatencyMs: number;
}

const MiB = 1024 * 1024;
/** Latencies are kept in microseconds, up to ten minutes, to three significant digits. */
const histogramOptions = { lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 } as const;

/**
 * Counts records and bytes and keeps their latencies in an HDR histogram (bounded memory
 * whatever the record count), for `eddy perf`'s periodic and final reports.
 */
export class LatencyStats {
  private histogram: Histogram = build(histogramOptions);
  private records = 0;
  private bytes = 0;

  constructor(private startedMs: number) {}

  record(latencyMs: number, bytes: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(latencyMs * 1000)));
    this.records++;
    this.bytes += bytes;
  }

  get count(): number {
    return this.records;
  }

  summary(nowMs: number): PerfSummary {
    const elapsedMs = Math.max(1, nowMs - this.startedMs);
    const ms = (micros: number): number => micros / 1000;
    const empty = this.records === 0;
    return {
      records: this.records,
      bytes: this.bytes,
      elapsedMs,
      recordsPerSecond: (this.records * 1000) / elapsedMs,
      mbPerSecond: (this.bytes * 1000) / elapsedMs / MiB,
      avgLatencyMs: empty ? 0 : ms(this.histogram.mean),
      maxLatencyMs: empty ? 0 : ms(this.histogram.maxValue),
      p50LatencyMs: empty ? 0 : ms(this.histogram.getValueAtPercentile(50)),
      p95LatencyMs: empty ? 0 : ms(this.histogram.getValueAtPercentile(95)),
      p99LatencyMs: empty ? 0 : ms(this.histogram.getValueAtPercentile(99)),
      p999LatencyMs: empty ? 0 : ms(this.histogram.getValueAtPercentile(99.9)),
    };
  }

  /** Starts a new window (for periodic reports) at `nowMs`. */
  reset(nowMs: number): void {
    this.histogram.destroy();
    this.histogram = build(histogramOptions);
    this.records = 0;
    this.bytes = 0;
    this.startedMs = nowMs;
  }

  close(): void {
    this.histogram.destroy();
  }
}

const fixed = (value: number, digits = 2): string => value.toFixed(digits);

/** Kafka's kafka-producer-perf-test progress line. */
export function formatWindow(summary: PerfSummary): string {
  return (
    `${summary.records} records sent, ${fixed(summary.recordsPerSecond, 1)} records/sec (${fixed(summary.mbPerSecond)} MB/sec), ` +
    `${fixed(summary.avgLatencyMs, 1)} ms avg latency, ${fixed(summary.maxLatencyMs, 1)} ms max latency.`
  );
}

/** Kafka's kafka-producer-perf-test closing line. */
export function formatTotal(summary: PerfSummary): string {
  return (
    `${summary.records} records sent, ${fixed(summary.recordsPerSecond, 1)} records/sec (${fixed(summary.mbPerSecond)} MB/sec), ` +
    `${fixed(summary.avgLatencyMs)} ms avg latency, ${fixed(summary.maxLatencyMs)} ms max latency, ` +
    `${fixed(summary.p50LatencyMs)} ms 50th, ${fixed(summary.p95LatencyMs)} ms 95th, ${fixed(summary.p99LatencyMs)} ms 99th, ${fixed(summary.p999LatencyMs)} ms 99.9th.`
  );
}
