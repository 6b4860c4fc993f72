import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './main.js';

describe('eddy main', () => {
  afterEach(() => vi.restoreAllMocks());

  function captureStreams(): { out: string[]; err: string[] } {
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
    return { out, err };
  }

  it('prints its version and exits 0', async () => {
    const { out } = captureStreams();
    expect(await main(['--version'])).toBe(0);
    expect(out.join('')).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('rejects an unknown command with a non-zero exit and a one-line error', async () => {
    const { err } = captureStreams();
    expect(await main(['no-such-command'])).not.toBe(0);
    const lines = err.join('').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: /);
  });
});
