/**
 * A known covariance K (relmat) combined with the other features (issue 13), against R
 * (test/oracle/relmat_combos.R: lme4's modular fits with Z L in place of Z, on the phylogeny and the
 * pedigree with a herd factor of test/oracle/relmat.R):
 *  - inference on the fit's transformed model: Satterthwaite's df (the definition evaluated densely
 *    in R: lmerTest cannot be given the modular fit, see the script) and Kenward–Roger's (pbkrtest on
 *    the modular fit): estimate, SE, df, t to 1e-6 relative, p 1e-6 relative or 1e-12 absolute (the
 *    project's ddf tests: 1e-3), and the type III table's F = t² and df for the one-df term; lme4's profile
 *    intervals to 2e-3 of their width (test/inference/profile.test.ts); the likelihood-ratio test
 *    between two REML fits (refitted with ML) against lme4's ML fits: χ² and p 1e-6 relative;
 *  - blme priors on the relmat term (the default Wishart; a gamma on its SD): as
 *    test/prior/blmer.test.ts (objective ≤ blme's + 1e-6, θ 1e-4, the rest 2e-5 relative);
 *  - the negative binomial GLMM with the NB size estimated: as test/negbin.test.ts (size 1e-4, β 1e-4,
 *    SE 1e-3 relative, θ 1e-3, −2ℓ ≤ the exact Laplace optimum + 1e-6);
 *  - refused, with the reason: the parametric bootstrap (lmer, glmer), prediction intervals, a glmer
 *    profile, and relmat given to the stream / SQL engines.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { lmer } from '../src/fit/lmer.js';
import { glmer } from '../src/fit/glmer.js';
import { anovaModels } from '../src/inference/fitInference.js';
import { namedMatrixFromTable } from '../src/relmat/matrixTable.js';
import { pedigree } from '../src/relmat/pedigree.js';
import { lmerStream } from '../src/gram/stream/lmer.js';
import { CsvBatchSource } from '../src/gram/stream/csv.js';
import { blobSource } from '../src/gram/stream/batch.js';
import type { RelmatSpec } from '../src/relmat/blocks.js';

const dir = join(import.meta.dirname, 'fixtures', 'relmat');
const text = (f: string) => readFileSync(join(dir, f), 'utf8');
const csv = (f: string) => readCsv(text(f)).table;
const ref = JSON.parse(text('combos.json'));
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

const phyloK = namedMatrixFromTable(csv('phylo_K.csv'));
const ped = pedigree(csv('pedigree.csv'));
const cases: Record<string, { data: string; relmat: RelmatSpec }> = {
  phylo: { data: 'phylo_data.csv', relmat: { species: phyloK } },
  pedigree_herd: { data: 'pedigree_data.csv', relmat: { animal: ped } },
};

interface Row { name: string; estimate: number; se: number; df: number; t: number; p: number }
function sameRows(got: Row[], want: Row[], what: string): void {
  expect(got.map((r) => r.name)).toEqual(want.map((r) => r.name));
  got.forEach((r, i) => {
    for (const k of ['estimate', 'se', 'df', 't'] as const) expect(rel(r[k], want[i][k]), `${what} ${r.name} ${k}: ${r[k]} vs ${want[i][k]}`).toBeLessThan(1e-6);
    // a p far in the tail (3e-10) carries the reference's numerical-derivative df error magnified: 1e-6
    // relative or 1e-12 absolute (test/inference/contest.test.ts: 1e-3 relative, 1e-10 absolute)
    expect(Math.min(rel(r.p, want[i].p), Math.abs(r.p - want[i].p) / 1e-6), `${what} ${r.name} p: ${r.p} vs ${want[i].p}`).toBeLessThan(1e-6);
  });
}

describe('relmat with inference (ddf, profile, likelihood-ratio test)', () => {
  for (const c of ref.inference) {
    it(`${c.name}: ${c.formula}`, async () => {
      const { data, relmat } = cases[c.name];
      const fit = await lmer(c.formula, csv(data), { relmat });
      expect(fit.objective).toBeLessThanOrEqual(c.fit.criterion + 1e-6);
      sameRows(fit.coefficients({ ddf: 'satterthwaite' }), c.satterthwaite, 'Satterthwaite');
      sameRows(fit.coefficients({ ddf: 'kenward-roger' }), c.kenward_roger, 'Kenward-Roger');
      // the type III table's one-df term: F = t², the same denominator df
      for (const [ddf, rows] of [['satterthwaite', c.satterthwaite], ['kenward-roger', c.kenward_roger]] as const) {
        const x = fit.anova({ ddf }).find((r) => r.term === 'x')!;
        const want = (rows as Row[]).find((r) => r.name === 'x')!;
        expect(rel(x.F, want.t ** 2)).toBeLessThan(1e-6);
        expect(rel(x.dendf, want.df)).toBeLessThan(1e-6);
      }
      const ci = await fit.confint({ method: 'profile' });
      for (const [name, [lo, hi]] of Object.entries(c.profile as Record<string, [number, number]>)) {
        const [glo, ghi] = ci.intervals[name];
        const width = hi - lo;
        expect(Math.abs(glo! - lo), `${name} lower ${glo} vs ${lo}`).toBeLessThanOrEqual(2e-3 * width);
        expect(Math.abs(ghi! - hi), `${name} upper ${ghi} vs ${hi}`).toBeLessThanOrEqual(2e-3 * width);
      }
      // Wald intervals from the fit's SEs
      const wald = await fit.confint({ method: 'wald' });
      for (const [name, b] of Object.entries(c.fit.fixef as Record<string, number>)) {
        expect(rel((wald.intervals[name][0]! + wald.intervals[name][1]!) / 2, b)).toBeLessThan(1e-5);
      }
    }, 120_000);
  }
  it('the likelihood-ratio test between two relmat fits (REML fits refitted with ML)', async () => {
    const data = csv('phylo_data.csv');
    const f0 = await lmer(ref.lrt.formulas[0], data, { relmat: { species: phyloK } });
    const f1 = await lmer(ref.lrt.formulas[1], data, { relmat: { species: phyloK } });
    const t = await anovaModels([f0, f1]);
    t.models.forEach((m, i) => {
      expect(m.deviance).toBeLessThanOrEqual(ref.lrt.fits[i].criterion + 1e-6);
      expect(rel(m.loglik, ref.lrt.fits[i].loglik)).toBeLessThan(1e-8);
      expect(rel(m.aic, ref.lrt.fits[i].aic)).toBeLessThan(1e-8);
    });
    expect(rel(t.tests[1]!.chisq, ref.lrt.chisq)).toBeLessThan(1e-6);
    expect(t.tests[1]!.df).toBe(ref.lrt.df);
    expect(rel(t.tests[1]!.p!, ref.lrt.p)).toBeLessThan(1e-6);
  }, 60_000);
});

describe('relmat with a blme prior on its term', () => {
  const prior: Record<string, 'blme' | { cov: string }> = {
    wishart: 'blme',
    gamma_sd: { cov: "gamma(shape = 2.5, rate = 0.5, posterior.scale = 'sd')" },
  };
  for (const c of ref.priors) {
    it(c.name, async () => {
      const fit = await lmer('y ~ x + (1 | species)', csv('phylo_data.csv'), { relmat: { species: phyloK }, prior: prior[c.name] });
      const j = fit.toJSON() as Record<string, any>;
      expect(j.penalized_objective).toBeLessThanOrEqual(c.objective + 1e-6);
      expect(Math.abs(fit.theta[0] - c.theta[0])).toBeLessThan(1e-4);
      const close = (got: number, want: number, what: string) => expect(rel(got, want), `${what}: ${got} vs ${want}`).toBeLessThan(2e-5);
      close(fit.sigma, c.sigma, 'sigma');
      for (const [nm, b] of Object.entries(c.fixef as Record<string, number>)) {
        close(fit.fixef[nm], b, `beta ${nm}`);
        close(fit.se[nm], c.se[nm], `se ${nm}`);
      }
      close(j.prior_deviance, c.penalty, 'prior deviance');
      close(fit.objective, c.remlcrit, 'REML criterion');
    }, 60_000);
  }
});

describe('relmat with the negative binomial GLMM', () => {
  it('the NB size estimated (glmer.nb) against the exact Laplace optimum over the size', async () => {
    const nb = ref.negative_binomial;
    const fit = await glmer(nb.formula, csv(nb.data), { family: 'negative.binomial', relmat: { species: phyloK } });
    expect(rel(fit.nbSize!, nb.nb_size)).toBeLessThan(1e-4);
    for (const [k, v] of Object.entries(nb.fixef as Record<string, number>)) expect(rel(fit.fixef[k], v)).toBeLessThan(1e-4);
    for (const [k, v] of Object.entries(nb.se as Record<string, number>)) expect(rel(fit.se[k], v)).toBeLessThan(1e-3);
    nb.theta.forEach((t: number, k: number) => expect(Math.abs(fit.theta[k] - t)).toBeLessThan(1e-3));
    expect(fit.objective).toBeLessThan(nb.deviance_laplace + 1e-6);
    expect(Math.abs(fit.AIC - nb.aic)).toBeLessThan(1e-4);
    expect(fit.toJSON().relmat).toBeDefined();
  }, 120_000);
});

describe('relmat: what is refused, with the reason', () => {
  it('the parametric bootstrap, prediction intervals and a glmer profile', async () => {
    const data = csv('phylo_data.csv');
    const fit = await lmer('y ~ x + (1 | species)', data, { relmat: { species: phyloK } });
    await expect(fit.bootstrap({ nsim: 5 })).rejects.toThrow(/parametric bootstrap cannot be computed for a model with a known covariance matrix \(relmat: 'species'\)/);
    await expect(fit.confint({ method: 'boot', nsim: 5 })).rejects.toThrow(/relmat: 'species'/);
    expect(() => fit.predict(data, { interval: 'prediction' } as never)).toThrow(/prediction and confidence intervals cannot be computed for a model with a known covariance matrix \(relmat: 'species'\)/);
    const g = await glmer('count ~ x + (1 | species)', data, { family: 'poisson', relmat: { species: phyloK } });
    await expect(g.confint({ method: 'profile' })).rejects.toThrow(/profile cannot be computed .*relmat: 'species'/);
    await expect(g.confint({ method: 'boot', nsim: 5 })).rejects.toThrow(/relmat: 'species'/);
    expect((await g.confint({ method: 'wald' })).intervals.x[0]).toBeLessThan(g.fixef.x);
  }, 60_000);
  it('relmat given to the stream engine (before any data are read)', async () => {
    const source = new CsvBatchSource(blobSource(new Blob([text('phylo_data.csv')])), 'phylo');
    await expect(lmerStream(source, 'y ~ x + (1 | species)', { relmat: { species: phyloK } } as never)).rejects.toMatchObject({ name: 'OptionError', option: 'relmat' });
  });
});
