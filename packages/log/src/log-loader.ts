import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@eddy/base';
import { isNotFound, parseOffsetCheckpoint, readTextFile, syncDirectory } from './checkpoint-file.js';
import {
  CLEAN_SHUTDOWN_FILE,
  DELETED_SUFFIX,
  LEADER_EPOCH_FILE,
  LOG_START_OFFSET_FILE,
  OFFSET_INDEX_SUFFIX,
  parseSegmentFileName,
  RECOVERY_POINT_FILE,
  TIME_INDEX_SUFFIX,
} from './file-names.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import { LogSegment, type SegmentDeps } from './segment.js';

/**
 * Loading a partition directory (Kafka's LogLoader): lists the segments, removes leftovers of
 * interrupted deletions, and either trusts the indexes after a clean shutdown (scanning only
 * the tail of the active segment) or recovers every segment from the recovery point on.
 */

export interface LoadedLog {
  readonly segments: LogSegment[];
  readonly logStartOffset: bigint;
  readonly recoveryPoint: bigint;
  readonly checkpointedRecoveryPoint: bigint | undefined;
  /** Loaded (and updated from the scanned batches) by a recovery; undefined to load lazily. */
  readonly epochs: LeaderEpochCache | undefined;
  readonly epochsChanged: boolean;
  readonly markerPresent: boolean;
  /** After a crash the log may end below a persisted log start offset. */
  readonly startBeyondEnd: boolean;
  /** Files were created or renamed and the directory not fsynced yet. */
  readonly dirDirty: boolean;
}

