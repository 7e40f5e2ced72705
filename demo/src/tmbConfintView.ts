/**
 * The Intervals card of a glmmTMB fit (page side, the DOM): its elements, and the table of glmmTMB's
 * confint with its caption (the R call, the time), notes (the method, NA's reason), a CSV button and
 * glmmTMB's printout. The card's logic is ./tmbConfint.ts; main.ts sends its requests.
 */
import { byId, clear, fmt, fmtMs, h } from './dom.js';
import type { TmbCiMsg } from './protocol.js';
import { type TmbCiFields, tmbCiCall, tmbCiCells, tmbCiNotes } from './tmbConfint.js';

export interface TmbCiEls {
  card: HTMLElement;
  parm: HTMLSelectElement;
  level: HTMLInputElement;
  full: HTMLInputElement;
  profile: HTMLButtonElement;
  cancel: HTMLButtonElement;
  progress: HTMLElement;
  bar: HTMLProgressElement;
  progressText: HTMLElement;
  error: HTMLElement;
  out: HTMLElement;
}

export function tmbCiEls(): TmbCiEls {
  return {
    card: byId('zi-ci-card'), parm: byId<HTMLSelectElement>('zi-ci-parm'), level: byId<HTMLInputElement>('zi-ci-level'), full: byId<HTMLInputElement>('zi-ci-full'),
    profile: byId<HTMLButtonElement>('zi-ci-profile'), cancel: byId<HTMLButtonElement>('zi-ci-cancel'), progress: byId('zi-ci-progress'),
    bar: byId<HTMLProgressElement>('zi-ci-bar'), progressText: byId('zi-ci-progress-text'), error: byId('zi-ci-error'), out: byId('zi-ci'),
  };
}

export function tmbCiFieldsOfEls(e: TmbCiEls): TmbCiFields {
  return { parm: e.parm.value, level: e.level.value, full: e.full.checked };
}

/** the table (raw values in data attributes; NA as "NA" and no attribute), caption, notes, CSV button and printout */
export function renderTmbCi(e: TmbCiEls, m: TmbCiMsg, onCsv: () => void): void {
  const t = tmbCiCells(m, (x) => fmt(x, 6));
  const raw = (v: number | null) => (v === null ? null : String(v));
  clear(e.out,
    h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'zi-ci-table', 'data-method': m.request.method, 'data-level': String(m.request.level) },
      h('thead', {}, h('tr', {}, t.header.map((c, j) => h('th', { class: j === 0 ? 'text' : null }, c)))),
      h('tbody', {}, m.rows.map((r, i) => h('tr', { 'data-name': r.name, 'data-lower': raw(r.lower), 'data-upper': raw(r.upper), 'data-estimate': String(r.estimate) },
        h('td', { class: 'text name' }, r.name), t.rows[i]!.cells.map((c) => h('td', {}, c))))),
    )),
    h('p', { class: 'caption', id: 'zi-ci-caption' }, `${m.request.method === 'wald' ? 'Wald' : 'Profile'} intervals: `, h('code', {}, tmbCiCall(m.request)), m.elapsedMs >= 1 ? ` (${fmtMs(m.elapsedMs)})` : '', ' ',
      h('button', { type: 'button', id: 'zi-ci-csv', title: 'download the table as CSV', onclick: onCsv }, 'CSV')),
    h('ul', { class: 'emm-notes', id: 'zi-ci-notes' }, tmbCiNotes(m).map((n, k) => h('li', { 'data-note': k === 1 ? 'na' : 'method' }, n))),
    h('details', {}, h('summary', {}, 'as R prints it (glmmTMB\'s confint)'), h('pre', { class: 'summary', id: 'zi-ci-print' }, m.print)),
  );
}
