/**
 * An Arrow table as CSV text, the way R's write.csv writes a data frame (row.names = FALSE): a
 * header of quoted names, numbers in their shortest round-trip form, strings and factor levels
 * quoted (inner quotes doubled), missing values as NA.
 */
import type * as arrow from 'apache-arrow';

function quote(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

/** CSV lines of the table (header first), each without its newline. */
export function tableToCsvLines(table: arrow.Table): string[] {
  const fields = table.schema.fields;
  const cols = fields.map((f) => table.getChild(f.name)!);
  const numeric = fields.map((f) => /^(Float|Int|Uint)/.test(String(f.type)));
  const lines = [fields.map((f) => quote(f.name)).join(',')];
  for (let i = 0; i < table.numRows; i++) {
    lines.push(cols.map((c, j) => {
      const v = c.get(i);
      if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return 'NA';
      if (numeric[j]) return String(Number(v));
      if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
      return quote(String(v));
    }).join(','));
  }
  return lines;
}

export function tableToCsv(table: arrow.Table): string {
  return `${tableToCsvLines(table).join('\n')}\n`;
}
