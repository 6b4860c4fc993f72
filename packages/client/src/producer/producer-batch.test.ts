import { EddyError } from '@eddy/base';
import { decodeRecordBatch, encodeRecordBatch } from '@eddy/record';
import { describe, expect, it } from 'vitest';
import { PartitionQueue, ProducerBatch, rewriteProducerFields, SendSink, sequenceAdd } from './producer-batch.js';

describe('rewriteProducerFields', () => {
  it('renumbers an encoded batch and keeps its CRC valid', () => {
    const batch = encodeRecordBatch([{ value: 'a' }, { value: 'b' }], { producerId: 7n, producerEpoch: 0, baseSequence: 10, compression: 'gzip' });
    rewriteProducerFields(batch, 9n, 3, 0);
    const decoded = decodeRecordBatch(batch);
    expect(decoded.header).toMatchObject({ producerId: 9n, producerEpoch: 3, baseSequence: 0, recordCount: 2 });
    expect(decoded.records.map((record) => record.value?.toString())).toEqual(['a', 'b']);
  });
});

describe('sequenceAdd', () => {
  it('wraps from 2^31 - 1 to 0 as Kafka does', () => {
    expect(sequenceAdd(5, 3)).toBe(8);
    expect(sequenceAdd(0x7fff_fffe, 1)).toBe(0x7fff_ffff);
    expect(sequenceAdd(0x7fff_ffff, 1)).toBe(0);
    expect(sequenceAdd(0x7fff_fffe, 4)).toBe(2);
  });
});

describe('ProducerBatch and SendSink', () => {
  it('resolves each send with its records in order, once all are acknowledged', async () => {
    const first = new SendSink(2);
    const second = new SendSink(1);
    const a = new ProducerBatch('t', 0, 0);
    const b = new ProducerBatch('t', 1, 0);
    a.append({ value: 'x' }, 100, 10, first, 0);
    b.append({ value: 'y' }, 101, 10, first, 1);
    a.append({ value: 'z' }, 102, 10, second, 0);
    expect(a.recordCount).toBe(2);
    a.complete(40n, -1n);
    await expect(second.promise).resolves.toEqual([{ topic: 't', partition: 0, offset: 41n, timestamp: 102 }]);
    b.complete(7n, 5_000n);
    await expect(first.promise).resolves.toEqual([
      { topic: 't', partition: 0, offset: 40n, timestamp: 100 },
      { topic: 't', partition: 1, offset: 7n, timestamp: 5_000 },
    ]);
    expect(a.done && b.done).toBe(true);
    await a.whenDone();
  });

  it('fails a send when one of its batches fails', async () => {
    const sink = new SendSink(2);
    const a = new ProducerBatch('t', 0, 0);
    const b = new ProducerBatch('t', 1, 0);
    a.append({ value: 'x' }, 1, 10, sink, 0);
    b.append({ value: 'y' }, 1, 10, sink, 1);
    b.fail(new EddyError('INVALID_RECORD', 'bad'));
    a.complete(0n, -1n);
    await expect(sink.promise).rejects.toMatchObject({ code: 'INVALID_RECORD' });
  });

  it('requeues a failed batch after the earlier retries and before new batches', () => {
    const queue = new PartitionQueue('t', 0);
    const make = (sendOrder: number): ProducerBatch => {
      const batch = new ProducerBatch('t', 0, 0);
      batch.sendOrder = sendOrder;
      return batch;
    };
    const fresh = make(-1);
    queue.waiting.push(make(1), make(4), fresh);
    const retried = make(2);
    queue.requeue(retried);
    expect(queue.waiting.map((batch) => batch.sendOrder)).toEqual([1, 2, 4, -1]);
    queue.requeue(make(9));
    expect(queue.waiting.map((batch) => batch.sendOrder)).toEqual([1, 2, 4, 9, -1]);
    expect(queue.waiting.at(-1)).toBe(fresh);
  });
});
