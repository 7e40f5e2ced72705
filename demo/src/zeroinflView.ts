/**
 * Page side of glmmTMB fits (the library's zeroInflated): zero-inflated and hurdle count GLMMs (glmmTMB's
 * ziformula), beta and gaussian GLMMs, each with glmmTMB's dispformula: the family choices and what the
 * Options say of them, and the results: the conditional, zero-inflation and dispersion models'
 * coefficient tables, the random effects' variances, the dispersion, the criteria, the observed and
 * expected count frequencies' plot (beta and gaussian: the response's histogram with the expected number
 * per bin), the conditional modes' caterpillar and glmmTMB's summary. The pure parts are exported for tests.
 */
import { clear, fmt, h } from './dom.js';
import { caterpillarPlot, countFrequencyPlot, responseHistogramPlot } from './plots.js';
import type { FamilyChoice, ZiResultMsg } from './protocol.js';
import { coefTable } from './ordinalView.js';

/** what the Options say under each glmmTMB family (zero-inflated, hurdle, beta, gaussian) */
export const ZI_NOTES: Partial<Record<FamilyChoice, string>> = {
  zi_poisson: 'Zero-inflated Poisson (glmmTMB\'s poisson with ziformula): y = 0 with probability p (logit p from the zero-inflation formula), else Poisson(μ), log μ from the formula.',
  zi_nbinom2: 'Zero-inflated negative binomial (glmmTMB\'s nbinom2 with ziformula): y = 0 with probability p, else NB2(μ, φ), Var = μ + μ²/φ.',
  hurdle_poisson: 'Hurdle Poisson (glmmTMB\'s truncated_poisson with ziformula): P(y = 0) = p from the zero formula; the positive counts a zero-truncated Poisson(μ).',
  hurdle_nbinom2: 'Hurdle negative binomial (glmmTMB\'s truncated_nbinom2 with ziformula): P(y = 0) = p from the zero formula; the positive counts a zero-truncated NB2(μ, φ).',
  zi_nbinom1: 'Zero-inflated NB1 (glmmTMB\'s nbinom1 with ziformula): y = 0 with probability p, else NB1(μ, φ), Var = μ(1 + φ) (the variance grows linearly with the mean).',
  hurdle_nbinom1: 'Hurdle NB1 (glmmTMB\'s truncated_nbinom1 with ziformula): P(y = 0) = p from the zero formula; the positive counts a zero-truncated NB1(μ, φ), Var = μ(1 + φ) before truncation.',
  tmb_beta: 'Beta GLMM (glmmTMB\'s beta_family): a response strictly between 0 and 1 (proportions, rates), y ~ Beta(μφ, (1 − μ)φ), logit μ from the formula, Var = μ(1 − μ)/(1 + φ); no zero model.',
  zi_genpois: 'Zero-inflated generalized Poisson (glmmTMB\'s genpois with ziformula): y = 0 with probability p, else GP(μ, φ), Var = μφ (φ < 1 under-, φ > 1 overdispersed).',
  hurdle_genpois: 'Hurdle generalized Poisson (glmmTMB\'s truncated_genpois with ziformula): P(y = 0) = p from the zero formula; the positive counts a zero-truncated GP(μ, φ), Var = μφ before truncation.',
  zi_compois: 'Zero-inflated Conway–Maxwell–Poisson (glmmTMB\'s compois with ziformula): y = 0 with probability p, else CMP with mean μ and ν = 1/φ, P(y) ∝ λ^y/(y!)^ν (φ < 1 under-, φ > 1 overdispersed; φ = 1 is the Poisson).',
  hurdle_compois: 'Hurdle Conway–Maxwell–Poisson (glmmTMB\'s truncated_compois with ziformula): P(y = 0) = p from the zero formula; the positive counts a zero-truncated CMP(μ, ν = 1/φ).',
  tmb_binomial: 'Binomial GLMM (glmmTMB\'s binomial): cbind(successes, failures), a 0/1 response, or a proportion with the trials as weights; logit μ from the formula; a zero-inflation formula allowed (~ 0: none).',
  tmb_betabinomial: 'Beta-binomial GLMM (glmmTMB\'s betabinomial): k of m trials with k ~ BetaBin(m, μφ, (1 − μ)φ), Var = mμ(1 − μ)(1 + (m − 1)/(φ + 1)); cbind(s, f) or a proportion with weights; a zero-inflation formula allowed (~ 0: none).',
  tmb_gamma: 'Gamma GLMM (glmmTMB\'s Gamma, log link): a positive response, shape φ, Var = μ²/φ; dispersion formula for φ. No zero model.',
  tmb_tweedie: 'Tweedie GLMM (glmmTMB\'s tweedie, log link): a response ≥ 0 with exact zeros (compound Poisson–gamma), Var = φμ^p with the power 1 < p < 2 estimated. No zero model.',
  tmb_gaussian: 'Gaussian GLMM with a dispersion model (glmmTMB\'s gaussian): y ~ N(μ, σ²), μ from the formula (identity link), log σ² from the dispersion formula: a heteroscedastic LMM (~ group: one residual variance per group); with ~ 1 it is lmer\'s ML fit. No zero model.',
};

