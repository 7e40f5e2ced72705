/**
 * blme's prior syntax and families: parsing (named and positional arguments, lists with
 * `factor ~ prior`, aliases, defaults that depend on level.dim), blme's checks as clear errors, and
 * the prior lines of blme's summary (test/oracle/blme.R `print`).
 */
import { describe, expect, it } from 'vitest';
import { type PriorContext, evaluatePriors, priorLines } from '../../src/prior/distributions.js';
import { blmeControl } from '../../src/prior/penalty.js';
import { parsePriorExpr } from '../../src/prior/syntax.js';
import { loadBlme } from '../helpers/metaReference.js';

const lmm = (q: number[], p = 2): PriorContext => ({
  terms: q.map((qq, i) => ({ group: i === 0 ? 'Subject' : `g${i}`, q: qq, nl: 18 })), p, xnames: ['(Intercept)', 'Days'].slice(0, p), n: 180, glmm: false, reml: true,
});

describe('prior syntax', () => {
  it('parses calls, formulas, lists and R values', () => {
    expect(parsePriorExpr('wishart')).toEqual({ kind: 'name', name: 'wishart' });
    const e = parsePriorExpr("list(Subject ~ gamma(shape = 2, rate = 1e-1), invwishart(df = level.dim + 1, scale = diag(c(2, .5))))");
    expect(e.kind).toBe('call');
    expect(() => parsePriorExpr('gamma(shape = 2')).toThrow(/expected '\)' at position 16 \(end\)/);
    expect(() => parsePriorExpr('gamma(shape = 2) x')).toThrow(/unexpected text after the prior/);
    expect(() => parsePriorExpr('gamma(shape = #)')).toThrow(/unexpected character '#'/);
  });
  it("evaluates blme's defaults and arguments per term", () => {
    const pr = evaluatePriors('blme', lmm([2]));
    expect(pr.cov[0]).toMatchObject({ family: 'wishart', df: 4.5, q: 2, logDetScale: Infinity, commonScale: true, posteriorScale: 'cov' });
    const g = evaluatePriors({ cov: 'gamma(2, 0.5, FALSE)' }, lmm([1]));
    expect(g.cov[0]).toEqual({ family: 'gamma', shape: 2, rate: 0.5, commonScale: false, posteriorScale: 'sd' });
    const ig = evaluatePriors({ cov: 'inverse.gamma(shape = 2)' }, lmm([1]));
    expect(ig.cov[0]).toMatchObject({ family: 'invgamma', shape: 2, scale: 2.05, posteriorScale: 'var' });
    const iw = evaluatePriors({ cov: 'invwishart' }, lmm([2]));
    expect(iw.cov[0]).toMatchObject({ family: 'invwishart', df: 2 - 0.998 });
    const per = evaluatePriors({ cov: 'list(g1 ~ gamma, wishart(df = level.dim + 1))' }, lmm([2, 1]));
    expect(per.cov.map((c) => c?.family)).toEqual(['wishart', 'gamma']);
    expect(per.cov[0]).toMatchObject({ df: 3 });
    expect(evaluatePriors({ cov: 'NULL' }, lmm([1])).cov).toEqual([null]);
    expect(evaluatePriors({ cov: 'gamma' }, lmm([2])).messages).toEqual(['gamma prior applied to multivariate grouping level will be ignored']);
    const pt = evaluatePriors({ resid: 'point(4, posterior.scale = "var")' }, lmm([1]));
    expect(pt.resid).toEqual({ family: 'point', value: 2 });
  });
  it("blme's checks are clear errors", () => {
    expect(() => evaluatePriors({ cov: 'wishart(df = 0.5)' }, lmm([2]))).toThrow(/degrees of freedom less than or equal to \(level.dim - 1\).*df = 0.5, level.dim = 2/);
    expect(() => evaluatePriors({ cov: 'invwishart(df = 1)' }, lmm([2]))).toThrow(/inverse wishart dists for degrees of freedom/);
    expect(() => evaluatePriors({ cov: 'gamma(shape = -1)' }, lmm([1]))).toThrow(/gamma prior shape must be positive \(shape = -1\)/);
    expect(() => evaluatePriors({ cov: 'gamma(rate = -1)' }, lmm([1]))).toThrow(/gamma prior rate must be positive/);
    expect(() => evaluatePriors({ cov: 'invgamma(scale = -2)' }, lmm([1]))).toThrow(/invgamma prior scale must be positive/);
    // priors whose density is unbounded at a zero SD: no posterior mode (never a boundary "fit")
    expect(() => evaluatePriors({ cov: 'gamma(shape = 0.5)' }, lmm([1]))).toThrow(/shape = 0.5 < 1 makes the density unbounded .* so the posterior has no mode/);
    expect(() => evaluatePriors({ cov: 'wishart(df = 1.5)' }, lmm([1]))).toThrow(/df = 1.5 < level.dim \+ 1 = 2/);
    expect(() => evaluatePriors({ cov: 'invwishart(scale = 0)' }, lmm([2]))).toThrow(/a zero scale leaves the density unbounded/);
    expect(() => evaluatePriors({ cov: 'invgamma(shape = 1, scale = 0)' }, lmm([1]))).toThrow(/scale = 0 leaves the density unbounded/);
    expect(() => evaluatePriors({ cov: 'wishart(df = 2)' }, lmm([1]))).not.toThrow();
    expect(() => evaluatePriors({ cov: 'wishart(scale = c(1, 2, 3))' }, lmm([2]))).toThrow(/improper length 3/);
    expect(() => evaluatePriors({ cov: 'wishart(scale = matrix(c(1, 2, 2, 1)))' }, lmm([2]))).toThrow(/not positive definite/);
    expect(() => evaluatePriors({ cov: 'cauchy' }, lmm([1]))).toThrow(/unrecognized ranef covariance distribution 'cauchy'/);
    expect(() => evaluatePriors({ cov: 'Batch ~ gamma' }, lmm([1]))).toThrow(/grouping factor 'Batch' for covariance prior not in model formula \(factors: Subject\)/);
    expect(() => evaluatePriors({ cov: 'gamma(shap = 1, foo = 2)' }, lmm([1]))).toThrow(/unused argument 'foo'/);
    expect(() => evaluatePriors({ cov: 'wishart(df = level.dims)' }, lmm([1]))).toThrow(/unknown name 'level.dims'/);
    expect(() => evaluatePriors({ fixef: 't' }, lmm([1]))).toThrow(/only supported with REML = FALSE/);
    expect(() => evaluatePriors({ fixef: 't(df = 0)' }, { ...lmm([1]), reml: false })).toThrow(/positive degrees of freedom/);
    expect(() => evaluatePriors({ fixef: 'normal(cov = c(1, 2, 3))' }, lmm([1]))).toThrow(/improper length 3/);
    expect(() => evaluatePriors({ resid: 'point(0)' }, lmm([1]))).toThrow(/residual variance must be positive/);
    expect(() => evaluatePriors({ resid: 'wishart' }, lmm([1]))).toThrow(/unrecognized residual variance distribution 'wishart'/);
    expect(() => evaluatePriors({ resid: 'gamma' }, { ...lmm([1]), glmm: true })).toThrow(/resid.prior applies to linear mixed models only/);
    expect(() => evaluatePriors({ cov: 'gamma(common.scale = FALSE)' }, { ...lmm([1]), glmm: true })).toThrow(/unused argument 'common.scale'/);
  });
  it('chooses how σ and β are optimized as blme does', () => {
    const ctl = (o: Parameters<typeof evaluatePriors>[0], q = [1], reml = true) => blmeControl(evaluatePriors(o, { ...lmm(q), reml }), false, 2);
    expect(ctl('blme').sigmaOptimization).toBe('sigma.sq.linear');
    expect(ctl({ cov: 'gamma(rate = 1, common.scale = FALSE)' }).sigmaOptimization).toBe('numeric');
    expect(ctl({ cov: "gamma(rate = 1, common.scale = FALSE, posterior.scale = 'var')" }).sigmaOptimization).toBe('sigma.sq.quadratic');
    expect(ctl({ cov: "invgamma(scale = 1, common.scale = FALSE, posterior.scale = 'sd')" }).sigmaOptimization).toBe('sigma.quadratic');
    expect(ctl({ resid: 'point' }).sigmaOptimization).toBe('point');
    expect(ctl({ fixef: 'normal(common.scale = FALSE)' }).sigmaOptimization).toBe('numeric');
    const t = ctl({ fixef: 't' }, [1], false);
    expect([t.fixefOptimization, t.sigmaOptimization]).toEqual(['numeric', 'numeric']);
  });
});

