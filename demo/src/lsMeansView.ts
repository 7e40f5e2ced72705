/**
 * The Least-squares means card (page side, the DOM): its elements, the factor terms it offers for the lmer
 * fit shown, and the drawing of its result: lmerTest's table (estimate, SE, df, t, the interval, p; NA rows
 * as NA) with the R call, a CSV button, the library's messages, lmerTest's printout and show_tests's
 * contrast matrices. The card's logic is ./lsMeansCard.ts; main.ts sends its requests; the worker runs
 * ./lsMeansRun.ts.
 */
import { byId, clear, fmtMs, h } from './dom.js';
import type { LsmMsg } from './protocol.js';
import { LSM_HEADER, type LsmFields, lsmCall, lsmCells } from './lsMeansCard.js';

export interface LsmEls {
  card: HTMLDetailsElement;
  which: HTMLSelectElement;
  pairwise: HTMLInputElement;
  ddfNote: HTMLElement;
  level: HTMLInputElement;
  run: HTMLButtonElement;
  status: HTMLElement;
  error: HTMLElement;
  out: HTMLElement;
}

export function lsmEls(): LsmEls {
  return {
    card: byId<HTMLDetailsElement>('lsm-card'), which: byId<HTMLSelectElement>('lsm-which'), pairwise: byId<HTMLInputElement>('lsm-pairwise'),
    ddfNote: byId('lsm-ddf'), level: byId<HTMLInputElement>('lsm-level'), run: byId<HTMLButtonElement>('lsm-run'),
    status: byId('lsm-status'), error: byId('lsm-error'), out: byId('lsm-out'),
  };
}

/** the card's fields, the ddf the page's (the fixed-effects card's df method) */
export function lsmFieldsOfEls(e: LsmEls, ddf: string): LsmFields {
  return { which: e.which.value, pairwise: e.pairwise.checked, ddf, level: e.level.value };
}

/** the df the card uses, as the fixed-effects card names it */
export function showLsmDdf(e: LsmEls, ddf: string): void {
  e.ddfNote.textContent = `df: ${ddf === 'kenward-roger' ? 'Kenward–Roger' : 'Satterthwaite'} (the fixed effects' choice)`;
}

/**
 * A new fit shown: its factor terms offered (every term first: ls_means's default; the one chosen before
 * kept where this fit has it), the result before cleared; for a fit other than lmer, lmerTest's refusal.
 */
export function startLsmCard(e: LsmEls, terms: readonly string[] | null, want?: string): void {
  const before = want ?? e.which.value;
  clear(e.which, h('option', { value: '' }, 'all factor terms'), (terms ?? []).map((t) => h('option', { value: t }, t)));
  if (terms?.includes(before)) e.which.value = before;
  clear(e.out);
  e.error.textContent = '';
  delete e.error.dataset.field;
  e.status.textContent = terms === null ? "lmerTest's ls_means is for lmer fits: for this fit, the estimated marginal means card (emmeans)."
    : terms.length === 0 ? "The fixed part has no factor term: lmerTest's least-squares means are of terms of factors only." : '';
  e.run.disabled = !terms || terms.length === 0;
}

/** the table with the R call and CSV button, the library's messages, lmerTest's printout and show_tests */
export function renderLsm(e: LsmEls, m: LsmMsg, o: { onCsv: () => void }): void {
  const lvl = Math.round(m.request.level * 1e6) / 1e4;
  clear(e.out,
    h('h4', {}, `${m.request.pairwise ? 'Differences of least-squares means' : 'Least-squares means'} (${m.ddf === 'kenward-roger' ? 'Kenward–Roger' : 'Satterthwaite'} df, ${lvl} % intervals)`),
    h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'lsm-table', 'data-ddf': m.ddf, 'data-pairwise': String(m.request.pairwise) },
      h('thead', {}, h('tr', {}, LSM_HEADER.map((c, j) => h('th', { class: j === 0 ? 'text' : null }, c)))),
      h('tbody', {}, m.rows.map((r) => h('tr', {
        'data-name': r.name, 'data-term': r.term, 'data-estimate': String(r.estimate), 'data-se': String(r.se), 'data-df': String(r.df),
        'data-t': String(r.t), 'data-lower': String(r.lower), 'data-upper': String(r.upper), 'data-p': String(r.p),
      }, lsmCells(r).map((c, j) => h('td', { class: j === 0 ? 'text name' : null }, c))))),
    )),
    h('p', { class: 'caption', id: 'lsm-call' }, 'In R (lmerTest): ', h('code', {}, lsmCall(m.request)), ` (${fmtMs(m.elapsedMs)}) `,
      h('button', { type: 'button', id: 'lsm-csv', title: 'download the table as CSV', onclick: o.onCsv }, 'CSV')),
    m.messages.length ? h('ul', { class: 'emm-notes', id: 'lsm-messages' }, m.messages.map((n) => h('li', {}, n))) : null,
    h('details', {}, h('summary', {}, 'as lmerTest prints it'), h('pre', { class: 'summary', id: 'lsm-text' }, m.text)),
    h('details', {}, h('summary', {}, 'the contrast matrices (show_tests)'), h('pre', { class: 'summary', id: 'lsm-show-tests' }, m.showTestsText)),
  );
}
