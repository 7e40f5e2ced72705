/**
 * The engines' pre-pass of poly(), ns() and bs(): their data-dependent coefficients (R's
 * attr(, "coefs") of poly, the knots of ns/bs) from scans over the rows, before any pass of the
 * model frame evaluates the bases row by row (stream: memory's src/frame/basis/ code per row with
 * these coefficients; SQL: ./sql/basisColumns.ts). The coefficients land in spec.scales, keyed as the
 * in-memory frame keys them, so that predictions of new data evaluate the bases as memory's fit does.
 *
 * Which rows: R evaluates the calls in model.frame, on every row of the data, before na.omit drops
 * the rows missing another variable; so here every row of the input (as src/frame/columns.ts
 * basisColumn). poly refuses a missing x (R: "missing values are not allowed in 'poly'"); ns/bs take
 * their knots from the non-missing x.
 *
 * poly(x, d): R's QR of the centred Vandermonde [1, x_c, …, x_c^d] gives Z_j, the residual of x_c^j on
 * the lower powers, whose norms and centres are the coefficients. Z_j is the monic orthogonal
 * polynomial P_j of the recurrence (Stieltjes): with x̄ the mean,
 *   α_1 = x̄,  P_0 = 1, P_1 = x − α_1,  P_{j+1} = (x − α_{j+1}) P_j − (norm2_{j+1} / norm2_j) P_{j−1},
 *   norm2_{j+1} = Σ P_j²,  α_{j+1} = Σ (x − x̄) P_j² / Σ P_j² + x̄,
 * one scan per degree with the coefficients of the lower degrees known — never the raw moments
 * Σ x^k, whose cancellation loses the high degrees. x̄ as memory's mean: Σx/n, then corrected by
 * the mean of the residuals Σ(x − x̄)/n (a scan of its own). Memory's α_1 adds Σ(x − x̄)/n once more
 * (≈ 0 after the correction); here α_1 = x̄: they differ by rounding, as the columns do (the
 * recurrence's P_j against the QR's Z_j), which the engines' tests bound through the fits.
 * ns/bs: boundary knots from the range of the non-missing x (or given), inner knots at exact type-7
 * quantiles of the x inside them (./quantiles.ts: a few scans), both through splines.ts's own rules.
 */
import type { BasisArgs, Expr } from '../formula/types.js';
import { DataError } from '../errors/errors.js';
import type { PolyCoefs } from '../frame/basis/poly.js';
import { splineKnotPlan, splineKnotsAt } from '../frame/basis/splines.js';
import { type QuantileScan, exactQuantiles } from './quantiles.js';
import type { ScaleParams } from '../frame/columns.js';

/** One distinct poly/ns/bs call of a formula. */
export interface BasisCall {
  /** the key of its coefficients in spec.scales (columns.ts scaleKey of the call) */
  key: string;
  /** the call as R deparses it (`poly(x, 2)`) */
  label: string;
  fn: 'poly' | 'ns' | 'bs';
  call: Extract<Expr, { type: 'call' }>;
  /** its numeric argument x */
  arg: Expr;
  args: BasisArgs;
  /** its model-frame variables, one per column: label + column name (`poly(x, 2)1`, `poly(x, 2)2`) */
  labels: string[];
}

/** An argument over every row: missing values (NaN), ±∞, the range and sum of the rest, distinct values. */
export interface ArgSummary {
  /** rows */
  n: number;
  /** rows where x is missing, and the first one (1-based) where the engine knows the row order */
  missing: number;
  firstMissing?: number;
  /** rows where x is ±∞, and the first one's value (and row where known) */
  infinite: number;
  firstInfinite?: { value: number; row?: number };
  /** min and max of the non-missing x (±∞ included) */
  min: number;
  max: number;
  /** Σ x over the finite x */
  sum: number;
  /** distinct non-missing values, counted up to `cap` (at least cap + 1 where there are more) */
  distinct: number;
}

/** The coefficients of the lower degrees known, for the scan of degree j: P_j's recurrence. */
export interface PolyStep {
  j: number;
  /** x̄ (memory's corrected mean) */
  xbar: number;
  /** α_1..α_j */
  alpha: number[];
  /** norm2_1..norm2_{j} (R's layout: 1, n, ‖P_1‖², …) */
  norm2: number[];
}

/** What the pre-pass asks of an engine's scans (each a pass over every row of the input). */
export interface BasisScan {
  /** per call: its argument's summary; `caps[k]`: how many distinct values to count up to */
  summary(calls: BasisCall[], caps: number[]): Promise<ArgSummary[]>;
  /** per call: Σ (x − c_k) over its rows */
  centred(calls: BasisCall[], c: number[]): Promise<number[]>;
  /** per call: Σ P_j(x)² and Σ (x − x̄) P_j(x)² with P_j by the recurrence of `steps[k]` */
  polySums(calls: BasisCall[], steps: PolyStep[]): Promise<{ ss: number; sxs: number }[]>;
  /** the quantile scans of a call's non-missing x inside [lo, hi] */
  quantiles(call: BasisCall, lo: number, hi: number): QuantileScan;
}

