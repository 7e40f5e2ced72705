/**
 * emmeans 1.8.4's printout of estimated marginal means and of their contrasts (print.summary_emm), so
 * that the text is emmeans's line for line:
 * - the columns: the variables' levels, the estimate (emmean, x.trend, prob, rate, response; estimate,
 *   odds.ratio, ratio), SE, df, then the interval (means) or null, t.ratio/z.ratio and p.value
 *   (contrasts);
 * - every numeric column zapsmall'ed (7 digits); df rounded to 2 decimals; t and z ratios rounded to 3
 *   decimals and p-values to 4 ("<.0001" for 0.0000); the other numbers formatted as R's format with
 *   d significant digits, d = max over the rows of emmeans's .opt.dig(est − 2 SE, est, est + 2 SE),
 *     .opt.dig(x) = max(3, round(1.51 − log10((max x − min x) / max |x|)));
 *   an estimate that is not estimable prints as nonEst (the row's other numbers as NA), a 0/0 as NaN;
 * - factors left-justified, numbers right-justified, one space between columns;
 * - `by` variables as blocks: "A = a1, C = x:" then the block's table and a blank line, the blocks in
 *   the order of the last by variable's levels, then the previous one's (emmeans's order(rev(by)));
 *   a numeric by variable's value as its formatted column shows it ("x =  2.5");
 * - the notes, each followed by a space as emmeans's cat(paste(msg, "\n")); a contrast table has no
 *   interval, so the notes about it (confidence level, its adjustment, back-transformed intervals) are
 *   left out, as emmeans's default infer = c(FALSE, TRUE) leaves them.
 */
import type { GridValue, GridVariable } from './referenceGrid.js';
import type { EmmContrasts, EmmGrid } from './emmeans.js';
import { formatR, roundR, zapsmall } from '../results/rFormat.js';

/** One column of an emmeans summary: a factor's labels (left-justified) or numbers (right-justified). */
type Column =
  | { name: string; kind: 'label'; values: string[] }
  | { name: string; kind: 'number'; values: number[]; role: 'level' | 'est' | 'se' | 'df' | 'other' | 'ratio' | 'p' };

/** emmeans's .opt.dig of (est − 2 SE, est, est + 2 SE). */
function optDig(est: number, se: number): number {
  if (!Number.isFinite(est) || !Number.isFinite(se)) return 3;
  const x = [est - 2 * se, est, est + 2 * se];
  const mx = Math.max(...x.map(Math.abs));
  const z = x.map((v) => v / mx);
  // zapsmall(c(diff(range(z)), range(z)), digits = 8)[1]
  const lo = Math.min(...z), hi = Math.max(...z);
  const dz = zapsmall([hi - lo, lo, hi], 8)[0];
  const zz = Math.round(1.51 - Math.log10(dz));
  return Number.isFinite(zz) ? Math.max(zz, 3) : 3;
}

/**
 * R's format of a numeric column: NA where the row is not estimable (`na`), NaN where a number is
 * 0/0 (a contrast with zero SE).
 */
function formatColumn(xs: number[], na: boolean[], digits: number, nsmall = 0): string[] {
  // R formats the other values together; an NA is 2 wide
  const keep = xs.map((_, i) => i).filter((i) => !(Number.isNaN(xs[i]) && na[i]));
  const f = formatR(keep.map((i) => xs[i]), digits, nsmall);
  const w = Math.max(2, ...f.map((s) => s.length));
  const out = xs.map(() => 'NA'.padStart(w));
  keep.forEach((i, k) => { out[i] = f[k].padStart(w); });
  return out;
}

/** format(round(x, d), nsmall = d, sci = FALSE): d decimals, right-justified to a common width */
function fixedColumn(xs: number[], na: boolean[], d: number): string[] {
  const out = xs.map((v, i) => (Number.isNaN(v) ? (na[i] ? 'NA' : 'NaN') : !Number.isFinite(v) ? (v > 0 ? 'Inf' : '-Inf') : roundR(v, d) === 0 ? (0).toFixed(d) : roundR(v, d).toFixed(d)));
  const w = Math.max(...out.map((s) => s.length));
  return out.map((s) => s.padStart(w));
}

