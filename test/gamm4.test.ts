/**
 * gamm4's smooths as mixed models against gamm4 0.2-6 / mgcv 1.8-41 / lme4 1.1-31 (fixtures from
 * test/oracle/gamm4.R). Tolerances:
 *   - the cr basis (deterministic) at the data's first rows and its scaled, constrained penalty: 1e-10 relative
 *     to the largest entry;
 *   - lme4's REML criterion (or deviance) of the mer at gamm4's θ: 1e-9 relative;
 *   - at our own optimum: θ and σ 1e-4 relative (θ of a boundary smooth: 1e-5 absolute), the criterion 1e-7
 *     relative, fixed effects of the parametric part, fitted values, the smooths' values on a grid and the
 *     predictions 1e-5 relative to the response's scale (SD of y), their SEs and the edf 1e-4 relative.
 * The tp basis's eigenvectors have arbitrary signs, so only invariants are compared for tp smooths.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTableFile } from '../src/io/node.js';
import { smoothCon } from '../src/smooth/smoothCon.js';
import { crKnots } from '../src/smooth/crSpline.js';
import { type Gamm4Options, gamm4 } from '../src/gamm/gamm4.js';
import { parseSmoothFormula } from '../src/formula/smooth.js';
import { DataError, FormulaError, OptionError } from '../src/errors/errors.js';
import { lmer } from '../src/fit/lmer.js';
import { runGamm } from '../src/cli/gammCommand.js';

const fixtures = join(import.meta.dirname, 'fixtures');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const cases: Record<string, any> = JSON.parse(readFileSync(join(fixtures, 'gamm4', 'gamm4.json'), 'utf8'));
const sleep = () => readTableFile(join(fixtures, 'data', 'sleepstudy.csv')).table;
const gamsim = () => readTableFile(join(fixtures, 'data', 'gamsim1.csv')).table;
const numbers = (t: ReturnType<typeof sleep>, name: string) => Float64Array.from(t.getChild(name)!.toArray() as ArrayLike<number>);

const maxAbs = (a: ArrayLike<number>) => Math.max(...Array.from(a, Math.abs));
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, scale = maxAbs(expected)) {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst / Math.max(scale, 1e-300)).toBeLessThan(tol);
}

describe('the cr basis as mgcv builds it (deterministic)', () => {
  for (const [name, data, index] of [['sleep_cr', sleep, 0], ['gamsim', gamsim, 1]] as const) {
    it(`${name}: knots, the constrained basis and its scaled penalty`, () => {
      const sm = cases[name].smooths[index];
      const t = data();
      const x = numbers(t, sm.term);
      expectClose(crKnots(x, sm.bs_dim, sm.term), sm.knots, 1e-14);
      const con = smoothCon({ term: sm.term, bs: 'cr', k: sm.bs_dim, label: sm.label }, x);
      expect(con.p).toBe(sm.bs_dim - 1);
      expectClose(con.sScale === undefined ? [] : [con.sScale], [sm.S_scale], 1e-12);
      expectClose(con.S, (sm.S as number[][]).flat(), 1e-10);
      expectClose(con.X.subarray(0, 12 * con.p), (sm.X_head as number[][]).flat(), 1e-10);
    });
  }
});

const FITS: [string, () => ReturnType<typeof sleep>, Gamm4Options][] = [
  ['sleep_cr', sleep, { random: '~ (1 | Subject)', factors: ['Subject'] }],
  ['sleep_tp', sleep, { random: '~ (1 | Subject)', factors: ['Subject'] }],
  ['sleep_tp_ml', sleep, { random: '~ (1 | Subject)', factors: ['Subject'], REML: false }],
  ['gamsim', gamsim, { random: '~ (1 | fac)' }],
  ['gamsim_cr', gamsim, { random: '~ (1 | fac)' }],
  ['gamsim_tp12', gamsim, { random: '~ (1 | fac)' }],
];

/** the SD of the response (the scale of the fitted values' tolerance) */
function sd(y: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < y.length; i++) m += y[i];
  m /= y.length;
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (y[i] - m) ** 2;
  return Math.sqrt(s / (y.length - 1));
}

