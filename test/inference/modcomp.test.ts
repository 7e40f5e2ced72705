/**
 * pbkrtest 0.5.2's KRmodcomp, SATmodcomp and PBmodcomp against test/fixtures/modcomp/pbkrtest.json
 * (test/oracle/modcomp.R): KR and SAT at lme4's θ (the REML fit of the large model assembled there,
 * no optimizer) and at our own optimum; PB's summary stage fed with pbkrtest's own reference
 * distribution; PB's simulation against pbkrtest's distribution's moments; the printouts; refusals.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildLmm } from '../../src/lmm/model.js';
import '../../src/inference/methods.js';
import { lmer } from '../../src/fit/lmer.js';
import type { LmmFit } from '../../src/lmm/lmmFit.js';
import { krModcomp, satModcomp } from '../../src/inference/modcomp.js';
import { pbModcomp, pbSummary, refitLogLik } from '../../src/inference/pbModcomp.js';
import { printKrModcomp, printPbModcomp, printSatModcomp } from '../../src/inference/format.js';
import { Evaluations } from '../../src/model/control.js';
import { fitAtTheta } from '../helpers/atTheta.js';
import { loadDataFile, rel } from '../helpers/inference.js';

interface KrRef { stat: number; ndf: number; ddf: number; F_scaling: number; p_value: number; statU: number; p_valueU: number; aux: Record<string, number>; L: number[][]; printed: string[]; summary: string[] }
interface SatRef { stat: number; ndf: number; ddf: number; p_value: number; L: number[][]; printed: string[] }
interface Case { name: string; data: string; factors: string[]; reml: boolean; swap: boolean; large: string; small: string | null; L: number[][] | null; theta_reml: number[]; sigma_reml: number; kr: KrRef; sat: SatRef }
interface PbRow { name: string; stat: number; df: number | null; ddf: number | null; p_value: number | null }
interface PbCase {
  name: string; data: string; factors: string[]; large: string; small: string; nsim: number;
  theta_large_ml: number[]; theta_small_ml: number[];
  LRT: { stat: number; df: number; p_value: number }; ref: number[]; summary: PbRow[];
  moment: { mean: number; var: number }; samples: { nsim: number; npos: number }; n_extreme: number;
  gamma: { scale: number; shape: number }; printed: string[]; printed_summary: string[]; seconds: number;
}
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'modcomp', 'pbkrtest.json'), 'utf8')) as { cases: Case[]; pb: PbCase[] };

/** the large and small models of a case assembled at lme4's θ of the large model's REML fit (the small one's X is all the tests read of it) */
function atTheta(c: Case): { large: LmmFit; small: LmmFit | number[][] } {
  const data = loadDataFile(c.data);
  const large = fitAtTheta(buildLmm(c.large, data, { REML: true, factors: c.factors }), c.theta_reml);
  const small = c.small === null ? c.L! : fitAtTheta(buildLmm(c.small, data, { REML: true, factors: c.factors }), c.theta_reml);
  return { large, small };
}

/** the projection on L's row space, Lᵀ (L Lᵀ)⁻¹ L, for L with orthonormal rows (pbkrtest's and ours), or R's rows */
function projection(L: number[][]): number[][] {
  const p = L[0].length;
  // Gram–Schmidt of the rows, then Σ q qᵀ
  const Q: number[][] = [];
  for (const r of L) {
    const v = r.slice();
    for (const q of Q) { const s = q.reduce((a, x, j) => a + x * v[j], 0); for (let j = 0; j < p; j++) v[j] -= s * q[j]; }
    const nv = Math.hypot(...v);
    if (nv > 1e-10) Q.push(v.map((x) => x / nv));
  }
  return Array.from({ length: p }, (_, a) => Array.from({ length: p }, (_, b) => Q.reduce((s, q) => s + q[a] * q[b], 0)));
}

