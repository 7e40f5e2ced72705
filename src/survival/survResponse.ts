/**
 * The survival response of a Cox model, as R's survival package reads it:
 *   Surv(time, status)           right-censored: the event or censoring time, status 1 = event
 *   Surv(start, stop, status)    counting process: at risk on (start, stop], status at stop
 * and `strata(s)` terms of the right-hand side (separate baseline hazards: risk sets within a stratum).
 *
 * The formula text is split here (the formula parser knows neither Surv nor strata): the left-hand
 * side's Surv(...) arguments are column names, the strata(...) terms are taken out of the right-hand
 * side, and the rest of the formula is the fixed and random parts that the model frame reads.
 *
 * Status is read as Surv reads it: numeric 0/1 (1 = event), logical FALSE/TRUE, or numeric 1/2
 * (1 = censored, 2 = event: Surv's rule when the largest status is 2). Any other value is an error
 * (Surv would make it NA with a warning). Times must be finite and non-negative; start < stop.
 */
import * as arrow from 'apache-arrow';
import { DataError, FormulaError } from '../errors/errors.js';
import { columnFromArrow } from '../frame/columns.js';

export interface SurvFormula {
  /** the Surv(...) arguments: [time, status] or [start, stop, status] */
  args: string[];
  counting: boolean;
  /** the right-hand side without its strata() terms */
  rhs: string;
  /** the columns of strata(...) terms (their combination is the stratum) */
  strata: string[];
  /** the left-hand side as written */
  lhs: string;
}

