import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { probeListener } from './listener-probe.js';

async function listening(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

describe('probeListener', () => {
  it('tells a listening port from one nothing listens on', async () => {
    const { server, port } = await listening();
    await expect(probeListener({ host: '127.0.0.1', port }, 1_000)).resolves.toBe('reachable');
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(probeListener({ host: '127.0.0.1', port }, 1_000)).resolves.toBe('refused');
  });
});
