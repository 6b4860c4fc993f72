import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Prng } from '@eddy/base';
import { describe, expect, it } from 'vitest';
import { ClientClosedError, Eddy } from './index.js';
import { startFakeCluster } from './testing/index.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Handles that keep the event loop alive (timers that were unref'd are not listed). */
/** Sockets and timers the client could leak; the test worker's own pipes and file requests come and go. */
function liveHandles(): string[] {
  return process.getActiveResourcesInfo().filter((name) => name !== 'FSReqCallback' && name !== 'PipeWrap');
}

async function settle(until: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !until(); i++) await sleep(10);
}

/** Exercises every part of the client against `bootstrap`, then closes it. */
async function exercise(eddy: Eddy): Promise<void> {
  const admin = eddy.admin();
  await admin.createTopics([{ topic: 'close-test', partitions: 2, replicationFactor: 1 }]);
  const producer = eddy.producer();
  await producer.send({ topic: 'close-test', messages: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] });
  const consumer = eddy.consumer({ groupId: 'close-group', fromBeginning: true, heartbeatIntervalMs: 50, sessionTimeoutMs: 2_000 });
  await consumer.subscribe(['close-test']);
  let read = 0;
  while (read < 2) read += (await consumer.poll({ timeoutMs: 1_000 })).length;
  const manual = eddy.consumer({ fromBeginning: true });
  await manual.assign([{ topic: 'close-test', partition: 0 }]);
  await manual.poll({ timeoutMs: 200 });
  // Close only the client: it closes the consumers, producers and admins it made.
  await eddy.close();
}

describe('Eddy.close', () => {
  it('leaves no handle behind in the process', async () => {
    const cluster = await startFakeCluster({ brokers: 2 });
    try {
      await sleep(50);
      const before = liveHandles();
      const eddy = new Eddy({ bootstrapServers: cluster.bootstrapServers, prng: new Prng(7) });
      await exercise(eddy);
      await settle(() => liveHandles().length <= before.length);
      // Nothing is left that was not there before (the fake cluster's own timers may end).
      const counts = (names: readonly string[]): Map<string, number> => names.reduce((m, name) => m.set(name, (m.get(name) ?? 0) + 1), new Map<string, number>());
      const beforeCounts = counts(before);
      for (const [name, count] of counts(liveHandles())) expect(count, `${name} handles`).toBeLessThanOrEqual(beforeCounts.get(name) ?? 0);
      expect(() => eddy.producer()).toThrow(ClientClosedError);
    } finally {
      await cluster.close();
    }
  });

  it('lets a process that used the client exit on its own', async () => {
    const cluster = await startFakeCluster({ brokers: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'eddy-close-'));
    try {
      const script = join(dir, 'app.mts');
      writeFileSync(
        script,
        [
          `import { Eddy } from ${JSON.stringify(join(here, 'index.ts'))};`,
          `const eddy = new Eddy({ bootstrapServers: ${JSON.stringify(cluster.bootstrapServers)}, clientId: 'child' });`,
          `await eddy.admin().createTopics([{ topic: 'child', partitions: 1, replicationFactor: 1 }]);`,
          `const producer = eddy.producer();`,
          `await producer.send({ topic: 'child', messages: [{ value: 'x' }] });`,
          `const consumer = eddy.consumer({ groupId: 'child-group', fromBeginning: true, heartbeatIntervalMs: 50, sessionTimeoutMs: 2000 });`,
          `await consumer.subscribe(['child']);`,
          `let read = 0;`,
          `while (read < 1) read += (await consumer.poll({ timeoutMs: 1000 })).length;`,
          `await consumer.close();`,
          `await producer.close();`,
          `await eddy.close();`,
          `console.log('closed', Date.now());`,
        ].join('\n'),
      );
      const child = spawn(process.execPath, ['--conditions=@eddy/source', '--import', 'tsx', script], { cwd: join(here, '..'), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exit = await new Promise<{ code: number | null; atMs: number }>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.on('exit', (code) => {
          clearTimeout(timer);
          resolve({ code, atMs: Date.now() });
        });
      });
      expect(stderr).toBe('');
      expect(exit.code).toBe(0);
      const closedAt = Number(/closed (\d+)/.exec(stdout)?.[1]);
      expect(exit.atMs - closedAt).toBeLessThan(1_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await cluster.close();
    }
  }, 30_000);
});
