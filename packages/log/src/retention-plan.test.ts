import { describe, expect, it } from 'vitest';
import { planRetention, type RetentionCandidate } from './retention-plan.js';

const segments: RetentionCandidate[] = [
  { baseOffset: 0n, nextOffset: 100n, sizeBytes: 1000, maxTimestamp: 1_000 },
  { baseOffset: 100n, nextOffset: 200n, sizeBytes: 1000, maxTimestamp: 2_000 },
  { baseOffset: 200n, nextOffset: 300n, sizeBytes: 1000, maxTimestamp: 3_000 },
];
const base = { candidates: segments, totalBytes: 3500, logStartOffset: 0n, retentionBytes: -1, retentionMs: -1, nowMs: 10_000 };

describe('planRetention', () => {
  it('keeps everything without limits', () => {
    expect(planRetention(base)).toEqual({ deleteCount: 0, logStartOffset: 0n, reasons: [] });
  });

  it('deletes segments below the log start offset', () => {
    expect(planRetention({ ...base, logStartOffset: 150n })).toEqual({ deleteCount: 1, logStartOffset: 150n, reasons: ['log-start-offset'] });
  });

  it('deletes the oldest segments whose newest record is older than retention.ms, stopping at the first young one', () => {
    expect(planRetention({ ...base, retentionMs: 8_500 })).toMatchObject({ deleteCount: 1, logStartOffset: 100n, reasons: ['retention-ms'] });
    const unordered = [segments[0]!, { ...segments[1]!, maxTimestamp: 9_999 }, segments[2]!];
    expect(planRetention({ ...base, candidates: unordered, retentionMs: 5_000 }).deleteCount).toBe(1);
  });

  it('deletes while the log exceeds retention.bytes by at least the oldest segment', () => {
    expect(planRetention({ ...base, retentionBytes: 1500 })).toMatchObject({ deleteCount: 2, logStartOffset: 200n, reasons: ['retention-bytes'] });
    expect(planRetention({ ...base, retentionBytes: 3000 }).deleteCount).toBe(0);
    expect(planRetention({ ...base, retentionBytes: 0 }).deleteCount).toBe(3);
  });

  it('takes the longest prefix of all the rules', () => {
    const plan = planRetention({ ...base, retentionBytes: 2500, retentionMs: 7_500 });
    expect(plan).toEqual({ deleteCount: 2, logStartOffset: 200n, reasons: ['retention-ms', 'retention-bytes'] });
  });
});
