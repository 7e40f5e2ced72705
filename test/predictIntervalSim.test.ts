/**
 * merTools 0.5.2's predictInterval, REsim and FEsim (fit.predictIntervalSim, fit.REsim, fit.FEsim)
 * against merTools run with n.sims = 20,000 and a fixed seed (test/oracle/merTools.R →
 * test/fixtures/merTools.json), on sleepstudy (random slopes; random intercepts), cbpp (binomial
 * glmer) and two crossed grouping factors.
 *
 * Deterministic pieces, exactly (relative 1e-5, the fits' optima agreeing to about 1e-7):
 *  - predictInterval's draws: β* ~ N(β̂, vcov) (vcov = lme4's), b*_g ~ N(b̂_g, condVar_g) (lme4's
 *    ranef(condVar = TRUE) per level);
 *  - fixInterceptVariance and ignoreFixedTerms: the changed V, merTools's own (its rmvnorm's sigma);
 *  - arm's joint draw of (b, β) per unit scale: its covariance, formed here from the draws of the q + p
 *    unit vectors z = e_j, equals R's A⁻¹ (diagonal of Var(b), the β block and Cov(b, β)).
 * Monte-Carlo outputs, with tolerances of 5 Monte-Carlo standard errors of the difference of two
 * independent estimates (R's N_R = 20,000 draws, ours N = 20,000):
 *  - a p-quantile of draws with density f at it: SE² = p(1 − p)/(N f²); the draws' distribution taken
 *    as normal with s = (upr − lwr)/(2 z_{1−(1−level)/2}) from R's interval, f = φ(z_p)/s, so
 *    SE_diff = s √(p(1 − p)) / φ(z_p) · √(1/N_R + 1/N) (median: p = ½; upr, lwr: p = 1 − (1 − level)/2);
 *    a mean: SE_diff = s √(1/N_R + 1/N); an SD of normal draws: SE_diff = sd √(1/(2N_R) + 1/(2N));
 *  - glmer's type 'probability' compared on the link scale (qlogis of both), where the draws are normal.
 *  The worst of predictInterval's 300 comparisons (fit, upr, lwr per row and run) seen: 2.7 SEs (sleep_slopes, which fixed, lwr).
 * REsim of a model with correlated random slopes: arm 1.13-1 multiplies by Λᵀ instead of Λ (see
 * src/inference/armSim.ts), so merTools's SDs there are not those of b given y; ours are compared with
 * the exact marginal SD √(E[s²] · Var(b)/s²), E[s²] = pwrss/(n − p − 2), and merTools's with arm's own
 * formula (which shows the cause).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lmer } from '../src/fit/lmer.js';
import { glmer } from '../src/fit/glmer.js';
import { readCsv } from '../src/io/csv.js';
import { armSimFromNormals, armSimSystem } from '../src/inference/armSim.js';
import { betaDrawCovariance, predictIntervalSimAsync } from '../src/inference/predictIntervalSim.js';
import { reFeSimAsync, reSimIntervals } from '../src/inference/reSim.js';
import { toArrowTable } from '../src/io/dataInput.js';
import { qnorm } from '../src/stats/distributions.js';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import type { GlmmFit } from '../src/glmm/glmmFit.js';

interface PiRun { which: string; 'include.resid.var'?: boolean; stat?: string; level?: number; type?: string; fit: number[]; upr: number[]; lwr: number[]; effect?: string[] }
interface Block { group: string; levels: string[]; terms: string[]; modes: number[][]; condVar: number[][][] }
interface Case {
  formula: string; data: string; factors: string[]; family?: string; reml?: boolean; newdata: Record<string, (string | number)[]>;
  theta: number[]; beta: number[]; vcov: number[][]; sigma: number; pwrss: number; n: number; p: number; residDF: number;
  blocks: Block[];
  draw_cov: { b_var: number[]; b_var_arm: number[]; beta_cov: number[][]; b_beta_cov: number[][] };
  predict: PiRun[];
  resim: { groupFctr: string; groupID: string; term: string; mean: number; median: number; sd: number }[];
  fesim: { term: string; mean: number; median: number; sd: number }[];
}
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'merTools.json'), 'utf8')) as { n_sims: number; cases: Record<string, Case> };
const NR = fixture.n_sims;
const N = 20000;
const data = (f: string, factors: string[]) => readCsv(readFileSync(join(import.meta.dirname, 'fixtures', 'data', f), 'utf8'), { factors }).table;

const fits = new Map<string, Promise<LmmFit | GlmmFit>>();
function fitOf(name: string): Promise<LmmFit | GlmmFit> {
  let f = fits.get(name);
  if (!f) {
    const c = fixture.cases[name];
    f = c.family ? glmer(c.formula, data(c.data, c.factors), { family: c.family as 'binomial', factors: c.factors }) : lmer(c.formula, data(c.data, c.factors), { REML: c.reml ?? true, factors: c.factors });
    fits.set(name, f);
  }
  return f;
}
/** the new data's columns as strings for the factors */
const newdataOf = (c: Case) => {
  // jsonlite writes a data frame as rows
  const rows = c.newdata as unknown as Record<string, string | number>[];
  return Object.fromEntries(Object.keys(rows[0]).map((k) => [k, rows.map((r) => (c.factors.includes(k) ? String(r[k]) : r[k]))]));
};
// jsonlite unboxes a one-element vector: a block's terms as an array again
for (const c of Object.values(fixture.cases)) {
  for (const b of c.blocks) if (!Array.isArray(b.terms)) b.terms = [b.terms as unknown as string];
  if (!Array.isArray(c.theta)) c.theta = [c.theta as unknown as number];
}

