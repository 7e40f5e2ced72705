/**
 * Focused tests for what the randomized audit against lme4 (test/randomFrames.test.ts) found in
 * the model frame: R's coding of factors in terms without an intercept or without their margins, a
 * factor with one level refused as R refuses it, numbers with one label read as one level,
 * variables only in removed terms kept in na.omit, readCsv's `levelOrder: 'C'` kept by the model
 * frame, predict's NA for a new level whose random-effects variable is missing, and (from the
 * post-fit audit, test/randomPostfit.test.ts) lme4's order of the random-effects terms where a
 * grouping factor's terms are apart. Expected values are R 4.2.2's model.matrix and lme4 1.1-31's.
 */
import { describe, expect, it } from 'vitest';
import { parseFormula } from '../src/formula/parse.js';
import { buildModelFrame, lme4TermOrder } from '../src/frame/modelFrame.js';
import { modelMatrix } from '../src/frame/modelMatrix.js';
import { numericToFactor } from '../src/frame/columns.js';
import { type FrameSpec, expandDesign } from '../src/gram/frameSpec.js';
import { readCsv } from '../src/io/csv.js';
import { lmer } from '../src/fit/lmer.js';

/** 60 rows: a (p, q, r), b (u, v), c (k, m), x, z, g (6 levels), y */
function data(): string {
  const lines = ['y,a,b,c,x,z,g'];
  for (let i = 0; i < 60; i++) {
    const y = Math.sin(i * 1.3) + (i % 3) * 0.5 + (i % 6) * 0.2;
    lines.push([y.toFixed(5), 'pqr'[i % 3], 'uv'[Math.floor(i / 30)], 'km'[i % 2], ((i % 12) / 7).toFixed(5), Math.cos(i).toFixed(5), `g${i % 6}`].join(','));
  }
  return lines.join('\n') + '\n';
}

/** R's colnames(model.matrix(~ rhs, d)) for these data */
const R_COLUMNS: [string, string[]][] = [
  ['0 + a + b', ['ap', 'aq', 'ar', 'bv']],
  ['0 + a + b + c', ['ap', 'aq', 'ar', 'bv', 'cm']],
  ['a * b - 1', ['ap', 'aq', 'ar', 'bv', 'aq:bv', 'ar:bv']],
  ['0 + x + a:b', ['x', 'ap:bu', 'aq:bu', 'ar:bu', 'ap:bv', 'aq:bv', 'ar:bv']],
  ['a:b + a:c', ['(Intercept)', 'ap:bu', 'aq:bu', 'ar:bu', 'ap:bv', 'aq:bv', 'ar:bv', 'ap:cm', 'aq:cm', 'ar:cm']],
  ['a:b + b:c', ['(Intercept)', 'ap:bu', 'aq:bu', 'ar:bu', 'ap:bv', 'aq:bv', 'ar:bv', 'bu:cm', 'bv:cm']],
  ['x:z + a:x', ['(Intercept)', 'x:z', 'x:aq', 'x:ar']],
  ['0 + a:x + b', ['bu', 'bv', 'ap:x', 'aq:x', 'ar:x']],
  ['0 + x:a + b:c', ['x:ap', 'x:aq', 'x:ar', 'bu:ck', 'bv:ck', 'bu:cm', 'bv:cm']],
];

