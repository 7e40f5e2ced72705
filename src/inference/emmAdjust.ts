/**
 * emmeans's multiplicity adjustments (emmeans:::.adj.p.value and .adj.critval) of two-sided t (or
 * z, df = ∞) tests and intervals within a family: m estimates or contrasts in each `by` group, of a
 * family of k means (famSize), with these rules:
 *   p-values, for |t| with ν df and the unadjusted p = 2 P(T_ν > |t|):
 *     none        p
 *     sidak       1 − (1 − p)^m
 *     tukey       P(Q_{k,ν} > √2 |t|)                 (the studentized range; pairwise comparisons only;
 *                 ν as emmeans passes it, through R's zapsmall)
 *     scheffe     P(F_{r,ν} > t²/r), r the rank of the family's linear functions
 *     dunnettx    1 − [w P(Q_{k',ν} ≤ √2 |t|) + (1 − w) P(F_{1,ν} ≤ t²)^m],  k' = (1 + √(1 + 8m))/2,
 *                 w = (m − 1)/m (emmeans's approximation of Dunnett's many-to-one test)
 *     bonferroni, holm, hochberg, hommel, BH (fdr), BY: R's p.adjust within each `by` group
 *   critical values c (the interval estimate ± c SE), at confidence level 1 − α:
 *     none        t_{ν, 1−α/2}
 *     sidak       t_{ν, 1−(1−(1−α)^{1/m})/2}
 *     bonferroni  t_{ν, 1−α/(2m)} (also for holm, hochberg, hommel, BH, BY: emmeans's rule)
 *     tukey       q_{k,ν}(1 − α)/√2
 *     scheffe     √(r F_{r,ν}(1 − α))
 *     dunnettx    the root of dunnettx's probability = 1 − α between the Tukey and Šidák values,
 *                 found by R's uniroot (Brent's zeroin, tolerance 5e-4) as emmeans finds it
 *     mvt         c with P(|T_i| ≤ c, i = 1…m) = 1 − α for T the group's estimates' multivariate t
 *                 (correlation cov2cor(L V Lᵀ)), one per by group at its first df where every df is
 *                 equal, else one per estimate (emmeans's .my.qmvt; src/stats/mvt.ts)
 * and for mvt's p-values 1 − P(|T_i| ≤ |t|, i = 1…m) with the row's df (emmeans's .my.pmvt). mvt's df
 * are emmeans's .fix.df's: at least 1, rounded (⌊ν + 0.25⌋), and the normal (ν = 0) for ν = ∞ or
 * above 9,999. mvtnorm integrates with random lattice points to an error of ~1e-3 (its default
 * abseps), so emmeans's mvt results vary by that much between runs; ours are integrated to 1e-4.
 * With one contrast per family the adjustment is none (scheffe excepted); tukey is for one set of
 * pairwise comparisons, and becomes sidak otherwise, with emmeans's note.
 */
import { OptionError } from '../errors/errors.js';
import { P_ADJUST_METHODS, type PAdjustMethod, pAdjust } from '../stats/pAdjust.js';
import { pchisqUpper, pfUpper, pvalueT, qt } from '../stats/distributions.js';
import { ptukey, qtukey } from '../stats/tukey.js';
import { qf } from './distributions.js';
import { pmvt, qmvtBoth } from '../stats/mvt.js';
import { zeroin } from '../optim/zeroin.js';
import { zapsmall } from '../results/rFormat.js';

export { zeroin };

export const ADJUST_METHODS = ['none', 'tukey', 'sidak', 'scheffe', 'dunnettx', 'mvt', 'bonferroni', 'holm', 'hochberg', 'hommel', 'BH', 'BY', 'fdr'] as const;
export type AdjustMethod = (typeof ADJUST_METHODS)[number];

export function checkAdjust(adjust: unknown): AdjustMethod {
  const s = typeof adjust === 'string' ? (adjust.toLowerCase() === 'bh' ? 'BH' : adjust.toLowerCase() === 'by' ? 'BY' : adjust.toLowerCase()) : adjust;
  if (!(ADJUST_METHODS as readonly unknown[]).includes(s)) throw new OptionError('adjust', `adjust must be one of ${ADJUST_METHODS.join(', ')}, not ${JSON.stringify(adjust)}`);
  return s as AdjustMethod;
}

