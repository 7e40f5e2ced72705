/**
 * Tests of k parameters from m imputed data sets, as mitml 0.4-4's testModels and testConstraints:
 *   D1 — Li, Raghunathan & Rubin (1991): the multivariate Wald test with the average relative increase
 *        in variance r and its F(k, ν) reference (Reiter's (2007) ν with the complete-data df);
 *   D2 — Li, Meng, Raghunathan & Rubin (1991): combined χ² statistics (Wald or likelihood ratio);
 *   D3 — Meng & Rubin (1992): the likelihood ratios at each data set's estimates and at the pooled ones;
 *   D4 — Chan & Meng (2022): the likelihood ratio at the estimates of the stacked data sets.
 * mitml's `ariv`: 'positive' truncates the estimated r at 0 (D2, D3, D4); 'robust' is D4's estimate of r
 * from the full model's likelihoods alone (all h of its parameters), not from the difference of the two.
 * Pure arithmetic on the m data sets' numbers; the fits give them (src/fit/imputed.ts).
 */
import { OptionError, showValue } from '../errors/errors.js';
import { spdInverse } from '../linalg/dense.js';
import { pfUpper } from '../stats/distributions.js';
import { miBetween, miMean, miMeanMatrix } from './miPool.js';

/** mitml's test row: F, df1 = k, df2 = ν, P(>F), RIV = r. */
export interface MiTest {
  F: number;
  df1: number;
  df2: number;
  p: number;
  riv: number;
}

function inverse(M: number[][], what: string): number[][] {
  const k = M.length;
  const { inv } = spdInverse(M.flat(), k, what);
  return Array.from({ length: k }, (_, i) => Array.from(inv.subarray(i * k, (i + 1) * k)));
}

/** xᵀ M⁻¹ x */
function quadInv(x: number[], M: number[][], what: string): number {
  const W = inverse(M, what);
  let s = 0;
  for (let i = 0; i < x.length; i++) for (let j = 0; j < x.length; j++) s += x[i] * W[i][j] * x[j];
  return s;
}

function withP(F: number, k: number, v: number, r: number): MiTest {
  return { F, df1: k, df2: v, p: pfUpper(F, k, v), riv: r };
}

/** the denominator df of D1 and D3 without ν_com: t = k(m − 1); ν = 4 + (t − 4)(1 + (1 − 2/t)/r)² for t > 4, else t(1 + 1/k)(1 + 1/r)²/2 */
function rubinFDf(k: number, m: number, r: number): number {
  const t = k * (m - 1);
  return t > 4 ? 4 + (t - 4) * (1 + (1 - 2 / t) / r) ** 2 : (t * (1 + 1 / k) * (1 + 1 / r) ** 2) / 2;
}

/**
 * D1 on the m estimates Q[l] (k values) and covariances U[l] (k × k): r = (1 + 1/m) tr(B Ū⁻¹)/k,
 * T̃ = (1 + r) Ū, F = Q̄ᵀ T̃⁻¹ Q̄ / k; with ν_com, Reiter's (2007) ν = 4 + 1/z.
 */
export function miD1(Q: number[][], U: number[][][], dfCom: number | null = null): MiTest {
  const m = Q.length, k = Q[0].length;
  const Qbar = miMean(Q);
  const Ubar = miMeanMatrix(U);
  const B = miBetween(Q, Qbar);
  const Uinv = inverse(Ubar, 'Ū (the average covariance of the tested estimates)');
  // tr(B Ū⁻¹)
  let tr = 0;
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) tr += B[i][j] * Uinv[j][i];
  const r = ((1 + 1 / m) * tr) / k;
  // F = Q̄ᵀ ((1 + r) Ū)⁻¹ Q̄ / k
  let q = 0;
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) q += Qbar[i] * Uinv[i][j] * Qbar[j];
  const F = q / (1 + r) / k;
  const t = k * (m - 1);
  let v: number;
  if (dfCom !== null) {
    // Reiter (2007): a = r t/(t − 2), ν* = (ν_com + 1)/(ν_com + 3) ν_com, ν = 4 + 1/z
    const a = (r * t) / (t - 2);
    const vstar = ((dfCom + 1) / (dfCom + 3)) * dfCom;
    const c0 = 1 / (t - 4);
    const c1 = vstar - 2 * (1 + a);
    const c2 = vstar - 4 * (1 + a);
    const z = 1 / c2 + c0 * ((a * a * c1) / ((1 + a) ** 2 * c2)) + c0 * ((8 * a * a * c1) / ((1 + a) * c2 * c2) + (4 * a * a) / ((1 + a) * c2))
      + c0 * ((4 * a * a) / (c2 * c1) + (16 * a * a * c1) / c2 ** 3) + c0 * ((8 * a * a) / (c2 * c2));
    v = 4 + 1 / z;
  } else {
    v = rubinFDf(k, m, r);
  }
  return withP(F, k, v, r);
}

