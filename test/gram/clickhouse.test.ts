/**
 * The Gram matrix through a real two-shard ClickHouse cluster (two clickhouse-server processes on
 * loopback, started and stopped here) equals the in-memory Gram matrix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseEngine, clickhouseSource } from '../../src/gram/sql/clickhouse.js';
import { gramFromSql } from '../../src/gram/sql/sqlSource.js';
import { centreTransform } from '../../src/gram/fit.js';
import { buildLmm } from '../../src/lmm/model.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { thetaToInternal } from '../../src/model/reparam.js';
import { GAUSSIAN_CASES, loadData, loadReference } from '../helpers/reference.js';
import { gramDifference, objectiveAt } from '../helpers/gramCompare.js';
import { type Cluster, clickhouseMissing, loadSharded, startCluster } from '../helpers/clickhouse.js';

const missing = clickhouseMissing();
if (missing && process.env.CI) throw new Error(`ClickHouse tests need clickhouse-server under CI: ${missing}`);

describe.skipIf(missing !== null)('ClickHouse Gram source (two shards) equals the in-memory Gram matrix', () => {
  let cluster: Cluster;
  let engine: ClickHouseEngine;
  const loaded = new Map<string, string>();
  beforeAll(async () => {
    cluster = await startCluster();
    engine = new ClickHouseEngine({ url: cluster.urls[0] });
  }, 120_000);
  afterAll(async () => {
    await engine?.close();
    await cluster?.stop();
  }, 60_000);

  for (const name of GAUSSIAN_CASES) {
    it(name, async () => {
      const ref = loadReference(name);
      const table = loadData(ref);
      const file = ref.data.replace('../data/', '');
      let dist = loaded.get(file);
      if (!dist) {
        dist = await loadSharded(cluster, file.replace(/\W/g, '_'), table);
        loaded.set(file, dist);
        const counts = await Promise.all([0, 1].map(async (k) => Number((await cluster.sql(k, `SELECT count() FROM ${file.replace(/\W/g, '_')}`)).trim())));
        expect(counts[0] + counts[1]).toBe(table.numRows);
        expect(Math.min(...counts)).toBeGreaterThan(0);
      }
      const model = buildLmm(ref.formula, table, { REML: ref.reml, factors: ref.factors });
      const mem = formGram(model);
      const sql = await gramFromSql(engine, { from: clickhouseSource(dist), name: dist }, ref.formula, { factors: ref.factors });
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
