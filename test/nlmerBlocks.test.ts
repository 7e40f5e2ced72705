/**
 * PNLS's decomposition by level blocks (src/nlmer/decompose.ts: one grouping factor, L block diagonal)
 * against the general dense q × q path (`structure: 'dense'`) on the many-group case of
 * test/oracle/nlmer.R (logis200.csv: 200 groups, a random Asym and xmid, q = 400) at random points,
 * and whole fits by both paths; and lme4's anova of two nlmer fits (orange_anova.json).
 * The blocks do the dense factorization's arithmetic without its zeros, in another order only for
 * log|L|² and R_X's downdate sums: every quantity agrees to 1e-12 relative (a scale of the largest
 * entry), the fits' optima to 1e-9 (the same Nelder–Mead path on the same function).
 * The lme4 comparisons of logis200 at the usual tolerances are test/nlmer.test.ts's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromArrays } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { ModelError } from '../src/errors/errors.js';
import { readTableFile } from '../src/io/node.js';
import { anovaNlmer } from '../src/nlmer/anova.js';
import { decompose, solveL, solveLT, usesLevelBlocks } from '../src/nlmer/decompose.js';
import { estimateNlmer } from '../src/nlmer/fit.js';
import { parseNlFormula } from '../src/nlmer/formula.js';
import { nlmerLaplace } from '../src/nlmer/laplace.js';
import { buildNlmerModel } from '../src/nlmer/model.js';
import { nlmer } from '../src/nlmer/nlmer.js';
import { evalModel, parametersAt, pnls } from '../src/nlmer/pnls.js';

const dataDir = join(import.meta.dirname, 'fixtures', 'data');
const table = (file: string) => readTableFile(join(dataDir, file)).table;
const START = { Asym: 200, xmid: 700, scal: 300 };
const F200 = 'y ~ SSlogis(x, Asym, xmid, scal) ~ Asym + xmid | g';

/** |a − b| ≤ tol · max(1, max |b|) entrywise */
function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) {
  expect(a.length, `${what}: length`).toBe(b.length);
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < b.length; i++) expect(Math.abs(a[i] - b[i]), `${what}[${i}]: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(tol * scale);
}

/** a seeded uniform on [0, 1) (LCG; the points only need to be arbitrary) */
function uniforms(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
}

describe('nlmer: PNLS by level blocks against the dense L (200 groups, q = 400)', () => {
  const model = buildNlmerModel(parseNlFormula(F200, Object.keys(START)), table('logis200.csv'));
  const beta0 = Float64Array.from(model.fixedParam, (k) => START[model.params[k] as keyof typeof START]);

  it('takes the blocks for one grouping factor, the dense L when asked', () => {
    expect(model.terms.length).toBe(1);
    expect(model.q).toBe(400);
    expect(usesLevelBlocks(model)).toBe(true);
    expect(usesLevelBlocks(model, 'dense')).toBe(false);
  });

  it('the decomposition and its solves at random (θ, u, β), to 1e-12', () => {
    const rnd = uniforms(7);
    for (let trial = 0; trial < 4; trial++) {
      // θ: a lower-triangular template with positive diagonal, any off-diagonal; u and β moved off the start
      const theta = [0.05 + 3 * rnd(), 4 * rnd() - 2, 0.05 + 3 * rnd()];
      const u = Float64Array.from({ length: model.q }, () => rnd() - 0.5);
      const beta = Float64Array.from(beta0, (b) => b * (0.9 + 0.2 * rnd()));
      const mv = evalModel(model, parametersAt(model, theta, u, beta));
      const resid = Float64Array.from(model.y, (y, i) => y - mv.mu[i]);
      const blocks = decompose(model, theta, mv.grad, resid);
      const dense = decompose(model, theta, mv.grad, resid, 'dense');
      expect(blocks.blockSize).toBe(2);
      expect(dense.blockSize).toBe(0);
      expect(blocks.L.length).toBe(model.q * 2);
      expect(Math.abs(blocks.ldL2 - dense.ldL2)).toBeLessThanOrEqual(1e-12 * Math.abs(dense.ldL2));
      expect(Math.abs(blocks.ldRX2 - dense.ldRX2)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(dense.ldRX2)));
      close(blocks.RZX, dense.RZX, 1e-12, 'R_ZX');
      close(blocks.RX, dense.RX, 1e-12, 'R_X');
      close(blocks.Utr, dense.Utr, 1e-12, 'ΛᵀUᵀr');
      close(blocks.Vtr, dense.Vtr, 1e-12, 'Vᵀr');
      // the blocks are the dense factor's diagonal blocks, and the dense factor is zero off them
      for (let l = 0; l < model.q / 2; l++) {
        for (let a = 0; a < 2; a++) for (let b = 0; b <= a; b++) {
          const d = dense.L[(2 * l + a) * model.q + 2 * l + b];
          expect(Math.abs(blocks.L[4 * l + 2 * a + b] - d)).toBeLessThanOrEqual(1e-12 * Math.abs(d) + 1e-300);
        }
        if (l > 0) expect(dense.L[(2 * l) * model.q + 2 * l - 1]).toBe(0);
      }
      const x = Float64Array.from({ length: model.q }, () => rnd() - 0.5);
      const xb = Float64Array.from(x), xd = Float64Array.from(x);
      solveL(blocks, xb); solveL(dense, xd);
      close(xb, xd, 1e-12, 'L⁻¹x');
      solveLT(blocks, xb); solveLT(dense, xd);
      close(xb, xd, 1e-12, 'L⁻ᵀL⁻¹x');
    }
  });

  it('PNLS solves in (u, β) and in u alone from u = 0, to 1e-10', () => {
    const rnd = uniforms(11);
    for (const uOnly of [false, true]) {
      const theta = [0.5 + 8 * rnd(), 2 * rnd() - 1, 0.5 + 8 * rnd()];
      const a = pnls(model, theta, new Float64Array(model.q), beta0, uOnly, nlmerLaplace, 1e-10);
      const b = pnls(model, theta, new Float64Array(model.q), beta0, uOnly, nlmerLaplace, 1e-10, 300, 0, 'dense');
      expect(a.iterations).toBe(b.iterations);
      expect(Math.abs(a.deviance - b.deviance)).toBeLessThanOrEqual(1e-10 * Math.abs(b.deviance));
      close(a.u, b.u, 1e-10, 'u');
      close(a.beta, b.beta, 1e-10, 'β');
      close(a.delu, b.delu, 1e-10, 'δu');
    }
  });

  it('whole fits by both paths: the same optimum (30 groups, both stages)', async () => {
    // the first 30 groups (q = 60), where the dense path's fit is quick
    const sub = table('logis200.csv').slice(0, 300);
    const m = buildNlmerModel(parseNlFormula(F200, Object.keys(START)), sub);
    expect(m.terms[0].levels.length).toBe(30);
    const start = Float64Array.from(m.params, (p) => START[p as keyof typeof START]);
    const a = await estimateNlmer(m, start);
    const b = await estimateNlmer(m, start, { structure: 'dense' });
    expect(Math.abs(a.deviance - b.deviance)).toBeLessThanOrEqual(1e-9 * Math.abs(b.deviance));
    close(a.theta, b.theta, 1e-9, 'θ');
    close(a.beta, b.beta, 1e-9, 'β');
    close(a.vcov, b.vcov, 1e-6, 'vcov');
    expect(a.stage1.feval).toBe(b.stage1.feval);
    expect(a.stage2!.feval).toBe(b.stage2!.feval);
  }, 120_000);

  it("an unknown structure is refused by name", async () => {
    await expect(estimateNlmer(model, Float64Array.from([200, 700, 300]), { structure: 'sparse' as never })).rejects.toThrow(/structure "sparse" is not offered/);
  });
});

describe("nlmer: lme4's anova(fit1, fit2)", () => {
  const fx = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'nlmer', 'orange_anova.json'), 'utf8')) as {
    data: string; start: Record<string, number>; formulas: string[]; names: string[]; npar: number[]; AIC: number[]; BIC: number[];
    logLik: number[]; deviance: number[]; Chisq: (number | null)[]; Df: (number | null)[]; p: (number | null)[]; print: string[];
    fit2: { theta: number[]; beta: Record<string, number>; deviance: number };
  };
  const fitBoth = () => Promise.all(fx.formulas.map((f) => nlmer(f, table(fx.data), { start: fx.start, dataName: 'Orange' })));

  it('Orange, a random Asym against a random Asym and xmid: the table and its printout as lme4 1.1-31', async () => {
    const [f1, f2] = await fitBoth();
    expect(Math.abs(f2.deviance() - fx.fit2.deviance) / fx.fit2.deviance).toBeLessThanOrEqual(1e-6);
    close(f2.theta, fx.fit2.theta, 1e-5, 'fit2 θ');
    // given in the other order: lme4 orders the models by npar
    const a = anovaNlmer([f2, f1], ['fit2', 'fit1']);
    expect(a.names).toEqual(fx.names);
    expect(a.models.map((m) => m.formula)).toEqual(fx.formulas);
    expect(a.models.map((m) => m.npar)).toEqual(fx.npar);
    close(a.models.map((m) => m.aic), fx.AIC, 1e-6, 'AIC');
    close(a.models.map((m) => m.bic), fx.BIC, 1e-6, 'BIC');
    close(a.models.map((m) => m.loglik), fx.logLik, 1e-6, 'logLik');
    close(a.models.map((m) => m.deviance), fx.deviance, 1e-6, 'deviance');
    expect(a.tests[0]).toBeNull();
    expect(Math.abs(a.tests[1]!.chisq - fx.Chisq[1]!)).toBeLessThanOrEqual(1e-4);
    expect(a.tests[1]!.df).toBe(fx.Df[1]);
    expect(Math.abs(a.tests[1]!.p! - fx.p[1]!)).toBeLessThanOrEqual(1e-5);
    expect(a.print).toEqual(fx.print);
  }, 120_000);

  it('fits of different rows or responses are refused', async () => {
    const [f1] = await fitBoth();
    const fewer = await nlmer(fx.formulas[1], table(fx.data).slice(0, 28), { start: fx.start });
    expect(() => anovaNlmer([f1, fewer])).toThrow(/not all fitted to the same size of dataset/);
    // the same rows with another response (circumference in mm)
    const t = table(fx.data);
    const mm = tableFromArrays({ Tree: t.getChild('Tree')!.toArray() as string[], age: Float64Array.from(t.getChild('age')!.toArray() as ArrayLike<number>), mm: Float64Array.from(t.getChild('circumference')!.toArray() as ArrayLike<number>, (v) => 10 * v) });
    const other = await nlmer('mm ~ SSlogis(age, Asym, xmid, scal) ~ Asym | Tree', mm, { start: { Asym: 2000, xmid: 725, scal: 350 } });
    expect(() => anovaNlmer([f1, other])).toThrow(ModelError);
    expect(() => anovaNlmer([f1, other])).toThrow(/different responses \(circumference, mm\)/);
    expect(() => anovaNlmer([f1])).toThrow(/at least two models/);
  }, 120_000);
});
