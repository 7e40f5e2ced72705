/**
 * cut(), C() and interaction() on the engines (src/gram/frameSpec.ts: cut's key the index of the row's interval,
 * its breaks from the range of x over every row found by the summaries' pre-pass, its labels
 * src/frame/factorBuilders.ts's; C(f, contr) the factor f with its contrasts; interaction(f, h, sep =)
 * keyed by its components' keys, its levels the combinations present with the first component varying
 * fastest, as memory's interactionColumn and drop.unused.levels), against the in-memory
 * frame, which test/formulaFunctions2.test.ts checks against R: test/fixtures/formula_functions2's
 * models (ff2.csv, x with 10 missing values) fit by the stream as memory fits them (1e-12), by DuckDB
 * and two-shard ClickHouse at formulaParity.test.ts's tolerances (criterion 1e-10, β 1e-8, θ 1e-6),
 * with memory's column names (cut's labels, C's contrast columns), and the REML criterion at R's fixed
 * θ (objective_at) from each engine's A within 1e-8 relative of lme4's; bad input with memory's
 * messages: breaks not unique, cut() of a text column, C() of a numeric column; interaction() of a
 * relevel() (memory takes it) refused by name.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv } from '../../src/io/csv.js';
import { DuckDbEngine, duckdbSource } from '../../src/gram/sql/duckdb.js';
import { clickhouseSource } from '../../src/gram/sql/clickhouse.js';
import type { SqlEngine } from '../../src/gram/sql/engine.js';
import { lmerSql } from '../../src/gram/sql/lmer.js';
import { gramFromSql } from '../../src/gram/sql/sqlSource.js';
import { lmerStream } from '../../src/gram/stream/lmer.js';
import { gramFromStream } from '../../src/gram/stream/streamSource.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { centreTransform } from '../../src/gram/fit.js';
import { thetaToInternal } from '../../src/model/reparam.js';
import { lmer } from '../../src/fit/lmer.js';
import { emmeans } from '../../src/inference/emmeans.js';
import { expectEngineFit, expectObjectiveAt, fitDifferences, memoryFits, objectiveAt } from '../helpers/gramCompare.js';
import { clickhouseTestsMissing, loadSharded, useCluster } from '../helpers/clickhouse.js';
import { tableToParquet } from '../helpers/parquetFile.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'formula_functions2');
const ff2 = readCsv(readFileSync(join(FIX, 'ff2.csv'), 'utf8')).table;
const REF = JSON.parse(readFileSync(join(FIX, 'models.json'), 'utf8')).models as Record<string, { formula: string; xnames: string[]; objective_at: { theta: number[]; value: number } }>;
const MODELS = ['cut_n', 'cut_inf', 'cut_lowest', 'cut_left', 'C_sum', 'C_poly_helmert', 'interaction', 'interaction_sep'];

const BAD: [string, RegExp][] = [
  ['y ~ cut(x2, c(0, 1, 1, 3)) + (1 | g)', /'cut\(x2, c\(0, 1, 1, 3\)\)': the breaks are not unique/],
  ['y ~ cut(f, 3) + (1 | g)', /'cut\(f, 3\)': 'f' is a factor; cut\(\) needs a numeric variable/],
  ['y ~ C(x2, contr.sum) + (1 | g)', /'C\(x2, contr.sum\)': 'x2' is numeric; C\(\) takes a factor: write C\(factor\(x2\), …\), or list 'x2' in factors/],
  ['y ~ interaction(relevel(f, "b"), h) + (1 | g)', /'interaction\(relevel\(f, "b"\), h\)': the engines \(stream, DuckDB, ClickHouse\) take interaction\(\) of columns and factor\(column\) only, not of an expression or a logical, relevel\(\) or cut\(\) \(argument 1\): fit with --engine memory/],
];

let dir: string;
const memoryFit = memoryFits(ff2);
/** an SQL engine's fit as memory's, and lme4's criterion at its θ from the engine's A */
async function compareSql(engine: SqlEngine, from: string, name: string): Promise<void> {
  const formula = REF[name].formula;
  const mem = await memoryFit(formula);
  const { fit } = await lmerSql(engine, { from, name: from }, formula);
  expectEngineFit(fit, mem, 'sql');
  expect(fit.model.frame.xnames).toEqual(REF[name].xnames);
  expectObjectiveAt(await gramFromSql(engine, { from, name: from }, formula), REF[name].objective_at);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mixedgpu-factor-builders-'));
  writeFileSync(join(dir, 'ff2.parquet'), new Uint8Array(tableToParquet(ff2, 100)));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the stream (Parquet, batches of 100 rows)', () => {
  for (const name of MODELS) {
    it(`${name}: ${REF[name].formula}`, async () => {
      const formula = REF[name].formula;
      const mem = await memoryFit(formula);
      const src = await openBatchSource(join(dir, 'ff2.parquet'));
      try {
        const { fit } = await lmerStream(src, formula, { batchSize: 100 });
        expectEngineFit(fit, mem, 'stream');
        expect(fit.model.frame.xnames).toEqual(REF[name].xnames);
        expectObjectiveAt(await gramFromStream(src, formula, { batchSize: 100 }), REF[name].objective_at);
      } finally {
        await src.close();
      }
    }, 60_000);
  }
  it("emmeans over cut(), C() or interaction(): refused as memory refuses it (src/inference/referenceGrid.ts)", async () => {
    for (const name of ['cut_n', 'C_sum', 'interaction']) {
      const src = await openBatchSource(join(dir, 'ff2.parquet'));
      try {
        const { fit } = await lmerStream(src, REF[name].formula, { batchSize: 100 });
        expect(() => emmeans(fit, '~ 1')).toThrow(/emmeans: '.*' is in the fixed part: a reference grid over a summary of a column \(mean\(x\), …\), cut\(\), interaction\(\) or C\(\) is not supported/);
      } finally {
        await src.close();
      }
    }
  });
  for (const [formula, error] of BAD) {
    it(`bad input: ${formula}`, async () => {
      if (!formula.includes('interaction(')) await expect(lmer(formula, ff2)).rejects.toThrow(error);
      const src = await openBatchSource(join(dir, 'ff2.parquet'));
      try {
        await expect(lmerStream(src, formula)).rejects.toThrow(error);
      } finally {
        await src.close();
      }
    });
  }
});

