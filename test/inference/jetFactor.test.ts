/**
 * The jet factorization: its values equal the float64 blocked factor's, and the planar dense path
 * (crossed factors' large dense blocks) equals the scalar jet recurrence.
 */
import { describe, expect, it } from 'vitest';
import { buildLmm } from '../../src/lmm/model.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { BlockedCholesky } from '../../src/linalg/blockedCholesky.js';
import { thetaToInternal } from '../../src/model/reparam.js';
import { JetSpace } from '../../src/inference/jet.js';
import { jetFactor, schurJets } from '../../src/inference/jetFactor.js';
import { thetaTemplates } from '../../src/inference/templates.js';
import { generateLmmData } from '../../bench/synth.js';

describe('jet factorization', () => {
  const data = generateLmmData({ n: 6000, groups: 300, crossed: 130, seed: 4 });
  const model = buildLmm('y ~ x + w + (x | g) + (1 | h)', data.table, {});
  const chol = new BlockedCholesky(formGram(model), model.theta.length);
  const theta = Float64Array.of(0.9, 0.2, 0.4, 0.6);
  it('has a dense crossed block large enough for the planar path', () => {
    expect(chol.denseFrom).toBe(1);
    expect(chol.m[1]).toBeGreaterThanOrEqual(96);
  });
  for (const order of [1, 2] as const) {
    it(`order ${order}: values equal the float64 factor's; planar equals scalar`, () => {
      const J = new JetSpace(theta.length, order);
      const T = thetaTemplates(J, model.blocks, model.transforms, theta);
      const planar = jetFactor(J, chol, T);
      const scalar = jetFactor(J, chol, T, { planarFrom: Infinity });
      chol.factor(thetaToInternal(model, theta));
      expect(Math.abs(planar.ldL2[0] - chol.ldL2) / Math.abs(chol.ldL2)).toBeLessThan(1e-12);
      const p = model.frame.p;
      const { pwrss } = schurJets(J, planar.S, p);
      expect(Math.abs(pwrss[0] - chol.pwrss) / chol.pwrss).toBeLessThan(1e-10);
      const scale = (a: Float64Array) => Math.max(...Array.from(a, Math.abs));
      for (let c = 0; c < J.nc; c++) expect(Math.abs(planar.ldL2[c] - scalar.ldL2[c])).toBeLessThan(1e-9 * scale(scalar.ldL2));
      const sS = scale(scalar.S);
      planar.S.forEach((v, e) => expect(Math.abs(v - scalar.S[e])).toBeLessThan(1e-9 * sS));
    });
  }
});
