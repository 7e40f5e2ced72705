/**
 * Moment starting values of θ (src/lmm/momentStart.ts) and the θ optimizer's choice between starts
 * (src/optim/thetaOptimizer.ts, `candidates`).
 */
import { describe, expect, it } from 'vitest';
import { momentStart } from '../src/lmm/momentStart.js';
import { buildLmm } from '../src/lmm/model.js';
import { optimizeTheta } from '../src/optim/thetaOptimizer.js';
import { readCsv } from '../src/io/csv.js';
import { loadData, loadReference } from './helpers/reference.js';

describe('momentStart: moment estimates of the random intercepts from fitted constants', () => {
  it('Dyestuff (balanced one-way): the one-way ANOVA estimator, near lme4\'s θ̂', () => {
    const ref = loadReference('dyestuff_reml');
    const data = loadData(ref);
    const model = buildLmm(ref.formula, data, { REML: true, factors: ref.factors });
    const th = momentStart(model, Float64Array.of(1))!;
    // independently: 6 batches × 5, MSB and MSW of the yields, σ_b² = (MSB − MSW)/5, σ² = s² − σ_b²
    const y = data.getChild('Yield')!.toArray() as Float64Array;
    const batch = Array.from({ length: y.length }, (_, i) => String(data.getChild('Batch')!.get(i)));
    const levels = [...new Set(batch)];
    const mean = y.reduce((a, b) => a + b, 0) / y.length;
    let ssb = 0, sst = 0;
    for (const l of levels) {
      const ys = y.filter((_, i) => batch[i] === l);
      ssb += ys.length * (ys.reduce((a, b) => a + b, 0) / ys.length - mean) ** 2;
    }
    for (const v of y) sst += (v - mean) ** 2;
    const msb = ssb / (levels.length - 1), msw = (sst - ssb) / (y.length - levels.length);
    // one factor: the one-way ANOVA estimator, σ² = MSW, σ_b² = (MSB − MSW) / 5
    expect(th[0]).toBeCloseTo(Math.sqrt((msb - msw) / 5 / msw), 10);
    expect(Math.abs(th[0] / ref.theta[0] - 1)).toBeLessThan(0.25);
  });

  // balanced crossed (Penicillin): the estimates are REML's; unbalanced (InstEval) and nested, rough
  it.each([['penicillin_crossed_reml', 1.001], ['insteval_crossed_reml', 1.6], ['pastes_nested_reml', 1.6]])(
    '%s: every random intercept within a factor %s of lme4\'s θ̂ (lme4 starts at 1)', (name, factor) => {
      const ref = loadReference(name);
      const model = buildLmm(ref.formula, loadData(ref), { REML: ref.reml, factors: ref.factors });
      const th = momentStart(model, new Float64Array(ref.theta.length).fill(1))!;
      expect(th).not.toBeNull();
      for (let k = 0; k < th.length; k++) {
        expect(th[k] / ref.theta[k]).toBeLessThan(factor);
        expect(ref.theta[k] / th[k]).toBeLessThan(factor);
      }
    });

  it('leaves slopes at the start, ignores prior weights, and gives none without a random intercept', () => {
    const ref = loadReference('sleepstudy_slopes_reml');
    const data = loadData(ref);
    const model = buildLmm(ref.formula, data, { REML: true, factors: ref.factors });
    const start = Float64Array.of(1, 0, 1);
    const th = momentStart(model, start)!;
    expect(th[0]).not.toBe(1);
    expect(th[0]).toBeGreaterThan(0);
    expect(Array.from(th.subarray(1))).toEqual([0, 1]);
    const w = buildLmm(ref.formula, data, { REML: true, factors: ref.factors, weights: new Float64Array(data.numRows).fill(2) });
    expect(Array.from(momentStart(w, start)!)).toEqual(Array.from(th));
    const slopeOnly = buildLmm('Reaction ~ Days + (0 + Days | Subject)', data, { factors: ['Subject'] });
    expect(momentStart(slopeOnly, Float64Array.of(1))).toBeNull();
  });

  it('a factor whose level means vary less than the rows within give θ = 0', () => {
    // every level of g holds −3, −1, 1, 3: equal means, SSB = 0
    const rows = Array.from({ length: 40 }, (_, i) => `${[-3, -1, 1, 3][i % 4]},g${Math.floor(i / 4)}`);
    const t = readCsv(['y,g', ...rows].join('\n')).table;
    const model = buildLmm('y ~ 1 + (1 | g)', t);
    expect(Array.from(momentStart(model, Float64Array.of(1))!)).toEqual([0]);
  });
});

describe('optimizeTheta: candidates', () => {
  const problem = { lower: Float64Array.of(0, 0), factors: [{ q: 1, index: Int32Array.of(0) }, { q: 1, index: Int32Array.of(1) }], scales: Float64Array.of(1, 1) };
  const f = (th: Float64Array) => (th[0] - 0.3) ** 2 + (th[1] - 0.05) ** 2;

  it('evaluates the start and each candidate, then begins at the lowest', async () => {
    const seen: number[][] = [];
    const res = await optimizeTheta(f, problem, { start: Float64Array.of(1, 1), candidates: [Float64Array.of(0.35, 0.3)], onEvaluation: (th) => seen.push(Array.from(th)) });
    expect(seen[0]).toEqual([1, 1]);
    expect(seen[1]).toEqual([0.35, 0.3]);
    // BOBYQA's first point is the candidate, not evaluated again; its first design moves one coordinate
    // by the initial radius (0.2 here) from there
    expect(seen.slice(2).some((th) => th[0] === 0.35 && th[1] === 0.3)).toBe(false);
    expect(Math.abs(seen[2][0] - 0.35) + Math.abs(seen[2][1] - 0.3)).toBeCloseTo(0.2, 12);
    expect(res.fval).toBeLessThan(1e-10);
  });

  it('keeps the start when a candidate is no lower', async () => {
    const seen: number[][] = [];
    await optimizeTheta(f, problem, { start: Float64Array.of(0.5, 0.5), candidates: [Float64Array.of(3, 3)], candidateRhobeg: 0.01, onEvaluation: (th) => seen.push(Array.from(th)) });
    // the first design around the start, with the full initial radius 0.2
    expect(Math.abs(seen[2][0] - 0.5) + Math.abs(seen[2][1] - 0.5)).toBeCloseTo(0.2, 12);
  });

  it('begins a winning candidate\'s run with candidateRhobeg', async () => {
    const seen: number[][] = [];
    await optimizeTheta(f, problem, { start: Float64Array.of(1, 1), candidates: [Float64Array.of(0.35, 0.1)], candidateRhobeg: 0.01, onEvaluation: (th) => seen.push(Array.from(th)) });
    expect(Math.abs(seen[2][0] - 0.35) + Math.abs(seen[2][1] - 0.1)).toBeCloseTo(0.01, 12);
  });
});
