import { colors, visibleWidth } from './style';

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  align?: 'left' | 'right';
}

/** A plain aligned table (two spaces between columns); colour codes do not upset the alignment. */
export function renderTable<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((row) => columns.map((c) => c.value(row)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => visibleWidth(r[i]))));
  const line = (values: string[]) =>
    values
      .map((value, i) => {
        const pad = ' '.repeat(widths[i] - visibleWidth(value));
        return columns[i].align === 'right' ? pad + value : i === values.length - 1 ? value : value + pad;
      })
      .join('  ');
  const header = colors.bold(line(columns.map((c) => c.header)));
  return [header, ...cells.map(line)].join('\n');
}
