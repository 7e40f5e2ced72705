/**
 * nlme's denominator degrees of freedom of the fixed effects (getFixDF; for one level of grouping with
 * M groups and N rows the strata are the groups, M df, and the residual, N − M df).
 */
const TOL = Math.sqrt(2.220446049250313e-16);

/** R's const() of getFixDF: every value equal to the first (relatively, within √ε). */
function isConstant(x: ArrayLike<number>, idx: Iterable<number>): boolean {
  let first: number | null = null;
  for (const i of idx) {
    if (first === null) { first = x[i]; continue; }
    const d = first === 0 ? Math.abs(x[i]) : Math.abs(x[i] / first - 1);
    if (!(d < TOL)) return false;
  }
  return true;
}

/**
 * nlme's getFixDF for Q nested levels (outermost first, level k with M_k groups): the strata are the
 * levels and the residual, with M_1, M_2 − M_1, …, M_Q − M_{Q−1} and N − M_Q df. A column's stratum is
 * the one below the innermost level within whose groups it varies (the first level's if it varies in
 * none, the residual's if it varies within the innermost groups); each stratum loses its columns, the
 * first also the intercept (without one, every stratum but the first gains 1); a column gets its
 * stratum's df, the intercept the largest.
 */
export function fixedEffectsDFLevels(X: Float64Array, n: number, p: number, levels: { codes: Int32Array; M: number }[]): number[] {
  return fixedEffectsDFTerms(X, n, p, levels, null).X;
}

/**
 * nlme's getFixDF with its terms (fixDF$terms, the denominator DF of anova(fit)'s F tests): as
 * fixedEffectsDFLevels for the columns; a term's stratum is the innermost of its columns' strata, each
 * stratum loses the columns of its terms (the first also the intercept's term; without one, every
 * stratum but the first gains 1), a term gets its stratum's df, the intercept's term the largest.
 * `assign`: each term's columns of X (null: the columns only).
 */
export function fixedEffectsDFTerms(X: Float64Array, n: number, p: number, levels: { codes: Int32Array; M: number }[], assign: number[][] | null): { X: number[]; terms: number[] } {
  const Q = levels.length;
  const byGroup = levels.map(({ codes, M }) => {
    const out: number[][] = Array.from({ length: M }, () => []);
    for (let i = 0; i < n; i++) out[codes[i]].push(i);
    return out;
  });
  const all = Array.from({ length: n }, (_, i) => i);
  // dfX = (M_1, M_2 − M_1, …, N − M_Q)
  const Ms = [...levels.map((l) => l.M), n];
  const strata = Ms.map((m, k) => m - (k === 0 ? 0 : Ms[k - 1]));
  const df = [...strata];
  const stratum: number[] = []; // −1: the intercept (constant column)
  for (let j = 0; j < p; j++) {
    const col = X.subarray(j * n, (j + 1) * n);
    if (isConstant(col, all)) { stratum.push(-1); continue; }
    let s = 0;
    for (let k = 0; k < Q; k++) if (byGroup[k].some((rows) => rows.length > 0 && !isConstant(col, rows))) s = k + 1;
    stratum.push(s);
  }
  for (const s of stratum) if (s >= 0) df[s]--;
  if (stratum.includes(-1)) df[0]--;
  else for (let k = 1; k <= Q; k++) df[k]++;
  const max = Math.max(...df);
  const valX = stratum.map((s) => (s < 0 ? max : df[s]));
  if (!assign) return { X: valX, terms: [] };
  // the terms: a term with a non-constant column lies in the innermost stratum of its columns (a
  // constant column's is the first), and its stratum loses all its columns
  const notInt = assign.map((cols) => cols.some((j) => stratum[j] >= 0));
  const stratT = assign.map((cols) => Math.max(0, ...cols.map((j) => stratum[j])));
  const dfT = [...strata];
  assign.forEach((cols, t) => { if (notInt[t]) dfT[stratT[t]] -= cols.length; });
  if (!notInt.every(Boolean)) dfT[0]--;
  else for (let k = 1; k <= Q; k++) dfT[k]++;
  const maxT = Math.max(...dfT);
  return { X: valX, terms: assign.map((_, t) => (notInt[t] ? dfT[stratT[t]] : maxT)) };
}

/** One level: X n × p column-major, codes: each row's group (0 … M − 1). Returns the df of each column. */
export function fixedEffectsDF(X: Float64Array, n: number, p: number, codes: Int32Array, M: number): number[] {
  return fixedEffectsDFLevels(X, n, p, [{ codes, M }]);
}
