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

/** The functions' names, for error messages. */
export function formulaFunctionNames(): string {
  return [...FORMULA_FUNCTIONS.keys()].join(', ');
}
