import { describe, expect, it } from 'vitest';
import { formatReassignment, parseReassignment, parseTopicsToMove } from './reassignment-json.js';

describe('reassignment files', () => {
  it('reads Kafka\'s topics-to-move and reassignment files, log_dirs "any" included', () => {
    expect(parseTopicsToMove('{"version":1,"topics":[{"topic":"a"},{"topic":"b"}]}', 'f.json')).toEqual(['a', 'b']);
    const text = '{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2],"log_dirs":["any","any"]},{"topic":"t","partition":1,"replicas":[3]}]}';
    expect(parseReassignment(text, 'f.json')).toEqual([
      { topic: 't', partition: 0, replicas: [1, 2] },
      { topic: 't', partition: 1, replicas: [3] },
    ]);
  });

  it('writes what it reads', () => {
    const partitions = [{ topic: 't', partition: 0, replicas: [2, 1] }];
    const text = formatReassignment(partitions);
    expect(text).toBe('{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[2,1]}]}');
    expect(parseReassignment(text, 'f')).toEqual(partitions);
  });

  it.each([
    ['not JSON', '{"version":1,', 'not valid JSON'],
    ['not an object', '[1]', 'must hold a JSON object'],
    ['a wrong version', '{"version":2,"partitions":[]}', '"version" must be 1'],
    ['no partitions', '{"version":1,"partitions":[]}', '"partitions" must be a non-empty array'],
    ['a topic without a name', '{"version":1,"partitions":[{"topic":"","partition":0,"replicas":[1]}]}', 'partitions[0].topic'],
    ['a negative partition', '{"version":1,"partitions":[{"topic":"t","partition":-1,"replicas":[1]}]}', 'partitions[0].partition'],
    ['empty replicas', '{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[]}]}', 'partitions[0].replicas'],
    ['a replica that is not an id', '{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,"2"]}]}', 'partitions[0].replicas'],
    ['a log dir', '{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1],"log_dirs":["/d"]}]}', 'log_dirs'],
    ['a partition twice', '{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1]},{"topic":"t","partition":0,"replicas":[2]}]}', 'listed twice'],
  ])('refuses a reassignment file with %s', (_what, text, message) => {
    expect(() => parseReassignment(text, 'plan.json')).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST', message: expect.stringContaining(`plan.json: `) }));
    expect(() => parseReassignment(text, 'plan.json')).toThrow(expect.objectContaining({ message: expect.stringContaining(message) }));
  });

  it.each([
    ['no topics', '{"version":1,"topics":[]}', '"topics" must be a non-empty array'],
    ['a topic that is not a string', '{"version":1,"topics":[{"topic":3}]}', 'topics[0].topic must be a non-empty string'],
    ['a topic twice', '{"version":1,"topics":[{"topic":"a"},{"topic":"a"}]}', 'topic a is listed twice'],
    ['no version', '{"topics":[{"topic":"a"}]}', '"version" must be 1, and it is missing'],
  ])('refuses a topics-to-move file with %s', (_what, text, message) => {
    expect(() => parseTopicsToMove(text, 'move.json')).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST', message: `move.json: ${message}` }));
  });
});
