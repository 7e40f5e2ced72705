/**
 * `mixedgpu fit` with messy files (issue 9, items 14, 15, 18): one clear error, or the file read as
 * asked (--delimiter, --encoding, --stray-text) and the guess said on stderr.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runFit, type FitArgs } from '../src/cli/fitCommand.js';

const PROBE = join(import.meta.dirname, 'fixtures', 'probe');
const dir = mkdtempSync(join(tmpdir(), 'cli-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: FitArgs) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runFit(args, { stdout: (s) => out.push(s), stderr: (s) => err.push(s), stderrIsTTY: false });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** The probe's base.csv rewritten with another delimiter (and decimal commas for ';'). */
function rewrite(name: string, delimiter: string, decimalComma = false): string {
  const rows = ['y,x,g'];
  for (let i = 0; i < 60; i++) rows.push(`${((i * 37) % 11) + 0.25 * (i % 6)},${(i % 10) / 4},g${i % 6}`);
  const text = rows.map((r) => r.split(',').map((f) => (decimalComma ? f.replace('.', ',') : f)).join(delimiter)).join('\n');
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('mixedgpu fit on messy files', () => {
  it('semicolon (decimal commas) and tab files are sniffed and the delimiter is named on stderr', async () => {
    const semi = await run({ file: rewrite('semi.csv', ';', true), formula: 'y ~ x + (1 | g)', json: true });
    expect(semi.code).toBe(0);
    expect(semi.stderr).toBe("mixedgpu: note: semi.csv: read as semicolon-delimited, numbers with a decimal point or a decimal comma (sniffed from the first lines; set the delimiter to choose another)\n");
    const tab = await run({ file: rewrite('tab.csv', '\t'), formula: 'y ~ x + (1 | g)', json: true, quiet: true });
    expect(tab.code).toBe(0);
    expect(tab.stderr).toBe('');
    expect(JSON.parse(tab.stdout).nobs).toBe(60);
  });

  it('--delimiter chooses; a bad one is one error', async () => {
    const bar = await run({ file: rewrite('bar.csv', '|'), formula: 'y ~ x + (1 | g)', json: true, delimiter: 'bar' });
    expect(bar.code).toBe(0);
    expect(bar.stderr).toBe('');
    const bad = await run({ file: rewrite('bar2.csv', '|'), formula: 'y ~ x + (1 | g)', delimiter: '||' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^mixedgpu: error: --delimiter must be one ASCII character/);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--factors with an unknown column is one error, not a warning and an error', async () => {
    const r = await run({ file: join(PROBE, 'base.csv'), formula: 'y ~ x + (1 | g)', factors: 'zz' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^mixedgpu: error: .*base\.csv: factors: column 'zz' not found in the data \(columns: y, x, g\)$/)]);
  });

  it('invalid UTF-8 is an error pointing at --encoding; --encoding latin1 keeps the four levels', async () => {
    const bad = await run({ file: join(PROBE, 'latin_merge.csv'), formula: 'y ~ x + (1 | g)' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/column 'g': the bytes are not valid UTF-8 .*--encoding latin1/);
    const ok = await run({ file: join(PROBE, 'latin_merge.csv'), formula: 'y ~ x + (1 | g)', encoding: 'latin1', json: true });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).ngroups).toEqual({ g: 4 });
    expect((await run({ file: join(PROBE, 'base.csv'), formula: 'y ~ x + (1 | g)', encoding: 'cp1252' })).stderr).toMatch(/--encoding must be utf-8 or latin1/);
  });

  it('a stray text value: the error names column, row and value; --stray-text missing reads it as missing', async () => {
    const rows = ['y,x,g'];
    for (let i = 0; i < 60; i++) rows.push(`${((i * 37) % 11) + 0.25 * (i % 6)},${i % 10},g${i % 6}`);
    rows[9] = rows[9].replace(/^[^,]*/, 'n/a?');
    const path = join(dir, 'stray.csv');
    writeFileSync(path, rows.join('\n'));
    const bad = await run({ file: path, formula: 'y ~ x + (1 | g)' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^mixedgpu: error: column 'y' holds numbers except for 1 of its 60 values that are not numbers \(row 9: "n\/a\?"\)/);
    const ok = await run({ file: path, formula: 'y ~ x + (1 | g)', strayText: 'missing', json: true });
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/warning: column 'y': 1 value that is not a number read as missing/);
    expect(JSON.parse(ok.stdout).nobs).toBe(59);
  });
});
