import { EddyError } from '@eddy/base';
import type { Acks } from '@eddy/client';

/** One line of `eddy produce` input as a record: its key (when a separator is given) and value. */
export interface ParsedLine {
  readonly key: string | null;
  readonly value: string;
}

/**
 * Kafka's console producer rules: without a key separator the whole line is the value (and the
 * key is null); with one, the line is split at its first occurrence into key and value, and a
 * line without it is an error naming the line.
 */
export function parseProduceLine(line: string, lineNumber: number, keySeparator: string | undefined): ParsedLine {
  if (keySeparator === undefined) return { key: null, value: line };
  const at = line.indexOf(keySeparator);
  if (at < 0) {
    const shown = line.length > 80 ? `${line.slice(0, 80)}...` : line;
    throw new EddyError('INVALID_REQUEST', `no key separator ${JSON.stringify(keySeparator)} on line ${lineNumber}: ${JSON.stringify(shown)}`);
  }
  return { key: line.slice(0, at), value: line.slice(at + keySeparator.length) };
}

/** `--acks all|-1|1|0`. */
export function parseAcks(value: string | undefined): Acks {
  switch (value) {
    case undefined:
    case 'all':
    case '-1':
      return 'all';
    case '1':
      return 1;
    case '0':
      return 0;
    default:
      throw new EddyError('INVALID_REQUEST', `--acks must be all, 1 or 0, got ${JSON.stringify(value)}`);
  }
}
