import type { ConsumerRecord } from '@eddy/client';

const nullText = Buffer.from('null');
const newline = Buffer.from('\n');

export interface RecordFormatOptions {
  /** Print the key before the value (Kafka's print.key). */
  readonly printKey: boolean;
  /** Between key and value; Kafka's default key.separator is a tab. */
  readonly keySeparator: string;
}

/**
 * Appends one record as Kafka's console consumer prints it to `out`: the value's bytes (or
 * `null`), preceded by the key and the separator with `printKey`, and a newline. Bytes are
 * written as they are, not decoded.
 */
export function formatRecord(record: Pick<ConsumerRecord, 'key' | 'value'>, options: RecordFormatOptions, out: Buffer[]): void {
  if (options.printKey) {
    out.push(record.key ?? nullText, Buffer.from(options.keySeparator));
  }
  out.push(record.value ?? nullText, newline);
}
