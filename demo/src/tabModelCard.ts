/**
 * The page's side of the Regression table card (sjPlot 2.8.12's tab_model of kept fits), no DOM and no
 * library math: the card's fields as the library's TabModelOptions (only what differs from sjPlot's
 * defaults; each bad field named), the labels the user typed escaped as HTML text (the library writes labels
 * into its HTML as sjPlot does, unescaped), the library's HTML sanitized before it is drawn (an allow-list of
 * sjPlot's tags and attributes: a column or level name of the data that looks like markup is shown as text),
 * the cells as CSV, and the card's settings in the address. The table is computed in the worker
 * (./tabModelRun.ts) by the library's tabModel.
 */
import { TAB_DF_METHODS, type TabModelOptions } from '../../src/tabmodel/tabModel.js';
import type { TmMsg } from './protocol.js';
import { csv } from './dom.js';

/** the df methods the card offers (sjPlot's df.method; 'kr' is kenward's other name, not listed twice) */
export const TM_DF_METHODS = TAB_DF_METHODS.filter((m) => m !== 'kr');
/** the df methods that take longer: the card's hint says so */
export const TM_COSTLY_DF: readonly string[] = ['profile', 'kenward'];
/** the df methods that refit the model (profile intervals re-optimize it along each parameter): never run from a link */
export const TM_REFIT_DF: readonly string[] = ['profile'];

/** whether a link's settings compute the table on opening: yes, unless its df method refits the model (then the button does) */
export function tmRunsFromLink(s: TmUrlState): boolean {
  return !TM_REFIT_DF.includes(s.dfMethod ?? 'wald');
}
export const TM_P_STYLES = ['numeric', 'stars', 'numeric_stars'] as const;

/** the card's switches, each with sjPlot's default */
export const TM_SWITCHES = {
  showIntercept: true, showSe: false, showStat: false, showDf: false, showP: true, showIcc: true, showR2: true,
  showReVar: true, showNgroups: true, showObs: true, showAic: false, showLoglik: false, showDev: false, collapseCi: false,
} as const;
export type TmSwitch = keyof typeof TM_SWITCHES;
/** each switch's name in the address */
const SWITCH_KEYS: Record<TmSwitch, string> = {
  showIntercept: 'int', showSe: 'se', showStat: 'stat', showDf: 'df', showP: 'p', showIcc: 'icc', showR2: 'r2',
  showReVar: 're', showNgroups: 'ngrp', showObs: 'obs', showAic: 'aic', showLoglik: 'll', showDev: 'dev', collapseCi: 'cci',
};

/** the card's fields, as chosen or typed */
export interface TmFields {
  dfMethod: string;
  pStyle: string;
  /** whether the CI column is shown, and its level as typed */
  showCi: boolean;
  level: string;
  /** 'default' (exp for a non-identity link), 'exp' or 'none' */
  transform: string;
  switches: Record<TmSwitch, boolean>;
  /** digits of the estimates and of the p-values, as typed ('' for sjPlot's 2 and 3) */
  digits: string;
  digitsP: string;
  /** the dependent variables' labels, one per model separated by ';' ('' for the responses' names) */
  dvLabels: string;
  title: string;
}

/** a field the card refuses, named: 'fits', 'dfMethod', 'pStyle', 'level', 'transform', 'digits', 'digitsP', 'dvLabels' */
export class TmFieldError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'TmFieldError';
  }
}

export function defaultTmFields(): TmFields {
  return {
    dfMethod: 'wald', pStyle: 'numeric', showCi: true, level: '0.95', transform: 'default',
    switches: { ...TM_SWITCHES }, digits: '', digitsP: '', dvLabels: '', title: '',
  };
}

/** text the user typed, as HTML text: the library puts labels into its HTML as they are (sjPlot does), so `<` is written `&lt;` */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** the dependent variables' labels typed as 'A; B' (empty: none given) */
export function splitLabels(text: string): string[] {
  return text.trim() === '' ? [] : text.split(';').map((s) => s.trim());
}

