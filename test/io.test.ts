import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { readCsv } from '../src/io/csv.js';
import { readArrowIpc } from '../src/io/arrow.js';
import { readCsvFile, readTableFile } from '../src/io/node.js';

const DATA = 'test/fixtures/data';

function typeOf(t: arrow.Table, name: string): arrow.DataType {
  const c = t.getChild(name);
  if (!c) throw new Error(`no column ${name}`);
  return c.type;
}
function isFloat64(t: arrow.Table, name: string): boolean {
  const ty = typeOf(t, name);
  return arrow.DataType.isFloat(ty) && ty.precision === arrow.Precision.DOUBLE;
}
function isFactor(t: arrow.Table, name: string): boolean {
  const ty = typeOf(t, name);
  return arrow.DataType.isDictionary(ty) && arrow.DataType.isUtf8(ty.dictionary) && ty.indices.bitWidth === 32 && ty.indices.isSigned;
}
function levels(t: arrow.Table, name: string): string[] {
  const d = t.getChild(name)!.data[0]!.dictionary!;
  return d.toArray() as string[];
}
function col(t: arrow.Table, name: string): unknown[] {
  return t.getChild(name)!.toArray() as unknown[];
}
function values(t: arrow.Table, name: string): (number | string | null)[] {
  return [...t.getChild(name)!] as (number | string | null)[];
}

describe('readCsv on fixtures', () => {
  it('sleepstudy: all numeric, including Subject ("308")', () => {
    const { table, warnings } = readCsvFile(`${DATA}/sleepstudy.csv`, { factors: ['Subject'] });
    expect(warnings).toEqual([]);
    expect(table.numRows).toBe(180);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['Reaction', 'Days', 'Subject']);
    for (const n of ['Reaction', 'Days', 'Subject']) expect(isFloat64(table, n)).toBe(true);
    expect(values(table, 'Reaction')[0]).toBeCloseTo(249.56, 10);
    expect(values(table, 'Subject')[0]).toBe(308);
    expect(table.getChild('Days')!.nullCount).toBe(0);
  });

  it('dyestuff: Batch is a dictionary with levels A..F', () => {
    const { table } = readCsvFile(`${DATA}/dyestuff.csv`);
    expect(table.numRows).toBe(30);
    expect(isFactor(table, 'Batch')).toBe(true);
    expect(isFloat64(table, 'Yield')).toBe(true);
    expect(levels(table, 'Batch')).toEqual(['A', 'B', 'C', 'D', 'E', 'F']);
    expect(values(table, 'Batch').slice(0, 6)).toEqual(['A', 'A', 'A', 'A', 'A', 'B']);
    expect(values(table, 'Yield')[0]).toBe(1545);
  });

  it('insteval: 73421 rows, all columns numeric', () => {
    const { table } = readTableFile(`${DATA}/insteval.csv`);
    expect(table.numRows).toBe(73421);
    expect(table.numCols).toBe(7);
    for (const f of table.schema.fields) expect(isFloat64(table, f.name)).toBe(true);
  });

  it('verbagg: factor levels sorted like R in an English locale (S4wantCurse before S4WantScold)', () => {
    const { table } = readTableFile(`${DATA}/verbagg.csv`);
    expect(table.numRows).toBe(7584);
    expect(isFloat64(table, 'Anger')).toBe(true);
    expect(isFloat64(table, 'id')).toBe(true);
    for (const n of ['Gender', 'item', 'resp', 'btype', 'situ', 'mode', 'r2']) expect(isFactor(table, n)).toBe(true);
    expect(levels(table, 'Gender')).toEqual(['F', 'M']);
    expect(levels(table, 'btype')).toEqual(['curse', 'scold', 'shout']);
    const item = levels(table, 'item');
    expect(item.slice(18)).toEqual(['S4DoCurse', 'S4DoScold', 'S4DoShout', 'S4wantCurse', 'S4WantScold', 'S4WantShout']);
    // C-locale ordering is available too
    const c = readCsvFile(`${DATA}/verbagg.csv`, { levelOrder: 'C' }).table;
    expect(levels(c, 'item').slice(18)).toEqual(['S4DoCurse', 'S4DoScold', 'S4DoShout', 'S4WantScold', 'S4WantShout', 'S4wantCurse']);
  });

  it('pastes / bcg: mixed types', () => {
    const p = readCsvFile(`${DATA}/pastes.csv`).table;
    expect(isFloat64(p, 'strength')).toBe(true);
    expect(levels(p, 'sample').slice(0, 3)).toEqual(['A:a', 'A:b', 'A:c']);
    const b = readCsvFile(`${DATA}/bcg.csv`).table;
    expect(isFactor(b, 'author')).toBe(true);
    expect(values(b, 'author')[1]).toBe('Ferguson & Simes');
    expect(isFloat64(b, 'yi')).toBe(true);
  });

  it('an unknown factor name is one error (issue 9, item 18: not a warning and then an error)', () => {
    expect(() => readCsvFile(`${DATA}/dyestuff.csv`, { factors: ['Batch', 'Nope'] }))
      .toThrow(/dyestuff\.csv: factors: column 'Nope' not found in the data \(columns: Batch, Yield\)/);
  });
});

