/**
 * glmmTMB 1.1.5's confint() of glmmTMB fits (src/zeroinfl/confint.ts) against test/oracle/tmb_confint.R
 * (test/fixtures/tmb_confint/confint.json): the rows' names and order, the columns' names, NA exactly where
 * glmmTMB has NA, the printout's lines, and the numbers:
 *   wald     1e-4 relative (R's fits run nlminb to rel.tol 1e-14; ours reaches the optimum to the size
 *            test/broomTmb.test.ts allows, 1e-4 relative for estimates and intervals; a correlation's
 *            error relative to 1); the printout where its digits are within that tolerance's reach:
 *            its shape (names, column labels, NA) always;
 *   uniroot  the profile likelihood's ends: against TMB's tmbroot with a uniroot to tol 1e-10 within 1e-6
 *            relative to max(1, |end|) (they are the likelihood's, not the optimizer's: both re-optimize the
 *            other parameters, so x̂'s own error does not enter), and against glmmTMB's confint(method =
 *            "uniroot"), whose uniroot stops at its default tol 1.2e-4, within 2e-4 absolute.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { zeroInflated } from '../src/zeroinfl/zeroInflated.js';
import type { ZeroInflatedFit } from '../src/zeroinfl/zeroInflatedFit.js';
import { type TmbConfintOptions, confintGlmmTmb, fullParameterNames } from '../src/zeroinfl/confint.js';
import { profileInterval } from '../src/zeroinfl/profileConfint.js';
import { ModelError, OptionError } from '../src/errors/errors.js';
import { type ZeroinflArgs, runZeroinfl } from '../src/cli/zeroinflCommand.js';
import { main } from '../src/cli/program.js';

const fixtures = join(import.meta.dirname, 'fixtures');
interface Matrix { names: string[]; columns: string[]; values: (number | null)[][]; print: string[] }
interface Case {
  name: string; formula: string; ziformula: string; dispformula: string; family: string; data: string;
  par: number[]; objective: number; fullNames: string[];
  calls: { options: Record<string, unknown> | unknown[]; result: Matrix }[];
  tight_uniroot?: { names: string[]; lower: (number | null)[]; upper: (number | null)[] };
}
const oracle = JSON.parse(readFileSync(join(fixtures, 'tmb_confint', 'confint.json'), 'utf8')) as { cases: Case[] };
const DATA: Record<string, { file: string; factors: string[] }> = {
  salamanders: { file: 'salamanders.csv', factors: [] },
  sleepstudy: { file: 'sleepstudy.csv', factors: ['Subject'] },
  tmbfamilies: { file: 'tmbfamilies.csv', factors: [] },
  tmbfamilies2: { file: 'tmbfamilies2.csv', factors: [] },
};
const table = (name: string) => readCsv(readFileSync(join(fixtures, 'data', DATA[name].file), 'utf8'), { factors: DATA[name].factors }).table;
const fits = new Map<string, Promise<ZeroInflatedFit>>();
const fitOf = (c: Case) => {
  if (!fits.has(c.name)) fits.set(c.name, zeroInflated(c.formula, table(c.data), { family: c.family as 'poisson', ziformula: c.ziformula, dispformula: c.dispformula, factors: DATA[c.data].factors }));
  return fits.get(c.name)!;
};
/** R's options (jsonlite's [] for an empty list; a list of parm values) as ours */
function optionsOf(o: Record<string, unknown> | unknown[]): TmbConfintOptions {
  if (Array.isArray(o)) return {};
  return o as TmbConfintOptions;
}
const caseOf = (name: string) => oracle.cases.find((c) => c.name === name)!;
// jsonlite's auto_unbox writes a one-row matrix's names and columns as scalars
const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
for (const c of oracle.cases) {
  for (const call of c.calls) {
    const r = call.result;
    r.names = asArray(r.names);
    r.values = r.values.map((col) => asArray(col));
  }
}

