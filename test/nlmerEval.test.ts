/**
 * nlmer's evaluation hot path (src/nlmer/selfStart.ts's row functions, src/nlmer/pnls.ts's per-model work
 * buffers): the row functions at an offset against the models' `eval` (whose values test/nlmer.test.ts compares
 * with R's deriv), the first non-finite row named when the rows' finiteness is checked by one sum, and PNLS's
 * reused buffers: a solve's result is not changed by later solves on the same model and equals a fresh model's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromArrays } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { FitError } from '../src/errors/errors.js';
import { readTableFile } from '../src/io/node.js';
import { parseNlFormula } from '../src/nlmer/formula.js';
import { nlmerLaplace } from '../src/nlmer/laplace.js';
import { buildNlmerModel } from '../src/nlmer/model.js';
import { evalModel, parametersAt, pnls } from '../src/nlmer/pnls.js';
import { SELF_START_MODELS } from '../src/nlmer/selfStart.js';

const fixtures = join(import.meta.dirname, 'fixtures');

describe("nlmer's model rows at an offset", () => {
  const cases = JSON.parse(readFileSync(join(fixtures, 'nlmer', 'selfstart.json'), 'utf8')) as
    { model: string; covariates: Record<string, number[]>; cases: { parameters: Record<string, number> }[] }[];
  for (const c of cases) {
    it(`${c.model}: row(x, φ, o, G) writes eval's value and gradient at o and nothing else`, () => {
      const m = SELF_START_MODELS.get(c.model)!;
      const P = m.parameters.length;
      const xs = m.covariates.map((cv) => c.covariates[cv]);
      for (const k of c.cases) {
        const p = m.parameters.map((nm) => k.parameters[nm]);
        for (let i = 0; i < xs[0].length; i++) {
          const x = xs.map((col) => col[i]);
          const g = new Float64Array(P);
          const v = m.eval(x, p, g);
          // the parameters at row 1 of three rows, the gradient likewise; the other rows' entries stay as they were
          const phi = new Float64Array(3 * P).fill(-1);
          phi.set(p, P);
          const G = new Float64Array(3 * P).fill(7);
          expect(m.row(x[0], x.length > 1 ? x[1] : 0, phi, P, G)).toBe(v);
          expect(Array.from(G.subarray(P, 2 * P))).toEqual(Array.from(g));
          expect(Array.from(G.subarray(0, P))).toEqual(new Array(P).fill(7));
          expect(Array.from(G.subarray(2 * P))).toEqual(new Array(P).fill(7));
        }
      }
    });
  }
});

describe("nlmer's evaluation: the first non-finite row is named", () => {
  // SSweibull at x = 0: f = Asym − Drop is finite, ∂f/∂pwr = Drop e^{lrc} 0^pwr e^{…} log 0 = 0 · (−∞) is NaN
  const x = Float64Array.from([1, 2, 0, 3, 0, 4]);
  const model = buildNlmerModel(
    parseNlFormula('y ~ SSweibull(x, Asym, Drop, lrc, pwr) ~ Asym | g', ['Asym', 'Drop', 'lrc', 'pwr']),
    tableFromArrays({ y: Float64Array.from([1, 2, 3, 4, 5, 6]), x, g: ['a', 'a', 'b', 'b', 'c', 'c'] }),
  );
  const beta = [10, 5, -1, 1.5];

  it('a gradient entry (row 3 of 6, not the later row 5)', () => {
    const phi = parametersAt(model, [1], new Float64Array(model.q), beta);
    expect(() => evalModel(model, phi)).toThrow(FitError);
    expect(() => evalModel(model, phi)).toThrow(/the gradient of SSweibull in pwr is not finite \(NaN\) at row 3 \(x = 0; Asym = 10, Drop = 5, lrc = -1, pwr = 1.5\)/);
  });

  it('a value before a gradient entry', () => {
    // Asym = ∞ at group b's rows 3 and 4 through b = u (θ = 1): row 3's value (∞ − …) is the first non-finite
    const u = Float64Array.from([0, Infinity, 0]);
    const phi = parametersAt(model, [1], u, beta);
    expect(() => evalModel(model, phi)).toThrow(/the model SSweibull is not finite \(Infinity\) at row 3 \(x = 0; Asym = Infinity/);
  });

  it('finite rows give no error and the same values as one row at a time', () => {
    const phi = parametersAt(model, [1], new Float64Array(model.q), beta);
    const rows = [0, 1, 3, 5];
    const sub = evalModel(model, Float64Array.from(rows.flatMap((i) => Array.from(phi.subarray(4 * i, 4 * i + 4)))), [Float64Array.from(rows, (i) => x[i])], null);
    const g = new Float64Array(4);
    const m = SELF_START_MODELS.get('SSweibull')!;
    rows.forEach((i, r) => {
      expect(sub.mu[r]).toBe(m.eval([x[i]], Array.from(phi.subarray(4 * i, 4 * i + 4)), g));
      expect(Array.from(sub.grad.subarray(4 * r, 4 * r + 4))).toEqual(Array.from(g));
    });
  });
});

describe("nlmer's PNLS work buffers", () => {
  const F = 'y ~ SSlogis(x, Asym, xmid, scal) ~ Asym + xmid | g';
  const build = () => buildNlmerModel(parseNlFormula(F, ['Asym', 'xmid', 'scal']), readTableFile(join(fixtures, 'data', 'logis200.csv')).table);
  const beta0 = [200, 700, 300];

  it("a solve's result is not changed by later solves on the same model, and equals a fresh model's", () => {
    const model = build();
    const thetaA = [2, 0.3, 1.5], thetaB = [0.5, -0.2, 4];
    const snapshot = (r: ReturnType<typeof pnls>) => ({
      deviance: r.deviance, wrss: r.wrss, u: Array.from(r.u), beta: Array.from(r.beta), delu: Array.from(r.delu),
      mu: Array.from(r.mu), grad: Array.from(r.grad), L: Array.from(r.decomposition.L), RX: Array.from(r.decomposition.RX), iterations: r.iterations,
    });
    const a = pnls(model, thetaA, new Float64Array(model.q), beta0, false, nlmerLaplace);
    const before = snapshot(a);
    expect(before.iterations).toBeGreaterThan(1); // steps were taken: the trial slot was installed
    const b = pnls(model, thetaB, new Float64Array(model.q), beta0, true, nlmerLaplace);
    expect(snapshot(a)).toEqual(before);
    expect(b.deviance).not.toBe(a.deviance);
    expect(snapshot(pnls(model, thetaA, new Float64Array(model.q), beta0, false, nlmerLaplace))).toEqual(before);
    expect(snapshot(pnls(build(), thetaA, new Float64Array(model.q), beta0, false, nlmerLaplace))).toEqual(before);
  });
});
