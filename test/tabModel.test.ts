/**
 * sjPlot 2.8.12's tab_model() against R (test/oracle/tab_model.R, fixtures in test/fixtures/tabmodel):
 * the HTML table (page.content) of each case compared as a whole string — every cell's text digit for
 * digit, every row, class and colspan — and the complete page (CSS) of one case: sleepstudy (random
 * slope: τ11, ρ01), two lmer fits side by side with different predictors (default; with show.se,
 * show.stat, show.df, show.aic, show.loglik, show.dev and p.style stars), df.method satterthwaite,
 * kenward, ml1 and betwithin, numeric_stars with digits and digits.p, the labels and strings with
 * collapse.ci and summary rows hidden, crossed grouping factors, a binomial glmer (cbpp; odds ratios,
 * and log-odds with transform NULL), a Poisson glmer (IRRs with SE, statistic and df), glmer fits side
 * by side and an lmer beside a glmer. The lmer fits are lme4's at tight settings; the glmer fits are at
 * the exact Laplace optimum, which our glmer reaches (test/oracle/exact_laplace.R). Further options:
 * show.intercept, emph.p, p.threshold, show.ci = 0.9 with collapse.se, digits.re, digits.rsq; pred.labels
 * by term with wrap.labels, dv.labels "" (no header row), string.intercept; an interaction (`f [b] × x`)
 * with stars and no CI; show.p = FALSE beside a second model; a singular fit (no ICC, conditional R² NA)
 * alone and beside another model; deviance, AIC and log-likelihood of glmer fits and of an ML lmer fit
 * (whose AIC sjPlot takes from the REML criterion at the ML estimates: performance_aic.lmerMod). Random
 * effects beyond an intercept and one slope: two slopes (τ11 per slope, ρ01 rows unnamed), a term without an
 * intercept (two empty ρ01 rows, R's 1:0), a singular fit with slopes, nested factors (`batch/cask`,
 * `School:Class`: N per variable), side by side. The refusals.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { lmer } from '../src/fit/lmer.js';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import type { GlmmFit } from '../src/glmm/glmmFit.js';
import { fitFixtureModels } from './helpers/fixtureModels.js';
import { type TabModelOptions, tabModel } from '../src/tabmodel/tabModel.js';
import { htmlToText } from '../src/tabmodel/text.js';
import { wordWrap, sprintfFixed, minusSign, pCell } from '../src/tabmodel/format.js';

const dir = join(import.meta.dirname, 'fixtures');
interface Model { formula: string; data: string; factors: string[] | string; family?: string; reml?: boolean }
interface Case { name: string; models: string[]; options: Record<string, unknown> | unknown[]; content: string; complete?: string }
const fx = JSON.parse(readFileSync(join(dir, 'tabmodel', 'tab_model.json'), 'utf8')) as { models: Record<string, Model>; cases: Case[] };

let fits = new Map<string, LmmFit | GlmmFit>();
beforeAll(async () => {
  fits = await fitFixtureModels(fx.models, dir);
}, 120_000);

/** sjPlot's argument names (show.se, df.method, dv.labels, …) as tabModel's options */
function optionsOf(r: Case['options']): TabModelOptions {
  if (Array.isArray(r)) return {};
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) {
    const key = k.replace(/\.(\w)/g, (_m, c: string) => c.toUpperCase());
    o[key] = key === 'dvLabels' ? [v].flat() : v;
  }
  return o as TabModelOptions;
}

describe('tab_model: the HTML table against sjPlot', () => {
  for (const c of fx.cases) {
    it(c.name, async () => {
      const t = await tabModel(c.models.map((m) => fits.get(m)!), optionsOf(c.options));
      expect(t.html()).toBe(c.content);
      if (c.complete) expect(t.page()).toBe(c.complete);
    });
  }
});

describe('tab_model: the structured table and the text', () => {
  it('sleepstudy: rows, columns and the summary cells', async () => {
    const t = await tabModel(fits.get('sleep')!);
    expect(t.columns.map((c) => c.header)).toEqual(['Estimates', 'CI', 'p']);
    expect(t.rows.map((r) => r.label)).toEqual(['(Intercept)', 'Days']);
    expect(t.summary.map((r) => r.kind)).toEqual(['sigma2', 'tau00', 'tau11', 'rho01', 'icc', 'ngroups', 'nobs', 'r2']);
    const text = t.text();
    expect(text).toContain('τ00 Subject');
    expect(text).toContain('237.94 – 264.87');
    expect(text).toContain('Marginal R² / Conditional R²');
    expect(text).toMatch(/Observations +180/);
  });
  it('two models side by side: a missing term is empty; the text keeps each model\'s columns', async () => {
    const t = await tabModel([fits.get('fx1')!, fits.get('fx2')!]);
    const h = t.rows.find((r) => r.term === 'hlo')!;
    expect(h.cells.slice(0, 3)).toEqual(['', '', '']);
    expect(h.cells[3]).toBe('&#45;2.12');
    const lines = t.text().split('\n');
    expect(lines.some((l) => /^h \[lo\] +-2\.12 +-2\.59 – -1\.65 +<0\.001$/.test(l))).toBe(true);
  });
  it('htmlToText', () => {
    expect(htmlToText('&tau;<sub>00</sub> <sub>Subject</sub>')).toBe('τ00 Subject');
    expect(htmlToText('<strong>&lt;0.001</strong>')).toBe('<0.001');
    expect(htmlToText('4.99 <sup>***</sup>')).toBe('4.99 ***');
    expect(htmlToText('cbind(incidence, size -<br>incidence)')).toBe('cbind(incidence, size - incidence)');
  });
});

