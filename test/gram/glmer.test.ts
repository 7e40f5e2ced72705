/**
 * glmer through DuckDB (src/gram/glmm.ts, src/gram/sql/glmer.ts, glmmPass.ts): PIRLS's passes as
 * GROUP BY queries, the rows never in memory; and from record batches (src/gram/stream/glmer.ts). Each engine fit is compared with the in-memory glmer
 * fit of the same data (which test/glmm.test.ts compares with lme4): the Laplace deviance within
 * 1e-7 relative, θ and β within 1e-5 (relative to max(1, |v|)), standard errors within 1e-4 and
 * the conditional modes within 1e-5 of the largest — both are float64 PIRLS to the same tight
 * tolerances, so they differ by the optimizer's path only; and with lme4's tight references
 * (test/helpers/glmmParity.ts, test/fixtures/reference-tight) as the in-memory fits are: −2ℓ within
 * 1e-7, the estimates at glmer's tolerances (checkEstimates). Cases: cbpp (binomial, cbind),
 * grouseticks (poisson, BROOD nested in LOCATION; with an offset), cbpp with a random slope (the
 * internal transform M from the engine's column sums), a simulated 0/1 response with continuous
 * covariates (Laplace and nAGQ = 0; and crossed factors), 200,000 rows from a Parquet file; the
 * stream engine (record batches of CSV and Parquet files, one pass per evaluation: src/gram/stream/glmer.ts)
 * on cbpp, grouseticks with an offset and the crossed case; the CLI; and the refusals.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as arrow from 'apache-arrow';
import { glmer } from '../../src/fit/glmer.js';
import type { GlmmFit } from '../../src/glmm/glmmFit.js';
import { DuckDbEngine, duckdbSource } from '../../src/gram/sql/duckdb.js';
import { type SqlGlmerOptions, glmerSql } from '../../src/gram/sql/glmer.js';
import { glmerStream } from '../../src/gram/stream/glmer.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { generateLmmData } from '../../bench/synth.js';
import { checkEstimates, loadTight, optionsOf } from '../helpers/glmmParity.js';
import { dataPath, loadData } from '../helpers/reference.js';
import { tableToParquet } from '../helpers/parquetFile.js';
import { runMain } from '../helpers/cliEngines.js';
import { DEV_TOL, EST_TOL, expectSameFit, near } from '../helpers/engineGlmm.js';

let duck: DuckDbEngine;
let dir: string;
beforeAll(async () => {
  duck = await DuckDbEngine.open({ threads: 1 });
  dir = mkdtempSync(join(tmpdir(), 'mixedgpu-glmer-engine-'));
});
afterAll(async () => {
  await duck?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function throughDuckdb(file: string, formula: string, options: SqlGlmerOptions): Promise<GlmmFit> {
  return glmerSql(duck, { from: duckdbSource(file), name: file }, formula, options);
}

/** the same fit from record batches of the file (batches of 1,000 rows) */
async function throughStream(file: string, formula: string, options: SqlGlmerOptions): Promise<GlmmFit> {
  const src = await openBatchSource(file);
  try {
    return await glmerStream(src, formula, { ...options, batchSize: 1000 });
  } finally {
    await src.close();
  }
}

/** a table as a Parquet file in the test's directory */
function parquet(name: string, table: arrow.Table): string {
  const file = join(dir, `${name}.parquet`);
  writeFileSync(file, new Uint8Array(tableToParquet(table)));
  return file;
}

describe('glmer through DuckDB against the in-memory fit and lme4', () => {
  for (const name of ['cbpp_binomial', 'grouseticks_poisson', 'grouseticks_offset', 'cbpp_slope']) {
    it(`${name}`, async () => {
      const t = loadTight(name);
      const o = optionsOf(t);
      const ours = await throughDuckdb(dataPath(t.data.replace('../data/', '')), t.formula, { family: o.family, link: o.link, factors: o.factors, nAGQ: o.nAGQ });
      const memory = await glmer(t.formula, loadData(t), o);
      expectSameFit(ours, memory);
      // lme4 converged (the tight reference), as test/glmm.test.ts checks the in-memory fit
      expect(Math.abs(ours.objective - t.deviance_laplace)).toBeLessThan(1e-7);
      expect(Math.abs(ours.logLik - t.loglik)).toBeLessThan(1e-7);
      checkEstimates(ours, t);
      expect(ours.converged).toBe(true);
      expect(ours.vcovMethod).toBe('hessian');
      // the passes' queries are recorded with the engine's
      expect(ours.toJSON()).toMatchObject({ engine: 'duckdb' });
      expect(ours.timings.enginePasses).toBeGreaterThan(10);
    }, 600_000);
  }
});