/** what the Options say of the dispersion formula (families with a dispersion parameter) */
export const DISP_NOTE = 'Dispersion formula (glmmTMB\'s dispformula): log φ = x_dᵀδ, fixed effects only; ~ 1 is one φ, ~ f one per level of f (gaussian: φ = σ²).';

/** the common part of the note: how the fit runs */
export const ZI_FIT_NOTE = 'Fit by maximum likelihood (the Laplace approximation, all parameters in one optimization, as glmmTMB) or, with the Criterion\'s REML, by glmmTMB\'s REML = TRUE (the conditional model\'s fixed effects integrated out with the random effects) on the CPU in float64; random-effects terms (1 | g), (1 + x | g) in the formula and in the zero-inflation formula. Priors, relatedness files and nAGQ are for lmer and glmer.';

/** The cards of the lmer/glmer results that a glmmTMB fit does not have, with the reason (one line). */
export const ZI_NOT_SHOWN =
  'Not shown for a glmmTMB fit (zero-inflated, hurdle, beta, gaussian): estimated marginal means, model tests (anova, drop1, ranova), bootstrap intervals, power, cluster-robust tests, per-group fits (lmList), optimizers (allFit), the ANOVA (afex) card, shrinkage, residual diagnostics and the predictor — the library computes them for lmer and glmer fits, not for glmmTMB\'s models. The Confidence intervals card above is glmmTMB\'s confint (Wald, and the profile likelihood\'s ends); the Model checks card is this fit\'s (DHARMa\'s residuals; performance\'s overdispersion and zero-inflation checks where they apply).';

/** a family's name as the page says it */
export function ziFamilyLabel(r: Pick<ZiResultMsg, 'family' | 'hurdle'>): string {
  if (r.family === 'beta_family') return 'beta (glmmTMB\'s beta_family)';
  if (r.family === 'gaussian') return 'gaussian (glmmTMB\'s gaussian)';
  if (r.family === 'binomial' || r.family === 'betabinomial' || r.family === 'Gamma' || r.family === 'tweedie') return `${r.family} (glmmTMB's ${r.family})`;
  const base = r.family.replace('truncated_', '');
  const dist = base === 'nbinom2' ? 'negative binomial (NB2)' : base === 'nbinom1' ? 'negative binomial (NB1)' : base === 'genpois' ? 'generalized Poisson' : base === 'compois' ? 'Conway–Maxwell–Poisson' : 'Poisson';
  return r.hurdle ? `hurdle ${dist} (glmmTMB's ${r.family})` : `zero-inflated ${dist} (glmmTMB's ${r.family})`;
}

