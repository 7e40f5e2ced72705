/**
 * Page side of nlmer fits: the start boxes (one per parameter of the formula's self-starting model, their
 * typed values kept by name while the formula changes), and the results section — the fit's line (criteria,
 * σ, the optimizers' evaluations), the fixed effects (lme4's estimates, SEs and t values), the variance
 * components (lme4's VarCorr), the fitted curves per level over the data (Observable Plot, ./plots.ts) and
 * lme4's summary printout as the library prints it. The pure parts are exported for tests.
 */
import { clear, fmt, fmtFixed, h } from './dom.js';
import { nlmerCurvesPlot } from './plots.js';
import type { NlmeAnovaRowMsg, NlmerResultMsg } from './protocol.js';

export interface NlmerEls {
  info: HTMLElement;
  fixed: HTMLElement;
  varcorr: HTMLElement;
  plot: HTMLElement;
  summary: HTMLElement;
}

/** `Asym=200,xmid=725,scal=350` (the address's `nlstart`) from the boxes' values, in the parameters' order */
export function startText(parameters: readonly string[], values: Readonly<Record<string, string>>): string {
  return parameters.filter((p) => (values[p] ?? '').trim() !== '').map((p) => `${p}=${values[p]!.trim()}`).join(',');
}

/** the boxes' values from `Asym=200,xmid=725,scal=350` (names as written; later ones win) */
export function parseStartText(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (/^[A-Za-z.][A-Za-z0-9._]*$/.test(name)) out[name] = part.slice(eq + 1).trim();
  }
  return out;
}

/** one number box per parameter, prefilled from `values`; `onInput` gets the parameter and its text */
export function renderStartBoxes(box: HTMLElement, model: string, parameters: readonly string[], values: Readonly<Record<string, string>>, onInput: (p: string, v: string) => void): void {
  clear(box, parameters.map((p) => h('label', { class: 'start-box' }, h('code', {}, p), ' ',
    h('input', {
      type: 'text', inputmode: 'decimal', spellcheck: 'false', autocomplete: 'off', size: '8', 'data-param': p, value: values[p] ?? '',
      'aria-label': `${model}'s parameter ${p}: starting value`,
      oninput: (ev: Event) => onInput(p, (ev.target as HTMLInputElement).value),
    }))));
}

export function renderNlmer(e: NlmerEls, r: NlmerResultMsg, fitNumber: number, width: number): void {
  clear(e.info,
    h('div', {}, `nlmer fit ${fitNumber} on `, h('span', { class: 'backend', id: 'nlmer-backend' }, 'cpu'), ' — float64',
      ` · evaluations ${r.feval[0]}${r.feval[1] === null ? '' : ` + ${r.feval[1]}`} (lme4's two stages)`, ` · ${(r.elapsedMs / 1000).toFixed(2)} s`),
    h('div', { id: 'nlmer-headline' }, `lme4's nlmer (${r.model}), maximum likelihood (Laplace) · `, h('code', {}, r.formula),
      ` · ${r.nobs.toLocaleString('en-US')} observations`, r.groups.map((g) => ` · ${g.name}: ${g.levels.toLocaleString('en-US')} groups`).join(''),
      ` · start ${Object.entries(r.start).map(([k, v]) => `${k} = ${v}`).join(', ')}`),
    h('div', {}, 'logLik ', h('b', { id: 'nlmer-loglik', 'data-value': String(r.logLik) }, fmt(r.logLik, 8)),
      ` · deviance ${fmt(r.deviance, 8)} · AIC `, h('span', { id: 'nlmer-aic', 'data-value': String(r.AIC) }, fmt(r.AIC, 7)),
      ` · BIC ${fmt(r.BIC, 7)} · σ `, h('b', { id: 'nlmer-sigma', 'data-value': String(r.sigma) }, fmt(r.sigma, 6))),
    r.messages.length ? h('div', { class: 'msg', id: 'nlmer-messages' }, r.messages.join(' ')) : null,
  );
  clear(e.fixed, h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'nlmer-fixed-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Parameter'), h('th', {}, 'Estimate'), h('th', {}, 'Std. Error'), h('th', {}, 't value'))),
    h('tbody', {}, r.fixef.map((f) => h('tr', { 'data-term': f.name, 'data-estimate': String(f.estimate), 'data-se': String(f.se), 'data-t': String(f.t) },
      h('td', { class: 'name' }, f.name),
      h('td', { 'data-col': 'estimate' }, fmt(f.estimate)),
      h('td', { 'data-col': 'se' }, fmt(f.se)),
      h('td', { 'data-col': 'stat' }, fmtFixed(f.t, 2)),
    ))))),
  h('p', { class: 'caption' }, r.vcovSource === 'hessian'
    ? 'Standard errors from the deviance\'s finite-difference Hessian (lme4\'s Var(β̂) = 2 H⁻¹ on β\'s block).'
    : 'Standard errors from σ̂²(R_XᵀR_X)⁻¹: the deviance\'s Hessian was not positive definite (lme4 falls back alike, with its warning).'));
  clear(e.varcorr, h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'nlmer-varcorr-table' },
    h('thead', {}, h('tr', {}, h('th', { class: 'text' }, 'Groups'), h('th', { class: 'text' }, 'Name'), h('th', {}, 'Variance'), h('th', {}, 'Std.Dev.'), h('th', { class: 'text' }, 'Corr with'))),
    h('tbody', {}, r.varcorr.map((v) => h('tr', { 'data-group': v.group, 'data-name': v.var1 ?? '', 'data-var2': v.var2 ?? '', 'data-vcov': String(v.vcov), 'data-sdcor': String(v.sdcor) },
      h('td', { class: 'text' }, v.group),
      h('td', { class: 'text name' }, v.var1 ?? ''),
      h('td', {}, v.var2 === null ? fmt(v.vcov) : ''),
      h('td', {}, v.var2 === null ? fmt(v.sdcor) : fmtFixed(v.sdcor, 3)),
      h('td', { class: 'text' }, v.var2 ?? ''),
    ))))));
  drawNlmerCurves(e, r, width);
  e.summary.textContent = r.summary;
}

