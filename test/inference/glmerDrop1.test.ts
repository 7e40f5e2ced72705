/**
 * drop1 of glmer fits (lme4 1.1-31's drop1.merMod, test = "Chisq" and "none") against
 * test/oracle/glmer_drop1.R (fixtures test/fixtures/glmer-drop1/drop1.json): cbpp's period (logit,
 * probit, nAGQ = 5, nAGQ = 0, the proportion with prior weights), a Bernoulli model with two covariates and a
 * covariate × factor interaction (y ~ x1 * f + x2: x2 and the 2-df x1:f dropped), a Poisson model with
 * an offset and a 2-df factor, a model with aliased columns (every npar 0, Pr(Chi) none), a Gamma(log) model (σ counted in npar) and a negative binomial with
 * its size given (negative.binomial(2); lme4 counts the size in npar).
 *
 * Two levels, as the other glmer references:
 *   at R's parameters (no optimizer): each reduced model's exact Laplace/AGQ deviance at R's exact
 *     optimum of it (θ, β) against R's value: 1e-7 absolute. Both evaluate the same function at the
 *     same point with PIRLS converged to ~1e-12; this checks X₋ₜ (columns, coding, offset, weights).
 *   at our optimum: our refits' −2ℓ against R's exact optima (the exact deviance minimized by
 *     nloptwrap to ftol_abs 1e-13): −2ℓ, AIC and LRT within 1e-6 absolute (our stage 2 stops at a
 *     radius of 1e-5 in scaled units, θ̂ and β̂ to ~1e-6, so −2ℓ — flat at the optimum — to ~1e-9),
 *     p-values 1e-5 relative; npar exact. Against lme4's drop1 table itself: LRT and AIC within 1e-4,
 *     the error of lme4's −2ℓ (glmer's Laplace deviance uses L one PIRLS step behind the mode: ~1e-5
 *     at tolPwrss 1e-12, test/oracle/glmer_tight.R), p 1e-4 relative.
 * Worst errors seen: at R's parameters 2.3e-11 (Gamma); at our optima AIC 3.2e-11, LRT 3.9e-11, p 2.0e-11
 * relative (the negative binomial); against lme4's tight tables AIC 3.1e-6 (Gamma), LRT 2.7e-7 and p
 * 1.3e-7 relative (probit, whose Fisher-scoring PIRLS leaves lme4's L furthest behind); nAGQ = 0
 * (cbpp), against lme4's table alone (no lagged L there), AIC and LRT 1.3e-9; the negative binomial's
 * (lme4 at its default control, 2.4e-3 off the exact optimum's AIC) within that distance + 3.9e-11.
 * The printed tables are R's text exactly.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { glmer } from '../../src/fit/glmer.js';
import { drop1Glmm, glmmWithout } from '../../src/inference/glmmDrop1.js';
import { PirlsEngine } from '../../src/glmm/pirls.js';
import { ghRule } from '../../src/glmm/rmath.js';
import { thetaToInternal } from '../../src/model/reparam.js';
import { dropScope } from '../../src/formula/dropScope.js';
import { runDrop1 } from '../../src/cli/inferenceCommands.js';
import { loadDataFile } from '../helpers/inference.js';
import { readCsv } from '../../src/io/csv.js';
import { namedMatrixFromTable } from '../../src/relmat/matrixTable.js';

const dataPath = (f: string) => join(import.meta.dirname, '..', 'fixtures', 'data', f);
async function capture(run: (io: { stdout: (s: string) => void; stderr: (s: string) => void }) => Promise<number>) {
  const out: string[] = [], err: string[] = [];
  const code = await run({ stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

interface ExactFit { theta: number[] | number; beta: number[] | number; deviance: number; npar: number }
interface Case {
  name: string; data: string; formula: string; family: string; link: string; nAGQ: number; weights: string | null; factors: string[] | string;
  /** the negative binomial's fixed size */
  theta: number | null;
  /** lme4's control for its table: tight, or glmer's default (see below) */
  control: 'tight' | 'default';
  scope: string[];
  lme4: { npar: number[]; AIC: number[]; LRT: number[]; p: number[] /* "NA" where npar is 0 */; noneAIC: number[]; heading: string[]; printed: string[]; printedNone: string[] };
  /** absent for nAGQ = 0 (lme4's table alone) */
  exact?: { full: ExactFit; reduced: ExactFit[]; npar: number[]; AIC: number[]; LRT: number[]; p: number[] };
}
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'glmer-drop1', 'drop1.json'), 'utf8')) as { cases: Case[] };
const arr = (v: number[] | number) => (Array.isArray(v) ? v : [v]);