const relClose = (a: number, b: number, tol: number, what: string) => {
  expect(Math.abs(a - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(tol * Math.max(Math.abs(b), 1e-300) + 1e-12);
};
const phi = (z: number) => Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI);
const qlogis = (p: number) => Math.log(p / (1 - p));

/** the allowed |ours − R| for the summary `kind` of draws whose normal scale is s (header) */
function tolerance(kind: 'median' | 'mean' | 'upr' | 'lwr', s: number, level: number): number {
  const both = Math.sqrt(1 / NR + 1 / N);
  if (kind === 'mean') return 5 * s * both;
  const p = kind === 'median' ? 0.5 : 1 - (1 - level) / 2;
  return 5 * s * Math.sqrt(p * (1 - p)) / phi(qnorm(p)) * both;
}

describe('predictIntervalSim: the deterministic pieces', () => {
  for (const name of Object.keys(fixture.cases)) {
    it(`${name}: β*'s covariance is lme4's vcov, each level's b*'s is its condVar`, async () => {
      const c = fixture.cases[name];
      const fit = await fitOf(name);
      fit.theta.forEach((t, j) => relClose(t, c.theta[j], 1e-5, `θ${j}`));
      const V = betaDrawCovariance(fit, {});
      const p = c.p;
      for (let r = 0; r < p; r++) for (let s = 0; s < p; s++) relClose(V[r * p + s], c.vcov[r][s], 1e-5, `vcov[${r},${s}]`);
      for (const blk of c.blocks) {
        const k = fit.model.blocks.findIndex((b) => b.group === blk.group);
        const ours = fit.model.blocks[k];
        const q = ours.q;
        const C = fit.conditionalCovariance(k);
        blk.levels.forEach((lv, gR) => {
          const g = ours.levels.indexOf(lv);
          for (let s = 0; s < q; s++) for (let t = 0; t < q; t++) {
            const r = blk.condVar[gR][s][t];
            relClose(C[g * q * q + s * q + t], r, 1e-5, `condVar ${blk.group} ${lv} [${s},${t}]`);
          }
        });
      }
    });

    it(`${name}: arm's joint draw of (b, β) has covariance s² A⁻¹ (Λ, not arm's Λᵀ)`, async () => {
      const c = fixture.cases[name];
      const fit = await fitOf(name);
      const system = armSimSystem(fit, 'test');
      const ms = system.chol.m;
      const p = system.beta.length;
      // the draw of each unit vector e_j minus the mean is column j of the draw's linear map
      const cols: { b: Float64Array[]; beta: Float64Array }[] = [];
      const zero = () => ({ zu: ms.map((m) => new Float64Array(m)), zb: new Float64Array(p) });
      ms.forEach((m, k) => {
        for (let e = 0; e < m; e++) { const z = zero(); z.zu[k][e] = 1; const d = armSimFromNormals(system, z.zu, z.zb, 1); cols.push({ b: d.b.map((bk, kk) => bk.map((v, i) => v - system.b[kk][i])), beta: d.beta.map((v, j) => v - system.beta[j]) }); }
      });
      for (let j = 0; j < p; j++) { const z = zero(); z.zb[j] = 1; const d = armSimFromNormals(system, z.zu, z.zb, 1); cols.push({ b: d.b.map((bk, kk) => bk.map((v, i) => v - system.b[kk][i])), beta: d.beta.map((v, jj) => v - system.beta[jj]) }); }
      // β block
      for (let r = 0; r < p; r++) for (let s = 0; s < p; s++) {
        let acc = 0;
        for (const col of cols) acc += col.beta[r] * col.beta[s];
        relClose(acc, c.draw_cov.beta_cov[r][s], 1e-5, `Var(β)/s² [${r},${s}]`);
      }
      // Var(b)/s² and Cov(b, β)/s² in lme4's order: terms by number of levels (largest first), level-major
      const order = [...c.blocks].sort((a, b) => b.levels.length - a.levels.length);
      let o = 0;
      for (const blk of order) {
        const k = fit.model.blocks.findIndex((b) => b.group === blk.group);
        const ours = fit.model.blocks[k];
        const q = ours.q;
        blk.levels.forEach((lv) => {
          const g = ours.levels.indexOf(lv);
          for (let s = 0; s < q; s++, o++) {
            let acc = 0;
            for (const col of cols) acc += col.b[k][g * q + s] ** 2;
            relClose(acc, c.draw_cov.b_var[o], 1e-5, `Var(b)/s² ${blk.group} ${lv} ${s}`);
            for (let j = 0; j < p; j++) {
              let cb = 0;
              for (const col of cols) cb += col.b[k][g * q + s] * col.beta[j];
              expect(Math.abs(cb - c.draw_cov.b_beta_cov[o][j])).toBeLessThanOrEqual(1e-5 * Math.sqrt(c.draw_cov.b_var[o] * c.draw_cov.beta_cov[j][j]));
            }
          }
        });
      }
      expect(o).toBe(c.draw_cov.b_var.length);
    });
  }
});

describe("predictIntervalSim's fixInterceptVariance and ignoreFixedTerms (test/oracle/merTools_vcov.R: merTools's own β-draw covariance)", () => {
  const vfix = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'merTools_vcov.json'), 'utf8')) as {
    cases: Record<string, { vcov: number[][]; fix_intercept: number[][]; ignore_days?: number[][]; ignore_period2?: number[][] }>;
  };
  for (const name of ['sleep_slopes', 'cbpp']) {
    it(`${name}: V changed as merTools changes it (1e-5 of √(V_ii V_jj))`, async () => {
      const fit = await fitOf(name);
      const r = vfix.cases[name];
      const p = r.vcov.length;
      const compare = (V: Float64Array, ref: number[][], what: string) => {
        for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) {
          expect(Math.abs(V[i * p + j] - ref[i][j]), `${what} [${i},${j}]: ${V[i * p + j]} vs ${ref[i][j]}`).toBeLessThanOrEqual(1e-5 * Math.sqrt(r.vcov[i][i] * r.vcov[j][j]));
        }
      };
      compare(betaDrawCovariance(fit, { fixInterceptVariance: true }), r.fix_intercept, 'fixInterceptVariance');
      const term = name === 'cbpp' ? 'period2' : 'Days';
      compare(betaDrawCovariance(fit, { ignoreFixedTerms: [term] }), (name === 'cbpp' ? r.ignore_period2 : r.ignore_days)!, `ignoreFixedTerms ${term}`);
    });
  }
});

