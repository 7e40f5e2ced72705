/**
 * geepack's Wald tests of a GEE (anova.geeglm): W = b₀ᵀ V₀⁻¹ b₀ on the coefficients b₀ tested with
 * their block V₀ of the variance, P(χ²_df > W) as R's 1 − pchisq(W, df).
 *   sequentialWald: the terms added first to last; term i's coefficients (the last df of the fit of the
 *     intercept and terms 1…i) tested in that fit — the fits before the last refitted as geepack does
 *     (geese.fit with its default waves 1…n_i and φ estimated), each with its sandwich variance;
 *   nestedWald: two fits, one's columns in the span of the other's (geepack tests this on the larger
 *     fit refitted on the QR basis Q = [Q₁ Q₂] of [X_small X_large]); as the GEE is equivariant under a
 *     change of basis, here the larger fit's β and variance are taken to γ₂ = Q₂ᵀ X_large β with
 *     Q₂ an orthonormal basis of the larger span orthogonal to the smaller's: W = γ₂ᵀ (L V Lᵀ)⁻¹ γ₂, L = Q₂ᵀ X_large.
 */
import { ModelError } from '../errors/errors.js';
import { type Mat, inverse, mul, mulVec, transpose } from './dense.js';
import { pchisqUpper } from '../stats/distributions.js';
import { formatPval, formatR, printMatrix, zapsmall } from '../results/rFormat.js';
import type { GeeFit } from './geeFit.js';

export interface WaldRow { term: string; df: number; x2: number; p: number }

/** the two-model test with the larger fit first (Model 1) */
export interface NestedWald { row: WaldRow; larger: GeeFit; smaller: GeeFit }

function wald(beta: readonly number[], V: Mat, idx: number[]): number {
  const b = idx.map((j) => beta[j]);
  const V0 = idx.map((a) => idx.map((c) => V[a][c]));
  const Vi = inverse(V0, 'the variance of the tested coefficients');
  return b.reduce((s, ba, a) => s + ba * b.reduce((t, bc, c) => t + Vi[a][c] * bc, 0), 0);
}

export function sequentialWald(fit: GeeFit, assign: number[][], labels: string[]): WaldRow[] {
  const hasIntercept = fit.gf.frame.formula.fixed.intercept;
  const rows: WaldRow[] = [];
  const base = hasIntercept ? [fit.xnames.indexOf('(Intercept)')] : [];
  let cols = [...base];
  assign.forEach((tc, i) => {
    if (tc.length === 0) return;
    cols = [...cols, ...tc];
    const last = i === assign.length - 1 || assign.slice(i + 1).every((x) => x.length === 0);
    const { beta, V } = last ? { beta: fit.coefficients, V: fit.vcovSandwich() } : (() => {
      const r = fit.refit(cols, { defaultWaves: true, scaleFix: false });
      return { beta: r.par.beta, V: r.v.vbeta };
    })();
    // the last tc.length coefficients of this fit (its columns in `cols` order; the full fit's in X's order)
    const idx = last ? tc : tc.map((_, k) => cols.length - tc.length + k);
    const x2 = wald(beta, V, idx);
    rows.push({ term: labels[i], df: tc.length, x2, p: 1 - (1 - pchisqUpper(x2, tc.length)) });
  });
  return rows;
}

/** Orthonormal columns (modified Gram–Schmidt) spanning `cols` beyond `basis`; columns within 1e-7 of the span are dropped. */
function extendBasis(basis: number[][], cols: number[][]): number[][] {
  const out: number[][] = [];
  for (const c of cols) {
    const v = c.slice();
    const n0 = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    for (const q of [...basis, ...out]) {
      const d = q.reduce((s, x, i) => s + x * v[i], 0);
      for (let i = 0; i < v.length; i++) v[i] -= d * q[i];
    }
    const nv = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    if (nv > 1e-7 * n0 && nv > 0) out.push(v.map((x) => x / nv));
  }
  return out;
}