function expectWald(ours: Awaited<ReturnType<typeof confintGlmmTmb>>, ref: Matrix) {
  expect(ours.rows.map((r) => r.name)).toEqual(ref.names);
  expect(ours.columns).toEqual(ref.columns);
  ref.values.forEach((col, j) => col.forEach((v, i) => {
    const r = ours.rows[i];
    const mine = [r.lower, r.upper, r.estimate][j];
    if (v === null) { expect(mine, `${r.name} ${ref.columns[j]}`).toBeNaN(); return; }
    const scale = r.name.includes('Cor.') ? Math.max(1, Math.abs(v)) : Math.abs(v) || 1;
    expect(Math.abs(mine - v) / scale, `${r.name} ${ref.columns[j]}: ${mine} vs ${v}`).toBeLessThan(1e-4);
  }));
  // the printout's shape: the header's labels, each row's name and NA cells
  const lines = ours.print().trimEnd().split('\n');
  expect(lines.length).toBe(ref.print.length);
  expect(lines[0].trim().split(/\s+/).join(' ')).toBe(ref.print[0].trim().split(/\s+/).join(' '));
  lines.slice(1).forEach((l, i) => {
    expect(l.startsWith(ref.names[i])).toBe(true);
    expect((l.match(/\bNA\b/g) ?? []).length).toBe((ref.print[i + 1].match(/\bNA\b/g) ?? []).length);
  });
}

describe("glmmTMB's confint(method = 'wald')", () => {
  for (const c of oracle.cases) {
    it(`${c.name}: every call's rows, columns and intervals`, async () => {
      const fit = await fitOf(c);
      expect(fullParameterNames(fit)).toEqual(c.fullNames);
      let n = 0;
      for (const call of c.calls) {
        const o = optionsOf(call.options);
        if (o.method === 'uniroot') continue;
        expectWald(await confintGlmmTmb(fit, o), call.result);
        n++;
      }
      expect(n).toBeGreaterThanOrEqual(2);
    }, 120_000);
  }
  it('the printout as R prints it where the digits agree (sleep_gauss, parm = "beta_")', async () => {
    const c = caseOf('sleep_gauss');
    const call = c.calls.find((k) => !Array.isArray(k.options) && k.options.parm === 'beta_')!;
    const out = (await confintGlmmTmb(await fitOf(c), { parm: 'beta_' })).print().trimEnd().split('\n');
    // 7 significant digits of values within 1e-4 relative: the names, labels and the leading digits
    out.forEach((l, i) => expect(l.slice(0, 18)).toBe(call.result.print[i].slice(0, 18)));
  }, 120_000);
});

describe("glmmTMB's confint(method = 'uniroot'): the profile likelihood's ends", () => {
  for (const c of oracle.cases.filter((k) => k.tight_uniroot)) {
    it(`${c.name}: against tmbroot to tol 1e-10 (1e-6) and glmmTMB's confint (2e-4)`, async () => {
      const fit = await fitOf(c);
      const t = c.tight_uniroot!;
      const positions = t.names.map((_, i) => i);
      // the tight reference's parameters by position (their names repeat: zip_zi_site's two theta_1|site.1)
      const parm = c.name === 'sleep_gauss' ? [1, 2, 4, 5, 6] : c.name === 'zinb2_mined' ? [1, 2, 3, 4, 5, 6] : c.name === 'zip_zi_site' ? [5, 6] : [3, 4, 5];
      const ours = await confintGlmmTmb(fit, { method: 'uniroot', parm });
      expect(ours.rows.map((r) => r.name)).toEqual(t.names);
      for (const i of positions) {
        for (const [end, ref] of [['lower', t.lower[i]], ['upper', t.upper[i]]] as const) {
          const mine = ours.rows[i][end];
          if (ref === null) { expect(mine, `${t.names[i]} ${end}`).toBeNaN(); continue; }
          expect(Math.abs(mine - ref) / Math.max(1, Math.abs(ref)), `${t.names[i]} ${end}: ${mine} vs ${ref}`).toBeLessThan(1e-6);
        }
      }
      const call = c.calls.find((k) => !Array.isArray(k.options) && k.options.method === 'uniroot');
      if (call) {
        const o = optionsOf(call.options);
        const r = await confintGlmmTmb(fit, o);
        expect(r.rows.map((x) => x.name)).toEqual(call.result.names);
        expect(r.columns).toEqual(call.result.columns);
        call.result.values.forEach((col, j) => col.forEach((v, i) => {
          const mine = [r.rows[i].lower, r.rows[i].upper, r.rows[i].estimate][j];
          if (v === null) expect(mine).toBeNaN();
          else expect(Math.abs(mine - v), `${r.rows[i].name} ${call.result.columns[j]}`).toBeLessThan(2e-4);
        }));
      }
    }, 300_000);
  }
});