describe('glmer from record batches (the stream engine) against the in-memory fit', () => {
  for (const name of ['cbpp_binomial', 'grouseticks_offset']) {
    it(`${name} from CSV batches`, async () => {
      const t = loadTight(name);
      const o = optionsOf(t);
      const ours = await throughStream(dataPath(t.data.replace('../data/', '')), t.formula, { family: o.family, link: o.link, factors: o.factors, nAGQ: o.nAGQ });
      expectSameFit(ours, await glmer(t.formula, loadData(t), o));
      expect(Math.abs(ours.objective - t.deviance_laplace)).toBeLessThan(1e-7);
      expect(ours.toJSON()).toMatchObject({ engine: 'stream' });
    }, 600_000);
  }

  it('a 0/1 response from Parquet batches, crossed factors and a slope', async () => {
    const d = generateLmmData({ n: 1500, groups: 40, seed: 11, family: 'binomial', crossed: 8 });
    const f = 'y ~ x + w + (x | g) + (1 | h)';
    expectSameFit(await throughStream(parquet('binary-stream', d.table), f, { family: 'binomial' }), await glmer(f, d.table, { family: 'binomial' }));
  }, 600_000);

  it('a binomial response that is not 0/1, by the stream', async () => {
    await expect(throughStream(dataPath('grouseticks.csv'), 'TICKS ~ cHEIGHT + (1 | BROOD)', { family: 'binomial', factors: ['BROOD'] }))
      .rejects.toThrow(/stream: the response 'TICKS' is not 0\/1 in \d+ rows \(values from 0 to 85\)/);
  });
});

describe('a simulated 0/1 response with continuous covariates', () => {
  const d = generateLmmData({ n: 1500, groups: 40, seed: 11, family: 'binomial', crossed: 8 });
  let file: string;
  beforeAll(() => { file = parquet('binary', d.table); });

  for (const nAGQ of [1, 0]) {
    it(`y ~ x + w + (1 | g), nAGQ = ${nAGQ}`, async () => {
      const f = 'y ~ x + w + (1 | g)';
      expectSameFit(await throughDuckdb(file, f, { family: 'binomial', nAGQ }), await glmer(f, d.table, { family: 'binomial', nAGQ }));
    }, 600_000);
  }

  it('a comparison in the formula (R\'s logical, the engines\' SQL): y ~ I(x > 0) + w + (1 | g)', async () => {
    const f = 'y ~ I(x > 0) + w + (1 | g)';
    const ours = await throughDuckdb(file, f, { family: 'binomial' });
    expect(Object.keys(ours.fixef)).toEqual(['(Intercept)', 'I(x > 0)TRUE', 'w']);
    expectSameFit(ours, await glmer(f, d.table, { family: 'binomial' }));
  }, 600_000);

  it('a covariance structure is refused by both engines, not fitted as an unstructured term', async () => {
    const f = 'y ~ x + w + diag(x | g)';
    const msg = /covariance structures \(diag\(x \| g\)\) in a GLMM are fitted with the rows in memory only/;
    await expect(throughDuckdb(file, f, { family: 'binomial' })).rejects.toThrow(msg);
    await expect(throughStream(file, f, { family: 'binomial' })).rejects.toThrow(msg);
  }, 600_000);

  it('crossed factors and a random slope: y ~ x + w + (x | g) + (1 | h)', async () => {
    const f = 'y ~ x + w + (x | g) + (1 | h)';
    expectSameFit(await throughDuckdb(file, f, { family: 'binomial' }), await glmer(f, d.table, { family: 'binomial' }));
  }, 600_000);
});

describe('200,000 rows from a Parquet file', () => {
  it('y ~ x + (1 | g), 1,000 groups', async () => {
    const d = generateLmmData({ n: 200_000, groups: 1000, seed: 5, family: 'binomial' });
    const file = parquet('binary200k', d.table);
    const f = 'y ~ x + (1 | g)';
    expectSameFit(await throughDuckdb(file, f, { family: 'binomial' }), await glmer(f, d.table, { family: 'binomial' }));
  }, 600_000);
});