/**
 * D2 on the m χ² statistics d[l] with k df: r = (1 + 1/m) Var(√dₗ),
 * F = (d̄/k − (m + 1)/(m − 1) r)/(1 + r), ν = k^(−3/m) (m − 1)(1 + 1/r)².
 */
export function miD2(d: number[], k: number, ariv: MiAriv = 'default'): MiTest {
  const m = d.length;
  const dbar = d.reduce((s, x) => s + x, 0) / m;
  const sq = d.map((x) => Math.sqrt(x));
  const sbar = sq.reduce((s, x) => s + x, 0) / m;
  // (a variance: 'positive' changes nothing, as in mitml)
  const r = positiveIf(ariv, (1 + 1 / m) * (sq.reduce((s, x) => s + (x - sbar) ** 2, 0) / (m - 1)));
  const F = (dbar / k - ((m + 1) / (m - 1)) * r) / (1 + r);
  const v = k ** (-3 / m) * (m - 1) * (1 + 1 / r) ** 2;
  return withP(F, k, v, r);
}

/** The Wald statistics dₗ = Q̂ₗᵀ Ûₗ⁻¹ Q̂ₗ that D2 combines with use = 'wald'. */
export function waldStatistics(Q: number[][], U: number[][][]): number[] {
  return Q.map((q, l) => quadInv(q, U[l], `imputation ${l + 1}'s covariance of the tested estimates`));
}

/**
 * D3 from each data set's log-likelihoods of the model and the null model at their own estimates
 * (ll, ll0) and at the pooled estimates (llPooled, ll0Pooled): d̄ = mean(−2(ℓ₀ − ℓ)),
 * d̃ = mean of the same at the pooled estimates, r = (m + 1)/(k(m − 1)) (d̄ − d̃), F = d̃/(k(1 + r)).
 */
export function miD3(ll: number[], ll0: number[], llPooled: number[], ll0Pooled: number[], k: number, ariv: MiAriv = 'default'): MiTest {
  const m = ll.length;
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const dbar = mean(ll.map((l, i) => -2 * (ll0[i] - l)));
  const dtilde = mean(llPooled.map((l, i) => -2 * (ll0Pooled[i] - l)));
  const r = positiveIf(ariv, ((m + 1) / (k * (m - 1))) * (dbar - dtilde));
  const F = dtilde / (k * (1 + r));
  return withP(F, k, rubinFDf(k, m, r), r);
}

/**
 * D4 from each data set's log-likelihoods of the model and the null model at their own estimates
 * (ll, ll0: h and h − k parameters) and the average log-likelihoods at the estimates of the m data
 * sets stacked (llStacked = ℓ_stack/m, ll0Stacked), with mitml's zeros where two log-likelihoods are
 * all.equal (1.5e-8: relative per data set, absolute for the stacked difference):
 *   d̄ = mean(−2(ℓ₀ₗ − ℓₗ)), d̂ = −2(ℓ̂₀ − ℓ̂), F = d̂/(k(1 + r)), ν = a(m − 1)(1 + 1/r)², with
 *   r = (m + 1)/(k(m − 1)) (d̄ − d̂), a = k (ariv 'default', 'positive': r ≥ 0), or
 *   r = (m + 1)/(h(m − 1)) (δ̄ − δ̂), δ̄ = 2 mean(ℓₗ), δ̂ = 2ℓ̂, a = h (ariv 'robust').
 */