describe('gamm4 fits against gamm4 0.2-6', () => {
  for (const [name, data, options] of FITS) {
    it(`${name}: ${cases[name].formula}, random ${cases[name].random}`, async () => {
      const c = cases[name];
      const fit = await gamm4(c.formula, data(), options);
      // every smooth cr: the bases are mgcv's exactly, so lme4's criterion and the smooths' variance are too
      // (a tp basis is mgcv's up to its eigenvectors' signs, which change the Fx column's and the penalty's
      // scale: the criterion by a constant, the smooth's θ by a factor; fits and every invariant agree)
      const exact = c.smooths.every((s: { class: string }) => s.class === 'cr.smooth');
      if (exact) {
        // lme4's criterion at gamm4's θ: 1e-9 relative
        expect(Math.abs(fit.criterionAt(c.mer.theta) - c.mer.criterion_at_theta) / Math.abs(c.mer.criterion_at_theta)).toBeLessThan(1e-9);
        // the optimum: within 1e-7 relative of gamm4's (tightly optimized), or lower
        expect((fit.gam.criterion - c.mer.criterion) / Math.abs(c.mer.criterion)).toBeLessThan(1e-7);
        fit.gam.smooths.forEach((s, k) => {
          const grp = fit.setupGroups[k];
          const ref = c.mer.varcorr.sdcor[c.mer.varcorr.grp.indexOf(grp)];
          expect(Math.abs(s.sd - ref)).toBeLessThan(1e-4 * Math.max(ref, 0.1 * c.mer.sigma));
        });
      }
      // σ and the other random effects' SDs: 1e-4 relative
      expect(Math.abs(fit.mer.sigma - c.mer.sigma) / c.mer.sigma).toBeLessThan(1e-4);
      for (const row of fit.mer.varCorr) {
        if (row.group === "Residual" || row.var2 !== null || fit.setupGroups.includes(row.group)) continue;
        const ref = c.mer.varcorr.sdcor[c.mer.varcorr.grp.indexOf(row.group)];
        expect(Math.abs(row.sdcor - ref) / ref).toBeLessThan(1e-4);
      }
      // the gam view: names, fitted values, σ², edf, the smooths on a grid, the parametric table, R², predictions
      const ysd = sd(fit.mer.model.frame.y);
      expect(fit.gam.names).toEqual(c.gam.names);
      expectClose(fit.gam.fitted, c.gam.fitted, 1e-5, ysd);
      expect(Math.abs(fit.gam.sig2 - c.gam.sig2) / c.gam.sig2).toBeLessThan(2e-4);
      fit.gam.smooths.forEach((s, k) => {
        const ref = c.smooths[k];
        expect(s.label).toBe(ref.label);
        expect(Math.abs(s.edf - ref.edf)).toBeLessThan(1e-4 * Math.max(1, ref.edf));
        const v = fit.smooth(k, ref.grid);
        expectClose(v.fit, ref.fit, 1e-5, ysd);
        expectClose(v.se, ref.se, 1e-4);
      });
      // (jsonlite writes a vector of one as a scalar)
      const pt = Object.fromEntries(Object.entries(c.gam.p_table).map(([k, v]) => [k, ([] as unknown[]).concat(v)])) as Record<string, never[]>;
      expect(fit.gam.parametric.names).toEqual(pt.names);
      expectClose(fit.gam.parametric.estimate, pt.estimate, 1e-5, ysd);
      expectClose(fit.gam.parametric.se, pt.se, 1e-4);
      expectClose(fit.gam.parametric.p, pt.p, 1e-4, 1);
      expect(Math.abs(fit.gam.rSq - c.gam.r_sq)).toBeLessThan(1e-5);
      const pr = fit.predict(c.newdata);
      expectClose(pr.fit, c.predict.fit, 1e-5, ysd);
      expectClose(pr.se, c.predict.se, 1e-4);
      // a cr smooth's coefficients in its constrained basis (mgcv's exactly): 1e-4 relative to the largest
      c.smooths.forEach((ref: { class: string; first: number; last: number }) => {
        if (ref.class !== 'cr.smooth') return;
        expectClose(fit.gam.coefficients.subarray(ref.first - 1, ref.last), c.gam.coefficients.slice(ref.first - 1, ref.last), 1e-4);
      });
      await new Promise((r) => setTimeout(r, 0));
    }, 60_000);
  }
});