function digitsOf(field: 'digits' | 'digitsP', text: string, min: number): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const n = Number(t);
  if (!Number.isInteger(n) || n < min || n > 15) throw new TmFieldError(field, `${field === 'digits' ? 'digits' : 'p digits'}: a whole number from ${min} to 15, not '${text}'`);
  return n;
}

/**
 * The library's options of the card's fields for a table of `nModels` fits: only what differs from
 * sjPlot's defaults, the typed labels escaped; a bad field throws a TmFieldError naming it.
 */
export function tmOptions(f: TmFields, nModels: number): TabModelOptions {
  if (nModels < 1) throw new TmFieldError('fits', 'fits: tick one or more lmer or glmer fits for the table (their columns in the order ticked)');
  const o: TabModelOptions = {};
  if (!(TM_DF_METHODS as readonly string[]).includes(f.dfMethod)) throw new TmFieldError('dfMethod', `df method: '${f.dfMethod}' is not one of ${TM_DF_METHODS.join(', ')}`);
  if (f.dfMethod !== 'wald') o.dfMethod = f.dfMethod as TabModelOptions['dfMethod'];
  if (!(TM_P_STYLES as readonly string[]).includes(f.pStyle)) throw new TmFieldError('pStyle', `p style: '${f.pStyle}' is not one of ${TM_P_STYLES.join(', ')}`);
  if (f.pStyle !== 'numeric') o.pStyle = f.pStyle as TabModelOptions['pStyle'];
  if (f.showCi) {
    const level = Number(f.level.trim());
    if (f.level.trim() === '' || !(level > 0 && level < 1)) throw new TmFieldError('level', `CI level: a number between 0 and 1 (sjPlot's show.ci, such as 0.95), not '${f.level}'`);
    if (level !== 0.95) o.showCi = level;
  } else {
    o.showCi = false;
    if (f.switches.collapseCi) throw new TmFieldError('level', 'CI: "CI under the estimate" needs the CI shown');
  }
  if (f.transform === 'exp') o.transform = 'exp';
  else if (f.transform === 'none') o.transform = null;
  else if (f.transform !== 'default') throw new TmFieldError('transform', `transform: '${f.transform}' is not default, exp or none`);
  for (const k of Object.keys(TM_SWITCHES) as TmSwitch[]) if (f.switches[k] !== TM_SWITCHES[k]) o[k] = f.switches[k];
  const digits = digitsOf('digits', f.digits, 0);
  if (digits !== undefined) o.digits = digits;
  const digitsP = digitsOf('digitsP', f.digitsP, 1);
  if (digitsP !== undefined) o.digitsP = digitsP;
  const dv = splitLabels(f.dvLabels);
  if (dv.length > 0) {
    if (dv.length !== nModels) throw new TmFieldError('dvLabels', `labels: ${dv.length} label${dv.length === 1 ? '' : 's'} for ${nModels} model${nModels === 1 ? '' : 's'}; give one per model, separated by ';'`);
    o.dvLabels = dv.map(escapeHtml);
  }
  if (f.title.trim() !== '') o.title = escapeHtml(f.title.trim());
  return o;
}

/** a kept fit as the card (and its refusals) name it: 'fit 2 (Reaction ~ Days + (1 | Subject))', or the streamed fit */
export function tmFitName(number: number | 'stream', formula: string): string {
  return number === 'stream' ? `the streamed fit (${formula})` : `fit ${number} (${formula})`;
}

/** the chosen fits after a tick (on: appended, the table's next model; off: removed) */
export function toggleFit(chosen: readonly number[], id: number, on: boolean): number[] {
  const rest = chosen.filter((x) => x !== id);
  return on ? [...rest, id] : rest;
}

// ---------------------------------------------------------------------------------------------
// The library's HTML, sanitized

/** sjPlot's tags in tab_model's table, the only ones drawn as markup */
const TAGS = new Set(['table', 'caption', 'tr', 'th', 'td', 'sup', 'sub', 'strong', 'br']);
/** a tag with its attributes (name="value" only) */
const TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z-]+="[^"<>]*")*)\s*>/y;
const ATTR = /\s+([a-zA-Z-]+)="([^"<>]*)"/g;
const ENTITY = /&(?:[a-zA-Z][a-zA-Z0-9]*|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});/y;