export async function loadLog(dir: string, deps: SegmentDeps, syncParent: boolean, logger: Logger): Promise<LoadedLog> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await mkdir(dir, { recursive: true });
    if (syncParent) await syncDirectory(path.dirname(dir));
    names = [];
  }
  const nameSet = new Set(names);
  const clean = nameSet.has(CLEAN_SHUTDOWN_FILE);
  const logBases: bigint[] = [];
  const leftovers: string[] = [];
  const hasLog = new Set<string>();
  for (const name of names) {
    const parsed = parseSegmentFileName(name);
    if (parsed?.kind === 'log') {
      logBases.push(parsed.baseOffset);
      hasLog.add(name.slice(0, 20));
    }
  }
  for (const name of names) {
    const parsed = parseSegmentFileName(name);
    if (name.endsWith(DELETED_SUFFIX) || name.endsWith('.tmp') || (parsed !== undefined && !hasLog.has(name.slice(0, 20)))) leftovers.push(name);
  }
  await Promise.all(leftovers.map((name) => unlink(path.join(dir, name)).catch(() => undefined)));
  logBases.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  let logStartOffset: bigint | undefined;
  if (nameSet.has(LOG_START_OFFSET_FILE)) {
    const text = await readTextFile(path.join(dir, LOG_START_OFFSET_FILE));
    logStartOffset = text === undefined ? undefined : parseOffsetCheckpoint(text);
    if (logStartOffset === undefined) logger.warn('the log start offset checkpoint is corrupt; using the first segment');
  }

  if (logBases.length === 0) {
    const segment = await LogSegment.create(dir, logStartOffset ?? 0n, deps);
    const start = logStartOffset ?? 0n;
    return {
      dirDirty: true,
      segments: [segment],
      logStartOffset: start,
      recoveryPoint: start,
      checkpointedRecoveryPoint: undefined,
      epochs: nameSet.has(LEADER_EPOCH_FILE) ? undefined : new LeaderEpochCache(),
      epochsChanged: false,
      markerPresent: clean,
      startBeyondEnd: false,
    };
  }

  const sizes = await Promise.all(logBases.map(async (base) => (await stat(path.join(dir, `${base.toString().padStart(20, '0')}.log`))).size));
  const segments = logBases.map((base, i) => {
    const name = base.toString().padStart(20, '0');
    const indexFilesOnDisk = nameSet.has(`${name}${OFFSET_INDEX_SUFFIX}`) || nameSet.has(`${name}${TIME_INDEX_SUFFIX}`);
    return LogSegment.existing(dir, base, sizes[i] as number, logBases[i + 1] ?? base, indexFilesOnDisk, deps);
  });
  const active = segments.at(-1) as LogSegment;
  const readRecoveryPoint = async (): Promise<bigint | undefined> => {
    const text = nameSet.has(RECOVERY_POINT_FILE) ? await readTextFile(path.join(dir, RECOVERY_POINT_FILE)) : undefined;
    return text === undefined ? undefined : parseOffsetCheckpoint(text);
  };
  /** Where recovery starts scanning, when it is needed. */
  let recoverFrom: bigint | undefined;
  /** What is known to be fsynced: the checkpoint (everything, after a clean shutdown). */
  let durableOffset: bigint | undefined;
  if (clean) {
    const problem = await active.activate();
    if (problem !== undefined) {
      logger.warn({ problem }, 'the active segment is damaged despite a clean shutdown; recovering it');
      recoverFrom = active.baseOffset;
      const checkpointed = await readRecoveryPoint();
      durableOffset = checkpointed !== undefined && checkpointed > recoverFrom ? checkpointed : recoverFrom;
    }
  } else {
    recoverFrom = (await readRecoveryPoint()) ?? 0n;
    durableOffset = recoverFrom;
  }

  let epochs: LeaderEpochCache | undefined;
  let epochsChanged = false;
  let recoveryPoint: bigint;
  let checkpointedRecoveryPoint: bigint | undefined;
  if (recoverFrom === undefined) {
    recoveryPoint = active.nextOffset;
    // Loaded on first use, unless there is nothing to load.
    if (!nameSet.has(LEADER_EPOCH_FILE)) epochs = new LeaderEpochCache();
  } else {
    checkpointedRecoveryPoint = durableOffset;
    const text = nameSet.has(LEADER_EPOCH_FILE) ? await readTextFile(path.join(dir, LEADER_EPOCH_FILE)) : undefined;
    epochs = (text === undefined ? undefined : LeaderEpochCache.parse(text)) ?? new LeaderEpochCache();
    const cache = epochs;
    const first = segments.findIndex((_segment, i) => i === segments.length - 1 || (segments[i + 1] as LogSegment).baseOffset > recoverFrom);
        logger.info({ recoveryPoint: String(recoverFrom), segments: segments.length - first }, 'recovering after an unclean shutdown');
    // Epoch entries from the recovered range on may be stale (written for batches a crash or an
    // unpersisted truncation took away): drop them and re-derive them from the batches scanned.
    epochsChanged = cache.truncateFromEnd((segments[first] as LogSegment).baseOffset);
    let filesChanged = false;
    for (let i = first; i < segments.length; i++) {
      const segment = segments[i] as LogSegment;
      const sizeBefore = sizes[logBases.indexOf(segment.baseOffset)];
      const outcome = await segment.recover(segment.baseOffset, (batch) => {
        if (batch.header.partitionLeaderEpoch >= 0 && cache.assign(batch.header.partitionLeaderEpoch, batch.header.baseOffset)) epochsChanged = true;
      });
      if (outcome.validEnd !== sizeBefore) {
        logger.warn({ segment: String(segment.baseOffset), problem: outcome.problem }, 'truncated a torn or corrupt tail');
        filesChanged = true;
      }
      const next = segments[i + 1];
      if (next !== undefined && (outcome.problem !== undefined || outcome.nextOffset !== next.baseOffset)) {
        const dropped = segments.splice(i + 1);
        for (const segment of dropped) await segment.markDeleted();
        logger.warn({ dropped: dropped.length }, 'deleted segments after a damaged one');
        filesChanged = true;
      }
      if (i < segments.length - 1) await segment.finish();
      if (filesChanged) await segment.sync(true);
    }
    if (filesChanged) await syncDirectory(dir);
    // What recovery read back was on disk, but not necessarily fsynced (a process crash
    // leaves unflushed bytes in the page cache): the recovery point stays where it was.
    const end = (segments.at(-1) as LogSegment).nextOffset;
    const durable = durableOffset ?? recoverFrom;
    recoveryPoint = durable < end ? durable : end;
  }
  const first = segments[0] as LogSegment;
  const end = (segments.at(-1) as LogSegment).nextOffset;
  const start = logStartOffset !== undefined && logStartOffset > first.baseOffset ? logStartOffset : first.baseOffset;
  const startBeyondEnd = start > end;
  return {
    dirDirty: false,
    segments,
    logStartOffset: start,
    recoveryPoint,
    checkpointedRecoveryPoint,
    epochs,
    epochsChanged,
    markerPresent: clean,
    startBeyondEnd,
  };
}
