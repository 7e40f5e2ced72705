/**
 * The multilevel model's outputs (rma.mv with ~ 1 | district/school, dat.konstantopoulos2011) from a
 * direct dense computation at metafor's σ² (V = diag(v) + σ₁² Z₁Z₁ᵀ + σ₂² Z₂Z₂ᵀ, β̂ = (XᵀV⁻¹X)⁻¹XᵀV⁻¹y):
 *   - the ML and REML log-likelihoods at fixed σ² (rma.mv(..., sigma2 = s)) to 1e-10 relative,
 *     including metafor's ½ log|XᵀX| in the restricted one;
 *   - every reported quantity of rma.mv's fits (z and t tests, QM, QE, fit statistics, predictions)
 *     at metafor's σ² to 1e-9, and its printout line for line.
 * The fit itself (σ² from the mixed model with σ fixed at 1): test/meta/meta.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { choleskyInPlace, solveLower, solveLowerT } from '../../src/linalg/dense.js';
import { type MultilevelSolution, rmaMvResults } from '../../src/meta/results.js';
import { formatRmaMv } from '../../src/meta/summary.js';
import type { MetaDesign } from '../../src/meta/tau2.js';
import { loadMetaData, loadRma, numericColumn } from '../helpers/metaReference.js';

const ko = loadMetaData('konstantopoulos2011');
const y = numericColumn(ko, 'yi'), v = numericColumn(ko, 'vi');
const district = numericColumn(ko, 'district'), school = numericColumn(ko, 'school'), year = numericColumn(ko, 'year');
const k = y.length;

function design(withYear: boolean): { d: MetaDesign; names: string[] } {
  const p = withYear ? 2 : 1;
  const X = new Float64Array(k * p);
  for (let i = 0; i < k; i++) {
    X[i] = 1;
    if (withYear) X[k + i] = year[i] - 1990;
  }
  return { d: { X, k, p, y, v }, names: withYear ? ['intrcpt', 'I(year - 1990)'] : ['intrcpt'] };
}

/** Dense GLS at σ² = [district, district/school]. */
function denseSolution(d: MetaDesign, s2: number[]): MultilevelSolution {
  const { X, p } = d;
  const V = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
    let val = i === j ? v[i] : 0;
    if (district[i] === district[j]) val += s2[0];
    if (district[i] === district[j] && school[i] === school[j]) val += s2[1];
    V[i * k + j] = val;
  }
  const logDetV = choleskyInPlace(V, k, 'V');
  // W = L⁻¹X, z = L⁻¹y (V = LLᵀ)
  const W = new Float64Array(k * p);
  for (let j = 0; j < p; j++) {
    const col = X.slice(j * k, j * k + k);
    solveLower(V, k, col);
    W.set(col, j * k);
  }
  const z = Float64Array.from(y);
  solveLower(V, k, z);
  const A = new Float64Array(p * p), b = new Float64Array(p), XtX = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    for (let c = 0; c < p; c++) {
      let s = 0, t = 0;
      for (let i = 0; i < k; i++) { s += W[a * k + i] * W[c * k + i]; t += X[a * k + i] * X[c * k + i]; }
      A[a * p + c] = s;
      XtX[a * p + c] = t;
    }
    let s = 0;
    for (let i = 0; i < k; i++) s += W[a * k + i] * z[i];
    b[a] = s;
  }
  const logDetA = choleskyInPlace(A, p, 'XtV-1X');
  const beta = Float64Array.from(b);
  solveLower(A, p, beta);
  solveLowerT(A, p, beta);
  const vb = new Float64Array(p * p);
  for (let c = 0; c < p; c++) {
    const e = new Float64Array(p);
    e[c] = 1;
    solveLower(A, p, e);
    solveLowerT(A, p, e);
    for (let r = 0; r < p; r++) vb[r * p + c] = e[r];
  }
  let rss = 0;
  for (let i = 0; i < k; i++) {
    let r = z[i];
    for (let j = 0; j < p; j++) r -= W[j * k + i] * beta[j];
    rss += r * r;
  }
  const logDetXtX = choleskyInPlace(XtX, p, 'XtX');
  return {
    beta, vb,
    llML: -0.5 * (k * Math.log(2 * Math.PI) + logDetV + rss),
    llREML: -0.5 * ((k - p) * Math.log(2 * Math.PI) - logDetXtX + logDetV + logDetA + rss),
  };
}