/** an attribute drawn: class (names only) and colspan (a number); any other makes the tag text */
function attrAllowed(name: string, value: string): boolean {
  if (name === 'class') return /^[A-Za-z0-9 _-]*$/.test(value);
  if (name === 'colspan') return /^[0-9]{1,3}$/.test(value);
  return false;
}

/**
 * The library's table HTML made inert: sjPlot's tags (table, caption, tr, th, td, sup, sub, strong, br)
 * with class and colspan attributes are kept; every other `<`, `>` and bare `&` is written as text
 * (&lt; &gt; &amp;), so a label of the data such as `<img onerror=…>` is shown, never run; entities stay.
 */
export function sanitizeTableHtml(html: string): string {
  let out = '';
  let i = 0;
  while (i < html.length) {
    const c = html[i]!;
    if (c === '<') {
      TAG.lastIndex = i;
      const m = TAG.exec(html);
      if (m && TAGS.has(m[2]!.toLowerCase())) {
        const attrs = [...m[3]!.matchAll(ATTR)];
        if (m[1] === '' ? attrs.every((a) => attrAllowed(a[1]!.toLowerCase(), a[2]!)) : attrs.length === 0) {
          out += `<${m[1]}${m[2]!.toLowerCase()}${attrs.map((a) => ` ${a[1]!.toLowerCase()}="${a[2]}"`).join('')}>`;
          i += m[0].length;
          continue;
        }
      }
      out += '&lt;';
    } else if (c === '>') {
      out += '&gt;';
    } else if (c === '&') {
      ENTITY.lastIndex = i;
      const m = ENTITY.exec(html);
      if (m) {
        out += m[0];
        i += m[0].length;
        continue;
      }
      out += '&amp;';
    } else {
      out += c;
    }
    i++;
  }
  return out;
}

/** the table's cells as CSV: its header rows, the predictors' rows, the summary rows (a model's cell in its first column) */
export function tmCsv(m: TmMsg): string {
  const [head, ...rows] = m.cells;
  return csv(head ?? [], rows);
}

// ---------------------------------------------------------------------------------------------
// The address

/** the card's settings in the address (absent: sjPlot's default) */
export interface TmUrlState {
  dfMethod?: string;
  pStyle?: string;
  /** the CI's level, or false for no CI column */
  ci?: number | false;
  transform?: 'exp' | 'none';
  /** the switches that differ from sjPlot's defaults */
  switches?: Partial<Record<TmSwitch, boolean>>;
  digits?: number;
  digitsP?: number;
  dvLabels?: string;
  title?: string;
}

/** tm=1&tmdf=satterthwaite&tmp=stars&tmci=0.9|none&tmtr=exp&tmsw=se,aic,-icc&tmdig=3&tmdigp=2&tmdv=A;B&tmtitle=… */
export function readTmUrl(q: URLSearchParams): TmUrlState {
  const s: TmUrlState = {};
  const df = q.get('tmdf');
  if (df && df !== 'wald' && (TM_DF_METHODS as readonly string[]).includes(df)) s.dfMethod = df;
  const p = q.get('tmp');
  if (p && p !== 'numeric' && (TM_P_STYLES as readonly string[]).includes(p)) s.pStyle = p;
  const ci = q.get('tmci');
  if (ci === 'none') s.ci = false;
  else if (ci && Number(ci) > 0 && Number(ci) < 1 && Number(ci) !== 0.95) s.ci = Number(ci);
  const tr = q.get('tmtr');
  if (tr === 'exp' || tr === 'none') s.transform = tr;
  const sw = q.get('tmsw');
  if (sw) {
    const switches: Partial<Record<TmSwitch, boolean>> = {};
    for (const item of sw.split(',')) {
      const off = item.startsWith('-');
      const k = (Object.keys(SWITCH_KEYS) as TmSwitch[]).find((x) => SWITCH_KEYS[x] === (off ? item.slice(1) : item));
      if (k && TM_SWITCHES[k] === off) switches[k] = !off;
    }
    if (Object.keys(switches).length) s.switches = switches;
  }
  const dig = Number(q.get('tmdig'));
  if (q.get('tmdig') && Number.isInteger(dig) && dig >= 0 && dig <= 15) s.digits = dig;
  const digp = Number(q.get('tmdigp'));
  if (q.get('tmdigp') && Number.isInteger(digp) && digp >= 1 && digp <= 15) s.digitsP = digp;
  const dv = q.get('tmdv');
  if (dv && dv.length <= 500) s.dvLabels = dv;
  const title = q.get('tmtitle');
  if (title && title.length <= 500) s.title = title;
  return s;
}