describe('readCsv parsing details', () => {
  it('nulls: empty and NA in numeric and text columns', () => {
    const { table } = readCsv('x,s\n1,a\n,\nNA,NA\n4,"NA"\n"",b\n');
    expect(isFloat64(table, 'x')).toBe(true);
    expect(isFactor(table, 's')).toBe(true);
    expect(values(table, 'x')).toEqual([1, null, null, 4, null]);
    expect(values(table, 's')).toEqual(['a', null, null, null, 'b']);
    expect(table.getChild('x')!.nullCount).toBe(3);
    expect(table.getChild('s')!.nullCount).toBe(3);
    expect(levels(table, 's')).toEqual(['a', 'b']);
    // null slots hold NaN in the value buffer
    expect(Number.isNaN((table.getChild('x')!.data[0]!.values as Float64Array)[1])).toBe(true);
  });

  it('quoted numbers are numbers; number spellings like R', () => {
    const { table } = readCsv('a,b\n"1",1e3\n"2.5",-Inf\n" 3 ",.5\n"-4",NaN\n');
    expect(isFloat64(table, 'a')).toBe(true);
    expect(values(table, 'a')).toEqual([1, 2.5, 3, -4]);
    const b = values(table, 'b') as number[];
    expect(b.slice(0, 3)).toEqual([1000, -Infinity, 0.5]);
    expect(Number.isNaN(b[3])).toBe(true);
    expect(table.getChild('b')!.nullCount).toBe(0);
  });

  it('a column that turns to text late keeps the exact original strings as levels', () => {
    const rows = ['v,w'];
    for (let i = 0; i < 2000; i++) rows.push(`${i % 3 === 0 ? '1.0' : i % 3 === 1 ? '' : '02'},${i}`);
    rows.push('zz,1');
    const { table } = readCsv(rows.join('\n'));
    expect(isFactor(table, 'v')).toBe(true);
    expect(levels(table, 'v')).toEqual(['02', '1.0', 'zz']);
    const v = values(table, 'v');
    expect(v.slice(0, 4)).toEqual(['1.0', null, '02', '1.0']);
    expect(v[2000]).toBe('zz');
    expect(table.getChild('v')!.nullCount).toBe(667);
    expect(isFloat64(table, 'w')).toBe(true);
  });

  it('quoted fields with commas, quotes and newlines', () => {
    const { table } = readCsv('name,n\n"Smith, J.",1\n"say ""hi""",2\n"two\nlines",3\n');
    expect(values(table, 'name')).toEqual(['Smith, J.', 'say "hi"', 'two\nlines']);
    expect(values(table, 'n')).toEqual([1, 2, 3]);
  });

  it('CRLF line endings, trailing newline, BOM, blank lines', () => {
    const { table } = readCsv('\uFEFF"a","b"\r\n1,x\r\n\r\n2,y\r\n');
    expect(table.schema.fields.map((f) => f.name)).toEqual(['a', 'b']);
    expect(values(table, 'a')).toEqual([1, 2]);
    expect(values(table, 'b')).toEqual(['x', 'y']);
    const noTrailing = readCsv('a,b\n1,x\n2,y').table;
    expect(noTrailing.numRows).toBe(2);
  });

  it('TSV via delimiter / .tsv extension', () => {
    const dir = mkdtempSync(join(tmpdir(), 'io-test-'));
    try {
      const p = join(dir, 'd.tsv');
      writeFileSync(p, 'a\tb\n1\tx,y\n2\tz\n');
      const { table } = readTableFile(p);
      expect(values(table, 'a')).toEqual([1, 2]);
      expect(values(table, 'b')).toEqual(['x,y', 'z']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('integer-like column names keep their order; empty first header becomes X', () => {
    const { table, warnings } = readCsv('"",b,2020\n1,2,3\n');
    expect(table.schema.fields.map((f) => f.name)).toEqual(['X', 'b', '2020']);
    expect(warnings.some((w) => /empty name/.test(w))).toBe(true);
  });
});

describe('readCsv errors', () => {
  it('empty file / no header', () => {
    expect(() => readCsv('')).toThrow(/empty/i);
    expect(() => readCsv('\uFEFF\n\r\n')).toThrow(/empty/i);
  });
  it('header but no data rows', () => {
    expect(() => readCsv('a,b\n')).toThrow('CSV has a header but no data rows');
    expect(() => readCsv('a,b')).toThrow('CSV has a header but no data rows');
  });
  it('wrong number of fields names the line and counts', () => {
    expect(() => readCsv('a,b\n1,2\n3,4,5\n')).toThrow(/line 3.*3 fields.*header has 2/);
    expect(() => readCsv('a,b,c\r\n1,2,3\r\n\r\n"x\ny",4\r\n')).toThrow(/line 4.*2 fields.*header has 3/);
  });
  it('duplicate column names', () => {
    expect(() => readCsv('a,b,a\n1,2,3\n')).toThrow(/duplicate column name "a".*columns 1 and 3/);
  });
  it('unterminated quote', () => {
    expect(() => readCsv('a,b\n1,"oops\n2,3\n')).toThrow(/not terminated/);
  });
  it('files: missing file, unknown extension', () => {
    expect(() => readTableFile('test/fixtures/data/does-not-exist.csv')).toThrow(/not found/);
    expect(() => readTableFile('test/fixtures/data/sleepstudy.xlsx')).toThrow(/Unknown data file extension "\.xlsx"/);
  });
});

describe('Arrow IPC', () => {
  it('round trip (file and stream formats) keeps types, nulls and dictionaries', () => {
    const { table } = readCsv('x,g,s\n1.5,a,\n,b,q\n3,a,r\n');
    for (const fmt of ['file', 'stream'] as const) {
      const bytes = arrow.tableToIPC(table, fmt);
      const back = readArrowIpc(bytes);
      expect(back.numRows).toBe(3);
      expect(isFloat64(back, 'x')).toBe(true);
      expect(isFactor(back, 'g')).toBe(true);
      expect(values(back, 'x')).toEqual([1.5, null, 3]);
      expect(values(back, 'g')).toEqual(['a', 'b', 'a']);
      expect(values(back, 's')).toEqual([null, 'q', 'r']);
      expect(levels(back, 'g')).toEqual(['a', 'b']);
    }
  });

  it('readTableFile on .arrow / .feather files; bad bytes throw', () => {
    const { table } = readCsvFile(`${DATA}/dyestuff.csv`);
    const dir = mkdtempSync(join(tmpdir(), 'io-test-'));
    try {
      for (const ext of ['arrow', 'feather', 'ipc']) {
        const p = join(dir, `d.${ext}`);
        writeFileSync(p, arrow.tableToIPC(table, ext === 'ipc' ? 'stream' : 'file'));
        const back = readTableFile(p, { factors: ['Batch'] });
        expect(back.table.numRows).toBe(30);
        expect(levels(back.table, 'Batch')).toEqual(['A', 'B', 'C', 'D', 'E', 'F']);
        expect(back.warnings).toHaveLength(0);
        expect(() => readTableFile(p, { factors: ['Batch', 'Missing'] })).toThrow(/factors: column 'Missing' not found/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => readArrowIpc(new Uint8Array(0))).toThrow(/empty/);
    expect(() => readArrowIpc(new TextEncoder().encode('a,b\n1,2\n'))).toThrow();
  });
});

describe('large CSV', () => {
  it('parses 1M rows x 4 columns quickly', () => {
    const n = 1_000_000;
    const parts: string[] = ['y,x,g,h\n'];
    let seed = 12345;
    const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
    let buf: string[] = [];
    for (let i = 0; i < n; i++) {
      buf.push(`${(rnd() * 100 - 50).toFixed(6)},${(rnd() * 10).toFixed(4)},"g${(i * 7919) % 1000}",${i % 37}`);
      if (buf.length === 10000) {
        parts.push(buf.join('\n') + '\n');
        buf = [];
      }
    }
    if (buf.length) parts.push(buf.join('\n') + '\n');
    const text = parts.join('');
    const t0 = performance.now();
    const { table } = readCsv(text);
    const secs = (performance.now() - t0) / 1000;
    console.log(`readCsv: 1M rows x 4 cols (${(text.length / 2 ** 20).toFixed(1)} MiB) in ${secs.toFixed(2)} s`);
    expect(table.numRows).toBe(n);
    expect(isFloat64(table, 'y')).toBe(true);
    expect(isFloat64(table, 'h')).toBe(true);
    expect(isFactor(table, 'g')).toBe(true);
    expect(levels(table, 'g')).toHaveLength(1000);
    expect(values(table, 'g')[1]).toBe('g919');
    expect(col(table, 'h')[36]).toBe(36);
    expect(secs).toBeLessThan(15);
  });
});
