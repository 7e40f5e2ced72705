/**
 * The Arrow table of a random-frame case (test/oracle/randomFrames.ts), as the in-memory audit
 * (test/randomFrames.test.ts) and the engines' audit (test/gram/randomEngines.test.ts) read it.
 */
import * as arrow from 'apache-arrow';
import { readCsv } from '../../src/io/csv.js';
import { Rng } from '../../bench/synth.js';
import type { FrameCase } from '../oracle/randomFrames.js';

/**
 * The table of a case: its CSV read with the case's level order; with `dictionary`, a and b as
 * Arrow dictionaries in two chunks, each with its own shuffled dictionary holding unused entries.
 */
export function randomFrameTable(c: FrameCase): arrow.Table {
  const t = readCsv(c.csv, { levelOrder: c.levelOrder }).table;
  if (!c.dictionary) return t;
  const rng = new Rng(Number(c.name.slice(1)));
  const cols: Record<string, arrow.Vector> = {};
  for (const f of t.schema.fields) {
    const v = t.getChild(f.name)!;
    if (f.name !== 'a' && f.name !== 'b') { cols[f.name] = v; continue; }
    const values = Array.from({ length: v.length }, (_, i) => v.get(i) as string | null);
    const half = Math.floor(values.length / 2);
    const chunks = [values.slice(0, half), values.slice(half)].map((part) => {
      const entries = [...new Set(part.filter((s): s is string => s !== null)), 'zz unused', 'A unused'];
      for (let i = entries.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [entries[i], entries[j]] = [entries[j], entries[i]];
      }
      const at = new Map(entries.map((s, k) => [s, k]));
      const indices = Int32Array.from(part, (s) => (s === null ? 0 : at.get(s)!));
      const nullCount = part.filter((s) => s === null).length;
      const validity = new Uint8Array((part.length + 7) >> 3);
      part.forEach((s, i) => { if (s !== null) validity[i >> 3] |= 1 << (i & 7); });
      return arrow.makeData({
        type: new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()),
        length: part.length, nullCount, nullBitmap: nullCount > 0 ? validity : undefined, data: indices,
        dictionary: arrow.vectorFromArray(entries, new arrow.Utf8()),
      });
    });
    cols[f.name] = arrow.makeVector(chunks);
  }
  return new arrow.Table(cols);
}