function close(got: number, want: number, tol: number, what: string): void {
  expect(Math.abs(got - want) / Math.max(Math.abs(want), 1e-3), `${what}: ${got} vs ${want}`).toBeLessThan(tol);
}

describe('multilevel log-likelihoods at fixed σ²', () => {
  for (const [name, withYear] of [['konstantopoulos_reml', false], ['konstantopoulos_reml_year', true]] as const) {
    it(name, () => {
      const { d } = design(withYear);
      for (const a of loadRma(name).at_sigma2!) {
        const sol = denseSolution(d, a.sigma2);
        close(sol.llML, a.ll_ML, 1e-10, `ll.ML at ${a.sigma2}`);
        close(sol.llREML, a.ll_REML, 1e-10, `ll.REML at ${a.sigma2}`);
        a.beta.forEach((bb, j) => close(sol.beta[j], bb, 1e-10, `beta ${j}`));
      }
    });
  }
});

describe("rma.mv's outputs at metafor's σ²", () => {
  for (const [name, withYear, method, test] of [
    ['konstantopoulos_reml', false, 'REML', 'z'], ['konstantopoulos_ml', false, 'ML', 'z'],
    ['konstantopoulos_reml_year', true, 'REML', 'z'], ['konstantopoulos_reml_t', false, 'REML', 't'],
  ] as const) {
    it(name, () => {
      const ref = loadRma(name);
      const { d, names } = design(withYear);
      const res = rmaMvResults(d, names, true, method, test, ref.sigma2!, ['district', 'district/school'], [11, 56], denseSolution(d, ref.sigma2!));
      names.forEach((nm, j) => {
        for (const [got, want, what] of [[res.coef.beta[j], ref.beta[nm], 'beta'], [res.coef.se[j], ref.se[nm], 'se'], [res.coef.stat[j], ref.stat[nm], 'stat'],
          [res.coef.pval[j], ref.pval[nm], 'pval'], [res.coef.ciLb[j], ref.ci_lb[nm], 'ci.lb'], [res.coef.ciUb[j], ref.ci_ub[nm], 'ci.ub']] as const) close(got, want, 1e-9, `${what} ${nm}`);
      });
      close(res.het.QE, ref.QE, 1e-9, 'QE');
      close(res.het.QEp, ref.QEp, 1e-9, 'QEp');
      close(res.moderators.QM, ref.QM, 1e-9, 'QM');
      close(res.moderators.QMp, ref.QMp, 1e-9, 'QMp');
      expect(res.parms).toBe(ref.parms);
      for (const col of ['ML', 'REML'] as const) for (const s of ['ll', 'dev', 'AIC', 'BIC', 'AICc'] as const) close(res.fitStats[col][s], ref.fit_stats[col][s], 1e-9, `${col} ${s}`);
      for (const [got, want] of [[res.predict.pred, ref.predict.pred], [res.predict.piLb, ref.predict.pi_lb], [res.predict.piUb, ref.predict.pi_ub], [res.predict.ciLb, ref.predict.ci_lb]] as const) {
        [want].flat().forEach((w, i) => close(got[i], w, 1e-9, `predict ${i}`));
      }
      ref.fitted.forEach((f, i) => close(res.fitted[i], f, 1e-9, `fitted ${i}`));
      expect(formatRmaMv(res, !withYear)).toEqual(ref.print);
    });
  }
});