/** The cells of each column as emmeans formats them (before justification). */
function formatColumns(cols: Column[], estName: string): string[][] {
  const zapped = cols.map((c) => (c.kind === 'number' ? zapsmall(c.values, 7) : null));
  const est = zapped[cols.findIndex((c) => c.name === estName)]!;
  const se = zapped[cols.findIndex((c) => c.name === 'SE')]!;
  const digits = Math.max(...est.map((e, i) => optDig(e, se[i])));
  const na = est.map((e) => Number.isNaN(e));
  return cols.map((c, k) => {
    if (c.kind === 'label') return c.values;
    const x = zapped[k]!;
    switch (c.role) {
      case 'df': return formatColumn(x.map((v) => roundR(v, 2)), na, digits);
      // format(round(x, 3), nsmall = 3, sci = FALSE); p-values: format(round(p, 4), nsmall = 4, sci = FALSE)
      case 'ratio': return fixedColumn(x, na, 3);
      case 'p': return fixedColumn(x, na, 4).map((s) => (s.trim() === '0.0000' ? '<.0001'.padStart(s.length) : s));
      case 'est': {
        // emmeans: format(est, digits), then "nonEst" where it is NA
        return formatColumn(x, na, digits).map((s, i) => (Number.isNaN(x[i]) ? 'nonEst' : s));
      }
      default: return formatColumn(x, na, digits);
    }
  });
}

/** The table's lines: header and rows, each column justified to its widest cell (header included). */
function tableLines(cols: Column[], cells: string[][], rows: number[]): string[] {
  const widths = cols.map((c, k) => Math.max(c.name.length, ...cells[k].map((s) => s.length)));
  const cell = (k: number, s: string) => (cols[k].kind === 'label' ? s.padEnd(widths[k]) : s.padStart(widths[k]));
  const line = (cs: string[]) => ' ' + cs.join(' ');
  return [line(cols.map((c, k) => cell(k, c.name))), ...rows.map((r) => line(cols.map((_, k) => cell(k, cells[k][r]))))];
}

/**
 * emmeans's print.summary_emm of a table: `cols` holds every column (by variables among them), `by`
 * the names of the by variables and `order` their levels' positions per row (for the blocks' order).
 */
function printSummary(cols: Column[], estName: string, by: string[], byOrder: number[][], notes: string[]): string {
  const cells = formatColumns(cols, estName);
  const out: string[] = [];
  const n = cells[0]?.length ?? 0;
  const all = Array.from({ length: n }, (_, r) => r);
  if (by.length === 0) {
    out.push(...tableLines(cols, cells, all), '');
  } else {
    const keep = cols.map((_, k) => k).filter((k) => !by.includes(cols[k].name));
    const byIdx = by.map((b) => cols.findIndex((c) => c.name === b));
    // order(rev(by)): the last by variable slowest, ties in the rows' order
    const ord = [...all].sort((a, b) => {
      for (let j = by.length - 1; j >= 0; j--) if (byOrder[a][j] !== byOrder[b][j]) return byOrder[a][j] - byOrder[b][j];
      return a - b;
    });
    const label = (r: number) => byIdx.map((k, j) => `${by[j]} = ${cells[k][r]}`).join(', ');
    const blocks = new Map<string, number[]>();
    for (const r of ord) {
      const key = label(r);
      if (!blocks.has(key)) blocks.set(key, []);
      blocks.get(key)!.push(r);
    }
    const sub = keep.map((k) => cols[k]);
    const subCells = keep.map((k) => cells[k]);
    for (const [key, rows] of blocks) out.push(`${key}:`, ...blockLines(sub, subCells, rows), '');
  }
  for (const m of [...new Set(notes)]) out.push(`${m} `);
  return out.join('\n') + '\n';
}

/** a block's table: the columns' widths are the whole table's (emmeans formats before it splits) */
function blockLines(cols: Column[], cells: string[][], rows: number[]): string[] {
  return tableLines(cols, cells, rows);
}

function levelColumn(v: Pick<GridVariable, 'name' | 'kind'>, values: GridValue[], format: (x: GridValue) => string): Column {
  if (v.kind === 'covariate' && values.every((x) => typeof x === 'number')) return { name: v.name, kind: 'number', values: values as number[], role: 'level' };
  return { name: v.name, kind: 'label', values: values.map(format) };
}