function expectKr(got: Awaited<ReturnType<typeof krModcomp>>, want: KrRef, tol: { stat: number; ddf: number }) {
  expect(got.Ftest.ndf).toBe(want.ndf);
  expect(rel(got.Ftest.stat, want.stat)).toBeLessThan(tol.stat);
  expect(rel(got.FtestU.stat, want.statU)).toBeLessThan(tol.stat);
  expect(rel(got.Ftest.ddf, want.ddf)).toBeLessThan(tol.ddf);
  expect(rel(got.Ftest.Fscaling, want.F_scaling)).toBeLessThan(tol.ddf);
  // p-values: relative to the p-value (pbkrtest's pf(lower.tail = FALSE) is accurate in the tail)
  expect(rel(got.Ftest.p, want.p_value)).toBeLessThan(10 * tol.stat + 10 * tol.ddf);
  expect(rel(got.FtestU.p, want.p_valueU)).toBeLessThan(10 * tol.stat + 10 * tol.ddf);
}

function expectSat(got: Awaited<ReturnType<typeof satModcomp>>, want: SatRef, tol: { stat: number; ddf: number }) {
  expect(got.test.ndf).toBe(want.ndf);
  expect(rel(got.test.stat, want.stat)).toBeLessThan(tol.stat);
  expect(rel(got.test.ddf, want.ddf)).toBeLessThan(tol.ddf);
  // pbkrtest's SAT p-value is 1 − pf(…): absolute error ~1e-16 besides the relative error of F and ddf
  expect(Math.abs(got.test.p - want.p_value)).toBeLessThan(10 * (tol.stat + tol.ddf) * want.p_value + 1e-15);
}

describe("KRmodcomp and SATmodcomp at lme4's θ", () => {
  for (const c of fixture.cases) {
    it(c.name, async () => {
      const { large, small } = atTheta(c);
      const kr = c.swap ? await krModcomp(small as LmmFit, large) : await krModcomp(large, small);
      const sat = c.swap ? await satModcomp(small as LmmFit, large) : await satModcomp(large, small);
      expect(kr.swapped).toBe(c.swap);
      // tight: the same θ, exact derivatives where pbkrtest's are exact too (KR) — F, F.scaling and
      // ddf within 1e-8 relative; Satterthwaite's ddf within 1e-6: pbkrtest's (lmerTest's) Hessian of
      // the deviance is numerical (Richardson extrapolation), ours exact
      expectKr(kr, c.kr, { stat: 1e-8, ddf: 1e-8 });
      for (const k of ['A1', 'A2', 'V0', 'V1', 'V2', 'rho'] as const) {
        expect(Math.abs(kr.aux[k] - c.kr.aux[k])).toBeLessThan(1e-8 * Math.max(1, Math.abs(c.kr.aux[k])));
      }
      expectSat(sat, c.sat, { stat: 1e-8, ddf: 1e-6 });
      // the restriction: the same row space as pbkrtest's L (its basis may be rotated or signed otherwise)
      const P = projection(kr.L), Pr = projection(c.kr.L);
      P.forEach((row, a) => row.forEach((v, b) => expect(Math.abs(v - Pr[a][b])).toBeLessThan(1e-7)));
      const Ps = projection(sat.L);
      Ps.forEach((row, a) => row.forEach((v, b) => expect(Math.abs(v - Pr[a][b])).toBeLessThan(1e-7)));
    });
  }
});

describe('KRmodcomp and SATmodcomp at our optimum', () => {
  for (const c of fixture.cases) {
    it(c.name, async () => {
      const data = loadDataFile(c.data);
      const large = await lmer(c.swap ? c.small! : c.large, data, { REML: c.reml, factors: c.factors });
      const small = c.small === null ? c.L! : await lmer(c.swap ? c.large : c.small, data, { REML: c.reml, factors: c.factors });
      const kr = await krModcomp(large, small);
      const sat = await satModcomp(large, small);
      // an ML fit is refitted with REML (pbkrtest's update(largeModel, REML = TRUE)), with a note
      expect(kr.messages.some((m) => m.includes('refitted with REML'))).toBe(!c.reml);
      // θ̂ within ~1e-7 of lme4's tight optimum: F and ddf move by that much relative
      expectKr(kr, c.kr, { stat: 1e-6, ddf: 1e-6 });
      expectSat(sat, c.sat, { stat: 1e-6, ddf: 2e-6 });
    });
  }
});

