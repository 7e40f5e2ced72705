/**
 * `mixedgpu predictinterval` and `mixedgpu resim`: the program's commands give the library's
 * fit.predictIntervalSim / fit.REsim / fit.FEsim (same seed: the same draws, so equal numbers), as JSON
 * and as a CSV file; --no-resid-var reaches includeResidVar; bad arguments name the problem.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/program.js';
import { lmer } from '../src/fit/lmer.js';
import { readCsv } from '../src/io/csv.js';

const data = (f: string) => join(import.meta.dirname, 'fixtures', 'data', f);
const dir = mkdtempSync(join(tmpdir(), 'predint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const newdata = join(dir, 'new.csv');
writeFileSync(newdata, 'Subject,Days\n308,0\n335,5\n999,4\n');
const FORMULA = 'Reaction ~ Days + (Days | Subject)';

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [], err: string[] = [];
  const w1 = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out.push(String(s)); return true; });
  const w2 = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err.push(String(s)); return true; });
  const code = process.exitCode;
  try {
    process.exitCode = 0;
    await main(['node', 'mixedgpu', ...args]);
    return { code: process.exitCode ?? 0, stdout: out.join(''), stderr: err.join('') };
  } finally {
    w1.mockRestore(); w2.mockRestore();
    process.exitCode = code;
  }
}

describe('mixedgpu predictinterval / resim', () => {
  it('predictinterval --json and --csv: the library\'s intervals', async () => {
    const fit = await lmer(FORMULA, readCsv(readFileSync(data('sleepstudy.csv'), 'utf8'), { factors: ['Subject'] }).table);
    const nd = { Subject: ['308', '335', '999'], Days: [0, 5, 4] };
    const lib = fit.predictIntervalSim(nd, { nsims: 500, seed: 3, which: 'full', includeResidVar: false });
    const r = await run(['predictinterval', data('sleepstudy.csv'), FORMULA, '--factors', 'Subject', '--newdata', newdata, '--nsims', '500', '--seed', '3', '--no-resid-var', '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { nsims: number; rows: { fit: number; upr: number; lwr: number }[] };
    expect(j.nsims).toBe(500);
    j.rows.forEach((row, i) => {
      expect(row.fit).toBeCloseTo(lib.fit[i], 9);
      expect(row.upr).toBeCloseTo(lib.upr[i], 9);
      expect(row.lwr).toBeCloseTo(lib.lwr[i], 9);
    });
    const out = join(dir, 'pi.csv');
    const c = await run(['predictinterval', data('sleepstudy.csv'), FORMULA, '--factors', 'Subject', '--newdata', newdata, '--nsims', '200', '--which', 'all', '--csv', out]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toMatch(/level of 'Subject' not in the fit/);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('"effect","fit","upr","lwr","obs"');
    expect(lines.length).toBe(1 + 3 * 3);
  });

  it('resim and resim --fixed: REsim\'s and FEsim\'s rows', async () => {
    const fit = await lmer(FORMULA, readCsv(readFileSync(data('sleepstudy.csv'), 'utf8'), { factors: ['Subject'] }).table);
    const r = await run(['resim', data('sleepstudy.csv'), FORMULA, '--factors', 'Subject', '--nsims', '300', '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { rows: { groupID: string; term: string; mean: number; sd: number }[] };
    const lib = fit.REsim({ nsims: 300 });
    expect(j.rows.length).toBe(36);
    j.rows.forEach((row, e) => { expect(row.groupID).toBe(lib[e].groupID); expect(row.mean).toBeCloseTo(lib[e].mean, 9); expect(row.sd).toBeCloseTo(lib[e].sd!, 9); });
    const f = await run(['resim', data('sleepstudy.csv'), FORMULA, '--factors', 'Subject', '--fixed', '--nsims', '300']);
    expect(f.code, f.stderr).toBe(0);
    expect(f.stdout).toMatch(/term\s+mean\s+median\s+sd/);
    expect(f.stdout).toMatch(/\(Intercept\)/);
  });

  it('bad arguments name the problem', async () => {
    const a = await run(['predictinterval', data('sleepstudy.csv'), FORMULA, '--factors', 'Subject']);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/--newdata/);
    const b = await run(['predictinterval', data('sleepstudy.csv'), FORMULA, '--factors', 'Subject', '--newdata', newdata, '--which', 'both']);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/which/);
    const c = await run(['predictinterval', data('sleepstudy.csv'), FORMULA, '--factors', 'Subject', '--newdata', newdata, '--type', 'probability']);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/glmer fits/);
  });
});
