/**
 * R's row-wise functions (round at ties, floor, ceiling, trunc, sign, pmin, pmax, ifelse, as.numeric of
 * a number, exp, log(x, base)) and scale(x, center =, scale =) on the engines: DuckDB's and two-shard
 * ClickHouse's SQL gives the in-memory frame's doubles row by row (bit for bit: round.json's values at
 * and near .5 ties, whose in-memory round() is R's, test/formulaFunctions2.test.ts), and the stream,
 * DuckDB and ClickHouse fit test/fixtures/formula_functions2/ff2.csv's models as memory does, at
 * formulaParity.test.ts's tolerances (stream 1e-12; SQL: criterion 1e-10, β 1e-8, θ 1e-6).
 * as.numeric() of a factor is refused, naming the function (the summaries of a whole column:
 * test/gram/summariesEngines.test.ts; cut(), C() and interaction(): test/gram/factorBuildersEngines.test.ts). `.`, %in% and lme4's dummy() fit as in memory.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv } from '../../src/io/csv.js';
import { parseFormula } from '../../src/formula/parse.js';
import { columnFromArrow, evalExpr } from '../../src/frame/columns.js';
import { type ColumnSchema, describeFrame } from '../../src/gram/frameSpec.js';
import { SqlFrame } from '../../src/gram/sql/generate.js';
import { DuckDbEngine, duckdbSource } from '../../src/gram/sql/duckdb.js';
import { clickhouseSource } from '../../src/gram/sql/clickhouse.js';
import type { SqlEngine } from '../../src/gram/sql/engine.js';
import { lmerSql } from '../../src/gram/sql/lmer.js';
import { lmerStream } from '../../src/gram/stream/lmer.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { expectEngineFit, memoryFits } from '../helpers/gramCompare.js';
import { clickhouseTestsMissing, loadSharded, useCluster } from '../helpers/clickhouse.js';
import { tableToParquet } from '../helpers/parquetFile.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'formula_functions2');
const ff2 = readCsv(readFileSync(join(FIX, 'ff2.csv'), 'utf8')).table;

/** round.json's values (ties at .5, .x5, .xx5; large, tiny), a row id, a missing value, and ±∞ */
function tiesTable(): arrow.Table {
  const r = JSON.parse(readFileSync(join(FIX, 'round.json'), 'utf8')) as { x: string[] };
  const xs = [...r.x, '', 'Inf', '-Inf', '-0.5', '-2.5', '0'];
  const rows = xs.map((x, i) => `${i},${x},${(i % 7) - 3},g${i % 5}`);
  return readCsv(`id,x,z,g\n${rows.join('\n')}\n`).table;
}
const ties = tiesTable();
const ROW_EXPRS = [
  'round(x)', 'round(x, 1)', 'round(x, 2)', 'round(x, 3)', 'round(x, -1)', 'round(x, -2)', 'round(x, 6)', 'round(x, digits = 0.6)',
  'floor(x)', 'ceiling(x)', 'trunc(x)', 'sign(x)', 'pmin(x, 1)', 'pmax(x, z, 0)', 'ifelse(x > 0, x, z)', 'as.numeric(x)', 'exp(z)',
  'log(x, 2)', 'log(x, 10)', 'log(x, 3)', 'scale(z, center = FALSE)', 'scale(x, scale = FALSE)', 'scale(z, center = 1, scale = 2)',
];
const ROW_FORMULA = `id ~ ${ROW_EXPRS.join(' + ')} + (1 | g)`;
const schemaOf = (t: arrow.Table): ColumnSchema => new Map(t.schema.fields.map((f) => [f.name, columnFromArrow(t, f.name).kind === 'factor' ? 'text' : 'numeric'] as const));

/** the in-memory frame's value of each expression in every row (R's model.frame, before na.omit) */
function memoryValues(): Float64Array[] {
  const f = parseFormula(ROW_FORMULA);
  const scales = new Map();
  return f.fixed.terms.map((t) => (evalExpr(t.vars[0].expr, (name) => columnFromArrow(ties, name), t.label, ties.numRows, scales) as { values: Float64Array }).values);
}

/** the engine's value of each expression per row: its frame's layers, one row per id (a sum of one value) */
async function engineValues(engine: SqlEngine, from: string): Promise<Map<number, number[]>> {
  const spec = describeFrame(parseFormula(ROW_FORMULA), schemaOf(ties));
  // scale(): its centres and scales as the engine's first queries give them (sqlSource.ts); here memory's,
  // so that the comparison is of the row-wise SQL alone
  const f = parseFormula(ROW_FORMULA);
  for (const t of f.fixed.terms) evalExpr(t.vars[0].expr, (name) => columnFromArrow(ties, name), t.label, ties.numRows, spec.scales);
  const d = engine.dialect;
  const frame = new SqlFrame(d, spec);
  const aliases = ROW_EXPRS.map((label) => frame.varAlias.get(label)!);
  const id = d.numericColumn('id');
  const res = await engine.run({
    stage: 'row values', keys: ['numeric'], values: aliases.length,
    sql: d.query({ source: from, layers: [frame.layer0, frame.layer1], select: [id, ...aliases.map((a) => d.plainSum(a))], groupBy: [id] }),
  });
  const out = new Map<number, number[]>();
  (res.keys[0] as number[]).forEach((k, r) => out.set(k, res.values.map((v) => v[r])));
  return out;
}

