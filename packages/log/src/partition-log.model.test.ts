import { appendFile, readdir, readFile, rm, truncate, unlink } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '@eddy/base';
import { iterateBatches } from '@eddy/record';
import type { LogConfigInput } from './config.js';
import { OffsetOutOfRangeError } from './errors.js';
import { parseSegmentFileName, RECOVERY_POINT_FILE } from './file-names.js';
import { PartitionLog } from './partition-log.js';
import { makeBatch, tempDir } from './test-support/fixtures.js';

/**
 * Model-based test: random sequences of appends (leader and follower path), reads, flushes,
 * truncations, deleteRecordsBefore, retention, clock moves, clean restarts and crashes must
 * leave the log agreeing with a plain in-memory list of batches. A crash drops or damages only
 * bytes past the last flush (cut at a random length, garbage appended, later segments cut or
 * deleted, indexes and the recovery point lost); the log may then lose a suffix of unflushed
 * batches, never a flushed one.
 */

interface ModelBatch {
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
  readonly epoch: number;
  readonly bytes: Buffer;
}

class Model {
  batches: ModelBatch[] = [];
  logStartOffset = 0n;
  logEndOffset = 0n;
  /** Everything below it survives a crash. */
  flushed = 0n;
  epoch = 0;

  /** Kafka truncates whole batches: the batch holding `offset` goes too. */
  truncateTo(offset: bigint): void {
    const firstRemoved = this.batches.find((batch) => batch.lastOffset >= offset);
    if (firstRemoved !== undefined) {
      this.batches = this.batches.filter((batch) => batch.lastOffset < offset);
      this.logEndOffset = firstRemoved.baseOffset;
    }
    if (this.logStartOffset > this.logEndOffset) this.logStartOffset = this.logEndOffset;
    if (this.flushed > this.logEndOffset) this.flushed = this.logEndOffset;
  }
}

type Command =
  | { kind: 'append'; batches: number; records: number; valueBytes: number; bumpEpoch: boolean; follower: boolean; seed: number }
  | { kind: 'corruptAppend'; batches: number; corrupt: number; follower: boolean; seed: number }
  | { kind: 'read'; at: number; maxBytes: number; capAt: number | undefined }
  | { kind: 'flush' }
  | { kind: 'truncate'; at: number }
  | { kind: 'deleteRecords'; at: number }
  | { kind: 'retention' }
  | { kind: 'tick'; ms: number }
  | { kind: 'restart' }
  | { kind: 'crash'; extra: number; garbage: Uint8Array; laterSegments: 'keep' | 'cut' | 'delete'; dropIndexes: boolean; dropRecoveryPoint: boolean };

const fraction = fc.integer({ min: 0, max: 999 }).map((n) => n / 1000);

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      batches: fc.integer({ min: 1, max: 3 }),
      records: fc.integer({ min: 1, max: 4 }),
      valueBytes: fc.integer({ min: 0, max: 300 }),
      bumpEpoch: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
      follower: fc.boolean(),
      seed: fc.nat(1000),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('corruptAppend' as const),
      batches: fc.integer({ min: 1, max: 3 }),
      corrupt: fraction,
      follower: fc.boolean(),
      seed: fc.nat(1000),
    }),
  },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('read' as const), at: fraction, maxBytes: fc.integer({ min: 0, max: 3000 }), capAt: fc.option(fraction, { nil: undefined }) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'flush' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fraction }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteRecords' as const), at: fraction }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'retention' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 20_000 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('crash' as const),
      extra: fraction,
      garbage: fc.uint8Array({ maxLength: 80 }),
      laterSegments: fc.constantFrom('keep' as const, 'cut' as const, 'delete' as const),
      dropIndexes: fc.boolean(),
      dropRecoveryPoint: fc.boolean(),
    }),
  },
);

const configArb: fc.Arbitrary<LogConfigInput> = fc.record({
  segmentBytes: fc.constantFrom(1024, 2048, 8192),
  indexIntervalBytes: fc.constantFrom(1, 64, 500, 4096),
  segmentMs: fc.constantFrom(15_000, 1_000_000),
  retentionBytes: fc.constantFrom(-1, 3000, 10_000),
  retentionMs: fc.constantFrom(-1, 30_000),
  flushMessages: fc.constantFrom(undefined, 1),
});