describe("the profile's progress (onProgress) and Cancel (signal)", () => {
  it('reports each parameter before its profile and once at the end; the ends are those without it', async () => {
    const c = caseOf('sleep_gauss');
    const fit = await fitOf(c);
    const reports: { done: number; total: number; name: string }[] = [];
    const r = await confintGlmmTmb(fit, { method: 'uniroot', parm: [2, 4], onProgress: (p) => reports.push({ ...p }) });
    expect(reports).toEqual([{ done: 0, total: 2, name: 'Days' }, { done: 1, total: 2, name: 'theta_Days|Subject.1' }, { done: 2, total: 2, name: '' }]);
    expect(r.rows.map((x) => x.name)).toEqual(['Days', 'theta_Days|Subject.1']);
    // the same ends as tmbroot's to tol 1e-10 (the tight reference's second and third rows)
    const t = c.tight_uniroot!;
    r.rows.forEach((row, i) => {
      expect(t.names[i + 1]).toBe(row.name);
      expect(Math.abs(row.lower - t.lower[i + 1]!) / Math.max(1, Math.abs(t.lower[i + 1]!))).toBeLessThan(1e-6);
      expect(Math.abs(row.upper - t.upper[i + 1]!) / Math.max(1, Math.abs(t.upper[i + 1]!))).toBeLessThan(1e-6);
    });
  }, 120_000);
  it('an abort during the first profile stops it (AbortError), with no report after it', async () => {
    const fit = await fitOf(caseOf('sleep_gauss'));
    const ac = new AbortController();
    const reports: number[] = [];
    const run = confintGlmmTmb(fit, { method: 'uniroot', parm: 'theta_', signal: ac.signal, onProgress: (p) => { reports.push(p.done); if (p.done === 0) setTimeout(() => ac.abort(), 0); } });
    await expect(run).rejects.toThrow(expect.objectContaining({ name: 'AbortError' }));
    expect(reports).toEqual([0]);
  }, 120_000);
  it('a bad onProgress is named', async () => {
    const fit = await fitOf(caseOf('sleep_gauss'));
    await expect(confintGlmmTmb(fit, { onProgress: 3 as unknown as () => void })).rejects.toThrow(/onProgress must be a function, not 3/);
  }, 120_000);
});

