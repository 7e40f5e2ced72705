/**
 * robumeta 2.0's printouts, character for character: print.robu (the RVE header, the numbers of studies
 * and outcomes, ρ, I², τ² or ω², τ², and the coefficient table: Estimate, StdErr, t-value, dfs, P(|t|>),
 * 95% CI.L, 95% CI.U, Sig — format(digits = 3, scientific = FALSE) per column, printed as R prints a
 * data frame) and sensitivity()'s table (coefficients, standard errors and τ² over ρ = 0, 0.2, …, 1,
 * one format(digits = 3) per column, printed left-justified without row names).
 */
import { formatR, printMatrix } from '../results/rFormat.js';
import { deparseFormula } from '../results/rFormat.js';

const RESERVED = new Set(['if', 'else', 'repeat', 'while', 'function', 'for', 'next', 'break', 'TRUE', 'FALSE', 'NULL',
  'Inf', 'NaN', 'NA', 'NA_integer_', 'NA_real_', 'NA_character_', 'NA_complex_', 'in']);

/**
 * R's make.names(names, unique = TRUE), as robu's data.frame() renames the model matrix's columns:
 * each character that is not a letter, digit, '.' or '_' becomes '.', a name that does not start with
 * a letter or a '.' not followed by a digit gets 'X' in front, reserved words a '.' after; then make.unique.
 */
export function makeNames(names: readonly string[]): string[] {
  const made = names.map((n) => {
    // the prefix is decided on the name as given ('(Intercept)' → 'X(Intercept)' → 'X.Intercept.')
    let s = /^(\p{L}|\.(?!\d))/u.test(n) ? n : `X${n}`;
    s = s.replace(/[^\p{L}\p{N}._]/gu, '.');
    if (RESERVED.has(s)) s = `${s}.`;
    return s;
  });
  const seen = new Map<string, number>();
  const taken = new Set(made);
  return made.map((s) => {
    const c = seen.get(s);
    if (c === undefined) { seen.set(s, 0); return s; }
    let k = c + 1;
    while (taken.has(`${s}.${k}`)) k++;
    seen.set(s, k);
    taken.add(`${s}.${k}`);
    return `${s}.${k}`;
  });
}

/** robumeta's Sig column: < .01 ***, between .01 and .05 **, between .05 and .10 * (the bounds themselves: none) */
export function robuSig(p: number): string {
  if (p < 0.01) return '***';
  if (p > 0.01 && p < 0.05) return '**';
  if (p > 0.05 && p < 0.1) return '*';
  return '';
}

/** cat() of one number: 7 significant digits */
function catNumber(x: number): string {
  return formatR([x], 7)[0].trim();
}

/** R's median of whole numbers */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface RobuPrintInput {
  modelweights: 'CORR' | 'HIER';
  user: boolean;
  small: boolean;
  formula: string;
  /** effect sizes per study */
  k: readonly number[];
  rho: number;
  tau2: number | null;
  omega2: number | null;
  I2: number | null;
  /** robumeta's labels (make.names of the coefficient names) */
  labels: readonly string[];
  beta: ArrayLike<number>;
  SE: ArrayLike<number>;
  t: ArrayLike<number>;
  dfs: ArrayLike<number>;
  prob: ArrayLike<number>;
  ciL: ArrayLike<number>;
  ciU: ArrayLike<number>;
}

/** robumeta's model label: the working model and "with Small-Sample Corrections" (cat(mod_label)) */
export function robuModelLabel(o: { modelweights: 'CORR' | 'HIER'; user: boolean; small: boolean }): string {
  const model = o.user ? 'RVE: User Specified Weights' : o.modelweights === 'HIER' ? 'RVE: Hierarchical Effects Model' : 'RVE: Correlated Effects Model';
  return `${model} ${o.small ? 'with Small-Sample Corrections' : ''}`;
}

/** "Model: y ~ x1 + x2" as robumeta pastes the formula's sides (R's deparse) */
function modelLine(formula: string): string {
  return `${deparseFormula(formula).join(' ')} `;
}

/** print(robu(...)): the text R writes (the small-sample note has no line end, as R's). */
export function formatRobu(o: RobuPrintInput): string {
  const N = o.k.length;
  const M = o.k.reduce((a, b) => a + b, 0);
  const mean = formatR([M / N], 3)[0].trim();
  let out = `${robuModelLabel(o)} \n`;
  out += `\nModel: ${modelLine(o.formula)}\n\n`;
  out += `Number of ${!o.user && o.modelweights === 'HIER' ? 'clusters' : 'studies'} = ${N} \n`;
  out += `Number of outcomes = ${M} (min = ${Math.min(...o.k)} , mean = ${mean} , median = ${catNumber(median(o.k))} , max = ${Math.max(...o.k)} )\n`;
  if (!o.user) {
    if (o.modelweights === 'HIER') {
      out += `Omega.sq = ${catNumber(o.omega2!)} \n`;
      out += `Tau.sq = ${catNumber(o.tau2!)} \n\n`;
    } else {
      out += `Rho = ${catNumber(o.rho)} \n`;
      out += `I.sq = ${catNumber(o.I2!)} \n`;
      out += `Tau.sq = ${catNumber(o.tau2!)} \n\n`;
    }
  }
  const col = (xs: ArrayLike<number>) => formatR(Array.from(xs), 3, 0, 100).map((s) => s.trim());
  const cols = [[...o.labels], col(o.beta), col(o.SE), col(o.t), col(o.dfs), col(o.prob), col(o.ciL), col(o.ciU), Array.from(o.prob, robuSig)];
  const names = ['', 'Estimate', 'StdErr', 't-value', 'dfs', 'P(|t|>)', '95% CI.L', '95% CI.U', 'Sig'];
  const rowNames = o.labels.map((_, i) => String(i + 1));
  out += `${printMatrix(cols, rowNames, names, true).join('\n')}\n`;
  out += '---\nSignif. codes: < .01 *** < .05 ** < .10 *\n---\n';
  if (o.small) out += 'Note: If df < 4, do not trust the results';
  return out;
}

/** One row of sensitivity(): ρ, the coefficients, their standard errors and τ̂². */
export interface RobuSensitivityRow {
  rho: number;
  beta: Float64Array;
  SE: Float64Array;
  tau2: number;
}

/** sensitivity(fit)'s printout. */
export function formatRobuSensitivity(o: { modelweights: 'CORR' | 'HIER'; small: boolean; formula: string; labels: readonly string[] }, rows: readonly RobuSensitivityRow[]): string {
  const P = o.labels.length;
  const varLabels: string[] = [];
  const kind: string[] = [];
  for (let a = 0; a < P; a++) {
    varLabels.push(o.labels[a], '');
    kind.push('Coefficient', 'Std. Error');
  }
  varLabels.push('Tau.sq');
  kind.push('Estimate');
  const cols = [varLabels, kind];
  for (const r of rows) {
    const vals: number[] = [];
    for (let a = 0; a < P; a++) vals.push(r.beta[a], r.SE[a]);
    vals.push(r.tau2);
    cols.push(formatR(vals, 3));
  }
  // paste("Rho = ", seq(0, 1, 0.2)): R's 15 significant digits
  const names = [' ', ' ', ...rows.map((r) => `Rho = ${Number(r.rho.toPrecision(15))}`)];
  let out = `${robuModelLabel({ ...o, user: false })} \n`;
  out += `Model: ${modelLine(o.formula)}\n\n`;
  out += 'Sensitivity Analysis \n\n';
  out += `${printMatrix(cols, varLabels.map(() => ''), names, false).join('\n')}\n`;
  return out;
}