/** A family of tests: k means, m estimates per `by` group, whether they are one set of pairwise comparisons. */
export interface Family {
  famSize: number;
  /** the estimates of each `by` group, as indices into the rows */
  byRows: number[][];
  pairs: boolean;
  /** with scheffe: the rank of each `by` group's linear functions */
  schefferRank?: number[];
  /** with mvt: the correlation matrix (row-major) of the estimates `rows` (cov2cor of their covariance) */
  corr?: (rows: number[]) => Float64Array;
}

/** emmeans's .fix.df for mvtnorm: at least 1, ⌊ν + 0.25⌋, and 0 (the normal) for ν = ∞ or above 9,999 */
export function mvtDf(df: number): number {
  let d = df;
  if (d > 0) d = Math.max(1, d);
  if (!Number.isFinite(d) || d > 9999) d = 0;
  return Math.floor(d + 0.25);
}

const isPAdjust = (a: AdjustMethod): a is PAdjustMethod => (P_ADJUST_METHODS as readonly string[]).includes(a);

/** The method emmeans applies, with its notes (one contrast: none; tukey outside pairwise comparisons: sidak). */
function effective(adjust: AdjustMethod, fam: Family, notes: string[]): AdjustMethod {
  const m = Math.max(...fam.byRows.map((r) => r.length));
  if (m === 1 && adjust !== 'scheffe') return 'none';
  if (adjust === 'tukey' && !fam.pairs) {
    notes.push('Note: adjust = "tukey" was changed to "sidak" because "tukey" is only appropriate for one set of pairwise comparisons');
    return 'sidak';
  }
  return adjust;
}

/** emmeans's line about the adjustment ("P value adjustment: tukey method for comparing a family of 3 estimates"). */
function adjustLine(what: string, adjust: AdjustMethod, fam: Family, m: number, unit: string): string | null {
  const chk = adjust === 'none' ? 1 : adjust === 'tukey' ? 2 : adjust === 'scheffe' ? 3 : 99;
  if (chk === 1 || (fam.famSize < 3 && chk < 10)) return null;
  const rank = fam.schefferRank && new Set(fam.schefferRank).size > 1 ? '(varies)' : String(fam.schefferRank?.[0]);
  const extra = adjust === 'tukey' ? `for comparing a family of ${fam.famSize} estimates` : adjust === 'scheffe' ? `with rank ${rank}` : `for ${m} ${unit}`;
  return `${what}: ${adjust} method ${extra}`;
}

/** The adjusted two-sided p-values of t statistics `t` with `df` (∞: z tests). */
export function adjustPValues(t: number[], df: number[], adjust: AdjustMethod, fam: Family): { p: number[]; adjust: AdjustMethod; notes: string[]; line: string | null } {
  const notes: string[] = [];
  const method = effective(adjust, fam, notes);
  const raw = t.map((x, i) => pvalueT(x, df[i]));
  // emmeans takes Tukey's df through zapsmall after setting a missing df to ∞ (so a family with a
  // non-estimable contrast has its df rounded to whole numbers), over all the rows (emmeans's by.rows
  // for tukey); R 4.2's zapsmall, the oracle's (src/results/rFormat.ts)
  const dfTukey = zapsmall(df.map((v) => (Number.isNaN(v) ? Infinity : v)), 7);
  const p = new Array<number>(t.length).fill(NaN);
  let mLast = 0;
  fam.byRows.forEach((rows, g) => {
    const m = rows.length;
    mLast = m;
    if (isPAdjust(method)) {
      const ok = rows.filter((r) => !Number.isNaN(raw[r]));
      const adj = pAdjust(ok.map((r) => raw[r]), method, m);
      ok.forEach((r, i) => { p[r] = adj[i]; });
      return;
    }
    rows.forEach((r) => {
      const at = Math.abs(t[r]), nu = df[r];
      switch (method) {
        case 'sidak': p[r] = 1 - Math.pow(1 - raw[r], m); break;
        case 'tukey': p[r] = ptukey(Math.SQRT2 * at, fam.famSize, dfTukey[r], false); break;
        case 'scheffe': { const rk = fam.schefferRank![g]; p[r] = fUpper((t[r] * t[r]) / rk, rk, nu); break; }
        case 'dunnettx': p[r] = 1 - dunnettxProbability(at, m, nu); break;
        case 'mvt': p[r] = Number.isNaN(at) ? NaN : 1 - pmvt(new Array(m).fill(-at), new Array(m).fill(at), fam.corr!(rows), mvtDf(nu)).value; break;
      }
    });
  });
  return { p, adjust: method, notes, line: adjustLine('P value adjustment', method, fam, mLast, 'tests') };
}

