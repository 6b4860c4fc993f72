import { describe, expect, it } from 'vitest';
import { runEddy } from './support/eddy-process.js';

describe('the eddy binary', () => {
  it('prints its version', async () => {
    const result = await runEddy(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('fails on an unknown command with one line on stderr and no stack trace', async () => {
    const result = await runEddy(['no-such-command']);
    expect(result.code).not.toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
