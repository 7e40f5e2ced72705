/** The printed tables against R's output (capture.output) for the factor × covariate model at R's θ. */
import { describe, expect, it } from 'vitest';
import { buildLmm } from '../../src/lmm/model.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { lmer } from '../../src/fit/lmer.js';
import { BlockedCholesky } from '../../src/linalg/blockedCholesky.js';
import { varparCovariance } from '../../src/inference/satterthwaite.js';
import { kenwardRoger } from '../../src/inference/kenwardRoger.js';
import { type DdfContext, contest1D, contestMD } from '../../src/inference/contest.js';
import { typeIIIContrasts } from '../../src/inference/typeIII.js';
import { likelihoodRatioTable } from '../../src/inference/lrt.js';
import { printCoefTable, printIntervals, printLrtTable, printAnovaTable } from '../../src/inference/format.js';
import { qnorm } from '../../src/stats/distributions.js';
import { loadDataFile, loadInference } from '../helpers/inference.js';

interface TextCase { theta: number[]; coef_satterthwaite: string[]; coef_kenward_roger: string[]; anova_satterthwaite: string[]; anova_kenward_roger: string[]; lrt: string[]; wald: string[] }

describe('printed inference tables', async () => {
  const ref = loadInference<TextCase>('text');
  const data = loadDataFile('sleepstudy_design.csv');
  const formula = 'Reaction ~ Days * grp + (Days | Subject)';
  const model = buildLmm(formula, data, { factors: ['Subject'] });
  const chol = new BlockedCholesky(formGram(model), model.theta.length);
  const common = { chol, model };
  const sat = varparCovariance({ ...common, theta: ref.theta });
  const ctx: Record<string, DdfContext> = {
    satterthwaite: { method: 'satterthwaite', sat },
    kenward_roger: { method: 'kenward-roger', kr: kenwardRoger({ ...common, theta: ref.theta, sigma: sat.sigma }), beta: sat.beta, sigma: sat.sigma },
  };
  const xnames = model.frame.xnames;
  for (const m of ['satterthwaite', 'kenward_roger'] as const) {
    it(`coefficient table, ${m}`, () => {
      const rows = xnames.map((name, j) => ({ name, ...contest1D(ctx[m], xnames.map((_, c) => (c === j ? 1 : 0))) }));
      expect(printCoefTable(rows)).toEqual(ref[`coef_${m}`]);
    });
    it(`type III anova, ${m}`, () => {
      const rows = typeIIIContrasts(model.frame).map((h) => ({ term: h.term, ...contestMD(ctx[m], h.L) }));
      expect(printAnovaTable(rows, m === 'satterthwaite' ? 'satterthwaite' : 'kenward-roger')).toEqual(ref[`anova_${m}`]);
    });
  }
  it('likelihood-ratio anova', async () => {
    const fits = await Promise.all(['Reaction ~ Days + grp + (Days | Subject)', formula].map((f) => lmer(f, data, { factors: ['Subject'], REML: false })));
    const t = likelihoodRatioTable(fits.map((f) => ({
      formula: f.formula, npar: f.df, loglik: f.logLik, nobs: f.nobs, rows: f.model.frame.rows, nInput: f.model.frame.nInput,
      fixed: f.model.frame.xnames, random: [], family: 'gaussian',
    })));
    expect(printLrtTable(['m0', 'm1'], 'd', t.models, t.tests)).toEqual(ref.lrt);
  });
  it('Wald intervals', () => {
    const z = qnorm(0.975);
    const vp = ['sd_(Intercept)|Subject', 'cor_Days.(Intercept)|Subject', 'sd_Days|Subject', 'sigma'].map((name) => ({ name, lower: null, upper: null }));
    const p = xnames.length;
    const fe = xnames.map((name, j) => ({ name, lower: sat.beta[j] - z * Math.sqrt(sat.vcovBeta[j * p + j]), upper: sat.beta[j] + z * Math.sqrt(sat.vcovBeta[j * p + j]) }));
    expect(printIntervals([...vp, ...fe], 0.95)).toEqual(ref.wald);
  });
});
