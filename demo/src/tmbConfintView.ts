/**
 * The Intervals card of a glmmTMB fit (page side, the DOM): its elements, and the table of glmmTMB's
 * confint with its caption (the R call, the time), notes (the method, NA's reason), a CSV button and
 * glmmTMB's printout; with method "profile" the profile's plot (ζ against each parameter, the ends marked)
 * and its CSV (glmmTMB's data frame). The card's logic is ./tmbConfint.ts; main.ts sends its requests.
 */
import { byId, clear, fmt, fmtMs, h } from './dom.js';
import { tmbProfilePlot } from './plots.js';
import type { TmbCiMsg } from './protocol.js';
import { type TmbCiFields, tmbCiCall, tmbCiCells, tmbCiNotes, tmbProfileSeries } from './tmbConfint.js';

export interface TmbCiEls {
  card: HTMLElement;
  parm: HTMLSelectElement;
  level: HTMLInputElement;
  full: HTMLInputElement;
  profile: HTMLButtonElement;
  /** method "profile": glmmTMB's profile, its plot and the spline's ends */
  spline: HTMLButtonElement;
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
    profile: byId<HTMLButtonElement>('zi-ci-profile'), spline: byId<HTMLButtonElement>('zi-ci-spline'), cancel: byId<HTMLButtonElement>('zi-ci-cancel'), progress: byId('zi-ci-progress'),
    bar: byId<HTMLProgressElement>('zi-ci-bar'), progressText: byId('zi-ci-progress-text'), error: byId('zi-ci-error'), out: byId('zi-ci'),
  };
}

export function tmbCiFieldsOfEls(e: TmbCiEls): TmbCiFields {
  return { parm: e.parm.value, level: e.level.value, full: e.full.checked };
}

/**
 * the table (raw values in data attributes; NA as "NA" and no attribute), caption, notes, CSV button and printout;
 * method "profile": the intervals' error in place of the table where there is one, then the profile plot of each
 * parameter (drawn at `width`) with its CSV button
 */
export function renderTmbCi(e: TmbCiEls, m: TmbCiMsg, onCsv: () => void, profile?: { width: number; onCsv: () => void }): void {
  const t = tmbCiCells(m, (x) => fmt(x, 6));
  const raw = (v: number | null) => (v === null ? null : String(v));
  clear(e.out,
    m.intervalError !== null ? h('p', { class: 'error', id: 'zi-ci-interval-error', role: 'alert' }, `No intervals from the profile: ${m.intervalError}`) : h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'zi-ci-table', 'data-method': m.request.method, 'data-level': String(m.request.level) },
      h('thead', {}, h('tr', {}, t.header.map((c, j) => h('th', { class: j === 0 ? 'text' : null }, c)))),
      h('tbody', {}, m.rows.map((r, i) => h('tr', { 'data-name': r.name, 'data-lower': raw(r.lower), 'data-upper': raw(r.upper), 'data-estimate': String(r.estimate) },
        h('td', { class: 'text name' }, r.name), t.rows[i]!.cells.map((c) => h('td', {}, c))))),
    )),
    h('p', { class: 'caption', id: 'zi-ci-caption' }, `${m.request.method === 'wald' ? 'Wald' : 'Profile'} intervals: `, h('code', {}, tmbCiCall(m.request)), m.elapsedMs >= 1 ? ` (${fmtMs(m.elapsedMs)})` : '', ' ',
      m.intervalError !== null ? null : h('button', { type: 'button', id: 'zi-ci-csv', title: 'download the table as CSV', onclick: onCsv }, 'CSV')),
    h('ul', { class: 'emm-notes', id: 'zi-ci-notes' }, tmbCiNotes(m).map((n, k) => h('li', { 'data-note': k === 0 ? 'method' : 'na' }, n))),
    m.intervalError !== null ? null : h('details', {}, h('summary', {}, 'as R prints it (glmmTMB\'s confint)'), h('pre', { class: 'summary', id: 'zi-ci-print' }, m.print)),
    m.profile && profile ? profileSection(m, profile.width, profile.onCsv) : null,
  );
}

/** the profile's plots, one per parameter, their caption and the data frame's CSV button */
function profileSection(m: TmbCiMsg, width: number, onCsv: () => void): HTMLElement {
  const series = tmbProfileSeries(m);
  const each = series.length > 1 ? Math.max(240, Math.floor((width - 16) / 2)) : width;
  const pct = `${Math.round(m.request.level * 1e6) / 1e4} %`;
  return h('div', { id: 'zi-ci-profile-plots' },
    h('div', { class: 'cards' }, series.map((s) => h('div', { class: 'profile-plot', 'data-par': s.name, 'data-position': String(s.position), 'data-points': String(s.points.length) }, tmbProfilePlot(s, each)))),
    h('p', { class: 'caption', id: 'zi-ci-profile-caption' },
      `The likelihood profiles (glmmTMB's profile(fit, level_max = ${m.request.level})): ζ = sign(x − x̂) √(2 value) against each parameter x (.focal), value the −log L difference from its least point, so 2 value the deviance difference — lme4's scale (xyplot of a profile), on which a straight line is a quadratic, Wald-like profile; glmmTMB's own example plots √value with a line at 1.96, which on this scale is the ${pct} level's ±z = ±${fmt(series[0]?.z ?? NaN, 4)} (dashed). Red: the interval's ends; an NA end is not drawn.`,
      series.some((s) => s.naPoints > 0) ? ` Points where the optimization failed (value NA) are left out: ${series.filter((s) => s.naPoints > 0).map((s) => `${s.name} ${s.naPoints}`).join(', ')}.` : '',
      ' ', h('button', { type: 'button', id: 'zi-ci-profile-csv', title: 'download glmmTMB\'s profile data frame (.par, .focal, value) as CSV', onclick: onCsv }, 'profile CSV')),
  );
}
