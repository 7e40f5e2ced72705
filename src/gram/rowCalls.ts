/**
 * Which of R's functions of several arguments (src/formula/functions.ts ROW_FUNCTIONS, REDUCTIONS) the
 * engines (stream, DuckDB, ClickHouse) evaluate: the row-wise ones row by row (the stream through
 * src/frame/columns.ts, the SQL engines as src/gram/sql/rowSql.ts writes them); the summaries of a
 * whole column (mean(x), sd(x), …) are constants from a pass of their own (src/gram/summaryPass.ts),
 * handled before; not as.numeric() of a factor (its codes need the factor's levels, known after a pass), nor the
 * factors built from factors (interaction(), C()).
 */
import type { Expr } from '../formula/types.js';
import { FACTOR_BUILDERS, FACTOR_FUNCTIONS, REDUCTIONS, RELEVEL, ROW_FUNCTIONS } from '../formula/functions.js';
import { ModelError } from '../errors/errors.js';

/**
 * Whether `expr` is a row-wise call the engines evaluate (its arguments still to be checked as numeric
 * expressions); an error naming the function for the ones they do not; false for any other call.
 * `isFactorColumn`: whether a column is read as a factor.
 */
export function engineRowCall(expr: Extract<Expr, { type: 'call' }>, label: string, isFactorColumn: (name: string) => boolean): boolean {
  if (REDUCTIONS.has(expr.fn)) throw new Error(`internal: '${label}': ${expr.fn}() is a summary of the whole column (describeFrame's pre-pass), not a row-wise call`);
  if (FACTOR_BUILDERS.has(expr.fn)) {
    // a factor is a whole variable of a term (the parser allows these nowhere else); C() is read by describeFrame
    throw new ModelError(`'${label}': ${expr.fn}() builds a factor from the whole columns' levels; the engines (stream, DuckDB, ClickHouse) do not evaluate it: fit with --engine memory`);
  }
  if (!ROW_FUNCTIONS.has(expr.fn)) return false;
  if (expr.fn === 'as.numeric') {
    const a = expr.args[0];
    const factor = (a.type === 'var' && isFactorColumn(a.name)) || (a.type === 'call' && (FACTOR_FUNCTIONS.has(a.fn) || a.fn === RELEVEL));
    if (factor) {
      throw new ModelError(`'${label}': as.numeric() of a factor (its codes 1..K, by the levels of the whole column) is not evaluated by the engines (stream, DuckDB, ClickHouse): fit with --engine memory`);
    }
  }
  return true;
}
