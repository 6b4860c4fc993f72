/** Plain-text tables and number formats for benchmark reports. */

export type TableCell = string | number;

export interface TableColumn {
  readonly title: string;
  /** Default: right for columns whose first cell is a number, left otherwise. */
  readonly align?: 'left' | 'right';
}

/**
 * Formats rows under a header line and a rule, padding every column to its widest cell.
 * Columns may be given as titles alone.
 */
export function formatTable(columns: ReadonlyArray<string | TableColumn>, rows: ReadonlyArray<readonly TableCell[]>): string {
  const specs = columns.map((column) => (typeof column === 'string' ? { title: column } : column));
  const text = rows.map((row) => specs.map((_, index) => String(row[index] ?? '')));
  const widths = specs.map((spec, index) => Math.max(spec.title.length, ...text.map((cells) => (cells[index] as string).length)));
  const aligns = specs.map((spec, index) => spec.align ?? (typeof rows[0]?.[index] === 'number' ? 'right' : 'left'));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, index) => {
        const width = widths[index] as number;
        return aligns[index] === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [
    line(specs.map((spec) => spec.title)),
    line(widths.map((width) => '-'.repeat(width))),
    ...text.map(line),
  ].join('\n');
}

/** A number with thousands separators and a fixed number of decimals. */
export function formatNumber(value: number, fractionDigits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits });
}

/** Bytes in binary units: 512 B, 16 KiB, 1.5 MiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || Number.isInteger(value) ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit] as string}`;
}