describe('gamm4 formulas (src/formula/smooth.ts)', () => {
  it('cuts the smooths out of the formula and keeps the parametric part', () => {
    const f = parseSmoothFormula('y ~ s(x0) + s(x1, bs = "cr") + x2');
    expect(f.parametric).toBe('y ~ x2');
    expect(f.smooths.map((s) => [s.term, s.bs, s.k, s.label])).toEqual([['x0', 'tp', 10, 's(x0)'], ['x1', 'cr', 10, 's(x1)']]);
    const g = parseSmoothFormula("y ~ z + s(x, bs = 'tp', k = 12)");
    expect(g.parametric).toBe('y ~ z');
    expect(g.smooths[0]).toMatchObject({ term: 'x', bs: 'tp', k: 12 });
    expect(parseSmoothFormula('y ~ s(x, k = 8)').parametric).toBe('y ~ 1');
    expect(parseSmoothFormula('y ~ a*b + s(x)').parametric).toBe('y ~ a*b');
  });

  const refused: [string, RegExp, number][] = [
    ['y ~ s(x, bs = "ds")', /bs = "ds": basis not supported/, 9],
    ['y ~ s(x, by = log(f))', /by = log\(f\): the by variable must be a column name/, 9],
    ['y ~ s(x, by = x)', /the by variable is the smooth's covariate/, 4],
    ['y ~ t2(x)', /t2\(\) needs at least two covariates/, 7],
    ['y ~ t2(x, z, bs = "re")', /bs = "re": t2\(\)'s margins are "cr" \(mgcv's t2 default\), "tp", "cc" or "ps" here/, 13],
    ['y ~ t2(x, z, k = c(5, 5, 5))', /t2\(\) of 2 covariates takes one k or 2/, 13],
    ['y ~ t2(x, z, by = x)', /the by variable is one of the smooth's covariates/, 4],
    ['y ~ t2(x, z, w)', /t2\(\) of 3 covariates is not supported here/, 13],
    ['y ~ s(x) + t2(x, z)', /t2\(x,z\) and s\(x\) share a covariate/, 11],
    ['y ~ s(x, by = f) + s(x, k = 5, by = f)', /s\(x\):f appears twice/, 19],
    ['y ~ s(x, by = ordered(log(f)))', /the by variable must be a column name .* or ordered\(f\)/, 9],
    ['y ~ s(x, z)', /several covariates \(x, z\)/, 9],
    ['y ~ te(x, z)', /te\(\): not supported; gamm4 fits tensor product smooths as t2\(\) terms/, 4],
    ['y ~ z + ti(x)', /ti\(\): not supported; .* t2\(\)/, 8],
    ['y ~ s(x, k = 2)', /k = 2: the basis dimension must be an integer of at least 3/, 9],
    ['y ~ s(x, k = 4.5)', /k = 4.5/, 9],
    ['y ~ s(x, m = 3)', /'m =' is not supported/, 9],
    ['y ~ s(x, bs = cr)', /bs = cr: the basis is a quoted name/, 9],
    ['y ~ s(x):z', /a smooth is a term of its own/, 4],
    ['y ~ s(x) + s(x, k = 5)', /s\(x\) appears twice/, 11],
    ['y ~ s(log(x))', /the covariate must be a column name/, 6],
    ['y ~ s()', /s\(\) needs a covariate/, 4],
  ];
  for (const [text, message, position] of refused) {
    it(`refuses ${text} at the token`, () => {
      let error: unknown;
      try { parseSmoothFormula(text); } catch (e) { error = e; }
      expect(error).toBeInstanceOf(FormulaError);
      expect((error as FormulaError).message).toMatch(message);
      expect((error as FormulaError).position).toBe(position);
    });
  }
});

describe('gamm4 bad input', () => {
  it('refuses a covariate that is a factor, missing or has too few values, and unknown options', async () => {
    await expect(gamm4('Reaction ~ s(Subject)', sleep(), { random: '~ (1 | Subject)', factors: ['Subject'] })).rejects.toThrow(/s\(Subject\): 'Subject' is not numeric/);
    await expect(gamm4('Reaction ~ s(Nope)', sleep(), { random: '~ (1 | Subject)', factors: ['Subject'] })).rejects.toThrow(DataError);
    await expect(gamm4('Reaction ~ s(Days, k = 12)', sleep(), { random: '~ (1 | Subject)', factors: ['Subject'] })).rejects.toThrow(/10 distinct values, fewer than the basis dimension k = 12/);
    await expect(gamm4('Reaction ~ s(Days, k = 12, bs = "cr")', sleep(), { random: '~ (1 | Subject)', factors: ['Subject'] })).rejects.toThrow(/insufficient unique values to support 12 knots/);
    await expect(gamm4('Reaction ~ s(Days)', sleep(), { random: '~ (1 | Subject)', weights: 'Days' } as never)).rejects.toThrow(OptionError);
    await expect(gamm4('Reaction ~ s(Days)', sleep(), { random: '~ Days' })).rejects.toThrow(FormulaError);
    await expect(gamm4('Reaction ~ Days', sleep(), {})).rejects.toThrow(/at least 1 smooth .* or at least one other random effect/);
  });

  it('refuses a tp smooth of more than 2,000 distinct values (mgcv subsamples its knots there)', async () => {
    const n = 2101;
    const x = Float64Array.from({ length: n }, (_, i) => i / n);
    const y = Float64Array.from(x, (v, i) => Math.sin(6 * v) + ((i * 7919) % 13) / 13);
    const g = Array.from({ length: n }, (_, i) => `g${i % 7}`);
    await expect(gamm4('y ~ s(x)', { y, x, g }, { random: '~ (1 | g)' })).rejects.toThrow(/2101 distinct values; over 2000 mgcv places/);
  });

  it("keeps lme4's rule for a user's grouping factor of one level", async () => {
    const t = sleep();
    const one = { Reaction: Array.from(t.getChild('Reaction')!.toArray() as Float64Array), Days: Array.from(t.getChild('Days')!.toArray() as Float64Array), g: new Array(t.numRows).fill('a') };
    await expect(gamm4('Reaction ~ s(Days, k = 5)', one, { random: '~ (1 | g)' })).rejects.toThrow(/grouping factor 'g' has 1 level \('a'\): a grouping factor needs at least 2 sampled levels/);
    await expect(lmer('Reaction ~ Days + (1 | g)', one)).rejects.toThrow(/needs at least 2 sampled levels/);
  });

  it('plot data, summary, JSON and the CLI', async () => {
    const fit = await gamm4('y ~ s(x0) + s(x1, bs = "cr") + x2', gamsim(), { random: '~ (1 | fac)' });
    const c = cases.gamsim;
    const plot = fit.plotData(50);
    expect(plot.map((p) => p.label)).toEqual(['s(x0)', 's(x1)']);
    plot.forEach((p, k) => {
      expectClose(p.x, c.smooths[k].grid, 1e-12);
      expectClose(p.fit, c.smooths[k].fit, 1e-4);
      p.upper.forEach((u, i) => expect(u - p.fit[i]).toBeCloseTo(2 * p.se[i], 12));
    });
    const text = fit.summary();
    expect(text).toContain('Parametric coefficients:');
    expect(text).toMatch(/s\(x0\)\s+2\.5\d\d/);
    expect(text).toContain('Approximate significance of smooth terms:');
    const mer = fit.mer.summary();
    expect(mer).toMatch(/Xr\s+s\(x0\)/);
    const j = fit.toJSON() as { coefficients: Record<string, number>; Vp: number[][] };
    expect(Object.keys(j.coefficients)).toEqual(c.gam.names);
    expect(j.Vp.length).toBe(c.gam.names.length);
    const out: string[] = [], err: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) };
    const file = join(fixtures, 'data', 'gamsim1.csv');
    expect(await runGamm({ file, formula: 'y ~ s(x0) + s(x1, bs = "cr") + x2', random: '~ (1 | fac)', json: true, quiet: true, points: 5 }, io)).toBe(0);
    const parsed = JSON.parse(out.join(''));
    expect(parsed.plot[0].x.length).toBe(5);
    expect(Math.abs(parsed.criterion - c.mer.criterion) / c.mer.criterion).toBeLessThan(1e-7);
    out.length = 0;
    expect(await runGamm({ file, formula: 'y ~ s(x0, bs = "ds")', random: '~ (1 | fac)', quiet: true }, io)).toBe(1);
    expect(err.join('')).toMatch(/basis not supported/);
  }, 60_000);
});

