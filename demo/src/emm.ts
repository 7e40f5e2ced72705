/**
 * The page's side of the estimated-marginal-means card (no DOM): the contrasts' default
 * adjustments as emmeans's, the adjustment a request carries, the tables as CSV and the means
 * plot's rows. The means themselves are computed in the worker (./inference.ts emmTables).
 */
import type { EmmContrastChoice, EmmMsg } from './protocol.js';
import { csv } from './dom.js';

/** emmeans's default adjustment of each contrast method */
export const OWN_ADJUST: Record<Exclude<EmmContrastChoice, 'none'>, string> = {
  pairwise: 'tukey', 'trt.vs.ctrl': 'dunnettx', eff: 'fdr', consec: 'mvt', poly: 'none',
};

/** what the adjustment select offers besides the contrast's own */
export const ADJUSTMENTS = ['tukey', 'dunnettx', 'mvt', 'scheffe', 'sidak', 'bonferroni', 'holm', 'hochberg', 'hommel', 'BH', 'BY', 'none'];

/** the adjustment select's first option: the contrast's own */
export function defaultAdjustLabel(method: EmmContrastChoice): string {
  return method === 'none' ? 'default (none)' : `default (${OWN_ADJUST[method]})`;
}

/** The adjustment a request carries for the chosen contrast and select value ('' = default: the contrast's own). */
export function requestAdjust(method: EmmContrastChoice, chosen: string): { adjust?: string; note: string | null } {
  if (method === 'none' || chosen === '') return { note: null };
  return { adjust: chosen, note: null };
}

const byText = (r: Record<string, string>, names: string[]) => names.map((n) => `${n} = ${r[n]}`).join(', ');

/** the means' table as CSV: the variables' columns, then the estimate, SE, df and interval (and the response scale's) */
export function meansCsv(m: EmmMsg): string {
  const vars = [...m.specs, ...m.by];
  const resp = m.responseLabel !== null;
  const header = [...vars, m.estimateName, 'SE', 'df', 'lower_CL', 'upper_CL', ...(resp ? [m.responseLabel!, 'response_SE', 'response_lower_CL', 'response_upper_CL'] : [])];
  return csv(header, m.means.map((r) => [
    ...vars.map((v) => r.levels[v] ?? ''), r.emmean, r.SE, r.df, r.lower, r.upper,
    ...(resp ? [r.response ?? null, r.responseSE ?? null, r.responseLower ?? null, r.responseUpper ?? null] : []),
  ]));
}

/** the contrasts' table as CSV (null without contrasts); t_ratio or z_ratio as emmeans names them */
export function contrastsCsv(m: EmmMsg): string | null {
  const c = m.contrasts;
  if (!c) return null;
  const z = c.rows.length > 0 && c.rows.every((r) => r.df === Infinity);
  const ratio = c.ratioLabel;
  const header = ['contrast', ...m.by, 'estimate', 'SE', 'df', 'lower_CL', 'upper_CL', z ? 'z_ratio' : 't_ratio', 'p_value', 'adjust',
    ...(ratio ? [ratio, 'response_SE', 'response_lower_CL', 'response_upper_CL'] : [])];
  return csv(header, c.rows.map((r) => [
    r.contrast, ...m.by.map((b) => r.by[b] ?? ''), r.estimate, r.SE, r.df, r.lower, r.upper, r.ratio, r.p, c.adjust,
    ...(ratio ? [r.response ?? null, r.responseSE ?? null, r.responseLower ?? null, r.responseUpper ?? null] : []),
  ]));
}

export interface EmmPlotRow {
  level: string;
  group: string;
  estimate: number;
  lower: number;
  upper: number;
}

/** the plot's rows: on glmer's response scale the back-transformed means, else the link (or response) scale's */
export function emmPlotRows(m: EmmMsg): EmmPlotRow[] {
  const resp = m.responseLabel !== null;
  return m.means.filter((r) => Number.isFinite(r.emmean)).map((r) => ({
    level: m.specs.map((s) => r.levels[s]).join(' '),
    group: m.by.length ? byText(r.levels, m.by) : '',
    estimate: resp ? r.response! : r.emmean,
    lower: resp ? r.responseLower! : r.lower,
    upper: resp ? r.responseUpper! : r.upper,
  }));
}

/** the axis label of the plot's estimate */
export function emmAxisLabel(m: EmmMsg): string {
  if (m.kind === 'emtrends') return `${m.estimateName} (slope of ${m.request.trend})`;
  if (m.responseLabel) return `${m.responseLabel} (response scale)`;
  return m.type === 'link' && m.ddf === 'asymptotic' && m.meansNotes.some((n) => n.startsWith('Results are given on the')) ? 'emmean (link scale)' : 'emmean';
}

/** a by group's heading in the tables */
export function byHeading(r: Record<string, string>, names: string[]): string {
  return byText(r, names);
}
