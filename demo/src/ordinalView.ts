/**
 * Page side of ordinal responses (clmm): where the response's category order comes from (the
 * library's rules: a numeric column's values, an ordered dictionary, an unordered factor whose
 * levels are all numbers; else the page's editable list, sent as `levels`), and the results: the
 * thresholds' and coefficients' tables, the random effects' variances, the fitted probabilities'
 * stacked bars, the conditional modes' caterpillar, ordinal's likelihood-ratio anova of two kept clmm
 * fits and ordinal's summary. The pure parts are exported for tests.
 */
import type { Formula } from '../../src/index.js';
import { clear, fmt, fmtFixed, fmtP, h } from './dom.js';
import { caterpillarPlot, probabilityBarsPlot } from './plots.js';
import type { ClmmAnovaRow } from '../../src/ordinal/clmm.js';
import type { ClmmCoefMsg, ClmmProbabilityGroup, ClmmResultMsg, ColumnInfo } from './protocol.js';

/** the response's column of a formula whose response is a plain column, else null */
export function responseColumnOf(f: Formula): string | null {
  return f.response.kind === 'expr' && f.response.expr.type === 'var' ? f.response.expr.name : null;
}

/** How clmm orders the response's categories (the library's rules, src/ordinal/response.ts). */
export type CategoryOrder =
  | { kind: 'numeric' }
  | { kind: 'ordered'; levels: string[] }
  | { kind: 'numeric-levels'; levels: string[] }
  | { kind: 'editable'; levels: string[] }
  | { kind: 'unknown'; reason: string };

export function categoryOrderOf(col: ColumnInfo | undefined): CategoryOrder {
  if (!col) return { kind: 'unknown', reason: 'the response is not a column of the data' };
  if (col.kind === 'numeric') return { kind: 'numeric' };
  if (col.kind !== 'factor') return { kind: 'unknown', reason: `the response '${col.name}' is neither numeric nor text` };
  if (!col.levels) return { kind: 'unknown', reason: `the response '${col.name}' has ${col.distinct} categories: too many for an ordinal response to be listed here` };
  if (col.ordered) return { kind: 'ordered', levels: col.levels };
  const nums = col.levels.map((l) => (l.trim() === '' ? NaN : Number(l)));
  if (nums.every(Number.isFinite)) return { kind: 'numeric-levels', levels: col.levels.map((l, k) => [l, nums[k]!] as const).sort((a, b) => a[1] - b[1]).map((x) => x[0]) };
  return { kind: 'editable', levels: col.levels };
}

/** the list with the level at `i` moved one place up (−1) or down (+1); the same list where it cannot move */
export function moveLevel(levels: readonly string[], i: number, delta: -1 | 1): string[] {
  const out = [...levels];
  const j = i + delta;
  if (i < 0 || i >= out.length || j < 0 || j >= out.length) return out;
  [out[i], out[j]] = [out[j]!, out[i]!];
  return out;
}

/** a kept list of levels, matched to the column's levels: the same set (in the kept order), else the column's own */
export function reconcileLevels(kept: readonly string[] | null | undefined, column: readonly string[]): string[] {
  if (kept && kept.length === column.length && column.every((l) => kept.includes(l))) return [...kept];
  return [...column];
}

/** The cards of the lmer/glmer results that a clmm fit does not have, with the reason (one line). */
export const CLMM_NOT_SHOWN =
  'Not shown for an ordinal (clmm) fit: estimated marginal means, model tests (anova, drop1, ranova), intervals by profile or bootstrap, power, cluster-robust tests, per-group fits (lmList), optimizers (allFit), the ANOVA (afex) card, model checks (performance, DHARMa), shrinkage, diagnostics and predictions — the library computes them for lmer and glmer fits, not for a cumulative link model.';

/** a table of coefficient rows with z tests (Estimate, Std. Error, z value, Pr(>|z|)): ordinal's, glmmTMB's (zeroinflView.ts) */
export function coefTable(id: string, rows: ClmmCoefMsg[]): HTMLElement {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id },
    h('thead', {}, h('tr', {}, h('th', {}, 'Term'), h('th', {}, 'Estimate'), h('th', {}, 'Std. Error'), h('th', {}, 'z value'), h('th', {}, 'Pr(>|z|)'))),
    h('tbody', {}, rows.map((r) => h('tr', { 'data-term': r.name, 'data-estimate': String(r.estimate), 'data-se': String(r.se) },
      h('td', { class: 'name' }, r.name),
      h('td', { 'data-col': 'estimate' }, fmt(r.estimate)),
      h('td', { 'data-col': 'se' }, fmt(r.se)),
      h('td', { 'data-col': 'stat' }, fmtFixed(r.z, 3)),
      h('td', { 'data-col': 'p' }, fmtP(r.p)),
    )))));
}

