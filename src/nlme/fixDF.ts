/**
 * nlme's denominator degrees of freedom of the fixed effects (getFixDF) for one level of grouping with
 * M groups and N rows: the strata are the groups (M df) and the residual (N − M df). A column that is
 * constant within every group is a between-groups column, one that varies within some group a
 * within-groups column; each stratum loses its columns, the groups' stratum also the intercept
 * (without one, the residual stratum gains 1); a column gets its stratum's df, the intercept the largest.
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

/** X n × p column-major, codes: each row's group (0 … M − 1). Returns the df of each column. */
export function fixedEffectsDF(X: Float64Array, n: number, p: number, codes: Int32Array, M: number): number[] {
  const byGroup: number[][] = Array.from({ length: M }, () => []);
  for (let i = 0; i < n; i++) byGroup[codes[i]].push(i);
  const all = Array.from({ length: n }, (_, i) => i);
  const dfGroups = { between: M, within: n - M };
  const stratum: ('int' | 'between' | 'within')[] = [];
  for (let j = 0; j < p; j++) {
    const col = X.subarray(j * n, (j + 1) * n);
    if (isConstant(col, all)) { stratum.push('int'); continue; }
    const within = byGroup.some((rows) => !isConstant(col, rows));
    stratum.push(within ? 'within' : 'between');
  }
  for (const s of stratum) if (s !== 'int') dfGroups[s]--;
  if (stratum.includes('int')) dfGroups.between--;
  else dfGroups.within++;
  const max = Math.max(dfGroups.between, dfGroups.within);
  return stratum.map((s) => (s === 'int' ? max : dfGroups[s]));
}
