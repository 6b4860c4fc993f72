/**
 * Column-aligned text tables, as Kafka's tools print them: a header row, then one row per
 * item, columns separated by at least two spaces. Empty or missing cells print as `-`.
 */
export type Cell = string | number | bigint | null | undefined;

export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  const text = rows.map((row) => headers.map((_, i) => cellText(row[i])));
  const widths = headers.map((header, i) => Math.max(header.length, ...text.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd((widths[i] as number) + 2)))
      .join('')
      .trimEnd();
  return [line(headers), ...text.map(line)].join('\n') + '\n';
}

function cellText(cell: Cell): string {
  if (cell === null || cell === undefined || cell === '') return '-';
  return String(cell);
}

/** JSON that can hold bigints (offsets): they print as numbers when safe, strings otherwise. */
export function formatJson(value: unknown): string {
  return (
    JSON.stringify(
      value,
      (_key, v: unknown) => (typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString()) : v),
      2,
    ) + '\n'
  );
}
