/**
 * The bootstrap's one-factor fast paths against the general ones: the batched deviance and gradient
 * (oneFactorDeviance.ts) against the blocked Cholesky and the jet factorization, the levels'
 * sufficient statistics (bootstrapGroupSums.ts) against the exact moments of the simulated
 * responses, and the batched refits against the one-by-one refits.
 */
import { describe, expect, it } from 'vitest';
import { buildLmm } from '../../src/lmm/model.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { lmer } from '../../src/fit/lmer.js';
import { BlockedCholesky } from '../../src/linalg/blockedCholesky.js';
import { thetaToInternal } from '../../src/model/reparam.js';
import { solveLmm } from '../../src/lmm/solution.js';
import { profiledDeviance } from '../../src/lmm/deviance.js';
import { CounterNormal } from '../../src/model/random.js';
import { JetSpace } from '../../src/inference/jet.js';
import { JetFactorization, schurJets } from '../../src/inference/jetFactor.js';
import { thetaTemplates } from '../../src/inference/templates.js';
import { OneFactorDeviance } from '../../src/inference/oneFactorDeviance.js';
import { bootstrapGramGroupSums, chiSquare, levelGrams } from '../../src/backend/cpu/bootstrapGroupSums.js';
import { bootstrapLmm } from '../../src/inference/bootstrap.js';
import { loadDataFile, loadInference, solutionAt } from '../helpers/inference.js';

async function setup(name: string, REML = true, formula?: string) {
  const ref = loadInference(name);
  const data = loadDataFile(ref.data);
  const f = formula ?? ref.formula;
  const fit = await lmer(f, data, { factors: ref.factors, REML });
  const model = buildLmm(f, data, { factors: ref.factors, REML });
  return { fit, model, gram: formGram(model) };
}

describe('one grouping factor: batched deviance and gradient', () => {
  // q = 2 (written out) and q = 1 (the general loops)
  for (const [reml, formula] of [[true, undefined], [false, undefined], [true, 'Reaction ~ Days + (1 | Subject)'], [false, 'Reaction ~ Days + (1 | Subject)']] as const) {
    it(`equals the blocked Cholesky's deviance, β̂ and σ̂ and the jets' gradient (${reml ? 'REML' : 'ML'}, ${formula ?? '(Days | Subject)'})`, async () => {
      const { fit, model, gram } = await setup('sleepstudy_unbalanced', reml, formula);
      const { n, p } = model.frame;
      const nt = model.theta.length;
      const chol = new BlockedCholesky(gram, nt);
      const ev = new OneFactorDeviance(gram, nt, n, reml, model.sumLogW);
      const m = gram.AXk[0].length / (p + 1);
      // the fit's own response as a batch of one, evaluated at three values of θ in one pass
      const y = { B: 1, AZy: gram.AXk[0].slice(p * m), AXy: gram.AXX.slice(p * (p + 1), p * (p + 1) + p), yy: Float64Array.of(gram.AXX[p * (p + 1) + p]) };
      const th0 = thetaToInternal(model, fit.theta);
      const thetas = [th0, th0.map((v, k) => v * 1.3 + 0.05 * (k + 1)), th0.map((v, k) => v * 0.6 + 0.01 * k)];
      const res = ev.evaluate(y, [0, 0, 0], Float64Array.from(thetas.flatMap((t) => Array.from(t))));
      const J = new JetSpace(nt, 1);
      thetas.forEach((th, i) => {
        const e = res[i]!;
        chol.factor(th);
        const dev = profiledDeviance({ ldL2: chol.ldL2, ldRX2: chol.ldRX2, pwrss: chol.pwrss }, n, p, reml, model.sumLogW);
        expect(Math.abs(e.value - dev)).toBeLessThan(1e-10 * Math.abs(dev));
        const sol = solveLmm(chol, n, reml);
        e.betaC.forEach((b, k) => expect(Math.abs(b - sol.beta[k])).toBeLessThan(1e-10 * Math.max(1, Math.abs(sol.beta[k]))));
        expect(Math.abs(Math.sqrt(e.pwrss / (reml ? n - p : n)) - sol.sigma)).toBeLessThan(1e-12 * sol.sigma);
        // the gradient of the same deviance through the first-order jet factorization
        const jf = new JetFactorization(J, chol, thetaTemplates(J, gram.blocks, null, th));
        const { ldRX2, pwrss } = schurJets(J, jf.S, p);
        const nu = reml ? n - p : n;
        for (let k = 0; k < nt; k++) {
          const g = jf.ldL2[1 + k] + (reml ? ldRX2[1 + k] : 0) + (nu * pwrss[1 + k]) / pwrss[0];
          expect(Math.abs(e.gradient[k] - g)).toBeLessThan(1e-8 * Math.max(1, Math.abs(g)));
        }
      });
    });
  }
});