describe('predictIntervalSim against merTools::predictInterval (n.sims 20,000)', () => {
  for (const name of Object.keys(fixture.cases)) {
    const c = fixture.cases[name];
    for (const run of c.predict) {
      const label = `${name}: which ${run.which}, include.resid.var ${run['include.resid.var'] ?? true}${run.stat ? `, stat ${run.stat}` : ''}${run.type ? `, type ${run.type}` : ''}${run.level ? `, level ${run.level}` : ''}`;
      it(label, async () => {
        const fit = await fitOf(name);
        const level = run.level ?? 0.8;
        const ours = fit.predictIntervalSim(newdataOf(c), {
          which: run.which as 'full', includeResidVar: run['include.resid.var'] ?? true, stat: (run.stat ?? 'median') as 'median', level,
          type: (run.type ?? 'linear.prediction') as 'probability', nsims: N, seed: 1,
        });
        const prob = run.type === 'probability';
        const link = (v: number) => (prob ? qlogis(v) : v);
        const n = (c.newdata as unknown as unknown[]).length;
        // R's rows: combined, then (which 'all') each part
        const parts = run.which === 'all' ? ['combined', ...(ours.parts ?? []).map((x) => x.effect)] : ['combined'];
        parts.forEach((effect, pi) => {
          const mine = effect === 'combined' ? ours : ours.parts!.find((x) => x.effect === effect)!;
          for (let i = 0; i < n; i++) {
            const e = pi * n + i;
            if (Array.isArray(run.effect)) expect(run.effect[e]).toBe(effect);
            const s = (link(run.upr[e]) - link(run.lwr[e])) / (2 * qnorm(1 - (1 - level) / 2));
            const check = (kind: 'median' | 'mean' | 'upr' | 'lwr', a: number, r: number) => {
              const tol = s > 0 ? tolerance(kind, s, level) : 1e-9;
              expect(Math.abs(link(a) - link(r)), `${effect} row ${i + 1} ${kind}: ${a} vs merTools ${r} (tolerance ${tol})`).toBeLessThanOrEqual(tol);
            };
            check((run.stat ?? 'median') as 'median', mine.fit[i], run.fit[e]);
            check('upr', mine.upr[i], run.upr[e]);
            check('lwr', mine.lwr[i], run.lwr[e]);
          }
        });
      });
    }
  }
});

