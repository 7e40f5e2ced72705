/**
 * Fits through the Gram sources equal the in-memory fit (the optimum, not only A), and their
 * summaries are lme4's, with the residual quantiles by queries or passes:
 *  - from a Parquet file streamed in batches of 1 000 rows, the stream engine does the in-memory
 *    arithmetic in the same order: the fit is the same to 1e-12 (in fact bit for bit);
 *  - through DuckDB (compensated sums, another order): the criterion at the optimum 1e-10 relative,
 *    β̂ 1e-8 relative to its scale. θ̂ itself is determined by float64 objective values only to
 *    about √(ε|f| / f'') — where two computations of A differ by rounding (1e-16 in f), the
 *    optimizer's answers differ by up to 4e-7 (Penicillin's flat ridge) with equal criteria.
 *    So for θ̂ the test asks what the data decide: each fit's θ̂ is, under the other's objective, as
 *    good an optimum as that objective's own (within 1e-10 relative), and |Δθ| ≤ 1e-6.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbEngine, duckdbSource } from '../../src/gram/sql/duckdb.js';
import { lmerSql } from '../../src/gram/sql/lmer.js';
import { lmerStream } from '../../src/gram/stream/lmer.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { lmer } from '../../src/fit/lmer.js';
import '../../src/inference/methods.js';
import { GAUSSIAN_CASES, dataPath, loadData, loadReference } from '../helpers/reference.js';
import { tableToParquet } from '../helpers/parquetFile.js';
import { fitDifferences as differences, objectiveAt } from '../helpers/gramCompare.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { thetaToInternal } from '../../src/model/reparam.js';

/** the summary without the line naming the backend and its evaluations */
const summaryBody = (s: string) => s.split('\n').filter((l) => !l.startsWith('Backend:')).join('\n');

describe('fits through DuckDB equal the in-memory fits', () => {
  let duck: DuckDbEngine;
  beforeAll(async () => { duck = await DuckDbEngine.open({ threads: 2 }); });
  afterAll(async () => { await duck?.close(); });
  for (const name of GAUSSIAN_CASES) {
    it(name, async () => {
      const ref = loadReference(name);
      const file = dataPath(ref.data.replace('../data/', ''));
      const mem = await lmer(ref.formula, loadData(ref), { REML: ref.reml, factors: ref.factors });
      const { fit } = await lmerSql(duck, { from: duckdbSource(file), name: file }, ref.formula, { REML: ref.reml, factors: ref.factors });
      const d = differences(mem, fit);
      expect(d.criterion).toBeLessThan(1e-10);
      expect(d.beta).toBeLessThan(1e-8);
      expect(d.theta).toBeLessThan(1e-6);
      // mutual optimality under the in-memory objective
      const memGram = formGram(mem.model);
      const at = (theta: Float64Array) => objectiveAt(memGram, mem.model.theta.length, thetaToInternal(mem.model, theta), ref.reml, mem.model.sumLogW);
      expect((at(fit.theta) - at(mem.theta)) / Math.abs(mem.objective)).toBeLessThan(1e-10);
      expect(summaryBody(fit.summary())).toBe(summaryBody(mem.summary()));
      expect(fit.toJSON()).toMatchObject({ engine: 'duckdb', rows_scanned: expect.any(Number) });
      expect(() => fit.residuals()).toThrow(/the rows of this fit are in duckdb/);
    }, 120_000);
  }
});

describe('a Parquet file streamed in batches of 1 000 rows equals the in-memory fit', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'mixedgpu-fit-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  for (const name of GAUSSIAN_CASES) {
    it(name, async () => {
      const ref = loadReference(name);
      const table = loadData(ref);
      const path = join(dir, `${name}.parquet`);
      writeFileSync(path, new Uint8Array(tableToParquet(table, 1000)));
      // the same starts as the stream fit: the moment start backfits over rows, which an engine's fit has not
      const mem = await lmer(ref.formula, table, { REML: ref.reml, factors: ref.factors, momentStart: false });
      const src = await openBatchSource(path);
      try {
        const { fit } = await lmerStream(src, ref.formula, { REML: ref.reml, factors: ref.factors, batchSize: 1000 });
        const d = differences(mem, fit);
        expect(d.criterion).toBeLessThan(1e-12);
        expect(d.theta).toBeLessThan(1e-12);
        expect(d.beta).toBeLessThan(1e-12);
        expect(summaryBody(fit.summary())).toBe(summaryBody(mem.summary()));
        // predictions of new data as the in-memory fit's; the rows are in the file, not here: predict
        // without newdata asks for them, and what needs them says so (lmerTest's tables, anova and
        // profiles work from the engine's A: test/gram/inference.test.ts)
        const rel = (a: Float64Array, b: Float64Array) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]) / (1 + Math.abs(b[i]))));
        expect(rel(fit.predict(table), mem.predict(table))).toBeLessThan(1e-9);
        expect(rel(fit.predict(table, { groups: false }), mem.predict(table, { groups: false }))).toBeLessThan(1e-9);
        expect(() => fit.predict()).toThrow(/this fit's rows are in an SQL engine or a stream: pass the data as newdata/);
        // merTools's simulation intervals read vcov, the conditional variances and σ, not the rows: the same
        // draws (seed 3) give the same intervals; REsim's draws need the rows' penalized system
        const some = table.slice(0, 500);
        const pm = mem.predictIntervalSim(some, { nsims: 200, seed: 3 }), pf = fit.predictIntervalSim(some, { nsims: 200, seed: 3 });
        for (const k of ['fit', 'upr', 'lwr'] as const) expect(rel(pf[k], pm[k])).toBeLessThan(1e-9);
        expect(() => fit.REsim()).toThrow(/REsim: not available for this fit, whose rows are in a stream/);
        expect(() => fit.hatvalues()).toThrow(/hat values: not available for this fit, whose rows are in a stream \(.*\); it needs the rows themselves/);
        expect(() => fit.simulate()).toThrow(/simulate: not available for this fit, whose rows are in a stream/);
      } finally {
        await src.close();
      }
    }, 120_000);
  }
});
