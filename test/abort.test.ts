/**
 * lmer and glmer honour an external AbortSignal within ~100 ms on the CPU backend (issue 9, item 9):
 * every evaluation goes through src/model/control.ts, which gives the event loop a turn at least
 * every 50 ms, so AbortSignal.timeout's timer fires during the fit and the next evaluation throws
 * (an abort before the optimizer is seen between the passes over the data and at its first step).
 * Before, the CPU loop never yielded: the fit ran to its end (InstEval ~5 s, VerbAgg ~1.5 s).
 * The latency's bound: test/helpers/abort.ts.
 */
import { describe, expect, it } from 'vitest';
import { glmer } from '../src/fit/glmer.js';
import { lmer } from '../src/fit/lmer.js';
import { Evaluations } from '../src/model/control.js';
import { abortLatency } from './helpers/abort.js';
import { loadData, loadReference } from './helpers/reference.js';

describe('an external AbortSignal stops a CPU fit promptly', () => {
  it('lmer (InstEval, crossed: ~110 evaluations of ~45 ms)', async () => {
    const ref = loadReference('insteval_crossed_reml');
    const data = loadData(ref);
    const { latency, bound } = await abortLatency((signal, onProgress) => lmer(ref.formula, data, { REML: ref.reml, factors: ref.factors, signal, onProgress }), 300);
    console.log(`lmer abort latency ${latency.toFixed(0)} ms (bound ${bound.toFixed(0)} ms)`);
    expect(latency).toBeLessThan(bound);
  });

  it('glmer (VerbAgg, binomial, crossed)', async () => {
    const ref = loadReference('verbagg_binomial_crossed');
    const data = loadData(ref);
    const { latency, bound } = await abortLatency((signal, onProgress) => glmer(ref.formula, data, { family: 'binomial', factors: ref.factors, signal, onProgress }), 300);
    console.log(`glmer abort latency ${latency.toFixed(0)} ms (bound ${bound.toFixed(0)} ms)`);
    expect(latency).toBeLessThan(bound);
  });

  it('an already aborted signal stops the fit before any work', async () => {
    const ref = loadReference('sleepstudy_slopes_reml');
    const signal = AbortSignal.abort();
    await expect(lmer(ref.formula, loadData(ref), { factors: ref.factors, signal })).rejects.toMatchObject({ name: 'AbortError' });
    await expect(glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', loadData(loadReference('cbpp_binomial')), { family: 'binomial', factors: ['herd', 'period'], signal }))
      .rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('Evaluations: the fit loop\'s turns for the event loop', () => {
  it('returns values synchronously between turns and gives a timer its turn at least every yieldEveryMs', async () => {
    const ev = new Evaluations({ yieldEveryMs: 20 });
    const busy = (x: Float64Array) => { const t = performance.now(); while (performance.now() - t < 5); return x[0]; };
    const f = ev.wrap(busy);
    let fired = 0;
    const timer = setInterval(() => fired++, 1);
    let promises = 0;
    for (let k = 0; k < 40; k++) {
      const r = f(Float64Array.of(k));
      if (typeof r !== 'number') { promises++; expect(await r).toBe(k); }
    }
    clearInterval(timer);
    expect(ev.count).toBe(40);
    // 40 evaluations of 5 ms with a turn every 20 ms: about 10 turns, each letting the timer run
    expect(promises).toBeGreaterThanOrEqual(5);
    expect(promises).toBeLessThan(40);
    expect(fired).toBeGreaterThanOrEqual(promises - 1);
  });

  it('refuses the next evaluation once the signal is aborted', () => {
    const ac = new AbortController();
    const f = new Evaluations({ signal: ac.signal }).wrap((x) => x[0]);
    expect(f(Float64Array.of(1))).toBe(1);
    ac.abort();
    expect(() => f(Float64Array.of(2))).toThrow(/cancelled/);
  });
});
