import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fakeClusterPerTest } from '../test-support/fake-cluster.js';
import { consumeSettings, consumeToStdout, parseStartOffset } from './consume.js';
import { produceStdin } from './produce.js';

const connect = fakeClusterPerTest('lines');

const settings = { topic: 'lines', keySeparator: undefined, acks: 'all', partition: undefined } as const;

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('eddy produce', () => {
  it('sends every line, keys split at the separator, lines spanning chunks and a last line without a newline', async () => {
    const c = await connect();
    await produceStdin(c.eddy, { ...settings, keySeparator: ':', partition: 1 }, Readable.from(['a:1\nb', ':2\r\n', 'c:3:x\nd:4']));
    const records = c.cluster.records('lines', 1).map((r) => [r.key?.toString() ?? null, r.value?.toString() ?? null]);
    expect(records).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '3:x'],
      ['d', '4'],
    ]);
  });

  it('sends unkeyed lines round-robin and empty lines as empty values', async () => {
    const c = await connect();
    await produceStdin(c.eddy, settings, Readable.from(['one\n\nthree\n']));
    const values = [0, 1, 2].flatMap((p) => c.cluster.records('lines', p).map((r) => r.value?.toString()));
    expect(values.sort()).toEqual(['', 'one', 'three']);
  });

  it('fails on a line without the separator after sending the lines before it', async () => {
    const c = await connect();
    await expect(produceStdin(c.eddy, { ...settings, keySeparator: '=', partition: 0 }, Readable.from(['k=v\nbroken\nk=w\n']))).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringContaining('line 2'),
    });
    expect(c.cluster.records('lines', 0).map((r) => r.value?.toString())).toEqual(['v']);
  });

  it('fails fast on an unknown topic or partition', async () => {
    const c = await connect();
    await expect(produceStdin(c.eddy, { ...settings, topic: 'missing' }, Readable.from(['x\n']))).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    await expect(produceStdin(c.eddy, { ...settings, partition: 3 }, Readable.from(['x\n']))).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });

  it('keeps many sends in flight for a large input and loses none', async () => {
    const c = await connect();
    const lines = Array.from({ length: 20_000 }, (_, i) => `${i}\n`);
    const chunks: string[] = [];
    for (let i = 0; i < lines.length; i += 97) chunks.push(lines.slice(i, i + 97).join(''));
    await produceStdin(c.eddy, { ...settings, partition: 2 }, Readable.from(chunks));
    const values = c.cluster.records('lines', 2).map((r) => Number(r.value?.toString()));
    expect(values).toEqual(lines.map((_, i) => i));
  });
});

describe('eddy consume', () => {
  it('prints key<TAB>value from an offset of one partition and stops after --max-messages', async () => {
    const c = await connect();
    await produceStdin(c.eddy, { ...settings, keySeparator: ':', partition: 0 }, Readable.from(['k0:v0\nk1:v1\nk2:v2\n:v3\n']));
    const out = capture();
    const printed = await consumeToStdout(c.eddy, consumeSettings({ topic: 'lines', partition: '0', offset: '1', printKey: true, maxMessages: '2' }), out.stream);
    expect(printed).toBe(2);
    expect(out.text()).toBe('k1\tv1\nk2\tv2\n');
  });

  it('reads every partition from the beginning and exits once nothing arrived for --timeout-ms', async () => {
    const c = await connect();
    await produceStdin(c.eddy, settings, Readable.from(['a\nb\nc\nd\n']));
    const out = capture();
    const started = Date.now();
    const printed = await consumeToStdout(c.eddy, consumeSettings({ topic: 'lines', fromBeginning: true, timeoutMs: '300' }), out.stream);
    expect(printed).toBe(4);
    expect(out.text().split('\n').filter((l) => l !== '').sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('takes at most max.poll.records records per poll', async () => {
    const c = await connect();
    await produceStdin(c.eddy, { ...settings, partition: 2 }, Readable.from(['a\nb\nc\n']));
    const writes = (properties: string[]): Promise<string[]> => {
      const out = capture();
      const chunks: string[] = [];
      out.stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
      return consumeToStdout(c.eddy, consumeSettings({ topic: 'lines', partition: '2', offset: 'earliest', maxMessages: '3', consumerProperty: properties }), out.stream).then(() => chunks);
    };
    expect(await writes(['max.poll.records=1'])).toEqual(['a\n', 'b\n', 'c\n']);
    expect(await writes([])).toEqual(['a\nb\nc\n']);
  });

  it('starts at the end without --from-beginning', async () => {
    const c = await connect();
    await produceStdin(c.eddy, settings, Readable.from(['old\n']));
    const out = capture();
    expect(await consumeToStdout(c.eddy, consumeSettings({ topic: 'lines', timeoutMs: '200' }), out.stream)).toBe(0);
    expect(out.text()).toBe('');
  });

  it('reads in a group and commits what it printed', async () => {
    const c = await connect();
    await produceStdin(c.eddy, { ...settings, partition: 1 }, Readable.from(['x\ny\nz\n']));
    const first = capture();
    expect(await consumeToStdout(c.eddy, consumeSettings({ topic: 'lines', group: 'g', fromBeginning: true, maxMessages: '2' }), first.stream)).toBe(2);
    expect(first.text()).toBe('x\ny\n');
    expect(c.cluster.committed('g', 'lines', 1)?.offset).toBe(2n);
    const second = capture();
    expect(await consumeToStdout(c.eddy, consumeSettings({ topic: 'lines', group: 'g', fromBeginning: true, timeoutMs: '500' }), second.stream)).toBe(1);
    expect(second.text()).toBe('z\n');
  });

  it('rejects flag combinations Kafka rejects', () => {
    expect(() => consumeSettings({ topic: 't', offset: '3' })).toThrow('--offset needs --partition');
    expect(() => consumeSettings({ topic: 't', partition: '0', offset: '3', fromBeginning: true })).toThrow(/cannot be used together/);
    expect(() => consumeSettings({ topic: 't', group: 'g', partition: '0' })).toThrow(/cannot be used with --group/);
    expect(() => consumeSettings({ topic: 't', group: 'g', consumerProperty: ['group.id=h'] })).toThrow(/disagree/);
    expect(() => consumeSettings({ topic: 't', maxMessages: '0' })).toThrow(/--max-messages/);
    expect(consumeSettings({ topic: 't', consumerProperty: ['group.id=h'] }).groupId).toBe('h');
    expect(consumeSettings({ topic: 't', fromBeginning: true, consumerProperty: ['auto.offset.reset=latest'] }).consumerOptions.autoOffsetReset).toBe('latest');
    expect(consumeSettings({ topic: 't', group: 'g', consumerProperty: ['metadata.max.age.ms=1000', 'max.poll.records=7'] })).toMatchObject({
      clientOptions: { metadataMaxAgeMs: 1_000 },
      consumerOptions: { maxPollRecords: 7, groupId: 'g' },
    });
    expect(parseStartOffset('earliest')).toBe('earliest');
    expect(parseStartOffset('42')).toBe(42n);
    expect(() => parseStartOffset('-1')).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });
});
