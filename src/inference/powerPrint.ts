/**
 * simr's printouts of a power analysis (R/print.R): print.powerSim and print.powerCurve, with
 * printerval's "45.00% (35.03, 55.27)" (as.percentage: %5.2f, 100% as "100.0") and the counts of
 * replicates with warnings and errors, as simr 1.0.5 prints them ("(0 warnings, 0 errors)"), then
 * alpha and the number of rows.
 */
import type { PowerSimResult } from './powerSim.js';

/** simr's as.percentage2: %5.2f of 100 x, "100.0" for 1 */
const pct = (x: number) => (x === 1 ? '100.0' : (100 * x).toFixed(2).padStart(5));

/** simr's printerval: "power% (lower, upper)" */
export function powerInterval(r: Pick<PowerSimResult, 'power' | 'ci'>): string {
  return `${pct(r.power)}% (${pct(r.ci[0])}, ${pct(r.ci[1])})`;
}

const counts = (warnings: number, errors: number) =>
  `(${warnings} ${warnings === 1 ? 'warning' : 'warnings'}, ${errors} ${errors === 1 ? 'error' : 'errors'})`;

/** simr's "Time elapsed: h m s" */
const elapsed = (ms: number) => {
  const s = ms / 1000;
  return `Time elapsed: ${Math.floor(s / 3600)} h ${Math.floor(s / 60) % 60} m ${Math.floor(s) % 60} s`;
};

/** print.powerSim */
export function printPowerSim(r: PowerSimResult): string {
  const lines = [`${r.text}, (95% confidence interval):`, `      ${powerInterval(r)}`, ''];
  r.description.forEach((d, k) => lines.push(`${k === 0 ? 'Test: ' : '      '}${d}`));
  lines.push('', `Based on ${r.nsim} simulations, ${counts(r.warnings, r.errors)}`, `alpha = ${r.alpha}, nrow = ${r.nrow}`, '', elapsed(r.timeMs));
  return `${lines.join('\n')}\n`;
}

/** one break of a power curve */
export interface PowerCurvePoint extends PowerSimResult {
  /** the number of levels (or the largest value) of `along` in the subset */
  x: number;
}

/** print.powerCurve */
export function printPowerCurve(c: { text: string; xlab: string; points: PowerCurvePoint[]; warnings: number; errors: number; timeMs: number }): string {
  const lines = [`${c.text}, (95% confidence interval),`, `by ${c.xlab}:`];
  for (const p of c.points) lines.push(`${String(p.x).padStart(7)}: ${powerInterval(p)} - ${p.nrow} rows`);
  lines.push('', counts(c.warnings, c.errors), '', elapsed(c.timeMs));
  return `${lines.join('\n')}\n`;
}
