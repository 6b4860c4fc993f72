import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { assert, type Clock, EddyError, type Logger, silentLogger, systemClock } from '@eddy/base';
import { syncDirectory } from './checkpoint-file.js';
import type { LogConfigInput } from './config.js';
import { FileHandleCache } from './file-handle-cache.js';
import { DELETE_DIR_SUFFIX, parsePartitionDirName, partitionDirName, type TopicPartition } from './file-names.js';
import { logLimits } from './limits.js';
import { PartitionLog } from './partition-log.js';

export interface LogManagerOptions {
  readonly dataDir: string;
  /** Config of every log unless `getOrCreate`/`openAll` give overrides. */
  readonly defaultConfig?: LogConfigInput;
  /** Open file descriptors the segment handle cache may keep (default 1024). */
  readonly maxOpenFiles?: number;
  /** How often retention runs in the background (Kafka's default: 5 minutes). */
  readonly retentionCheckIntervalMs?: number;
  /** How often flush.ms is checked and recovery points are checkpointed. */
  readonly flushCheckIntervalMs?: number;
}

export interface LogManagerDeps {
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/**
 * Owns the partition logs under one data directory: opens them all at start, creates and
 * deletes them, runs retention and flush.ms in the background, and bounds the file descriptors
 * all of them use together through one shared handle cache.
 */
export class LogManager {
  readonly dataDir: string;
  readonly fileCache: FileHandleCache;
  private readonly logs = new Map<string, PartitionLog>();
  private readonly opening = new Map<string, Promise<PartitionLog>>();
  private readonly deletions = new Set<Promise<void>>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly defaultConfig: LogConfigInput;
  private readonly retentionCheckIntervalMs: number;
  private readonly flushCheckIntervalMs: number;
  private retentionTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private retentionRun: Promise<unknown> | undefined;
  private flushRun: Promise<unknown> | undefined;
  private dataDirReady: Promise<void> | undefined;
  private dataDirDirty = false;
  private closed = false;
  private deleteCounter = 0;

  constructor(options: LogManagerOptions, deps: LogManagerDeps = {}) {
    const maxOpenFiles = options.maxOpenFiles ?? logLimits.openFileHandlesDefault;
    assert(
      Number.isInteger(maxOpenFiles) && maxOpenFiles >= logLimits.openFileHandlesMin && maxOpenFiles <= logLimits.openFileHandlesMax,
      `maxOpenFiles must be in [${logLimits.openFileHandlesMin}, ${logLimits.openFileHandlesMax}], got ${maxOpenFiles}`,
    );
    this.dataDir = options.dataDir;
    this.fileCache = new FileHandleCache(maxOpenFiles);
    this.clock = deps.clock ?? systemClock;
    this.logger = (deps.logger ?? silentLogger).child({ component: 'log-manager' });
    this.defaultConfig = options.defaultConfig ?? {};
    this.retentionCheckIntervalMs = options.retentionCheckIntervalMs ?? 5 * 60 * 1000;
    this.flushCheckIntervalMs = options.flushCheckIntervalMs ?? 1000;
  }

  /** Open descriptors of segment files right now (bounded by maxOpenFiles while idle). */
  get openFileCount(): number {
    return this.fileCache.openCount;
  }

  get size(): number {
    return this.logs.size;
  }

  /**
   * Opens every partition directory under the data dir (at most `openConcurrencyMax` at a
   * time) and finishes deletions a crash interrupted. Returns how many logs it opened.
   */
  async openAll(configFor: (partition: TopicPartition) => LogConfigInput | undefined = () => undefined): Promise<number> {
    this.checkOpen();
    await this.ensureDataDir();
    const names = await readdir(this.dataDir);
    const partitions: TopicPartition[] = [];
    for (const name of names) {
      if (name.endsWith(DELETE_DIR_SUFFIX)) {
        this.track(rm(path.join(this.dataDir, name), { recursive: true, force: true }));
        continue;
      }
      const parsed = parsePartitionDirName(name);
      if (parsed !== undefined) partitions.push(parsed);
    }
    await forEachLimited(partitions, logLimits.openConcurrencyMax, async (tp) => {
      await this.getOrCreate(tp.topic, tp.partition, configFor(tp));
    });
    this.logger.info({ partitions: partitions.length }, 'opened the partition logs');
    return partitions.length;
  }

  /**
   * The log of a partition, opened or created on first use. With `topicId`, a log that records
   * no topic id yet (new, or created before ids were recorded) records this one before it is
   * returned; a log that records another keeps it: the caller compares `log.topicId`. A crash
   * between creating a log and recording its id leaves it empty (nothing is appended before the
   * id is on disk), so adopting it afterwards is safe.
   */
  async getOrCreate(topic: string, partition: number, config?: LogConfigInput, topicId?: string): Promise<PartitionLog> {
    const log = await this.openLog(topic, partition, config);
    if (topicId !== undefined && (log.topicId === undefined || log.topicId === topicId)) await log.assignTopicId(topicId);
    return log;
  }

