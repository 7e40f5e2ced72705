/**
 * Page side of zero-inflated and hurdle count GLMMs (the library's zeroInflated, glmmTMB's
 * ziformula): the family choices and what the Options say of them, and the results: the conditional
 * and zero-inflation models' coefficient tables, the random effects' variances, the NB dispersion,
 * the criteria, the observed and expected count frequencies' plot, the conditional modes' caterpillar
 * and glmmTMB's summary. The pure parts are exported for tests.
 */
import { clear, fmt, h } from './dom.js';
import { caterpillarPlot, countFrequencyPlot } from './plots.js';
import type { FamilyChoice, ZiResultMsg } from './protocol.js';
import { coefTable } from './ordinalView.js';

/** what the Options say under each zero-inflated or hurdle family */
export const ZI_NOTES: Partial<Record<FamilyChoice, string>> = {
  zi_poisson: 'Zero-inflated Poisson (glmmTMB\'s poisson with ziformula): y = 0 with probability p (logit p from the zero-inflation formula), else Poisson(μ), log μ from the formula.',
  zi_nbinom2: 'Zero-inflated negative binomial (glmmTMB\'s nbinom2 with ziformula): y = 0 with probability p, else NB2(μ, φ), Var = μ + μ²/φ.',
  hurdle_poisson: 'Hurdle Poisson (glmmTMB\'s truncated_poisson with ziformula): P(y = 0) = p from the zero formula; the positive counts a zero-truncated Poisson(μ).',
  hurdle_nbinom2: 'Hurdle negative binomial (glmmTMB\'s truncated_nbinom2 with ziformula): P(y = 0) = p from the zero formula; the positive counts a zero-truncated NB2(μ, φ).',
};

/** the common part of the note: how the fit runs */
export const ZI_FIT_NOTE = 'Fit by maximum likelihood (the Laplace approximation, all parameters in one optimization, as glmmTMB) on the CPU in float64; scalar random-effects terms (1 | g). Priors, relatedness files and nAGQ are for lmer and glmer.';

/** The cards of the lmer/glmer results that a zero-inflated fit does not have, with the reason (one line). */
export const ZI_NOT_SHOWN =
  'Not shown for a zero-inflated or hurdle fit: estimated marginal means, model tests (anova, drop1, ranova), intervals by profile or bootstrap, power, cluster-robust tests, per-group fits (lmList), optimizers (allFit), shrinkage, residual diagnostics and the predictor — the library computes them for lmer and glmer fits, not for glmmTMB\'s zero-inflated models. The Model checks card above is this fit\'s (DHARMa\'s residuals, performance\'s overdispersion and zero-inflation checks).';

/** a family's name as the page says it */
export function ziFamilyLabel(r: Pick<ZiResultMsg, 'family' | 'hurdle'>): string {
  const base = r.family.replace('truncated_', '');
  const dist = base === 'nbinom2' ? 'negative binomial (NB2)' : 'Poisson';
  return r.hurdle ? `hurdle ${dist} (glmmTMB's ${r.family})` : `zero-inflated ${dist} (glmmTMB's ${r.family})`;
}

export interface ZiEls {
  info: HTMLElement;
  cond: HTMLElement;
  zi: HTMLElement;
  varcorr: HTMLElement;
  freq: HTMLElement;
  catSelect: HTMLSelectElement;
  caterpillar: HTMLElement;
  notShown: HTMLElement;
  summary: HTMLElement;
}