/** the conditional model's mean as the captions say it: log μ, logit μ, μ */
const LINK_MEAN: Record<string, string> = { log: 'log μ', logit: 'logit μ', identity: 'μ' };

/** the dispersion's line under the fit: glmmTMB's sigma() with its meaning per family, or where a dispersion model's φ is */
export function dispersionLine(r: Pick<ZiResultMsg, 'family' | 'sigma' | 'dispformula' | 'disp'>): { label: string; value: number | null } | null {
  const base = r.family.replace('truncated_', '');
  if (base === 'poisson' || base === 'binomial') return null;
  const what = base === 'nbinom2' ? 'Dispersion parameter for nbinom2 family (φ, Var = μ + μ²/φ)'
    : base === 'nbinom1' ? 'Dispersion parameter for nbinom1 family (φ, Var = μ(1 + φ))'
    : base === 'genpois' ? 'Dispersion parameter for genpois family (φ, Var = μφ)'
    : base === 'compois' ? 'Dispersion parameter for compois family (φ = 1/ν)'
    : base === 'betabinomial' ? 'Dispersion parameter for betabinomial family (φ, Var = mμ(1 − μ)(1 + (m − 1)/(φ + 1)))'
    : base === 'beta_family' ? 'Dispersion parameter for beta family (φ, Var = μ(1 − μ)/(1 + φ))'
    : base === 'Gamma' ? 'Dispersion parameter for Gamma family (φ, the shape: Var = μ²/φ)'
    : base === 'tweedie' ? 'Dispersion parameter for tweedie family (φ, Var = φμ^p)'
    : 'Residual standard deviation for gaussian family (σ, Var = σ²)';
  if (r.sigma !== null) return { label: `${what}: `, value: r.sigma };
  return { label: `${what}: one per row from the dispersion model ${r.dispformula} (log ${base === 'gaussian' ? 'σ²' : 'φ'} = x_dᵀδ, the Dispersion model table; glmmTMB's sigma() is NA)`, value: null };
}

export interface ZiEls {
  info: HTMLElement;
  cond: HTMLElement;
  zi: HTMLElement;
  /** the dispersion model's card (hidden with dispformula ~ 1) and its body */
  dispCard: HTMLElement;
  disp: HTMLElement;
  /** the frequencies' card title */
  freqTitle: HTMLElement;
  varcorr: HTMLElement;
  freq: HTMLElement;
  catSelect: HTMLSelectElement;
  caterpillar: HTMLElement;
  notShown: HTMLElement;
  summary: HTMLElement;
}

