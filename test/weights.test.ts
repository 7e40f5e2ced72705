/**
 * Prior weights for linear mixed models (lme4's `lmer(..., weights = w)`): sleepstudy with
 * w = 1 + (Days %% 3), REML and ML, against lme4 1.1-31 run to tight optimizer tolerances
 * (test/oracle/weighted.R → test/fixtures/reference-tight/sleepstudy_weighted_{reml,ml}_tight.json).
 * The objective at lme4's θ against lme4's devFunOnly to 1e-8 relative; the fit at the tolerances of
 * test/lmer.test.ts (test/helpers/parity.ts).
 */
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { assembleFit } from '../src/lmm/assemble.js';
import { buildLmm } from '../src/lmm/model.js';
import { formGram } from '../src/backend/cpu/gram.js';
import { lmer } from '../src/fit/lmer.js';
import { CpuBackend } from '../src/backend/cpu/cpuBackend.js';
import { makeObjective } from '../src/lmm/deviance.js';
import { thetaToInternal } from '../src/model/reparam.js';
import { runFit, type CliIO } from '../src/cli/fitCommand.js';
import { loadData } from './helpers/reference.js';
import { checkAgainstReference, loadTight } from './helpers/parity.js';

const FORMULA = 'Reaction ~ Days + (Days | Subject)';
const dataFile = join(import.meta.dirname, 'fixtures', 'data', 'sleepstudy_weighted.csv');
const data = () => loadData({ data: 'sleepstudy_weighted.csv' });
type Ref = ReturnType<typeof loadTight> & { objective_at: { theta: number[]; value: number }[] };
const CASES = [
  { name: 'sleepstudy_weighted_reml', reml: true },
  { name: 'sleepstudy_weighted_ml', reml: false },
];

/** a copy of the data with the weights column replaced */
function withWeights(w: (number | null)[]): arrow.Table {
  const t = data();
  const col = (name: string) => Float64Array.from(t.getChild(name)!.toArray() as ArrayLike<number>);
  return new arrow.Table({
    Reaction: arrow.makeVector(col('Reaction')), Days: arrow.makeVector(col('Days')), Subject: arrow.makeVector(col('Subject')),
    w: arrow.vectorFromArray(w, new arrow.Float64()),
  });
}

describe('lmer with prior weights matches lme4', () => {
  for (const { name, reml } of CASES) {
    it(`${name}: the objective at lme4's θ (devFunOnly) to 1e-8 relative`, () => {
      const ref = loadTight(name) as Ref;
      const model = buildLmm(FORMULA, data(), { REML: reml, factors: ['Subject'], weights: 'w' });
      const cpu = new CpuBackend(formGram(model), model.theta.length);
      const f = makeObjective(cpu, model.frame.n, model.frame.p, reml, model.sumLogW);
      for (const { theta, value } of ref.objective_at) {
        const ours = f(thetaToInternal(model, Float64Array.from(theta)));
        expect(Math.abs(ours - value) / Math.abs(value)).toBeLessThan(1e-8);
      }
    });

    it(`${name}: the model at lme4's θ`, () => {
      const ref = loadTight(name);
      const model = buildLmm(FORMULA, data(), { REML: reml, factors: ['Subject'], weights: 'w' });
      const cpu = new CpuBackend(formGram(model), model.theta.length);
      const fit = assembleFit(model, cpu, Float64Array.from(ref.theta), {
        feval: 0, converged: true, optimizerMessage: 'fixed θ', messages: [],
        backend: { name: cpu.name, device: cpu.device, precision: cpu.precision }, timings: {}, t0: performance.now(),
      });
      checkAgainstReference(fit, ref);
    });

    it(`${name}: the fit (CPU backend)`, async () => {
      const ref = loadTight(name);
      const fit = await lmer(FORMULA, data(), { REML: reml, factors: ['Subject'], weights: 'w' });
      expect(fit.converged).toBe(true);
      checkAgainstReference(fit, ref);
      // residuals are y − fitted, unweighted (lme4's residuals()); predict ignores the weights
      const y = fit.model.frame.y;
      fit.residuals().forEach((r, i) => expect(r).toBeCloseTo(y[i] - fit.fitted[i], 10));
      const pred = fit.predict(data());
      const fitted = fit.fitted;
      pred.forEach((v, i) => expect(Math.abs(v - fitted[i])).toBeLessThan(1e-9 * Math.abs(fitted[i])));
      expect(fit.weightsName).toBe('w');
    });
  }

  it('weights given as an array equal weights given by column', async () => {
    const t = data();
    const w = Array.from(t.getChild('w')!.toArray() as Float64Array, Number);
    const a = await lmer(FORMULA, t, { factors: ['Subject'], weights: 'w' });
    const b = await lmer(FORMULA, t, { factors: ['Subject'], weights: w });
    expect(b.objective).toBeCloseTo(a.objective, 8);
    expect(b.weightsName).toBeNull();
  });

  it('unit weights give the unweighted fit', async () => {
    const t = data();
    const a = await lmer(FORMULA, t, { factors: ['Subject'] });
    const b = await lmer(FORMULA, t, { factors: ['Subject'], weights: new Array(t.numRows).fill(1) });
    expect(b.objective).toBeCloseTo(a.objective, 8);
    expect(b.sigma).toBeCloseTo(a.sigma, 8);
    expect(b.summary()).toBe(a.summary());
  });

  it('rows with a missing weight are dropped (na.omit)', async () => {
    const w = Array.from(data().getChild('w')!.toArray() as Float64Array, Number) as (number | null)[];
    w[3] = null;
    w[10] = NaN;
    const fit = await lmer(FORMULA, withWeights(w), { factors: ['Subject'], weights: 'w' });
    expect(fit.nobs).toBe(178);
    expect(fit.model.frame.nDropped).toBe(2);
  });

  it('the summary shows the weights and Pearson-scaled residuals, as lme4', async () => {
    const fit = await lmer(FORMULA, data(), { factors: ['Subject'], weights: 'w', dataName: 'd' });
    const text = fit.summary();
    expect(text).toContain('   Data: d\nWeights: w\n');
    expect(text).toContain('REML criterion at convergence: 1733.5');
    // print(summary(m)) in R 4.2 / lme4 1.1-31
    expect(text).toContain('-4.5791 -0.4458  0.0246  0.5587  4.2072');
  });
});