export function nestedWald(a: GeeFit, b: GeeFit): NestedWald {
  if (a.nobs !== b.nobs) throw new ModelError(`gee anova: the fits have ${a.nobs} and ${b.nobs} observations: they must be fitted to the same rows`);
  const colsOf = (f: GeeFit) => {
    // X's columns in the data's row order
    const order = Array.from(f.gf.inputRow.keys()).sort((x, y) => f.gf.inputRow[x] - f.gf.inputRow[y]);
    return f.xnames.map((_, j) => order.map((k) => f.gf.X[k][j]));
  };
  const Xa = colsOf(a);
  const Xb = colsOf(b);
  const qa = extendBasis([], Xa);
  const qb = extendBasis([], Xb);
  const extraB = extendBasis(qa, Xb);
  const extraA = extendBasis(qb, Xa);
  if (extraA.length === 0 && extraB.length === 0) throw new ModelError('gee anova: the models are identical (the same span of X)');
  if (extraA.length > 0 && extraB.length > 0) throw new ModelError('gee anova: the models are not nested (neither design is in the span of the other)');
  const [big, Xbig, Q2] = extraB.length > 0 ? [b, Xb, extraB] : [a, Xa, extraA];
  // L = Q₂ᵀ X_big (df × p_big): γ₂ = L β
  const L: Mat = Q2.map((q) => Xbig.map((col) => col.reduce((s, x, i) => s + x * q[i], 0)));
  const g = mulVec(L, big.coefficients);
  const V0 = mul(mul(L, big.vcov()), transpose(L, big.coefficients.length));
  const Vi = inverse(V0, 'the variance of the tested combinations');
  const x2 = g.reduce((s, ga, i) => s + ga * g.reduce((t, gc, j) => t + Vi[i][j] * gc, 0), 0);
  return { row: { term: '1', df: Q2.length, x2, p: 1 - (1 - pchisqUpper(x2, Q2.length)) }, larger: big, smaller: big === a ? b : a };
}

/**
 * R's print.anova of geepack's Wald table: the heading lines, then printCoefmat with digits 5 (R's
 * default 7 − 2): Df as integers, X2 zapsmall'ed and formatted to 5 digits, P(>|Chi|) by format.pval
 * to 4 digits with significance stars.
 */
export function printWaldTable(rows: readonly WaldRow[], heading: readonly string[]): string[] {
  const digits = 5;
  const df = formatR(rows.map((r) => r.df), digits);
  const x2 = formatR(zapsmall(rows.map((r) => r.x2), digits), digits);
  const pv = rows.map((r) => r.p);
  const cols = [df, x2, formatPval(pv, digits - 1)];
  const labels = ['Df', 'X2', 'P(>|Chi|)'];
  const stars = pv.some((x) => Number.isFinite(x) && x < 0.1);
  if (stars) {
    const sym = pv.map((x) => (!Number.isFinite(x) ? '' : x <= 0.001 ? '***' : x <= 0.01 ? '**' : x <= 0.05 ? '*' : x <= 0.1 ? '.' : ' '));
    const w = Math.max(...sym.map((s) => s.length));
    cols.push(sym.map((s) => s.padEnd(w)));
    labels.push('');
  }
  const lines = [...heading, ...printMatrix(cols, rows.map((r) => r.term), labels, true)];
  if (stars) lines.push('---', "Signif. codes:  0 ‘***’ 0.001 ‘**’ 0.01 ‘*’ 0.05 ‘.’ 0.1 ‘ ’ 1");
  return lines;
}

/** anova.geeglm's heading of the sequential table */
export function sequentialHeading(family: string, link: string, response: string): string[] {
  return ["Analysis of 'Wald statistic' Table", `Model: ${family}, link: ${link}`, `Response: ${response}`, 'Terms added sequentially (first to last)', ''];
}

/** anovageePrim2's heading of the two-model table (the larger model first) */
export function nestedHeading(formula1: string, formula2: string): string[] {
  return ["Analysis of 'Wald statistic' Table", '', `Model 1 ${formula1} `, `Model 2 ${formula2}`];
}
