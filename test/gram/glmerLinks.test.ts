/**
 * The non-canonical links on the engines (src/gram/glmm.ts ENGINE_GLMM_FAMILIES): binomial(probit),
 * binomial(cloglog), poisson(sqrt) and poisson(identity) through DuckDB and the stream engine, each fit
 * against the in-memory glmer fit of the same rows (test/helpers/engineGlmm.ts: −2ℓ 1e-7 relative,
 * θ and β 1e-5) and against lme4's tight optimum where a fixture has it (test/fixtures/reference-tight
 * cbpp_probit and cbpp_cloglog, test/fixtures/links poisson_sqrt and poisson_identity: −2ℓ within 1e-6,
 * as test/links.test.ts checks the in-memory fits), so the chain reaches R. The SQL pieces the links
 * need (src/gram/sql/links.ts): Cody's Φ in SQL against src/glmm/rmath.ts pnormBoth, Kahan's expm1 and
 * log1p against Math's, Φ⁻¹ against family.ts's qnormApprox, each over a grid from −40 to 40.
 * ClickHouse's fits of these links: test/gram/glmerClickhouse.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { glmer } from '../../src/fit/glmer.js';
import { makeFamily } from '../../src/glmm/family.js';
import { pnormBoth } from '../../src/glmm/rmath.js';
import { DuckDbEngine, duckdbSource } from '../../src/gram/sql/duckdb.js';
import { glmerSql } from '../../src/gram/sql/glmer.js';
import { duckdb } from '../../src/gram/sql/dialect.js';
import { expm1Layers, linkFunSql, log1pLayers, pnormLayers } from '../../src/gram/sql/links.js';
import { glmerStream } from '../../src/gram/stream/glmer.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { readCsv } from '../../src/io/csv.js';
import { loadTight, optionsOf } from '../helpers/glmmParity.js';
import { dataPath, loadData } from '../helpers/reference.js';
import { expectSameFit } from '../helpers/engineGlmm.js';
import type { FamilyName, LinkName } from '../../src/glmm/family.js';

const LINKS_DIR = join(__dirname, '..', 'fixtures', 'links');

let duck: DuckDbEngine;
beforeAll(async () => { duck = await DuckDbEngine.open({ threads: 1 }); });
afterAll(async () => { await duck?.close(); });

/** the values of an SQL expression of `x` (a column of the grid) over its layers, through DuckDB */
async function sqlValues(xs: number[], build: (x: string) => { layers: import('../../src/gram/sql/dialect.js').FrameLayer[]; value: string }): Promise<Float64Array> {
  const v = build('x');
  const rows = xs.map((x, i) => `(${i}, ${duckdb.double(x)})`).join(', ');
  const sql = duckdb.query({ source: `(SELECT * FROM (VALUES ${rows}) AS t(i, x))`, layers: v.layers, select: ['i', `${v.value} AS v`] });
  const out = await duck.run({ stage: 'links', keys: ['numeric'], values: 1, sql: `${sql} ORDER BY i` });
  return out.values[0];
}

const ulps = (a: number, b: number) => (a === b ? 0 : Math.abs(a - b) / (Math.abs(b) * Number.EPSILON));

describe('the links\' SQL (DuckDB)', () => {
  const grid = Array.from({ length: 801 }, (_, i) => -40 + i * 0.1).concat([0, 1e-300, -1e-300, 0.67448975, -0.67448975, 5.656854249492381, -5.656854249492381, 37.5193, -37.5193, 1e-9, -1e-9]);

  it("Φ by Cody's algorithm equals R's pnorm as src/glmm/rmath.ts evaluates it (the same operations: within 2 ulps)", async () => {
    const got = await sqlValues(grid, (x) => pnormLayers(duckdb, x, 'p'));
    let worst = 0;
    grid.forEach((x, i) => {
      const want = pnormBoth(x).lower;
      if (want === 0) expect(got[i]).toBe(0);
      else worst = Math.max(worst, ulps(got[i], want));
    });
    expect(worst).toBeLessThanOrEqual(2);
  });

  it("expm1 and log1p by Kahan's formulas: within 4 ulps of Math's, where the naive forms lose all digits", async () => {
    const xs = grid.map((x) => x / 4).concat([1e-10, -1e-10, 1e-17, -3e-16, 2e-8]);
    const e = await sqlValues(xs, (x) => expm1Layers(duckdb, x, 'e'));
    xs.forEach((x, i) => expect(ulps(e[i], Math.expm1(x)), `expm1(${x})`).toBeLessThanOrEqual(4));
    const ys = xs.filter((x) => x > -1);
    const l = await sqlValues(ys, (x) => log1pLayers(duckdb, x, 'l'));
    ys.forEach((x, i) => expect(ulps(l[i], Math.log1p(x)), `log1p(${x})`).toBeLessThanOrEqual(4));
  });

  it('Φ⁻¹ (the probit link of a starting μ) as family.ts: Acklam and two Newton steps', async () => {
    const ps = [1e-300, 1e-20, 1e-5, 0.02, 0.02425, 0.1, 0.25, 0.5, 0.75, 0.9, 0.97, 0.99999, 1 - 1e-12];
    const got = await sqlValues(ps, (x) => linkFunSql(duckdb, 'probit', x, 'q'));
    const probit = makeFamily('binomial', 'probit');
    ps.forEach((p, i) => expect(Math.abs(got[i] - probit.linkfun(p)) / Math.max(1, Math.abs(probit.linkfun(p))), `qnorm(${p})`).toBeLessThan(1e-12));
  });
});

/** the engines' fits of a case: DuckDB over the file, the stream engine over its batches */
async function engines(file: string, formula: string, options: { family: FamilyName; link: LinkName; factors: string[] }) {
  const viaDuck = await glmerSql(duck, { from: duckdbSource(file), name: file }, formula, options);
  const src = await openBatchSource(file);
  try {
    return { duckdb: viaDuck, stream: await glmerStream(src, formula, { ...options, batchSize: 100 }) };
  } finally {
    await src.close();
  }
}

describe('binomial(probit) and binomial(cloglog) on cbpp (cbind) against the in-memory fit and lme4', () => {
  for (const name of ['cbpp_probit', 'cbpp_cloglog']) {
    it(name, async () => {
      const t = loadTight(name);
      const o = optionsOf(t);
      const memory = await glmer(t.formula, loadData(t), o);
      const fits = await engines(dataPath('cbpp.csv'), t.formula, { family: o.family!, link: o.link!, factors: o.factors! });
      for (const [engine, fit] of Object.entries(fits)) {
        expectSameFit(fit, memory);
        expect(fit.toJSON()).toMatchObject({ engine });
        expect(Math.abs(fit.objective - t.deviance_laplace), engine).toBeLessThan(1e-6);
      }
    }, 300_000);
  }
});

describe('poisson(sqrt) and poisson(identity) against the in-memory fit and lme4', () => {
  for (const link of ['sqrt', 'identity'] as const) {
    it(`poisson_${link}`, async () => {
      const ref = JSON.parse(readFileSync(join(LINKS_DIR, `poisson_${link}.json`), 'utf8'));
      const file = join(LINKS_DIR, ref.data);
      const options = { family: 'poisson' as const, link, factors: ['g'] };
      const memory = await glmer(ref.formula, readCsv(readFileSync(file, 'utf8')).table, options);
      const fits = await engines(file, ref.formula, options);
      for (const fit of Object.values(fits)) {
        expectSameFit(fit, memory);
        expect(Math.abs(fit.objective - ref.tight.deviance_laplace)).toBeLessThan(1e-6);
      }
    }, 300_000);
  }
});