describe("factor coding: R's rules", () => {
  const table = readCsv(data()).table;
  it.each(R_COLUMNS)('y ~ %s', (rhs, expected) => {
    const f = parseFormula(`y ~ ${rhs} + (1 | g)`);
    const frame = buildModelFrame(f, table);
    const names = modelMatrix(f.fixed, (l) => frame.columns.get(l)!, frame.n).names;
    expect(names).toEqual(expected);
    // the streaming engines' design (src/gram/frameSpec.ts) codes the same way
    const spec = { numeric: new Map(['x', 'z'].map((v) => [v, { type: 'var', name: v }])), bases: [], basisColumns: new Map() } as unknown as FrameSpec;
    const levelsOf = (v: string) => (frame.columns.get(v) as { levels: string[] }).levels;
    expect(expandDesign(f.fixed, spec, levelsOf).map((c) => c.name)).toEqual(expected);
  });

  it('in a random-effects term: (0 + a + b | g) codes every level of a and b by contrasts (lme4: ap aq ar bv)', () => {
    const frame = buildModelFrame(parseFormula('y ~ 1 + (0 + a + b | g)'), readCsv(data()).table);
    expect(frame.reTerms[0].cnames).toEqual(['ap', 'aq', 'ar', 'bv']);
  });

  it('a factor with one level in the rows used is an error, as in R (it would otherwise give no column and the term vanish)', () => {
    // R: model.matrix(y ~ x + b, d) and lmer stop: "contrasts can be applied only to factors with 2 or more levels"
    const t = readCsv('y,x,b,g\n1,1,u,g1\n2,2,u,g1\n3,3,u,g2\n5,1,u,g2\n2,2,u,g3\n4,3,w,g3\n').table;
    expect(() => buildModelFrame(parseFormula('y ~ x + b + (1 | g)'), t)).not.toThrow();
    const one = readCsv('y,x,b,g\n1,1,u,g1\n2,2,u,g1\n3,3,u,g2\n5,1,u,g2\n2,2,u,g3\nNA,3,w,g3\n').table;
    for (const f of ['y ~ x + b + (1 | g)', 'y ~ 0 + b:x + (1 | g)', 'y ~ x + (0 + b | g)']) {
      expect(() => buildModelFrame(parseFormula(f), one)).toThrow(/factor 'b' has one level \('u'\) in the rows used .*2 or more levels/);
    }
    // a FALSE/TRUE factor is R's logical: lme4 codes it as the column bTRUE, constant here (dropped)
    const flag = readCsv('y,x,b,g\n1,1,TRUE,g1\n2,2,TRUE,g1\n3,3,TRUE,g2\n5,1,TRUE,g2\n2,2,TRUE,g3\n4,3,TRUE,g3\n').table;
    expect(buildModelFrame(parseFormula('y ~ x + b + (1 | g)'), flag).xnames).toEqual(['(Intercept)', 'x']);
  });
});

describe('numbers read as a factor', () => {
  it("values with one label are one level, as R's factor() (levels 0.3 0.5, codes 1 1 2 1), not two levels named 0.3", () => {
    const f = numericToFactor({ kind: 'numeric', values: Float64Array.from([0.1 + 0.2, 0.3, 0.5, 0.1 + 0.2, NaN]) });
    expect(f.levels).toEqual(['0.3', '0.5']);
    expect(Array.from(f.codes)).toEqual([0, 0, 1, 0, -1]);
  });
});

describe('variables only in removed terms', () => {
  it("are in R's model frame: na.omit drops their missing rows (lme4: 7 of 8 rows), and they add no column", () => {
    const t = readCsv('y,a,x,z,g\n1,p,1,1,g1\n2,q,NA,2,g1\n3,p,3,NA,g2\n5,q,1,1,g2\n2,p,2,2,g3\n4,q,3,3,g3\n1.5,p,2,1,g1\n2.5,q,1,2,g2\n').table;
    for (const f of ['y ~ a - x + (1 | g)', 'y ~ a + x - x + (1 | g)', 'y ~ a - log(z) + (1 | g)']) {
      const frame = buildModelFrame(parseFormula(f), t);
      expect([frame.n, frame.xnames], f).toEqual([7, ['(Intercept)', 'aq']]);
    }
    expect(parseFormula('y ~ a - x + (1 | g)').removedVars?.map((v) => v.label)).toEqual(['x']);
    expect(buildModelFrame(parseFormula('y ~ a - 1 + (1 | g)'), t).n).toBe(8);
  });
});

describe("readCsv's levelOrder 'C' reaches the model", () => {
  it('levels in code-point order (R in the C locale: B < a < c), not re-sorted by the locale', async () => {
    let csv = 'y,a,g\n';
    for (let i = 0; i < 30; i++) csv += `${(Math.sin(i * 1.7) + (i % 3)).toFixed(5)},${['B', 'a', 'c'][i % 3]},g${i % 5}\n`;
    const fitC = await lmer('y ~ a + (1 | g)', readCsv(csv, { levelOrder: 'C' }).table);
    expect(Object.keys(fitC.fixef)).toEqual(['(Intercept)', 'aa', 'ac']);
    const fitLocale = await lmer('y ~ a + (1 | g)', readCsv(csv).table);
    expect(Object.keys(fitLocale.fixef)).toEqual(['(Intercept)', 'aB', 'ac']);
  });
});

