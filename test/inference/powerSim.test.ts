/**
 * simr's powerSim against R (test/oracle/power.R, test/fixtures/power/power.json). simr is not
 * installed and R's draws are not ours, so the check is made deterministic: our responses of each
 * case (test/oracle/powerCases.ts) were written to test/fixtures/power/<case>_responses.csv by
 * test/oracle/exportPowerResponses.ts; here they are drawn again (they must equal the CSV bit for
 * bit), and each replicate's refit and test must give R's p-value (lme4/lmerTest/pbkrtest refitting
 * the same response as simr's doFit and fixed(test, method) do) and the same number of successes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lmer } from '../../src/fit/lmer.js';
import '../../src/inference/methods.js';
import { glmer } from '../../src/fit/glmer.js';
import type { LmmFit } from '../../src/lmm/lmmFit.js';
import { powerParameters, powerSim, simulationSource, formatG2 } from '../../src/inference/powerSim.js';
import { printPowerSim } from '../../src/inference/powerPrint.js';
import { clopperPearson } from '../../src/inference/clopperPearson.js';
import { simulateFit } from '../../src/inference/simulate.js';
import { POWER_CASES } from '../oracle/powerCases.js';
import { loadDataFile, rel } from '../helpers/inference.js';

interface CaseRef { p: Record<string, number[]>; successes: Record<string, number>; drop1_lr: number[]; theta: number[][] }
const root = join(import.meta.dirname, '..', 'fixtures', 'power');
const ref = JSON.parse(readFileSync(join(root, 'power.json'), 'utf8')) as {
  cases: Record<string, CaseRef>; binom: { x: number; n: number; lower: number; upper: number }[];
};

const fits = new Map<string, Promise<LmmFit>>();
const fitOf = (name: string) => {
  const c = POWER_CASES.find((k) => k.name === name)!;
  if (!fits.has(name)) fits.set(name, lmer(c.formula, loadDataFile(c.data), { factors: c.factors, REML: c.reml }));
  return fits.get(name)!;
};

describe('powerSim: the simulated responses', () => {
  for (const c of POWER_CASES) {
    it(`${c.name}: drawn again, equal to the committed CSV bit for bit`, async () => {
      const fit = await fitOf(c.name);
      const { y } = simulateFit(simulationSource(fit, powerParameters(fit, c.fixef, c.sigma)), c.nsim, { seed: c.seed });
      const lines = readFileSync(join(root, `${c.name}_responses.csv`), 'utf8').trim().split('\n').slice(1);
      expect(lines.length).toBe(fit.nobs);
      lines.forEach((line, i) => line.split(',').forEach((v, r) => expect(y[r][i]).toBe(Number(v))));
    });
  }
});

describe('powerSim: each replicate refitted and tested as simr does, against R', () => {
  for (const c of POWER_CASES) {
    for (const method of c.methods) {
      it(`${c.name}: fixed('${c.test}', '${method}')`, async () => {
        const fit = await fitOf(c.name);
        const r = await powerSim(fit, { test: c.test, method, nsim: c.nsim, seed: c.seed, fixef: c.fixef, ...(c.sigma ? { sigma: c.sigma } : {}) });
        const want = ref.cases[c.name].p[method];
        expect(r.pValues.length).toBe(want.length);
        // 1e-6 relative: R's refits at nloptwrap's tight tolerances and ours (BOBYQA from θ̂) each
        // give θ̂ to about 1e-7; the p-values move by less than 1e-6 of themselves with it
        want.forEach((p, k) => expect(rel(r.pValues[k], p), `replicate ${k + 1}: ${r.pValues[k]} vs R ${p}`).toBeLessThan(1e-6));
        // the success count: exact (no p-value is within 1e-6 of α in these cases)
        expect(r.successes).toBe(ref.cases[c.name].successes[method]);
        expect(r.errors).toBe(0);
        expect(r.trials).toBe(c.nsim);
        const [lo, hi] = clopperPearson(r.successes, c.nsim);
        expect(r.ci).toEqual([lo, hi]);
      });
    }
  }
});

describe('powerSim: the Clopper-Pearson interval', () => {
  it("equals R's binom.test conf.int (1e-12 relative)", () => {
    for (const b of ref.binom) {
      const [lo, hi] = clopperPearson(b.x, b.n);
      // 1e-12: bisection to adjacent doubles on the incomplete beta, whose own error is ~1e-14
      if (b.lower === 0) expect(lo).toBe(0); else expect(rel(lo, b.lower)).toBeLessThan(1e-12);
      if (b.upper === 1) expect(hi).toBe(1); else expect(rel(hi, b.upper)).toBeLessThan(1e-12);
    }
  });
});

describe('powerSim: statistical sanity', () => {
  it('with the effect set to 0 the power is alpha within its Monte Carlo interval (nsim 200, seed 11, t test)', async () => {
    const fit = await fitOf('sleepstudy_days');
    const r = await powerSim(fit, { test: 'Days', method: 't', nsim: 200, seed: 11, fixef: { Days: 0 } });
    expect(r.errors).toBe(0);
    expect(r.ci[0]).toBeLessThanOrEqual(0.05);
    expect(r.ci[1]).toBeGreaterThanOrEqual(0.05);
  }, 120_000);
  it("with sleepstudy's own slope (10.47) the power is 1", async () => {
    const fit = await fitOf('sleepstudy_days');
    const r = await powerSim(fit, { test: 'Days', method: 'z', nsim: 20, seed: 2 });
    expect(r.successes).toBe(20);
  });
});

describe('powerSim: the printout', () => {
  it("as simr's print.powerSim", async () => {
    const fit = await fitOf('sleepstudy_days');
    const r = await powerSim(fit, { test: 'Days', method: 't', nsim: 20, seed: 1, fixef: { Days: 2 } });
    const text = printPowerSim(r);
    // 3 of R's 20 p-values are below 0.05 (power.json); binom.test(3, 20): 0.03207094 0.37892683
    expect(text).toContain("Power for predictor 'Days', (95% confidence interval):\n      15.00% ( 3.21, 37.89)");
    expect(text).toContain('Test: t-test with Satterthwaite degrees of freedom (package lmerTest)\n      Effect size for Days is 2.0');
    // one replicate's refit is singular: lme4's message, not a warning (simr counts it as a message)
    expect(r.singular).toBe(1);
    expect(text).toContain('Based on 20 simulations, (0 warnings, 0 errors)');
    expect(text).toContain('alpha = 0.05, nrow = 180');
    expect(formatG2(-0.05)).toBe('-0.050');
    expect(formatG2(10.467)).toBe('10.');
    expect(formatG2(1234)).toBe('1.2e+03');
  });
});

describe('powerSim: refusals', () => {
  it('names the problem', async () => {
    const fit = await fitOf('sleepstudy_days');
    await expect(powerSim(fit, { test: 'Nope', nsim: 2 })).rejects.toThrow(/'Nope' is not a fixed-effects term or coefficient/);
    await expect(powerSim(fit, { test: 'Days', nsim: 0 })).rejects.toThrow(/nsim must be a whole number/);
    await expect(powerSim(fit, { test: 'Days', nsim: 1.5 })).rejects.toThrow(/nsim must be a whole number/);
    await expect(powerSim(fit, { test: 'Days', method: 'pb' as never, nsim: 2 })).rejects.toThrow(/unknown test method 'pb'/);
    await expect(powerSim(fit, { test: 'Days', fixef: { Dayz: 1 }, nsim: 2 })).rejects.toThrow(/'Dayz' is not a coefficient/);
    await expect(powerSim(fit, { test: 'Days', sigma: -1, nsim: 2 })).rejects.toThrow(/sigma must be a positive number/);
    await expect(powerSim(fit, { test: 'Days', alpha: 1.5, nsim: 2 })).rejects.toThrow(/alpha must be between 0 and 1/);
    await expect(powerSim(fit, { test: 'Days', nsim: 2, bogus: 1 } as never)).rejects.toThrow(/unknown option 'bogus'/);
    const fb = await fitOf('factor_B');
    await expect(powerSim(fb, { test: 'B', method: 't', nsim: 2 })).rejects.toThrow(/the term 'B' has 2 columns/);
    await expect(powerSim(fb, { test: 'Bb2', method: 'lr', nsim: 2 })).rejects.toThrow(/only its t or z test/);
    const cbpp = await glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', loadDataFile('cbpp.csv'), { family: 'binomial', factors: ['herd', 'period'] });
    await expect(powerSim(cbpp as never, { nsim: 2 })).rejects.toThrow(/only linear mixed models/);
  });
  it('the default test: kr for a one-column term, lr for a factor (simr\'s defaulttest)', async () => {
    expect((await powerSim(await fitOf('sleepstudy_days'), { nsim: 1 })).method).toBe('kr');
    expect((await powerSim(await fitOf('factor_B'), { test: 'B', nsim: 1 })).method).toBe('lr');
  });
});

describe('powerSim: the fit method', () => {
  it('fit.powerSim(options) is powerSim(fit, options)', async () => {
    const fit = await fitOf('sleepstudy_days');
    const a = await fit.powerSim({ test: 'Days', method: 'z', nsim: 5, seed: 4, fixef: { Days: 2 } });
    const b = await powerSim(fit, { test: 'Days', method: 'z', nsim: 5, seed: 4, fixef: { Days: 2 } });
    expect(Array.from(a.pValues)).toEqual(Array.from(b.pValues));
  });
});
