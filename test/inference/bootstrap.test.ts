/**
 * The bootstrap's batched Gram parts against the Gram matrix of explicitly simulated responses, the
 * Newton refits (fast path) against BOBYQA refits (the general path), and reproducibility.
 */
import { describe, expect, it } from 'vitest';
import { buildLmm } from '../../src/lmm/model.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { lmer } from '../../src/fit/lmer.js';
import { bootstrapGramCpu, groupOrder, simulateEffects } from '../../src/backend/cpu/bootstrapGram.js';
import { formGramCpu } from '../../src/backend/cpu/gram.js';
import { CounterNormal } from '../../src/model/random.js';
import { bootstrapLmm, percentileIntervals } from '../../src/inference/bootstrap.js';
import { loadDataFile, loadInference, solutionAt } from '../helpers/inference.js';

async function setup(name: string) {
  const ref = loadInference(name);
  const data = loadDataFile(ref.data);
  const fit = await lmer(ref.formula, data, { factors: ref.factors });
  const model = buildLmm(ref.formula, data, { factors: ref.factors });
  return { fit, model, gram: formGram(model) };
}

describe('parametric bootstrap', () => {
  it('batched Gram parts equal the Gram matrix of the simulated responses', async () => {
    const { fit, model, gram } = await setup('sleepstudy_unbalanced');
    const { n, p } = model.frame;
    const { sol, templates } = solutionAt(model, gram, fit.theta);
    const rng = new CounterNormal(7);
    const reps = [0, 1, 5];
    const batch = bootstrapGramCpu({ n, p, X: model.rows.X, blocks: model.rows.blocks, betaC: sol.beta, templates, sigma: sol.sigma, rng, replicates: reps });
    const b = simulateEffects(model.rows.blocks, templates, sol.sigma, rng, reps);
    const order = groupOrder(n, model.rows.blocks);
    const position = new Int32Array(n);
    order.forEach((i, j) => { position[i] = j; });
    reps.forEach((rep, r) => {
      // y*_c explicitly, then the ordinary Gram pass
      const y = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let v = sol.sigma * rng.normal(rep, 0, position[i]);
        for (let j = 0; j < p; j++) v += model.rows.X[j * n + i] * sol.beta[j];
        model.rows.blocks.forEach((blk, k) => { for (let s = 0; s < blk.q; s++) v += blk.Z[i * blk.q + s] * b[k][(blk.codes[i] * blk.q + s) * reps.length + r]; });
        y[i] = v;
      }
      const g = formGramCpu({ n, X: model.rows.X, p, y, blocks: model.rows.blocks });
      const m = g.AXk[0].length / (p + 1);
      for (let c = 0; c < m; c++) expect(Math.abs(batch.AZy[0][c * reps.length + r] - g.AXk[0][p * m + c])).toBeLessThan(1e-9 * Math.abs(g.AXk[0][p * m + c]) + 1e-9);
      for (let j = 0; j < p; j++) expect(Math.abs(batch.AXy[j * reps.length + r] - g.AXX[p * (p + 1) + j]) / Math.abs(g.AXX[p * (p + 1) + j])).toBeLessThan(1e-12);
      expect(Math.abs(batch.yy[r] - g.AXX[p * (p + 1) + p]) / g.AXX[p * (p + 1) + p]).toBeLessThan(1e-12);
    });
  });

  it('Newton refits agree with BOBYQA refits; same seed, same draws whatever the batch size', async () => {
    const { fit, model, gram } = await setup('sleepstudy');
    const input = { model, gram, theta: fit.theta };
    const a = await bootstrapLmm(input, { nsim: 60, seed: 11, batchSize: 16 });
    const b = await bootstrapLmm(input, { nsim: 60, seed: 11, batchSize: 60, refit: 'bobyqa' });
    expect(a.refits.newton).toBeGreaterThan(30);
    let worst = 0;
    a.t.forEach((row, r) => row.forEach((v, k) => {
      const scale = Math.max(Math.abs(a.t0[k]), 1e-3);
      // BOBYQA's rhoend 2e-7 bounds its accuracy; a singular replicate (sd → 0) may end on the bound either way
      worst = Math.max(worst, Math.abs(v - b.t[r][k]) / scale);
    }));
    expect(worst).toBeLessThan(2e-5);
    // and the Newton refits end at least as low as BOBYQA's
    a.deviance.forEach((d, r) => expect(d).toBeLessThanOrEqual(b.deviance[r] + 1e-9 * Math.abs(d)));
    const c = await bootstrapLmm(input, { nsim: 60, seed: 11, batchSize: 7 });
    c.t.forEach((row, r) => row.forEach((v, k) => expect(v).toBe(a.t[r][k])));
    const { intervals } = percentileIntervals(a);
    expect(intervals.map((i) => i.name)).toEqual(['sd_(Intercept)|Subject', 'cor_Days.(Intercept)|Subject', 'sd_Days|Subject', 'sigma', '(Intercept)', 'Days']);
  });

  it('refuses nsim < 1', async () => {
    const { fit, model, gram } = await setup('sleepstudy');
    await expect(bootstrapLmm({ model, gram, theta: fit.theta }, { nsim: 0 })).rejects.toThrow(/nsim must be a whole number ≥ 1/);
  });
});
