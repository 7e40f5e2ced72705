/**
 * The stream engine (record batches, two passes, never the whole table) equals the in-memory Gram
 * matrix and objective: every lmer reference case from its CSV in batches of 1 000 rows (and of 7),
 * and the model-frame features from Parquet row groups, CSV chunks and an Arrow IPC stream.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readParquet } from '../../src/io/parquet.js';
import { readCsv } from '../../src/io/csv.js';
import { gramFromStream } from '../../src/gram/stream/streamSource.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { buildLmm, type LmmModel } from '../../src/lmm/model.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { thetaToInternal } from '../../src/model/reparam.js';
import type { GramSourceResult } from '../../src/gram/source.js';
import type { Contrasts } from '../../src/frame/contrasts.js';
import { GAUSSIAN_CASES, dataPath, loadData, loadReference } from '../helpers/reference.js';
import { FEATURE_MODELS, featureColumns, featureCsv, featureParquet } from '../helpers/featureData.js';
import { centresOf, gramDifference, objectiveAt, rebaseGram } from '../helpers/gramCompare.js';

async function streamGram(path: string, formula: string, options: { factors?: string[]; weights?: string; contrasts?: Contrasts; batchSize: number }): Promise<GramSourceResult> {
  const src = await openBatchSource(path);
  try {
    return await gramFromStream(src, formula, options);
  } finally {
    await src.close();
  }
}

function compare(model: LmmModel, got: GramSourceResult, reml: boolean, thetas: Float64Array[], tol: number): void {
  expect(got.summary.n).toBe(model.frame.n);
  expect(got.summary.nDropped).toBe(model.frame.nDropped);
  expect(got.summary.messages).toEqual(model.frame.messages);
  expect(got.summary.xnames).toEqual(model.frame.xnames);
  expect(got.reTerms.map((t) => [t.group, t.levels, t.cnames])).toEqual(model.frame.reTerms.map((t) => [t.group, t.levels, t.cnames]));
  const mem = rebaseGram(formGram(model), { ...model.fixed, centres: centresOf(model) }, { ...got.summary, centres: got.centres });
  expect(gramDifference(mem, got.gram), gramDifference.where).toBeLessThan(tol);
  for (const th of thetas) {
    const a = objectiveAt(mem, model.theta.length, th, reml, model.sumLogW);
    const b = objectiveAt(got.gram, got.theta.length, th, reml, got.summary.sumLogW);
    expect(Math.abs(a - b) / Math.abs(a)).toBeLessThan(tol);
  }
}

describe('stream: every lmer reference case from its CSV', () => {
  for (const name of GAUSSIAN_CASES) {
    it(name, async () => {
      const ref = loadReference(name);
      const file = dataPath(ref.data.replace('../data/', ''));
      const model = buildLmm(ref.formula, loadData(ref), { REML: ref.reml, factors: ref.factors });
      const thetas = (ref.objective_at ?? []).map((a) => thetaToInternal(model, a.theta));
      for (const batchSize of [1000, 7]) {
        if (batchSize === 7 && model.frame.n > 2000) continue;
        compare(model, await streamGram(file, ref.formula, { factors: ref.factors, batchSize }), ref.reml, thetas, 1e-12);
      }
    }, 120_000);
  }
});

describe('stream: model-frame features from Parquet, CSV and Arrow IPC', () => {
  const cols = featureColumns();
  let dir: string;
  let parquetTable: arrow.Table;
  let csvTable: arrow.Table;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mixedgpu-stream-'));
    const pq = featureParquet(cols);
    writeFileSync(join(dir, 'features.parquet'), new Uint8Array(pq));
    const csv = featureCsv(cols);
    writeFileSync(join(dir, 'features.csv'), csv);
    parquetTable = (await readParquet(pq)).table;
    csvTable = readCsv(csv, { factors: ['h'] }).table; // h: numbers but for 'x' (a factor, as in the engines)
    writeFileSync(join(dir, 'features.arrow'), arrow.tableToIPC(parquetTable, 'stream'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  for (const m of FEATURE_MODELS) {
    for (const [ext, batchSize] of [['parquet', 1000], ['csv', 333], ['arrow', 500]] as const) {
      it(`${ext}, batches of ${batchSize}: ${m.name}`, async () => {
        const table = ext === 'csv' ? csvTable : parquetTable;
        const model = buildLmm(m.formula, table, { weights: m.weights, factors: m.factors, contrasts: m.contrasts });
        const th = Float64Array.from(model.theta.start, (t, k) => t * (0.5 + 0.1 * k));
        const got = await streamGram(join(dir, `features.${ext}`), m.formula, { weights: m.weights, factors: m.factors, contrasts: m.contrasts, batchSize });
        compare(model, got, true, [th], 1e-12);
      }, 60_000);
    }
  }
});

describe("stream: lme4's order of the random-effects terms (src/frame/modelFrame.ts lme4TermOrder)", () => {
  it('a grouping factor\'s terms apart, where h has more levels than g: θ h.(Intercept), g.x, g.(Intercept), as in memory and lme4', async () => {
    const lines = ['y,x,g,h'];
    for (let i = 0; i < 60; i++) {
      const y = Math.sin(i * 1.3) + (i % 3) * 0.5 + (i % 6) * 0.2 + 0.3 * Math.cos(i * 0.7) * ((i % 12) / 7) + 0.4 * Math.sin(i % 10);
      lines.push([y.toFixed(5), ((i % 12) / 7).toFixed(5), `g${i % 6}`, `h${i % 10}`].join(','));
    }
    const csv = lines.join('\n') + '\n';
    const dir = mkdtempSync(join(tmpdir(), 'stream-order-'));
    try {
      const file = join(dir, 'order.csv');
      writeFileSync(file, csv);
      const formula = 'y ~ x + (1 | g) + (1 | h) + (0 + x | g)';
      const model = buildLmm(formula, readCsv(csv).table, { REML: true });
      const got = await streamGram(file, formula, { batchSize: 7 });
      expect(got.theta.names).toEqual(['h.(Intercept)', 'g.x', 'g.(Intercept)']);
      compare(model, got, true, [thetaToInternal(model, [0.5, 0.3, 0.8])], 1e-12);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
