/**
 * The Multiple comparisons card (page side, the DOM): its elements, the choices it offers for the fit shown
 * (the fixed part's factors, multcomp's contrast types, Dunnett's base level, the tests), and the drawing of
 * its result: multcomp's summary table (Estimate, Std. Error, z value, the adjusted p) with the R call, the
 * simultaneous intervals' table and plot (plot.confint.glht's look), a CSV button and multcomp's printouts.
 * The card's logic is ./glhtCard.ts; main.ts sends its requests; the worker runs ./glhtRun.ts.
 */
import { byId, clear, fmt, fmtFixed, fmtMs, h } from './dom.js';
import type { EmmVariable, GlhtMsg } from './protocol.js';
import { CONTRAST_TYPES, GLHT_TESTS, MAXSETS_LIMIT, type GlhtFields, defaultGlhtFields, glhtCalls, glhtFactors, glhtPlotRows, glhtPText, glhtSummaryHeader, glhtSummaryNote } from './glhtCard.js';
import { glhtPlot } from './plots.js';

export interface GlhtEls {
  card: HTMLDetailsElement;
  factor: HTMLSelectElement;
  type: HTMLSelectElement;
  baseLabel: HTMLElement;
  base: HTMLSelectElement;
  alternative: HTMLSelectElement;
  test: HTMLSelectElement;
  level: HTMLInputElement;
  /** mcp's interaction_average and covariate_average */
  interactionAverage: HTMLInputElement;
  covariateAverage: HTMLInputElement;
  run: HTMLButtonElement;
  status: HTMLElement;
  error: HTMLElement;
  out: HTMLElement;
}

export function glhtEls(): GlhtEls {
  return {
    card: byId<HTMLDetailsElement>('glht-card'), factor: byId<HTMLSelectElement>('glht-factor'), type: byId<HTMLSelectElement>('glht-type'),
    baseLabel: byId('glht-base-label'), base: byId<HTMLSelectElement>('glht-base'), alternative: byId<HTMLSelectElement>('glht-alternative'),
    test: byId<HTMLSelectElement>('glht-test'), level: byId<HTMLInputElement>('glht-level'),
    interactionAverage: byId<HTMLInputElement>('glht-interaction-average'), covariateAverage: byId<HTMLInputElement>('glht-covariate-average'), run: byId<HTMLButtonElement>('glht-run'),
    status: byId('glht-status'), error: byId('glht-error'), out: byId('glht-out'),
  };
}

export function glhtFieldsOfEls(e: GlhtEls): GlhtFields {
  return {
    factor: e.factor.value, type: e.type.value, base: e.base.value, alternative: e.alternative.value, test: e.test.value, level: e.level.value,
    interactionAverage: e.interactionAverage.checked, covariateAverage: e.covariateAverage.checked,
  };
}

/** a select's options, the value before kept where it is still offered */
function fill(sel: HTMLSelectElement, options: { value: string; text: string }[]): void {
  const before = sel.value;
  clear(sel, options.map((o) => h('option', { value: o.value }, o.text)));
  if (options.some((o) => o.value === before)) sel.value = before;
}

/** what a test's option says */
function testLabel(t: string): string {
  if (t === 'single-step') return 'single-step (multcomp\'s default)';
  if (t === 'Shaffer' || t === 'Westfall') return `${t} (logical constraints; up to ${MAXSETS_LIMIT} hypotheses)`;
  if (t === 'univariate') return 'univariate (unadjusted)';
  if (t === 'Chisq' || t === 'F') return `${t} (global test)`;
  return `${t} (p.adjust)`;
}

/** a new fit shown: its factors offered (the one chosen before kept where this fit has it), the result before cleared */
export function startGlhtCard(e: GlhtEls, vars: readonly EmmVariable[]): void {
  const factors = glhtFactors(vars);
  fill(e.factor, factors.map((v) => ({ value: v.name, text: `${v.name} (${v.levels.length} levels)` })));
  if (e.type.options.length === 0) {
    // the card's first choices: Tukey's all-pairwise comparisons (multcomp's mcp needs a type; Tukey is its examples')
    fill(e.type, CONTRAST_TYPES.map((t) => ({ value: t, text: t })));
    e.type.value = defaultGlhtFields().type;
  }
  if (e.test.options.length === 0) fill(e.test, GLHT_TESTS.map((t) => ({ value: t, text: testLabel(t) })));
  clear(e.out);
  e.error.textContent = '';
  e.status.textContent = factors.length ? '' : 'The fixed part has no factor: there are no levels to compare.';
  e.run.disabled = factors.length === 0;
  updateGlhtControls(e, vars);
}