export interface ClmmEls {
  info: HTMLElement;
  thresholds: HTMLElement;
  coef: HTMLElement;
  varcorr: HTMLElement;
  probBy: HTMLSelectElement;
  probs: HTMLElement;
  probsError: HTMLElement;
  catSelect: HTMLSelectElement;
  caterpillar: HTMLElement;
  compareWith: HTMLSelectElement;
  compareOut: HTMLElement;
  compareError: HTMLElement;
  notShown: HTMLElement;
  summary: HTMLElement;
}

/** Draws a clmm fit's tables, summary and caterpillar; the probability plot and the comparison come from the worker (drawn by the functions below). */
export function renderClmm(e: ClmmEls, r: ClmmResultMsg, fitNumber: number, width: (el: HTMLElement) => number, cat: string): string {
  const groups = Object.entries(r.ngroups).map(([g, n]) => `${g}: ${n.toLocaleString('en-US')} levels`).join(', ');
  clear(e.info,
    h('div', {}, `Ordinal fit ${fitNumber} on `, h('span', { class: 'backend', id: 'clmm-backend' }, 'cpu'), ' — float64', ` · ${r.feval} evaluations`, ` · ${(r.elapsedMs / 1000).toFixed(2)} s`),
    h('div', {}, `Cumulative link mixed model, ${r.link} link, ${r.threshold} thresholds${r.nAGQ > 1 ? `, adaptive Gauss–Hermite quadrature with ${r.nAGQ} nodes` : ', Laplace approximation'}: `, h('code', {}, r.formula),
      ` · ${r.nobs.toLocaleString('en-US')} observations · ${groups}`),
    h('div', {}, 'Categories in order: ', h('span', { id: 'clmm-levels' }, r.levels.join(' < '))),
    h('div', {}, 'logLik ', h('b', { id: 'clmm-loglik', 'data-value': String(r.logLik) }, fmt(r.logLik, 8)),
      ` · AIC ${fmt(r.AIC, 7)} · BIC ${fmt(r.BIC, 7)} · ${r.edf} parameters · max.grad ${fmt(r.maxGrad, 3)} · cond.H `, h('span', { id: 'clmm-condh', 'data-value': String(r.condH) }, fmt(r.condH, 3))),
    r.converged ? null : h('div', { class: 'msg' }, 'The optimizer did not report convergence.'),
    r.messages.map((m) => h('div', { class: 'msg' }, m)),
  );
  clear(e.thresholds,
    coefTable('clmm-threshold-table', r.thresholdTable),
    h('p', { class: 'caption', id: 'clmm-theta' }, `Thresholds Θ: ${r.thresholds.map((t) => `${t.name} = ${fmt(t.value)}`).join(' · ')}`,
      r.threshold === 'flexible' ? ' (with flexible thresholds the parameters are the thresholds).' : ` (${r.threshold}: Θ = J α, the parameters above).`),
    h('p', { class: 'caption' }, `P(Y ≤ j) = F(Θ_j − xᵀβ − zᵀb), F the ${r.link} link's distribution function.`),
  );
  clear(e.coef, r.coefficients.length
    ? coefTable('clmm-coef-table', r.coefficients)
    : h('p', { class: 'caption' }, 'No fixed-effects coefficients (the thresholds take the intercept).'));
  const hasCorr = r.varCorr.some((v) => v.corr.length > 0);
  clear(e.varcorr, h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'clmm-varcorr-table' },
    h('thead', {}, h('tr', {}, h('th', { class: 'text' }, 'Groups'), h('th', { class: 'text' }, 'Name'), h('th', {}, 'Variance'), h('th', {}, 'Std.Dev.'), hasCorr ? h('th', {}, 'Corr') : null)),
    h('tbody', {}, r.varCorr.map((v) => h('tr', { 'data-group': v.group, 'data-name': v.name, 'data-variance': String(v.variance) },
      h('td', { class: 'text' }, v.group), h('td', { class: 'text name' }, v.name),
      h('td', { 'data-col': 'variance' }, fmt(v.variance)), h('td', { 'data-col': 'sd' }, fmt(v.sd)),
      hasCorr ? h('td', {}, v.corr.map((c) => fmtFixed(c, 3)).join(' ')) : null))))));
  // the probability plot's variable: the one kept if the new fit has it, else the first
  const keep = e.probBy.value;
  clear(e.probBy, r.probabilityBy.map((v) => h('option', { value: v, selected: v === keep }, v)));
  if (!r.probabilityBy.length) clear(e.probs, h('p', { class: 'caption' }, 'No variable of the formula has few enough distinct values to group the fitted probabilities by.'));
  // the caterpillar of the conditional modes
  const options = r.ranef.flatMap((g, gi) => g.cnames.map((c, ci) => ({ value: `${gi}:${ci}`, label: `${g.group}: ${c}` })));
  const chosen = options.some((o) => o.value === cat) ? cat : '0:0';
  clear(e.catSelect, options.map((o) => h('option', { value: o.value, selected: o.value === chosen }, o.label)));
  drawClmmCaterpillar(e, r, chosen, width(e.caterpillar));
  e.notShown.textContent = CLMM_NOT_SHOWN;
  e.summary.textContent = r.summary;
  clear(e.compareOut);
  e.compareError.textContent = '';
  return chosen;
}