function fitCase(c: Case) {
  return glmer(c.formula, loadDataFile(c.data), {
    family: c.family as 'binomial', link: c.link as 'logit', nAGQ: c.nAGQ, factors: Array.isArray(c.factors) ? c.factors : [c.factors],
    ...(c.weights ? { weights: c.weights } : {}), ...(c.theta !== null ? { theta: c.theta } : {}),
  });
}

describe('drop1 of glmer fits against lme4', () => {
  for (const c of fixture.cases) {
    if (c.exact) it(`${c.name}: the reduced models at R's optima`, async () => {
      const exact = c.exact!;
      const fit = await fitCase(c);
      const terms = dropScope(fit.model.frame.formula.fixed);
      expect(terms.map((t) => t.label)).toEqual(c.scope);
      let worst = 0;
      terms.forEach((t, k) => {
        const m = glmmWithout(fit.model, t.label);
        const ref = exact.reduced[k];
        expect(m.frame.p).toBe(arr(ref.beta).length);
        const engine = new PirlsEngine(m.pirls);
        const r = engine.run(thetaToInternal(m, arr(ref.theta)), Float64Array.from(arr(ref.beta)));
        const dev = c.nAGQ > 1 ? engine.agq(ghRule(c.nAGQ)) : r.laplace;
        worst = Math.max(worst, Math.abs(dev - ref.deviance));
      });
      expect(worst).toBeLessThan(1e-7);
    }, 60_000);

    it(`${c.name}: the table at our optima`, async () => {
      const fit = await fitCase(c);
      const exact = c.exact ?? { full: { deviance: fit.objective, npar: fit.df }, npar: c.lme4.npar, AIC: c.lme4.AIC, LRT: c.lme4.LRT, p: c.lme4.p };
      // lme4's npar.merMod (the negative binomial's given size counted)
      expect(fit.df).toBe(exact.full.npar);
      expect(Math.abs(fit.objective - exact.full.deviance)).toBeLessThan(1e-6);
      const tab = await drop1Glmm(fit);
      expect(tab.test).toBe('Chisq');
      expect(tab.model).toBe(c.formula);
      expect(tab.rows.map((r) => r.term)).toEqual(c.scope);
      // each reduced design of the aliased model drops a column of its own: noted per refit
      if (c.name === 'binomial_aliased') {
        expect(tab.messages).toHaveLength(4);
        expect(tab.messages[0]).toMatch(/^refit without 'x1': fixed-effect model matrix is rank deficient so dropping 1 column/);
      } else expect(tab.messages).toEqual([]);
      expect(tab.rows.map((r) => r.npar)).toEqual(exact.npar);
      expect(tab.rows.map((r) => r.npar)).toEqual(c.lme4.npar);
      const aic = [tab.none.AIC, ...tab.rows.map((r) => r.AIC)];
      // against lme4's table: at a tight control, its −2ℓ's own error (lagged L, ~1e-5) is under 1e-4;
      // at glmer's default control (the negative binomial, whose reduced fits do not reach tolPwrss
      // 1e-12 in lme4) its PIRLS stops at tolPwrss 1e-7: ours must then be within lme4's own distance
      // from the exact optimum (+ 1e-6), as test/glmerInfluence.test.ts compares with influence()
      const own = (ours: number, lme4: number, ex: number) => (c.control === 'tight' ? Math.abs(ours - lme4) : Math.max(0, Math.abs(ours - lme4) - Math.abs(ex - lme4)));
      const errs = { aic: 0, lrt: 0, p: 0, aicLme4: 0, lrtLme4: 0, pLme4: 0 };
      aic.forEach((a, k) => {
        errs.aic = Math.max(errs.aic, Math.abs(a - exact.AIC[k]));
        errs.aicLme4 = Math.max(errs.aicLme4, own(a, c.lme4.AIC[k], exact.AIC[k]));
      });
      tab.rows.forEach((r, k) => {
        errs.lrt = Math.max(errs.lrt, Math.abs(r.LRT! - exact.LRT[k]));
        errs.lrtLme4 = Math.max(errs.lrtLme4, own(r.LRT!, c.lme4.LRT[k], exact.LRT[k]));
        // npar 0 (the term's columns all aliased): no test, lme4's NA
        if (exact.npar[k] <= 0) { expect(r.p).toBeNull(); return; }
        errs.p = Math.max(errs.p, Math.abs(r.p! - exact.p[k]) / exact.p[k]);
        errs.pLme4 = Math.max(errs.pLme4, own(r.p!, c.lme4.p[k], exact.p[k]) / c.lme4.p[k]);
      });
      // nAGQ = 0 (no exact reference): lme4's stage-1 optimum, BOBYQA to rhoend 1e-10 and PIRLS at
      // tolPwrss 1e-12 (no lagged L: PIRLS updates β too), is the reference at 1e-6
      expect(errs.aic).toBeLessThan(1e-6);
      expect(errs.lrt).toBeLessThan(1e-6);
      expect(errs.p).toBeLessThan(1e-5);
      const tolLme4 = c.control === 'tight' ? 1e-4 : 1e-6;
      expect(errs.aicLme4).toBeLessThan(tolLme4);
      expect(errs.lrtLme4).toBeLessThan(tolLme4);
      expect(errs.pLme4).toBeLessThan(tolLme4);
      // test = "none": lme4's npar and AIC columns alone
      const none = await drop1Glmm(fit, { test: 'none' });
      expect(none.rows.every((r) => r.LRT === undefined && r.p === undefined)).toBe(true);
      none.rows.forEach((r, k) => expect(own(r.AIC, c.lme4.noneAIC[k + 1], exact.AIC[k + 1])).toBeLessThan(tolLme4));
    }, 120_000);
  }
});

