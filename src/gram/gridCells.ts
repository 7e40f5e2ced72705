/**
 * What emmeans's reference grid (src/inference/referenceGrid.ts) reads of the rows, from an engine's
 * first pass (./moments.ts's CellTable) instead: per covariate of the fixed part (`z` of `log(z)`,
 * frame/covariates.ts) its mean, min and max over the rows used and whether it takes exactly two
 * values, and the rows used per cell (the grid's weights and its nesting check count them).
 *
 * Per cell c the pass gives n_c and, per covariate, Σv, min and max. Then
 *   mean = Σ_c Σv / N,   min = min_c min_c,   max = max_c max_c;
 * the covariate takes at most two values iff every cell's values are its min or max and the union U
 * of the cells' {min, max} has at most two values (then the values are U). A stream knows per cell
 * whether it has a third value (exact, merged across parts); an SQL engine does not (a GROUP BY cannot
 * compare a row with its group's min), so where U has two values {a, b} the second pass (its first
 * per-level query, which scans the used rows anyway) counts the used rows with v ∉ {a, b}
 * (`thirdValues`, ./sql/generate.ts thirdValueCounts): no extra scan.
 * With values a < b, a cell's rows at b are (Σv − n·a)/(b − a): exact for a two-valued variable
 * (rounded to the integer, as Σv is a float64 sum).
 */
import type { CellCounts, CovariateSummary } from '../frame/covariates.js';
import type { CellTable, FrameSummary, MomentPlan } from './moments.js';

/** The used (complete) cells of a cell table. */
const okCells = (cells: CellTable): number[] => {
  const out: number[] = [];
  for (let c = 0; c < cells.n.length; c++) if (cells.ok[c]) out.push(c);
  return out;
};

/** Neumaier's compensated sum of some entries. */
function sumAt(vals: Float64Array, at: number[]): number {
  let s = 0, comp = 0;
  for (const c of at) {
    const v = vals[c];
    const t = s + v;
    comp += Math.abs(s) >= Math.abs(v) ? (s - t) + v : (v - t) + s;
    s = t;
  }
  return s + comp;
}

/** The distinct values of the used cells' minima and maxima, in increasing order (stops past 3). */
function cellExtremes(cells: CellTable, k: number, at: number[]): number[] {
  const x = cells.covariates![k];
  const seen = new Set<number>();
  for (const c of at) {
    seen.add(x.min[c]);
    seen.add(x.max[c]);
    if (seen.size > 2) break;
  }
  return [...seen].sort((a, b) => a - b);
}

/**
 * The covariates whose two-valuedness the cells leave open (SQL engines: no per-cell third-value
 * flag, and the cells' extremes take exactly two values a < b): their one count over the rows decides.
 */
export function twoValueCandidates(plan: MomentPlan, cells: CellTable): { name: string; a: number; b: number }[] {
  if (!cells.covariates) return [];
  const at = okCells(cells);
  const out: { name: string; a: number; b: number }[] = [];
  plan.covariates.forEach((name, k) => {
    if (cells.covariates![k].many) return;
    const u = cellExtremes(cells, k, at);
    if (u.length === 2) out.push({ name, a: u[0], b: u[1] });
  });
  return out;
}

/**
 * The covariates' summaries and the cell counts of the rows used. `thirdValues`: per candidate of
 * twoValueCandidates, the number of used rows whose value is neither of the two (SQL engines).
 */
export function gridCells(plan: MomentPlan, cells: CellTable, summary: FrameSummary, thirdValues: ReadonlyMap<string, number> = new Map()): { covariates: Map<string, CovariateSummary>; cellCounts: CellCounts } {
  const at = okCells(cells);
  const N = summary.n;
  const covariates = new Map<string, CovariateSummary>();
  const upper = new Map<string, Float64Array>();
  plan.covariates.forEach((name, k) => {
    const x = cells.covariates![k];
    // mean = Σ_c Σv / N; min and max over the cells
    const mean = sumAt(x.sum, at) / N;
    let min = Infinity, max = -Infinity;
    for (const c of at) { min = Math.min(min, x.min[c]); max = Math.max(max, x.max[c]); }
    const u = cellExtremes(cells, k, at);
    let values: number[] | null = null;
    if (u.length === 1) values = u;
    else if (u.length === 2) {
      const third = x.many ? at.some((c) => x.many![c] === 1) : thirdValues.get(name);
      if (third === undefined) throw new Error(`internal: whether '${name}' takes a third value is not known`);
      if (!third) values = u;
    }
    covariates.set(name, { mean, min, max, values, codes: null });
    if (values && values.length === 2) {
      // a cell's rows at b: (Σv − n·a)/(b − a)
      const [a, b] = values;
      upper.set(name, Float64Array.from(at, (c) => Math.round((x.sum[c] - cells.n[c] * a) / (b - a))));
    }
  });
  const cellCounts: CellCounts = {
    factors: [...plan.cellFactors],
    levels: plan.cellFactors.map((f, fi) => {
      const index = summary.levels.get(f)!.index;
      return Int32Array.from(at, (c) => index.get(cells.keys[fi][c]!) ?? -1);
    }),
    n: Float64Array.from(at, (c) => cells.n[c]),
    upper,
  };
  return { covariates, cellCounts };
}