export function miD4(ll: number[], ll0: number[], llStacked: number, ll0Stacked: number, k: number, h: number, ariv: MiAriv = 'default'): MiTest {
  const m = ll.length;
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const dbar = mean(ll.map((l, i) => (Math.abs(ll0[i] - l) <= 1.5e-8 * Math.abs(l) ? 0 : -2 * (ll0[i] - l))));
  const diff = ll0Stacked - llStacked;
  const dhat = Math.abs(diff) <= 1.5e-8 ? 0 : -2 * diff;
  let r: number, v: number;
  if (ariv === 'robust') {
    r = ((m + 1) / (h * (m - 1))) * (2 * mean(ll) - 2 * llStacked);
    v = h * (m - 1) * (1 + 1 / r) ** 2;
  } else {
    r = positiveIf(ariv, ((m + 1) / (k * (m - 1))) * (dbar - dhat));
    v = k * (m - 1) * (1 + 1 / r) ** 2;
  }
  return withP(dhat / (k * (1 + r)), k, v, r);
}

/** mitml's ariv: 'positive' truncates r at 0 (then ν = ∞, F's reference a χ²ₖ/k) */
function positiveIf(ariv: MiAriv, r: number): number {
  return ariv === 'positive' ? Math.max(0, r) : r;
}

/** A linear constraint c₀ + Σ cⱼ βⱼ parsed from text over the coefficients' names. */
export interface LinearConstraint {
  text: string;
  constant: number;
  coefficients: number[];
}

/**
 * Parse a linear constraint such as `SES`, `SexGirl - ReadDis`, `2*SES + 1` or `(Intercept) - 500`
 * over the coefficient names (mitml writes `(Intercept)` as `Intercept`; both are accepted). Only
 * linear combinations: a product of two coefficients, a division by one or a function is refused by name.
 */