/** the base level's choices (Dunnett only): the chosen factor's levels, the first (mcp's own) by default */
export function updateGlhtControls(e: GlhtEls, vars: readonly EmmVariable[]): void {
  const v = glhtFactors(vars).find((x) => x.name === e.factor.value);
  e.baseLabel.hidden = e.type.value !== 'Dunnett';
  fill(e.base, (v?.levels ?? []).map((l, k) => ({ value: k === 0 ? '' : l, text: k === 0 ? `${l} (first)` : l })));
}

/** the summary table, the intervals' table and plot, the R calls, the CSV button and multcomp's printouts */
export function renderGlht(e: GlhtEls, m: GlhtMsg, o: { onCsv: () => void; plotWidth: number; plotButtons: (target: HTMLElement) => HTMLElement[] }): void {
  const calls = glhtCalls(m.request);
  const header = glhtSummaryHeader(m);
  const plot = h('div', { class: 'plot', id: 'glht-plot' });
  const { rows, domain } = glhtPlotRows(m);
  plot.append(glhtPlot(rows, domain, m.request.level, o.plotWidth));
  clear(e.out,
    h('h4', {}, `Simultaneous tests${m.type ? `: ${m.type} contrasts` : ''}`),
    h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'glht-table', 'data-test': m.request.test, 'data-type': m.type ?? '' },
      h('thead', {}, h('tr', {}, header.map((c, j) => h('th', { class: j === 0 ? 'text' : null }, c)))),
      h('tbody', {}, m.rows.map((r) => h('tr', { 'data-name': r.name, 'data-estimate': String(r.estimate), 'data-se': String(r.se), 'data-statistic': String(r.statistic), 'data-p': r.p === null ? null : String(r.p) },
        h('td', { class: 'text name' }, r.name), h('td', {}, fmt(r.estimate)), h('td', {}, fmt(r.se)), h('td', {}, fmtFixed(r.statistic, 3)),
        m.global ? null : h('td', {}, glhtPText(r.p, m.error))))),
    )),
    h('p', { class: 'caption', id: 'glht-note' }, glhtSummaryNote(m)),
    h('p', { class: 'caption', id: 'glht-call' }, 'In R: ', h('code', {}, calls.summary), ` (${fmtMs(m.elapsedMs)}) `,
      h('button', { type: 'button', id: 'glht-csv', title: 'download the tables as CSV', onclick: o.onCsv }, 'CSV')),
    m.messages.length ? h('ul', { class: 'emm-notes', id: 'glht-messages' }, m.messages.map((n) => h('li', {}, n))) : null,
    h('h4', {}, `Simultaneous confidence intervals (${Math.round(m.request.level * 1e6) / 1e4} % family-wise; quantile ${m.quantile.toFixed(4)})`),
    h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'glht-ci-table', 'data-level': String(m.request.level), 'data-quantile': String(m.quantile) },
      h('thead', {}, h('tr', {}, h('th', { class: 'text' }, 'Hypothesis'), h('th', {}, 'Estimate'), h('th', {}, 'lwr'), h('th', {}, 'upr'))),
      h('tbody', {}, m.rows.map((r) => h('tr', { 'data-name': r.name, 'data-lower': String(r.lower), 'data-upper': String(r.upper) },
        h('td', { class: 'text name' }, r.name), h('td', {}, fmt(r.estimate)), h('td', {}, fmt(r.lower)), h('td', {}, fmt(r.upper))))),
    )),
    h('p', { class: 'caption', id: 'glht-ci-call' }, 'In R: ', h('code', {}, calls.confint)),
    h('div', {}, h('span', { class: 'plot-export' }, o.plotButtons(plot)), plot),
    h('details', {}, h('summary', {}, 'as multcomp prints them'), h('pre', { class: 'summary', id: 'glht-text' }, `${m.summaryText}\n\n${m.confintText}`)),
  );
}
