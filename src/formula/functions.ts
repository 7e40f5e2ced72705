/**
 * The functions a formula may apply to numeric columns (`log(x)`, `I(x^2)`), by R's names. A `Map`
 * (no prototype): a name such as `constructor` or `hasOwnProperty` is unknown, as any other.
 * `offset()` (a term) and `cbind()` (a binomial response) are syntax, handled by the parser.
 */
export const FORMULA_FUNCTIONS: ReadonlyMap<string, (x: number) => number> = new Map<string, (x: number) => number>([
  ['log', Math.log],
  ['exp', Math.exp],
  ['sqrt', Math.sqrt],
  ['abs', Math.abs],
  ['log10', Math.log10],
  ['log2', Math.log2],
  ['log1p', Math.log1p],
  ['expm1', Math.expm1],
  ['sin', Math.sin],
  ['cos', Math.cos],
  ['tan', Math.tan],
  ['I', (x) => x],
]);

/**
 * Functions of a whole column rather than of each value: `scale(x)` is (x − mean)/sd over the data's
 * rows (frame/columns.ts evaluates it and keeps its centre and scale for new data).
 */
export const COLUMN_FUNCTIONS: ReadonlySet<string> = new Set(['scale', 'mean', 'sd', 'var', 'median', 'min', 'max', 'sum', 'length']);

/**
 * R's summaries of a whole column inside an expression (`I(x - mean(x))`, `log(x2 - min(x2) + 1)`),
 * with their formal arguments in R's order: one number, evaluated over every row of the data before
 * na.omit (R's model.frame), then broadcast (src/frame/reductions.ts). `na.rm = TRUE` skips missing
 * values; without it a missing value makes the summary NA (length() takes no na.rm: it counts them).
 */
export const REDUCTIONS: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ['mean', ['x', 'na.rm']],
  ['sd', ['x', 'na.rm']],
  ['var', ['x', 'na.rm']],
  ['median', ['x', 'na.rm']],
  ['min', ['x', 'na.rm']],
  ['max', ['x', 'na.rm']],
  ['sum', ['x', 'na.rm']],
  ['length', ['x']],
]);

/**
 * R's row-wise functions of several arguments or of a factor, by their formal arguments in R's order
 * (src/frame/rowFunctions.ts evaluates them; the engines too, row by row): `round(x, digits = 0)`
 * (R's half-to-even rounding at the decimal), `floor`, `ceiling`, `trunc`, `sign`, `pmin(x, y)`,
 * `pmax(x, y)`, `ifelse(test, yes, no)`, `as.numeric(x)` (a factor's codes 1..K), `log(x, base)`.
 * `log` and `exp` of one argument are also in FORMULA_FUNCTIONS. `digits` and `base` are numbers
 * written out; pmin/pmax take two or more arguments. lme4's `dummy(f, "b")`: the indicator of one
 * level of a factor column, a number per row (1, 0; NA where f is), for `(0 + dummy(f, "b") | g)`.
 */
export const ROW_FUNCTIONS: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ['round', ['x', 'digits']],
  ['floor', ['x']],
  ['ceiling', ['x']],
  ['trunc', ['x']],
  ['sign', ['x']],
  ['pmin', ['...']],
  ['pmax', ['...']],
  ['ifelse', ['test', 'yes', 'no']],
  ['as.numeric', ['x']],
  ['log', ['x', 'base']],
  ['dummy', ['f', 'levelsToKeep']],
]);

/**
 * R's functions that build a factor from others, whole variables of a term (src/frame/factorBuilders.ts):
 * `interaction(f, h, drop =, sep =)` (levels with the first factor varying fastest, `a.hi`), and
 * `C(f, contr.sum)` (the factor with its contrasts: contr.treatment, contr.sum, contr.helmert,
 * contr.poly, contr.SAS, by name), `cut(x, breaks, include.lowest =, right =, dig.lab =)` (R's
 * intervals "(a,b]" of a numeric x). Evaluated with the rows in memory only.
 */
export const FACTOR_BUILDERS: ReadonlySet<string> = new Set(['interaction', 'C', 'cut']);

/** `factor(x)`, `as.factor(x)`: a variable read as a factor (its levels the distinct values, sorted). */
export const FACTOR_FUNCTIONS: ReadonlySet<string> = new Set(['factor', 'as.factor']);

/**
 * R's `relevel(f, ref = "ctl")`: the factor f with the level ref moved first (the reference level of
 * treatment contrasts); f a factor column, `factor(x)` or another relevel (frame/columns.ts).
 */
export const RELEVEL = 'relevel';

/** glmmTMB's `numFactor(x, y, …)`: a factor of the coordinates' tuples, levels `(x,y)` (frame/columns.ts). */
export const NUM_FACTOR = 'numFactor';

/**
 * Matrix-valued functions of a column (src/frame/basis/): each gives several model-matrix columns,
 * as one term. Their formal arguments in R's order (R's `args(poly)`, `args(splines::ns)`,
 * `args(splines::bs)`), for the matching of a call's arguments (src/formula/parse.ts).
 */
export const BASIS_FUNCTIONS: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ['poly', ['x', '...', 'degree', 'coefs', 'raw', 'simple']],
  ['ns', ['x', 'df', 'knots', 'intercept', 'Boundary.knots']],
  ['bs', ['x', 'df', 'knots', 'degree', 'intercept', 'Boundary.knots', 'warn.outside']],
]);

/** Whether `name` is a function a formula may call. */
export function isFormulaFunction(name: string): boolean {
  return FORMULA_FUNCTIONS.has(name) || COLUMN_FUNCTIONS.has(name) || ROW_FUNCTIONS.has(name) || FACTOR_BUILDERS.has(name) || FACTOR_FUNCTIONS.has(name) || name === RELEVEL || name === NUM_FACTOR || BASIS_FUNCTIONS.has(name);
}

/** The functions' names, for error messages. */
export function formulaFunctionNames(): string {
  return [...new Set([...FORMULA_FUNCTIONS.keys(), ...ROW_FUNCTIONS.keys()])].join(', ') + ', ' + [...COLUMN_FUNCTIONS, ...FACTOR_FUNCTIONS, ...FACTOR_BUILDERS, RELEVEL, NUM_FACTOR, ...BASIS_FUNCTIONS.keys()].join(', ');
}
