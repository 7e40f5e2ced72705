/**
 * Checks of the model frame's values and size that stop bad input with an error naming the
 * problem, before anything large is built or fitted:
 *  - `Inf`/`-Inf` (including numbers too large for float64 such as 1e309, and `log(0)`) in a used
 *    variable: not missing values (R's na.omit keeps them; lme4 then stops with "NA/NaN/Inf in 'y'");
 *  - values whose squares overflow or underflow float64 in the sums of squares of the fit;
 *  - a constant GLMM response (lme4's checkResponse: "Response is constant");
 *  - the model matrices' size: columns past MAX_MODEL_COLUMNS, more columns than rows, or more
 *    memory than the machine has — counted from the factors' levels before any column is built.
 */
import { DataError, ModelError } from '../errors/errors.js';
import { formatBytes, MAX_MODEL_COLUMNS, memoryBudgetBytes } from '../errors/limits.js';
import { FRAME_CHUNK, rowJobs } from '../linalg/rowChunks.js';
import { type RowArrays, registerRowKernel, sharedFloat64 } from '../linalg/rowThreads.js';

/**
 * A DataError for the first `Inf` or `-Inf` in `values` among the rows kept (`ok[i] = 1`, after
 * missing values were marked); `label` names the variable. Row numbers are 1-based input rows.
 */
export function checkFinite(label: string, values: Float64Array, ok: ArrayLike<number>, what = 'variable'): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (ok[i] && (v === Infinity || v === -Infinity)) {
      let count = 0;
      for (let k = i; k < values.length; k++) if (ok[k] && (values[k] === Infinity || values[k] === -Infinity)) count++;
      throw infiniteValueError(label, what, count, { row: i + 1, value: v });
    }
  }
}

/**
 * The error for `count` infinite values of a variable in complete rows (lme4: "NA/NaN/Inf in 'y'"),
 * as every engine gives it: with the first such row (1-based input row) and its value where the
 * engine numbers rows (memory, stream), else the count alone (an SQL engine).
 */
export function infiniteValueError(label: string, what: string, count: number, first?: { row: number; value: number }): DataError {
  const where = first
    ? `is ${first.value > 0 ? 'Inf' : '-Inf'} in row ${first.row}${count > 1 ? ` (and ${count - 1} more row${count > 2 ? 's' : ''})` : ''}`
    : `is Inf or -Inf in ${count} row${count > 1 ? 's' : ''}`;
  return new DataError(
    `NA/NaN/Inf in '${label}': the ${what} '${label}' ${where}. NA and NaN are missing values (dropped, as R's na.omit), ` +
      `but an infinite value is not: it comes from the data (Inf, -Inf, or a number too large for float64 such as 1e309) ` +
      `or from the formula (log(0), 1/0); remove or fix those rows`,
    first ? { column: label, row: first.row } : { column: label },
  );
}

/** Largest magnitude the fit's sums of squares of n values hold with room to spare: n·v² ≤ 1e300. */
export function overflowLimit(n: number): number {
  return Math.sqrt(1e300 / Math.max(1, n));
}

/** Smallest nonzero largest magnitude whose squares keep full precision (v² ≥ 1e-200, far from subnormal). */
export const UNDERFLOW_LIMIT = 1e-100;

/**
 * A DataError when a variable's values are so large that the fit's sums of squares would overflow
 * float64, or (all of them) so small that their squares underflow towards subnormal numbers and
 * lose precision. Either way the numbers would be wrong, not the model: the message says to rescale.
 */