describe('drop1 of glmer fits: the method, the CLI, refusals', () => {
  const cbpp = fixture.cases.find((c) => c.name === 'cbpp_period')!;
  const inter = fixture.cases.find((c) => c.name === 'binomial_interaction')!;
  const CBPP = 'cbind(incidence, size - incidence) ~ period + (1 | herd)';

  it("fit.drop1() is lme4's table; --scope and an unknown term", async () => {
    const fit = await fitCase(inter);
    const tab = await fit.drop1({ scope: ['x1:f'] });
    expect(tab.rows.map((r) => r.term)).toEqual(['x1:f']);
    expect(Math.abs(tab.rows[0].LRT! - inter.exact!.LRT[1])).toBeLessThan(1e-6);
    await expect(fit.drop1({ scope: ['x1'] })).rejects.toThrow(/only marginal terms can be dropped/);
    await expect(fit.drop1({ test: 'F' as 'none' })).rejects.toThrow(/'Chisq' or 'none'/);
  }, 60_000);

  it("mixedgpu drop1 --family prints lme4's table (test Chisq and none) and --json", async () => {
    for (const [c, file, formula, factors] of [[cbpp, 'cbpp.csv', CBPP, 'herd,period'], [inter, 'binomial_interaction.csv', inter.formula, undefined]] as const) {
      const r = await capture((io) => runDrop1({ file: dataPath(file), formula, factors, family: 'binomial', quiet: true }, io));
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${c.lme4.printed.join('\n')}\n`);
    }
    const none = await capture((io) => runDrop1({ file: dataPath('cbpp.csv'), formula: CBPP, factors: 'herd,period', family: 'binomial', test: 'none', quiet: true }, io));
    expect(none.stdout).toBe(`${cbpp.lme4.printedNone.join('\n')}\n`);
    const j = await capture((io) => runDrop1({ file: dataPath('cbpp.csv'), formula: CBPP, factors: 'herd,period', family: 'binomial', json: true, quiet: true }, io));
    const out = JSON.parse(j.stdout);
    expect(out.test).toBe('Chisq');
    expect(out.model).toBe(CBPP);
    expect(Math.abs(out.none.AIC - cbpp.exact!.AIC[0])).toBeLessThan(1e-6);
    expect(out.rows[0].term).toBe('period');
    expect(out.rows[0].npar).toBe(3);
    expect(Math.abs(out.rows[0].LRT - cbpp.exact!.LRT[0])).toBeLessThan(1e-6);
  }, 60_000);

  it('refuses --ddf with --family, --test without it, an unknown test', async () => {
    const a = await capture((io) => runDrop1({ file: dataPath('cbpp.csv'), formula: CBPP, factors: 'herd,period', family: 'binomial', ddf: 'kenward-roger', quiet: true }, io));
    expect([a.code, a.stderr]).toEqual([1, expect.stringMatching(/--ddf is for lmer fits/)]);
    const b = await capture((io) => runDrop1({ file: dataPath('sleepstudy.csv'), formula: 'Reaction ~ Days + (1 | Subject)', test: 'chisq', quiet: true }, io));
    expect([b.code, b.stderr]).toEqual([1, expect.stringMatching(/--test is for glmer fits/)]);
    const c = await capture((io) => runDrop1({ file: dataPath('cbpp.csv'), formula: CBPP, factors: 'herd,period', family: 'binomial', test: 'F', quiet: true }, io));
    expect([c.code, c.stderr]).toEqual([1, expect.stringMatching(/unknown --test 'F'/)]);
  }, 60_000);

  it('a fit with a known covariance (relmat): each refit is the glmer fit of the reduced formula with it', async () => {
    // no lme4 reference (lme4 has no relmat); the project's relmat glmer is tested against lme4 with
    // Z L in place of Z (test/relmat.test.ts): here the refit must be that fit, to its optimizer's precision
    const dir = join(import.meta.dirname, '..', 'fixtures', 'relmat');
    const csv = (f: string) => readCsv(readFileSync(join(dir, f), 'utf8')).table;
    const K = namedMatrixFromTable(csv('phylo_K.csv'));
    const data = csv('phylo_data.csv');
    const fit = await glmer('count ~ x + (1 | species)', data, { family: 'poisson', relmat: { species: K } });
    const reduced = await glmer('count ~ 1 + (1 | species)', data, { family: 'poisson', relmat: { species: K } });
    const tab = await fit.drop1();
    expect(tab.rows.map((r) => [r.term, r.npar])).toEqual([['x', 1]]);
    expect(Math.abs(tab.rows[0].AIC - reduced.AIC)).toBeLessThan(1e-6);
    expect(Math.abs(tab.rows[0].LRT! - (reduced.objective - fit.objective))).toBeLessThan(1e-6);
  }, 60_000);

  it('refuses fits with missing rows, priors and glmer.nb, naming why', async () => {
    const t = loadDataFile('cbpp.csv');
    const cols = Object.fromEntries(t.schema.fields.map((f) => [f.name, t.getChild(f.name)!.toArray() as ArrayLike<unknown>]));
    const x = Array.from({ length: t.numRows }, (_, i) => (i === 3 ? NaN : i % 5));
    const withNa = await glmer(`${CBPP.replace('~ period', '~ period + x')}`, { ...cols, x } as never, { family: 'binomial', factors: ['herd', 'period'] });
    await expect(withNa.drop1()).rejects.toThrow(/dropped 1 rows for missing values/);
    const prior = await glmer(CBPP, t, { family: 'binomial', factors: ['herd', 'period'], prior: 'blme' });
    await expect(prior.drop1()).rejects.toThrow(/priors/);
    const nb = await glmer('TICKS ~ YEAR + (1 | BROOD)', loadDataFile('grouseticks.csv'), { family: 'negative.binomial', factors: ['YEAR', 'BROOD'] });
    await expect(nb.drop1()).rejects.toThrow(/glmer\.nb fit is not available/);
  }, 120_000);
});
