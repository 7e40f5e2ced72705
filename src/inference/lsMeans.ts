/**
 * lmerTest's ls_means(model, which, level, ddf, pairwise) and difflsmeans (= ls_means with pairwise):
 * each row ℓ of the least-squares means' contrast matrices (lsMeansContrasts.ts) is a contest1D of ℓ —
 * estimate ℓᵀβ̂, SE √(ℓᵀVℓ), t, Satterthwaite's or Kenward–Roger's df (contest.ts) — with lmerTest's
 * Wald interval (waldCI): ℓᵀβ̂ ∓ SE · qt((1 − level)/2, df, lower.tail = FALSE). Printed as
 * print.ls_means prints it; the hypotheses are what show_tests shows (showTests.ts). Where lme4 dropped
 * aliased columns, a row outside the row space of the full model matrix is not estimable (lmerTest's
 * is_estimable: NA, here NaN; null in JSON): tested as emmeans's estimability is (referenceGrid.ts
 * isEstimable, ‖Nᵀℓ‖² ≤ 1e-8 ‖ℓ‖²) where lmerTest takes |Σ (ℓᵀN)_k| < √ε — the same verdict but for
 * rows at the edge of those tolerances.
 */
import { ModelError, OptionError } from '../errors/errors.js';
import { qt } from '../stats/distributions.js';
import { type DdfContext, contest1D } from './contest.js';
import { printCoefmat } from './format.js';
import { formatR, roundR } from '../results/rFormat.js';
import { isEstimable } from './referenceGrid.js';
import { type LsMeansFrame, type NamedHypothesis, lsMeansContrasts, pairwiseHypothesis } from './lsMeansContrasts.js';

export interface LsMeansOptions {
  /** the factor terms whose means are wanted (default: every factor term) */
  which?: string | string[];
  /** the intervals' confidence level (default 0.95) */
  level?: number;
  /** 'satterthwaite' (default) or 'kenward-roger' */
  ddf?: string;
  /** all pairwise differences of each term's means (difflsmeans) */
  pairwise?: boolean;
}

/** one row of lmerTest's ls_means table */
export interface LsMeansRow {
  /** the row's name ("Aa1:Bb2", "Aa1 - Aa2") */
  name: string;
  /** the term it belongs to */
  term: string;
  estimate: number;
  se: number;
  df: number;
  t: number;
  lower: number;
  upper: number;
  p: number;
}

/** lmerTest's ls_means table: its rows, level, ddf method and hypotheses (show_tests), JSON-ready. */
export interface LsMeansTable {
  kind: 'ls_means';
  pairwise: boolean;
  level: number;
  ddf: 'satterthwaite' | 'kenward-roger';
  rows: LsMeansRow[];
  /** the contrast matrices, one per term (lmerTest's "hypotheses" attribute) */
  hypotheses: NamedHypothesis[];
  /** e.g. lmerTest's fallback from Kenward–Roger to Satterthwaite */
  messages: string[];
}

/** the confidence level: a number strictly between 0 and 1 (waldCI's check) */
export function checkLevel(level: unknown): number {
  if (level === undefined) return 0.95;
  if (typeof level !== 'number' || !(level > 0 && level < 1)) throw new OptionError('level', `level must be a number between 0 and 1 (exclusive), got ${String(level)}`);
  return level;
}

/** `which` as a list of term labels (a string is one term) */
export function checkWhich(which: unknown): string[] | undefined {
  if (which === undefined || which === null) return undefined;
  const list = typeof which === 'string' ? [which] : which;
  if (!Array.isArray(list) || list.some((w) => typeof w !== 'string')) throw new OptionError('which', `which must be a term label or a list of them ('A', ['A', 'A:B']), not ${JSON.stringify(which)}`);
  return list as string[];
}

/**
 * The ls_means table of a fit with p fixed effects named `xnames`, at the ddf context `ctx`
 * (Satterthwaite's parts or Kenward–Roger's, contest.ts).
 */