describe('REsim and FEsim against merTools (n.sims 20,000)', () => {
  for (const name of Object.keys(fixture.cases)) {
    const c = fixture.cases[name];
    const slopes = c.blocks.some((b) => b.terms.length > 1);
    it(`${name}: FEsim`, async () => {
      const fit = await fitOf(name);
      const ours = fit.FEsim({ nsims: N, seed: 1 });
      ours.forEach((row, j) => {
        const r = c.fesim[j];
        expect(row.term).toBe(r.term);
        const s = r.sd;
        expect(Math.abs(row.mean - r.mean)).toBeLessThanOrEqual(tolerance('mean', s, 0.8));
        expect(Math.abs(row.median - r.median)).toBeLessThanOrEqual(tolerance('median', s, 0.8));
        expect(Math.abs(row.sd! - r.sd)).toBeLessThanOrEqual(5 * s * Math.sqrt(1 / (2 * NR) + 1 / (2 * N)));
      });
    });
    it(`${name}: REsim ${slopes ? 'against the exact marginal SDs (arm uses Λᵀ for random slopes)' : 'against merTools'}`, async () => {
      const fit = await fitOf(name);
      const ours = fit.REsim({ nsims: N, seed: 1 });
      expect(ours.length).toBe(c.resim.length);
      // E[s²] of the draws' scale: pwrss / (n − p − 2) for an LMM (χ²_{n−p}), 1 for a GLMM
      const es2 = c.family ? 1 : c.pwrss / (c.n - c.p - 2);
      const order = [...c.blocks].sort((a, b) => b.levels.length - a.levels.length);
      const offsets = new Map<string, number>();
      let o = 0;
      for (const b of order) { offsets.set(b.group, o); o += b.levels.length * b.terms.length; }
      ours.forEach((row, e) => {
        const r = c.resim[e];
        expect([row.groupFctr, row.groupID, row.term]).toEqual([r.groupFctr, r.groupID, r.term]);
        const blk = c.blocks.find((b) => b.group === r.groupFctr)!;
        const g = blk.levels.indexOf(r.groupID), s = blk.terms.indexOf(r.term);
        const idx = offsets.get(blk.group)! + g * blk.terms.length + s;
        const exactSd = Math.sqrt(es2 * c.draw_cov.b_var[idx]);
        const mode = blk.modes[g][s];
        if (!slopes) {
          expect(Math.abs(row.mean - r.mean)).toBeLessThanOrEqual(tolerance('mean', r.sd, 0.8));
          expect(Math.abs(row.median - r.median)).toBeLessThanOrEqual(tolerance('median', r.sd, 0.8));
          expect(Math.abs(row.sd! - r.sd)).toBeLessThanOrEqual(5 * r.sd * Math.sqrt(1 / (2 * NR) + 1 / (2 * N)));
        } else if (c.blocks.length === 1) {
          // merTools's SDs are arm's Λᵀ formula's, not the exact ones (with crossed factors arm's solve
          // without lme4's fill-reducing permutation changes them further: not asserted there)
          const armSd = Math.sqrt(es2 * c.draw_cov.b_var_arm[idx]);
          expect(Math.abs(r.sd - armSd)).toBeLessThanOrEqual(5 * armSd / Math.sqrt(2 * NR));
        }
        // ours against the exact distribution: mean b̂ (5 SEs of one mean), SD (5 SEs of one SD)
        expect(Math.abs(row.mean - mode)).toBeLessThanOrEqual(5 * exactSd / Math.sqrt(N));
        expect(Math.abs(row.sd! - exactSd)).toBeLessThanOrEqual(5 * exactSd / Math.sqrt(2 * N));
      });
      if (slopes) {
        // the two formulas differ by more than the test's resolution somewhere (else this case shows nothing)
        const rel = c.draw_cov.b_var.map((v, i) => Math.abs(Math.sqrt(c.draw_cov.b_var_arm[i] / v) - 1));
        expect(Math.max(...rel)).toBeGreaterThan(0.02);
        // and merTools's SDs are off the exact ones by more than the Monte-Carlo error somewhere
        const off = c.resim.map((r, e) => Math.abs(r.sd - ours[e].sd!) / (r.sd * Math.sqrt(1 / (2 * NR) + 1 / (2 * N))));
        expect(Math.max(...off)).toBeGreaterThan(5);
      }
    });
  }
});

