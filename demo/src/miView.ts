/**
 * The Multiple imputation card (mitml, mice; page side, the DOM): its elements, its start for the data loaded
 * (the imputation columns offered, .imp chosen where there is one), and the drawing of its results: mitml's
 * testEstimates table (with extra.pars), mice's pool summary, and testModels against the null model, each with
 * its R calls, a CSV button and its printout. The card's logic is ./miCard.ts; main.ts sends its requests; the
 * worker runs ./miRun.ts.
 */
import { byId, clear, fmt, fmtMs, fmtP, h } from './dom.js';
import type { MiMsg } from './protocol.js';
import { type MiFields, miCalls } from './miCard.js';

export interface MiEls {
  panel: HTMLElement;
  card: HTMLDetailsElement;
  imp: HTMLSelectElement;
  extra: HTMLInputElement;
  dfCom: HTMLInputElement;
  nullFormula: HTMLInputElement;
  method: HTMLSelectElement;
  use: HTMLSelectElement;
  run: HTMLButtonElement;
  cancel: HTMLButtonElement;
  progress: HTMLElement;
  bar: HTMLProgressElement;
  progressText: HTMLElement;
  error: HTMLElement;
  out: HTMLElement;
}

export function miEls(): MiEls {
  return {
    panel: byId('mi-panel'), card: byId<HTMLDetailsElement>('mi-card'), imp: byId<HTMLSelectElement>('mi-imp'), extra: byId<HTMLInputElement>('mi-extra'),
    dfCom: byId<HTMLInputElement>('mi-dfcom'), nullFormula: byId<HTMLInputElement>('mi-null'), method: byId<HTMLSelectElement>('mi-method'), use: byId<HTMLSelectElement>('mi-use'),
    run: byId<HTMLButtonElement>('mi-run'), cancel: byId<HTMLButtonElement>('mi-cancel'),
    progress: byId('mi-progress'), bar: byId<HTMLProgressElement>('mi-bar'), progressText: byId('mi-progress-text'), error: byId('mi-error'), out: byId('mi-out'),
  };
}

export function miFieldsOfEls(e: MiEls): MiFields {
  return { imp: e.imp.value, extraPars: e.extra.checked, dfCom: e.dfCom.value, nullFormula: e.nullFormula.value, method: e.method.value, use: e.use.value };
}

/** new data loaded: the imputation columns offered (`chosen` selected), the panel shown where there is one, opened where `open` */
export function startMiCard(e: MiEls, columns: string[], chosen: string | undefined, open: boolean): void {
  clear(e.imp, columns.map((c) => h('option', { value: c }, c)));
  if (chosen && columns.includes(chosen)) e.imp.value = chosen;
  e.panel.hidden = columns.length === 0;
  e.card.open = open && columns.length > 0;
  clear(e.out);
  e.error.textContent = '';
  delete e.error.dataset.field;
  e.progress.hidden = true;
  e.run.disabled = false;
  e.cancel.disabled = true;
}

const tableOf = (id: string, header: string[], rows: HTMLElement[]) =>
  h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id },
    h('thead', {}, h('tr', {}, header.map((c, j) => h('th', { class: j < 1 ? 'text' : null }, c)))),
    h('tbody', {}, rows)));

const call = (id: string, lines: (string | null)[], after: (HTMLElement | string | null)[]) =>
  h('p', { class: 'caption', id }, 'In R: ', h('code', {}, lines.filter((l): l is string => l !== null).join('; ')), ' ', ...after);