/** The critical values of the intervals at `level` (two-sided). */
export function criticalValues(level: number, df: number[], adjust: AdjustMethod, fam: Family): { cv: number[]; adjust: AdjustMethod; notes: string[]; line: string | null } {
  const notes: string[] = [];
  let method = effective(adjust, fam, notes);
  // the p.adjust methods' intervals are Bonferroni's
  if (isPAdjust(method) && method !== 'bonferroni' && method !== 'none') method = 'bonferroni';
  const cv = new Array<number>(df.length).fill(NaN);
  let mLast = 0;
  // mvt: one quantile per by group (at its first row's df) where every df is equal, else one per row
  const equalDf = df.every((v) => v === df[0] || (Number.isNaN(v) && Number.isNaN(df[0])));
  fam.byRows.forEach((rows, g) => {
    const m = rows.length;
    mLast = m;
    const mvtGroup = method === 'mvt' && equalDf && m > 0 ? qmvtBoth(level, fam.corr!(rows), mvtDf(df[rows[0]])) : NaN;
    for (const r of rows) {
      const nu = df[r];
      switch (method) {
        case 'none': cv[r] = -qt((1 - level) / 2, nu); break;
        case 'sidak': cv[r] = -qt((1 - Math.pow(level, 1 / m)) / 2, nu); break;
        case 'bonferroni': cv[r] = -qt((1 - level) / m / 2, nu); break;
        case 'tukey': cv[r] = qtukey(level, fam.famSize, nu) / Math.SQRT2; break;
        case 'scheffe': { const rk = fam.schefferRank![g]; cv[r] = Math.sqrt(rk * qf(level, rk, nu)); break; }
        case 'dunnettx': cv[r] = dunnettxQuantile(level, m, nu); break;
        case 'mvt': cv[r] = equalDf ? mvtGroup : qmvtBoth(level, fam.corr!(rows), mvtDf(nu)); break;
      }
    }
  });
  return { cv, adjust: method, notes, line: adjustLine('Conf-level adjustment', method, fam, mLast, 'estimates') };
}

/** P(F_{d1,d2} > f), with d2 = ∞ as χ²_{d1}/d1. */
function fUpper(f: number, d1: number, d2: number): number {
  if (Number.isNaN(f)) return NaN;
  return d2 === Infinity ? pchisqUpper(f * d1, d1) : pfUpper(f, d1, d2);
}

/**
 * emmeans's approximation of the many-to-one (Dunnett) probability of m comparisons (.pdunnx):
 * w P(Q_{k',ν} ≤ √2 x) + (1 − w) P(F_{1,ν} ≤ x²)^m, k' = (1 + √(1 + 8m))/2, w = (m − 1)/m.
 */
export function dunnettxProbability(x: number, m: number, df: number): number {
  if (Number.isNaN(x)) return NaN;
  const w = (m - 1) / m;
  const tukey = ptukey(Math.SQRT2 * x, (1 + Math.sqrt(1 + 8 * m)) / 2, df);
  const sidak = Math.pow(1 - pvalueT(x, df), m);
  return w * tukey + (1 - w) * sidak;
}

/** emmeans's .qdunnx: the x with dunnettxProbability = p, by uniroot between the Tukey and Šidák values. */
export function dunnettxQuantile(p: number, m: number, df: number): number {
  if (m < 1.005) return qt(1 - 0.5 * (1 - p), df);
  const xtuk = qtukey(p, (1 + Math.sqrt(1 + 8 * m)) / 2, df) / Math.SQRT2;
  const xsid = Math.sqrt(qf(Math.pow(p, 1 / m), 1, df));
  if (Math.abs(xsid - xtuk) < 5e-4) return xtuk;
  // uniroot needs lower < upper and a sign change; emmeans falls back to the Tukey value otherwise
  if (!(xtuk < xsid)) return xtuk;
  const f = (x: number) => dunnettxProbability(x, m, df) - p;
  const fa = f(xtuk), fb = f(xsid);
  if (fa * fb > 0) return xtuk;
  return zeroin(xtuk, xsid, fa, fb, f, 5e-4, 1000);
}
