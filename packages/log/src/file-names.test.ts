import { describe, expect, it } from 'vitest';
import { formatBaseOffset, parsePartitionDirName, parseSegmentFileName, partitionDirName, segmentFileName } from './file-names.js';

describe('file names', () => {
  it('pads base offsets to 20 digits so names sort like offsets', () => {
    expect(formatBaseOffset(0n)).toBe('00000000000000000000');
    expect(formatBaseOffset(9_223_372_036_854_775_807n)).toBe('09223372036854775807');
    expect(segmentFileName(1234n, 'log')).toBe('00000000000000001234.log');
    expect(segmentFileName(1234n, 'offsetIndex')).toBe('00000000000000001234.index');
    expect(segmentFileName(1234n, 'timeIndex')).toBe('00000000000000001234.timeindex');
  });

  it('parses live segment files only', () => {
    expect(parseSegmentFileName('00000000000000001234.log')).toEqual({ baseOffset: 1234n, kind: 'log' });
    expect(parseSegmentFileName('00000000000000001234.timeindex')).toEqual({ baseOffset: 1234n, kind: 'timeIndex' });
    expect(parseSegmentFileName('00000000000000001234.log.deleted')).toBeUndefined();
    expect(parseSegmentFileName('0000000000000001234.log')).toBeUndefined();
    expect(parseSegmentFileName('leader-epoch-checkpoint')).toBeUndefined();
  });

  it('names partition directories <topic>-<partition> and parses them back', () => {
    expect(partitionDirName('my-topic', 7)).toBe('my-topic-7');
    expect(parsePartitionDirName('my-topic-7')).toEqual({ topic: 'my-topic', partition: 7 });
    expect(parsePartitionDirName('my-topic-07')).toBeUndefined();
    expect(parsePartitionDirName('my-topic-7.1234-delete')).toBeUndefined();
    expect(parsePartitionDirName('-7')).toBeUndefined();
    expect(() => partitionDirName('../etc', 0)).toThrow(/invalid topic/);
    expect(() => partitionDirName('a/b', 0)).toThrow(/invalid topic/);
  });
});
