/**
 * binomial(cauchit) on the engines (src/gram/sql/links.ts, src/gram/glmm.ts ENGINE_GLMM_FAMILIES;
 * Fisher's steps, as in memory: its log-likelihood is not concave in η):
 *  - the SQL of μ = min(1 − ε, pcauchy(η)), dμ/dη = dcauchy(η) and η = tan(π(μ − 1/2)) against
 *    src/glmm/family.ts over a grid from −40 to 40 and the tails (the same operations: within 2 ulps);
 *  - the Laplace deviance at lme4's fixed (θ, β) of test/fixtures/links binomial_cauchit (a 0/1
 *    response) and the AGQ deviance at the fixed points of test/fixtures/links_agq cbpp_cauchit
 *    (cbind, nAGQ 5, 9, 25), through DuckDB and the stream (batches of 50 rows), against lme4's
 *    deviance function (1e-9 relative, as test/gram/glmerAgq.test.ts) and the in-memory one (1e-9);
 *  - the fit of binomial_cauchit through DuckDB and the stream against the in-memory glmer fit
 *    (test/helpers/engineGlmm.ts: −2ℓ 1e-7 relative, θ and β 1e-5) and lme4's tight −2ℓ (1e-6, as
 *    test/gram/glmerLinks.test.ts); cbpp_cauchit's fit through the stream against memory's.
 * Fisher's PIRLS converges slowly here (about 1300 passes for binomial_cauchit's fit, a DuckDB query
 * each: about a minute). ClickHouse: test/gram/glmerAgqClickhouse.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { glmer } from '../../src/fit/glmer.js';
import { makeFamily } from '../../src/glmm/family.js';
import { DuckDbEngine, duckdbSource } from '../../src/gram/sql/duckdb.js';
import { glmerSql } from '../../src/gram/sql/glmer.js';
import { duckdb } from '../../src/gram/sql/dialect.js';
import { linkFunSql, linkInverseSql } from '../../src/gram/sql/links.js';
import { glmerStream } from '../../src/gram/stream/glmer.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { readCsv } from '../../src/io/csv.js';
import { engineDeviances, expectSameFit } from '../helpers/engineGlmm.js';
import type { FrameLayer } from '../../src/gram/sql/dialect.js';

const FIXTURES = join(__dirname, '..', 'fixtures');
const OPTIONS_01 = { family: 'binomial' as const, link: 'cauchit' as const, factors: ['g'] };
const OPTIONS_CBPP = { family: 'binomial' as const, link: 'cauchit' as const, factors: ['herd', 'period'] };

let duck: DuckDbEngine;
beforeAll(async () => { duck = await DuckDbEngine.open({ threads: 1 }); });
afterAll(async () => { await duck?.close(); });

const ulps = (a: number, b: number) => (a === b ? 0 : Math.abs(a - b) / (Math.abs(b) * Number.EPSILON));

/** the values of an SQL expression of `x` (a column of the grid) over its layers, through DuckDB */
async function sqlValues(xs: number[], build: (x: string) => { layers: FrameLayer[]; value: string }): Promise<Float64Array> {
  const v = build('x');
  const rows = xs.map((x, i) => `(${i}, ${duckdb.double(x)})`).join(', ');
  const sql = duckdb.query({ source: `(SELECT * FROM (VALUES ${rows}) AS t(i, x))`, layers: v.layers, select: ['i', `${v.value} AS v`] });
  const out = await duck.run({ stage: 'links', keys: ['numeric'], values: 1, sql: `${sql} ORDER BY i` });
  return out.values[0];
}

describe("the cauchit link's SQL (DuckDB)", () => {
  it('μ = min(1 − ε, pcauchy(η)), dμ/dη and η = tan(π(μ − 1/2)) as family.ts evaluates them (within 2 ulps)', async () => {
    const cauchit = makeFamily('binomial', 'cauchit');
    const xs = Array.from({ length: 801 }, (_, i) => -40 + i * 0.1).concat([0, 1, -1, 1 + 1e-15, -1 - 1e-15, 1e-300, -1e-300, 1e10, -1e10, 1e300, -1e300]);
    const mu = await sqlValues(xs, (x) => { const l = linkInverseSql(duckdb, 'cauchit', x, 'c'); return { layers: l.layers, value: l.mu }; });
    const me = await sqlValues(xs, (x) => { const l = linkInverseSql(duckdb, 'cauchit', x, 'c'); return { layers: l.layers, value: l.muEta }; });
    xs.forEach((x, i) => {
      expect(ulps(mu[i], cauchit.linkinv(x)), `pcauchy(${x})`).toBeLessThanOrEqual(2);
      expect(ulps(me[i], cauchit.muEta(x)), `dcauchy(${x})`).toBeLessThanOrEqual(2);
    });
    // the lower tail keeps its relative accuracy (no 1/2 + atan(η)/π cancellation): pcauchy(−1e10) ≈ 1/(π·1e10)
    expect(Math.abs(mu[xs.indexOf(-1e10)] * Math.PI * 1e10 - 1)).toBeLessThan(1e-12);
    const ps = [1e-12, 0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999];
    const eta = await sqlValues(ps, (x) => linkFunSql(duckdb, 'cauchit', x, 'q'));
    ps.forEach((p, i) => expect(ulps(eta[i], cauchit.linkfun(p)), `tan(π(${p} − 1/2))`).toBeLessThanOrEqual(2));
  });
});

