/**
 * clubSandwich 0.5.8's coef_test and conf_int: t tests and intervals of each coefficient with a
 * cluster-robust SE (src/inference/robust/vcovCR.ts):
 *
 *   t_i = β̂_i / SE_i,   SE_i = √V^CR_ii;
 *   'z'             N(0, 1);
 *   'naive-t'       t with J − 1 df;        'naive-tp'  t with J − p df;
 *   'Satterthwaite' t with ν_i = (tr P_i)² / ‖P_i‖²_F  (Bell & McCaffrey's df: E and Var of the
 *                   variance estimator under the working model, clubSandwich's Satterthwaite: 2E²/V with
 *                   E = tr P_i, V = 2‖P_i‖²);
 *   'saddlepoint'   Pustejovsky & Tipton's saddlepoint approximation of P(|T| > |t|) from P_i's
 *                   eigenvalues λ: g = (1, −t²λ/Σλ), the root s of Σ g/(1 − 2gs) by R's uniroot, then
 *                   p = 1 − Φ(r) − φ(r)(1/r − 1/q), r = sign(s)√(Σ log(1 − 2gs)), q = s√(2Σ g²/(1 − 2gs)²)
 *                   (|s| ≤ 0.01: p = ½ − Σg³/(3√π (Σg²)^{3/2})); below 1e-7 with Φ̄(r) for 1 − Φ(r), which
 *                   cancels there (clubSandwich's p can come out negative).
 * P_i is the P array of coefficient i (src/inference/robust/pArray.ts). conf_int: β̂ ± SE·qt(1 − (1 − level)/2, df).
 */
import { OptionError } from '../../errors/errors.js';
import { pnormBoth } from '../../glmm/rmath.js';
import { symmetricEigen } from '../../linalg/symmetricEigen.js';
import { tridiagonalEigen } from '../../linalg/tridiagonalEigen.js';
import { zeroin } from '../../optim/zeroin.js';
import { pvalueT, qt } from '../../stats/distributions.js';
import { PProducts, pArray } from './pArray.js';
import type { VcovCR } from './vcovCR.js';

export const COEF_TESTS = ['Satterthwaite', 'naive-t', 'naive-tp', 'z', 'saddlepoint'] as const;
export type CoefTestName = (typeof COEF_TESTS)[number];

export interface CoefTestRow {
  coef: string;
  beta: number;
  se: number;
  t: number;
  /** the test's degrees of freedom (Infinity for 'z'; NaN for 'saddlepoint', which has none) */
  df: number;
  /** the saddlepoint test's s (saddlepoint only) */
  saddlepoint?: number;
  p: number;
}

export interface CoefTest {
  type: string;
  test: CoefTestName;
  cluster: string;
  J: number;
  rows: CoefTestRow[];
}

export function checkCoefTest(test: unknown, what = 'test', allowed: readonly string[] = COEF_TESTS): CoefTestName {
  if (test === undefined) return 'Satterthwaite';
  if (typeof test !== 'string' || !allowed.includes(test)) {
    throw new OptionError(what, `${what}: '${String(test)}' is not one of clubSandwich's tests here: ${allowed.join(', ')}`);
  }
  return test as CoefTestName;
}

/** Each coefficient's Satterthwaite df, (tr P_i)² / ‖P_i‖²_F. */
export function satterthwaiteDf(v: VcovCR): number[] {
  const P = new PProducts(pArray(v, identity(v.p), v.p));
  return Array.from({ length: v.p }, (_, i) => {
    const E = P.trace(i, i);
    return (E * E) / P.inner(i, i, i, i);
  });
}

function identity(p: number): Float64Array {
  const I = new Float64Array(p * p);
  for (let i = 0; i < p; i++) I[i * p + i] = 1;
  return I;
}

/** clubSandwich's saddlepoint_pval(t, Q) from Q's eigenvalues. */
export function saddlepointPval(t: number, eigen: ArrayLike<number>): { s: number; p: number } {
  const lam = Array.from(eigen, (e) => Math.max(0, e));
  const sum = lam.reduce((a, b) => a + b, 0);
  const g = [1, ...lam.map((e) => (-t * t * e) / sum)];
  const sEq = (s: number) => g.reduce((acc, gi) => acc + gi / (1 - 2 * gi * s), 0);
  const gmin = Math.min(...g), gmax = Math.max(...g);
  const [lo, hi] = t * t < 1 ? [1 / (2 * gmin), 0] : [0, 1 / (2 * gmax)];
  // R's uniroot: f at the ends, then zeroin to .Machine$double.eps^0.25
  const s = zeroin(lo, hi, sEq(lo), sEq(hi), sEq, Number.EPSILON ** 0.25, 1000);
  let p: number;
  if (Math.abs(s) > 0.01) {
    const r = Math.sign(s) * Math.sqrt(g.reduce((acc, gi) => acc + Math.log(1 - 2 * gi * s), 0));
    const q = s * Math.sqrt(2 * g.reduce((acc, gi) => acc + (gi * gi) / (1 - 2 * gi * s) ** 2, 0));
    // Lugannani–Rice as clubSandwich writes it, 1 − Φ(r) − φ(r)(1/r − 1/q); where that falls below 1e-7
    // (r large: 1 − Φ(r) cancels, to a negative p in clubSandwich's sleepstudy fits) the upper tail
    // Φ̄(r) taken directly, Φ̄(r) − φ(r)(1/r − 1/q)
    const phi = Math.exp(-0.5 * r * r) / Math.sqrt(2 * Math.PI);
    const { lower, upper } = pnormBoth(r);
    p = 1 - lower - phi * (1 / r - 1 / q);
    if (p < 1e-7) p = Math.max(0, upper - phi * (1 / r - 1 / q));
  } else {
    const g2 = g.reduce((acc, gi) => acc + gi * gi, 0);
    p = 0.5 - g.reduce((acc, gi) => acc + gi ** 3, 0) / (3 * Math.sqrt(Math.PI) * g2 ** 1.5);
  }
  return { s, p };
}

