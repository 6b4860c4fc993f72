import { describe, expect, it } from 'vitest';
import { bufferView } from './buffer-view.js';

describe('bufferView', () => {
  it('is a real Buffer over the same memory, like subarray', () => {
    const buf = Buffer.concat([Buffer.from('xx'), Buffer.from('hello world')]).subarray(2);
    const view = bufferView(buf, 6, 11);
    expect(Buffer.isBuffer(view)).toBe(true);
    expect(view).toBeInstanceOf(Buffer);
    expect(Object.getPrototypeOf(view)).toBe(Buffer.prototype);
    expect(view.toString()).toBe('world');
    expect(view.equals(buf.subarray(6, 11))).toBe(true);
    expect(view.subarray(1, 3).toString('latin1')).toBe('or');
    buf[6] = 0x57;
    expect(view.toString()).toBe('World');
    expect(bufferView(buf, 3, 3)).toHaveLength(0);
  });
});
