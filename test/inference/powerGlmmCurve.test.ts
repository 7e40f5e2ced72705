/**
 * simr's extend and powerCurve of glmer fits against R (test/oracle/power_glmm.R,
 * test/fixtures/power/power_glmm.json). As for lmer (powerSim.test.ts), the check is deterministic:
 * our responses of each case (test/oracle/powerGlmmCases.ts), on the extended design where the case
 * extends, were written by test/oracle/exportPowerGlmmResponses.ts; here they are drawn again (equal
 * to the CSV bit for bit, the design's `along` column too), and each replicate refitted on each
 * break's rows and tested must give R's p-value (glmer on R's own extension of the data, at the
 * exact Laplace optimum) and the same number of successes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { glmer } from '../../src/fit/glmer.js';
import type { GlmmFit } from '../../src/glmm/glmmFit.js';
import { glmmSimulator } from '../../src/inference/glmmBootstrap.js';
import { powerParameters, powerSim } from '../../src/inference/powerSim.js';
import { type ExtendedFit, extend, powerCurve } from '../../src/inference/powerCurve.js';
import { printPowerCurve } from '../../src/inference/powerPrint.js';
import { POWER_GLMM_CASES, type PowerGlmmCase } from '../oracle/powerGlmmCases.js';
import { loadDataFile, rel } from '../helpers/inference.js';

const root = join(import.meta.dirname, '..', 'fixtures', 'power');
type BreakRef = { k: number; nrow: number } & Record<string, number[]>;
const ref = JSON.parse(readFileSync(join(root, 'power_glmm.json'), 'utf8')) as { cases: Record<string, { nrow: number; breaks: BreakRef[] }> };

const designs = new Map<string, Promise<{ fit: GlmmFit; input: GlmmFit | ExtendedFit }>>();
function designOf(c: PowerGlmmCase) {
  if (!designs.has(c.name)) {
    designs.set(c.name, (async () => {
      const data = loadDataFile(c.data);
      const fit = await glmer(c.formula, data, { family: c.family, factors: c.factors, ...(c.weights ? { weights: c.weights } : {}) });
      return { fit, input: c.extend ? await extend(fit, data, c.extend as { along: string; n: number }) : fit };
    })());
  }
  return designs.get(c.name)!;
}

describe('glmer extend: the simulated responses on the extended design', () => {
  for (const c of POWER_GLMM_CASES) {
    it(`${c.name}: drawn again, equal to the committed CSV bit for bit`, async () => {
      const { fit, input } = await designOf(c);
      const design = 'kind' in input ? (input.fit as GlmmFit) : input;
      const par = powerParameters(design, c.fixef, undefined, 'kind' in input ? input.parameters : fit);
      // simulated with the original fit's θ and β (simr keeps the parameters with the new data)
      expect(Array.from(par.theta)).toEqual(Array.from(fit.theta));
      const { simulate } = glmmSimulator(design.model, par.theta, par.beta, c.seed);
      const lines = readFileSync(join(root, `${c.name}_responses.csv`), 'utf8').trim().split('\n').slice(1);
      expect(lines.length).toBe(design.nobs);
      expect(design.nobs).toBe(ref.cases[c.name].nrow);
      const along = 'kind' in input ? input.data[c.along] : null;
      const y = Array.from({ length: c.nsim }, (_, r) => simulate(r));
      lines.forEach((line, i) => {
        const [a, ...v] = line.split(',');
        if (along) expect(String(along[i])).toBe(JSON.parse(a));
        v.forEach((x, r) => expect(y[r][i]).toBe(Number(x)));
      });
    });
  }
});

describe('glmer powerCurve: each break refitted and tested as simr does, against R', () => {
  for (const c of POWER_GLMM_CASES) {
    for (const t of c.tests) {
      it(`${c.name}${c.extend ? ` (extended ${JSON.stringify(c.extend)})` : ''}: along ${c.along}, breaks ${c.breaks.join(', ')}, fixed('${t.term}', '${t.method}')`, async () => {
        const { input } = await designOf(c);
        const curve = await powerCurve(input, { test: t.term, method: t.method, along: c.along, breaks: c.breaks, nsim: c.nsim, seed: c.seed, fixef: c.fixef });
        expect(curve.points.length).toBe(c.breaks.length);
        curve.points.forEach((pt, s) => {
          const want = ref.cases[c.name].breaks[s];
          expect(pt.x).toBe(want.k);
          expect(pt.nrow).toBe(want.nrow);
          const p = want[`${t.method}_${t.term}`];
          // 1e-5 relative against R's exact Laplace optimum, as the glmer powerSim cases (our stage 2
          // stops at a radius of 1e-5 in scaled units; z's Var(β̂) from finite-difference Hessians in both)
          p.forEach((v, r) => expect(rel(pt.pValues[r], v), `break ${want.k} replicate ${r + 1}: ${pt.pValues[r]} vs R ${v}`).toBeLessThan(1e-5));
          if (process.env.POWER_WORST) console.log(`${c.name} ${t.method} k ${want.k} worst ${Math.max(...p.map((v, r) => rel(pt.pValues[r], v))).toExponential(2)} vs glmer's own ${Math.max(...want[`lme4_${t.method}_${t.term}`].map((v, r) => rel(pt.pValues[r], v))).toExponential(2)} nearest alpha ${Math.min(...p.map((v) => Math.abs(v - 0.05))).toExponential(2)}`);
          expect(pt.successes).toBe(p.filter((v) => v < 0.05).length);
          expect(pt.errors).toBe(0);
        });
        expect(printPowerCurve(curve)).toContain(`by number of levels in ${c.along}:`);
      }, 120_000);
    }
  }
});

describe('glmer extend and powerCurve: the pieces agree', () => {
  it("powerSim of the extended fit is the curve's break with every level", async () => {
    const c = POWER_GLMM_CASES.find((k) => k.name === 'poisson_extend')!;
    const { input } = await designOf(c);
    const sim = await powerSim(input, { test: 'x', nsim: 4, seed: c.seed, fixef: c.fixef });
    expect(sim.method).toBe('z');
    expect(sim.nrow).toBe(160);
    const curve = await powerCurve(input, { test: 'x', along: 'site', breaks: [16], nsim: 4, seed: c.seed, fixef: c.fixef });
    expect(Array.from(curve.points[0].pValues)).toEqual(Array.from(sim.pValues));
  }, 60_000);
  it('refusals name the problem', async () => {
    const c = POWER_GLMM_CASES.find((k) => k.name === 'cbpp_curve')!;
    const { fit } = await designOf(c);
    await expect(powerCurve(fit, { test: 'period2', along: 'herd', nsim: 2, sigma: 2 })).rejects.toThrow(/no residual SD to set/);
    await expect(powerCurve(fit, { test: 'period2', method: 't', along: 'herd', nsim: 2 })).rejects.toThrow(/the t test is for lmer fits/);
    await expect(powerCurve(fit, { test: 'period2', along: 'herd', nsim: 2, refit: 'batched' })).rejects.toThrow(/refitted one by one/);
    await expect(powerCurve(fit, { test: 'period2', along: 'herd', breaks: [16], nsim: 2 })).rejects.toThrow(/breaks must be whole numbers from 1 to 15/);
    await expect(extend(fit, loadDataFile(c.data), { along: 'period', n: 6 })).rejects.toThrow(/cannot extend along a fixed factor/);
  });
});
