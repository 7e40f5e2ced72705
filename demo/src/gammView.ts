/**
 * Page side of gamm4 fits (a Gaussian formula with smooth terms s(x); the worker's ./gamm.ts): the fit's
 * line (gamm4's call as the page made it, n, σ, the REML criterion, R², the library's messages), the
 * parametric coefficients (summary(gam)'s t tests), the smooths' table (basis, k, edf, the SD of each
 * smooth's random effects and its smoothing parameter), each smooth's plot (value ± 2 SE with the data's
 * rug), the mer's variance components, summary(gam)'s printout and the mer's lme4 summary. The pure parts
 * are exported for tests.
 */
import { clear, csv, fmt, fmtFixed, fmtP, h } from './dom.js';
import { smoothPlot } from './plots.js';
import type { GammResultMsg } from './protocol.js';

/** the smooths' bases as the table names them (mgcv's bs codes) */
const BASIS_NAMES: Record<GammResultMsg['smooths'][number]['bs'], string> = {
  tp: 'tp (thin plate)', cr: 'cr (cubic regression)', cc: 'cc (cyclic cubic)', ps: 'ps (P-spline)',
};

/** The lmer/glmer results' cards that a gamm4 fit does not have, with the reason (one line). */
export const GAMM_NOT_SHOWN =
  'Not shown for a gamm4 fit: lmerTest\'s anova and df, estimated marginal means, model tests, intervals by profile or bootstrap, power, cluster-robust tests, per-group fits (lmList), optimizers (allFit), the ANOVA (afex) card, model checks, shrinkage and residual diagnostics — they would take the mer (the mixed-model form) for the model: its fixed effects are the smooths\' unpenalized columns (s(x)Fx1) and its random effects include each smooth\'s penalized part (the Xr terms), which those methods would test and plot as ordinary terms. The mer\'s summary is below.';

/** the smooths' table as CSV: label, basis, k, edf, SD, smoothing parameter, summary.gam's Ref.df, F or Chi.sq and p-value */
export function smoothsCsv(r: GammResultMsg): string {
  const stat = r.scaleEstimated ? 'F' : 'Chi.sq';
  return csv(['smooth', 'bs', 'k', 'edf', 'sd', 'sp', 'Ref.df', stat, 'p_value'],
    r.smooths.map((s) => [s.label, s.bs, s.k, s.edf, s.sd, s.sp, s.refDf, r.scaleEstimated ? s.F : s.chiSq, s.p]));
}

/** each smooth's plot data as CSV (plot.gam's: x, fit, se, fit ± 2 se), one block of rows per smooth */
export function smoothPlotCsv(r: GammResultMsg): string {
  return csv(['smooth', 'x', 'fit', 'se', 'lower', 'upper'], r.plots.flatMap((p) => p.x.map((x, i) => [p.label, x, p.fit[i]!, p.se[i]!, p.lower[i]!, p.upper[i]!])));
}

/** gamm4's call as the page made it */
export function gammCall(r: Pick<GammResultMsg, 'formula' | 'random' | 'reml' | 'family'>): string {
  const glmm = r.family !== 'gaussian';
  return `gamm4(${r.formula}${r.random ? `, random = ${r.random}` : ''}${glmm ? `, family = ${r.family}` : r.reml ? '' : ', REML = FALSE'})`;
}

export interface GammEls {
  info: HTMLElement;
  parametric: HTMLElement;
  smooths: HTMLElement;
  plots: HTMLElement;
  varcorr: HTMLElement;
  notShown: HTMLElement;
  summary: HTMLElement;
  merSummary: HTMLElement;
}

