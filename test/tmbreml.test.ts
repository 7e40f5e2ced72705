/**
 * glmmTMB(…, REML = TRUE) against glmmTMB 1.1.5 (test/oracle/tmbreml.R, test/fixtures/tmbreml/*.json):
 * β integrated out with the random effects (src/zeroinfl/fit.ts, laplace.ts, src/glmm/rowLaplace.ts).
 *   - the restricted objective at glmmTMB's parameters and two points about them (TMB's obj$fn, no
 *     optimizer): 1e-10 relative; the joint mode β̃ at the oracle's tight optimum: 1e-9 relative;
 *   - sleepstudy's gaussian LMM: the objective at lmer's REML estimates (θ, σ) is lmer's REML criterion / 2
 *     (1e-10 relative); the fit's 2 × objective is lmer's REMLcrit within lmer's optimizer's slack (1e-9);
 *   - the fit: the outer parameters within 1e-5 of the tight optimum, the objective within 1e-10 of it
 *     (and at most glmmTMB's own, 1e-12); β̂ within 1e-6 (relative) of sdreport's joint mode there; the SEs of
 *     β̂ within 1e-5 (relative) of vcov's (GMRFmarginal of TMB's joint precision at the tight optimum) and
 *     the outer parameters' within 1e-4; logLik, df (β counted), AIC, BIC, deviance 1e-8, df.resid (β not
 *     counted) exactly; σ 1e-5; the conditional modes b̃ 1e-5 (relative to max(1, |b|));
 *   - the printout as glmmTMB prints it (no mention of REML; the AIC line's numbers);
 *   - fixed effects running to a boundary (test/fixtures/tmbreml/boundary.json): a zero model's (ZIP, zi:fc → −∞)
 *     stepped there as without REML — the objective at most glmmTMB's and within 1e-6 of it, β̂ and the other
 *     parameters within 1e-5 of its; a conditional model's (Poisson, all zeros in f = c) refused with a
 *     ModelError naming the coefficient (REML's integral over β diverges; glmmTMB's vcov fails there);
 *   - a conditional model without fixed effects: REML is ML (glmmTMB's too); bad input: a REML option that
 *     is not true or false is an error naming REML; the CLI's --reml.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { ModelError, OptionError } from '../src/errors/errors.js';
import { glmmTMB } from '../src/zeroinfl/zeroInflated.js';
import { buildZeroInflatedModel } from '../src/zeroinfl/model.js';
import { ZiLaplace } from '../src/zeroinfl/laplace.js';
import type { ZeroInflatedFit } from '../src/zeroinfl/zeroInflatedFit.js';
import { remlJointPrecision } from '../src/zeroinfl/remlPrecision.js';
import { spdInverse } from '../src/linalg/dense.js';
import { arr, expectPrintedTable, expectTmbPrintoutHead, rel, runZeroinflCli } from './helpers/tmbChecks.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const table = (f: string) => readCsv(readFileSync(join(fixtures, 'data', f), 'utf8')).table;
const DATA: Record<string, arrow.Table> = {
  sleepstudy: table('sleepstudy.csv'), tmbfamilies: table('tmbfamilies.csv'), tmbfamilies2: table('tmbfamilies2.csv'), salamanders: table('salamanders.csv'),
  tmb_boundary: table('tmb_boundary.csv'),
};
const reference = (name: string) => JSON.parse(readFileSync(join(fixtures, 'tmbreml', `${name}.json`), 'utf8'));
const CASES = ['sleepstudy_lmm', 'gaussian_disp_f', 'beta_x', 'tweedie_x', 'zip_mined', 'nb2_mined', 'zip_zire'];
const optionsOf = (ref: { family: string; ziformula: string; dispformula: string; data: string }) => ({
  family: ref.family as never, ziformula: ref.ziformula, dispformula: ref.dispformula, ...(ref.data === 'sleepstudy' ? { factors: ['Subject'] } : {}),
});
/** x = (β, x_o): the REML objective reads x_o alone (β is integrated out; zeros here) */
const withBeta = (p: number, xo: number[]) => [...new Array(p).fill(0), ...xo];

const fits = new Map<string, ZeroInflatedFit>();
const fitOf = async (name: string) => {
  if (!fits.has(name)) {
    const ref = reference(name);
    fits.set(name, await glmmTMB(ref.formula, DATA[ref.data], { ...optionsOf(ref), REML: true }));
  }
  return fits.get(name)!;
};

