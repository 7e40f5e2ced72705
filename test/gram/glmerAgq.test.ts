/**
 * Adaptive Gauss–Hermite quadrature (nAGQ > 1) on the engines (src/gram/agq.ts, src/gram/sql/agqPass.ts,
 * src/gram/stream/agqPass.ts): the rows term of each evaluation in one GROUP BY (DuckDB) or one scan
 * of the batches (stream).
 *
 *  - the deviance at fixed (θ, β), no optimizer: the engine's PIRLS at (θ, β) and its AGQ pass equal
 *    the in-memory AGQ deviance (src/glmm/agq.ts) within 1e-9 relative, and lme4's deviance function
 *    with PIRLS converged (test/fixtures/reference-tight, test/oracle/glmer_tight.R: cbpp, binomial
 *    with a cbind response, nAGQ = 9; epil, poisson, nAGQ = 9) within 1e-8 — the in-memory fit's
 *    tolerance (test/glmm.test.ts); and on a scalar term that is not an intercept, (0 + I(2x + 1) | g),
 *    whose internal scale M (src/model/reparam.ts) the engines' shift must carry;
 *  - fits with nAGQ = 5 and 9 through DuckDB and the stream equal the in-memory glmer fit at the
 *    tolerances of test/gram/glmer.test.ts (−2ℓ within 1e-7 relative, θ and β within 1e-5, SEs within
 *    1e-4, modes within 1e-5 of the largest), and at nAGQ = 9 lme4's tight optimum (−2ℓ within 1e-7,
 *    the estimates at glmer's tolerances, checkEstimates);
 *  - the CLI's --nagq on --engine duckdb and stream; the refusals (crossed factors, a vector term).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLmmData } from '../../bench/synth.js';
import { tableToParquet } from '../helpers/parquetFile.js';
import { readCsv } from '../../src/io/csv.js';
import { type GlmerOptions, glmer } from '../../src/fit/glmer.js';
import type { GlmmFit } from '../../src/glmm/glmmFit.js';
import { DuckDbEngine, duckdbSource } from '../../src/gram/sql/duckdb.js';
import { type SqlGlmerOptions, glmerSql } from '../../src/gram/sql/glmer.js';
import { glmerStream } from '../../src/gram/stream/glmer.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { checkEstimates, loadTight, optionsOf } from '../helpers/glmmParity.js';
import { dataPath, loadData } from '../helpers/reference.js';
import { runMain } from '../helpers/cliEngines.js';
import { DEV_TOL, EST_TOL, engineDeviances, expectSameFit, near } from '../helpers/engineGlmm.js';

let duck: DuckDbEngine;
let dir: string;
beforeAll(async () => {
  duck = await DuckDbEngine.open({ threads: 1 });
  dir = mkdtempSync(join(tmpdir(), 'mixedgpu-glmer-agq-'));
});
afterAll(async () => {
  await duck?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const CASES = ['cbpp_binomial_agq', 'epil_poisson_agq'] as const;
const tightOf = (name: string) => (name.startsWith('epil') ? loadTight(name, 'datasets') : loadTight(name));
const fileOf = (t: { data: string }) => dataPath(t.data.replace('../data/', ''));

/** the engine's fit equals the in-memory fit of the same rows (test/helpers/engineGlmm.ts), at the same nAGQ */
function expectSameAgqFit(ours: GlmmFit, memory: GlmmFit): void {
  expect(ours.nAGQ).toBe(memory.nAGQ);
  expectSameFit(ours, memory);
}

/** engineDeviances (test/helpers/engineGlmm.ts) at each point for each rule: check(nAGQ, k, …), k the point's index */
function devianceAtPoints(
  file: string, table: Table, formula: string, o: GlmerOptions, points: { theta: number[]; beta: number[] }[], rules: number[],
  check: (nAGQ: number, k: number, sql: number, stream: number, memory: number) => void,
): Promise<void> {
  const all = rules.flatMap((nAGQ) => points.map((p) => ({ theta: p.theta, beta: p.beta, nAGQ })));
  return engineDeviances(duck, file, table, formula, o, all, (i, sql, st, mem) => check(all[i].nAGQ, i % points.length, sql, st, mem));
}