/** Index of the first top-level `~` (outside parentheses, quotes and backquotes), or −1. */
function topLevelTilde(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'" || c === '`') {
      const close = text.indexOf(c, i + 1);
      if (close < 0) return -1;
      i = close;
    } else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '~' && depth === 0) return i;
  }
  return -1;
}

/** Splits `a, b, c` at top-level commas. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) { out.push(cur.trim()); cur = ''; } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

const NAME = /^(?:[A-Za-z.][A-Za-z0-9._]*|`[^`]+`)$/;
const unquote = (s: string) => (s.startsWith('`') ? s.slice(1, -1) : s);

/** Splits `Surv(time, status) ~ x + strata(s) + (1 | g)` into the Surv arguments, the strata and the rest. */
export function parseSurvFormula(text: string): SurvFormula {
  if (typeof text !== 'string') throw new FormulaError('the formula must be a string such as \'Surv(time, status) ~ x + (1 | g)\'', String(text), 0);
  const t = topLevelTilde(text);
  if (t < 0) throw new FormulaError("a Cox model's formula needs '~': Surv(time, status) ~ x + (1 | g)", text, 0);
  const lhs = text.slice(0, t).trim();
  const m = /^Surv\s*\(([\s\S]*)\)$/.exec(lhs);
  if (!m) {
    throw new FormulaError(`the response of a Cox model is Surv(time, status) (or Surv(start, stop, status)), not '${lhs || '(none)'}'`, text, 0);
  }
  const args = splitArgs(m[1]);
  if (args.length < 2 || args.length > 3 || args.some((a) => a === '')) {
    throw new FormulaError(`Surv() takes 2 arguments (time, status) or 3 (start, stop, status), got ${args.filter((a) => a !== '').length}: '${lhs}'`, text, 0);
  }
  for (const a of args) {
    if (/^[A-Za-z.][A-Za-z0-9._]*\s*=/.test(a)) throw new FormulaError(`Surv() arguments are given by position here (Surv(time, status)), not by name: '${a}'`, text, text.indexOf(a));
    if (!NAME.test(a)) throw new FormulaError(`Surv() arguments must be column names here (compute '${a}' as a column of the data first)`, text, text.indexOf(a));
  }
  let rhs = text.slice(t + 1);
  const strata: string[] = [];
  const re = /strata\s*\(([^()]*)\)/g;
  for (const sm of rhs.matchAll(re)) {
    for (const a of splitArgs(sm[1])) {
      if (!NAME.test(a)) throw new FormulaError(`strata() takes column names here, not '${a}'`, text, text.indexOf(sm[0]));
      strata.push(unquote(a));
    }
  }
  const inInteraction = /[:*/^]\s*strata\s*\(|strata\s*\([^()]*\)\s*[:*/^]/.exec(rhs);
  if (inInteraction) throw new FormulaError('strata() must be a term of its own (x + strata(s)), not part of an interaction or nesting', text, t + 1 + inInteraction.index);
  if (strata.length > 0) {
    // remove each strata(...) term with its joining '+'
    rhs = rhs.replace(/\+\s*strata\s*\([^()]*\)/g, '').replace(/strata\s*\([^()]*\)\s*\+?/g, '').trim();
    if (rhs === '') rhs = '1';
    if (/strata\s*\(/.test(rhs)) throw new FormulaError('strata() takes column names only: strata(s) or strata(s1, s2)', text, text.indexOf('strata'));
  }
  return { args: args.map(unquote), counting: args.length === 3, rhs, strata, lhs };
}

export interface SurvData {
  /** per input row: the stop (event or censoring) time; NaN where missing */
  stop: Float64Array;
  /** per input row: the start time (counting process), or null */
  start: Float64Array | null;
  /** per input row: 1 event, 0 censored, NaN missing */
  status: Float64Array;
  /** a note when status was read with Surv's 1/2 coding */
  note: string | null;
}

function numericColumn(table: arrow.Table, name: string, what: string): Float64Array {
  if (!table.getChild(name)) throw new DataError(`the Surv() ${what} column '${name}' is not in the data (columns: ${table.schema.fields.map((f) => f.name).join(', ')})`, { column: name });
  const col = columnFromArrow(table, name);
  if (col.kind !== 'numeric') throw new DataError(`the Surv() ${what} column '${name}' must be numeric (it is read as a factor with levels ${col.levels.slice(0, 5).join(', ')}${col.levels.length > 5 ? ', …' : ''})`, { column: name });
  return col.values;
}

/** Reads Surv's columns from the data, checking every row as Surv checks it. */
export function readSurv(table: arrow.Table, f: SurvFormula): SurvData {
  const n = table.numRows;
  const [startName, stopName, statusName] = f.counting ? f.args : [null, f.args[0], f.args[1]];
  const stop = Float64Array.from(numericColumn(table, stopName!, f.counting ? 'stop' : 'time'));
  const start = startName ? Float64Array.from(numericColumn(table, startName, 'start')) : null;
  for (let i = 0; i < n; i++) {
    const s = stop[i];
    if (!Number.isNaN(s) && !Number.isFinite(s)) throw new DataError(`the Surv() time '${stopName}' is ${s} in row ${i + 1}: survival times are finite`, { column: stopName!, row: i + 1 });
    if (!start && s < 0) throw new DataError(`the Surv() time '${stopName}' is negative (${s}) in row ${i + 1}: survival times are non-negative`, { column: stopName!, row: i + 1 });
    if (start && !Number.isNaN(start[i]) && !Number.isNaN(s)) {
      if (!Number.isFinite(start[i])) throw new DataError(`the Surv() start '${startName}' is ${start[i]} in row ${i + 1}: start times are finite`, { column: startName!, row: i + 1 });
      if (!(start[i] < s)) throw new DataError(`row ${i + 1}: the start time '${startName}' (${start[i]}) is not before the stop time '${stopName}' (${s}); Surv(start, stop, status) needs start < stop`, { column: startName!, row: i + 1 });
    }
  }
  if (!table.getChild(statusName!)) throw new DataError(`the Surv() status column '${statusName}' is not in the data (columns: ${table.schema.fields.map((x) => x.name).join(', ')})`, { column: statusName! });
  const col = columnFromArrow(table, statusName!);
  const status = new Float64Array(n);
  let note: string | null = null;
  if (col.kind === 'numeric') {
    const v = col.values;
    let max = -Infinity;
    for (let i = 0; i < n; i++) if (!Number.isNaN(v[i]) && v[i] > max) max = v[i];
    // Surv: a numeric status whose largest value is 2 is coded 1 = censored, 2 = event
    const shift = max === 2 ? 1 : 0;
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(v[i])) { status[i] = NaN; continue; }
      const s = v[i] - shift;
      if (s !== 0 && s !== 1) {
        const coding = shift ? '1 (censored) or 2 (event), since its largest value is 2' : '0 (censored) or 1 (event)';
        throw new DataError(`the Surv() status '${statusName}' is ${v[i]} in row ${i + 1}: status must be ${coding}, or FALSE/TRUE`, { column: statusName!, row: i + 1 });
      }
      status[i] = s;
    }
    if (shift) note = `status '${statusName}' read as 1 = censored, 2 = event (Surv's coding when its largest value is 2)`;
  } else {
    const lv = col.levels;
    const isLogical = lv.every((l) => l === 'FALSE' || l === 'TRUE');
    if (!isLogical) throw new DataError(`the Surv() status '${statusName}' is a factor with levels ${lv.join(', ')}: status must be 0/1 (1 = event) or FALSE/TRUE`, { column: statusName! });
    for (let i = 0; i < n; i++) status[i] = col.codes[i] < 0 ? NaN : lv[col.codes[i]] === 'TRUE' ? 1 : 0;
  }
  return { stop, start, status, note };
}
