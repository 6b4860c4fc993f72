import { describe, expect, it } from 'vitest';
import { LineSplitter } from './line-splitter.js';

describe('LineSplitter', () => {
  it('splits chunks into lines, carrying a line across chunks', () => {
    const splitter = new LineSplitter(100);
    expect(splitter.push('a\nb')).toEqual(['a']);
    expect(splitter.push('c\n\nd')).toEqual(['bc', '']);
    expect(splitter.lineCount).toBe(3);
    expect(splitter.end()).toEqual(['d']);
    expect(splitter.lineCount).toBe(4);
    expect(splitter.end()).toEqual([]);
  });

  it('drops the carriage return of Windows line endings, even when it ends a chunk', () => {
    const splitter = new LineSplitter(100);
    expect(splitter.push('x\r\ny\r')).toEqual(['x']);
    expect(splitter.push('\nz\r')).toEqual(['y']);
    expect(splitter.end()).toEqual(['z']);
  });

  it('keeps separators and a carriage return inside a line', () => {
    const splitter = new LineSplitter(100);
    expect(splitter.push('k:v:w\ta\rb\n')).toEqual(['k:v:w\ta\rb']);
  });

  it('gives nothing for an empty chunk and no extra line after a final newline', () => {
    const splitter = new LineSplitter(100);
    expect(splitter.push('')).toEqual([]);
    expect(splitter.push('only\n')).toEqual(['only']);
    expect(splitter.end()).toEqual([]);
    expect(splitter.lineCount).toBe(1);
  });

  it('refuses a line longer than its bound, whole or still growing', () => {
    expect(() => new LineSplitter(3).push('abcd\n')).toThrow(/line 1 is longer than 3 characters/);
    const splitter = new LineSplitter(3);
    expect(splitter.push('ok\nab')).toEqual(['ok']);
    expect(() => splitter.push('cd')).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST', message: expect.stringMatching(/line 2/) }));
  });
});