describe('one grouping factor: the levels\' sufficient statistics', () => {
  it('factor each level\'s Gram matrix (rank 2 where Z_g repeats X_g\'s columns)', async () => {
    const { model } = await setup('sleepstudy_unbalanced');
    const { n, p } = model.frame;
    const lg = levelGrams(n, p, model.rows.X, model.rows.blocks[0]);
    const w = lg.w;
    expect(w).toBe(4);
    for (let g = 0; g < model.rows.blocks[0].nl; g++) {
      const o = g * w * w;
      let scale = 0;
      for (let a = 0; a < w; a++) scale = Math.max(scale, lg.G[o + a * w + a]);
      for (let a = 0; a < w; a++) for (let b = 0; b <= a; b++) {
        let v = 0;
        for (let j = 0; j < w; j++) v += lg.F[o + a * w + j] * lg.F[o + b * w + j];
        expect(Math.abs(v - lg.G[o + a * w + b])).toBeLessThan(1e-11 * scale);
      }
      // (Days | Subject) over (Intercept) + Days: [Z_g X_g] has two distinct columns
      expect(lg.rank[g]).toBe(2);
    }
    expect(lg.rest).toBe(n - 2 * model.rows.blocks[0].nl);
  });

  it('χ² draws have mean ν and variance 2ν', () => {
    const rng = new CounterNormal(3);
    for (const nu of [1, 7, 5000]) {
      const R = 4000;
      const x = Array.from({ length: R }, (_, r) => chiSquare(rng, r, nu));
      const mean = x.reduce((a, b) => a + b, 0) / R;
      const varx = x.reduce((a, b) => a + (b - mean) ** 2, 0) / (R - 1);
      expect(Math.abs(mean - nu)).toBeLessThan(4.5 * Math.sqrt((2 * nu) / R));
      expect(Math.abs(varx / (2 * nu) - 1)).toBeLessThan(0.12);
    }
  });

  it('the simulated parts have the exact moments of Zᵀy*, Xᵀy* and y*ᵀy* under y* ~ N(Xβ̂, σ̂²(ZΛΛᵀZᵀ + I))', async () => {
    const { fit, model, gram } = await setup('sleepstudy_unbalanced');
    const { n, p } = model.frame;
    const { sol, templates: [T] } = solutionAt(model, gram, fit.theta);
    const blk = model.rows.blocks[0];
    const q = blk.q;
    // the columns [Z X] (rows' coordinates), μ = X β̂ and V = σ²(Z T Tᵀ Zᵀ + I) applied column by column
    const cols: Float64Array[] = [];
    for (let s = 0; s < q; s++) for (let g = 0; g < blk.nl; g++) cols.push(Float64Array.from({ length: n }, (_, i) => (blk.codes[i] === g ? blk.Z[i * q + s] : 0)));
    for (let c = 0; c < p; c++) cols.push(model.rows.X.slice(c * n, (c + 1) * n));
    const mu = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let c = 0; c < p; c++) mu[i] += model.rows.X[c * n + i] * sol.beta[c];
    const s2 = sol.sigma ** 2;
    const Vx = (x: Float64Array) => {
      // σ²(x + Z T Tᵀ Zᵀ x)
      const out = Float64Array.from(x, (v) => s2 * v);
      const zx = new Float64Array(blk.nl * q);
      for (let i = 0; i < n; i++) for (let s = 0; s < q; s++) zx[blk.codes[i] * q + s] += blk.Z[i * q + s] * x[i];
      const tt = new Float64Array(blk.nl * q);
      for (let g = 0; g < blk.nl; g++) for (let a = 0; a < q; a++) for (let b = 0; b < q; b++) {
        let v = 0;
        for (let u = 0; u < q; u++) v += T[a * q + u] * T[b * q + u];
        tt[g * q + a] += v * zx[g * q + b];
      }
      for (let i = 0; i < n; i++) for (let s = 0; s < q; s++) out[i] += s2 * blk.Z[i * q + s] * tt[blk.codes[i] * q + s];
      return out;
    };
    const dot = (a: Float64Array, b: Float64Array) => a.reduce((acc, v, i) => acc + v * b[i], 0);
    const R = 4000;
    const batch = bootstrapGramGroupSums({ n, p, X: model.rows.X, blocks: model.rows.blocks, betaC: sol.beta, templates: [T], sigma: sol.sigma, rng: new CounterNormal(5), replicates: Array.from({ length: R }, (_, r) => r) });
    const check = (draws: number[], mean: number, variance: number) => {
      const m = draws.reduce((a, b) => a + b, 0) / R;
      const v = draws.reduce((a, b) => a + (b - m) ** 2, 0) / (R - 1);
      expect(Math.abs(m - mean)).toBeLessThan(4.5 * Math.sqrt(variance / R));
      // the sample variance's SE is about √(2/R) = 2.2% of it for normal draws
      expect(Math.abs(v / variance - 1)).toBeLessThan(0.12);
    };
    // Zᵀy* level by level and Xᵀy*: mean cᵀμ, variance cᵀVc
    const m = blk.nl * q;
    cols.forEach((c, j) => {
      const draws = Array.from({ length: R }, (_, r) => {
        if (j < m) { const s = Math.floor(j / blk.nl), g = j % blk.nl; return batch.AZy[0][(g * q + s) * R + r]; }
        return batch.AXy[(j - m) * R + r];
      });
      check(draws, dot(c, mu), dot(c, Vx(c)));
    });
    // y*ᵀy*: mean μᵀμ + tr V; variance 2 tr(V²) + 4 μᵀVμ
    let trV = 0, trV2 = 0;
    for (let i = 0; i < n; i++) {
      const e = new Float64Array(n);
      e[i] = 1;
      const v = Vx(e);
      trV += v[i];
      trV2 += dot(v, v);
    }
    check(Array.from(batch.yy), dot(mu, mu) + trV, 2 * trV2 + 4 * dot(mu, Vx(mu)));
  });
});