/** Draws a zero-inflated fit's tables, plots and summary; returns the caterpillar's choice. */
export function renderZeroInflated(e: ZiEls, r: ZiResultMsg, fitNumber: number, width: (el: HTMLElement) => number, cat: string): string {
  const groups = Object.entries(r.ngroups).map(([g, n]) => `${g}: ${n.toLocaleString('en-US')} levels`).join(', ');
  clear(e.info,
    h('div', {}, `Zero-inflated fit ${fitNumber} on `, h('span', { class: 'backend', id: 'zi-backend' }, 'cpu'), ' — float64', ` · ${r.feval} evaluations`, ` · ${(r.elapsedMs / 1000).toFixed(2)} s`),
    h('div', {}, `${ziFamilyLabel(r)}, log link, Laplace approximation: `, h('code', {}, r.formula), ', ', r.hurdle ? 'zero model ' : 'zero-inflation ', h('code', { id: 'zi-ziformula' }, r.ziformula),
      ` · ${r.nobs.toLocaleString('en-US')} observations · ${groups}`),
    h('div', {}, 'logLik ', h('b', { id: 'zi-loglik', 'data-value': String(r.logLik) }, fmt(r.logLik, 8)),
      ` · AIC ${fmt(r.AIC, 7)} · BIC ${fmt(r.BIC, 7)} · deviance ${fmt(r.deviance, 7)} · df.resid `, h('span', { id: 'zi-dfresid' }, String(r.dfResid)), ` · ${r.df} parameters`),
    r.sigma !== null
      ? h('div', {}, 'Dispersion parameter for nbinom2 family (φ, Var = μ + μ²/φ): ', h('b', { id: 'zi-sigma', 'data-value': String(r.sigma) }, fmt(r.sigma, 4)))
      : null,
    r.converged ? null : h('div', { class: 'msg' }, 'The optimizer did not report convergence.'),
    r.messages.map((m) => h('div', { class: 'msg' }, m)),
  );
  clear(e.cond, coefTable('zi-cond-table', r.cond),
    h('p', { class: 'caption' }, `log μ = xᵀβ + zᵀb: the ${r.hurdle ? 'truncated ' : ''}count model's coefficients on the log scale.`));
  clear(e.zi, r.zi.length
    ? [coefTable('zi-zi-table', r.zi),
      h('p', { class: 'caption' }, r.hurdle ? 'logit P(y = 0): the zero (hurdle) model\'s coefficients.' : 'logit p, p the probability of a structural zero: the zero-inflation model\'s coefficients.')]
    : h('p', { class: 'caption' }, 'No zero-inflation model (~ 0).'));
  clear(e.varcorr, h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'zi-varcorr-table' },
    h('thead', {}, h('tr', {}, h('th', { class: 'text' }, 'Groups'), h('th', { class: 'text' }, 'Name'), h('th', {}, 'Variance'), h('th', {}, 'Std.Dev.'))),
    h('tbody', {}, r.varCorr.map((v) => h('tr', { 'data-group': v.group, 'data-name': v.name, 'data-variance': String(v.variance) },
      h('td', { class: 'text' }, v.group), h('td', { class: 'text name' }, v.name),
      h('td', { 'data-col': 'variance' }, fmt(v.variance)), h('td', { 'data-col': 'sd' }, fmt(v.sd))))))),
  h('p', { class: 'caption' }, 'Conditional model, on the log scale.'));
  drawZiFrequencies(e, r, width(e.freq));
  const options = r.ranef.flatMap((g, gi) => g.cnames.map((c, ci) => ({ value: `${gi}:${ci}`, label: `${g.group}: ${c}` })));
  const chosen = options.some((o) => o.value === cat) ? cat : '0:0';
  clear(e.catSelect, options.map((o) => h('option', { value: o.value, selected: o.value === chosen }, o.label)));
  drawZiCaterpillar(e, r, chosen, width(e.caterpillar));
  e.notShown.textContent = ZI_NOT_SHOWN;
  e.summary.textContent = r.summary;
  return chosen;
}

export function drawZiFrequencies(e: ZiEls, r: ZiResultMsg, width: number): void {
  const zeros = r.frequencies[0]!;
  clear(e.freq, countFrequencyPlot(r.frequencies, width),
    h('p', { class: 'caption', id: 'zi-freq-caption', 'data-zero-observed': String(zeros.observed), 'data-zero-expected': String(zeros.expected) },
      `Bars: the rows with each count; points: the fitted model's expected number, Σ_i P(y_i = k) with each row's p, μ (at the conditional modes)${r.sigma !== null ? ' and φ' : ''}. Zeros: ${zeros.observed} observed, ${fmt(zeros.expected, 5)} expected.`));
}

export function drawZiCaterpillar(e: ZiEls, r: ZiResultMsg, cat: string, width: number): void {
  const [g, c] = cat.split(':').map(Number) as [number, number];
  const grp = r.ranef[g];
  if (!grp || !grp.cnames[c]) { clear(e.caterpillar); return; }
  clear(e.caterpillar, caterpillarPlot(grp, c, width),
    h('p', { class: 'caption' }, `Conditional modes b̃ of ${grp.group} on the log scale of μ, sorted, with ±1.96 conditional SDs (glmmTMB's ranef and condVar).`));
}