describe("the prior lines of blme's summary", () => {
  for (const name of ['dyestuff2_default', 'sleepstudy_wishart_scale', 'sleepstudy_invwishart_free', 'sleepstudy_fixef_t', 'dyestuff2_resid_invgamma',
    'dyestuff2_resid_point', 'sleepstudy_fixef_normal', 'dyestuff2_gamma_var_free', 'cbpp_fixef_normal', 'sleepstudy_invwishart']) {
    it(name, () => {
      const ref = loadBlme(name);
      const glmm = ref.family !== null;
      const group = { dyestuff2: 'Batch', sleepstudy: 'Subject', cbpp: 'herd' }[ref.data]!;
      const q = ref.formula.includes('(Days |') ? 2 : 1;
      const p = { dyestuff2: 1, sleepstudy: 2, cbpp: 4 }[ref.data]!;
      const ctx: PriorContext = { terms: [{ group, q, nl: 6 }], p, xnames: [], n: ref.nobs, glmm, reml: ref.reml };
      const priors = evaluatePriors({ cov: ref.cov_prior ?? undefined, fixef: ref.fixef_prior, resid: ref.resid_prior }, ctx);
      const lines = priorLines(priors, ctx.terms);
      expect(lines).toEqual(ref.print.slice(0, lines.length));
      expect(ref.print[lines.length]).toMatch(/^Prior dev {2}: /);
    });
  }
});