describe('glmmTMB REML: the restricted objective at glmmTMB\'s points (no optimizer)', () => {
  for (const name of CASES) {
    it(name, () => {
      const ref = reference(name);
      const model = buildZeroInflatedModel(ref.formula, DATA[ref.data], optionsOf(ref));
      expect(model.nPar - model.p).toBe(arr(ref.par).length);
      const lap = new ZiLaplace(model, true);
      for (const pt of ref.objective_at) expect(rel(lap.evaluate(withBeta(model.p, arr(pt.par))), pt.value)).toBeLessThan(1e-10);
      // the joint mode β̃ at the tight optimum: sdreport's par.random
      expect(rel(lap.evaluate(withBeta(model.p, arr(ref.tight_par))), ref.tight_objective)).toBeLessThan(1e-10);
      arr<number>(ref.tight_beta).forEach((b, r) => expect(Math.abs(lap.beta[r] - b)).toBeLessThan(1e-9 * Math.max(1, Math.abs(b))));
      // without REML the same parameters give another objective (β then is a parameter of its own)
      const ml = new ZiLaplace(model);
      expect(Math.abs(ml.evaluate([...arr<number>(ref.tight_beta), ...arr<number>(ref.tight_par)]) - ref.tight_objective)).toBeGreaterThan(1e-3);
    });
  }

  it("sleepstudy: the objective at lmer's REML estimates is lmer's REML criterion / 2", () => {
    const ref = reference('sleepstudy_lmm');
    const model = buildZeroInflatedModel(ref.formula, DATA.sleepstudy, optionsOf(ref));
    const [t1, t2, t3] = ref.lmer.theta as number[];
    const s = ref.lmer.sigma as number;
    // glmmTMB's (log σ², log SD₁, log SD₂, c) from lme4's Λ = σ[t1 0; t2 t3]: SD₁ = σ t1, SD₂ = σ √(t2² + t3²),
    // ρ = t2/√(t2² + t3²), c = ρ/√(1 − ρ²) = t2/t3 (src/zeroinfl/covariance.ts)
    const xo = [2 * Math.log(s), Math.log(s * t1), Math.log(s * Math.hypot(t2, t3)), t2 / t3];
    const lap = new ZiLaplace(model, true);
    expect(rel(2 * lap.evaluate(withBeta(model.p, xo)), ref.lmer.remlcrit)).toBeLessThan(1e-10);
    arr<number>(ref.lmer.beta).forEach((b, r) => expect(rel(lap.beta[r], b)).toBeLessThan(1e-9));
  });
});

