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
import type { GlmmFit } from '../../src/glmm/glmmFit.js';
import { glmmSimulator } from '../../src/inference/glmmBootstrap.js';
import { powerParameters, powerRunSubsets, powerSim, resolvePowerTest, simulationSource, formatG2 } from '../../src/inference/powerSim.js';
import { printPowerCurve, printPowerSim } from '../../src/inference/powerPrint.js';
import { extend, powerCurve, tidySeq } from '../../src/inference/powerCurve.js';
import { clopperPearson } from '../../src/inference/clopperPearson.js';
import { simulateFit } from '../../src/inference/simulate.js';
import { POWER_CASES } from '../oracle/powerCases.js';
import { pbInnerResponses } from '../oracle/powerPbInner.js';
import { fitAtTheta } from '../helpers/atTheta.js';
import { lmmWithResponse } from '../../src/inference/pbModcomp.js';
import { lmmOnRows } from '../../src/inference/jackknife.js';
import { coefficientTable } from '../../src/inference/fitInference.js';
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
const glmerFits = new Map<string, Promise<GlmmFit>>();
const glmerOf = (name: string) => {
  const c = POWER_CASES.find((k) => k.name === name)!;
  if (!glmerFits.has(name)) glmerFits.set(name, glmer(c.formula, loadDataFile(c.data), { family: c.family!, factors: c.factors }));
  return glmerFits.get(name)!;
};
/** each case's responses as powerSim draws them */
async function responsesOf(c: (typeof POWER_CASES)[number]): Promise<{ y: Float64Array[]; n: number }> {
  if (c.family) {
    const fit = await glmerOf(c.name);
    const { simulate } = glmmSimulator(fit.model, fit.theta, powerParameters(fit, c.fixef).beta, c.seed);
    return { y: Array.from({ length: c.nsim }, (_, r) => simulate(r)), n: fit.nobs };
  }
  const fit = await fitOf(c.name);
  return { y: simulateFit(simulationSource(fit, powerParameters(fit, c.fixef, c.sigma)), c.nsim, { seed: c.seed }).y, n: fit.nobs };
}

describe('powerSim: the simulated responses', () => {
  for (const c of POWER_CASES) {
    it(`${c.name}: drawn again, equal to the committed CSV bit for bit`, async () => {
      const { y, n } = await responsesOf(c);
      const lines = readFileSync(join(root, `${c.name}_responses.csv`), 'utf8').trim().split('\n').slice(1);
      expect(lines.length).toBe(n);
      lines.forEach((line, i) => line.split(',').forEach((v, r) => expect(y[r][i]).toBe(Number(v))));
    });
  }
});