/** testEstimates's table (and extra.pars), mice's pool summary, testModels's row: each with its R calls, CSV button and printout */
export function renderMi(e: MiEls, m: MiMsg, o: { onEstimatesCsv: () => void; onPoolCsv: () => void; onTestCsv: () => void }): void {
  const c = miCalls(m.request);
  const csvButton = (id: string, what: string, onclick: () => void) => h('button', { type: 'button', id, title: `download ${what} as CSV`, onclick }, 'CSV');
  clear(e.out,
    h('h4', {}, `testEstimates: ${m.kind} pooled over ${m.m} imputed data sets (${fmtMs(m.elapsedMs)})`),
    tableOf('mi-est-table', ['term', 'Estimate', 'Std.Error', 't.value', 'df', 'P(>|t|)', 'RIV', 'FMI'],
      m.estimates.map((r) => h('tr', { 'data-term': r.term, 'data-estimate': String(r.estimate), 'data-se': String(r.se), 'data-df': String(r.df), 'data-p': String(r.p), 'data-riv': String(r.riv), 'data-fmi': String(r.fmi) },
        h('td', { class: 'text name' }, r.term), h('td', {}, fmt(r.estimate)), h('td', {}, fmt(r.se)), h('td', {}, fmt(r.t)), h('td', {}, fmt(r.df)), h('td', {}, fmtP(r.p)),
        h('td', {}, fmt(r.riv)), h('td', {}, fmt(r.fmi))))),
    m.extraPars ? tableOf('mi-extra-table', ['variance component', 'Estimate'],
      m.extraPars.map((r) => h('tr', { 'data-term': r.term, 'data-estimate': String(r.estimate) }, h('td', { class: 'text name' }, r.term), h('td', {}, fmt(r.estimate))))) : null,
    call('mi-est-call', [c.implist, c.fit, c.estimates], [csvButton('mi-est-csv', "testEstimates's table", o.onEstimatesCsv)]),
    h('details', {}, h('summary', {}, 'as mitml prints it'), h('pre', { class: 'summary', id: 'mi-est-text' }, m.estimatesText)),
    h('h4', {}, `mice's pool (df.com ${fmt(m.pool[0]?.dfcom ?? NaN)}${m.request.dfCom === null ? ": mice's default for merMod fits, n − the parameters" : ''})`),
    tableOf('mi-pool-table', ['term', 'estimate', 'std.error', 'statistic', 'df', 'p.value', 'riv', 'lambda', 'fmi'],
      m.pool.map((r) => h('tr', { 'data-term': r.term, 'data-estimate': String(r.estimate), 'data-se': String(r.std_error), 'data-df': String(r.df), 'data-p': String(r.p_value) },
        h('td', { class: 'text name' }, r.term), h('td', {}, fmt(r.estimate)), h('td', {}, fmt(r.std_error)), h('td', {}, fmt(r.statistic)), h('td', {}, fmt(r.df)), h('td', {}, fmtP(r.p_value)),
        h('td', {}, fmt(r.riv)), h('td', {}, fmt(r.lambda)), h('td', {}, fmt(r.fmi))))),
    call('mi-pool-call', [c.pool], [csvButton('mi-pool-csv', "the pool summary (all of mice's columns)", o.onPoolCsv)]),
    h('details', {}, h('summary', {}, 'as a table (summary(pool(fit))\'s columns)'), h('pre', { class: 'summary', id: 'mi-pool-text' }, m.poolText)),
    m.test ? h('h4', {}, `testModels: ${m.request.nullFormula} against the model (${m.test.method}${m.test.method === 'D2' ? `, ${m.test.use}` : ''})`) : null,
    m.test ? tableOf('mi-test-table', ['', 'F.value', 'df1', 'df2', 'P(>F)', 'RIV'],
      [h('tr', { 'data-f': String(m.test.F), 'data-df1': String(m.test.df1), 'data-df2': String(m.test.df2), 'data-p': String(m.test.p), 'data-riv': String(m.test.riv) },
        h('td', { class: 'text' }, m.test.method), h('td', {}, fmt(m.test.F)), h('td', {}, String(m.test.df1)), h('td', {}, fmt(m.test.df2)), h('td', {}, fmtP(m.test.p)), h('td', {}, fmt(m.test.riv)))]) : null,
    m.test ? call('mi-test-call', [c.fit0, c.test], [csvButton('mi-test-csv', "testModels's row", o.onTestCsv)]) : null,
    m.testText ? h('details', {}, h('summary', {}, 'as mitml prints it'), h('pre', { class: 'summary', id: 'mi-test-text' }, m.testText)) : null,
  );
}