export function renderGamm(e: GammEls, r: GammResultMsg, fitNumber: number, width: (el: HTMLElement) => number, download: (name: string, text: string) => void): void {
  clear(e.info,
    h('div', {}, h('b', {}, `gamm4 fit ${fitNumber}: `), h('code', { id: 'gamm-call' }, gammCall(r))),
    h('div', {}, `${r.n.toLocaleString('en-US')} observations · `,
      r.sigma !== null ? ['σ = ', h('span', { id: 'gamm-sigma', 'data-value': String(r.sigma) }, fmt(r.sigma)), ' · '] : `${r.family} (${r.link} link, Laplace) · `,
      `${r.family !== 'gaussian' ? 'deviance (Laplace)' : r.reml ? 'REML criterion' : 'deviance (ML)'} `, h('span', { id: 'gamm-criterion', 'data-value': String(r.criterion) }, fmtFixed(r.criterion, 3)),
      ' · R²(adj) ', h('span', { id: 'gamm-rsq', 'data-value': String(r.rSq) }, fmtFixed(r.rSq, 3)),
      ` · logLik ${fmtFixed(r.logLik, 2)} (the mer's) · ${r.backend.name} backend, ${fmtMs(r.elapsedMs)}`),
    r.messages.map((m) => h('div', { class: 'msg' }, m)),
  );
  clear(e.parametric, h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'gamm-parametric-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Term'), h('th', {}, 'Estimate'), h('th', {}, 'Std. Error'), h('th', {}, `${r.statName} value`), h('th', {}, `Pr(>|${r.statName}|)`))),
    h('tbody', {}, r.parametric.map((p) => h('tr', { 'data-term': p.name, 'data-estimate': String(p.estimate), 'data-se': String(p.se), 'data-p': String(p.p) },
      h('td', { class: 'name' }, p.name), h('td', {}, fmt(p.estimate)), h('td', {}, fmt(p.se)), h('td', {}, fmtFixed(p.stat, 3)), h('td', {}, fmtP(p.p))))))));
  clear(e.smooths,
    h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'gamm-smooths-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Smooth'), h('th', {}, 'basis'), h('th', {}, 'k'), h('th', {}, 'edf'), h('th', {}, 'SD (random effects)'), h('th', {}, 'smoothing parameter'),
        h('th', {}, 'Ref.df'), h('th', {}, r.scaleEstimated ? 'F' : 'Chi.sq'), h('th', {}, 'p-value'))),
      h('tbody', {}, r.smooths.map((s) => h('tr', { 'data-term': s.label, 'data-edf': String(s.edf), 'data-sd': String(s.sd), 'data-sp': String(s.sp), 'data-p': String(s.p) },
        h('td', { class: 'name' }, s.label), h('td', {}, s.margins ? `t2 of ${s.margins.join(' × ')}` : BASIS_NAMES[s.bs]), h('td', {}, String(s.k)),
        h('td', {}, fmtFixed(s.edf, 3)), h('td', {}, fmt(s.sd)), h('td', {}, fmt(s.sp)),
        h('td', {}, fmtFixed(s.refDf, 3)), h('td', {}, fmtFixed(r.scaleEstimated ? s.F : s.chiSq, 3)), h('td', {}, fmtP(s.p))))))),
    h('p', { class: 'caption' }, `edf: the smooth\'s effective degrees of freedom (gamm4\'s, diag(Vp Xᵀ V⁻¹ X) summed over its coefficients); SD: of its penalized coefficients as random effects (gamm4\'s Xr variance component); smoothing parameter σ²/σ²_s; Ref.df, ${r.scaleEstimated ? 'F' : 'Chi.sq'} and p-value: summary.gam's approximate test that the smooth is zero (Wood 2013${r.scaleEstimated ? ', the scale estimated' : ', the scale known'}). `,
      h('button', { type: 'button', id: 'export-gamm-smooths', onclick: () => download('smooths.csv', smoothsCsv(r)) }, 'CSV')),
  );
  drawGammPlots(e, r, width);
  clear(e.varcorr, h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'gamm-varcorr-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Groups'), h('th', {}, 'Name'), h('th', {}, 'Variance'), h('th', {}, 'Std.Dev.'))),
    h('tbody', {}, r.varCorr.filter((v) => v.var2 === null).map((v) => h('tr', { 'data-group': v.group },
      h('td', { class: 'name' }, r.smoothGroups.includes(v.group) ? `${v.group} (${r.smooths[r.smoothGroups.indexOf(v.group)]!.label})` : v.group),
      h('td', { class: 'name' }, v.var1 ?? ''), h('td', {}, fmt(v.vcov)), h('td', {}, fmt(v.sdcor))))))),
    h('p', { class: 'caption' }, 'The mer\'s variance components (lme4\'s VarCorr): a smooth\'s group (Xr) holds its penalized part, one SD for all its columns.'));
  e.notShown.textContent = GAMM_NOT_SHOWN;
  e.summary.textContent = r.summary;
  e.merSummary.textContent = r.merSummary;
}

/** each smooth's plot at its card's width, with its CSV of plot.gam's data */
export function drawGammPlots(e: Pick<GammEls, 'plots'>, r: GammResultMsg, width: (el: HTMLElement) => number): void {
  clear(e.plots);
  const w = width(e.plots);
  r.plots.forEach((p, k) => {
    const box = h('div', { class: 'plot gamm-plot', id: `gamm-plot-${k}`, 'data-smooth': p.label, 'data-points': String(p.x.length), 'data-rug': String(p.rug.length) });
    e.plots.append(h('h4', {}, p.label, h('span', { class: 'hint' }, ` edf ${fmtFixed(r.smooths[k]!.edf, 2)}, ± 2 SE, the data's ${p.term} as a rug`)), box);
    box.append(smoothPlot(p, w));
  });
}

function fmtMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