function pick(low: bigint, high: bigint, at: number): bigint {
  if (high <= low) return low;
  return low + BigInt(Math.floor(Number(high - low) * at));
}

async function checkWholeLog(log: PartitionLog, model: Model): Promise<void> {
  expect(log.logEndOffset).toBe(model.logEndOffset);
  expect(log.logStartOffset).toBe(model.logStartOffset);
  const expected = model.batches.filter((batch) => batch.lastOffset >= model.logStartOffset);
  const seen: Buffer[] = [];
  let offset = model.logStartOffset;
  while (offset < model.logEndOffset) {
    const { records } = await log.read(offset, 5000);
    expect(records.length).toBeGreaterThan(0);
    seen.push(records);
    const batches = [...iterateBatches(records)];
    const last = batches.at(-1)!;
    offset = last.header.baseOffset + BigInt(last.header.lastOffsetDelta) + 1n;
  }
  expect(Buffer.concat(seen).equals(Buffer.concat(expected.map((batch) => batch.bytes)))).toBe(true);
  // Every remaining batch is covered by its own epoch in the leader epoch cache.
  const entries = await log.epochEntries();
  for (const batch of expected) {
    const at = batch.baseOffset < model.logStartOffset ? model.logStartOffset : batch.baseOffset;
    const covering = entries.filter((entry) => entry.startOffset <= at).at(-1);
    if (batch.epoch >= 0) expect(covering?.epoch).toBe(batch.epoch);
  }
}

/** What a crash may do to the bytes past the last flush. */
async function damage(dir: string, flushed: bigint, command: Extract<Command, { kind: 'crash' }>): Promise<void> {
  const names = await readdir(dir);
  const bases = names
    .map((name) => parseSegmentFileName(name))
    .filter((parsed) => parsed?.kind === 'log')
    .map((parsed) => parsed!.baseOffset)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const file = (base: bigint, suffix: string): string => path.join(dir, `${base.toString().padStart(20, '0')}${suffix}`);
  const holding = bases.filter((base) => base <= flushed).at(-1) ?? bases[0]!;
  for (const base of bases) {
    if (base < holding) continue;
    const logFile = file(base, '.log');
    const bytes = await readFile(logFile);
    let cut = bytes.length;
    if (base === holding) {
      let position = 0;
      try {
        for (const batch of iterateBatches(bytes)) {
          if (batch.header.baseOffset >= flushed) break;
          position = batch.position + batch.size;
        }
      } catch {
        // Garbage a previous crash left past the valid end (the log ignores it until it writes there).
      }
      cut = position + Math.floor((bytes.length - position) * command.extra);
    } else if (command.laterSegments === 'cut') {
      cut = Math.floor(bytes.length * command.extra);
    } else if (command.laterSegments === 'delete') {
      await rm(logFile);
      await rm(file(base, '.index'), { force: true });
      await rm(file(base, '.timeindex'), { force: true });
      continue;
    }
    await truncate(logFile, cut);
    if (base === holding && command.garbage.length > 0) await appendFile(logFile, command.garbage);
    if (command.dropIndexes) {
      await unlink(file(base, '.index')).catch(() => undefined);
      await unlink(file(base, '.timeindex')).catch(() => undefined);
    }
  }
  if (command.dropRecoveryPoint) await rm(path.join(dir, RECOVERY_POINT_FILE), { force: true });
}