describe('the printouts', () => {
  for (const c of fixture.cases) {
    it(c.name, async () => {
      const { large, small } = atTheta(c);
      const kr = c.swap ? await krModcomp(small as LmmFit, large) : await krModcomp(large, small);
      const sat = await (c.swap ? satModcomp(small as LmmFit, large) : satModcomp(large, small));
      // a rank-deficient L given: pbkrtest prints its QR basis (signs of R's Householder QR), ours another basis of the same rows
      if (c.name !== '2x3 rank-deficient restriction matrix') {
        expect(printKrModcomp(kr)).toEqual(c.kr.printed);
        expect(printKrModcomp(kr, { summary: true }).slice(1)).toEqual(c.kr.summary);
      }
      // SATmodcomp prints L; pbkrtest's from model2restriction_matrix's QR, ours a basis of the same
      // row space (compared above), so the lines of L are compared only where L was given in full rank
      const printed = printSatModcomp(sat);
      const nL = sat.L.length + 1;
      const skip = c.small !== null || c.name === '2x3 rank-deficient restriction matrix';
      expect(printed.slice(0, 2)).toEqual(c.sat.printed.slice(0, 2));
      if (!skip) expect(printed.slice(2, 2 + nL)).toEqual(c.sat.printed.slice(2, 2 + nL));
      expect(printed.slice(2 + nL)).toEqual(c.sat.printed.slice(2 + c.sat.L.length + 1));
    });
  }
});

describe("PBmodcomp's summary stage fed with pbkrtest's reference distribution", () => {
  for (const c of fixture.pb) {
    it(c.name, () => {
      const s = pbSummary(c.LRT.stat, c.LRT.df, c.ref);
      // the same numbers in, the same formulas: within rounding (1e-12 relative)
      expect(s.samples).toEqual(c.samples);
      expect(s.nExtreme).toBe(c.n_extreme);
      expect(rel(s.moment.mean, c.moment.mean)).toBeLessThan(1e-12);
      expect(rel(s.moment.var, c.moment.var)).toBeLessThan(1e-12);
      expect(rel(s.gamma.scale, c.gamma.scale)).toBeLessThan(1e-12);
      expect(rel(s.gamma.shape, c.gamma.shape)).toBeLessThan(1e-12);
      s.rows.forEach((row, k) => {
        const want = c.summary[k];
        expect(row.name).toBe(want.name);
        expect(rel(row.stat, want.stat)).toBeLessThan(1e-12);
        expect(row.df).toBe(want.df);
        if (want.ddf === null) expect(row.ddf).toBeNull(); else expect(rel(row.ddf!, want.ddf)).toBeLessThan(1e-12);
        // pbkrtest's p-values are 1 − pchisq/pgamma/pf: absolute error up to ~1e-16 of theirs; ours the upper tail
        if (want.p_value === null) expect(row.p).toBeNull(); else expect(Math.abs(row.p! - want.p_value)).toBeLessThan(1e-10 * want.p_value + 2e-16);
      });
      // the printed summary (its first line holds the time)
      const res = {
        large: c.large, small: c.small, LRT: { stat: c.LRT.stat, df: c.LRT.df, p: s.rows[0].p! }, PBtest: { stat: c.LRT.stat, p: s.rows[1].p! },
        summary: s, ref: Float64Array.from(c.ref), nsim: c.nsim, seed: 1, failed: 0, timeMs: 0, messages: [],
      };
      expect(printPbModcomp(res, { summary: true }).slice(1)).toEqual(c.printed_summary);
      // and print(PBmodcomp): the LRT and PBtest rows
      expect(printPbModcomp(res).slice(1)).toEqual(c.printed);
    });
  }
});