describe('lmer weights: errors', () => {
  it('a negative weight names the column and the row', async () => {
    const w = Array.from(data().getChild('w')!.toArray() as Float64Array, Number);
    w[4] = -1;
    await expect(lmer(FORMULA, withWeights(w), { factors: ['Subject'], weights: 'w' }))
      .rejects.toThrow("weights: 'w' is negative (-1) in row 5; a linear mixed model's prior weights must be > 0");
  });

  it('a zero weight is refused (lme4 accepts it, with an infinite deviance)', async () => {
    const w = Array.from(data().getChild('w')!.toArray() as Float64Array, Number);
    w[0] = 0;
    await expect(lmer(FORMULA, withWeights(w), { factors: ['Subject'], weights: 'w' })).rejects.toThrow(/'w' is zero \(0\) in row 1/);
  });

  it('a missing column', async () => {
    await expect(lmer(FORMULA, data(), { factors: ['Subject'], weights: 'wt' })).rejects.toThrow("weights: column 'wt' not found in the data (columns: Reaction, Days, Subject, w)");
  });

  it('an array of the wrong length', async () => {
    await expect(lmer(FORMULA, data(), { factors: ['Subject'], weights: [1, 2, 3] })).rejects.toThrow('weights: 3 values for 180 rows of data');
  });
});

describe('mixedgpu fit --weights (lmer)', () => {
  const run = async (args: Parameters<typeof runFit>[0]) => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIO = { stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
    const code = await runFit(args, io);
    return { code, stdout: out.join(''), stderr: err.join('') };
  };

  it('fits the weighted model', async () => {
    const ref = loadTight('sleepstudy_weighted_ml');
    const { code, stdout } = await run({ file: dataFile, formula: FORMULA, factors: 'Subject', ml: true, weights: 'w', json: true });
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(Math.abs(out.deviance - ref.deviance!)).toBeLessThan(1e-6);
    expect(Math.abs(out.sigma - ref.sigma) / ref.sigma).toBeLessThan(1e-5);
    const { stdout: text } = await run({ file: dataFile, formula: FORMULA, factors: 'Subject', weights: 'w' });
    expect(text).toContain('Weights: w\n');
  });

  it('an empty or unknown column is an error', async () => {
    expect((await run({ file: dataFile, formula: FORMULA, factors: 'Subject', weights: ' ' })).stderr).toBe('mixedgpu: error: --weights needs a column name\n');
    const { code, stderr } = await run({ file: dataFile, formula: FORMULA, factors: 'Subject', weights: 'wt' });
    expect(code).toBe(1);
    expect(stderr).toContain("weights: column 'wt' not found");
  });
});

