/**
 * A numeric column read as a factor whose distinct doubles print the same in R's 15 significant
 * digits (1 and 1.0000000000000002, 0.3 and 0.1 + 0.2) holds one level per label, in R and in the
 * in-memory frame (src/frame/columns.ts numericToFactor): so in the engines too, as a fixed-effect
 * factor and as a grouping factor — the levels, the columns, A and the fit, and the residuals'
 * join of the conditional modes on the raw values (stream from Parquet and CSV; DuckDB).
 * test/gram/randomEngines.test.ts runs the same data through ClickHouse.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lmer } from '../../src/fit/lmer.js';
import { lmerStream } from '../../src/gram/stream/lmer.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { lmerSql } from '../../src/gram/sql/lmer.js';
import { DuckDbEngine, duckdbSource } from '../../src/gram/sql/duckdb.js';
import type { LmmFit } from '../../src/lmm/lmmFit.js';
import { SAME_LABEL_FACTORS, SAME_LABEL_FORMULAS, sameLabelData } from '../helpers/sameLabelData.js';

const data = sameLabelData();
let dir: string;
let duck: DuckDbEngine;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mixedgpu-same-label-'));
  writeFileSync(join(dir, 'd.parquet'), data.parquet);
  writeFileSync(join(dir, 'd.csv'), data.csv);
  duck = await DuckDbEngine.open({ threads: 1 });
});
afterAll(async () => {
  await duck?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** type-7 quantiles at 0, ¼, ½, ¾, 1 */
function quantiles7(v: number[]): number[] {
  const s = v.slice().sort((a, b) => a - b);
  return [0, 0.25, 0.5, 0.75, 1].map((p) => {
    const h = (s.length - 1) * p, lo = Math.floor(h);
    return s[lo] + (h - lo) * ((s[Math.min(lo + 1, s.length - 1)]) - s[lo]);
  });
}

function expectSameFit(got: LmmFit, mem: LmmFit): void {
  expect(got.nobs).toBe(mem.nobs);
  expect(Object.keys(got.fixef)).toEqual(Object.keys(mem.fixef));
  expect(got.model.frame.reTerms.map((t) => [t.group, t.levels])).toEqual(mem.model.frame.reTerms.map((t) => [t.group, t.levels]));
  expect(Math.abs(got.objective - mem.objective) / Math.abs(mem.objective)).toBeLessThan(1e-10);
  // the engines' quantiles join the conditional modes to the rows by their keys
  const q = got.scaledResidualQuantiles!, qm = quantiles7(Array.from(mem.pearsonResiduals, (r) => r / mem.sigma));
  for (let k = 0; k < qm.length; k++) expect(Math.abs(q[k] - qm[k]), `residual quantile ${k}`).toBeLessThan(1e-6);
}

describe('numeric factor codes with one printed label are one level in the engines', () => {
  it('the data have such codes, and the in-memory frame merges them', async () => {
    const mem = await lmer(SAME_LABEL_FORMULAS[0], data.table, { factors: SAME_LABEL_FACTORS });
    expect(Object.keys(mem.fixef)).toEqual(['(Intercept)', 'x', 'k1', 'k2']);
    expect(mem.model.frame.reTerms[0].levels).toEqual(['5', '6', '7', '8', '9']);
  });
  for (const formula of SAME_LABEL_FORMULAS) {
    for (const ext of ['parquet', 'csv'] as const) {
      it(`stream (${ext}): ${formula}`, async () => {
        const mem = await lmer(formula, data.table, { factors: SAME_LABEL_FACTORS, momentStart: false });
        const src = await openBatchSource(join(dir, `d.${ext}`));
        try {
          const { fit } = await lmerStream(src, formula, { factors: SAME_LABEL_FACTORS, batchSize: 16 });
          expectSameFit(fit, mem);
        } finally {
          await src.close();
        }
      });
      it(`DuckDB (${ext}): ${formula}`, async () => {
        const mem = await lmer(formula, data.table, { factors: SAME_LABEL_FACTORS, momentStart: false });
        const file = join(dir, `d.${ext}`);
        const { fit } = await lmerSql(duck, { from: duckdbSource(file), name: file }, formula, { factors: SAME_LABEL_FACTORS });
        expectSameFit(fit, mem);
      });
    }
  }
});