/** Draws a glmmTMB fit's tables, plots and summary; returns the caterpillar's choice. */
export function renderZeroInflated(e: ZiEls, r: ZiResultMsg, fitNumber: number, width: (el: HTMLElement) => number, cat: string): string {
  const groups = Object.entries(r.ngroups).map(([g, n]) => `${g}: ${n.toLocaleString('en-US')} levels`).join(', ');
  const disp = dispersionLine(r);
  clear(e.info,
    h('div', {}, `glmmTMB fit ${fitNumber} on `, h('span', { class: 'backend', id: 'zi-backend' }, 'cpu'), ' — float64', ` · ${r.feval} evaluations`, ` · ${(r.elapsedMs / 1000).toFixed(2)} s`),
    h('div', {}, `${ziFamilyLabel(r)}, ${r.link} link, Laplace approximation${r.reml ? ', REML' : ''}: `, h('code', {}, r.formula),
      r.takesZi ? [', ', r.hurdle ? 'zero model ' : 'zero-inflation ', h('code', { id: 'zi-ziformula' }, r.ziformula)] : null,
      disp ? [', dispersion ', h('code', { id: 'zi-dispformula' }, r.dispformula)] : null,
      ` · ${r.nobs.toLocaleString('en-US')} observations · ${groups}`),
    h('div', {}, r.reml ? 'logLik (restricted) ' : 'logLik ', h('b', { id: 'zi-loglik', 'data-value': String(r.logLik) }, fmt(r.logLik, 8)),
      ` · AIC ${fmt(r.AIC, 7)} · BIC ${fmt(r.BIC, 7)} · deviance ${fmt(r.deviance, 7)} · df.resid `, h('span', { id: 'zi-dfresid' }, String(r.dfResid)), ` · ${r.df} parameters`),
    disp
      ? h('div', { id: 'zi-dispersion-line' }, disp.label, disp.value !== null ? h('b', { id: 'zi-sigma', 'data-value': String(disp.value) }, fmt(disp.value, 4)) : null)
      : null,
    r.power !== null
      ? h('div', { id: 'zi-power-line' }, 'Tweedie power (p, Var = φμ^p, glmmTMB\'s family_params): ', h('b', { id: 'zi-power', 'data-value': String(r.power) }, fmt(r.power, 4)))
      : null,
    r.converged ? null : h('div', { class: 'msg' }, 'The optimizer did not report convergence.'),
    r.messages.map((m) => h('div', { class: 'msg' }, m)),
  );
  const mean = LINK_MEAN[r.link] ?? `${r.link}(μ)`;
  clear(e.cond, coefTable('zi-cond-table', r.cond),
    h('p', { class: 'caption' }, `${mean} = xᵀβ + zᵀb: the ${r.hurdle ? 'truncated count' : r.count ? 'count' : 'conditional'} model's coefficients${r.link === 'identity' ? '' : ` on the ${r.link} scale`}.`));
  clear(e.zi, r.zi.length
    ? [coefTable('zi-zi-table', r.zi),
      h('p', { class: 'caption' }, r.hurdle ? 'logit P(y = 0): the zero (hurdle) model\'s coefficients.' : 'logit p, p the probability of a structural zero: the zero-inflation model\'s coefficients.')]
    : h('p', { class: 'caption', id: 'zi-zi-none' }, r.takesZi ? 'No zero-inflation model (~ 0).' : `No zero-inflation model: ${r.family} takes none (glmmTMB's ziformula ~ 0).`));
  // the dispersion model's table: only when dispformula is not ~ 1 (with ~ 1 its one φ is the line above)
  e.dispCard.hidden = r.disp.length === 0;
  clear(e.disp, r.disp.length
    ? [coefTable('zi-disp-table', r.disp),
      h('p', { class: 'caption' }, `log ${r.family === 'gaussian' ? 'σ²' : 'φ'} = x_dᵀδ: the dispersion model's coefficients (glmmTMB's "Dispersion model" table, log scale).`)]
    : null);
  // a Corr column where a vector term has correlations (glmmTMB's print: each column's with the term's earlier ones)
  const hasCorr = r.varCorr.some((v) => v.corr && v.corr.length > 0);
  const zeroModel = r.varCorr.some((v) => v.group.endsWith(' (zero model)'));
  clear(e.varcorr, h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'zi-varcorr-table' },
    h('thead', {}, h('tr', {}, h('th', { class: 'text' }, 'Groups'), h('th', { class: 'text' }, 'Name'), h('th', {}, 'Variance'), h('th', {}, 'Std.Dev.'), hasCorr ? h('th', { class: 'text' }, 'Corr') : null)),
    h('tbody', {}, r.varCorr.map((v) => h('tr', { 'data-group': v.group, 'data-name': v.name, 'data-variance': String(v.variance) },
      h('td', { class: 'text' }, v.group), h('td', { class: 'text name' }, v.name),
      h('td', { 'data-col': 'variance' }, fmt(v.variance)), h('td', { 'data-col': 'sd' }, fmt(v.sd)),
      hasCorr ? h('td', { class: 'text', 'data-col': 'corr' }, (v.corr ?? []).map((c) => c.toFixed(2)).join(' ')) : null))))),
  h('p', { class: 'caption' }, zeroModel ? `Conditional model (on the ${r.link} scale) and zero model (logit scale).` : `Conditional model, on the ${r.link} scale.`));
  drawZiFrequencies(e, r, width(e.freq));
  const options = r.ranef.flatMap((g, gi) => g.cnames.map((c, ci) => ({ value: `${gi}:${ci}`, label: `${g.group}: ${c}` })));
  const chosen = options.some((o) => o.value === cat) ? cat : '0:0';
  clear(e.catSelect, options.map((o) => h('option', { value: o.value, selected: o.value === chosen }, o.label)));
  drawZiCaterpillar(e, r, chosen, width(e.caterpillar));
  e.notShown.textContent = ZI_NOT_SHOWN;
  e.summary.textContent = r.summary;
  return chosen;
}