describe('the CLI', () => {
  it('mixedgpu fit --engine duckdb --family binomial equals --engine memory', async () => {
    const args = [dataPath('cbpp.csv'), 'cbind(incidence, size - incidence) ~ period + (1 | herd)', '--family', 'binomial', '--factors', 'herd,period', '--json', '--quiet'];
    const mem = await runMain(['fit', ...args, '--engine', 'memory']);
    expect(mem.code).toBe(0);
    const b = JSON.parse(mem.stdout);
    for (const engine of ['duckdb', 'stream']) {
      const eng = await runMain(['fit', ...args, '--engine', engine]);
      expect(eng.code).toBe(0);
      const a = JSON.parse(eng.stdout);
      expect(a.engine).toBe(engine);
      expect(Math.abs(a.deviance_laplace - b.deviance_laplace) / b.deviance_laplace).toBeLessThan(DEV_TOL);
      a.theta.forEach((t: number, k: number) => expect(near(t, b.theta[k])).toBeLessThan(EST_TOL));
    }
  }, 600_000);

  it('--engine clickhouse with a GLMM reads --table at --url (a file is refused; the fits: test/gram/glmerClickhouse.test.ts)', async () => {
    const r = await runMain(['fit', dataPath('cbpp.csv'), 'cbind(incidence, size - incidence) ~ period + (1 | herd)', '--family', 'binomial', '--engine', 'clickhouse']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--engine clickhouse reads --table, not a file');
    const noUrl = await runMain(['fit', 'cbind(incidence, size - incidence) ~ period + (1 | herd)', '--family', 'binomial', '--engine', 'clickhouse', '--table', 'cbpp']);
    expect(noUrl.code).toBe(1);
    expect(noUrl.stderr).toContain('--engine clickhouse needs --url');
  });
});

describe('refusals', () => {
  const cbpp = dataPath('cbpp.csv');
  const f = 'cbind(incidence, size - incidence) ~ period + (1 | herd)';

  it('a binomial response that is not 0/1', async () => {
    await expect(throughDuckdb(dataPath('grouseticks.csv'), 'TICKS ~ cHEIGHT + (1 | BROOD)', { family: 'binomial', factors: ['BROOD'] }))
      .rejects.toThrow(/duckdb: the response 'TICKS' is not 0\/1 in \d+ rows \(values from 0 to 85\)/);
  });

  it('a family or link the engines do not evaluate, by name', async () => {
    await expect(throughDuckdb(cbpp, f, { family: 'binomial', link: 'log', factors: ['herd'] })).rejects.toThrow(/the binomial family with the log link is not evaluated by the engines \(they fit binomial\(logit, probit, cloglog, cauchit\) and poisson\(log, sqrt, identity\)\)/);
    await expect(throughStream(cbpp, f, { family: 'binomial', link: 'log', factors: ['herd'] })).rejects.toThrow(/stream: the binomial family with the log link is not evaluated by the engines/);
    await expect(throughDuckdb(dataPath('grouseticks.csv'), 'TICKS ~ cHEIGHT + (1 | BROOD)', { family: 'Gamma', factors: ['BROOD'] })).rejects.toThrow(/the Gamma family with the inverse link is not evaluated by the engines/);
  });

  // nAGQ > 1 is fitted by the engines (test/gram/glmerAgq.test.ts, with its refusals)
  it('prior weights', async () => {
    await expect(throughDuckdb(cbpp, 'incidence ~ period + (1 | herd)', { family: 'poisson', factors: ['herd'], weights: 'size' } as SqlGlmerOptions)).rejects.toThrow(/glmer's weights is not available on the engines yet/);
  });

  it('what needs the rows: fitted values, residuals, a refit', async () => {
    const fit = await throughDuckdb(cbpp, f, { family: 'binomial', factors: ['herd'] });
    expect(() => fit.fitted).toThrow(/fitted values: the rows of this fit are in duckdb \(.*cbpp\.csv\), not in memory/);
    expect(() => fit.residuals('pearson')).toThrow(/residuals: the rows of this fit are in duckdb/);
    expect(fit.summary()).toContain('Scaled residuals: not computed (the rows are in duckdb');
    await expect(Promise.resolve().then(() => fit.confint({ method: 'profile' }))).rejects.toThrow(/the rows of this GLMM are in duckdb .* not in memory/);
  }, 600_000);
});