describe('the AGQ deviance at fixed (θ, β) on the engines (no optimizer)', () => {
  for (const name of CASES) {
    it(`${name}: DuckDB and the stream equal the in-memory AGQ deviance and lme4's`, async () => {
      const t = tightOf(name);
      await devianceAtPoints(fileOf(t), loadData(t), t.formula, optionsOf(t), t.objective_at, [5, 9, 25], (nAGQ, k, sql, st, mem) => {
        expect(Math.abs(sql - mem) / mem).toBeLessThan(1e-9);
        expect(Math.abs(st - mem) / mem).toBeLessThan(1e-9);
        // lme4's deviance function (nAGQ = 9) with PIRLS converged
        if (nAGQ === t.nAGQ) {
          expect(Math.abs(sql - t.objective_at[k].value)).toBeLessThan(1e-8);
          expect(Math.abs(st - t.objective_at[k].value)).toBeLessThan(1e-8);
        }
      });
    }, 600_000);
  }

  it('a scalar term that is not an intercept, (0 + I(2 * x + 1) | g): the engines\' internal scale M of z', async () => {
    // glmer's internal transform divides the term's column by its root mean square (src/model/reparam.ts):
    // the quadrature's shift is z M t / L_gg on the formula's scale
    const d = generateLmmData({ n: 1500, groups: 40, seed: 11, family: 'binomial' });
    const file = join(dir, 'binary-slope.parquet');
    writeFileSync(file, new Uint8Array(tableToParquet(d.table)));
    const pts = [{ theta: [0.3], beta: [1.8, 0.4, -0.2] }, { theta: [0.8], beta: [2.1, 0.6, -0.4] }];
    await devianceAtPoints(file, d.table, 'y ~ x + w + (0 + I(2 * x + 1) | g)', { family: 'binomial' }, pts, [3, 11], (_n, _k, sql, st, mem) => {
      expect(Math.abs(sql - mem) / mem).toBeLessThan(1e-9);
      expect(Math.abs(st - mem) / mem).toBeLessThan(1e-9);
    });
  }, 600_000);
});

/** lme4's AGQ references of the non-canonical links (test/oracle/links_agq.R; data in test/fixtures/links) */
interface LinkAgqRef {
  data: string; formula: string; family: 'poisson'; link: 'sqrt' | 'identity'; factors: string[];
  fits: { nAGQ: number; objective_at: { theta: number[]; beta: number[]; value: number }[] }[];
}

describe('the AGQ deviance of the non-canonical links on the engines (the link as the PIRLS passes evaluate it)', () => {
  // poisson(sqrt) and poisson(identity): against lme4's settled AGQ deviance (test/linksAgq.test.ts's
  // 1e-9) and the in-memory AGQ deviance (1e-9)
  for (const name of ['poisson_sqrt', 'poisson_identity']) {
    it(`${name}: DuckDB and the stream equal lme4's AGQ deviance at its (θ, β)`, async () => {
      const fixtures = join(import.meta.dirname, '..', 'fixtures');
      const ref = JSON.parse(readFileSync(join(fixtures, 'links_agq', `${name}.json`), 'utf8')) as LinkAgqRef;
      const file = join(fixtures, ref.data);
      const table = readCsv(readFileSync(file, 'utf8')).table;
      let checked = 0;
      for (const f of ref.fits) {
        await devianceAtPoints(file, table, ref.formula, { family: ref.family, link: ref.link, factors: ref.factors }, f.objective_at, [f.nAGQ], (_n, k, sql, st, mem) => {
          const r = f.objective_at[k].value;
          expect(Math.abs(sql - r) / r).toBeLessThan(1e-9);
          expect(Math.abs(st - r) / r).toBeLessThan(1e-9);
          expect(Math.abs(sql - mem) / mem).toBeLessThan(1e-9);
          checked++;
        });
      }
      expect(checked).toBeGreaterThanOrEqual(6);
    }, 600_000);
  }

  // binomial(probit) and binomial(cloglog) on cbpp (cbind): against the in-memory AGQ deviance at lme4's
  // Laplace optimum of the same link (test/fixtures/reference-tight) and a point beside it
  for (const link of ['probit', 'cloglog'] as const) {
    it(`cbpp, binomial(${link}): DuckDB and the stream equal the in-memory AGQ deviance`, async () => {
      const t = loadTight(`cbpp_${link}`);
      const pt = t.objective_at[0];
      const pts = [pt, { theta: pt.theta.map((v: number) => v * 1.2), beta: pt.beta.map((v: number) => v + 0.05) }];
      await devianceAtPoints(fileOf(t), loadData(t), t.formula, optionsOf(t), pts, [5, 9], (_n, _k, sql, st, mem) => {
        expect(Math.abs(sql - mem) / mem).toBeLessThan(1e-9);
        expect(Math.abs(st - mem) / mem).toBeLessThan(1e-9);
      });
    }, 600_000);
  }
});

async function throughStream(file: string, formula: string, options: SqlGlmerOptions): Promise<GlmmFit> {
  const src = await openBatchSource(file);
  try {
    return await glmerStream(src, formula, { ...options, batchSize: 100 });
  } finally {
    await src.close();
  }
}