export function drawClmmCaterpillar(e: ClmmEls, r: ClmmResultMsg, cat: string, width: number): void {
  const [g, c] = cat.split(':').map(Number) as [number, number];
  const grp = r.ranef[g];
  if (!grp || !grp.cnames[c]) { clear(e.caterpillar); return; }
  clear(e.caterpillar, caterpillarPlot(grp, c, width),
    h('p', { class: 'caption' }, `Conditional modes b̃ of ${grp.group} on the latent scale, sorted, with ±1.96 conditional SDs (clmm's ranef and condVar).`));
}

export function drawClmmProbabilities(e: ClmmEls, groups: ClmmProbabilityGroup[], levels: string[], by: string, width: number): void {
  e.probsError.textContent = '';
  clear(e.probs, probabilityBarsPlot(groups, levels, by, width),
    h('p', { class: 'caption', id: 'clmm-probs-caption', 'data-by': by }, `The mean over each level's rows of the fitted probabilities P(Y = j | x, b̃) at the conditional modes (the fitted probabilities CSV has every row's).`));
}

/** ordinal's anova table of two fits (numbered as the page numbers them) */
export function renderClmmAnova(e: ClmmEls, rows: (ClmmAnovaRow & { fit: number })[], numberOf: (fit: number) => number): void {
  e.compareError.textContent = '';
  clear(e.compareOut,
    h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'clmm-anova-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Fit'), h('th', {}, 'link'), h('th', {}, 'threshold'), h('th', {}, 'no.par'), h('th', {}, 'AIC'), h('th', {}, 'logLik'), h('th', {}, 'LR.stat'), h('th', {}, 'df'), h('th', {}, 'Pr(>Chisq)'))),
      h('tbody', {}, rows.map((r) => h('tr', { 'data-fit': String(r.fit) },
        h('td', { title: r.formula }, `${numberOf(r.fit)}: `, h('code', {}, r.formula)),
        h('td', {}, r.link), h('td', {}, r.threshold),
        h('td', { 'data-col': 'npar' }, String(r.noPar)),
        h('td', { 'data-col': 'AIC' }, fmt(r.AIC, 7)),
        h('td', { 'data-col': 'logLik' }, fmt(r.logLik, 7)),
        h('td', { 'data-col': 'LR', 'data-value': String(r.LRstat) }, Number.isNaN(r.LRstat) ? '' : fmtFixed(r.LRstat, 4)),
        h('td', { 'data-col': 'df' }, Number.isNaN(r.df) ? '' : String(r.df)),
        h('td', { 'data-col': 'p' }, Number.isNaN(r.p) ? '' : fmtP(r.p)),
      ))))),
    h('p', { class: 'caption' }, 'Likelihood-ratio test as ordinal\'s anova(m0, m1): the fits ordered by their number of parameters; LR.stat = 2 (logLik₁ − logLik₀) on df = no.par₁ − no.par₀. The fits must be of the same observations.'),
  );
}