/** the fitted curves at the container's width (drawn again when the page is resized) */
export function drawNlmerCurves(e: Pick<NlmerEls, 'plot'>, r: NlmerResultMsg, width: number): void {
  const c = r.curves;
  clear(e.plot, nlmerCurvesPlot(c, width),
    h('p', { class: 'caption', id: 'nlmer-curves-caption', 'data-levels': String(c.levels.length), 'data-total': String(c.total) },
      `Each ${c.group} level's fitted curve (the model at its conditional modes, the library's predict) over its data`
      + (c.total > c.levels.length ? `: ${c.levels.length} of ${c.total} levels, evenly spread.` : '.')));
}

/** nlme's anova(fit1, fit2) table of two lme/gls fits, with its printout */
export function nlmeAnovaTable(rows: NlmeAnovaRowMsg[], print: string): HTMLElement {
  return h('div', {},
    h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'nlme-anova-table' },
      h('thead', {}, h('tr', {}, h('th', { class: 'text' }, ''), h('th', {}, 'Model'), h('th', {}, 'df'), h('th', {}, 'AIC'), h('th', {}, 'BIC'), h('th', {}, 'logLik'),
        h('th', { class: 'text' }, 'Test'), h('th', {}, 'L.Ratio'), h('th', {}, 'p-value'))),
      h('tbody', {}, rows.map((r) => h('tr', { 'data-fit': String(r.fit), 'data-name': r.name, 'data-df': String(r.df), 'data-aic': String(r.AIC), 'data-bic': String(r.BIC), 'data-loglik': String(r.logLik), 'data-lratio': r.L_Ratio === null ? '' : String(r.L_Ratio), 'data-p': r.p === null ? '' : String(r.p) },
        h('td', { class: 'text name' }, r.name),
        h('td', {}, String(r.model)),
        h('td', { 'data-col': 'df' }, String(r.df)),
        h('td', { 'data-col': 'AIC' }, fmt(r.AIC, 7)),
        h('td', { 'data-col': 'BIC' }, fmt(r.BIC, 7)),
        h('td', { 'data-col': 'logLik' }, fmt(r.logLik, 7)),
        h('td', { class: 'text' }, r.test ?? ''),
        h('td', { 'data-col': 'L.Ratio' }, r.L_Ratio === null ? '' : fmt(r.L_Ratio, 7)),
        h('td', { 'data-col': 'p' }, r.p === null ? '' : r.p < 1e-4 ? '<.0001' : fmtFixed(r.p, 4)),
      ))))),
    h('p', { class: 'caption' }, 'nlme\'s anova(fit1, fit2): L.Ratio = 2 |logLik₂ − logLik₁| on χ² with |df₂ − df₁| df. Fits by REML must have the same fixed effects (refit by ML to compare others), as nlme requires.'),
    h('pre', { class: 'summary', id: 'nlme-anova-print' }, print));
}
