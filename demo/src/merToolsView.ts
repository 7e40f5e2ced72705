/**
 * The Simulation intervals card (merTools; page side, the DOM): its elements, its start for a fit shown (the
 * CSV box filled with the data's first rows, 'probability' offered for glmer fits only), and the drawing of
 * its results: REsim's table with plotREsim's intervals and panels, FEsim's table, predictInterval's table,
 * each with its R call, a CSV button and the printout. The card's logic is ./merToolsCard.ts; main.ts sends
 * its requests; the worker runs ./merToolsRun.ts.
 */
import { byId, clear, fmt, fmtMs, h } from './dom.js';
import type { MerSimMsg } from './protocol.js';
import { type MerSimFields, predictIntervalCall, reSimCalls, reSimPanels } from './merToolsCard.js';
import { reSimPlot } from './plots.js';

export interface MerSimEls {
  card: HTMLDetailsElement;
  reNsims: HTMLInputElement;
  reSeed: HTMLInputElement;
  reLevel: HTMLInputElement;
  reRun: HTMLButtonElement;
  piRows: HTMLSelectElement;
  piWhich: HTMLSelectElement;
  piLevel: HTMLInputElement;
  piNsims: HTMLInputElement;
  piSeed: HTMLInputElement;
  piType: HTMLSelectElement;
  piResid: HTMLInputElement;
  piRun: HTMLButtonElement;
  cancel: HTMLButtonElement;
  newdataLabel: HTMLElement;
  newdata: HTMLTextAreaElement;
  progress: HTMLElement;
  bar: HTMLProgressElement;
  progressText: HTMLElement;
  status: HTMLElement;
  error: HTMLElement;
  reOut: HTMLElement;
  piOut: HTMLElement;
}

export function merSimEls(): MerSimEls {
  return {
    card: byId<HTMLDetailsElement>('mersim-card'),
    reNsims: byId<HTMLInputElement>('mersim-re-nsims'), reSeed: byId<HTMLInputElement>('mersim-re-seed'), reLevel: byId<HTMLInputElement>('mersim-re-level'),
    reRun: byId<HTMLButtonElement>('mersim-re-run'),
    piRows: byId<HTMLSelectElement>('mersim-pi-rows'), piWhich: byId<HTMLSelectElement>('mersim-pi-which'), piLevel: byId<HTMLInputElement>('mersim-pi-level'),
    piNsims: byId<HTMLInputElement>('mersim-pi-nsims'), piSeed: byId<HTMLInputElement>('mersim-pi-seed'), piType: byId<HTMLSelectElement>('mersim-pi-type'),
    piResid: byId<HTMLInputElement>('mersim-pi-resid'), piRun: byId<HTMLButtonElement>('mersim-pi-run'), cancel: byId<HTMLButtonElement>('mersim-cancel'),
    newdataLabel: byId('mersim-newdata-label'), newdata: byId<HTMLTextAreaElement>('mersim-newdata'),
    progress: byId('mersim-progress'), bar: byId<HTMLProgressElement>('mersim-bar'), progressText: byId('mersim-progress-text'),
    status: byId('mersim-status'), error: byId('mersim-error'), reOut: byId('mersim-re-out'), piOut: byId('mersim-pi-out'),
  };
}

export function merSimFieldsOfEls(e: MerSimEls): MerSimFields {
  return {
    reNsims: e.reNsims.value, reSeed: e.reSeed.value, reLevel: e.reLevel.value,
    piWhich: e.piWhich.value, piLevel: e.piLevel.value, piNsims: e.piNsims.value, piSeed: e.piSeed.value,
    piType: e.piType.value, piResid: e.piResid.checked, piRows: e.piRows.value, piNewdata: e.newdata.value,
  };
}

/** a new fit shown: the CSV box filled with its data's first rows, 'probability' offered for a glmer fit, the results before cleared */
export function startMerSimCard(e: MerSimEls, o: { glmm: boolean; newdata: string }): void {
  e.newdata.value = o.newdata;
  const prob = [...e.piType.options].find((x) => x.value === 'probability');
  if (prob) prob.disabled = !o.glmm;
  if (!o.glmm) e.piType.value = 'linear.prediction';
  clear(e.reOut);
  clear(e.piOut);
  e.error.textContent = '';
  e.status.textContent = '';
  e.progress.hidden = true;
  e.cancel.disabled = true;
  e.reRun.disabled = false;
  e.piRun.disabled = false;
  updateMerSimControls(e);
}

/** the CSV box shown for the box's rows only */
export function updateMerSimControls(e: MerSimEls): void {
  e.newdataLabel.hidden = e.piRows.value !== 'edit';
}

const tableOf = (id: string, header: string[], rows: HTMLElement[], attrs: Record<string, string> = {}) =>
  h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id, ...attrs },
    h('thead', {}, h('tr', {}, header.map((c, j) => h('th', { class: j < 1 ? 'text' : null }, c)))),
    h('tbody', {}, rows)));