describe('one grouping factor: batched refits', () => {
  it('equal the one-by-one Newton refits (the general path) and do not depend on the batch size', async () => {
    const { fit, model, gram } = await setup('sleepstudy');
    const input = { model, gram, theta: fit.theta };
    const a = await bootstrapLmm(input, { nsim: 40, seed: 4, batchSize: 40 });
    const b = await bootstrapLmm(input, { nsim: 40, seed: 4, batchSize: 40, batchedRefit: false });
    expect(a.refits.newton).toBeGreaterThan(30);
    // the same optimum: the deviances agree to 1e-9 (in fact 1e-13); the statistics of replicates both
    // refitted by Newton to 1e-5 of their scale (sleepstudy's deviance, about 1750, is flat to its
    // rounding over θ changes of about 1e-6, and the two paths stop at different iterates there:
    // different starts, Hessian approximations and final steps); a replicate the one-by-one path
    // sends to BOBYQA is within BOBYQA's accuracy, 2e-5, as bootstrap.test.ts compares them
    let both = 0;
    a.t.forEach((row, r) => {
      const newton = a.refitOf![r] === 'newton' && b.refitOf![r] === 'newton';
      if (newton) both++;
      row.forEach((v, k) => expect(Math.abs(v - b.t[r][k])).toBeLessThan((newton ? 1e-5 : 2e-5) * Math.max(Math.abs(a.t0[k]), 1e-3)));
    });
    expect(both).toBeGreaterThan(25);
    a.deviance.forEach((d, r) => expect(Math.abs(d - b.deviance[r])).toBeLessThan(1e-9 * Math.abs(d)));
    const c = await bootstrapLmm(input, { nsim: 40, seed: 4, batchSize: 9 });
    c.t.forEach((row, r) => row.forEach((v, k) => expect(v).toBe(a.t[r][k])));
  });
});