describe('powerSim: each replicate refitted and tested as simr does, against R', () => {
  for (const c of POWER_CASES) {
    for (const method of c.methods) for (const refit of method === 'lr' || c.family ? ['refit' as const] : ['batched' as const, 'refit' as const]) {
      it(`${c.name}: fixed('${c.test}', '${method}'), ${refit} refits`, async () => {
        const fit = c.family ? await glmerOf(c.name) : await fitOf(c.name);
        const r = await powerSim(fit, { test: c.test, method, nsim: c.nsim, seed: c.seed, fixef: c.fixef, refit, ...(c.sigma ? { sigma: c.sigma } : {}) });
        const want = ref.cases[c.name].p[method];
        expect(r.pValues.length).toBe(want.length);
        // lmer: 1e-6 relative: R's refits at nloptwrap's tight tolerances and ours (BOBYQA or Newton
        // from θ̂) each give θ̂ to about 1e-7; the p-values move by less than 1e-6 of themselves with it.
        // glmer: 1e-5 against R's exact Laplace optimum, as test/inference/glmerDrop1.test.ts (our stage 2
        // stops at a radius of 1e-5 in scaled units, θ̂ and β̂ to ~1e-6; Var(β̂) of the z test from a
        // finite-difference Hessian of the deviance in both, lme4's deriv12 stencil)
        const tol = c.family ? 1e-5 : 1e-6;
        want.forEach((p, k) => expect(rel(r.pValues[k], p), `replicate ${k + 1}: ${r.pValues[k]} vs R ${p}`).toBeLessThan(tol));
        const lme4p = (ref.cases[c.name] as CaseRef & { lme4_p?: Record<string, number[]> }).lme4_p?.[method];
        if (process.env.POWER_WORST && lme4p) console.log(`${c.name} ${method} against glmer's own p (default control) worst ${Math.max(...lme4p.map((p, k) => rel(r.pValues[k], p))).toExponential(2)}`);
        if (process.env.POWER_WORST) console.log(`${c.name} ${method} ${refit} worst ${Math.max(...want.map((p, k) => rel(r.pValues[k], p))).toExponential(2)}`);
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

describe("powerSim: simr's model comparisons (compare, fcompare, rcompare), against R", () => {
  for (const c of POWER_CASES) {
    (c.compares ?? []).forEach((cmp, i) => {
      for (const refit of cmp.method === 'lr' ? ['refit' as const] : ['batched' as const, 'refit' as const]) {
        it(`${c.name}: ${cmp.kind}(${cmp.formula}, '${cmp.method}'), ${refit} refits`, async () => {
          const fit = await fitOf(c.name);
          const test = { [cmp.kind]: cmp.formula } as { compare: string };
          const r = await powerSim(fit, { test, method: cmp.method, nsim: c.nsim, seed: c.seed, fixef: c.fixef, refit, ...(c.sigma ? { sigma: c.sigma } : {}) });
          const want = ref.cases[c.name].p[`compare_${i + 1}`];
          expect(r.pValues.length).toBe(want.length);
          // 1e-6 relative, as the fixed tests (R's refits at nloptwrap's tight tolerances)
          want.forEach((p, k) => expect(rel(r.pValues[k], p), `replicate ${k + 1}: ${r.pValues[k]} vs R ${p}`).toBeLessThan(1e-6));
          if (process.env.POWER_WORST) console.log(`${c.name} ${cmp.kind} ${cmp.method} ${refit} worst ${Math.max(...want.map((p, k) => rel(r.pValues[k], p))).toExponential(2)}`);
          expect(r.successes).toBe(ref.cases[c.name].successes[`compare_${i + 1}`]);
          expect(r.errors).toBe(0);
          expect(r.text).toBe('Power for model comparison');
          const which = cmp.kind === 'fcompare' ? `${cmp.formula} + [re]` : cmp.kind === 'rcompare' ? `[fe] + ${cmp.formula}` : cmp.formula;
          expect(r.description[1]).toBe(`Comparison to ${which}`);
        }, 60_000);
      }
    });
  }
});

/** a pb case's test: the term, or its comparison */
const pbTestOf = (c: (typeof POWER_CASES)[number]) => (c.pb?.compare ? ({ [c.pb.compare.kind]: c.pb.compare.formula } as { compare: string }) : c.test);

describe("powerSim: fixed(x, 'pb') and a comparison's pb, pbkrtest's PBmodcomp in each replicate, against R", () => {
  for (const c of POWER_CASES.filter((k) => k.pb)) {
    it(`${c.name}: each replicate's bootstrap responses drawn again, equal to the committed CSVs bit for bit`, async () => {
      const fit = await fitOf(c.name);
      const { y } = await responsesOf(c);
      for (let r = 0; r < c.pb!.nsim; r++) {
        const inner = await pbInnerResponses(fit, pbTestOf(c), y[r], r, c.seed, c.pb!.pbnsim);
        const lines = readFileSync(join(root, `${c.name}_pb_${r + 1}.csv`), 'utf8').trim().split('\n').slice(1);
        expect(lines.length).toBe(fit.nobs);
        lines.forEach((line, i) => line.split(',').forEach((v, k) => expect(inner[k][i]).toBe(Number(v))));
      }
    });
    const cmp = c.pb!.compare;
    it(`${c.name}: ${cmp ? `${cmp.kind}(${cmp.formula}, 'pb')` : `fixed('${c.test}', 'pb')`}, nsim ${c.pb!.nsim}, pbnsim ${c.pb!.pbnsim}: R's PBtest p-values exactly`, async () => {
      const fit = await fitOf(c.name);
      const r = await powerSim(fit, { test: pbTestOf(c), method: 'pb', nsim: c.pb!.nsim, pbnsim: c.pb!.pbnsim, seed: c.seed, fixef: c.fixef, ...(c.sigma ? { sigma: c.sigma } : {}) });
      // PBtest's p = (1 + #{t*_k ≥ t_obs}) / (1 + pbnsim): a count, the same while no t*_k is within the
      // refits' 1e-7 of t_obs (R's statistics from the same bootstrap responses); 1e-14 relative only for
      // the JSON's 15 significant digits
      const want = ref.cases[c.name].p.pb;
      expect(r.pValues.length).toBe(want.length);
      want.forEach((p, k) => {
        expect(Math.round(r.pValues[k] * (1 + c.pb!.pbnsim))).toBe(Math.round(p * (1 + c.pb!.pbnsim)));
        expect(rel(r.pValues[k], p)).toBeLessThan(1e-14);
      });
      expect(r.successes).toBe(ref.cases[c.name].successes.pb);
      expect(r.description[0]).toBe('Parametric bootstrap (package pbkrtest)');
    }, 120_000);
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
    await expect(powerSim(fit, { test: 'Days', method: 'bogus' as never, nsim: 2 })).rejects.toThrow(/unknown test method 'bogus'/);
    await expect(powerSim(fit, { test: { compare: '. ~ . - Days' }, method: 'kr', nsim: 2 })).rejects.toThrow(/compare takes method lr or pb/);
    await expect(powerSim(fit, { test: { fcompare: '~ 1 + (1 | Subject)' }, nsim: 2 })).rejects.toThrow(/fixed part only/);
    await expect(powerSim(fit, { test: { rcompare: '~ Days' }, nsim: 2 })).rejects.toThrow(/rcompare: give the smaller model's random-effects terms/);
    await expect(powerSim(fit, { test: { fcompare: 'Other ~ 1' }, nsim: 2 })).rejects.toThrow(/the response of 'Other ~ 1' is not the model's/);
    await expect(powerSim(fit, { test: { bogus: '~ 1' } as never, nsim: 2 })).rejects.toThrow(/a model comparison is one of/);
    await expect(powerSim(fit, { test: { compare: '. ~ .' }, nsim: 2 })).rejects.toThrow(/must have fewer/);
    await expect(powerSim(fit, { test: 'Days', method: 'pb', pbnsim: 1, nsim: 2 })).rejects.toThrow(/pbnsim must be a whole number/);
    const ml = await lmer('Reaction ~ Days + (Days | Subject)', loadDataFile('sleepstudy.csv'), { factors: ['Subject'], REML: false });
    await expect(powerSim(ml, { test: 'Days', method: 'f', nsim: 2 })).rejects.toThrow(/car's F test \(Kenward–Roger\) needs a REML fit/);
    await expect(powerSim(fit, { test: 'Days', fixef: { Dayz: 1 }, nsim: 2 })).rejects.toThrow(/'Dayz' is not a coefficient/);
    await expect(powerSim(fit, { test: 'Days', sigma: -1, nsim: 2 })).rejects.toThrow(/sigma must be a positive number/);
    await expect(powerSim(fit, { test: 'Days', alpha: 1.5, nsim: 2 })).rejects.toThrow(/alpha must be between 0 and 1/);
    await expect(powerSim(fit, { test: 'Days', nsim: 2, bogus: 1 } as never)).rejects.toThrow(/unknown option 'bogus'/);
    const fb = await fitOf('factor_B');
    await expect(powerSim(fb, { test: 'B', method: 't', nsim: 2 })).rejects.toThrow(/the term 'B' has 2 columns/);
    await expect(powerSim(fb, { test: 'Bb2', method: 'lr', nsim: 2 })).rejects.toThrow(/only its t or z test/);
    const cbpp = await glmerOf('cbpp_period');
    await expect(powerSim(cbpp, { test: 'period2', method: 't', nsim: 2 })).rejects.toThrow(/a glmer fit's coefficient takes z/);
    await expect(powerSim(cbpp, { test: 'period', method: 'kr', nsim: 2 })).rejects.toThrow(/the kr test is for lmer fits/);
    await expect(powerSim(cbpp, { test: 'period', method: 'chisq', nsim: 2 })).rejects.toThrow(/the chisq test is for lmer fits/);
    await expect(powerSim(cbpp, { test: { rcompare: '~ (1 | herd)' }, nsim: 2 })).rejects.toThrow(/offered for lmer fits/);
    await expect(powerSim(cbpp, { test: 'period', sigma: 2, nsim: 2 })).rejects.toThrow(/no residual SD/);
    await expect(powerSim(cbpp, { test: 'period', refit: 'batched', nsim: 2 })).rejects.toThrow(/refitted one by one/);
  });
  it('the default test: kr (lmer) or z (glmer) for a one-column term, lr for a factor (simr\'s defaulttest)', async () => {
    expect((await powerSim(await fitOf('sleepstudy_days'), { nsim: 1 })).method).toBe('kr');
    expect((await powerSim(await fitOf('factor_B'), { test: 'B', nsim: 1 })).method).toBe('lr');
    expect((await powerSim(await glmerOf('cbpp_period'), { test: 'period2', nsim: 1 })).method).toBe('z');
    expect((await powerSim(await glmerOf('cbpp_period'), { test: 'period', nsim: 1 })).method).toBe('lr');
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

describe('extend and powerCurve', () => {
  const want = JSON.parse(readFileSync(join(root, 'power.json'), 'utf8')) as {
    extend: { n: number; nrow: number; Subject: string[]; levels: string[]; Days: number[]; Reaction: number[] };
    curve: { k: number; nrow: number; p: number[]; singular: boolean[]; theta: number[][] }[]; tidy: number[];
  };
  it("extend(fit, { along: 'Subject', n: 30 }): the rows and new level names of simr's extend", async () => {
    const fit = await fitOf('sleepstudy_days');
    const ext = await extend(fit, loadDataFile('sleepstudy.csv'), { along: 'Subject', n: 30 });
    expect(ext.data.Subject.length).toBe(want.extend.nrow);
    expect(ext.data.Subject).toEqual(want.extend.Subject);
    expect(ext.data.Days).toEqual(want.extend.Days);
    expect(ext.data.Reaction).toEqual(want.extend.Reaction);
    expect(ext.fit.ngroups.Subject).toBe(30);
    // simulated with the original fit's parameters, refitted on 300 rows
    const r = await powerSim(ext, { test: 'Days', method: 'z', nsim: 3, seed: 1, fixef: { Days: 2 } });
    expect(r.nrow).toBe(300);
    expect(r.description[1]).toBe('Effect size for Days is 2.0');
  });
  it("extend within: each Subject gets n observations (its rows recycled), as simr's addReplicateIndex + extend", async () => {
    const fit = await fitOf('sleepstudy_days');
    const ext = await extend(fit, loadDataFile('sleepstudy.csv'), { within: 'Subject', n: 12 });
    const w = (JSON.parse(readFileSync(join(root, 'power.json'), 'utf8')) as { within: { nrow: number; Subject: string[]; Days: number[] } }).within;
    expect(ext.data.Subject.length).toBe(w.nrow);
    expect(ext.data.Subject.map(String)).toEqual(w.Subject);
    expect(ext.data.Days).toEqual(w.Days);
    expect(ext.fit.nobs).toBe(216);
  });
  it("tidySeq: simr's default breaks", () => {
    expect(tidySeq(3, 18, 10)).toEqual(want.tidy);
    expect(tidySeq(3, 7, 10)).toEqual([3, 4, 5, 6, 7]);
    expect(tidySeq(3, 2, 10)).toEqual([2]);
  });
  it("powerCurve along Subject: each break's p-values as lmerTest's on the first k Subjects' rows", async () => {
    const fit = await fitOf('sleepstudy_days');
    const c = POWER_CASES.find((k) => k.name === 'sleepstudy_days')!;
    const { y } = simulateFit(simulationSource(fit, powerParameters(fit, c.fixef)), c.nsim, { seed: c.seed });
    const curve = await powerCurve(fit, { test: 'Days', method: 't', along: 'Subject', breaks: want.curve.map((w) => w.k), nsim: c.nsim, seed: c.seed, fixef: c.fixef });
    expect(curve.xlab).toBe('number of levels in Subject');
    want.curve.forEach((w, s) => {
      const pt = curve.points[s];
      expect(pt.x).toBe(w.k);
      expect(pt.nrow).toBe(w.nrow);
      const keep = Int32Array.from(Array.from(fit.model.frame.reTerms[0].codes).flatMap((g, i) => (g < w.k ? [i] : [])));
      expect(keep.length).toBe(w.nrow);
      w.p.forEach((p, r) => {
        // at our optimum: 1e-5 relative. On these subsets the criterion is flat enough that its
        // resolution leaves θ̂ undetermined in the 7th digit, and the p-value in the 6th, in R as in
        // ours: R's own tight refits of k = 3 replicate 8 by nloptwrap and by bobyqa give p-values
        // 1.4e-6 apart; k = 3 replicate 18: our REML criterion 262.51790715860466 at θ̂, R's tight fit
        // 262.5179071586049 (ours lower), θ₃ 0.0118878328 against 0.0118877688. Worst seen 3.2e-6
        // (k = 3, replicate 17, singular) and 1.1e-6 (k = 10, replicate 16); at R's θ (next) 1e-8.
        expect(rel(pt.pValues[r], p), `k ${w.k} replicate ${r + 1}`).toBeLessThan(1e-5);
        // at lme4's θ of R's refit (no optimizer): the subset's model and test alone; 1e-6 as
        // test/inference/anovaTypes.test.ts (lmerTest's Hessian in (θ, σ) is numDeriv's Richardson
        // differences, ours exact: they differ most at a singular fit, whose θ = 0 is on the bound;
        // worst seen 9.6e-9, k = 3 replicate 3, singular; non-singular ones below 1e-10)
        const model = lmmOnRows(lmmWithResponse(fit.model, y[r]), keep);
        const at = coefficientTable(fitAtTheta(model, w.theta[r]), { ddf: 'satterthwaite' }).rows[1].p;
        expect(rel(at, p), `at R's θ: k ${w.k} replicate ${r + 1}`).toBeLessThan(1e-6);
        if (process.env.POWER_WORST) console.log(`curve k ${w.k} r ${r + 1} singular ${w.singular[r]} optimum ${rel(pt.pValues[r], p).toExponential(2)} atTheta ${rel(at, p).toExponential(2)}`);
      });
    });
    expect(printPowerCurve(curve)).toContain('by number of levels in Subject:\n      3: ');
  });
  it("powerCurve of an extended fit: the new levels in simr's order (a … z, a.1, …), not sorted", async () => {
    const fit = await fitOf('sleepstudy_days');
    const ext = await extend(fit, loadDataFile('sleepstudy.csv'), { along: 'Subject', n: 30 });
    const curve = await powerCurve(ext, { test: 'Days', method: 'z', along: 'Subject', breaks: [26], nsim: 3, seed: 2, fixef: { Days: 2 } });
    // the first 26 levels a … z: the first 260 rows of the extended data (sorted, a, a.1, b, b.1, … would take others)
    expect(curve.points[0].nrow).toBe(260);
    const par = powerParameters(ext.fit, { Days: 2 }, undefined, ext.parameters);
    const [run] = await powerRunSubsets(ext.fit as LmmFit, par, resolvePowerTest(ext.fit, 'Days', 'z'), [Int32Array.from({ length: 260 }, (_, i) => i)], { nsim: 3, seed: 2, t0: 0 });
    expect(Array.from(curve.points[0].pValues)).toEqual(Array.from(run.pValues));
  });
  it("powerCurve with car's chisq and with a comparison: the break of all 18 Subjects is powerSim's refit path (against R above)", async () => {
    const fit = await fitOf('sleepstudy_days');
    const tests: Pick<Parameters<typeof powerSim>[1] & object, 'test' | 'method'>[] = [{ test: 'Days', method: 'chisq' }, { test: { rcompare: '~ (1 | Subject)' }, method: 'lr' }];
    for (const o of tests) {
      const curve = await powerCurve(fit, { ...o, along: 'Subject', breaks: [10, 18], nsim: 3, seed: 1, fixef: { Days: 2 } });
      const sim = await powerSim(fit, { ...o, nsim: 3, seed: 1, fixef: { Days: 2 }, refit: 'refit' });
      expect(Array.from(curve.points[1].pValues)).toEqual(Array.from(sim.pValues));
      expect(curve.points.map((p) => p.nrow)).toEqual([100, 180]);
    }
  });
  it('powerCurve refusals', async () => {
    const fit = await fitOf('sleepstudy_days');
    await expect(powerCurve(fit, { test: 'Days', along: 'Nope', nsim: 2 })).rejects.toThrow(/'Nope' is not a grouping factor/);
    await expect(powerCurve(fit, { test: 'Days', along: 'Subject', breaks: [0, 40], nsim: 2 })).rejects.toThrow(/breaks must be whole numbers from 1 to 18/);
    await expect(extend(fit, loadDataFile('sleepstudy.csv'), { along: 'Subject', within: 'Subject', n: 3 })).rejects.toThrow(/only one of along and within/);
    await expect(extend(fit, loadDataFile('sleepstudy.csv'), { along: 'Subject', n: 0 })).rejects.toThrow(/n must be a whole number/);
  });
});

describe('powerSim: the batched refits draw simulate()\'s responses on rows not sorted by group', () => {
  it('interleaved groups (row i in group i mod 30), y ~ x + (x | g): batched and refit p-values agree (1e-6)', async () => {
    // the bootstrap's row pass visits rows sorted by group; powerSim indexes its residual draws by row
    // (epsIndex 'row'), so that the batched path tests the same responses as the refit path
    const n = 600, G = 30;
    const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * 2);
    const g = Array.from({ length: n }, (_, i) => `g${i % G}`);
    const y = Float64Array.from({ length: n }, (_, i) => 1 + 0.3 * x[i] + Math.cos((i % G) * 2.1) + 0.2 * Math.cos(i % G) * x[i] + Math.sin(i * 12.9898) * 1.5);
    const fit = await lmer('y ~ x + (x | g)', { y, x, g });
    const a = await powerSim(fit, { test: 'x', method: 't', nsim: 6, seed: 5, fixef: { x: 0.1 } });
    const b = await powerSim(fit, { test: 'x', method: 't', nsim: 6, seed: 5, fixef: { x: 0.1 }, refit: 'refit' });
    // 1e-6: two optimizers' θ̂ (Newton from θ̂ and BOBYQA), each to about 1e-7
    a.pValues.forEach((p, k) => expect(rel(p, b.pValues[k])).toBeLessThan(1e-6));
  });
});

describe('powerSim: the glmer fit method', () => {
  it('glmerFit.powerSim(options) is powerSim(fit, options)', async () => {
    const fit = await glmerOf('cbpp_period2');
    const a = await fit.powerSim({ test: 'period2', nsim: 3, seed: 6, fixef: { period2: -0.5 } });
    const b = await powerSim(fit, { test: 'period2', nsim: 3, seed: 6, fixef: { period2: -0.5 } });
    expect(Array.from(a.pValues)).toEqual(Array.from(b.pValues));
  });
});
