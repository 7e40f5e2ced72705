/**
 * PIRLS by levels (src/glmm/groupNewton.ts) against the general iteration (src/glmm/pirls.ts,
 * groupNewton: false) it replaces for one term with binomial(logit), poisson(log), and (Newton's
 * steps with the observed information on both sides) binomial(probit), binomial(cloglog) and NB2(θ):
 *  - the Laplace deviance and its pieces, and the modes, along a walk of (θ, β) points with warm
 *    starts and from a cold start, to 1e-11 relative (both converge η to 1e-12): 0/1 responses,
 *    proportions with prior weights, an offset that puts rows beyond the logit kernel's fast range,
 *    a scalar slope term (0 + z | g), levels whose responses are all 1, rows sorted by level and not,
 *    fixed factors (p = 7: two column blocks; p = 21: base gathered), Poisson counts;
 *  - what a run by levels leaves behind (η, μ, L) once asked for: syncRows, the conditional
 *    variances, and AGQ's deviance, against the general iteration's;
 *  - each level starts from the first-order prediction of its mode after a run by levels;
 *  - the aic the result carries is the family's at μ̃ (with the shortcut of 0/1 responses);
 *  - a level that does not converge sends the run to the general iteration (the same error);
 *  - the rows' order by level (stable) and the chunks of whole levels.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { tableFromArrays } from 'apache-arrow';
import { buildGlmm } from '../src/glmm/model.js';
import { PirlsEngine, PirlsError } from '../src/glmm/pirls.js';
import { levelChunks, levelOrder } from '../src/glmm/groupNewton.js';
import { ghRule } from '../src/glmm/rmath.js';
import { thetaToInternal } from '../src/model/reparam.js';
import { setDenseThreads } from '../src/linalg/denseThreads.js';
import { rowChunksHelped, rowThreadsReady } from '../src/linalg/rowThreads.js';

/** a reproducible uniform(0, 1) stream */
function uniform(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

interface Case {
  name: string; formula: string; weights?: string; family: 'binomial' | 'poisson' | 'negative.binomial'; link?: 'probit' | 'cloglog'; theta?: number;
  columns: Record<string, Float64Array | string[]>;
}

function makeCase(name: string, opts: {
  sorted?: boolean; proportions?: boolean; offset?: boolean; slope?: boolean; saturated?: boolean; factor?: number; poisson?: boolean; weights?: boolean; n?: number; vector?: boolean;
  /** binomial's non-canonical links (on the same logit-generated responses) */
  link?: 'probit' | 'cloglog';
  /** the counts fitted as NB2 of this size */
  negbin?: number;
}): Case {
  const n = opts.n ?? 6000, nl = 300;
  const rnd = uniform(11);
  const codes = Int32Array.from({ length: n }, (_, i) => (opts.sorted ? Math.floor((i * nl) / n) : Math.floor(rnd() * nl)));
  const b = Float64Array.from({ length: nl }, () => (rnd() - 0.5) * 3);
  const x = Float64Array.from({ length: n }, () => rnd() - 0.5);
  const z = Float64Array.from({ length: n }, () => 0.3 + 1.5 * rnd());
  const o = Float64Array.from({ length: n }, (_, i) => (opts.offset && i % 53 === 0 ? (i % 106 === 0 ? 36 : -38) : 0));
  const w = Float64Array.from({ length: n }, (_, i) => (opts.proportions ? 1 + (i % 7) : opts.weights ? 0.5 + (i % 3) : 1));
  const y = Float64Array.from({ length: n }, (_, i) => {
    const g = codes[i];
    if (opts.saturated && g % 37 === 0) return 1;
    if (opts.poisson) {
      // a Poisson count with mean exp(η) (offsets ±1 here: log exposures), by inversion
      const mu = Math.exp(-0.5 + 0.8 * x[i] + (opts.offset ? Math.sign(o[i]) : 0) + 0.5 * b[g]);
      let k = 0, pk = Math.exp(-mu), cdf = pk;
      const v = rnd();
      while (v > cdf && k < 1000) { k++; pk *= mu / k; cdf += pk; }
      return k;
    }
    const eta = 0.3 + 0.8 * x[i] + o[i] + (opts.slope ? z[i] : 1) * b[g] + (opts.vector ? 0.5 * (z[i] - 1) * b[(g * 7) % nl] : 0);
    const p = 1 / (1 + Math.exp(-eta));
    let k = 0;
    for (let t = 0; t < w[i]; t++) if (rnd() < p) k++;
    return k / w[i];
  });
  const columns: Record<string, Float64Array | string[]> = { y, x, z, o, w, g: Array.from(codes, (c) => `g${c}`), f: Array.from({ length: n }, (_, i) => `f${(i * 7) % (opts.factor ?? 1)}`) };
  const re = opts.vector ? '(z | g)' : opts.slope ? '(0 + z | g)' : '(1 | g)';
  if (opts.poisson) columns.o = Float64Array.from(o, Math.sign);
  return {
    name, formula: `y ~ x${opts.factor ? ' + f' : ''}${opts.offset ? ' + offset(o)' : ''} + ${re}`,
    family: opts.negbin ? 'negative.binomial' : opts.poisson ? 'poisson' : 'binomial',
    ...(opts.link ? { link: opts.link } : {}), ...(opts.negbin ? { theta: opts.negbin } : {}),
    ...(opts.proportions || opts.weights ? { weights: 'w' } : {}), columns,
  };
}

const cases: Case[] = [
  makeCase('0/1 responses, rows in random order', {}),
  makeCase('0/1 responses, rows sorted by level', { sorted: true }),
  makeCase('proportions with prior weights', { proportions: true }),
  makeCase('an offset beyond the fast range', { offset: true }),
  makeCase('a scalar slope term (0 + z | g)', { slope: true }),
  makeCase('levels whose responses are all 1', { saturated: true }),
  // p = 7: the joint pass's second block of four columns (and its cross block), the last padded
  makeCase('a 6-level fixed factor (p = 7)', { factor: 6, offset: true }),
  // p = 21 > MAX_SORTED_X: base formed in the rows' order and gathered
  makeCase('a 20-level fixed factor (p = 21)', { factor: 20 }),
  makeCase('poisson(log) counts', { poisson: true }),
  // q = 2: runs with β fixed by levels (2 × 2 Newton steps), β free by the general iteration
  makeCase('a vector term (z | g), binomial', { vector: true }),
  makeCase('a vector term (z | g), poisson with an offset, rows sorted by level', { vector: true, poisson: true, offset: true, sorted: true }),
  makeCase('poisson(log) with an offset and prior weights, rows sorted by level', { poisson: true, offset: true, weights: true, sorted: true }),
  // the non-canonical families: Newton's weights for the steps, the expected ones for log|L|²
  makeCase('binomial(probit), proportions with prior weights', { link: 'probit', proportions: true }),
  makeCase('binomial(probit), a vector term (z | g)', { link: 'probit', vector: true }),
  makeCase('binomial(cloglog), an offset beyond the fast range', { link: 'cloglog', offset: true }),
  makeCase('binomial(cloglog), a scalar slope term (0 + z | g), levels whose responses are all 1', { link: 'cloglog', slope: true, saturated: true }),
  makeCase('NB2(θ = 0.8) counts with an offset', { poisson: true, negbin: 0.8, offset: true }),
  makeCase('NB2(θ = 3), a vector term (z | g), a 6-level fixed factor, rows sorted by level', { poisson: true, negbin: 3, vector: true, factor: 6, sorted: true }),
];

function build(c: Case) {
  return buildGlmm(c.formula, tableFromArrays(c.columns as Record<string, Float64Array>), {
    family: c.family, ...(c.link ? { link: c.link } : {}), ...(c.theta ? { theta: c.theta } : {}), ...(c.weights ? { weights: c.weights } : {}),
  });
}

/** θ (lme4's) at scale t: the start's diagonal entries t (the first) and 0.6 t, its off-diagonal ones 0.2 t */
const thetaAt = (model: { theta: { start: Float64Array } }, t: number) => Float64Array.from(model.theta.start, (v, k) => (v === 0 ? 0.2 * t : k === 0 ? t : 0.6 * t));

const close = (a: number, b: number, rel: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(rel * (1 + Math.abs(b)));

describe('PIRLS with β fixed by levels', () => {
  for (const c of cases) {
    it(`agrees with the general iteration: ${c.name}`, () => {
      const model = build(c);
      const general = new PirlsEngine(model.pirls, { groupNewton: false });
      const levels = new PirlsEngine(model.pirls);
      // a walk of (θ, β) around the generating values with warm starts, θ = 0 included
      const beta0 = Float64Array.from({ length: model.frame.p }, (_, j) => (j === 0 ? 0.3 : j === 1 ? 0.8 : 0.05 * Math.sin(j)));
      const walk = [1, 1.001, 0.999, 0.4, 2.5, 0, 1.2, 1.2].map((t, k) => ({
        theta: thetaToInternal(model, thetaAt(model, t)),
        beta: Float64Array.from(beta0, (v, j) => v + (k === 6 ? 0.3 : 1e-3 * Math.sin(k + j))),
      }));
      const iterations = [0, 0];
      for (const pt of walk) {
        const a = general.run(pt.theta, pt.beta);
        const r = levels.run(pt.theta, pt.beta);
        expect(r.byLevels).toBe(true);
        expect(a.byLevels).toBeUndefined();
        close(r.laplace, a.laplace, 1e-11);
        close(r.ldL2, a.ldL2, 1e-11);
        close(r.sqrU, a.sqrU, 1e-11);
        close(r.devResid, a.devResid, 1e-11);
        close(r.aic, a.aic, 1e-11);
        for (let j = 0; j < general.u[0].length; j++) close(levels.u[0][j], general.u[0][j], 1e-9);
        // β free (glmer's first stage; the first such run of an engine is a cold start, the general iteration's)
        const af = general.run(pt.theta, null);
        const rf = levels.run(pt.theta, null);
        // by levels where X's copy is in level order (p ≤ 16)
        expect(rf.byLevels).toBe(model.frame.p <= 16 ? true : undefined);
        // the same Newton steps as the general iteration's (its iterates up to rounding): as many of
        // them, but where the rounding of max |Δη| decides a stop the other way (summed below)
        iterations[0] += af.iterations;
        iterations[1] += rf.iterations;
        close(rf.laplace, af.laplace, 1e-11);
        close(rf.ldL2, af.ldL2, 1e-11);
        close(rf.devResid, af.devResid, 1e-11);
        for (let j = 0; j < general.beta.length; j++) close(levels.beta[j], general.beta[j], 1e-9);
        for (let j = 0; j < general.u[0].length; j++) close(levels.u[0][j], general.u[0][j], 1e-9);
      }
      expect(Math.abs(iterations[1] - iterations[0])).toBeLessThanOrEqual(1);
      // a cold start (u = 0) at the walk's last point
      const cold = new PirlsEngine(model.pirls);
      const last = walk[walk.length - 1];
      close(cold.run(last.theta, last.beta).laplace, general.run(last.theta, last.beta).laplace, 1e-11);
    });
  }

  // logit proportions, and probit's (AGQ's scale from log|L|² at the expected weights, not Newton's)
  for (const c of [cases[2], cases.find((x) => x.link === 'probit')!]) it(`leaves η, μ, L and AGQ's deviance as the general iteration does, once asked for: ${c.name}`, () => {
    const model = build(c);
    const general = new PirlsEngine(model.pirls, { groupNewton: false });
    const levels = new PirlsEngine(model.pirls);
    const theta = thetaToInternal(model, Float64Array.of(0.9));
    general.run(theta, null);
    const beta = Float64Array.from(general.beta);
    general.run(theta, beta);
    levels.run(theta, beta);
    const rule = ghRule(7);
    close(levels.agq(rule), general.agq(rule), 1e-11);
    // the runs after it compute the quadrature's rows term by levels too, at the modes
    for (const [k, tt] of [0.9, 1.3, 0.5].entries()) {
      const th = thetaToInternal(model, Float64Array.of(tt));
      const bk = Float64Array.from(beta, (v, j) => v + 0.01 * (k + j));
      general.run(th, bk);
      levels.run(th, bk);
      close(levels.agq(rule), general.agq(rule), 1e-11);
    }
    levels.run(theta, beta);
    general.run(theta, beta);
    levels.run(theta, beta);
    levels.syncRows();
    for (let i = 0; i < model.pirls.n; i++) {
      close(levels.eta[i], general.eta[i], 1e-10);
      close(levels.mu[i], general.mu[i], 1e-10);
    }
    const va = general.conditionalVariances()[0], vb = levels.conditionalVariances()[0];
    for (let j = 0; j < va.length; j++) close(vb[j], va[j], 1e-10);
  });

  it("the deviance's aic is the family's at μ̃ (R's binomial aic; 0/1 responses with unit weights: the deviance itself)", () => {
    for (const c of [cases[0], cases[2]]) {
      const model = build(c);
      const { family, y, trials, weights } = model.pirls;
      const e = new PirlsEngine(model.pirls);
      const r = e.run(thetaToInternal(model, Float64Array.of(0.8)), Float64Array.of(0.3, 0.8));
      e.syncRows();
      close(r.aic, family.aic(y, trials, e.mu, weights), 1e-12);
      if (c === cases[0]) expect(r.aic).toBe(r.devResid);
      else expect(Math.abs(r.aic - r.devResid)).toBeGreaterThan(1);
    }
  });

  it("starts each level from the prediction of its mode: along small steps, two evaluations per level", () => {
    const model = build(cases[0]);
    const e = new PirlsEngine(model.pirls);
    const at = (k: number) => [thetaToInternal(model, Float64Array.of(1 + 1e-5 * k)), Float64Array.of(0.3 + 1e-5 * k, 0.8 - 1e-5 * k)] as const;
    // from u = 0 (a cold start); then from the prediction of each level's mode from the run before
    expect(e.run(...at(0)).levelEvaluations!).toBeGreaterThan(3);
    expect(e.run(...at(1)).levelEvaluations!).toBeLessThanOrEqual(2.05);
    expect(e.run(...at(2)).levelEvaluations!).toBeLessThanOrEqual(2.05);
    // a state restored from elsewhere is not the last run's: no prediction from it
    const saved = e.saveState();
    e.run(...at(0));
    e.restoreState(saved);
    expect(e.run(...at(3)).levelEvaluations!).toBeGreaterThanOrEqual(2.5);
  });

  it('a level that does not converge sends the run to the general iteration', () => {
    const model = build(cases[0]);
    const theta = thetaToInternal(model, Float64Array.of(1.5));
    const start = new PirlsEngine(model.pirls, { groupNewton: false });
    start.run(theta, null);
    const beta = Float64Array.from(start.beta, (v) => v + 0.5);
    const msg = (e: PirlsEngine) => { try { e.run(theta, beta, { maxIter: 1 }); return 'converged'; } catch (err) { expect(err).toBeInstanceOf(PirlsError); return (err as Error).message; } };
    const a = msg(new PirlsEngine(model.pirls, { groupNewton: false }));
    expect(a).toMatch(/did not converge in 1 iterations/);
    expect(msg(new PirlsEngine(model.pirls))).toBe(a);
    // and with iterations enough, the same deviance as the general iteration from the same start
    close(new PirlsEngine(model.pirls).run(theta, beta).laplace, new PirlsEngine(model.pirls, { groupNewton: false }).run(theta, beta).laplace, 1e-11);
  });

  afterAll(() => setDenseThreads('auto'));
  it('is the same bit for bit with one thread and two, the helpers computing chunks of levels', async () => {
    for (const c of [makeCase('binomial, 60,000 rows', { n: 60_000, offset: true }), makeCase('poisson, 60,000 rows', { n: 60_000, poisson: true, weights: true }),
      makeCase('(z | g), 60,000 rows', { n: 60_000, vector: true }), makeCase('probit, 60,000 rows', { n: 60_000, link: 'probit', proportions: true }),
      makeCase('NB2, (z | g), 60,000 rows', { n: 60_000, poisson: true, negbin: 1.5, vector: true })]) {
      const model = build(c);
      const walk = (e: PirlsEngine) => [1, 1.01, 0.7].flatMap((t, k) => {
        const theta = thetaToInternal(model, thetaAt(model, t));
        const free = e.run(theta, null);
        const fixed = e.run(theta, Float64Array.from(e.beta, (v, j) => v + 1e-3 * (k + j)));
        return [free.laplace, free.ldL2, fixed.laplace, fixed.ldL2, ...e.u[0], ...e.beta];
      });
      setDenseThreads(1);
      const one = walk(new PirlsEngine(model.pirls));
      setDenseThreads(2);
      expect(await rowThreadsReady()).toBe(2);
      const helped = rowChunksHelped();
      let two = walk(new PirlsEngine(model.pirls));
      for (let rep = 0; rep < 5 && rowChunksHelped() === helped; rep++) two = walk(new PirlsEngine(model.pirls));
      expect(rowChunksHelped(), c.name).toBeGreaterThan(helped);
      expect(two).toEqual(one);
    }
  });

  it('orders the rows by level stably, and cuts the levels into chunks of whole levels', () => {
    const codes = Int32Array.of(2, 0, 2, 1, 0, 2, 3, 3);
    const { start, perm } = levelOrder(codes, 5);
    expect(Array.from(start)).toEqual([0, 2, 3, 6, 8, 8]);
    expect(Array.from(perm!)).toEqual([1, 4, 3, 0, 2, 5, 6, 7]);
    expect(levelOrder(Int32Array.of(0, 0, 1, 3), 4).perm).toBe(null);
    expect(Array.from(levelChunks(start, 3))).toEqual([0, 2, 3, 5]);
    expect(Array.from(levelChunks(start, 1))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(levelChunks(start, 100))).toEqual([0, 5]);
  });
});
