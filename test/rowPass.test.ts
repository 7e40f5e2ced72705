/**
 * The fast paths of PIRLS's per-row work against the general paths they replace:
 *  - the binomial(logit) row kernel (src/glmm/rowPass.ts: one exp per row for μ, w, z and the
 *    deviance) against the family's scalar functions row by row, and against closed forms where the
 *    general path loses accuracy (1 − μ and log(1/μ) of well-predicted rows);
 *  - the weighted Gram pass of one scalar term (WeightedGramCpu's row-wise formScalar) against the
 *    unweighted Gram pass of √w-scaled rows (src/backend/cpu/gram.ts), for p + 1 below, at and above
 *    one block of four columns;
 *  - PIRLS with the fast kernel against PIRLS with the general one on the binomial logit reference
 *    cases: the Laplace deviance at fixed (θ, β) and at fixed θ (β free) to 1e-12 relative.
 */
import { describe, expect, it } from 'vitest';
import { makeFamily } from '../src/glmm/family.js';
import { LOGIT_FAST_MAX, generalRows, logitRows, rowKernel } from '../src/glmm/rowPass.js';
import { EXP_NEG_MAX, expNeg } from '../src/glmm/expNeg.js';
import { WeightedGramCpu } from '../src/glmm/weightedGram.js';
import { formGramCpu } from '../src/backend/cpu/gram.js';
import { buildGlmm } from '../src/glmm/model.js';
import { PirlsEngine } from '../src/glmm/pirls.js';
import { thetaToInternal } from '../src/model/reparam.js';
import { loadData } from './helpers/reference.js';
import { loadTight, optionsOf } from './helpers/glmmParity.js';

