/**
 * The Gram matrix through a real two-shard ClickHouse cluster (two clickhouse-server processes on
 * loopback, started and stopped here) equals the in-memory Gram matrix.
 */
import { describe, expect, it } from 'vitest';
import { clickhouseSource } from '../../src/gram/sql/clickhouse.js';
import { gramFromSql } from '../../src/gram/sql/sqlSource.js';
import { centreTransform } from '../../src/gram/fit.js';
import { buildLmm } from '../../src/lmm/model.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { thetaToInternal } from '../../src/model/reparam.js';
import { GAUSSIAN_CASES, loadData, loadReference } from '../helpers/reference.js';
import { gramDifference, objectiveAt } from '../helpers/gramCompare.js';
import { clickhouseTestsMissing, loadSharded, useCluster } from '../helpers/clickhouse.js';

const missing = clickhouseTestsMissing();

describe.skipIf(missing !== null)('ClickHouse Gram source (two shards) equals the in-memory Gram matrix', () => {
  const ch = useCluster();
  const loaded = new Map<string, string>();

  for (const name of GAUSSIAN_CASES) {
    it(name, async () => {
      const ref = loadReference(name);
      const table = loadData(ref);
      const file = ref.data.replace('../data/', '');
      let dist = loaded.get(file);
      if (!dist) {
        dist = await loadSharded(ch.cluster, file.replace(/\W/g, '_'), table);
        loaded.set(file, dist);
        const counts = await Promise.all([0, 1].map(async (k) => Number((await ch.cluster.sql(k, `SELECT count() FROM ${file.replace(/\W/g, '_')}`)).trim())));
        expect(counts[0] + counts[1]).toBe(table.numRows);
        expect(Math.min(...counts)).toBeGreaterThan(0);
      }
      const model = buildLmm(ref.formula, table, { REML: ref.reml, factors: ref.factors });
      const mem = formGram(model);
      const sql = await gramFromSql(ch.engine, { from: clickhouseSource(dist), name: dist }, ref.formula, { factors: ref.factors });
      expect(sql.summary.n).toBe(model.frame.n);
      expect(sql.summary.xnames).toEqual(model.frame.xnames);
      expect(sql.blocks.map((b) => b.levels)).toEqual(model.blocks.map((b) => b.levels));
      const d = gramDifference(mem, sql.gram);
      expect(d, gramDifference.where).toBeLessThan(1e-10);
      for (const at of ref.objective_at ?? []) {
        const a = objectiveAt(mem, model.theta.length, thetaToInternal(model, at.theta), ref.reml);
        const b = objectiveAt(sql.gram, sql.theta.length, thetaToInternal({ blocks: sql.blocks, transforms: sql.centres.map((m, k) => centreTransform(m, sql.blocks[k].q)) }, at.theta), ref.reml);
        expect(Math.abs(a - b) / Math.abs(a)).toBeLessThan(1e-10);
      }
    }, 120_000);
  }
});