export function lsMeansTable(
  frame: LsMeansFrame, xnames: readonly string[], ctx: DdfContext, options: LsMeansOptions & { messages?: string[] } = {},
  nullSpace?: () => { names: string[]; nullBasis: Float64Array[] },
): LsMeansTable {
  const level = checkLevel(options.level);
  const pairwise = options.pairwise === true;
  let hypotheses = lsMeansContrasts(frame, checkWhich(options.which));
  if (pairwise) hypotheses = hypotheses.map(pairwiseHypothesis);
  // waldCI: fac = qt(α, df, lower.tail = FALSE), α = (1 − level)/2
  const alpha = (1 - level) / 2;
  const rows: LsMeansRow[] = [];
  let basis: { names: string[]; nullBasis: Float64Array[] } | undefined;
  for (const h of hypotheses) {
    // L[, coef_nm]: the fit's β columns among uX's
    const index = xnames.map((x) => h.colNames.indexOf(x));
    if (index.some((i) => i < 0)) throw new Error(`internal: a fixed-effects column is not among the grid's (${xnames.join(', ')} / ${h.colNames.join(', ')})`);
    // with aliased columns dropped (lme4's rank check): lmerTest's is_estimable, a row ℓ of the full
    // design's coordinates is estimable when it is orthogonal to the null space of the full model matrix
    let full: number[] | null = null;
    if (h.colNames.length !== xnames.length) {
      if (!nullSpace) throw new ModelError('ls_means: the fit dropped aliased columns of the fixed-effects design, and the null space of its full design was not given');
      basis ??= nullSpace();
      const b = basis;
      full = b.names.map((nm) => h.colNames.indexOf(nm));
      if (full.some((i) => i < 0) || b.names.length !== h.colNames.length) throw new Error(`internal: the full design's columns (${b.names.join(', ')}) are not the grid's (${h.colNames.join(', ')})`);
    }
    h.L.forEach((row, r) => {
      if (full && !isEstimable(basis!.nullBasis, full.map((i) => row[i]))) {
        rows.push({ name: h.rowNames[r], term: h.term, estimate: NaN, se: NaN, df: NaN, t: NaN, lower: NaN, upper: NaN, p: NaN });
        return;
      }
      const l = index.map((i) => row[i]);
      const t = contest1D(ctx, l);
      const fac = -qt(alpha, t.df);
      rows.push({ name: h.rowNames[r], term: h.term, estimate: t.estimate, se: t.se, df: t.df, t: t.t, lower: t.estimate - t.se * fac, upper: t.estimate + t.se * fac, p: t.p });
    });
  }
  return { kind: 'ls_means', pairwise, level, ddf: ctx.method, rows, hypotheses, messages: options.messages ?? [] };
}

/** lmerTest's print.ls_means: the heading, printCoefmat (digits 5, df rounded to 1 decimal), the level and the ddf method. */
export function printLsMeans(x: Pick<LsMeansTable, 'rows' | 'level' | 'ddf'>): string[] {
  const r = x.rows;
  const colNames = ['Estimate', 'Std. Error', 'df', 't value', 'lower', 'upper', 'Pr(>|t|)'];
  const lines = ['Least Squares Means table:', ''];
  if (r.length === 0) {
    // R prints a zero-row matrix's header after a row-label column of width 4 ("[0,]")
    lines.push(`     ${colNames.join(' ')}`);
  } else {
    lines.push(...printCoefmat({
      rowNames: r.map((a) => a.name),
      colNames,
      columns: [r.map((a) => a.estimate), r.map((a) => a.se), r.map((a) => roundR(a.df, 1)), r.map((a) => a.t), r.map((a) => a.lower), r.map((a) => a.upper), r.map((a) => a.p)],
    }, { digits: 5, csInd: [0, 1, 4, 5], tstInd: [3], hasPvalue: true }));
  }
  // format(100 * level, digits = 2)
  const pct = formatR([100 * x.level], 2)[0];
  lines.push('', `  Confidence level: ${pct}%`, `  Degrees of freedom method: ${x.ddf === 'satterthwaite' ? 'Satterthwaite' : 'Kenward-Roger'} `);
  return lines;
}
