/**
 * Moment starting values of θ (src/lmm/momentStart.ts) and the θ optimizer's choice between starts
 * (src/optim/thetaOptimizer.ts, `candidates`).
 */
import { describe, expect, it } from 'vitest';
import { momentStart } from '../src/lmm/momentStart.js';
import { formGram } from '../src/backend/cpu/gram.js';
import { buildLmm } from '../src/lmm/model.js';
import { thetaToInternal } from '../src/model/reparam.js';
import { optimizeTheta } from '../src/optim/thetaOptimizer.js';
import { readCsv } from '../src/io/csv.js';
import { loadData, loadReference } from './helpers/reference.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lmer } from '../src/fit/lmer.js';
import { lmmThetaProblem } from '../src/lmm/thetaProblem.js';
import { scaledStart } from '../src/optim/thetaOptimizer.js';

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

  it('a term with slopes: Swamy\'s estimator from the per-subject regressions (sleepstudy), near lme4\'s θ̂; prior weights ignored', () => {
    const ref = loadReference('sleepstudy_slopes_reml');
    const data = loadData(ref);
    const model = buildLmm(ref.formula, data, { REML: true, factors: ref.factors });
    const start = Float64Array.of(1, 0, 1);
    const th = momentStart(model, start)!;
    // independently: per subject, least squares of Reaction on (1, Days − 4.5) (the internal Z is
    // centred: src/model/reparam.ts); 18 subjects × days 0..9, so Z_jᵀZ_j = diag(10, 82.5)
    const y = data.getChild('Reaction')!.toArray() as Float64Array;
    const days = data.getChild('Days')!.toArray() as Float64Array;
    const subj = Array.from({ length: y.length }, (_, i) => String(data.getChild('Subject')!.get(i)));
    const levels = [...new Set(subj)];
    let sse = 0;
    const b = levels.map((l) => {
      const rows = subj.flatMap((s, i) => (s === l ? [i] : []));
      const dc = rows.map((i) => days[i] - 4.5);
      const a = rows.reduce((s, i) => s + y[i], 0) / rows.length;
      const s1 = rows.reduce((s, i, k) => s + dc[k] * y[i], 0) / dc.reduce((s, d) => s + d * d, 0);
      rows.forEach((i, k) => { sse += (y[i] - a - s1 * dc[k]) ** 2; });
      return [a, s1];
    });
    const J = levels.length;
    const sigma2 = sse / (y.length - 2 - 2 * (J - 1));
    const mean = [0, 1].map((s) => b.reduce((t, v) => t + v[s], 0) / J);
    const cov = (s: number, t: number) => b.reduce((u, v) => u + (v[s] - mean[s]) * (v[t] - mean[t]), 0) / (J - 1);
    const S00 = cov(0, 0) / sigma2 - 1 / 10, S10 = cov(1, 0) / sigma2, S11 = cov(1, 1) / sigma2 - 1 / 82.5;
    const L00 = Math.sqrt(S00), L10 = S10 / L00, L11 = Math.sqrt(S11 - L10 * L10);
    expect(th[0]).toBeCloseTo(L00, 10);
    expect(th[1]).toBeCloseTo(L10, 10);
    expect(th[2]).toBeCloseTo(L11, 10);
    // balanced: close to REML's θ̂ in the internal parametrization (lme4 starts at (1, 0, 1))
    const hat = thetaToInternal(model, ref.theta);
    for (let k = 0; k < 3; k++) expect(Math.abs(th[k] / hat[k] - 1)).toBeLessThan(0.02);
    const w = buildLmm(ref.formula, data, { REML: true, factors: ref.factors, weights: new Float64Array(data.numRows).fill(2) });
    expect(Array.from(momentStart(w, start)!)).toEqual(Array.from(th));
  });

  it('a term with slopes crossed with a random intercept, and a diagonal (||) term: intercepts only there; none without an intercept', () => {
    const ref = loadReference('sleepstudy_uncorrelated_reml');
    const data = loadData(ref);
    const model = buildLmm(ref.formula, data, { REML: true, factors: ref.factors });
    const th = momentStart(model, Float64Array.of(1, 1))!;
    expect(th[0]).toBeGreaterThan(0);
    expect(th[1]).toBe(1);
    const slopeOnly = buildLmm('Reaction ~ Days + (0 + Days | Subject)', data, { factors: ['Subject'] });
    expect(momentStart(slopeOnly, Float64Array.of(1))).toBeNull();
  });

  it('a term with slopes whose estimate is singular starts off the boundary: its eigenvalues in the optimizer\'s units at least 0.1², and the fit reaches lme4\'s optimum where a start at θ = 0 stopped at a saddle', async () => {
    // y ~ a*x + (x | g) (case f581 of the random model-frame generator, seed 4242): Swamy's estimate is
    // indefinite and its projection 0; the deviance, a function of T Tᵀ, is stationary there, and both
    // that start and minqa's bobyqa stopped at 223.0512 where lme4's default fit reaches 222.9227
    const dir = join(import.meta.dirname, 'fixtures', 'moment-saddle');
    const ref = JSON.parse(readFileSync(join(dir, 'lme4.json'), 'utf8')) as { default: { remlcrit: number }; bobyqa: { remlcrit: number } };
    const t = readCsv(readFileSync(join(dir, 'data.csv'), 'utf8')).table;
    const model = buildLmm('y ~ a*x + (x | g)', t, { REML: true, factors: ['k'] });
    const problem = lmmThetaProblem(model.blocks, model.internalBlocks, model.theta, model.frame.n);
    const start = scaledStart(problem);
    const th = momentStart(model, start)!;
    // in the optimizer's units (x = θ · scale, lme4's start the identity) T Tᵀ has both eigenvalues ≥ 0.01, the least = 0.01
    const x = Array.from(th, (v, k) => v * problem.scales[k]);
    const S = [x[0] * x[0], x[0] * x[1], x[1] * x[1] + x[2] * x[2]];
    const half = (S[0] + S[2]) / 2, rad = Math.hypot((S[0] - S[2]) / 2, S[1]);
    expect(half - rad).toBeCloseTo(0.01, 12);
    expect(th[0]).toBeGreaterThan(0);
    const fit = await lmer('y ~ a*x + (x | g)', t, { REML: true, factors: ['k'] });
    expect(ref.bobyqa.remlcrit - ref.default.remlcrit).toBeGreaterThan(0.1);
    // (before: 223.0512, the saddle)
    expect(fit.toJSON().remlcrit).toBeLessThanOrEqual(ref.default.remlcrit + 1e-6);
  });

  it('a factor whose level means vary less than the rows within give θ = 0', () => {
    // every level of g holds −3, −1, 1, 3: equal means, SSB = 0
    const rows = Array.from({ length: 40 }, (_, i) => `${[-3, -1, 1, 3][i % 4]},g${Math.floor(i / 4)}`);
    const t = readCsv(['y,g', ...rows].join('\n')).table;
    const model = buildLmm('y ~ 1 + (1 | g)', t);
    expect(Array.from(momentStart(model, Float64Array.of(1))!)).toEqual([0]);
  });
});