describe("the deviance at lme4's fixed (θ, β) through DuckDB and the stream (no optimizer)", () => {
  it('binomial_cauchit (0/1), Laplace: lme4\'s deviance function and memory\'s within 1e-9', async () => {
    const ref = JSON.parse(readFileSync(join(FIXTURES, 'links', 'binomial_cauchit.json'), 'utf8'));
    const file = join(FIXTURES, 'links', ref.data);
    const points = (ref.objective_at as { theta: number[]; beta: number[]; value: number }[]).map((p) => ({ ...p, nAGQ: 1 }));
    let checked = 0;
    await engineDeviances(duck, file, readCsv(readFileSync(file, 'utf8')).table, ref.formula, OPTIONS_01, points, (k, sql, st, mem) => {
      const r = points[k].value;
      expect(Math.abs(sql - r) / r).toBeLessThan(1e-9);
      expect(Math.abs(st - r) / r).toBeLessThan(1e-9);
      expect(Math.abs(sql - mem) / mem).toBeLessThan(1e-9);
      checked++;
    });
    expect(checked).toBeGreaterThanOrEqual(2);
  }, 300_000);

  it('cbpp_cauchit (cbind), nAGQ 5, 9, 25: lme4\'s AGQ deviance and memory\'s within 1e-9', async () => {
    const ref = JSON.parse(readFileSync(join(FIXTURES, 'links_agq', 'cbpp_cauchit.json'), 'utf8'));
    const file = join(FIXTURES, ref.data);
    const points = (ref.fits as { nAGQ: number; objective_at: { theta: number[]; beta: number[]; value: number }[] }[]).flatMap((f) => f.objective_at.map((p) => ({ ...p, nAGQ: f.nAGQ })));
    let checked = 0;
    await engineDeviances(duck, file, readCsv(readFileSync(file, 'utf8')).table, ref.formula, OPTIONS_CBPP, points, (k, sql, st, mem) => {
      const r = points[k].value;
      expect(Math.abs(sql - r) / r).toBeLessThan(1e-9);
      expect(Math.abs(st - r) / r).toBeLessThan(1e-9);
      expect(Math.abs(sql - mem) / mem).toBeLessThan(1e-9);
      checked++;
    });
    expect(checked).toBeGreaterThanOrEqual(6);
  }, 300_000);
});

describe('the fits against the in-memory glmer fit and lme4', () => {
  it('binomial_cauchit through DuckDB and the stream', async () => {
    const ref = JSON.parse(readFileSync(join(FIXTURES, 'links', 'binomial_cauchit.json'), 'utf8'));
    const file = join(FIXTURES, 'links', ref.data);
    const memory = await glmer(ref.formula, readCsv(readFileSync(file, 'utf8')).table, OPTIONS_01);
    const viaDuck = await glmerSql(duck, { from: duckdbSource(file), name: file }, ref.formula, OPTIONS_01);
    const src = await openBatchSource(file);
    try {
      const viaStream = await glmerStream(src, ref.formula, { ...OPTIONS_01, batchSize: 100 });
      for (const [engine, fit] of [['duckdb', viaDuck], ['stream', viaStream]] as const) {
        expectSameFit(fit, memory);
        expect(fit.toJSON()).toMatchObject({ engine });
        expect(Math.abs(fit.objective - ref.tight.deviance_laplace), engine).toBeLessThan(1e-6);
      }
    } finally {
      await src.close();
    }
  }, 300_000);

  it('cbpp_cauchit (cbind) through the stream', async () => {
    const ref = JSON.parse(readFileSync(join(FIXTURES, 'links_agq', 'cbpp_cauchit.json'), 'utf8'));
    const file = join(FIXTURES, ref.data);
    const memory = await glmer(ref.formula, readCsv(readFileSync(file, 'utf8')).table, OPTIONS_CBPP);
    const src = await openBatchSource(file);
    try {
      expectSameFit(await glmerStream(src, ref.formula, { ...OPTIONS_CBPP, batchSize: 20 }), memory);
    } finally {
      await src.close();
    }
  }, 300_000);
});
