/**
 * emmeans's printout of estimated marginal means and of their contrasts: a table with the variables'
 * levels, the estimate (emmean, prob, rate, response; estimate, odds.ratio, ratio), SE, df and either
 * the interval (means) or the test (contrasts), then the notes. Numbers with 3 significant digits
 * (df with 1 decimal where not whole), p-values as emmeans prints them ("<.0001").
 */
import type { EmmContrasts, EmmGrid } from './emmeans.js';
import { formatLevel } from './emmeans.js';

function num(x: number, digits = 3): string {
  if (Number.isNaN(x)) return 'nonEst';
  if (!Number.isFinite(x)) return x > 0 ? 'Inf' : '-Inf';
  if (x === 0) return '0';
  const s = Number(x.toPrecision(digits));
  return Math.abs(s) >= 1e5 || Math.abs(s) < 1e-4 ? s.toExponential(digits - 1) : String(s);
}

function dfText(df: number): string {
  if (Number.isNaN(df)) return 'nonEst';
  if (!Number.isFinite(df)) return 'Inf';
  return Math.abs(df - Math.round(df)) < 0.05 ? String(Math.round(df)) : df.toFixed(1);
}

function pText(p: number): string {
  if (Number.isNaN(p)) return 'nonEst';
  return p < 1e-4 ? '<.0001' : p.toFixed(4);
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => ' ' + cells.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join(' ');
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatEmmTable(x: EmmGrid | EmmContrasts): string {
  const out: string[] = [];
  if ('variables' in x) {
    const vars = x.variables.map((v) => v.name);
    const response = x.backTransformed;
    const asym = x.rows.some((r) => r.df === Infinity);
    const header = [...vars, response ? x.responseLabel : x.estimateName, 'SE', 'df', asym ? 'asymp.LCL' : 'lower.CL', asym ? 'asymp.UCL' : 'upper.CL'];
    const rows = x.rows.map((r) => [
      ...vars.map((v) => formatLevel(r.levels[v])),
      num(response ? r.response! : r.emmean), num(response ? r.responseSE! : r.SE), dfText(r.df),
      num(response ? r.responseLower! : r.lower), num(response ? r.responseUpper! : r.upper),
    ]);
    out.push(table(header, rows));
  } else {
    const z = x.rows.some((r) => r.df === Infinity);
    const header = ['contrast', ...x.by, x.ratioLabel ?? 'estimate', 'SE', 'df', ...(x.ratioLabel ? ['null'] : []), z ? 'z.ratio' : 't.ratio', 'p.value'];
    const rows = x.rows.map((r) => [
      r.contrast, ...x.by.map((b) => formatLevel(r.by[b])),
      num(x.ratioLabel ? r.response! : r.estimate), num(x.ratioLabel ? r.responseSE! : r.SE), dfText(r.df),
      ...(x.ratioLabel ? ['1'] : []), Number.isNaN(r.ratio) ? 'nonEst' : r.ratio.toFixed(3), pText(r.p),
    ]);
    out.push(table(header, rows));
  }
  return [out.join('\n'), '', ...x.messages].join('\n') + '\n';
}