describe('tab_model: formatting helpers (sjPlot\'s, R\'s sprintf)', () => {
  it('sprintf %.*f rounds exact ties to even and keeps a negative zero\'s sign', () => {
    expect(sprintfFixed(0.125, 2)).toBe('0.12');
    expect(sprintfFixed(0.375, 2)).toBe('0.38');
    expect(sprintfFixed(-0.001, 2)).toBe('-0.00');
    expect(sprintfFixed(Infinity, 2)).toBe('Inf');
    expect(sprintfFixed(null, 2)).toBe('NA');
  });
  it('word_wrap, the minus sign, the p cells', () => {
    expect(wordWrap('cbind(incidence, size - incidence)', 25)).toBe('cbind(incidence, size -<br>incidence)');
    expect(wordWrap('Reaction', 25)).toBe('Reaction');
    expect(minusSign('-2.81&nbsp;&ndash;&nbsp;-1.49')).toBe('&#45;2.81&nbsp;&ndash;&nbsp;-1.49');
    expect(pCell(0.0001, 3, true)).toBe('<strong>&lt;0.001</strong>');
    expect(pCell(0.2, 3, true)).toBe('0.200');
    expect(pCell(0.001, 2, false)).toBe('&lt;0.01');
  });
});

describe('tab_model: refusals', () => {
  it('names the option or the problem', async () => {
    const s = fits.get('sleep')!;
    await expect(tabModel(s, { showStd: true } as never)).rejects.toThrow(/show\.std/);
    await expect(tabModel(s, { pStyle: 'scientific' } as never)).rejects.toThrow(/pStyle/);
    await expect(tabModel(s, { dfMethod: 'satterthwaite', showCi: 1.5 } as never)).rejects.toThrow(/showCi/);
    await expect(tabModel(s, { predLabels: ['a'] })).rejects.toThrow(/predLabels has 1 labels for 2 rows/);
    await expect(tabModel(s, { predLabels: { nope: 'x' } })).rejects.toThrow(/'nope'/);
    await expect(tabModel([s, s], { dvLabels: ['a'] })).rejects.toThrow(/dvLabels/);
    await expect(tabModel(fits.get('cbpp')!, { dfMethod: 'satterthwaite' })).rejects.toThrow(/linear mixed models|satterthwaite/i);
    await expect(tabModel({} as never)).rejects.toThrow(/not an lmer or glmer fit/);
    const fxData = readCsv(readFileSync(join(dir, 'parameters', 'factor_covariate.csv'))).table;
    const weighted = await lmer('y ~ f + x + (1 | g)', fxData, { factors: ['f', 'h', 'g'], weights: 'w' });
    await expect(tabModel(weighted, { showAic: true })).rejects.toThrow(/prior weights/);
    expect((await tabModel(weighted)).rows.length).toBe(4);
    const sleepData = readCsv(readFileSync(join(dir, 'data', 'sleepstudy.csv'))).table;
    const logged = await lmer('log(Reaction) ~ Days + (1 | Subject)', sleepData, { factors: ['Subject'] });
    await expect(tabModel(logged, { showAic: true })).rejects.toThrow(/transformed response \(log\(Reaction\)\)/);
    await expect(tabModel(s, { collapseCi: true, showCi: false })).rejects.toThrow(/collapseCi/);
    // two terms of one grouping factor: insight's random-effect variance leaves one out (r2Nakagawa's refusal)
    const zcp = await lmer('Reaction ~ Days + (Days || Subject)', sleepData, { factors: ['Subject'] });
    await expect(tabModel(zcp)).rejects.toThrow(/'Subject' has 2 random-effects terms/);
    // a level of a nested factor with a ':' of its own: the other factor's count cannot be read from the interaction's levels
    const pastes = readCsv(readFileSync(join(dir, 'data', 'pastes.csv'))).table;
    const nested = await lmer('strength ~ 1 + (1 | sample/cask)', pastes, { factors: ['sample', 'cask'] });
    await expect(tabModel(nested)).rejects.toThrow(/a level of 'cask:sample' holds a ':' of its own.*'cask'/);
    expect((await tabModel(nested, { showNgroups: false })).rows.length).toBe(1);
  });
});
