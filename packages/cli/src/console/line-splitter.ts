import { EddyError } from '@eddy/base';

/**
 * Splits text arriving in chunks into lines, as a line reader does: `\n` ends a line and a `\r`
 * before it is dropped, so both Unix and Windows line endings work. A line may span chunks; the
 * part not yet ended is carried over, bounded by `lineCharsMax`.
 */
export class LineSplitter {
  private carry = '';
  private linesSeen = 0;

  constructor(private readonly lineCharsMax: number) {}

  /** Lines ended so far (1-based number of the last line returned). */
  get lineCount(): number {
    return this.linesSeen;
  }

  /** The lines `chunk` completes, in order. */
  push(chunk: string): string[] {
    if (chunk === '') return [];
    const parts = (this.carry + chunk).split('\n');
    this.carry = parts.pop() ?? '';
    if (this.carry.length > this.lineCharsMax) {
      throw new EddyError('INVALID_REQUEST', `line ${this.linesSeen + parts.length + 1} is longer than ${this.lineCharsMax} characters`);
    }
    for (let i = 0; i < parts.length; i++) {
      const line = parts[i] as string;
      if (line.length > this.lineCharsMax) throw new EddyError('INVALID_REQUEST', `line ${this.linesSeen + i + 1} is longer than ${this.lineCharsMax} characters`);
      if (line.endsWith('\r')) parts[i] = line.slice(0, -1);
    }
    this.linesSeen += parts.length;
    return parts;
  }

  /** The input ended: the last line, when it had no line ending. */
  end(): string[] {
    const last = this.carry;
    this.carry = '';
    if (last === '') return [];
    this.linesSeen++;
    return [last.endsWith('\r') ? last.slice(0, -1) : last];
  }
}