/** REsim's table (with plotREsim's intervals), FEsim's, plotREsim's panels, the R calls, CSV buttons and the printouts */
export function renderReSim(e: MerSimEls, m: Extract<MerSimMsg, { kind: 'resim' }>, o: { onReCsv: () => void; onFeCsv: () => void; plotWidth: number; plotButtons: (target: HTMLElement) => HTMLElement[] }): void {
  const calls = reSimCalls(m.request);
  const pct = `${Math.round(m.request.level * 1e6) / 1e4} %`;
  const panels = reSimPanels(m.re);
  const plot = h('div', { class: 'plot', id: 'mersim-plot' });
  const w = panels.length > 1 ? Math.max(240, Math.floor(o.plotWidth / 2) - 8) : o.plotWidth;
  for (const p of panels) {
    plot.append(h('div', { class: 'mersim-panel', 'data-group': p.groupFctr, 'data-term': p.term, 'data-levels': String(p.rows.length), 'data-sig': String(p.sig), style: 'display:inline-block;vertical-align:top' },
      h('div', { class: 'caption' }, `${p.groupFctr}: ${p.term} — ${p.sig} of ${p.rows.length} intervals exclude 0`),
      reSimPlot(p, m.request.level, w)));
  }
  clear(e.reOut,
    h('h4', {}, `REsim: ${m.re.length} random effects (${m.request.nsims} draws; plotREsim's ${pct} interval median ± z · sd)`),
    tableOf('mersim-re-table', ['groupFctr', 'groupID', 'term', 'mean', 'median', 'sd', 'ymin', 'ymax', 'excludes 0'],
      m.re.map((r) => h('tr', { 'data-group': r.groupFctr, 'data-level': r.groupID, 'data-term': r.term, 'data-mean': String(r.mean), 'data-median': String(r.median), 'data-sd': String(r.sd), 'data-ymin': String(r.ymin), 'data-ymax': String(r.ymax), 'data-sig': r.sig ? '1' : '0', class: r.sig ? 'sig' : null },
        h('td', { class: 'text' }, r.groupFctr), h('td', { class: 'text name' }, r.groupID), h('td', { class: 'text' }, r.term),
        h('td', {}, fmt(r.mean)), h('td', {}, fmt(r.median)), h('td', {}, fmt(r.sd)), h('td', {}, fmt(r.ymin)), h('td', {}, fmt(r.ymax)), h('td', {}, r.sig ? 'yes' : '')))),
    h('p', { class: 'caption', id: 'mersim-re-call' }, 'In R: ', h('code', {}, calls.re), ` (${fmtMs(m.elapsedMs)}; the draws are the library's, so they agree with merTools's up to Monte Carlo error) `,
      h('button', { type: 'button', id: 'mersim-re-csv', title: 'download REsim\'s table as CSV', onclick: o.onReCsv }, 'CSV')),
    h('div', {}, h('span', { class: 'plot-export' }, o.plotButtons(plot)), plot),
    h('p', { class: 'caption', id: 'mersim-plot-call' }, 'In R: ', h('code', {}, calls.plot), ' (black: the intervals that exclude 0)'),
    h('h4', {}, 'FEsim: the fixed effects'),
    tableOf('mersim-fe-table', ['term', 'mean', 'median', 'sd'],
      m.fe.map((r) => h('tr', { 'data-term': r.term, 'data-mean': String(r.mean), 'data-median': String(r.median), 'data-sd': String(r.sd) },
        h('td', { class: 'text name' }, r.term), h('td', {}, fmt(r.mean)), h('td', {}, fmt(r.median)), h('td', {}, fmt(r.sd))))),
    h('p', { class: 'caption', id: 'mersim-fe-call' }, 'In R: ', h('code', {}, calls.fe), ' ',
      h('button', { type: 'button', id: 'mersim-fe-csv', title: 'download FEsim\'s table as CSV', onclick: o.onFeCsv }, 'CSV')),
    h('details', {}, h('summary', {}, 'as printed (mixedgpu resim)'), h('pre', { class: 'summary', id: 'mersim-re-text' }, `${m.reText}\n\n${m.feText}`)),
  );
}

/** predictInterval's table (the new data's cells, fit, upr, lwr), its R call, notes, CSV button and printout */
export function renderPredictInterval(e: MerSimEls, m: Extract<MerSimMsg, { kind: 'predict' }>, o: { onCsv: () => void }): void {
  const r = m.request;
  const shown = m.cells.length;
  clear(e.piOut,
    h('h4', {}, `predictInterval: ${m.fit.length.toLocaleString('en-US')} rows, which = "${r.which}", ${Math.round(r.level * 1e6) / 1e4} % intervals (${r.nsims} draws; ${r.type === 'probability' ? 'probability' : 'linear prediction'})`),
    tableOf('mersim-pi-table', [...(m.columns.length ? m.columns : ['row']), 'fit', 'upr', 'lwr'],
      m.cells.map((row, i) => h('tr', { 'data-fit': String(m.fit[i]), 'data-upr': String(m.upr[i]), 'data-lwr': String(m.lwr[i]) },
        (m.columns.length ? row : [String(i + 1)]).map((c, j) => h('td', { class: j === 0 ? 'text' : null }, c)),
        h('td', {}, fmt(m.fit[i]!)), h('td', {}, fmt(m.upr[i]!)), h('td', {}, fmt(m.lwr[i]!))))),
    shown < m.fit.length ? h('p', { class: 'caption' }, `The first ${shown.toLocaleString('en-US')} rows; the CSV has all ${m.fit.length.toLocaleString('en-US')}.`) : null,
    h('p', { class: 'caption', id: 'mersim-pi-call' }, 'In R: ', h('code', {}, predictIntervalCall(r)), r.rows === 'edit' ? ' (nd: the rows in the box)' : '', ` (${fmtMs(m.elapsedMs)}) `,
      h('button', { type: 'button', id: 'mersim-pi-csv', title: 'download the intervals as CSV', onclick: o.onCsv }, 'CSV')),
    m.messages.length ? h('ul', { class: 'emm-notes', id: 'mersim-pi-messages' }, m.messages.map((n) => h('li', {}, n))) : null,
    h('details', {}, h('summary', {}, 'as printed (mixedgpu predictinterval)'), h('pre', { class: 'summary', id: 'mersim-pi-text' }, m.text)),
  );
}
