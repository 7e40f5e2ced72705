/**
 * gamm4's smooths as mixed models against gamm4 0.2-6 / mgcv 1.8-41 / lme4 1.1-31 (fixtures from
 * test/oracle/gamm4.R). Tolerances:
 *   - the cr basis (deterministic) at the data's first rows and its scaled, constrained penalty: 1e-10 relative
 *     to the largest entry;
 *   - lme4's REML criterion (or deviance) of the mer at gamm4's θ: 1e-9 relative;
 *   - at our own optimum: θ and σ 1e-4 relative (θ of a boundary smooth: 1e-5 absolute), the criterion 1e-7
 *     relative, fixed effects of the parametric part, fitted values, the smooths' values on a grid and the
 *     predictions 1e-5 relative to the response's scale (SD of y), their SEs and the edf 1e-4 relative.
 * The tp basis's eigenvectors have arbitrary signs, so only invariants are compared for tp smooths.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTableFile } from '../src/io/node.js';
import { smoothCon } from '../src/smooth/smoothCon.js';
import { crKnots } from '../src/smooth/crSpline.js';

const fixtures = join(import.meta.dirname, 'fixtures');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const cases: Record<string, any> = JSON.parse(readFileSync(join(fixtures, 'gamm4', 'gamm4.json'), 'utf8'));
const sleep = () => readTableFile(join(fixtures, 'data', 'sleepstudy.csv')).table;
const gamsim = () => readTableFile(join(fixtures, 'data', 'gamsim1.csv')).table;
const numbers = (t: ReturnType<typeof sleep>, name: string) => Float64Array.from(t.getChild(name)!.toArray() as ArrayLike<number>);

const maxAbs = (a: ArrayLike<number>) => Math.max(...Array.from(a, Math.abs));
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, scale = maxAbs(expected)) {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst / Math.max(scale, 1e-300)).toBeLessThan(tol);
}

describe('the cr basis as mgcv builds it (deterministic)', () => {
  for (const [name, data, index] of [['sleep_cr', sleep, 0], ['gamsim', gamsim, 1]] as const) {
    it(`${name}: knots, the constrained basis and its scaled penalty`, () => {
      const sm = cases[name].smooths[index];
      const t = data();
      const x = numbers(t, sm.term);
      expectClose(crKnots(x, sm.bs_dim, sm.term), sm.knots, 1e-14);
      const con = smoothCon({ term: sm.term, bs: 'cr', k: sm.bs_dim, label: sm.label }, x);
      expect(con.p).toBe(sm.bs_dim - 1);
      expectClose(con.sScale === undefined ? [] : [con.sScale], [sm.S_scale], 1e-12);
      expectClose(con.S, (sm.S as number[][]).flat(), 1e-10);
      expectClose(con.X.subarray(0, 12 * con.p), (sm.X_head as number[][]).flat(), 1e-10);
    });
  }
});