export function checkScale(label: string, values: Float64Array, rows: Int32Array | null, what = 'variable'): void {
  const n = values.length;
  // the largest magnitude and its first row: per chunk of rows (a row job), the chunks in order
  const chunks = Math.max(1, Math.ceil(n / FRAME_CHUNK));
  const arrays: RowArrays = { v: values, amParams: sharedFloat64(2), amOut: sharedFloat64(2 * chunks) };
  (arrays.amParams as Float64Array).set([n, FRAME_CHUNK]);
  rowJobs(arrays, arrays).run(ABS_MAX, chunks);
  const out = arrays.amOut as Float64Array;
  let max = 0;
  let at = 0;
  for (let c = 0; c < chunks; c++) {
    if (out[2 * c] > max) {
      max = out[2 * c];
      at = out[2 * c + 1];
    }
  }
  const row = (rows ? rows[at] : at) + 1;
  const limit = overflowLimit(n);
  if (max > limit) {
    throw new DataError(
      `the ${what} '${label}' reaches ${values[at].toExponential(3)} (row ${row}): the fit's sums of squares and products of ${n} such values ` +
        `overflow float64 (above 1.8e+308; the largest magnitude that stays well within range here is ${limit.toExponential(1)}). This is an overflow, not a property of the model: ` +
        `rescale '${label}' (e.g. divide it by 1e${Math.ceil(Math.log10(max / limit))} or more)`,
      { column: label, row },
    );
  }
  if (max > 0 && max < UNDERFLOW_LIMIT) {
    throw new DataError(
      `the ${what} '${label}' is at most ${max.toExponential(3)} in magnitude (row ${row}): the fit's sums of squares and products of such values ` +
        `reach float64's underflow range (below 2.2e-308, where digits are lost; values up to ${UNDERFLOW_LIMIT.toExponential(0)} are refused). This is an underflow, not a property of the model: ` +
        `rescale '${label}' (e.g. multiply it by 1e${Math.ceil(-Math.log10(max))})`,
      { column: label, row },
    );
  }
}

/** Chunk c of checkScale's pass: the chunk's largest |v_i| and its first row into amOut[2c], amOut[2c + 1] (0, 0 when all are 0). amParams = [n, rows per chunk]. */
export function absMaxChunk(A: RowArrays, c: number): void {
  const P = A.amParams as Float64Array;
  const i0 = c * P[1], i1 = Math.min(P[0], i0 + P[1]);
  const v = A.v as Float64Array;
  let max = 0;
  let at = 0;
  for (let i = i0; i < i1; i++) {
    const a = Math.abs(v[i]);
    if (a > max) {
      max = a;
      at = i;
    }
  }
  const out = A.amOut as Float64Array;
  out[2 * c] = max;
  out[2 * c + 1] = at;
}

const ABS_MAX = registerRowKernel('absMax', absMaxChunk);

/** lme4's check.response.not.const for GLMMs: a ModelError when every y is the same. */
export function checkResponseNotConstant(label: string, y: Float64Array, family: string): void {
  if (y.length === 0) return;
  const y0 = y[0];
  for (let i = 1; i < y.length; i++) if (y[i] !== y0) return;
  throw new ModelError(
    `Response is constant: the response '${label}' is ${y0} in all ${y.length} rows used, so a ${family} model has nothing to estimate ` +
      `(its intercept would run off towards ±Inf); lme4 stops with the same error`,
  );
}

/**
 * Refuses a model matrix (the fixed effects, or the left-hand side of one random-effects term,
 * `what`) with `columns` columns of `n` rows before it is built: past MAX_MODEL_COLUMNS, or more
 * memory than the machine has. `perTerm` lists the largest terms' column counts for the message.
 */
export function checkModelMatrixSize(what: string, columns: number, n: number, perTerm: { label: string; columns: number }[]): void {
  const largest = [...perTerm].sort((a, b) => b.columns - a.columns).slice(0, 3)
    .filter((t) => t.columns > 1).map((t) => `'${t.label}': ${t.columns.toLocaleString('en-US')}`).join(', ');
  const detail = largest ? ` (largest terms: ${largest})` : '';
  if (columns > MAX_MODEL_COLUMNS) {
    throw new ModelError(
      `the ${what} model matrix would have ${columns.toLocaleString('en-US')} columns${detail}, more than the limit of ` +
        `${MAX_MODEL_COLUMNS.toLocaleString('en-US')} (MAX_MODEL_COLUMNS); a factor with that many levels belongs in a random-effects term such as (1 | g)`,
    );
  }
  // the columns are built, copied for the rank check and the centred transform: about 4 copies
  const bytes = 4 * 8 * columns * n;
  const budget = memoryBudgetBytes();
  if (bytes > budget) {
    throw new ModelError(
      `the ${what} model matrix would have ${n.toLocaleString('en-US')} rows × ${columns.toLocaleString('en-US')} columns${detail}: ` +
        `about ${formatBytes(bytes)} while it is built, more than this machine's ${formatBytes(budget)} of memory`,
    );
  }
}