export function writeTmUrl(q: URLSearchParams, s: TmUrlState): void {
  q.set('tm', '1');
  if (s.dfMethod) q.set('tmdf', s.dfMethod);
  if (s.pStyle) q.set('tmp', s.pStyle);
  if (s.ci !== undefined) q.set('tmci', s.ci === false ? 'none' : String(s.ci));
  if (s.transform) q.set('tmtr', s.transform);
  const sw = Object.entries(s.switches ?? {}).map(([k, on]) => `${on ? '' : '-'}${SWITCH_KEYS[k as TmSwitch]}`);
  if (sw.length) q.set('tmsw', sw.join(','));
  if (s.digits !== undefined) q.set('tmdig', String(s.digits));
  if (s.digitsP !== undefined) q.set('tmdigp', String(s.digitsP));
  if (s.dvLabels) q.set('tmdv', s.dvLabels);
  if (s.title) q.set('tmtitle', s.title);
}

/** the address's state of the card's fields (what differs from the defaults; fields not yet valid left out) */
export function tmUrlOf(f: TmFields): TmUrlState {
  const s: TmUrlState = {};
  if (f.dfMethod !== 'wald' && (TM_DF_METHODS as readonly string[]).includes(f.dfMethod)) s.dfMethod = f.dfMethod;
  if (f.pStyle !== 'numeric' && (TM_P_STYLES as readonly string[]).includes(f.pStyle)) s.pStyle = f.pStyle;
  const level = Number(f.level.trim());
  if (!f.showCi) s.ci = false;
  else if (f.level.trim() !== '' && level > 0 && level < 1 && level !== 0.95) s.ci = level;
  if (f.transform === 'exp' || f.transform === 'none') s.transform = f.transform;
  const switches: Partial<Record<TmSwitch, boolean>> = {};
  for (const k of Object.keys(TM_SWITCHES) as TmSwitch[]) if (f.switches[k] !== TM_SWITCHES[k]) switches[k] = f.switches[k];
  if (Object.keys(switches).length) s.switches = switches;
  const dig = Number(f.digits.trim());
  if (f.digits.trim() !== '' && Number.isInteger(dig) && dig >= 0 && dig <= 15) s.digits = dig;
  const digp = Number(f.digitsP.trim());
  if (f.digitsP.trim() !== '' && Number.isInteger(digp) && digp >= 1 && digp <= 15) s.digitsP = digp;
  if (f.dvLabels.trim() !== '') s.dvLabels = f.dvLabels.trim();
  if (f.title.trim() !== '') s.title = f.title.trim();
  return s;
}

/** the card's fields of an address's state */
export function tmFieldsOf(s: TmUrlState): TmFields {
  const f = defaultTmFields();
  if (s.dfMethod) f.dfMethod = s.dfMethod;
  if (s.pStyle) f.pStyle = s.pStyle;
  if (s.ci === false) f.showCi = false;
  else if (s.ci !== undefined) f.level = String(s.ci);
  if (s.transform) f.transform = s.transform;
  Object.assign(f.switches, s.switches ?? {});
  if (s.digits !== undefined) f.digits = String(s.digits);
  if (s.digitsP !== undefined) f.digitsP = String(s.digitsP);
  f.dvLabels = s.dvLabels ?? '';
  f.title = s.title ?? '';
  return f;
}