/** each row's positions of its by variables' values among their levels (for the blocks' order) */
function byPositions(vars: Pick<GridVariable, 'name' | 'values'>[], rows: Record<string, GridValue>[]): number[][] {
  return rows.map((r) => vars.map((v) => {
    const i = v.values.indexOf(r[v.name]);
    return i < 0 ? v.values.length : i;
  }));
}

export function formatEmmTable(x: EmmGrid | EmmContrasts, formatLevel: (x: GridValue) => string): string {
  if ('variables' in x) {
    const response = x.backTransformed;
    const asym = x.ddf === 'asymptotic' || x.rows.some((r) => r.df === Infinity);
    const est = response ? x.responseLabel : x.estimateName;
    const cols: Column[] = [
      ...x.variables.map((v) => levelColumn(v, x.rows.map((r) => r.levels[v.name]), formatLevel)),
      { name: est, kind: 'number', role: 'est', values: x.rows.map((r) => (response ? r.response! : r.emmean)) },
      { name: 'SE', kind: 'number', role: 'se', values: x.rows.map((r) => (response ? r.responseSE! : r.SE)) },
      { name: 'df', kind: 'number', role: 'df', values: x.rows.map((r) => r.df) },
      { name: asym ? 'asymp.LCL' : 'lower.CL', kind: 'number', role: 'other', values: x.rows.map((r) => (response ? r.responseLower! : r.lower)) },
      { name: asym ? 'asymp.UCL' : 'upper.CL', kind: 'number', role: 'other', values: x.rows.map((r) => (response ? r.responseUpper! : r.upper)) },
    ];
    const byVars = x.variables.filter((v) => x.by.includes(v.name));
    const byOrdered = x.by.map((b) => byVars.find((v) => v.name === b)!).filter((v) => v !== undefined);
    return printSummary(cols, est, byOrdered.map((v) => v.name), byPositions(byOrdered, x.rows.map((r) => r.levels)), x.annotations);
  }
  const z = x.ddf === 'asymptotic' || x.rows.some((r) => r.df === Infinity);
  const est = x.ratioLabel ?? 'estimate';
  // (a numeric by variable of ratio contrasts is a factor in emmeans's summary, its labels unpadded,
  // "expo = 1:"; of contrasts on the link scale a number, "x =  0.0:", as emmeans 1.8.4 prints them)
  const byVars = x.by.map((b) => {
    const v = x.byVariables.find((u) => u.name === b) ?? { name: b, kind: 'factor' as const, values: [...new Set(x.rows.map((r) => r.by[b]))] };
    return x.ratioLabel ? { ...v, kind: 'factor' as const } : v;
  });
  const cols: Column[] = [
    { name: 'contrast', kind: 'label', values: x.rows.map((r) => r.contrast) },
    ...byVars.map((v) => levelColumn(v, x.rows.map((r) => r.by[v.name]), formatLevel)),
    { name: est, kind: 'number', role: 'est', values: x.rows.map((r) => (x.ratioLabel ? r.response! : r.estimate)) },
    { name: 'SE', kind: 'number', role: 'se', values: x.rows.map((r) => (x.ratioLabel ? r.responseSE! : r.SE)) },
    { name: 'df', kind: 'number', role: 'df', values: x.rows.map((r) => r.df) },
    ...(x.ratioLabel ? [{ name: 'null', kind: 'number' as const, role: 'other' as const, values: x.rows.map(() => 1) }] : []),
    { name: z ? 'z.ratio' : 't.ratio', kind: 'number', role: 'ratio', values: x.rows.map((r) => r.ratio) },
    { name: 'p.value', kind: 'number', role: 'p', values: x.rows.map((r) => r.p) },
  ];
  // the contrasts are shown without intervals (emmeans's infer = c(FALSE, TRUE)): no notes on them
  // (nor the interaction NOTE, an R message)
  const notes = x.messages.filter((m) => !/^(Confidence level used|Conf-level adjustment|Intervals are back-transformed|NOTE: Results may be misleading)/.test(m));
  return printSummary(cols, est, byVars.map((v) => v.name), byPositions(byVars, x.rows.map((r) => r.by)), notes);
}