/** The scans the pre-pass made. */
export interface BasisPassResult {
  scans: number;
}

/**
 * Computes every call's coefficients (poly's α and norm2; ns/bs's knots) into `scales`, with the
 * in-memory frame's errors for a missing or infinite x of poly, a degree not below the number of
 * distinct values, a variable with no values, knots outside the boundary knots.
 */
export async function basisCoefficients(calls: BasisCall[], scan: BasisScan, scales: ScaleParams): Promise<BasisPassResult> {
  const todo = calls.filter((c) => !(c.fn === 'poly' && c.args.raw));
  for (const c of calls) if (c.fn === 'poly' && c.args.raw) scales.set(c.key, { fn: 'poly', coefs: null });
  if (todo.length === 0) return { scans: 0 };
  let scans = 1;
  const caps = todo.map((c) => (c.fn === 'poly' ? c.args.degree : 0));
  const sums = await scan.summary(todo, caps);
  const polys: { call: BasisCall; s: ArgSummary; xbar: number; alpha: number[]; norm2: number[] }[] = [];
  for (const [k, c] of todo.entries()) {
    const s = sums[k];
    if (c.fn !== 'poly') continue;
    if (s.missing > 0) {
      throw new DataError(`'${c.label}': the variable has ${s.missing} missing value${s.missing > 1 ? 's' : ''}${s.firstMissing ? ` (the first in row ${s.firstMissing})` : ''}; R's poly() allows none (missing values are not allowed in 'poly'): R evaluates it on every row before dropping incomplete ones, so remove those rows from the data first`, s.firstMissing ? { row: s.firstMissing } : {});
    }
    if (s.infinite > 0) {
      const f = s.firstInfinite!;
      throw new DataError(`'${c.label}': the variable is infinite (${f.value})${f.row ? ` in row ${f.row}` : ` in ${s.infinite} row${s.infinite > 1 ? 's' : ''}`}`, f.row ? { row: f.row } : {});
    }
    if (c.args.degree >= s.distinct) {
      throw new DataError(`'${c.label}': the degree (${c.args.degree}) must be less than the number of unique points (${s.distinct}) (R: 'degree' must be less than number of unique points)`);
    }
    polys.push({ call: c, s, xbar: s.sum / s.n, alpha: [], norm2: [1, s.n] });
  }
  if (polys.length > 0) {
    // x̄ = Σx/n, corrected by the residuals' mean Σ(x − x̄)/n (memory's two-pass mean); α_1 = x̄
    const r = await scan.centred(polys.map((p) => p.call), polys.map((p) => p.xbar));
    scans++;
    polys.forEach((p, k) => { p.xbar += r[k] / p.s.n; p.alpha.push(p.xbar); });
    // degree j: norm2_{j+1} = Σ P_j², α_{j+1} = Σ (x − x̄) P_j² / norm2_{j+1} + x̄
    const maxDegree = Math.max(...polys.map((p) => p.call.args.degree));
    for (let j = 1; j <= maxDegree; j++) {
      const at = polys.filter((p) => p.call.args.degree >= j);
      const res = await scan.polySums(at.map((p) => p.call), at.map((p) => ({ j, xbar: p.xbar, alpha: p.alpha.slice(), norm2: p.norm2.slice() })));
      scans++;
      at.forEach((p, k) => {
        const { ss, sxs } = res[k];
        if (!(ss > 0)) throw new DataError(`'${p.call.label}': the degree (${p.call.args.degree}) must be less than the number of unique points (R: 'degree' must be less than number of unique points)`);
        p.norm2.push(ss);
        if (j < p.call.args.degree) p.alpha.push(sxs / ss + p.xbar);
      });
    }
    for (const p of polys) {
      const coefs: PolyCoefs = { degree: p.call.args.degree, alpha: p.alpha, norm2: p.norm2 };
      scales.set(p.call.key, { fn: 'poly', coefs });
    }
  }
  for (const [k, c] of todo.entries()) {
    if (c.fn === 'poly') continue;
    const s = sums[k];
    if (s.n - s.missing === 0) throw new DataError(`'${c.label}': the variable has no values`);
    const plan = splineKnotPlan(c.fn, c.args, s.min, s.max, c.label);
    let inner: number[] = [];
    if (plan.probs.length > 0) {
      const q = await exactQuantiles(scan.quantiles(c, plan.boundary[0], plan.boundary[1]), plan.probs);
      scans += q.scans;
      inner = q.quantiles;
    }
    scales.set(c.key, { fn: c.fn, coefs: splineKnotsAt(plan, inner, c.label) });
  }
  return { scans };
}
