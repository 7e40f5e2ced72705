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
export const COLUMN_FUNCTIONS: ReadonlySet<string> = new Set(['scale']);

/** Whether `name` is a function a formula may call (with one argument). */
export function isFormulaFunction(name: string): boolean {
  return FORMULA_FUNCTIONS.has(name) || COLUMN_FUNCTIONS.has(name);
}

/** The functions' names, for error messages. */
export function formulaFunctionNames(): string {
  return [...FORMULA_FUNCTIONS.keys(), ...COLUMN_FUNCTIONS].join(', ');
}