describe('PBmodcomp: the simulation', () => {
  const c = fixture.pb[0];
  it("refits reproduce the ML fits' log-likelihoods at the observed response", async () => {
    const data = loadDataFile(c.data);
    const large = await lmer(c.large, data, { REML: false, factors: c.factors });
    // refit(fit, newresp = y) at y itself: the same optimum (−2ℓ within 1e-9 relative)
    expect(rel(await refitLogLik(large, large.model.frame.y, new Evaluations()), large.logLik)).toBeLessThan(1e-9);
    // with prior weights and an offset (the new response enters the Gram rows as √w (y* − y) added to theirs)
    const w = loadDataFile('sleepstudy_weighted.csv');
    for (const f of ['Reaction ~ Days + (Days | Subject)', 'Reaction ~ 1 + offset(Days) + (1 | Subject)']) {
      const fit = await lmer(f, w, { REML: false, factors: ['Subject'], weights: 'w' });
      expect(rel(await refitLogLik(fit, fit.model.frame.y, new Evaluations()), fit.logLik)).toBeLessThan(1e-9);
      // and another response, y + 3 sin(i): the same optimum as lmer's fit of that response
      const shifted = Float64Array.from(fit.model.frame.y, (v, i) => v + 3 * Math.sin(i));
      const cols = Object.fromEntries(w.schema.fields.map((fl) => [fl.name, Array.from(w.getChild(fl.name)!.toArray() as ArrayLike<number>)]));
      const { tableFromArrays } = await import('apache-arrow');
      const direct = await lmer(f, tableFromArrays({ ...cols, Reaction: shifted, Subject: cols.Subject.map(String) }), { REML: false, factors: ['Subject'], weights: 'w' });
      expect(rel(await refitLogLik(fit, shifted, new Evaluations()), direct.logLik)).toBeLessThan(1e-9);
    }
  });

  for (const c of fixture.pb) {
    it(`${c.name}: the observed LRT and the reference distribution's moments`, async () => {
      const data = loadDataFile(c.data);
      const large = await lmer(c.large, data, { factors: c.factors });
      const small = await lmer(c.small, data, { factors: c.factors });
      const nsim = c.nsim;
      const res = await pbModcomp(large, small, { nsim, seed: 11 });
      // the LRT of the ML fits: the difference of two optima, θ̂ within ~1e-7 of lme4's tight optima
      expect(Math.abs(res.LRT.stat - c.LRT.stat)).toBeLessThan(1e-6);
      expect(res.LRT.df).toBe(c.LRT.df);
      expect(res.failed).toBe(0);
      // Monte-Carlo error: both are means of independent samples of the same distribution (nsim each),
      // so mean_ours − mean_R has SD √(2 V / nsim); the variances' difference has SD ≈ √(2 (m4 − V²) / nsim)
      // (m4 the fourth central moment, from pbkrtest's sample). Bounds at 4 SDs: a false failure
      // has probability below 1e-4 per comparison.
      const r = c.ref.filter((t) => t > 0);
      const m = c.moment.mean, V = c.moment.var;
      const m4 = r.reduce((s, t) => s + (t - m) ** 4, 0) / r.length;
      const sdMean = Math.sqrt((2 * V) / nsim), sdVar = Math.sqrt((2 * (m4 - V * V)) / nsim);
      expect(Math.abs(res.summary.moment.mean - m)).toBeLessThan(4 * sdMean);
      expect(Math.abs(res.summary.moment.var - V)).toBeLessThan(4 * sdVar);
    }, 120_000);
  }

  it('is determined by its seed', async () => {
    const data = loadDataFile(c.data);
    const large = await lmer(c.large, data, { factors: c.factors });
    const small = await lmer(c.small, data, { factors: c.factors });
    const a = await pbModcomp(large, small, { nsim: 40, seed: 5 });
    const b = await pbModcomp(large, small, { nsim: 40, seed: 5 });
    const d = await pbModcomp(large, small, { nsim: 40, seed: 6 });
    expect(Array.from(b.ref)).toEqual(Array.from(a.ref));
    expect(Array.from(d.ref)).not.toEqual(Array.from(a.ref));
    // replicate r does not depend on how many were asked for (the batches of 32)
    const e = await pbModcomp(large, small, { nsim: 70, seed: 5 });
    expect(Array.from(e.ref.subarray(0, 40))).toEqual(Array.from(a.ref));
  }, 60_000);
});