/** clubSandwich's coef_test(fit, vcov, test) for one test. */
export function coefTest(v: VcovCR, test: CoefTestName = 'Satterthwaite'): CoefTest {
  const { p, J } = v;
  const se = Array.from({ length: p }, (_, i) => Math.sqrt(v.V[i * p + i]));
  const t = se.map((s, i) => v.beta[i] / s);
  let rows: CoefTestRow[];
  if (test === 'saddlepoint') {
    const P = new PProducts(pArray(v, identity(p), p));
    rows = t.map((ti, i) => {
      // P_i's eigenvalues: the cyclic Jacobi up to 64 clusters, Householder and QR beyond (O(J³), not a multiple per sweep)
      const { values } = J <= 64 ? symmetricEigen(P.dense(i, i), J) : tridiagonalEigen(P.dense(i, i), J);
      const sp = saddlepointPval(ti, values);
      return { coef: v.xnames[i], beta: v.beta[i], se: se[i], t: ti, df: NaN, saddlepoint: sp.s, p: sp.p };
    });
  } else {
    const df = test === 'z' ? Array(p).fill(Infinity) : test === 'naive-t' ? Array(p).fill(J - 1) : test === 'naive-tp' ? Array(p).fill(J - p) : satterthwaiteDf(v);
    rows = t.map((ti, i) => ({ coef: v.xnames[i], beta: v.beta[i], se: se[i], t: ti, df: df[i], p: pvalueT(ti, df[i]) }));
  }
  return { type: v.type, test, cluster: v.cluster, J, rows };
}

/**
 * clubSandwich's `coefs`: the rows of the coefficients named (or all, by default), in the model's order;
 * each coefficient's test is its own, so a subset changes no number.
 */
export function selectCoefs<R extends { coef: string }>(rows: R[], coefs: unknown): R[] {
  if (coefs === undefined || coefs === 'All') return rows;
  const names = rows.map((r) => r.coef);
  if (!Array.isArray(coefs) || coefs.length === 0 || coefs.some((c) => typeof c !== 'string')) {
    throw new OptionError('coefs', `coefs: expected 'All' or a list of coefficient names (the model's: ${names.join(', ')})`);
  }
  const missing = coefs.filter((c) => !names.includes(c));
  if (missing.length > 0) throw new OptionError('coefs', `coefs: ${missing.map((c) => `'${c}'`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not a coefficient of the model (its coefficients: ${names.join(', ')})`);
  return rows.filter((r) => coefs.includes(r.coef));
}

export interface ConfIntRow { coef: string; beta: number; se: number; df: number; lower: number; upper: number }
export interface ConfInt { type: string; test: CoefTestName; level: number; rows: ConfIntRow[] }

/** clubSandwich's conf_int(fit, vcov, level, test) ('saddlepoint' refused: its intervals have no closed form). */
export function confIntOfVcov(v: VcovCR, level = 0.95, test: CoefTestName = 'Satterthwaite'): ConfInt {
  if (typeof level !== 'number' || !(level > 0 && level < 1)) throw new OptionError('level', `level: ${String(level)} is not a confidence level strictly between 0 and 1`);
  if (test === 'saddlepoint') throw new OptionError('test', "test: 'saddlepoint' has no confidence intervals (clubSandwich: saddlepoint confidence intervals do not have a closed-form solution); use 'Satterthwaite', 'naive-t', 'naive-tp' or 'z'");
  const ct = coefTest(v, test);
  return {
    type: v.type, test, level,
    rows: ct.rows.map((r) => {
      const crit = qt(1 - (1 - level) / 2, r.df);
      return { coef: r.coef, beta: r.beta, se: r.se, df: r.df, lower: r.beta - r.se * crit, upper: r.beta + r.se * crit };
    }),
  };
}
