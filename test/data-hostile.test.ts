/**
 * Hostile data (issue 9, items 7, 12, 13, 14, 15, 18, 19): each stops with an error that names the
 * column, row or limit, or is read and fitted correctly — never a silent merge, drop or wrong fit.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { DataError, ModelError, OptionError } from '../src/errors/errors.js';
import { readCsv } from '../src/io/csv.js';
import { readCsvFile, readTableFile } from '../src/io/node.js';
import { makeFactorVector, makeFloat64Vector, tableFromColumns } from '../src/io/arrow.js';
import { lmer } from '../src/fit/lmer.js';
import { glmer } from '../src/fit/glmer.js';
import { checkModelMatrixSize } from '../src/frame/checks.js';
import { loadData } from './helpers/reference.js';

const PROBE = join(import.meta.dirname, 'fixtures', 'probe');
const csv = (text: string) => readCsv(text).table;
const levelsOf = (t: arrow.Table, name: string) => {
  const v = t.getChild(name)!;
  return Array.from((v.data[0].dictionary as arrow.Vector).toArray() as string[]);
};

/** The error `p` rejects with, checked to be of `type`. */
async function rejection<T>(p: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  let error: unknown;
  try {
    await p;
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(type);
  return error as T;
}

function sync<T>(f: () => unknown, type: new (...args: never[]) => T): T {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(type);
  return error as T;
}

describe('model size checked before allocating (item 7)', () => {
  it('a 100k-level factor as a fixed effect is refused at once, with the numbers', async () => {
    const n = 100_000;
    const g = new Int32Array(n).map((_, i) => i);
    const h = new Int32Array(n).map((_, i) => i % 50);
    const y = new Float64Array(n).map((_, i) => Math.sin(i));
    const t = tableFromColumns([
      ['y', makeFloat64Vector(y)],
      ['g', makeFactorVector(g, Array.from({ length: n }, (_, i) => `g${i}`))],
      ['h', makeFactorVector(h, Array.from({ length: 50 }, (_, i) => `h${i}`))],
    ]);
    const t0 = performance.now();
    const e = await rejection(lmer('y ~ g + (1 | h)', t), ModelError);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(e.message).toMatch(/fixed-effects model matrix would have 100,000 columns \(largest terms: 'g': 99,999\), more than the limit of 10,000 \(MAX_MODEL_COLUMNS\)/);
  });

  it('a model matrix larger than the memory is refused with rows, columns and bytes', () => {
    const e = sync(() => checkModelMatrixSize('fixed-effects', 5000, 100_000_000, [{ label: 'x', columns: 4999 }]), ModelError);
    expect(e.message).toMatch(/100,000,000 rows × 5,000 columns .*about 14901\.2 GiB while it is built, more than this machine's .* of memory/);
  });
});

describe('constant GLMM response (item 12)', () => {
  it('binomial all-zero and all-one, Poisson all-zero: "Response is constant", as lme4', async () => {
    const { table } = readCsvFile(join(PROBE, 'zeros.csv'));
    const e = await rejection(glmer('y ~ x + (1 | g)', table, { family: 'binomial' }), ModelError);
    expect(e.message).toMatch(/^Response is constant: the response 'y' is 0 in all 400 rows used/);
    await expect(glmer('y ~ x + (1 | g)', table, { family: 'poisson' })).rejects.toThrow(/Response is constant/);
    await expect(glmer('I(1 - y) ~ x + (1 | g)', table, { family: 'binomial' })).rejects.toThrow(/Response is constant: the response 'I\(1 - y\)' is 1/);
  });
});

describe('infinite values are errors, not missing values (item 13)', () => {
  it("Inf in the response: lme4's NA/NaN/Inf error naming the column and the first row", async () => {
    const { table } = readCsvFile(join(PROBE, 'y_Inf.csv'));
    const e = await rejection(lmer('y ~ x + (1 | g)', table), DataError);
    expect(e.message).toMatch(/^NA\/NaN\/Inf in 'y': the response 'y' is Inf in row 4 \(and 2 more rows\)/);
    expect(e.column).toBe('y');
    expect(e.row).toBe(4);
    // the clean file fits
    const base = readCsvFile(join(PROBE, 'base.csv')).table;
    expect((await lmer('y ~ x + (1 | g)', base)).nobs).toBe(100);
  });

  it('-Inf and 1e309 in a covariate, log(0) in the formula; NaN and NA stay missing', async () => {
    const rows = ['y,x,g'];
    for (let i = 0; i < 40; i++) rows.push(`${(i % 7) + 0.1 * i},${(i % 5) + 1},g${i % 4}`);
    const clean = rows.join('\n');
    const lines = clean.split('\n');
    lines[3] = lines[3].replace(/^[^,]*/, '1e309');
    await expect(lmer('y ~ x + (1 | g)', csv(lines.join('\n')))).rejects.toThrow(/NA\/NaN\/Inf in 'y': the response 'y' is Inf in row 3\./);
    await expect(lmer('y ~ x + (1 | g)', csv(`${clean}\n1.5,-Inf,g1`))).rejects.toThrow(/NA\/NaN\/Inf in 'x': the variable 'x' is -Inf in row 41/);
    await expect(lmer('y ~ log(x0) + (1 | g)', csv(`${clean.replace('y,x,g', 'y,x0,g')}\n1.5,0,g1`))).rejects.toThrow(/NA\/NaN\/Inf in 'log\(x0\)'.* -Inf in row 41/);
    await expect(lmer('log(y) ~ x + (1 | g)', csv(`${clean}\n0,1,g1`))).rejects.toThrow(/NA\/NaN\/Inf in 'log\(y\)': the response 'log\(y\)' is -Inf in row 1 \(and 1 more row\)/);
    const fit = await lmer('y ~ x + (1 | g)', csv(`${clean}\nNaN,1,g1\nNA,2,g2`));
    expect(fit.model.frame.nDropped).toBe(2);
    // an Inf in a row dropped for a missing value elsewhere is not reached (as R's na.omit)
    expect((await lmer('y ~ x + (1 | g)', csv(`${clean}\nInf,NA,g1`))).model.frame.nDropped).toBe(1);
  });
});

describe('encodings (item 14)', () => {
  it('invalid UTF-8 stops with the row, the column and the bytes, never merging levels', () => {
    const e = sync(() => readCsvFile(join(PROBE, 'latin_merge.csv')), DataError);
    expect(e.message).toMatch(/latin_merge\.csv: CSV line 2 \(data row 1\), column 'g': the bytes are not valid UTF-8 \(0xE9 at byte 4 of the value, which reads as "café" in Latin-1\)/);
    expect(e.message).toMatch(/encoding 'latin1' \(CLI: --encoding latin1\)/);
    expect(e.row).toBe(1);
    expect(e.column).toBe('g');
  });

  it("encoding: 'latin1' reads the four distinct levels", async () => {
    const { table } = readCsvFile(join(PROBE, 'latin_merge.csv'), { encoding: 'latin1' });
    expect(levelsOf(table, 'g')).toEqual(['café', 'cafè', 'tête', 'thé']);
    const fit = await lmer('y ~ x + (1 | g)', table);
    expect(fit.ranef[0].levels).toHaveLength(4);
  });

  it('decoded text with replacement characters (bytes already lost) is an error', () => {
    expect(() => readCsv('y,g\n1,caf\uFFFD\n2,b\n')).toThrow(/column 'g': the level "caf\uFFFD" holds U\+FFFD/);
    expect(() => readCsv('y,g\n1,a\n', { encoding: 'ebcdic' as never })).toThrow(OptionError);
  });

  it('a UTF-16 file is named as such', () => {
    const utf16 = Uint8Array.from([0xff, 0xfe, ...Array.from(new TextEncoder().encode('y,g\n1,a\n')).flatMap((b) => [b, 0])]);
    expect(() => readCsv(utf16)).toThrow(/CSV is UTF-16 \(it starts with the byte order mark FF FE\): save it as UTF-8/);
  });

  it('valid UTF-8 (accents, CJK, emoji) reads as it is', () => {
    const t = readCsv(new TextEncoder().encode('y,g\n1,café\n2,東京\n3,😀\n')).table;
    expect(levelsOf(t, 'g').sort()).toEqual(['café', '東京', '😀'].sort());
  });
});

describe('numbers with stray text (item 15)', () => {
  const rows = ['y,x,g'];
  for (let i = 0; i < 60; i++) rows.push(`${((i * 37) % 11) + 0.25 * (i % 6)},${i % 10},g${i % 6}`);
  rows[17] = rows[17].replace(/^[^,]*/, 'oops');
  const text = rows.join('\n');

  it('a model using the column says so: column, row and value', async () => {
    const t = csv(text);
    const e = await rejection(lmer('y ~ x + (1 | g)', t), DataError);
    expect(e.message).toMatch(/^column 'y' holds numbers except for 1 of its 60 values that are not numbers \(row 17: "oops"\)/);
    expect(e.column).toBe('y');
    expect(e.row).toBe(17);
    expect(e.message).toMatch(/strayText: 'missing'.*--stray-text missing/);
    // a model not using it is fine
    expect((await lmer('x ~ 1 + (1 | g)', t)).nobs).toBe(60);
  });

  it("strayText: 'missing' reads the text as missing, with a warning; listing it in factors makes it a factor", async () => {
    const { table, warnings } = readCsv(text, { strayText: 'missing' });
    expect(table.getChild('y')!.type.typeId).toBe(arrow.Type.Float);
    expect(table.getChild('y')!.nullCount).toBe(1);
    expect(warnings.join('\n')).toMatch(/column 'y': 1 value that is not a number read as missing \(strayText: 'missing'\): row 17: "oops"/);
    expect((await lmer('y ~ x + (1 | g)', table)).model.frame.nDropped).toBe(1);
    const asFactor = readCsv(text, { factors: ['y'] }).table;
    expect(asFactor.schema.fields[0].metadata.size).toBe(0);
  });

  it('text columns, and mostly-text columns with some numbers, are factors as in R', () => {
    const t = csv('a,b,c\ng1,1,x\ng2,2,y\ng3,x,z\ng4,y,w\n');
    expect(levelsOf(t, 'a')).toEqual(['g1', 'g2', 'g3', 'g4']);
    expect(levelsOf(t, 'b')).toEqual(['1', '2', 'x', 'y']);
    expect(t.schema.fields[1].metadata.size).toBe(0);
  });
});

describe('delimiters, line endings, truncated files, factor names (item 18)', () => {
  it('semicolon- and tab-delimited CSV are sniffed, and the result says which', async () => {
    const body = 'y;x;g\n1,5;1;a\n2;2;b\n3,25;3;a\n4;4;b\n';
    const semi = readCsv(body);
    expect(semi.delimiter).toBe(';');
    expect(semi.notes).toEqual(['read as semicolon-delimited, numbers with a decimal point or a decimal comma (sniffed from the first lines; set the delimiter to choose another)']);
    expect(semi.table.schema.fields.map((f) => f.name)).toEqual(['y', 'x', 'g']);
    // decimal commas in a semicolon-delimited file, as R's read.csv2
    expect(Array.from(semi.table.getChild('y')!.toArray() as Float64Array)).toEqual([1.5, 2, 3.25, 4]);
    expect(Array.from(readCsv(body.replace(/,/g, '.')).table.getChild('y')!.toArray() as Float64Array)).toEqual([1.5, 2, 3.25, 4]);
    const tab = readCsv('y\tx\tg\n1\t1\ta\n2\t2\tb\n');
    expect(tab.delimiter).toBe('\t');
    expect(readCsv('y,x\n1,2\n').notes).toBeUndefined();
    expect(readCsv('y;x\n1;2\n', { delimiter: ',' }).table.schema.fields.map((f) => f.name)).toEqual(['y;x']);
    expect(() => readCsv('a,b\n1,2\n', { delimiter: ',,' })).toThrow(/delimiter must be one ASCII character/);
  });

  it('mixed line endings (\\n, \\r\\n, \\r) in one file are read', () => {
    const t = csv('y,x,g\r\n1,2,a\n3,4,b\r5,6,c\r\n7,8,d');
    expect(t.numRows).toBe(4);
    expect(Array.from(t.getChild('y')!.toArray() as Float64Array)).toEqual([1, 3, 5, 7]);
    expect(levelsOf(t, 'g')).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a truncated .arrow file says it is truncated or not Arrow IPC', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trunc-'));
    try {
      const bytes = arrow.tableToIPC(csv('y,x,g\n1,2,a\n3,4,b\n'), 'file');
      writeFileSync(join(dir, 'd.arrow'), bytes.subarray(0, Math.floor(bytes.length * 0.6)));
      const e = sync(() => readTableFile(join(dir, 'd.arrow')), DataError);
      expect(e.message).toMatch(/d\.arrow: the Arrow IPC file is truncated/);
      writeFileSync(join(dir, 's.arrow'), arrow.tableToIPC(csv('y,x,g\n1,2,a\n3,4,b\n'), 'stream').subarray(0, 100));
      expect(() => readTableFile(join(dir, 's.arrow'))).toThrow(/truncated or not Arrow IPC/);
      writeFileSync(join(dir, 'c.arrow'), 'y,x\n1,2\n');
      expect(() => readTableFile(join(dir, 'c.arrow'))).toThrow(/c\.arrow: not Arrow IPC: the data \(8 bytes\) start with "y,x.1,2."/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('overflow and underflow, scale-free correlations (item 19)', () => {
  const sleep = loadData({ data: '../data/sleepstudy.csv' });
  const scaled = (s: number) => {
    const y = Float64Array.from(sleep.getChild('Reaction')!.toArray() as Float64Array, (v) => v * s);
    return tableFromColumns([['Reaction', makeFloat64Vector(y)], ['Days', sleep.getChild('Days')!], ['Subject', sleep.getChild('Subject')!]]);
  };
  const F = 'Reaction ~ Days + (Days | Subject)';

  it('a response × 1e160 is an overflow (not "fits exactly"), × 1e-160 an underflow', async () => {
    const big = await rejection(lmer(F, scaled(1e160), { factors: ['Subject'] }), DataError);
    expect(big.message).toMatch(/the response 'Reaction' reaches 4\.664e\+162 \(row 10\).*overflow float64.*This is an overflow, not a property of the model/);
    const small = await rejection(lmer(F, scaled(1e-160), { factors: ['Subject'] }), DataError);
    expect(small.message).toMatch(/at most 4\.664e-158 in magnitude.*underflow/);
  });

  it('the correlations (fixed and random effects) do not depend on the scale', async () => {
    const ref = await lmer(F, sleep, { factors: ['Subject'] });
    const corrLine = (s: string) => s.split('\n').find((l) => /^Days -?\d\.\d{3}$/.test(l))!;
    const refLine = corrLine(ref.summary());
    expect(refLine).toMatch(/-0\.138/);
    const refCorr = ref.varCorr.find((r) => r.var2 !== null)!.sdcor;
    for (const s of [1e80, 1e-90]) {
      const fit = await lmer(F, scaled(s), { factors: ['Subject'] });
      expect(corrLine(fit.summary())).toBe(refLine);
      expect(fit.varCorr.find((r) => r.var2 !== null)!.sdcor).toBeCloseTo(refCorr, 4);
    }
  });
});