describe('momentStart from A (one factor): the same start as the pass over the rows', () => {
  it('sleepstudy (Days | Subject), (1 | Subject), (Days || Subject), Dyestuff; A\'s entries are the ones read', () => {
    for (const name of ['sleepstudy_slopes_reml', 'sleepstudy_intercept_reml', 'sleepstudy_uncorrelated_reml', 'dyestuff_reml', 'pastes_nested_reml']) {
      const ref = loadReference(name);
      const model = buildLmm(ref.formula, loadData(ref), { REML: true, factors: ref.factors });
      const start = new Float64Array(ref.theta.length).fill(1);
      const rows = momentStart(model, start);
      const gram = formGram(model);
      // toEqual compares numbers by Object.is: bit for bit
      expect(momentStart(model, start, gram), name).toEqual(rows);
      // a changed copy of A is not the model's A: the rows' pass
      expect(momentStart(model, start, { ...gram, AXk: gram.AXk.map((a) => a.map((v) => v + 1)) }), name).toEqual(rows);
      if (name === 'pastes_nested_reml') continue; // two factors: backfitting over the rows
      // the model's A changed in place: the start follows A's response row, so it is what is read
      const m = model.internalBlocks[0]!.nl * model.internalBlocks[0]!.q;
      gram.AXk[0]![model.frame.p * m] += 10;
      expect(momentStart(model, start, gram), name).not.toEqual(rows);
    }
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