/** a reproducible uniform(0, 1) stream */
function uniform(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

describe('expNeg', () => {
  it('is within 2 ulp of Math.exp on [0, EXP_NEG_MAX]', () => {
    let worst = 0;
    const check = (a: number) => {
      const e = Math.exp(-a);
      worst = Math.max(worst, Math.abs(expNeg(a) - e) / e);
    };
    for (let i = 0; i <= 400_000; i++) check((i / 400_000) * EXP_NEG_MAX);
    // the reduction's edges: a at multiples of ln 2/64
    for (let k = 0; k * (Math.LN2 / 64) <= EXP_NEG_MAX; k++) for (const d of [-1e-15, 0, 1e-15]) check(Math.max(0, k * (Math.LN2 / 64) + d));
    expect(worst).toBeLessThanOrEqual(2 * Number.EPSILON);
    expect(expNeg(0)).toBe(1);
    expect(LOGIT_FAST_MAX).toBeLessThanOrEqual(EXP_NEG_MAX);
  });
});

describe('the binomial(logit) row kernel', () => {
  const fam = makeFamily('binomial', 'logit');
  const n = 1500;
  const rnd = uniform(7);
  // η over the range PIRLS meets, a few beyond the fast range (the clamps) and exact zeros
  const eta = Float64Array.from({ length: n }, (_, i) => (i % 97 === 0 ? 0 : i % 89 === 0 ? (rnd() - 0.5) * 90 : (rnd() - 0.4) * 16));
  const base = Float64Array.from({ length: n }, () => rnd() - 0.5);
  const cases: [string, Float64Array, Float64Array][] = [
    ['0/1 responses, unit weights', Float64Array.from({ length: n }, () => (rnd() < 0.6 ? 1 : 0)), new Float64Array(n).fill(1)],
    // proportions with trial counts as weights (cbind(k, m − k) ~ …)
    ['proportions with weights', Float64Array.from({ length: n }, (_, i) => { const m = 1 + (i % 7); return Math.floor(rnd() * (m + 1)) / m; }), Float64Array.from({ length: n }, (_, i) => 1 + (i % 7))],
  ];
  for (const [name, y, wt] of cases) {
    it(`agrees with the family's scalar functions: ${name}`, () => {
      expect(rowKernel(fam, y, wt)).not.toBe(undefined);
      const out = () => ({ mu: new Float64Array(n), w: new Float64Array(n), z: new Float64Array(n) });
      const f = out(), g = out();
      for (const b of [base, null]) {
        // the total over moderate η (|η| ≤ 10, where the general path keeps its accuracy)
        const moderate = eta.map((v) => Math.max(-10, Math.min(10, v)));
        const devF = logitRows(fam, y, wt)(moderate, b, f.mu, f.w, f.z, 0, n);
        const devG = generalRows(fam, y, wt)(moderate, b, g.mu, g.w, g.z, 0, n);
        expect(Math.abs(devF - devG)).toBeLessThan(1e-12 * devG);
        // row by row over all η: within the general path's own error, which grows as ε/μ(1 − μ)
        // (1 − μ, y − μ and log((1 − y)/(1 − μ)) from μ ≈ 1 lose ~ε/e relative, e = exp(−|η|))
        const kf = logitRows(fam, y, wt), kg = generalRows(fam, y, wt);
        for (let i = 0; i < n; i++) {
          const e = Math.exp(-Math.abs(eta[i]));
          const tol = 1e-13 + (8 * Number.EPSILON) / e;
          const df = kf(eta, b, f.mu, f.w, f.z, i, i + 1);
          const dg = kg(eta, b, g.mu, g.w, g.z, i, i + 1);
          expect(Math.abs(df - dg)).toBeLessThanOrEqual(1e-13 * dg + 2 * wt[i] * tol);
          expect(Math.abs(f.mu[i] - g.mu[i])).toBeLessThanOrEqual(4 * Number.EPSILON * g.mu[i]);
          expect(Math.abs(f.w[i] - g.w[i])).toBeLessThanOrEqual(tol * g.w[i]);
          expect(Math.abs(f.z[i] - g.z[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(g.z[i])));
          // beyond the fast range both are the clamped formulas, bit for bit
          if (Math.abs(eta[i]) > LOGIT_FAST_MAX) expect([df, f.mu[i], f.w[i], f.z[i]]).toEqual([dg, g.mu[i], g.w[i], g.z[i]]);
        }
      }
    });
  }

  it('is exact where the general path cancels: well-predicted rows', () => {
    const e = [10, 20, 25, 29];
    const y = Float64Array.from(e, () => 1);
    const wt = Float64Array.from(e, () => 1);
    const etaHi = Float64Array.from(e);
    const mu = new Float64Array(e.length), w = new Float64Array(e.length), z = new Float64Array(e.length);
    const k = logitRows(fam, y, wt);
    for (let i = 0; i < e.length; i++) {
      const ex = Math.exp(-e[i]);
      // y = 1, η = a: d = 2 log1p(e^{−a}) (to ε absolute: the logarithm of 1 + e), w = e^{−a}/(1 + e^{−a})², z = 1 + e^{−a}
      const dev = k(etaHi, null, mu, w, z, i, i + 1);
      expect(Math.abs(dev - 2 * Math.log1p(ex))).toBeLessThanOrEqual(2 * Number.EPSILON);
      expect(Math.abs(w[i] - ex / (1 + ex) ** 2)).toBeLessThanOrEqual(4 * Number.EPSILON * w[i]);
      expect(Math.abs(z[i] - (1 + ex))).toBeLessThanOrEqual(2 * Number.EPSILON);
    }
  });

  it('treats a non-finite η as the general path does', () => {
    const eta = Float64Array.of(NaN, Infinity, -Infinity);
    const y = Float64Array.of(1, 0, 1), wt = Float64Array.of(1, 1, 1);
    const run = (k: typeof generalRows) => {
      const mu = new Float64Array(3), w = new Float64Array(3), z = new Float64Array(3);
      return [k(fam, y, wt)(eta, null, mu, w, z, 0, 3), ...mu, ...w, ...z];
    };
    expect(run(logitRows)).toEqual(run(generalRows));
    // a NaN η makes the deviance NaN (lme4's y_log_y is 0 only for y = 0), so PIRLS's check fires
    expect(run(generalRows)[0]).toBeNaN();
  });

  it('is the kernel of binomial(logit) only', () => {
    const y = Float64Array.of(0, 1), wt = Float64Array.of(1, 1);
    expect(() => logitRows(makeFamily('binomial', 'probit'), y, wt)).toThrow(/binomial\(logit\)/);
  });
});

describe('the weighted Gram pass of one scalar term', () => {
  for (const p of [0, 1, 3, 4, 7]) {
    it(`equals the unweighted pass of √w-scaled rows (p = ${p})`, () => {
      const n = 3000, nl = 37;
      const rnd = uniform(11 + p);
      const X = Float64Array.from({ length: n * p }, (_, k) => (k < n ? 1 : rnd() - 0.5));
      const codes = Int32Array.from({ length: n }, () => Math.floor(rnd() * nl));
      const Z = Float64Array.from({ length: n }, () => 0.5 + rnd());
      const block = { q: 1, nl, codes, Z, Zc: Z };
      const blocks = [block] as unknown as ConstructorParameters<typeof WeightedGramCpu>[0]['blocks'];
      // some zero weights (rows without information)
      const w = Float64Array.from({ length: n }, (_, i) => (i % 50 === 0 ? 0 : 0.1 + rnd()));
      const z = Float64Array.from({ length: n }, () => rnd() * 4 - 2);
      const g = new WeightedGramCpu({ n, X, p, blocks }).form(w, z);
      const sw = w.map(Math.sqrt);
      const Zs = Z.map((v, i) => v * sw[i]);
      const h = formGramCpu({ n, X: X.map((v, k) => v * sw[k % n]), p, y: z.map((v, i) => v * sw[i]), blocks: [{ ...block, Z: Zs, Zc: Zs }] as unknown as typeof blocks });
      const close = (a: Float64Array, b: Float64Array) => a.forEach((v, k) => expect(Math.abs(v - b[k])).toBeLessThan(1e-12 * (1 + Math.abs(b[k]))));
      close(g.AXX, h.AXX);
      close(g.Akk[0], h.Akk[0]);
      close(g.AXk[0], h.AXk[0]);
      expect(Math.abs(g.yty - h.yty)).toBeLessThan(1e-12 * h.yty);
    });
  }
});

describe('PIRLS with the logit row kernel against the general one', () => {
  for (const name of ['cbpp_binomial', 'verbagg_binomial_crossed', 'cbpp_proportion_weights', 'cbpp_slope']) {
    it(`${name}: the deviance at fixed parameters to 1e-12 relative`, () => {
      const t = loadTight(name);
      const model = buildGlmm(t.formula, loadData(t), optionsOf(t));
      expect(model.pirls.family.link).toBe('logit');
      const fast = new PirlsEngine(model.pirls);
      const general = new PirlsEngine(model.pirls, { generalRows: true });
      const internal = (theta: number[]) => thetaToInternal(model, theta);
      const pts: [number[], number[] | null][] = [...t.objective_at.map((pt) => [pt.theta, pt.beta] as [number[], number[]]), ...t.objective0_at.map((pt) => [pt.theta, null] as [number[], null])];
      for (const [theta, beta] of pts) {
        fast.reset();
        general.reset();
        const a = fast.run(internal(theta), beta);
        const b = general.run(internal(theta), beta);
        expect(Math.abs(a.laplace - b.laplace)).toBeLessThan(1e-12 * b.laplace);
        expect(Math.abs(a.devResid - b.devResid)).toBeLessThan(1e-12 * b.devResid);
        expect(Math.abs(a.aic - b.aic)).toBeLessThan(1e-12 * b.aic);
      }
    });
  }
});