describe('glmer(nAGQ = 5, 9) through DuckDB and the stream against the in-memory fit and lme4', () => {
  // each engine fits each family and each nAGQ once (cbpp 5: DuckDB, 9: stream; epil 5: stream, 9: DuckDB)
  CASES.forEach((name, c) => [5, 9].forEach((nAGQ, a) => {
    const engine = (c + a) % 2 === 0 ? 'duckdb' : 'stream';
    it(`${name}, nAGQ = ${nAGQ}, ${engine}`, async () => {
      const t = tightOf(name);
      const o = { ...optionsOf(t), nAGQ };
      const memory = await glmer(t.formula, loadData(t), o);
      const opts = { family: o.family, link: o.link, factors: o.factors, nAGQ };
      const ours = engine === 'duckdb'
        ? await glmerSql(duck, { from: duckdbSource(fileOf(t)), name: fileOf(t) }, t.formula, opts)
        : await throughStream(fileOf(t), t.formula, opts);
      expectSameAgqFit(ours, memory);
      expect(ours.converged).toBe(true);
      expect(ours.vcovMethod).toBe('hessian');
      expect(ours.summary()).toContain(`Gauss-Hermite Quadrature, nAGQ = ${nAGQ}) [glmerMod]`);
      expect(ours.toJSON()).toMatchObject({ engine, nAGQ });
      // one quadrature pass per stage-2 and Hessian evaluation (stage 1 is nAGQ = 0's)
      expect(ours.timings.engineAgqPasses).toBeGreaterThan(20);
      if (nAGQ === t.nAGQ) {
        // lme4 converged (the tight reference), as test/glmm.test.ts checks the in-memory fit
        expect(Math.abs(ours.objective - t.deviance_laplace)).toBeLessThan(1e-7);
        checkEstimates(ours, t);
      }
    }, 600_000);
  }));
});

describe('the CLI', () => {
  it('mixedgpu fit --nagq 9 --engine duckdb and stream equal --engine memory', async () => {
    const args = [dataPath('cbpp.csv'), 'cbind(incidence, size - incidence) ~ period + (1 | herd)', '--family', 'binomial', '--factors', 'herd,period', '--nagq', '9', '--json', '--quiet'];
    const mem = await runMain(['fit', ...args, '--engine', 'memory']);
    expect(mem.code).toBe(0);
    const b = JSON.parse(mem.stdout);
    expect(b.nAGQ).toBe(9);
    for (const engine of ['duckdb', 'stream']) {
      const eng = await runMain(['fit', ...args, '--engine', engine]);
      expect(eng.code).toBe(0);
      const a = JSON.parse(eng.stdout);
      expect(a).toMatchObject({ engine, nAGQ: 9 });
      expect(Math.abs(a.deviance_laplace - b.deviance_laplace) / b.deviance_laplace).toBeLessThan(DEV_TOL);
      a.theta.forEach((t: number, k: number) => expect(near(t, b.theta[k])).toBeLessThan(EST_TOL));
    }
  }, 600_000);
});

describe('refusals', () => {
  const crossed = 'TICKS ~ YEAR + cHEIGHT + (1 | BROOD) + (1 | LOCATION)';
  // period read as a number (not in factors): (period | herd) is a vector term, q = 2
  const slope = 'cbind(incidence, size - incidence) ~ period + (period | herd)';

  it('nAGQ > 1 with crossed factors or a vector random effect, by both engines, with lme4\'s reason', async () => {
    const grouse = dataPath('grouseticks.csv');
    const o = { family: 'poisson' as const, factors: ['BROOD', 'LOCATION', 'YEAR'], nAGQ: 5 };
    const msg = (engine: string, terms: string) => new RegExp(`${engine}: nAGQ > 1 is only available for models with a single, scalar random-effects term \\(this model has ${terms.replace(/[()|+]/g, '\\$&')}\\)`);
    await expect(glmerSql(duck, { from: duckdbSource(grouse), name: grouse }, crossed, o)).rejects.toThrow(msg('duckdb', '(1 | BROOD) + (1 | LOCATION)'));
    await expect(throughStream(grouse, crossed, o)).rejects.toThrow(msg('stream', '(1 | BROOD) + (1 | LOCATION)'));
    const cbpp = dataPath('cbpp.csv');
    const v = { family: 'binomial' as const, factors: ['herd'], nAGQ: 9 };
    await expect(glmerSql(duck, { from: duckdbSource(cbpp), name: cbpp }, slope, v)).rejects.toThrow(msg('duckdb', '(period | herd)'));
    await expect(throughStream(cbpp, slope, v)).rejects.toThrow(msg('stream', '(period | herd)'));
  }, 600_000);

  it('an nAGQ that is not a whole number from 0 to 25', async () => {
    const cbpp = dataPath('cbpp.csv');
    const f = 'cbind(incidence, size - incidence) ~ period + (1 | herd)';
    for (const nAGQ of [2.5, 26, -1]) {
      await expect(glmerSql(duck, { from: duckdbSource(cbpp), name: cbpp }, f, { family: 'binomial', factors: ['herd'], nAGQ })).rejects.toThrow(new RegExp(`duckdb glmer: nAGQ must be an integer from 0 to 25, not the number ${nAGQ}`));
    }
    await expect(throughStream(cbpp, f, { family: 'binomial', factors: ['herd'], nAGQ: 30 })).rejects.toThrow(/stream glmer: nAGQ must be an integer from 0 to 25, not the number 30/);
  }, 600_000);
});
