/**
 * blme's penalized objective at fixed parameters (blmer/bglmer devFunOnly = TRUE, test/oracle/blme.R
 * `objective_at`), independent of any optimizer: the LMM's decomposition from the float64 engine at
 * θ plus src/prior/penalty.ts, against blme, to 1e-9 relative. Covers every σ-optimization type
 * (profiled linear, quadratic in σ², σ as a parameter, σ fixed by a point prior), β as a
 * parameter (t prior, ML), and bglmer (Laplace deviance at (θ, β) plus the penalty).
 * LMMs with a normal prior on β change the decomposition itself (pseudo-data): tested with the fit
 * (test/prior/blmer.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/cpuBackend.js';
import { buildGlmm } from '../../src/glmm/model.js';
import { PirlsEngine } from '../../src/glmm/pirls.js';
import { thetaToInternal } from '../../src/model/reparam.js';
import { buildLmm } from '../../src/lmm/model.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { mapBeta } from '../../src/model/fixedTransform.js';
import { solveLmm } from '../../src/lmm/solution.js';
import { type PriorTerm, evaluatePriors } from '../../src/prior/distributions.js';
import { blmeControl, blmeLmmObjective, bglmerPenalty } from '../../src/prior/penalty.js';
import { distanceRX } from '../../src/prior/lmmPrior.js';
import { type BlmeReference, loadBlme, relDiff } from '../helpers/metaReference.js';
import { loadData } from '../helpers/reference.js';

const LMM_CASES = [
  'dyestuff2_default', 'dyestuff2_default_ml', 'sleepstudy_default', 'sleepstudy_uncorr_default',
  'dyestuff2_gamma_sd', 'dyestuff2_gamma_rate', 'dyestuff2_gamma_var_free', 'dyestuff2_gamma_sd_free',
  'dyestuff2_invgamma', 'dyestuff2_invgamma_free', 'sleepstudy_wishart_scale', 'sleepstudy_invwishart',
  'sleepstudy_invwishart_free', 'sleepstudy_per_factor', 'sleepstudy_fixef_t',
  'dyestuff2_resid_gamma', 'dyestuff2_resid_invgamma', 'dyestuff2_resid_point', 'dyestuff2_resid_gamma_sd',
];
const GLMM_CASES = ['cbpp_default', 'cbpp_fixef_normal'];

const dataFile: Record<string, string> = { dyestuff2: 'dyestuff2.csv', sleepstudy: 'sleepstudy.csv', cbpp: 'cbpp.csv' };
const factors: Record<string, string[]> = { dyestuff2: ['Batch'], sleepstudy: ['Subject'], cbpp: ['herd', 'period'] };

function priorOptions(ref: BlmeReference) {
  return { cov: ref.cov_prior ?? undefined, fixef: ref.fixef_prior, resid: ref.resid_prior };
}

describe('blmer objective at fixed parameters', () => {
  for (const name of LMM_CASES) {
    it(name, () => {
      const ref = loadBlme(name);
      const table = loadData({ data: dataFile[ref.data] });
      const model = buildLmm(ref.formula, table, { REML: ref.reml, factors: factors[ref.data] });
      const { n, p } = model.frame;
      const terms: PriorTerm[] = model.frame.reTerms.map((t) => ({ group: t.group, q: t.q, nl: t.levels.length }));
      const priors = evaluatePriors(priorOptions(ref), { terms, p, xnames: model.frame.xnames, n, glmm: false, reml: ref.reml });
      const control = blmeControl(priors, false, p);
      const backend = new CpuBackend(formGram(model), model.theta.length);
      const nth = model.theta.length;
      expect(ref.par_names[0]).toBe('theta');
      for (const pt of ref.objective_at) {
        const theta = pt.pars.slice(0, nth);
        const parts = backend.evaluate(thetaToInternal(model, theta));
        let beta: Float64Array | null = null;
        let betaDistance: number | undefined;
        let sigma: number | undefined;
        let at = nth;
        const sol = solveLmm(backend.chol, n, ref.reml);
        const betaTilde = mapBeta(model.fixed, sol.beta);
        if (control.fixefOptimization === 'numeric') {
          beta = Float64Array.from(pt.pars.slice(at, at + p));
          at += p;
          betaDistance = distanceRX(backend, model, beta, betaTilde);
        } else {
          beta = betaTilde;
        }
        if (control.sigmaOptimization === 'numeric') sigma = pt.pars[at++];
        expect(at).toBe(pt.pars.length);
        const v = blmeLmmObjective({ ...parts, n, p, reml: ref.reml, sumLogW: model.sumLogW, theta, beta, betaDistance, sigma }, priors, control, terms);
        expect(relDiff(v.objective, pt.objective), `${name} at [${pt.pars.join(', ')}]: ${v.objective} vs ${pt.objective}`).toBeLessThan(1e-9);
      }
    });
  }
});

describe('bglmer objective at fixed parameters', () => {
  for (const name of GLMM_CASES) {
    it(name, () => {
      const ref = loadBlme(name);
      const table = loadData({ data: dataFile[ref.data] });
      const model = buildGlmm(ref.formula, table, { family: 'binomial', factors: factors[ref.data] });
      const { n, p } = model.frame;
      const terms: PriorTerm[] = model.frame.reTerms.map((t) => ({ group: t.group, q: t.q, nl: t.levels.length }));
      const priors = evaluatePriors(priorOptions(ref), { terms, p, xnames: model.frame.xnames, n, glmm: true, reml: false });
      const control = blmeControl(priors, true, p);
      const engine = new PirlsEngine(model.pirls);
      const nth = model.theta.length;
      for (const pt of ref.objective_at) {
        const theta = pt.pars.slice(0, nth), beta = pt.pars.slice(nth);
        engine.reset();
        const dev = engine.run(thetaToInternal(model, theta), beta).laplace;
        const v = dev + bglmerPenalty(theta, beta, priors, control, terms);
        expect(relDiff(v, pt.objective), `${name} at [${pt.pars.join(', ')}]: ${v} vs ${pt.objective}`).toBeLessThan(1e-9);
      }
    });
  }
});

describe('a Wishart prior with infinite scale off the common scale', () => {
  // no exponential term, so no power of σ: blme picks 'sigma.sq.quadratic' with c₂ = 0 there and its
  // deviance function returns NULL (blmer: "argument is of length zero"; test/fixtures/random-blme
  // b092); ours was σ̂ = NaN. The objective is the common-scale one (blme's df adjustment and
  // constant for an infinite scale already are).
  it('profiles σ linearly and fits as on the common scale', async () => {
    const { lmer } = await import('../../src/fit/lmer.js');
    const table = loadData({ data: 'sleepstudy.csv' });
    const formula = 'Reaction ~ Days + (Days | Subject)';
    const model = buildLmm(formula, table, { factors: ['Subject'] });
    const terms: PriorTerm[] = model.frame.reTerms.map((t) => ({ group: t.group, q: t.q, nl: t.levels.length }));
    const priors = evaluatePriors({ cov: 'wishart(common.scale = FALSE)' }, { terms, p: 2, xnames: model.frame.xnames, n: model.frame.n, glmm: false, reml: true });
    expect(blmeControl(priors, false, 2).sigmaOptimization).toBe('sigma.sq.linear');
    const free = await lmer(formula, table, { factors: ['Subject'], prior: { cov: 'wishart(common.scale = FALSE)' } });
    const common = await lmer(formula, table, { factors: ['Subject'], prior: { cov: 'wishart' } });
    expect(Number.isFinite(free.sigma)).toBe(true);
    expect(free.sigma).toBe(common.sigma);
    expect(Array.from(free.theta)).toEqual(Array.from(common.theta));
  });
});