  private openLog(topic: string, partition: number, config: LogConfigInput | undefined): Promise<PartitionLog> {
    if (this.closed) return Promise.reject(this.closedError());
    const key = partitionDirName(topic, partition);
    const existing = this.logs.get(key);
    if (existing !== undefined) return Promise.resolve(existing);
    let pending = this.opening.get(key);
    if (pending === undefined) {
      pending = (async () => {
        await this.ensureDataDir();
        const log = await PartitionLog.open(path.join(this.dataDir, key), { ...this.defaultConfig, ...config }, {
          clock: this.clock,
          logger: this.logger,
          fileCache: this.fileCache,
          syncParentDir: false,
        });
        this.dataDirDirty = true;
        this.logs.set(key, log);
        return log;
      })().finally(() => this.opening.delete(key));
      this.opening.set(key, pending);
    }
    return pending;
  }

  get(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(partitionDirName(topic, partition));
  }

  /** Every open partition. */
  partitions(): TopicPartition[] {
    return [...this.logs.keys()].map((key) => parsePartitionDirName(key) as TopicPartition);
  }

  /**
   * Deletes a partition replica: stops its log without flushing, renames its directory to
   * `<dir>.<n>-delete` (durably, so a restart finishes the job) and removes it in the background.
   */
  async delete(topic: string, partition: number): Promise<void> {
    this.checkOpen();
    const key = partitionDirName(topic, partition);
    await this.opening.get(key)?.catch(() => undefined);
    const log = this.logs.get(key);
    if (log === undefined) return;
    this.logs.delete(key);
    await log.abandon();
    const doomed = path.join(this.dataDir, `${key}.${this.clock.wallMs()}${++this.deleteCounter}${DELETE_DIR_SUFFIX}`);
    await rename(path.join(this.dataDir, key), doomed);
    await syncDirectory(this.dataDir);
    this.track(rm(doomed, { recursive: true, force: true }));
  }

  /** One retention pass over every log, one log at a time. */
  async applyRetention(): Promise<number> {
    let deleted = 0;
    for (const log of [...this.logs.values()]) {
      try {
        deleted += (await log.applyRetention()).deletedSegments;
      } catch (error) {
        this.logger.error({ dir: log.dir, error: String(error) }, 'retention failed');
      }
    }
    return deleted;
  }

  /** flush.ms for every log, the recovery point checkpoints, and new partition directories. */
  async flushDue(): Promise<void> {
    if (this.dataDirDirty) {
      this.dataDirDirty = false;
      await syncDirectory(this.dataDir);
    }
    for (const log of [...this.logs.values()]) {
      try {
        await log.flushIfDue();
        await log.checkpointRecoveryPoint();
      } catch (error) {
        if (!(error instanceof EddyError)) throw error;
        this.logger.error({ dir: log.dir, error: error.message }, 'background flush failed');
      }
    }
  }

  /** Starts the retention and flush timers (unref'd: they never keep the process alive). */
  startBackgroundTasks(): void {
    this.checkOpen();
    const schedule = (intervalMs: number, task: () => Promise<unknown>, set: (timer: NodeJS.Timeout) => void, track: (run: Promise<unknown>) => void): void => {
      const timer = setTimeout(() => {
        if (this.closed) return;
        const run = task().catch((error: unknown) => this.logger.error({ error: String(error) }, 'background log task failed'));
        track(run);
        void run.finally(() => {
          if (!this.closed) schedule(intervalMs, task, set, track);
        });
      }, intervalMs);
      timer.unref();
      set(timer);
    };
    schedule(
      this.retentionCheckIntervalMs,
      () => this.applyRetention(),
      (timer) => {
        this.retentionTimer = timer;
      },
      (run) => {
        this.retentionRun = run;
      },
    );
    schedule(
      this.flushCheckIntervalMs,
      () => this.flushDue(),
      (timer) => {
        this.flushTimer = timer;
      },
      (run) => {
        this.flushRun = run;
      },
    );
  }

  /** Stops the timers and closes every log cleanly (flushed, with a clean-shutdown marker). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retentionTimer);
    clearTimeout(this.flushTimer);
    await this.retentionRun;
    await this.flushRun;
    await Promise.all([...this.opening.values()].map((pending) => pending.catch(() => undefined)));
    const logs = [...this.logs.values()];
    await forEachLimited(logs, logLimits.openConcurrencyMax, (log) => log.close());
    this.logs.clear();
    if (this.dataDirDirty) await syncDirectory(this.dataDir).catch(() => undefined);
    await Promise.all(this.deletions);
    await this.fileCache.closeIdle();
  }

  private ensureDataDir(): Promise<void> {
    this.dataDirReady ??= mkdir(this.dataDir, { recursive: true }).then(() => undefined);
    return this.dataDirReady;
  }

  private track(deletion: Promise<void>): void {
    const tracked = deletion.catch((error: unknown) => this.logger.warn({ error: String(error) }, 'could not remove a deleted partition'));
    this.deletions.add(tracked);
    void tracked.finally(() => this.deletions.delete(tracked));
  }

  private checkOpen(): void {
    if (this.closed) throw this.closedError();
  }

  private closedError(): EddyError {
    return new EddyError('KAFKA_STORAGE_ERROR', 'the log manager is closed');
  }
}

/** Runs `task` over `items` with at most `limit` in flight. */
async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
