import { it } from 'vitest';
import { buildLmm, formGram } from '../../src/model/fitLmm.js';
import { BlockedCholesky } from '../../src/model/blockedCholesky.js';
import { JetSpace } from '../../src/inference/jet.js';
import { JetFactorization } from '../../src/inference/jetFactor.js';
import { thetaTemplates } from '../../src/inference/templates.js';
import { generateLmmData } from '../../bench/synth.js';
it('1m parts', async () => {
  const d = generateLmmData({ n: 1_000_000, groups: 50_000, seed: 1 });
  const model = buildLmm('y ~ x + w + (x | g)', d.table, {});
  const gram = formGram(model);
  const chol = new BlockedCholesky(gram, 3);
  const th = Float64Array.of(1, 0.1, 0.5);
  let t0 = performance.now();
  for (let i = 0; i < 5; i++) chol.factor(th);
  console.log('value', (performance.now() - t0) / 5);
  for (const order of [1, 2] as const) {
    const J = new JetSpace(3, order);
    t0 = performance.now();
    const jf = new JetFactorization(J, chol, thetaTemplates(J, model.blocks, th, true));
    console.log('jet', order, performance.now() - t0);
    t0 = performance.now();
    jf.responseRow(gram.AXk.map((A) => A.subarray(3 * A.length / 4)), gram.AXX.subarray(12, 15), gram.AXX[15]);
    console.log('row', order, performance.now() - t0);
  }
}, 600000);