describe('replicates and arguments', () => {
  it('the same seed gives the same draws, n.sims draws are a prefix of more, another seed differs', async () => {
    const c = fixture.cases.sleep_slopes;
    const fit = await fitOf('sleep_slopes');
    const a = fit.predictIntervalSim(newdataOf(c), { nsims: 100, seed: 7, returnSims: true });
    const b = fit.predictIntervalSim(newdataOf(c), { nsims: 100, seed: 7, returnSims: true });
    const longer = fit.predictIntervalSim(newdataOf(c), { nsims: 250, seed: 7, returnSims: true });
    const other = fit.predictIntervalSim(newdataOf(c), { nsims: 100, seed: 8, returnSims: true });
    expect(Array.from(a.fit)).toEqual(Array.from(b.fit));
    a.sims!.forEach((row, i) => {
      expect(Array.from(row)).toEqual(Array.from(longer.sims![i].subarray(0, 100)));
      expect(Array.from(row)).not.toEqual(Array.from(other.sims![i]));
    });
    expect(fit.REsim({ nsims: 50, seed: 3 })).toEqual(fit.REsim({ nsims: 50, seed: 3 }));
    expect(fit.FEsim({ nsims: 50, seed: 3 })).not.toEqual(fit.FEsim({ nsims: 50, seed: 4 }));
    // a level's draws do not depend on which rows the new data has
    const one = fit.predictIntervalSim({ Subject: ['335'], Days: [5] }, { nsims: 100, seed: 7, returnSims: true, which: 'random', includeResidVar: false });
    const all = fit.predictIntervalSim(newdataOf(c), { nsims: 100, seed: 7, returnSims: true, which: 'random', includeResidVar: false });
    expect(Array.from(one.sims![0])).toEqual(Array.from(all.sims![2]));
  });

  it("plotREsim's intervals: stat ± z sd, sig where they exclude 0", async () => {
    const fit = await fitOf('sleep_intercept');
    const rows = reSimIntervals(fit.REsim({ nsims: 500 }), { level: 0.95 });
    for (const r of rows) {
      expect(r.ymax - r.median).toBeCloseTo(1.959963984540054 * r.sd!, 10);
      expect(r.sig).toBe(r.ymin > 0 || r.ymax < 0);
    }
    expect(rows.some((r) => r.sig)).toBe(true);
  });

  it('a Poisson glmer: N(0, 1) residual draws on the link scale, said in a message (merTools\'s sigma = 1)', async () => {
    const fit = await glmer('incidence ~ period + (1 | herd)', data('cbpp.csv', ['herd', 'period']), { family: 'poisson', factors: ['herd', 'period'] });
    const nd = { herd: ['1', '2'], period: ['1', '3'] };
    const r = fit.predictIntervalSim(nd, { nsims: 2000, type: 'probability' });
    expect(r.messages.join(' ')).toMatch(/poisson GLMM are N\(0, 1\) on the link scale/);
    // type 'probability' is exp of the link-scale summaries
    const link = fit.predictIntervalSim(nd, { nsims: 2000 });
    for (let i = 0; i < 2; i++) expect(r.fit[i]).toBeCloseTo(Math.exp(link.fit[i]), 12);
    expect(fit.predictIntervalSim(nd, { nsims: 2000, includeResidVar: false }).messages).toEqual([]);
  });

  it('bad arguments name the problem', async () => {
    const fit = await fitOf('sleep_slopes');
    const nd = newdataOf(fixture.cases.sleep_slopes);
    expect(() => fit.predictIntervalSim(nd, { type: 'probability' })).toThrow(/type 'probability' is for glmer fits/);
    expect(() => fit.predictIntervalSim(nd, { which: 'both' as 'full' })).toThrow(/which/);
    expect(() => fit.predictIntervalSim(nd, { level: 1.5 })).toThrow(/level/);
    expect(() => fit.predictIntervalSim(nd, { ignoreFixedTerms: ['Dayz'] })).toThrow(/'Dayz' is not a fixed effect/);
    expect(() => fit.predictIntervalSim(undefined as never)).toThrow(/needs new data/);
    expect(() => fit.REsim({ nsims: 1 })).toThrow(/nsims/);
    expect(() => fit.predictIntervalSim({ Subject: ['308'] }, {})).toThrow(/Days/);
  });
});

