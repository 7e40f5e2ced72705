/**
 * fit.influence() of glmer fits (lme4 1.1-31's influence.merMod: the fit without each level of
 * `groups`, refitted from start = list(theta = θ̂, fixef = β̂)) against test/oracle/glmer_drop1.R
 * (fixtures test/fixtures/glmer-drop1/influence.json): cbpp by herd (Laplace and nAGQ = 5), cbpp by
 * observation (56 refits) and a Poisson model with an offset and a factor by site.
 *
 * Two references per case, as test/influence.test.ts:
 *   exact: R's refits of each deletion at the optimum of the exact Laplace/AGQ deviance (tight glmer,
 *     then nloptwrap on the deviance with PIRLS converged), Var(β̂₋ᵢ) from that deviance's Hessian
 *     (lme4's deriv12), and lme4's formulas applied to them. Ours must match:
 *       β̂₋ᵢ, dfbeta: 1e-5 relative to max |β̂ⱼ| (our stage 2 stops at a radius of 1e-5 in units of
 *         stage 1's standard errors);
 *       θ̂₋ᵢ, var.cov.comps: 1e-4 relative to the entry (θ in that radius scaled by its curvature);
 *       Var(β̂₋ᵢ): 1e-4 relative to its largest entry, dfbetas 1e-5 relative to max(1, |dfbetas|), and
 *         Cook's D 2e-5 relative to the largest Dᵢ (it uses the full fit's Hessian Var(β̂)): both
 *         sides' Hessians are finite differences of the deviance with different stencils (ours
 *         glmer's, R's deriv12), whose truncation errors are ~1e-6 relative here.
 *   lme4: influence() itself, whose refits stop at glmerControl's defaults (PIRLS tolPwrss 1e-7,
 *     Nelder–Mead's stage 2): its β̂₋ᵢ are up to ~7e-4 off the exact ones (cbpp); ours must be within
 *     that distance + 1e-5 of them, and its Cook's distances within theirs + 1e-4 (relative to the largest).
 * lme4's formulas applied to lme4's own β̂₋ᵢ, Var(β̂₋ᵢ) reproduce its dfbeta, dfbetas and Cook's D to
 * 1e-10. Worst errors seen (all four cases): β̂₋ᵢ 2.9e-7, dfbeta 3.1e-7, dfbetas 1.4e-6, θ̂₋ᵢ 1.8e-7,
 * var.cov.comps 3.5e-7, Var(β̂₋ᵢ) 2.8e-6, Cook's D 2.3e-6; from influence()'s own β̂₋ᵢ 4.6e-4 and
 * Cook's D 3.7e-3 (its early stop: 4.6e-4 and 3.7e-3 from the exact refits); the formulas 3.1e-14.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { glmer } from '../src/fit/glmer.js';
import { cooksDistance, dfbeta, dfbetas } from '../src/inference/influenceMeasures.js';
import type { Influence } from '../src/inference/influence.js';
import { runInfluence } from '../src/cli/influenceCommand.js';
import { loadDataFile } from './helpers/inference.js';

type Num = number | Num[];
interface Case {
  name: string; data: string; formula: string; family: string; link: string; nAGQ: number; weights: string | null; factors: string[] | string;
  groups: string; deleted: string[];
  full: { beta: Num; vcov: Num; theta: Num; exact: { beta: Num; theta: Num; vcov: Num; deviance: number } };
  lme4: { beta: Num; varcov: Num; varcovNames: string[]; vcov: Num[]; cooks: Num; dfbeta: Num; dfbetas: Num; converged: boolean[]; feval: number[] };
  exact: { beta: Num; theta: Num[]; vcov: Num[]; varcov: Num; dfbeta: Num; dfbetas: Num; cooks: Num };
}
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'glmer-drop1', 'influence.json'), 'utf8')) as { cases: Case[] };

const flat = (v: Num | null): number[] => (v === null ? [] : Array.isArray(v) ? v.flatMap((x) => flat(x)) : [v]);
const rowsOf = (v: Num, G: number): number[][] => { const f = flat(v); const p = f.length / G; return Array.from({ length: G }, (_, i) => f.slice(i * p, (i + 1) * p)); };
const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, x) => Math.max(m, Math.abs(x)), 0);
const factorsOf = (c: Case) => (Array.isArray(c.factors) ? c.factors : [c.factors]);

async function fitOf(c: Case) {
  return glmer(c.formula, loadDataFile(c.data), {
    family: c.family as 'binomial', link: c.link as 'logit', nAGQ: c.nAGQ, factors: factorsOf(c), ...(c.weights ? { weights: c.weights } : {}),
  });
}

const worst: Record<string, number> = {};
const note = (k: string, v: number) => { worst[k] = Math.max(worst[k] ?? 0, v); };

describe('influence of glmer fits against lme4', () => {
  for (const c of fixture.cases) {
    it(`${c.name}: ${c.formula}, groups ${c.groups}`, async () => {
      const fit = await fitOf(c);
      const infl: Influence = await fit.influence(c.groups === 'case' ? {} : { groups: c.groups });
      const G = c.deleted.length;
      const p = flat(c.full.beta).length;
      expect(infl.deleted.map((d) => d.label)).toEqual(c.deleted);
      expect(infl.varcovNames).toEqual(c.lme4.varcovNames);
      expect(infl.groups).toBe(c.groups);
      const E = c.exact;
      const bScale = maxAbs(flat(c.full.beta));
      const eBeta = rowsOf(E.beta, G), eDfbeta = rowsOf(E.dfbeta, G), eDfbetas = rowsOf(E.dfbetas, G), eCooks = flat(E.cooks), eVarcov = rowsOf(E.varcov, G);
      const lBeta = rowsOf(c.lme4.beta, G), lCooks = flat(c.lme4.cooks);
      const cooks = infl.cooksDistance(), db = infl.dfbeta(), dbs = infl.dfbetas();
      const cScale = maxAbs(eCooks);
      infl.deleted.forEach((d, i) => {
        const at = `${c.groups} ${d.label}`;
        expect(d.converged, at).toBe(true);
        for (let j = 0; j < p; j++) {
          const e = Math.abs(d.beta[j] - eBeta[i][j]) / bScale; note('beta', e);
          expect(e, `β ${at}`).toBeLessThan(1e-5);
          const e2 = Math.abs(db[i][j] - eDfbeta[i][j]) / bScale; note('dfbeta', e2);
          expect(e2, `dfbeta ${at}`).toBeLessThan(1e-5);
          const e3 = Math.abs(dbs[i][j] - eDfbetas[i][j]) / Math.max(1, Math.abs(eDfbetas[i][j])); note('dfbetas', e3);
          expect(e3, `dfbetas ${at}`).toBeLessThan(1e-5);
          // influence() itself: within its own early stop's distance from the exact refit
          const el = Math.abs(d.beta[j] - lBeta[i][j]) / bScale, stop = Math.abs(eBeta[i][j] - lBeta[i][j]) / bScale;
          note('lme4 beta', el); note("lme4 beta's own stop", stop);
          expect(el, `lme4's β ${at}`).toBeLessThan(stop + 1e-5);
        }
        flat(E.theta[i]).forEach((th, k) => { const e = Math.abs(d.theta[k] - th) / th; note('theta', e); expect(e, `θ ${at}`).toBeLessThan(1e-4); });
        d.varcov.forEach((v, k) => { const e = Math.abs(v - eVarcov[i][k]) / eVarcov[i][k]; note('varcov', e); expect(e, `var.cov.comps ${at}`).toBeLessThan(1e-4); });
        expect(d.varcov[0]).toBe(1);
        const ev = flat(E.vcov[i]);
        const vScale = maxAbs(ev);
        ev.forEach((v, k) => { const e = Math.abs(d.vcov[k] - v) / vScale; note('vcov', e); expect(e, `Var(β) ${at}`).toBeLessThan(1e-4); });
        const ec = Math.abs(cooks[i] - eCooks[i]) / cScale; note('cooks', ec);
        expect(ec, `Cook's D ${at}`).toBeLessThan(2e-5);
        const el = Math.abs(cooks[i] - lCooks[i]) / cScale, stop = Math.abs(eCooks[i] - lCooks[i]) / cScale;
        note('lme4 cooks', el); note("lme4 cooks' own stop", stop);
        expect(el, `lme4's Cook's D ${at}`).toBeLessThan(stop + 1e-4);
      });
    }, 120_000);
  }

  it("lme4's formulas: cooks.distance, dfbeta, dfbetas of lme4's own glmer refits", () => {
    for (const c of fixture.cases) {
      const G = c.deleted.length;
      const beta = Float64Array.from(flat(c.full.beta));
      const V = Float64Array.from(flat(c.full.vcov));
      const bd = rowsOf(c.lme4.beta, G).map((r) => Float64Array.from(r));
      const vd = Object.values(c.lme4.vcov).map((v) => Float64Array.from(flat(v)));
      const D = cooksDistance(beta, V, bd);
      const Dmax = maxAbs(flat(c.lme4.cooks));
      flat(c.lme4.cooks).forEach((v, i) => { const e = Math.abs(D[i] - v) / Dmax; note('formula cooks', e); expect(e, `${c.name} D ${i}`).toBeLessThan(1e-10); });
      const db = dfbeta(beta, bd);
      rowsOf(c.lme4.dfbeta, G).forEach((r, i) => r.forEach((v, j) => { const e = Math.abs(db[i][j] - v) / maxAbs(beta); note('formula dfbeta', e); expect(e).toBeLessThan(1e-10); }));
      const dbs = dfbetas(beta, bd, vd);
      const sMax = maxAbs(flat(c.lme4.dfbetas));
      rowsOf(c.lme4.dfbetas, G).forEach((r, i) => r.forEach((v, j) => { const e = Math.abs(dbs[i][j] - v) / sMax; note('formula dfbetas', e); expect(e).toBeLessThan(1e-10); }));
    }
  });

  it('worst values', () => { console.log(JSON.stringify(worst)); });
});

describe('influence of glmer fits: refusals and the CLI', () => {
  const CBPP = 'cbind(incidence, size - incidence) ~ period + (1 | herd)';
  const cbpp = () => loadDataFile('cbpp.csv');

  it('refuses glmer.nb, nAGQ = 0 and priors, naming why', async () => {
    const nb = await glmer('TICKS ~ YEAR + (1 | BROOD)', loadDataFile('grouseticks.csv'), { family: 'negative.binomial', factors: ['YEAR', 'BROOD'] });
    await expect(nb.influence({ groups: 'BROOD' })).rejects.toThrow(/glmer\.nb fit is not available.*re-estimate/);
    const g0 = await glmer(CBPP, cbpp(), { family: 'binomial', factors: ['herd', 'period'], nAGQ: 0 });
    await expect(g0.influence({ groups: 'herd' })).rejects.toThrow(/nAGQ = 0 glmer fit is not available/);
    const prior = await glmer(CBPP, cbpp(), { family: 'binomial', factors: ['herd', 'period'], prior: 'blme' });
    await expect(prior.influence({ groups: 'herd' })).rejects.toThrow(/priors/);
    const g = await glmer(CBPP, cbpp(), { family: 'binomial', factors: ['herd', 'period'] });
    await expect(g.influence({ groups: 'period' })).rejects.toThrow(/groups 'period' is not one of the model's grouping factors/);
  }, 120_000);

  it('mixedgpu influence --family: the glmer refits by herd, JSON as for lmer', async () => {
    const c = fixture.cases.find((x) => x.name === 'cbpp_herd')!;
    const out: string[] = [], err: string[] = [];
    const code = await runInfluence({ file: join(import.meta.dirname, 'fixtures', 'data', 'cbpp.csv'), formula: CBPP, factors: 'herd,period', family: 'binomial', groups: 'herd', json: true, quiet: true },
      { stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
    expect([code, err.join('')]).toEqual([0, '']);
    const j = JSON.parse(out.join(''));
    expect(j.groups).toBe('herd');
    expect(Object.keys(j.var_cov_comps)).toEqual(['sigma^2', 'v[(Intercept)]']);
    expect(j.units.length).toBe(15);
    // largest Cook's distance first, as the exact refits order them
    const eCooks = flat(c.exact.cooks);
    const top = c.deleted.map((_, i) => i).sort((a, b) => eCooks[b] - eCooks[a]);
    expect(j.units.map((u: { unit: string }) => u.unit)).toEqual(top.map((i) => c.deleted[i]));
    expect(Math.abs(j.units[0].cooks_distance - eCooks[top[0]]) / eCooks[top[0]]).toBeLessThan(2e-5);
  }, 120_000);
});
