import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { componentLogger, createNodeLogger } from './node-logger.js';

function collectLines(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const lines = (): Array<Record<string, unknown>> =>
    chunks.join('').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  return { stream, lines };
}

describe('node logger', () => {
  it('binds the node id to every line and the component to child lines', () => {
    const { stream, lines } = collectLines();
    const node = createNodeLogger({ nodeId: 3, destination: stream });
    node.info('node starting');
    componentLogger(node, 'raft', { term: 7 }).warn({ peer: 2 }, 'vote rejected');
    const [first, second] = lines();
    expect(first).toMatchObject({ nodeId: 3, msg: 'node starting', level: 30 });
    expect(first).not.toHaveProperty('component');
    expect(second).toMatchObject({ nodeId: 3, component: 'raft', term: 7, peer: 2, msg: 'vote rejected', level: 40 });
  });

  it('drops lines below the configured level', () => {
    const { stream, lines } = collectLines();
    const node = createNodeLogger({ nodeId: 1, level: 'warn', destination: stream });
    node.info('hidden');
    node.error('shown');
    expect(lines().map((line) => line.msg)).toEqual(['shown']);
  });
});
