/**
 * escalc on a table and `mixedgpu escalc` (runEscalc, the command's function): yi and vi appended to
 * the data, as metafor's escalc(data = ...), to 1e-12; clear errors for bad arguments.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runEscalc } from '../../src/cli/escalcCommand.js';
import { readCsv } from '../../src/io/csv.js';
import { readArrowIpc } from '../../src/io/arrow.js';
import { escalcTable } from '../../src/meta/escalcTable.js';
import { loadMetaData, loadMetaJson, metaDataPath, numericColumn } from '../helpers/metaReference.js';

const ref = loadMetaJson<{ cases: { name: string; yi: number[]; vi: number[] }[] }>('escalc');
const bcgRR = ref.cases.find((c) => c.name === 'bcg_RR')!;
const dir = mkdtempSync(join(tmpdir(), 'mixedgpu-escalc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectClose(got: Float64Array, want: number[]): void {
  want.forEach((w, i) => expect(Math.abs(got[i] - w) / Math.abs(w), `row ${i}`).toBeLessThan(1e-12));
}

function run(args: Parameters<typeof runEscalc>[0]) {
  let out = '', err = '';
  return runEscalc(args, { stdout: (s) => { out += s; }, stderr: (s) => { err += s; } }).then((code) => ({ code, out, err }));
}

describe('escalc on a table', () => {
  it('appends yi and vi to the data', () => {
    const t = loadMetaData('bcg');
    const { table } = escalcTable('RR', t, { ai: 'tpos', bi: 'tneg', ci: 'cpos', di: 'cneg' });
    expect(table.schema.fields.map((f) => f.name)).toEqual([...t.schema.fields.map((f) => f.name), 'yi', 'vi']);
    expectClose(numericColumn(table, 'yi'), bcgRR.yi);
    expectClose(numericColumn(table, 'vi'), bcgRR.vi);
  });
  it('names the column and the problem', () => {
    const t = loadMetaData('bcg');
    expect(() => escalcTable('RR', t, { ai: 'tpos', bi: 'nope', ci: 'cpos', di: 'cneg' })).toThrow(/escalc RR bi: no column 'nope' in the data \(columns: trial, author/);
    expect(() => escalcTable('RR', t, { ai: 'author', bi: 'tneg', ci: 'cpos', di: 'cneg' })).toThrow(/column 'author' must be numeric, but it holds text values/);
    expect(() => escalcTable('RR', t, { ai: 'tpos', bi: 'tneg', ci: 'cpos', di: 'cneg', ri: 'year' })).toThrow(/escalc RR does not use 'ri'/);
    expect(() => escalcTable('XYZ', t, {})).toThrow(/unknown effect-size measure 'XYZ'/);
  });
});

describe('mixedgpu escalc', () => {
  it('writes CSV with yi and vi to stdout', async () => {
    const r = await run({ file: metaDataPath('bcg'), measure: 'rr', ai: 'tpos', bi: 'tneg', ci: 'cpos', di: 'cneg' });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const t = readCsv(r.out).table;
    expectClose(numericColumn(t, 'yi'), bcgRR.yi);
    expectClose(numericColumn(t, 'vi'), bcgRR.vi);
  });
  it('writes Arrow IPC and CSV files with --out', async () => {
    const arrowPath = join(dir, 'bcg.arrow');
    expect((await run({ file: metaDataPath('bcg'), measure: 'OR', ai: 'tpos', bi: 'tneg', ci: 'cpos', di: 'cneg', out: arrowPath })).code).toBe(0);
    const or = ref.cases.find((c) => c.name === 'bcg_OR')!;
    expectClose(numericColumn(readArrowIpc(readFileSync(arrowPath)), 'yi'), or.yi);
    const csvPath = join(dir, 'smd.csv');
    expect((await run({ file: metaDataPath('normand1999'), measure: 'SMD', m1i: 'm1i', sd1i: 'sd1i', n1i: 'n1i', m2i: 'm2i', sd2i: 'sd2i', n2i: 'n2i', out: csvPath })).code).toBe(0);
    const smd = ref.cases.find((c) => c.name === 'normand_SMD')!;
    expectClose(numericColumn(readCsv(readFileSync(csvPath, 'utf8')).table, 'vi'), smd.vi);
  });
  it('reports bad arguments', async () => {
    expect((await run({ file: metaDataPath('bcg') })).err).toMatch(/--measure is required \(one of RR, OR, RD/);
    expect((await run({ file: metaDataPath('bcg'), measure: 'RR' })).err).toMatch(/name the data's columns with metafor's arguments/);
    expect((await run({ file: metaDataPath('bcg'), measure: 'RR', ai: 'tpos', bi: 'tneg', ci: 'cpos', di: 'cneg', to: 'some' })).err).toMatch(/--to must be one of all, only0, if0all, none/);
    expect((await run({ file: metaDataPath('bcg'), measure: 'RR', ai: 'tpos', bi: 'tneg', ci: 'cpos', di: 'cneg', add: '-1' })).err).toMatch(/--add must be a number ≥ 0/);
    expect((await run({ file: metaDataPath('bcg'), measure: 'RR', ai: 'tpos', bi: 'tneg', ci: 'cpos', di: 'cneg', out: join(dir, 'x.txt') })).err).toMatch(/write .csv or Arrow IPC/);
    expect((await run({ file: join(dir, 'missing.csv'), measure: 'RR', ai: 'a' })).err).toMatch(/Data file not found/);
  });
});