export function parseLinearConstraint(text: string, names: string[]): LinearConstraint {
  const alias = names.map((n) => n.replace(/\(Intercept\)/g, 'Intercept'));
  const src = text.replace(/\(Intercept\)/g, 'Intercept');
  let pos = 0;
  const fail = (msg: string): never => { throw new OptionError('constraints', `constraint "${text}": ${msg}`); };
  const ws = () => { while (pos < src.length && /\s/.test(src[pos])) pos++; };
  type Lin = { c: number; a: number[] };
  const zero = (): Lin => ({ c: 0, a: names.map(() => 0) });
  const isConst = (x: Lin) => x.a.every((v) => v === 0);
  const scale = (x: Lin, s: number): Lin => ({ c: x.c * s, a: x.a.map((v) => v * s) });
  const add = (x: Lin, y: Lin, s: number): Lin => ({ c: x.c + s * y.c, a: x.a.map((v, i) => v + s * y.a[i]) });
  const primary = (): Lin => {
    ws();
    if (src[pos] === '(') {
      pos++;
      const e = expr();
      ws();
      if (src[pos] !== ')') fail(`a ")" is missing at position ${pos + 1}`);
      pos++;
      return e;
    }
    if (src[pos] === '-' || src[pos] === '+') {
      const s = src[pos] === '-' ? -1 : 1;
      pos++;
      return scale(primary(), s);
    }
    const num = /^(\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)/.exec(src.slice(pos));
    if (num) {
      pos += num[0].length;
      return { ...zero(), c: Number(num[0]) };
    }
    const id = /^(`[^`]+`|[A-Za-z.][A-Za-z0-9._:]*)/.exec(src.slice(pos));
    if (!id) return fail(`unexpected "${src.slice(pos, pos + 10) || 'end'}" at position ${pos + 1}`);
    pos += id[0].length;
    const name = id[0].replace(/^`|`$/g, '');
    ws();
    if (src[pos] === '(') return fail(`the function ${name}() is not a linear constraint (only sums of multiples of the coefficients)`);
    const j = alias.indexOf(name);
    if (j < 0) return fail(`"${name}" is not a coefficient (the coefficients: ${alias.join(', ')})`);
    const out = zero();
    out.a[j] = 1;
    return out;
  };
  const term = (): Lin => {
    let x = primary();
    for (;;) {
      ws();
      const op = src[pos];
      if (op !== '*' && op !== '/') return x;
      pos++;
      const y = primary();
      if (op === '*') {
        if (isConst(x)) x = scale(y, x.c);
        else if (isConst(y)) x = scale(x, y.c);
        else fail('a product of coefficients is not a linear constraint');
      } else {
        if (!isConst(y)) fail('a division by a coefficient is not a linear constraint');
        x = scale(x, 1 / y.c);
      }
    }
  };
  const expr = (): Lin => {
    let x = term();
    for (;;) {
      ws();
      const op = src[pos];
      if (op !== '+' && op !== '-') return x;
      pos++;
      x = add(x, term(), op === '-' ? -1 : 1);
    }
  };
  const e = expr();
  ws();
  if (pos < src.length) fail(`unexpected "${src.slice(pos)}" at position ${pos + 1}`);
  if (isConst(e)) fail('it names no coefficient');
  return { text: src, constant: e.c, coefficients: e.a };
}

/**
 * The constrained quantities of each imputation: g(Q̂ₗ) = c₀ + C Q̂ₗ and C Ûₗ Cᵀ (mitml's
 * testConstraints; its numeric derivative is C exactly for a linear g).
 */
export function constrainEstimates(Q: number[][], U: number[][][], constraints: LinearConstraint[]): { Q: number[][]; U: number[][][] } {
  if (constraints.length === 0) throw new OptionError('constraints', 'testConstraints needs at least one constraint');
  const C = constraints.map((c) => c.coefficients);
  const k = C.length, p = Q[0].length;
  const newQ = Q.map((q) => constraints.map((c) => c.constant + c.coefficients.reduce((s, a, j) => s + a * q[j], 0)));
  const newU = U.map((u) => {
    const CU = C.map((c) => Array.from({ length: p }, (_, j) => c.reduce((s, a, i) => s + a * u[i][j], 0)));
    return Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => CU[i].reduce((s, v, l) => s + v * C[j][l], 0)));
  });
  return { Q: newQ, U: newU };
}

export type MiMethod = 'D1' | 'D2' | 'D3' | 'D4';

/** mitml's estimate of the average relative increase in variance r: as derived, truncated at 0, or D4's robust one */
export type MiAriv = 'default' | 'positive' | 'robust';

/** ariv checked against the method, as mitml's warnings say ('positive' is not D1's, 'robust' is D4's only); refused where mitml would ignore it */
export function checkMiAriv(ariv: unknown, method: MiMethod): MiAriv {
  if (ariv === undefined) return 'default';
  if (ariv !== 'default' && ariv !== 'positive' && ariv !== 'robust') throw new OptionError('ariv', `ariv must be 'default', 'positive' or 'robust', not ${showValue(ariv)}`);
  if (ariv === 'positive' && method === 'D1') throw new OptionError('ariv', "ariv = 'positive' is not available with method D1 (its r is a trace of a product of positive semi-definite matrices; mitml ignores it there)");
  if (ariv === 'robust' && method !== 'D4') throw new OptionError('ariv', `ariv = 'robust' is D4's option only, not ${method}'s`);
  return ariv;
}

export function checkMiMethod(method: unknown, allowed: readonly MiMethod[]): MiMethod {
  if (method === undefined) return 'D1';
  if (typeof method !== 'string' || !(allowed as readonly string[]).includes(method)) {
    throw new OptionError('method', `method must be one of ${allowed.join(', ')}, not ${String(method)}`);
  }
  return method as MiMethod;
}