describe('refusals', () => {
  const ss = () => loadDataFile('sleepstudy.csv');
  const d23 = () => loadDataFile('modcomp_2x3.csv');
  const fitSs = (f: string, o: Record<string, unknown> = {}) => lmer(f, ss(), { factors: ['Subject'], ...o });

  it('random effects that differ (KR and SAT)', async () => {
    const large = await fitSs('Reaction ~ Days + (Days | Subject)');
    const small = await fitSs('Reaction ~ 1 + (1 | Subject)');
    await expect(krModcomp(large, small)).rejects.toThrow(/random effects differ \(large: \(Intercept\) \| Subject, Days \| Subject; small: \(Intercept\) \| Subject\)/);
    await expect(satModcomp(large, small)).rejects.toThrow(/random effects differ/);
  });

  it('fixed effects not nested: the columns outside named', async () => {
    const a = await lmer('y ~ A + (1 | g) + (1 | g:A)', d23());
    const b = await lmer('y ~ B + (1 | g) + (1 | g:A)', d23());
    await expect(krModcomp(a, b)).rejects.toThrow(/not nested: the small model's columns 'Bb2', 'Bb3' are outside the large model's column space and the large model's 'Aa2' outside the small one's/);
    await expect(satModcomp(a, b)).rejects.toThrow(/not nested/);
  });

  it('the same fixed-effects column space: nothing to test', async () => {
    const a = await lmer('y ~ A + B + (1 | g) + (1 | g:A)', d23());
    const b = await lmer('y ~ B + A + (1 | g) + (1 | g:A)', d23());
    await expect(krModcomp(a, b)).rejects.toThrow(/same fixed-effects column space/);
  });

  it('a restriction matrix of the wrong width, with non-finite entries or zero', async () => {
    const large = await fitSs('Reaction ~ Days + (Days | Subject)');
    await expect(krModcomp(large, [[0, 1, 0]])).rejects.toThrow(/restriction matrix L: row 1 has 3 entries; the model has 2 fixed effects/);
    await expect(satModcomp(large, [0, NaN])).rejects.toThrow(/entry \[1, 2\] is NaN/);
    await expect(krModcomp(large, [[0, 0]])).rejects.toThrow(/L is zero/);
  });

  it('glmer fits', async () => {
    const cbpp = loadDataFile('cbpp.csv');
    const { glmer } = await import('../../src/fit/glmer.js');
    const g = await glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', cbpp, { family: 'binomial', factors: ['herd', 'period'] });
    await expect(krModcomp(g as unknown as LmmFit, [0, 1, 0, 0])).rejects.toThrow(/pbkrtest's for lmer fits: the large model is a glmer fit/);
    await expect(pbModcomp(g as unknown as LmmFit, g as unknown as LmmFit)).rejects.toThrow(/glmer fit/);
  });

  it("Kenward–Roger with prior weights (pbkrtest ignores them): refused, not Satterthwaite's in its place", async () => {
    const w = loadDataFile('sleepstudy_weighted.csv');
    const large = await lmer('Reaction ~ Days + (1 | Subject)', w, { factors: ['Subject'], weights: 'w' });
    await expect(krModcomp(large, [0, 1])).rejects.toThrow(/Kenward–Roger's method cannot be computed for this model \(.*prior weights/);
    // Satterthwaite's takes the weights (lmerTest's and pbkrtest's devfun do)
    expect((await satModcomp(large, [0, 1])).test.ndf).toBe(1);
    // a small model without the large one's weights (or with another offset) is another model, not a restriction
    const unweighted = await lmer('Reaction ~ 1 + (1 | Subject)', w, { factors: ['Subject'] });
    await expect(satModcomp(large, unweighted)).rejects.toThrow(/different prior weights/);
    await expect(pbModcomp(large, unweighted, { nsim: 10 })).rejects.toThrow(/different prior weights/);
    const plain = await lmer('Reaction ~ Days + (1 | Subject)', w, { factors: ['Subject'] });
    const offset = await lmer('Reaction ~ 1 + offset(Days) + (1 | Subject)', w, { factors: ['Subject'] });
    await expect(satModcomp(plain, offset)).rejects.toThrow(/different offsets/);
  });

  it('models of different rows or responses', async () => {
    const large = await fitSs('Reaction ~ Days + (Days | Subject)');
    const fewer = await lmer('Reaction ~ 1 + (Days | Subject)', ss().slice(0, 170), { factors: ['Subject'] });
    await expect(krModcomp(large, fewer)).rejects.toThrow(/different rows of the data \(180 and 170 rows/);
    await expect(pbModcomp(large, fewer, { nsim: 10 })).rejects.toThrow(/different rows/);
    const other = await fitSs('Days ~ 1 + (1 | Subject)');
    await expect(pbModcomp(large, other, { nsim: 10 })).rejects.toThrow(/different responses \('Reaction' and 'Days'\)/);
  });

  it('PBmodcomp: a restriction matrix, the models in the wrong order, random effects not nested, bad nsim or seed', async () => {
    const large = await fitSs('Reaction ~ Days + (Days | Subject)');
    const small = await fitSs('Reaction ~ 1 + (Days | Subject)');
    await expect(pbModcomp(large, [0, 1] as unknown as LmmFit)).rejects.toThrow(/restriction matrix L as the small model is not available \(pbkrtest 0\.5\.2's restriction_matrix2model fails/);
    await expect(pbModcomp(small, large, { nsim: 10 })).rejects.toThrow(/small model is not nested in the large one: its fixed-effects column 'Days' is outside/);
    const slope = await fitSs('Reaction ~ Days + (1 | Subject)');
    await expect(pbModcomp(slope, large, { nsim: 10 })).rejects.toThrow(/random-effects column 'Days \| Subject' is not in the large model/);
    await expect(pbModcomp(large, small, { nsim: 1 })).rejects.toThrow(/nsim must be a whole number of simulations \(2 or more\), got 1/);
    await expect(pbModcomp(large, small, { nsim: 10, seed: 1.5 })).rejects.toThrow(/seed must be an integer, got 1.5/);
    await expect(pbModcomp(large, small, { nsim: 10, cl: 2 } as never)).rejects.toThrow(/pbkrtest's cl \(parallel clusters\) is not offered/);
    await expect(pbModcomp(large, small, { nsims: 10 } as never)).rejects.toThrow(/unknown option 'nsims'/);
  });

  it('the fit methods are the functions', async () => {
    const large = await fitSs('Reaction ~ Days + (Days | Subject)');
    const small = await fitSs('Reaction ~ 1 + (Days | Subject)');
    expect((await large.krModcomp(small)).Ftest).toEqual((await krModcomp(large, small)).Ftest);
    expect((await large.satModcomp([0, 1])).test).toEqual((await satModcomp(large, [0, 1])).test);
    expect(Array.from((await large.pbModcomp(small, { nsim: 5, seed: 3 })).ref)).toEqual(Array.from((await pbModcomp(large, small, { nsim: 5, seed: 3 })).ref));
  });
});
