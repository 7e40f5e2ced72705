import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbEngine, duckdbSource } from '../../src/gram/sql/duckdb.js';
import { gramFromSql } from '../../src/gram/sql/sqlSource.js';
import { centreTransform } from '../../src/gram/fit.js';
import { buildLmm } from '../../src/lmm/model.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { thetaToInternal } from '../../src/model/reparam.js';
import { GAUSSIAN_CASES, dataPath, loadData, loadReference } from '../helpers/reference.js';
import { gramDifference, objectiveAt } from '../helpers/gramCompare.js';

let engine: DuckDbEngine;
beforeAll(async () => { engine = await DuckDbEngine.open({ threads: 2 }); });
afterAll(async () => { await engine?.close(); });

describe('DuckDB Gram source equals the in-memory Gram matrix', () => {
  // compensatedUpTo 0: the plain sums used for factors of very many levels
  for (const [name, upTo] of [...GAUSSIAN_CASES.map((c) => [c, undefined] as const), ['sleepstudy_slopes_reml', 0], ['insteval_crossed_reml', 0]] as const) {
    it(`${name}${upTo === 0 ? ' (plain sums)' : ''}`, async () => {
      const ref = loadReference(name);
      const file = ref.data.replace('../data/', '');
      const model = buildLmm(ref.formula, loadData(ref), { REML: ref.reml, factors: ref.factors });
      const mem = formGram(model);
      const sql = await gramFromSql(engine, { from: duckdbSource(dataPath(file)), name: file }, ref.formula, { factors: ref.factors, compensatedUpTo: upTo });
      expect(sql.summary.n).toBe(model.frame.n);
      expect(sql.summary.xnames).toEqual(model.frame.xnames);
      expect(sql.blocks.map((b) => b.levels)).toEqual(model.blocks.map((b) => b.levels));
      expect(sql.theta.names).toEqual(model.theta.names);
      const d = gramDifference(mem, sql.gram);
      expect(d, gramDifference.where).toBeLessThan(1e-10);
      for (const at of ref.objective_at ?? []) {
        const th = thetaToInternal(model, at.theta);
        const a = objectiveAt(mem, model.theta.length, th, ref.reml);
        const b = objectiveAt(sql.gram, sql.theta.length, thetaToInternal({ blocks: sql.blocks, transforms: sql.centres.map((m, k) => centreTransform(m, sql.blocks[k].q)) }, at.theta), ref.reml);
        expect(Math.abs(a - b) / Math.abs(a)).toBeLessThan(1e-10);
      }
    }, 60_000);
  }
});
