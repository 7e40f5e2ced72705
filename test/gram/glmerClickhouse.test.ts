import { describe, expect, it, beforeAll } from 'vitest';
import { glmer } from '../../src/fit/glmer.js';
import { clickhouseSource } from '../../src/gram/sql/clickhouse.js';
import { glmerSql } from '../../src/gram/sql/glmer.js';
import { loadTight, optionsOf } from '../helpers/glmmParity.js';
import { loadData } from '../helpers/reference.js';
import { clickhouseTestsMissing, loadSharded, useCluster } from '../helpers/clickhouse.js';

describe.skipIf(clickhouseTestsMissing() !== null)('probe', () => {
  const ch = useCluster();
  it('cbpp', async () => {
    const t = loadTight('cbpp_binomial');
    const o = optionsOf(t);
    const table = loadData(t);
    const dist = await loadSharded(ch.cluster, 'cbpp', table, 20);
    const ours = await glmerSql(ch.engine, { from: clickhouseSource(dist), name: dist }, t.formula, { family: o.family, link: o.link, factors: o.factors });
    const mem = await glmer(t.formula, table, o);
    console.log(ours.objective, mem.objective, ours.theta, mem.theta);
  }, 300_000);
});
