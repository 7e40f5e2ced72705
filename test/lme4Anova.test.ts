/**
 * lme4's anova() of one fit (src/inference/lme4Anova.ts) against lme4 1.1-31 (test/oracle/lme4_anova.R):
 *  - lmer at lme4's θ (assembled there, no optimizer): npar, Sum Sq, Mean Sq and F to 1e-8 relative
 *    (the same R_X β̂ up to rounding), and R's printout line for line;
 *  - lmer at our optimum against lme4 run to a tight tolerance (bobyqa, rhoend 1e-10): 1e-6 (θ̂ to ~1e-7;
 *    lme4's default nloptwrap stops short: sleepstudy's ML fit 1.6e-5 off in Sum Sq);
 *  - glmer at our optimum against lme4's formula at the exact Laplace optimum (R_X of its PIRLS state
 *    there; glmer's own bobyqa stops ~1e-4 away in β̂, 1.6e-4 in F): 1e-5, ours stopping at a final
 *    radius of 1e-5 in units of β̂'s SEs (seen 1.5e-6);
 *  - the CLI's `anova FILE FORMULA` (one formula) and its JSON.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { lmer } from '../src/fit/lmer.js';
import { glmer } from '../src/fit/glmer.js';
import { buildLmm } from '../src/lmm/model.js';
import { lme4Anova } from '../src/inference/lme4Anova.js';
import { printLme4Anova } from '../src/inference/format.js';
import { fitAtTheta } from './helpers/atTheta.js';
import { runMain } from './helpers/cliEngines.js';
import type * as arrow from 'apache-arrow';

const dir = join(import.meta.dirname, 'fixtures', 'lme4-anova');
const dataDir = join(import.meta.dirname, 'fixtures', 'data');
interface Case {
  data: string[]; formula: string[]; reml?: boolean[]; family?: string[]; weights?: string[];
  theta: number[]; beta: number[]; terms: string[]; npar: number[]; sumSq: number[]; meanSq: number[]; F: number[]; printed: string[];
  tightF: number[]; tightSumSq: number[];
}
const cases = JSON.parse(readFileSync(join(dir, 'lme4.json'), 'utf8')) as Record<string, Case>;
const pathOf = (d: string) => (d === 'glmm.csv' ? join(import.meta.dirname, 'fixtures', 'car-anova', d) : d === 'anova_types_x2.csv' ? join(dir, d) : join(dataDir, d));
const factors: Record<string, string[]> = { 'sleepstudy.csv': ['Subject'], 'sleepstudy_weighted.csv': ['Subject'], 'cbpp.csv': ['herd', 'period'] };
const tables = new Map<string, arrow.Table>();
const table = (d: string) => {
  if (!tables.has(d)) tables.set(d, readCsv(readFileSync(pathOf(d), 'utf8'), { factors: factors[d] }).table);
  return tables.get(d)!;
};
const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

function expectRows(rows: ReturnType<typeof lme4Anova>, c: Case, tol: number) {
  expect(rows.map((r) => r.term)).toEqual(c.terms);
  expect(rows.map((r) => r.npar)).toEqual(c.npar);
  rows.forEach((r, i) => {
    expect(relErr(r.sumSq, c.sumSq[i]), `${r.term} Sum Sq`).toBeLessThan(tol);
    expect(relErr(r.meanSq, c.meanSq[i]), `${r.term} Mean Sq`).toBeLessThan(tol);
    expect(relErr(r.F, c.F[i]), `${r.term} F`).toBeLessThan(tol);
  });
}

describe("lme4's anova(fit) of an lmer fit at lme4's θ", () => {
  for (const [name, c] of Object.entries(cases)) {
    if (c.family) continue;
    it(name, () => {
      const model = buildLmm(c.formula[0], table(c.data[0]), { REML: c.reml?.[0], factors: factors[c.data[0]], ...(c.weights ? { weights: c.weights[0] } : {}) });
      const fit = fitAtTheta(model, c.theta);
      const rows = lme4Anova(fit);
      expectRows(rows, c, 1e-8);
      expect(printLme4Anova(rows)).toEqual(c.printed);
    });
  }
});

describe("lme4's anova(fit) at our optimum", () => {
  for (const [name, c] of Object.entries(cases)) {
    it(name, async () => {
      const data = table(c.data[0]);
      const fit = c.family
        ? await glmer(c.formula[0], data, { family: c.family[0] as 'binomial', factors: factors[c.data[0]] })
        : await lmer(c.formula[0], data, { REML: c.reml?.[0], factors: factors[c.data[0]], ...(c.weights ? { weights: c.weights[0] } : {}) });
      const tol = c.family ? 1e-5 : 1e-6;
      expectRows(fit.lme4Anova(), { ...c, F: c.tightF, sumSq: c.tightSumSq, meanSq: c.tightSumSq.map((v, i) => v / c.npar[i]) }, tol);
    });
  }
});

describe("the CLI's anova with one formula", () => {
  it('prints lme4\'s table, and its JSON', async () => {
    const c = cases.interaction;
    const args = ['anova', pathOf(c.data[0]), c.formula[0], '--quiet'];
    const text = await runMain(args);
    expect(text.code).toBe(0);
    expect(text.stdout.trimEnd().split('\n')).toEqual(c.printed);
    const json = JSON.parse((await runMain([...args, '--json'])).stdout) as { anova: string; rows: { term: string; F: number }[] };
    expect(json.anova).toBe('lme4');
    expect(json.rows.map((r) => r.term)).toEqual(c.terms);
    json.rows.forEach((r, i) => expect(relErr(r.F, c.F[i])).toBeLessThan(1e-5));
  });

  it('glmer with --family', async () => {
    const c = cases.cbpp;
    const out = await runMain(['anova', pathOf(c.data[0]), c.formula[0], '--family', 'binomial', '--factors', 'herd,period', '--quiet']);
    expect(out.code).toBe(0);
    expect(out.stdout.split('\n')[0]).toBe('Analysis of Variance Table');
    expect(out.stdout).toContain('period    3');
  });
});