describe('predict with allowNewLevels', () => {
  it("a new level whose random-effects variable is missing is NA, as lme4's (and as for a level seen in the fit)", async () => {
    const fit = await lmer('y ~ a + (x | g)', readCsv(data()).table);
    const nd = readCsv('a,x,g\np,0.5,g1\np,NA,g1\np,0.5,gnew\np,NA,gnew\n').table;
    const p = fit.predict(nd, { allowNewLevels: true });
    expect(Number.isNaN(p[0])).toBe(false);
    expect(Number.isNaN(p[1])).toBe(true);
    expect(p[2]).toBeCloseTo(fit.fixef['(Intercept)'], 12);
    expect(Number.isNaN(p[3])).toBe(true);
    // at population level x is not used
    expect(fit.predict(nd, { groups: false })[3]).toBeCloseTo(fit.fixef['(Intercept)'], 12);
  });
});

describe("lme4's order of the random-effects terms (mkReTrms: rev(order(nl)) where some term has more levels than the one before)", () => {
  /** 60 rows: x, g (6 levels), h (10 levels), y */
  function dataWithH(): string {
    const lines = ['y,x,g,h'];
    for (let i = 0; i < 60; i++) {
      const y = Math.sin(i * 1.3) + (i % 3) * 0.5 + (i % 6) * 0.2 + 0.3 * Math.cos(i * 0.7) * ((i % 12) / 7) + 0.4 * Math.sin(i % 10);
      lines.push([y.toFixed(5), ((i % 12) / 7).toFixed(5), `g${i % 6}`, `h${i % 10}`].join(','));
    }
    return lines.join('\n') + '\n';
  }

  it('orders by decreasing levels, ties in the reverse of the formula order; keeps the formula order where no term has more levels than the one before', () => {
    expect(lme4TermOrder([7, 8, 7])).toEqual([1, 2, 0]);
    expect(lme4TermOrder([8, 7, 8])).toEqual([2, 0, 1]);
    expect(lme4TermOrder([5, 5, 8])).toEqual([2, 1, 0]);
    expect(lme4TermOrder([8, 8, 7])).toEqual([0, 1, 2]);
    expect(lme4TermOrder([6, 6])).toEqual([0, 1]);
  });

  it('θ and VarCorr as lme4 1.1-31 has them when a factor\'s terms are apart (a stable sort gave h, (1 | g), (0 + x | g))', async () => {
    const t = readCsv(dataWithH()).table;
    // lme4: names(getME(fit, "theta")), as.data.frame(VarCorr(fit))[, 1:3], names of ranef(fit)'s columns, REMLcrit
    const fit1 = await lmer('y ~ x + (1 | g) + (1 | h) + (0 + x | g)', t);
    expect(fit1.model.theta.names).toEqual(['h.(Intercept)', 'g.x', 'g.(Intercept)']);
    expect(fit1.varCorr.map((r) => [r.group, r.var1])).toEqual([['h', '(Intercept)'], ['g', 'x'], ['g.1', '(Intercept)'], ['Residual', null]]);
    // the grouping factors in lme4's order; a factor's columns in the formula's order (lme4's ranef: x, (Intercept))
    expect(fit1.ranef.map((r) => [r.group, Object.keys(r.values)])).toEqual([['h', ['(Intercept)']], ['g', ['(Intercept)', 'x']]]);
    expect(fit1.objective).toBeCloseTo(131.349480470944, 6);
    const fit2 = await lmer('y ~ x + (0 + x | h) + (1 | g) + (1 | h)', t);
    expect(fit2.model.theta.names).toEqual(['h.(Intercept)', 'h.x', 'g.(Intercept)']);
    expect(fit2.varCorr.map((r) => [r.group, r.var1])).toEqual([['h', '(Intercept)'], ['h.1', 'x'], ['g', '(Intercept)'], ['Residual', null]]);
    expect(fit2.ranef.map((r) => [r.group, Object.keys(r.values)])).toEqual([['h', ['x', '(Intercept)']], ['g', ['(Intercept)']]]);
    expect(fit2.objective).toBeCloseTo(129.392101315163, 6);
  });
});
