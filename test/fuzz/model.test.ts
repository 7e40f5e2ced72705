/**
 * Fuzzing small models end to end: random data (constant, collinear and missing columns, Inf,
 * huge values, few rows, one-level factors, stray text), given as CSV text, an array of rows or
 * an object of columns; random formulas over its columns; random options (some invalid); lmer and
 * glmer. Every call gives a fit with finite numbers or one of the package's errors, within 120 s:
 * a guard against hangs, not a speed test. (The cases of the suite take under 2 s each; the long
 * mode meets GLMMs with factor slopes on a few dozen rows, `f ~ x + z + (f | g) + (f | g)`, that
 * run to 20,000 evaluations and 30-80 s, and Poisson models with a numeric column as a factor of
 * as many levels as rows.)
 * (the generators are in ./modelCases.ts; `node node_modules/vite-node/vite-node.mjs test/fuzz/replay.ts N` replays case N).
 */
import { describe, expect, it } from 'vitest';
import { lmer } from '../../src/fit/lmer.js';
import { glmer } from '../../src/fit/glmer.js';
import { Rand, SEED, cases, probe, tally } from './fuzz.js';
import { modelCase } from './modelCases.js';

function finiteFit(fit: { objective: number; fixef: Record<string, number>; theta: Float64Array | number[] }, what: string): void {
  expect(Number.isFinite(fit.objective), `${what}: objective ${fit.objective}`).toBe(true);
  for (const [k, v] of Object.entries(fit.fixef)) expect(Number.isFinite(v), `${what}: fixef ${k} = ${v}`).toBe(true);
  for (const t of fit.theta) expect(Number.isFinite(t), `${what}: theta ${t}`).toBe(true);
}

describe(`model fuzzing (seed ${SEED})`, () => {
  it('random small lmer and glmer fits: a finite fit or the package\'s error, within 120 s each', async () => {
    const rand = new Rand(SEED + 20);
    const outcomes = [];
    for (let i = 0; i < cases(60); i++) {
      const c = modelCase(rand);
      const what = `${c.fn}(${JSON.stringify(c.formula)}, ${JSON.stringify(c.rows).slice(0, 2000)}, ${JSON.stringify(c.options)}) (case ${i})`;
      const fit = c.fn === 'lmer' ? lmer : glmer;
      const outcome = await probe(what, 120_000, async () => finiteFit(await fit(c.formula, c.input as never, c.options as never), what));
      outcomes.push(outcome);
    }
    const t = tally(outcomes);
    expect(t.ok).toBeGreaterThan(cases(60) / 5);
    expect(Object.keys(t).length).toBeGreaterThan(2);
  }, 600_000);
});