function expectSameValues(eng: Map<number, number[]>): void {
  const mem = memoryValues();
  const xs = (columnFromArrow(ties, 'x') as { values: Float64Array }).values;
  expect(eng.size).toBe(ties.numRows);
  let compared = 0;
  for (let i = 0; i < ties.numRows; i++) {
    const row = eng.get(i)!;
    ROW_EXPRS.forEach((label, j) => {
      const a = mem[j][i], b = row[j] ?? NaN;
      // the same double (NaN for NA; −0 and 0 alike: every later sum and product treats them alike);
      // exp and log are each library's own (V8's Math.log, an fdlibm port, and the engines' C library
      // differ in the last bit for some x, as for log(x) before): within 2 ulp there
      const same = a === b || (Number.isNaN(a) && Number.isNaN(b));
      const libm = /^(exp|log)\(/.test(label) && Number.isFinite(a) && Math.abs(a - b) <= 4.5e-16 * Math.abs(a);
      expect(same || libm, `${label} in row ${i} (x = ${xs[i]}): memory ${a}, engine ${b}`).toBe(true);
      compared++;
    });
  }
  expect(compared).toBe(ties.numRows * ROW_EXPRS.length);
}

const MODELS = [
  'y ~ round(x, 1) + round(x2) + pmin(x, 1) + ifelse(x > 0, x, 0) + (1 | g)',
  'y ~ scale(x, center = FALSE) + scale(x2, scale = FALSE) + floor(x2 / 2) + sign(x) + (1 | g)',
  'y ~ log(x2 + 3, 3) + exp(x2 / 4) + ceiling(x) + pmax(x2, 0, x) + as.numeric(x2) + (round(x2) | g)',
  // `.` (the source's columns but the response) and %in%
  'y ~ . - g + (1 | g)',
  'y ~ h + (x + x2) %in% f + (1 | g)',
  // lme4's dummy(): the comparison f == "b" as a number
  'y ~ x + (1 | g) + (0 + dummy(f, "b") | g)',
];
const REFUSED: [string, RegExp][] = [
  ['y ~ as.numeric(f) + (1 | g)', /'as.numeric\(f\)': as.numeric\(\) of a factor .* is not evaluated by the engines/],
];

let dir: string;
const memoryFit = memoryFits(ff2);
async function compareSql(engine: SqlEngine, from: string, formula: string): Promise<void> {
  const mem = await memoryFit(formula);
  const { fit } = await lmerSql(engine, { from, name: from }, formula);
  expectEngineFit(fit, mem, 'sql');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mixedgpu-formula-fn-'));
  writeFileSync(join(dir, 'ff2.parquet'), new Uint8Array(tableToParquet(ff2, 100)));
  writeFileSync(join(dir, 'ties.parquet'), new Uint8Array(tableToParquet(ties, 200)));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the stream fits the row-wise functions as memory does (Parquet, batches of 100 rows)', () => {
  for (const formula of MODELS) {
    it(formula, async () => {
      const mem = await memoryFit(formula);
      const src = await openBatchSource(join(dir, 'ff2.parquet'));
      try {
        const { fit } = await lmerStream(src, formula, { batchSize: 100 });
        expectEngineFit(fit, mem, 'stream');
      } finally {
        await src.close();
      }
    }, 60_000);
  }
  for (const [formula, error] of REFUSED) {
    it(`refused: ${formula}`, async () => {
      const src = await openBatchSource(join(dir, 'ff2.parquet'));
      try {
        await expect(lmerStream(src, formula)).rejects.toThrow(error);
      } finally {
        await src.close();
      }
    });
  }
});

describe('DuckDB', () => {
  let duck: DuckDbEngine;
  beforeAll(async () => { duck = await DuckDbEngine.open({ threads: 2 }); });
  afterAll(async () => { await duck?.close(); });
  it("the row-wise functions' SQL gives memory's doubles in every row (ties of round() included)", async () => {
    expectSameValues(await engineValues(duck, duckdbSource(join(dir, 'ties.parquet'))));
  });
  for (const formula of MODELS) it(formula, async () => { await compareSql(duck, duckdbSource(join(dir, 'ff2.parquet')), formula); }, 60_000);
  for (const [formula, error] of REFUSED) {
    it(`refused: ${formula}`, async () => { await expect(lmerSql(duck, { from: duckdbSource(join(dir, 'ff2.parquet')), name: 'ff2' }, formula)).rejects.toThrow(error); });
  }
});

const missing = clickhouseTestsMissing();

describe.skipIf(missing !== null)('ClickHouse (two shards)', () => {
  const ch = useCluster();
  const from = new Map<string, string>();
  beforeAll(async () => {
    from.set('ff2', clickhouseSource(await loadSharded(ch.cluster, 'formula_fn_ff2', ff2)));
    from.set('ties', clickhouseSource(await loadSharded(ch.cluster, 'formula_fn_ties', ties)));
  }, 120_000);
  it("the row-wise functions' SQL gives memory's doubles in every row (ties of round() included)", async () => {
    expectSameValues(await engineValues(ch.engine, from.get('ties')!));
  });
  for (const formula of MODELS) it(formula, async () => { await compareSql(ch.engine, from.get('ff2')!, formula); }, 60_000);
});