describe('glmmTMB REML: the fit against glmmTMB 1.1.5', () => {
  for (const name of CASES) {
    it(name, async () => {
      const ref = reference(name);
      const fit = await fitOf(name);
      const m = fit.model;
      expect(fit.REML).toBe(true);
      expect(fit.nobs).toBe(ref.nobs);
      // the outer parameters and the objective
      const tight = arr<number>(ref.tight_par);
      tight.forEach((v, k) => expect(Math.abs(fit.par[m.p + k] - v), `${fit.parNames[m.p + k]}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(v))));
      expect(rel(fit.objective, ref.tight_objective)).toBeLessThan(1e-10);
      expect(fit.objective).toBeLessThanOrEqual(ref.objective + 1e-12 * Math.abs(ref.objective));
      // β̂: the joint mode; its SEs from the joint precision (vcov's GMRFmarginal)
      arr<number>(ref.tight_beta).forEach((b, r) => expect(Math.abs(fit.beta[r] - b)).toBeLessThan(1e-6 * Math.max(1, Math.abs(b))));
      arr<number>(ref.tight_se).forEach((se, r) => expect(rel(fit.cond[r].se, se), fit.cond[r].name).toBeLessThan(1e-5));
      const seOuter = arr<number>(ref.tight_se_outer);
      seOuter.forEach((se, k) => expect(rel(Math.sqrt(fit.vcov[(m.p + k) * m.nPar + m.p + k]), se), fit.parNames[m.p + k]).toBeLessThan(1e-4));
      // the zero and dispersion models' tables are rows of the outer parameters'
      fit.zi.forEach((r, k) => expect(rel(r.se, seOuter[k])).toBeLessThan(1e-4));
      expect(fit.cond.map((r) => r.name)).toEqual(arr<{ name: string }>(ref.cond).map((r) => r.name));
      // what glmmTMB reports: logLik's df counts β (its parfull), df.residual does not (its fit$par)
      expect(fit.df).toBe(ref.df);
      expect(fit.dfResid).toBe(ref.df_resid);
      expect(fit.dfResid).toBe(m.n - (m.nPar - m.p));
      for (const [ours, theirs] of [[fit.logLik, ref.loglik], [fit.AIC, ref.aic], [fit.BIC, ref.bic], [fit.deviance, ref.deviance]]) expect(rel(ours, theirs)).toBeLessThan(1e-8);
      if (ref.sigma !== null && ref.sigma !== 'NA' && typeof ref.sigma === 'number') expect(rel(fit.sigma, ref.sigma)).toBeLessThan(1e-5);
      // the conditional modes b̃ of the conditional model (glmmTMB's b)
      const b = fit.ranef.filter((r) => r.component !== 'zi').flatMap((r) => Array.from(r.values));
      const tb = arr<number>(ref.tight_b);
      expect(b.length).toBe(tb.length);
      tb.forEach((v, k) => expect(Math.abs(b[k] - v)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v))));
      if (name === 'sleepstudy_lmm') {
        // lmer's REML fit: the same criterion, β̂ and σ̂ (within lmer's optimizer's slack)
        expect(rel(2 * fit.objective, ref.lmer.remlcrit)).toBeLessThan(1e-9);
        expect(2 * fit.objective).toBeLessThanOrEqual(ref.lmer.remlcrit * (1 + 1e-12));
        arr<number>(ref.lmer.beta).forEach((v, r) => expect(rel(fit.beta[r], v)).toBeLessThan(1e-7));
        arr<number>(ref.lmer.se).forEach((v, r) => expect(rel(fit.cond[r].se, v)).toBeLessThan(1e-5));
        expect(rel(fit.sigma, ref.lmer.sigma)).toBeLessThan(1e-6);
      }
    });
  }
});

describe('glmmTMB REML: the printout (print.summary.glmmTMB)', () => {
  for (const name of ['sleepstudy_lmm', 'gaussian_disp_f', 'zip_mined', 'tweedie_x']) {
    it(name, async () => {
      const ref = reference(name);
      const fit = await fitOf(name);
      const text = fit.summary().split('\n');
      const rLines = (ref.summary as string).split('\n');
      expectTmbPrintoutHead(text, rLines);
      expectPrintedTable(text, rLines, 'Conditional model:', fit.cond.length);
      if (fit.zi.length > 0) expectPrintedTable(text, rLines, 'Zero-inflation model:', fit.zi.length);
      // the conditional model's table line by line (printCoefmat with glmmTMB's zap.ind = 3: sleepstudy's z 36.84)
      const at = (lines: string[]) => lines.lastIndexOf('Conditional model:');
      for (let k = 1; k <= fit.cond.length + 1; k++) expect(text[at(text) + k]).toBe(rLines[at(rLines) + k]);
      // glmmTMB's summary says nothing of REML: neither does ours
      expect(rLines.some((l) => /REML/.test(l))).toBe(false);
      expect(text.some((l) => /REML/.test(l))).toBe(false);
    });
  }
});

describe('glmmTMB REML: the joint precision (remlPrecision.ts)', () => {
  it('Q⁻¹ = [S⁻¹ + J P⁻¹ Jᵀ, J P⁻¹; P⁻¹ Jᵀ, P⁻¹] (2 fixed effects, 3 outer parameters)', () => {
    const S = [4, 1, 1, 3], P = [5, 1, 0.5, 1, 4, 0.2, 0.5, 0.2, 3], J = [0.3, -0.2, 1.1, 0.7, 0.4, -0.5];
    const Q = remlJointPrecision(S, J, P, 2, 3);
    const V = spdInverse(Q, 5, 'Q').inv;
    const Si = spdInverse(S, 2, 'S').inv, Pi = spdInverse(P, 3, 'P').inv;
    const JPi = (a: number, l: number) => [0, 1, 2].reduce((t, k) => t + J[a * 3 + k] * Pi[k * 3 + l], 0);
    for (let a = 0; a < 2; a++) {
      for (let b = 0; b < 2; b++) expect(V[a * 5 + b]).toBeCloseTo(Si[a * 2 + b] + [0, 1, 2].reduce((t, l) => t + JPi(a, l) * J[b * 3 + l], 0), 12);
      for (let l = 0; l < 3; l++) expect(V[a * 5 + 2 + l]).toBeCloseTo(JPi(a, l), 12);
    }
    for (let k = 0; k < 3; k++) for (let l = 0; l < 3; l++) expect(V[(2 + k) * 5 + 2 + l]).toBeCloseTo(Pi[k * 3 + l], 12);
  });
});

describe('glmmTMB REML: other cases and bad input', () => {
  const boundary = JSON.parse(readFileSync(join(fixtures, 'tmbreml', 'boundary.json'), 'utf8'));

  it("a zero model's coefficient running to a boundary: stepped there as without REML (ZIP, no excess zeros in f = c)", async () => {
    const ref = boundary.zip_cell;
    const fit = await glmmTMB(ref.formula, DATA.tmb_boundary, { family: 'poisson', ziformula: ref.ziformula, REML: true });
    expect(fit.unbounded).toEqual(['zi:fc']);
    expect(fit.zi[2].se).toBeNaN();
    expect(fit.zi[2].estimate).toBeLessThan(-25);
    expect(fit.messages.some((m) => /zero-inflation probability → 0 for rows with f = c/.test(m))).toBe(true);
    // glmmTMB stops with zi:fc ≈ −20: its objective is above the supremum by e^−20-sized terms
    expect(fit.objective).toBeLessThanOrEqual(ref.objective);
    expect(ref.objective - fit.objective).toBeLessThan(1e-6);
    arr<number>(ref.beta).forEach((b, r) => expect(Math.abs(fit.beta[r] - b)).toBeLessThan(1e-5 * Math.max(1, Math.abs(b))));
    const m = fit.model;
    for (const k of [0, 1, 3]) expect(Math.abs(fit.par[m.p + k] - ref.par[k]), fit.parNames[m.p + k]).toBeLessThan(1e-5);
    for (const r of [...fit.cond, fit.zi[0], fit.zi[1]]) expect(Number.isFinite(r.se), r.name).toBe(true);
  });

  it("a conditional model's coefficient running to a boundary: REML refused (its integral over β diverges)", async () => {
    const ref = boundary.pois_zero_cell;
    const err = await glmmTMB(ref.formula, DATA.tmb_boundary, { family: 'poisson', REML: true }).catch((e) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect(String(err.message)).toMatch(/^REML: the conditional model's coefficients cond:fc run to a boundary \(conditional mean → 0 for rows with f = c/);
    expect(String(err.message)).toMatch(/REML: false/);
    // glmmTMB 1.1.5 stops at an arbitrary fc and cannot give its vcov
    expect(ref.vcov).toMatch(/singular/);
    // by ML the same model is fitted, fc stepped to its boundary
    const ml = await glmmTMB(ref.formula, DATA.tmb_boundary, { family: 'poisson' });
    expect(ml.unbounded).toEqual(['cond:fc']);
  });

  it('a conditional model without fixed effects: REML is ML (nothing to integrate; glmmTMB gives the same objective)', async () => {
    const f = 'Reaction ~ 0 + (1 | Subject)';
    const a = await glmmTMB(f, DATA.sleepstudy, { factors: ['Subject'], REML: true });
    const b = await glmmTMB(f, DATA.sleepstudy, { factors: ['Subject'] });
    expect(rel(a.objective, b.objective)).toBeLessThan(1e-10);
    // glmmTMB 1.1.5: 992.8398 for both (test/oracle/tmbreml.R's header)
    expect(Math.abs(a.objective - 992.8398)).toBeLessThan(1e-4);
    expect(a.dfResid).toBe(b.dfResid);
  });

  it('REML must be true or false: an error naming the option', async () => {
    for (const bad of ['yes', 1, null]) {
      const err = await glmmTMB('Reaction ~ Days + (1 | Subject)', DATA.sleepstudy, { REML: bad as never }).catch((e) => e);
      expect(err).toBeInstanceOf(OptionError);
      expect((err as OptionError).message).toMatch(/REML/);
    }
    // the WebGPU backend is refused with REML as without
    const err = await glmmTMB('Reaction ~ Days + (1 | Subject)', DATA.sleepstudy, { REML: true, backend: 'webgpu' }).catch((e) => e);
    expect(err).toBeInstanceOf(OptionError);
    expect((err as OptionError).message).toMatch(/backend/);
  });

  it("the CLI's --reml: the same fit as the library's, its JSON marked reml", async () => {
    const ref = reference('beta_x');
    const { code, out } = await runZeroinflCli({ file: join(fixtures, 'data', 'tmbfamilies.csv'), formula: ref.formula, family: 'beta_family', reml: true, json: true, quiet: true });
    expect(code).toBe(0);
    const j = JSON.parse(out);
    expect(j.reml).toBe(true);
    expect(rel(j.objective, ref.tight_objective)).toBeLessThan(1e-10);
    expect(j.df_resid).toBe(ref.df_resid);
    const plain = JSON.parse((await runZeroinflCli({ file: join(fixtures, 'data', 'tmbfamilies.csv'), formula: ref.formula, family: 'beta_family', json: true, quiet: true })).out);
    expect(plain.reml).toBe(false);
    expect(Math.abs(plain.objective - j.objective)).toBeGreaterThan(1e-3);
  });
});
