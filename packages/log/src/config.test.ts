import { describe, expect, it } from 'vitest';
import { defaultLogConfig, resolveLogConfig } from './config.js';
import { logLimits } from './limits.js';

describe('resolveLogConfig', () => {
  it("fills in Kafka's defaults", () => {
    expect(resolveLogConfig()).toEqual(defaultLogConfig);
    expect(resolveLogConfig({ segmentBytes: 4096, flushMessages: undefined })).toMatchObject({ segmentBytes: 4096, flushMessages: undefined });
  });

  it('rejects values outside the limits with INVALID_CONFIG', () => {
    expect(() => resolveLogConfig({ segmentBytes: logLimits.segmentBytesMax + 1 })).toThrow(/segmentBytes/);
    expect(() => resolveLogConfig({ segmentBytes: 10 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }) as Error);
    expect(() => resolveLogConfig({ retentionMs: -2 })).toThrow(/retentionMs/);
    expect(() => resolveLogConfig({ flushMessages: 0 })).toThrow(/flushMessages/);
    expect(() => resolveLogConfig({ indexIntervalBytes: 1.5 })).toThrow(/indexIntervalBytes/);
  });
});
