/**
 * fit.hatvalues() (lme4's hatvalues(): the diagonal of W̃ A⁻¹ W̃ᵀ, W̃ = √W [ZΛ X]) against lme4 1.1-31's
 * (test/oracle/fit_extras.R, fitted to tight tolerances) at our optimum, where it is well determined
 * (not the nearly singular model): each h_i within 1e-6 (absolute; h ∈ [0, 1]), worst seen 1.2e-8;
 * with prior weights (sleepstudy_weighted) 9.6e-10. And the definition itself on a small model: the
 * hat matrix formed densely from [ZΛ X], and tr H = Σ h_i.
 */
import { describe, expect, it } from 'vitest';
import { lmer } from '../src/fit/lmer.js';
import { glmer } from '../src/fit/glmer.js';
import { readCsv } from '../src/io/csv.js';
import { dataText, fitCase, fitExtras, wellDetermined } from './helpers/fitExtras.js';

const table = (file: string, factors: string[] = []) => readCsv(dataText(file), { factors }).table;

describe('hatvalues against lme4', () => {
  for (const c of fitExtras.cases.filter(wellDetermined)) {
    it(`${c.name}: ${c.formula}`, async () => {
      const fit = await fitCase(c);
      const h = fit.hatvalues();
      expect(h.length).toBe(c.hat.length);
      h.forEach((v, i) => expect(Math.abs(v - c.hat[i]), `row ${i + 1}`).toBeLessThan(1e-6));
    });
  }

  it('with prior weights', async () => {
    const w = fitExtras.weighted;
    const fit = await lmer(w.formula, table('sleepstudy_weighted.csv', ['Subject']), { factors: ['Subject'], weights: w.weights });
    fit.hatvalues().forEach((v, i) => expect(Math.abs(v - w.hat[i]), `row ${i + 1}`).toBeLessThan(1e-6));
  });
});

describe('hatvalues: the definition', () => {
  it('is the diagonal of [ZΛ X] A⁻¹ [ZΛ X]ᵀ formed densely (sleepstudy, (Days | Subject))', async () => {
    const fit = await lmer('Reaction ~ Days + (Days | Subject)', table('sleepstudy.csv', ['Subject']), { factors: ['Subject'] });
    const h = fit.hatvalues();
    const { n, p, X } = fit.model.frame;
    const blk = fit.model.blocks[0], q = blk.q, m = blk.nl * q;
    // T from lme4's θ (lower, row-major), W̃ = [Z Λ  X] densely (n × (m + p))
    const T = [fit.theta[0], 0, fit.theta[1], fit.theta[2]];
    const c = m + p;
    const W = new Float64Array(n * c);
    for (let i = 0; i < n; i++) {
      const g = blk.codes[i];
      for (let t = 0; t < q; t++) { let acc = 0; for (let s = t; s < q; s++) acc += blk.Z[i * q + s] * T[s * q + t]; W[i * c + g * q + t] = acc; }
      for (let j = 0; j < p; j++) W[i * c + m + j] = X[j * n + i];
    }
    // A = W̃ᵀW̃ + diag(1 on the random effects), solved by Gauss–Jordan for A⁻¹
    const A = new Float64Array(c * c);
    for (let a = 0; a < c; a++) for (let b = 0; b < c; b++) { let s = a === b && a < m ? 1 : 0; for (let i = 0; i < n; i++) s += W[i * c + a] * W[i * c + b]; A[a * c + b] = s; }
    const inv = new Float64Array(c * c);
    for (let a = 0; a < c; a++) inv[a * c + a] = 1;
    for (let col = 0; col < c; col++) {
      const piv = A[col * c + col];
      for (let b = 0; b < c; b++) { A[col * c + b] /= piv; inv[col * c + b] /= piv; }
      for (let r = 0; r < c; r++) {
        if (r === col) continue;
        const f = A[r * c + col];
        if (f === 0) continue;
        for (let b = 0; b < c; b++) { A[r * c + b] -= f * A[col * c + b]; inv[r * c + b] -= f * inv[col * c + b]; }
      }
    }
    let trace = 0;
    for (let i = 0; i < n; i++) {
      let hi = 0;
      for (let a = 0; a < c; a++) for (let b = 0; b < c; b++) hi += W[i * c + a] * inv[a * c + b] * W[i * c + b];
      expect(Math.abs(h[i] - hi)).toBeLessThan(1e-10);
      trace += h[i];
    }
    expect(trace).toBeGreaterThan(p);
    expect(trace).toBeLessThan(p + m);
  });

  it('is for lmer fits (lme4 warns that a GLMM\'s hat matrix may not make sense): not offered on glmer fits', async () => {
    const fit = await glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', table('cbpp.csv', ['herd', 'period']), { family: 'binomial', factors: ['herd', 'period'] });
    expect((fit as unknown as { hatvalues?: unknown }).hatvalues).toBeUndefined();
  });
});
