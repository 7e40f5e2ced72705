/**
 * Page side of nlme fits (lme, gls): the results section — the fit's line (function, method, criteria, σ),
 * nlme's fixed-effects table (Value, Std.Error, DF, t-value, p-value: the library's numbers, each cell
 * carrying its full value), the random effects' SDs, the variance function's and correlation structure's
 * estimates, and nlme's summary printout as the library prints it. The pure parts are exported for tests.
 */
import { clear, fmt, fmtFixed, fmtP, h } from './dom.js';
import type { NlmeResultMsg } from './protocol.js';

export interface NlmeEls {
  info: HTMLElement;
  fixed: HTMLElement;
  struct: HTMLElement;
  summary: HTMLElement;
}

/** the fit's first line: which nlme function, how it was asked for */
export function nlmeHeadline(r: Pick<NlmeResultMsg, 'fn' | 'method' | 'weights' | 'correlation' | 'group'>): string {
  const parts = [r.weights ? `weights = ${r.weights}` : null, r.correlation ? `correlation = ${r.correlation}` : null].filter((x) => x !== null);
  const what = r.fn === 'lme' ? `nlme's lme (random effects by ${r.group!.name})` : 'nlme\'s gls (no random effects)';
  return `${what}, ${r.method}: ${parts.join(', ')}`;
}

export function renderNlme(e: NlmeEls, r: NlmeResultMsg, fitNumber: number): void {
  clear(e.info,
    h('div', {}, `nlme fit ${fitNumber} on `, h('span', { class: 'backend', id: 'nlme-backend' }, 'cpu'), ' — float64', ` · ${r.feval} evaluations`, ` · ${(r.elapsedMs / 1000).toFixed(2)} s`),
    h('div', { id: 'nlme-headline' }, nlmeHeadline(r), ' · ', h('code', {}, r.formula),
      ` · ${r.nobs.toLocaleString('en-US')} observations`, r.group ? ` · ${r.group.name}: ${r.group.levels.toLocaleString('en-US')} groups` : ''),
    h('div', {}, 'logLik ', h('b', { id: 'nlme-loglik', 'data-value': String(r.logLik) }, fmt(r.logLik, 8)),
      ` · AIC ${fmt(r.AIC, 7)} · BIC ${fmt(r.BIC, 7)} · σ `, h('b', { id: 'nlme-sigma', 'data-value': String(r.sigma) }, fmt(r.sigma, 6))),
    r.converged ? null : h('div', { class: 'msg' }, 'The optimizer did not report convergence.'),
  );
  clear(e.fixed, h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'nlme-fixed-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Term'), h('th', {}, 'Value'), h('th', {}, 'Std.Error'), h('th', {}, 'DF'), h('th', {}, 't-value'), h('th', {}, 'p-value'))),
    h('tbody', {}, r.tTable.map((t) => h('tr', { 'data-term': t.name, 'data-estimate': String(t.Value), 'data-se': String(t.StdError), 'data-df': String(t.DF), 'data-t': String(t.t), 'data-p': String(t.p) },
      h('td', { class: 'name' }, t.name),
      h('td', { 'data-col': 'estimate' }, fmt(t.Value)),
      h('td', { 'data-col': 'se' }, fmt(t.StdError)),
      h('td', { 'data-col': 'df' }, String(t.DF)),
      h('td', { 'data-col': 'stat' }, fmtFixed(t.t, 3)),
      h('td', { 'data-col': 'p' }, fmtP(t.p)),
    ))))),
  h('p', { class: 'caption' }, r.fn === 'lme' ? 'nlme\'s denominator DF: each term\'s by the grouping level at which it varies.' : 'gls: t tests on n − p DF (nlme\'s summary prints no DF column).'));
  const structRows = (s: NonNullable<NlmeResultMsg['varStruct']>, id: string) => h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id },
    h('caption', {}, `${s.structure} (${s.formula})`),
    h('tbody', {}, s.names.map((n, i) => h('tr', { 'data-name': n, 'data-value': String(s.values[i]) }, h('td', { class: 'text name' }, n), h('td', {}, fmt(s.values[i]!)))))));
  clear(e.struct,
    r.stdDev.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'nlme-stddev-table' },
      h('thead', {}, h('tr', {}, h('th', { class: 'text' }, 'Name'), h('th', {}, 'StdDev'))),
      h('tbody', {}, r.stdDev.map((s) => h('tr', { 'data-name': s.name, 'data-value': String(s.sd) }, h('td', { class: 'text name' }, s.name), h('td', {}, fmt(s.sd))))))) : null,
    r.varStruct ? structRows(r.varStruct, 'nlme-varstruct-table') : null,
    r.corStruct ? structRows(r.corStruct, 'nlme-corstruct-table') : null,
  );
  e.summary.textContent = r.summary;
}