/** each continuous (or proportion) family's distribution as the histogram's caption says it */
const HISTOGRAM_DIST: Record<string, string> = {
  gaussian: 'N(μ_i, σ_i²)',
  beta_family: 'Beta(μ_i φ_i, (1 − μ_i) φ_i)',
  Gamma: 'Gamma(shape φ_i, scale μ_i/φ_i)',
  tweedie: 'Tweedie(μ_i, φ, p) (compound Poisson–gamma)',
  binomial: 'Binomial(m_i, μ_i)/m_i (the proportion of its m_i trials)',
  betabinomial: 'BetaBinomial(m_i, μ_i φ_i, (1 − μ_i) φ_i)/m_i (the proportion of its m_i trials)',
};

export function drawZiFrequencies(e: ZiEls, r: ZiResultMsg, width: number): void {
  if (!r.count) {
    // beta and gaussian: the response's histogram against the fitted model's expected numbers per bin
    clear(e.freqTitle, 'Response histogram ', h('span', { class: 'hint' }, 'the response\'s distribution against the fitted model\'s'));
    const total = r.histogram.reduce((a, b) => a + b.expected, 0);
    clear(e.freq, responseHistogramPlot(r.histogram, width, r.formula.split('~')[0]!.trim() || 'response'),
      h('p', { class: 'caption', id: 'zi-freq-caption', 'data-bins': String(r.histogram.length), 'data-expected-total': String(total) },
        `Bars: the rows with y in each bin; points: the fitted model's expected number, Σ_i P(lo ≤ y_i < hi) from each row's ${HISTOGRAM_DIST[r.family] ?? r.family} (μ at the conditional modes, φ from the dispersion model); the end bins' expected numbers include the tails beyond them.`));
    return;
  }
  clear(e.freqTitle, 'Observed and expected counts ', h('span', { class: 'hint' }, 'each count\'s frequency against the fitted model\'s'));
  const zeros = r.frequencies[0]!;
  clear(e.freq, countFrequencyPlot(r.frequencies, width),
    h('p', { class: 'caption', id: 'zi-freq-caption', 'data-zero-observed': String(zeros.observed), 'data-zero-expected': String(zeros.expected) },
      `Bars: the rows with each count; points: the fitted model's expected number, Σ_i P(y_i = k) with each row's p, μ (at the conditional modes)${r.family.replace('truncated_', '') !== 'poisson' ? ' and φ' : ''}. Zeros: ${zeros.observed} observed, ${fmt(zeros.expected, 5)} expected.`));
}

export function drawZiCaterpillar(e: ZiEls, r: ZiResultMsg, cat: string, width: number): void {
  const [g, c] = cat.split(':').map(Number) as [number, number];
  const grp = r.ranef[g];
  if (!grp || !grp.cnames[c]) { clear(e.caterpillar); return; }
  clear(e.caterpillar, caterpillarPlot(grp, c, width),
    h('p', { class: 'caption' }, `Conditional modes b̃ of ${grp.group} on the ${r.link} scale of μ, sorted, with ±1.96 conditional SDs (glmmTMB's ranef and condVar).`));
}