/**
 * interaction() of a numeric column (read as.factor: its levels its values, numerically) and cut() in a
 * random-effects term, against memory alone (no R fixture): the stream's fit as memory's (1e-12); on
 * DuckDB the criterion within 1e-10 and θ within 1e-6 (formulaParity's), and — the tight check of the
 * engine's A — its REML criterion at memory's θ equal to memory's optimum within 1e-10 relative. β is
 * not compared to 1e-8 there: the slope's optimum is flat (the criteria agree to 2e-16 while the
 * optimizer stops 1.6e-7 apart in θ, which moves β by 3e-8).
 */
const EXTRA = ['y ~ interaction(x2, h, sep = ":") + (1 | g)', 'y ~ x + (0 + cut(x2, c(-Inf, 2, Inf)) | g)'];
describe('interaction() of a numeric column, cut() in a random-effects term: as memory', () => {
  for (const formula of EXTRA) {
    it(formula, async () => {
      const mem = await memoryFit(formula);
      const src = await openBatchSource(join(dir, 'ff2.parquet'));
      try {
        const { fit } = await lmerStream(src, formula, { batchSize: 100 });
        expectEngineFit(fit, mem, 'stream');
      } finally {
        await src.close();
      }
      const duck = await DuckDbEngine.open({ threads: 1 });
      try {
        const from = duckdbSource(join(dir, 'ff2.parquet'));
        const { fit } = await lmerSql(duck, { from, name: 'ff2' }, formula);
        expect(fit.model.frame.xnames).toEqual(mem.model.frame.xnames);
        const d = fitDifferences(mem, fit);
        expect(d.criterion).toBeLessThan(1e-10);
        expect(d.theta).toBeLessThan(1e-6);
        const res = await gramFromSql(duck, { from, name: 'ff2' }, formula);
        const th = thetaToInternal({ blocks: res.blocks, transforms: res.centres.map((m, k) => centreTransform(m, res.blocks[k].q)) }, Array.from(mem.theta));
        expect(Math.abs(objectiveAt(res.gram, res.theta.length, th, true) - mem.objective) / mem.objective).toBeLessThan(1e-10);
      } finally {
        await duck.close();
      }
    }, 60_000);
  }
});

describe('DuckDB', () => {
  let duck: DuckDbEngine;
  beforeAll(async () => { duck = await DuckDbEngine.open({ threads: 2 }); });
  afterAll(async () => { await duck?.close(); });
  for (const name of MODELS) it(`${name}: ${REF[name].formula}`, async () => { await compareSql(duck, duckdbSource(join(dir, 'ff2.parquet')), name); }, 60_000);
  for (const [formula, error] of BAD) {
    it(`bad input: ${formula}`, async () => { await expect(lmerSql(duck, { from: duckdbSource(join(dir, 'ff2.parquet')), name: 'ff2' }, formula)).rejects.toThrow(error); });
  }
});

const missing = clickhouseTestsMissing();

describe.skipIf(missing !== null)('ClickHouse (two shards)', () => {
  const ch = useCluster();
  let from: string;
  beforeAll(async () => { from = clickhouseSource(await loadSharded(ch.cluster, 'factor_builders_ff2', ff2, 60)); }, 120_000);
  for (const name of MODELS) it(`${name}: ${REF[name].formula}`, async () => { await compareSql(ch.engine, from, name); }, 60_000);
  it(`bad input: ${BAD[0][0]}`, async () => { await expect(lmerSql(ch.engine, { from, name: 'ff2' }, BAD[0][0])).rejects.toThrow(BAD[0][1]); });
});