describe('gamm4: rows with missing values and no random formula', () => {
  it('drops incomplete rows before the basis is built: the fit equals the fit of the complete rows', async () => {
    const t = readTableFile(join(fixtures, 'data', 'sleepstudy_na.csv')).table;
    const cols = ['Reaction', 'Days', 'Subject'].map((c) => Array.from(t.getChild(c)!.toArray() as ArrayLike<unknown>));
    const keep = cols[0].map((_, i) => cols.every((c) => c[i] !== null && !(typeof c[i] === 'number' && Number.isNaN(c[i]))));
    expect(keep.filter((k) => !k).length).toBeGreaterThan(0);
    const complete = { Reaction: cols[0].filter((_, i) => keep[i]), Days: cols[1].filter((_, i) => keep[i]), Subject: cols[2].filter((_, i) => keep[i]) };
    for (const bs of ['cr', 'tp']) {
      const f = `Reaction ~ s(Days, k = 5, bs = "${bs}")`;
      const a = await gamm4(f, t, { random: '~ (1 | Subject)', factors: ['Subject'] });
      const b = await gamm4(f, complete as never, { random: '~ (1 | Subject)', factors: ['Subject'] });
      expect(a.gam.n).toBe(b.gam.n);
      expect(Math.abs(a.gam.criterion - b.gam.criterion)).toBeLessThan(1e-9 * Math.abs(b.gam.criterion));
      expectClose(a.gam.fitted, b.gam.fitted, 1e-8);
      expect(a.mer.messages.join(' ')).toMatch(/rows dropped for missing values/);
    }
  }, 60_000);

  it("names that the data already use get mgcv's new.name suffixes (Xr.0, s(x)Fx1.0)", async () => {
    const t = sleep();
    const data = { Reaction: t.getChild('Reaction')!.toArray(), Days: t.getChild('Days')!.toArray(), Subject: t.getChild('Subject')!.toArray(), Xr: t.getChild('Days')!.toArray(), 's(Days)Fx1': t.getChild('Days')!.toArray() };
    const fit = await gamm4('Reaction ~ s(Days, k = 5, bs = "cr")', data as never, { random: '~ (1 | Subject)', factors: ['Subject'] });
    expect(fit.setupGroups).toEqual(['Xr.0']);
    expect(fit.mer.model.frame.xnames).toContain('`s(Days)Fx1.0`');
    expect(Math.abs(fit.gam.criterion - cases.sleep_cr.mer.criterion) / cases.sleep_cr.mer.criterion).toBeLessThan(1e-7);
  }, 60_000);

  it('a smooth alone, without a random formula (gamm4(y ~ s(x))): the smooth is the only random effect', async () => {
    const fit = await gamm4('y ~ s(x1, bs = "cr", k = 8)', gamsim());
    expect(fit.mer.model.frame.reTerms.map((t) => t.term.smooth)).toEqual(['s(x1)']);
    expect(fit.gam.smooths[0].edf).toBeGreaterThan(2);
    expect(fit.gam.smooths[0].edf).toBeLessThan(7);
  }, 60_000);
});