describe('the async forms (predictIntervalSimAsync, reFeSimAsync): the same numbers, progress, Cancel', () => {
  it('equal predictIntervalSim, REsim and FEsim to the last bit; report the draws done; stop with an AbortError', async () => {
    const name = Object.keys(fixture.cases)[0];
    const c = fixture.cases[name];
    const fit = await fitOf(name);
    const nd = newdataOf(c);
    const sync = fit.predictIntervalSim(nd, { nsims: 700, seed: 5, which: 'full' });
    const reports: { done: number; total: number }[] = [];
    const asyncRes = await predictIntervalSimAsync(fit, toArrowTable(nd, 'newdata'), { nsims: 700, seed: 5, which: 'full' }, { onProgress: (p) => reports.push(p) });
    expect([...asyncRes.fit]).toEqual([...sync.fit]);
    expect([...asyncRes.upr]).toEqual([...sync.upr]);
    expect([...asyncRes.lwr]).toEqual([...sync.lwr]);
    expect(reports[reports.length - 1]).toEqual({ done: 700, total: 700 });
    const both = await reFeSimAsync(fit, { nsims: 260, seed: 9 });
    expect(both.re).toEqual(fit.REsim({ nsims: 260, seed: 9 }));
    expect(both.fe).toEqual(fit.FEsim({ nsims: 260, seed: 9 }));
    const ac = new AbortController();
    let k = 0;
    await expect(reFeSimAsync(fit, { nsims: 2000 }, { signal: ac.signal, onProgress: () => { if (++k === 3) ac.abort(); } })).rejects.toMatchObject({ name: 'AbortError' });
    expect(k).toBe(3);
  }, 60_000);
});