describe('bad input', () => {
  it('names the option and the parameter', async () => {
    const fit = await fitOf(caseOf('sleep_gauss'));
    await expect(confintGlmmTmb(fit, { method: 'spline' as 'wald' })).rejects.toThrow(OptionError);
    await expect(confintGlmmTmb(fit, { method: 'spline' as 'wald' })).rejects.toThrow(/method "spline" is not one of 'wald', 'uniroot', 'profile'/);
    await expect(confintGlmmTmb(fit, { parm: 'Dayz' })).rejects.toThrow(/unrecognized parameter name "Dayz".*'\(Intercept\)', 'Days'/);
    await expect(confintGlmmTmb(fit, { parm: 7 })).rejects.toThrow(/parm 7 is not a parameter's position \(1 to 6\)/);
    await expect(confintGlmmTmb(fit, { level: 1.5 })).rejects.toThrow(/level must be a number between 0 and 1/);
    await expect(confintGlmmTmb(fit, { component: 'disp' as 'zi' })).rejects.toThrow(/unknown component "disp"/);
    await expect(confintGlmmTmb(fit, { lvl: 0.9 } as TmbConfintOptions)).rejects.toThrow(/unknown option 'lvl'/);
    await expect(confintGlmmTmb(fit, { method: 'profile', onProfile: 3 as unknown as () => void })).rejects.toThrow(/onProfile must be a function, not 3/);
  }, 120_000);
  it('REML fits: no profile intervals (glmmTMB\'s refusal)', async () => {
    const c = caseOf('sleep_gauss');
    const fit = await zeroInflated(c.formula, table(c.data), { family: 'gaussian', ziformula: '~ 0', factors: ['Subject'], REML: true });
    await expect(confintGlmmTmb(fit, { method: 'uniroot' })).rejects.toThrow(ModelError);
    await expect(confintGlmmTmb(fit, { method: 'uniroot' })).rejects.toThrow(/REML/);
    // Wald intervals are glmmTMB's for a REML fit too
    expect((await confintGlmmTmb(fit)).rows.map((r) => r.name)).toEqual(['(Intercept)', 'Days', 'Std.Dev.(Intercept)|Subject', 'Std.Dev.Days|Subject', 'Cor.Days.(Intercept)|Subject']);
  }, 120_000);
});

describe('mixedgpu zeroinfl --confint', () => {
  const salamanders = join(fixtures, 'data', 'salamanders.csv');
  async function run(args: Partial<ZeroinflArgs>) {
    const out: string[] = [], err: string[] = [];
    const code = await runZeroinfl({ file: salamanders, formula: 'count ~ mined + (1 | site)', family: 'nbinom2', zi: '~ mined', ...args }, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
    return { code, stdout: out.join(''), stderr: err.join('') };
  }
  it("wald by default, as glmmTMB's matrix; --full, --level and --parm through commander; uniroot's JSON with NA as null", async () => {
    const c = caseOf('zinb2_mined');
    const wald = await run({ confint: true });
    expect(wald.code).toBe(0);
    const lines = wald.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(['', ...c.calls[0].result.names]);
    // commander: --confint with --full and --level
    const spy: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((t: string) => { spy.push(String(t)); return true; }) as typeof process.stdout.write;
    try {
      await main(['node', 'mixedgpu', 'zeroinfl', salamanders, 'count ~ mined + (1 | site)', '--family', 'nbinom2', '--zi', '~ mined', '--confint', '--full', '--level', '0.9', '--quiet']);
    } finally {
      process.stdout.write = write;
    }
    const printed = spy.join('');
    expect(printed).toContain('5 %');
    expect(printed).toMatch(/\nsigma +/);
    // positions (glmmTMB's parm = c(3, 4): the Wald rows at those places)
    const byPosition = await run({ confint: 'wald', parm: '3,4' });
    expect(byPosition.stdout.trimEnd().split('\n').slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['zi.(Intercept)', 'zi.minedyes']);
    const json = await run({ confint: 'uniroot', parm: 'zi~(Intercept)', json: true });
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const j = JSON.parse(json.stdout);
    expect(j.rows.map((r: { name: string }) => r.name)).toEqual(['zi~(Intercept)']);
    // glmmTMB's NA lower end (the profile has not risen by ½ χ²₁(0.95) at −7 SE)
    expect(j.rows[0].lower).toBeNull();
    expect(Math.abs(j.rows[0].upper - c.tight_uniroot!.upper[2]!)).toBeLessThan(1e-6);
    expect(j.rows[0].na_reason).toEqual({ lower: 'not-reached', upper: null });
    // wald rows have no NA end: no na_reason
    expect(JSON.parse((await run({ confint: 'wald', json: true })).stdout).rows.every((r: object) => !('na_reason' in r))).toBe(true);
  }, 300_000);
  it('refusals name the option', async () => {
    expect((await run({ confint: 'spline' })).stderr).toMatch(/--confint takes wald \(the default\), uniroot or profile, got 'spline'/);
    expect((await run({ parm: 'theta_' })).stderr).toMatch(/--parm and --full are options of --confint/);
    expect((await run({ confint: true, tidy: true })).stderr).toMatch(/give one of --confint, --tidy/);
  }, 120_000);
});

describe("confint.profile's NA ends carry their reason (profileInterval)", () => {
  const q = 1.920729; // ½ χ²₁(0.95)
  const rows = (pts: [number, number][]) => pts.map(([focal, value]) => ({ par: 'a', position: 1, focal, value }));
  it("'not-reached' where no point of the half is at or above q, 'spline' where one is but the inverse spline has no value at q inside the points", () => {
    // below the least point −log L never rises past 0.5: q is outside the inverse spline's domain
    const [lo, up] = profileInterval('a', rows([[-9, 0.5], [-6, 0.45], [-3, 0.4], [0, 0], [1, 1], [2, q + 1], [3, q + 2], [4, q + 3]]), q);
    expect(lo).toEqual({ end: NaN, naReason: 'not-reached' });
    expect(up.naReason).toBeNull();
    expect(up.end).toBeGreaterThan(1);
    expect(up.end).toBeLessThan(2);
    // the least point is the last: no upper half
    const [lo2, up2] = profileInterval('a', rows([[-3, 9], [-2, 4], [-1, 1], [0, 0]]), q);
    expect(lo2.naReason).toBeNull();
    expect(lo2.end).toBeGreaterThan(-2);
    expect(lo2.end).toBeLessThan(-1);
    expect(up2).toEqual({ end: NaN, naReason: 'not-reached' });
    // past q, but the inverse spline is NA at q (as R's: predict(backSpline(interpSpline(f, v)), q) is NA here)
    const [lo3] = profileInterval('a', rows([[-3, q + 3], [-2, q + 2], [-1, q + 1], [0, 0]]), q);
    expect(lo3).toEqual({ end: NaN, naReason: 'spline' });
    // every point's optimization failed: no least point
    expect(profileInterval('a', rows([[-1, NaN], [0, NaN]]), q)).toEqual([{ end: NaN, naReason: 'not-evaluated' }, { end: NaN, naReason: 'not-evaluated' }]);
  });
});