async function run(config: LogConfigInput, flushOnRoll: boolean, commands: readonly Command[]): Promise<void> {
  const root = await tempDir('eddy-log-model-');
  const dir = path.join(root.dir, 'model-0');
  const clock = new ManualClock();
  const open = (): Promise<PartitionLog> => PartitionLog.open(dir, config, { clock, flushOnRoll });
  let log = await open();
  const model = new Model();
  try {
    for (const command of commands) {
      switch (command.kind) {
        case 'append': {
          if (command.bumpEpoch) model.epoch++;
          const parts: Buffer[] = [];
          let next = model.logEndOffset;
          for (let i = 0; i < command.batches; i++) {
            parts.push(
              makeBatch({
                records: command.records,
                valueBytes: command.valueBytes,
                seed: command.seed + i,
                timestampMs: clock.wallMs(),
                baseOffset: next,
                leaderEpoch: model.epoch,
              }),
            );
            next += BigInt(command.records);
          }
          const bytes = Buffer.concat(parts);
          if (bytes.length > config.segmentBytes!) {
            await expect(log.append(bytes, { leaderEpoch: model.epoch, assignOffsets: !command.follower })).rejects.toMatchObject({
              code: 'RECORD_LIST_TOO_LARGE',
            });
            break;
          }
          const result = await log.append(bytes, { leaderEpoch: model.epoch, assignOffsets: !command.follower });
          expect(result.baseOffset).toBe(model.logEndOffset);
          let at = 0;
          for (const batch of iterateBatches(bytes)) {
            const lastOffset = batch.header.baseOffset + BigInt(batch.header.lastOffsetDelta);
            model.batches.push({ baseOffset: batch.header.baseOffset, lastOffset, epoch: model.epoch, bytes: Buffer.from(bytes.subarray(at, at + batch.size)) });
            at += batch.size;
          }
          model.logEndOffset = next;
          if (config.flushMessages === 1) model.flushed = model.logEndOffset;
          expect(log.logEndOffset).toBe(model.logEndOffset);
          break;
        }
        case 'corruptAppend': {
          // One batch (the first is checked while it is written, the others before) fails its CRC:
          // the append is refused and leaves no trace, now or after a later crash.
          let next = model.logEndOffset;
          const parts = Array.from({ length: command.batches }, (_, i) => {
            const batch = makeBatch({ records: 2, valueBytes: 20, seed: command.seed + i, timestampMs: clock.wallMs(), baseOffset: next, leaderEpoch: model.epoch });
            next += 2n;
            return batch;
          });
          const bad = parts[Math.floor(command.corrupt * parts.length)]!;
          bad[bad.length - 1] = bad.at(-1)! ^ 0xff;
          await expect(log.append(Buffer.concat(parts), { leaderEpoch: model.epoch, assignOffsets: !command.follower })).rejects.toMatchObject({
            code: 'CORRUPT_RECORD',
          });
          expect(log.logEndOffset).toBe(model.logEndOffset);
          break;
        }
        case 'read': {
          const offset = pick(model.logStartOffset - 2n < 0n ? 0n : model.logStartOffset - 2n, model.logEndOffset + 3n, command.at);
          const maxOffset = command.capAt === undefined ? undefined : pick(model.logStartOffset, model.logEndOffset + 1n, command.capAt);
          if (offset < model.logStartOffset || offset > model.logEndOffset) {
            await expect(log.read(offset, command.maxBytes)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
            break;
          }
          const { records, logEndOffset, logStartOffset } = await log.read(offset, command.maxBytes, maxOffset === undefined ? {} : { maxOffset });
          expect([logStartOffset, logEndOffset]).toEqual([model.logStartOffset, model.logEndOffset]);
          const limit = maxOffset ?? model.logEndOffset;
          const eligible = model.batches.filter((batch) => batch.lastOffset >= offset && batch.lastOffset < limit);
          if (eligible.length === 0) {
            expect(records.length).toBe(0);
            break;
          }
          const got = [...iterateBatches(records)];
          expect(got.length).toBeGreaterThan(0);
          if (got.length > 1) expect(records.length).toBeLessThanOrEqual(command.maxBytes);
          const expected = Buffer.concat(eligible.slice(0, got.length).map((batch) => batch.bytes));
          expect(records.equals(expected)).toBe(true);
          break;
        }
        case 'flush':
          await log.flush();
          model.flushed = model.logEndOffset;
          break;
        case 'truncate': {
          const offset = pick(model.logStartOffset, model.logEndOffset + 1n, command.at);
          await log.truncateTo(offset);
          model.truncateTo(offset);
          expect(log.logEndOffset).toBe(model.logEndOffset);
          break;
        }
        case 'deleteRecords': {
          const offset = pick(model.logStartOffset, model.logEndOffset + 1n, command.at);
          expect(await log.deleteRecordsBefore(offset)).toBe(offset > model.logStartOffset ? offset : model.logStartOffset);
          if (offset > model.logStartOffset) model.logStartOffset = offset;
          break;
        }
        case 'retention': {
          const result = await log.applyRetention();
          expect(result.logStartOffset).toBeGreaterThanOrEqual(model.logStartOffset);
          expect(result.logStartOffset).toBeLessThanOrEqual(model.logEndOffset);
          model.logStartOffset = result.logStartOffset;
          break;
        }
        case 'tick':
          clock.advance(command.ms);
          break;
        case 'restart':
          await log.close();
          model.flushed = model.logEndOffset;
          log = await open();
          await checkWholeLog(log, model);
          break;
        case 'crash': {
          await log.abandon();
          // Rolled segments are fsynced in the background, so the log may have flushed more
          // than the model asked for; a crash cannot take back what was fsynced.
          expect(log.recoveryPoint).toBeGreaterThanOrEqual(model.flushed);
          model.flushed = log.recoveryPoint;
          await damage(dir, model.flushed, command);
          log = await open();
          const recovered = log.logEndOffset;
          if (model.logStartOffset > model.flushed) {
            // The log start was persisted, flushed data below it is unreadable anyway.
            expect(recovered).toBeGreaterThanOrEqual(model.logStartOffset);
          } else {
            expect(recovered).toBeGreaterThanOrEqual(model.flushed);
          }
          expect(recovered).toBeLessThanOrEqual(model.logEndOffset);
          if (recovered === model.logStartOffset && model.logStartOffset > model.flushed) {
            model.batches = model.batches.filter((batch) => batch.lastOffset < recovered);
            model.logEndOffset = recovered;
            if (log.logStartOffset === recovered) model.batches = [];
          } else {
            model.truncateTo(recovered);
          }
          // Recovered bytes were on disk but are not known to be fsynced.
          model.flushed = log.recoveryPoint;
          expect(model.flushed).toBeLessThanOrEqual(model.logEndOffset);
          await checkWholeLog(log, model);
          break;
        }
      }
    }
    await checkWholeLog(log, model);
    await log.close();
  } finally {
    await log.abandon().catch(() => undefined);
    await root.remove();
  }
}

describe('PartitionLog against an in-memory model', () => {
  it('agrees with the model over random operations, restarts and crashes', async () => {
    await fc.assert(
      fc.asyncProperty(configArb, fc.boolean(), fc.array(commandArb, { minLength: 1, maxLength: 60, size: 'max' }), (config, flushOnRoll, commands) =>
        run(config, flushOnRoll, commands),
      ),
      { numRuns: Number(process.env.EDDY_LOG_MODEL_RUNS ?? 60) },
    );
  }, 120_000);
});

describe('PartitionLog model regressions', () => {
  const base: LogConfigInput = { segmentBytes: 1024, indexIntervalBytes: 1, segmentMs: 15_000, retentionBytes: -1, retentionMs: -1, flushMessages: undefined };
  const append = (batches: number, records: number, valueBytes: number, bumpEpoch: boolean, seed = 0): Command => ({
    kind: 'append',
    batches,
    records,
    valueBytes,
    bumpEpoch,
    follower: false,
    seed,
  });
  const crash = (extra: number, garbage: number[], dropRecoveryPoint = false): Command => ({
    kind: 'crash',
    extra,
    garbage: Uint8Array.from(garbage),
    laterSegments: 'keep',
    dropIndexes: false,
    dropRecoveryPoint,
  });

  it('re-derives epochs a crash left stale in the checkpoint', async () => {
    await run(base, false, [append(1, 1, 0, true), append(1, 1, 0, true), { kind: 'flush' }, crash(0, [], true), crash(0, []), append(2, 1, 0, false), crash(0.5, []), { kind: 'read', at: 0, maxBytes: 0, capAt: undefined }]);
  });

  it('recovers an emptied first segment after a clean restart and a crash', async () => {
    await run(base, false, [append(2, 1, 0, true), { kind: 'restart' }, crash(0, [0]), append(2, 2, 175, true, 100), crash(0, []), { kind: 'retention' }]);
  });
});
