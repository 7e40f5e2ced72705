/**
 * What ranova and drop1 refuse, each with the reason named, and drop1 on a fit whose rows are in a
 * stream (it needs only A's XᵀX block and the term structure: the same table as in memory).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { glmer, lmer } from '../../src/index.js';
import { lmerStream } from '../../src/gram/stream/lmer.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { ranovaTable } from '../../src/inference/ranova.js';
import { drop1Table } from '../../src/inference/drop1.js';
import { loadDataFile } from '../helpers/inference.js';

const sleep = () => loadDataFile('sleepstudy.csv');
const F = 'Reaction ~ Days + (Days | Subject)';

describe('ranova and drop1 refuse', () => {
  it('a glmer fit (lmerTest: lmer fits only)', async () => {
    const g = await glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', loadDataFile('cbpp.csv'), { family: 'binomial' });
    await expect(ranovaTable(g as never)).rejects.toThrow(/only for linear mixed models \(lmer fits\)/);
    expect(() => drop1Table(g as never)).toThrow(/only for linear mixed models \(lmer fits\)/);
  });

  it('a fixed residual σ and priors (not lme4\'s criterion)', async () => {
    const fixed = await lmer(F, sleep(), { factors: ['Subject'], sigma: 25 });
    await expect(fixed.ranova()).rejects.toThrow(/ranova .* fixed residual σ/);
    expect(() => fixed.drop1()).toThrow(/fixed residual σ/);
    const blme = await lmer(F, sleep(), { factors: ['Subject'], prior: 'blme' });
    await expect(blme.ranova()).rejects.toThrow(/ranova .* priors/);
  });

  it('a known covariance matrix (relmat)', async () => {
    const levels = [...new Set(Array.from(sleep().getChild('Subject')!.toArray(), String))];
    const matrix = levels.map((_, i) => levels.map((__, j) => (i === j ? 1 : 0)));
    const fit = await lmer('Reaction ~ Days + (1 | Subject)', sleep(), { factors: ['Subject'], relmat: { Subject: { levels, matrix } } });
    await expect(fit.ranova()).rejects.toThrow(/known covariance matrix \(relmat: 'Subject'\)/);
  });

  it('a model that dropped rows with missing values (a reduced model could use more rows)', async () => {
    const text = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'data', 'sleepstudy.csv'), 'utf8').split('\n');
    text[5] = text[5].replace(/^[^,]*/, 'NA');
    const { readCsv } = await import('../../src/io/csv.js');
    const fit = await lmer(F, readCsv(text.join('\n')).table, { factors: ['Subject'] });
    await expect(fit.ranova()).rejects.toThrow(/dropped 1 row with missing values.*number of rows in use has changed/);
  });

  it('reduceTerms that is not a boolean', async () => {
    const fit = await lmer(F, sleep(), { factors: ['Subject'] });
    await expect(fit.ranova({ reduceTerms: 'no' as never })).rejects.toThrow(/reduceTerms must be true or false/);
  });

  it('drop1 on a rank-deficient design: rows of NaN where the other terms span the term (lmerTest\'s NA)', async () => {
    const d = loadDataFile('anova_types.csv');
    const { tableFromArrays } = await import('apache-arrow');
    const x = d.getChild('x')!.toArray() as Float64Array;
    const t = tableFromArrays({ y: d.getChild('y')!.toArray() as Float64Array, x, x2: x.map((v) => 2 * v), g: Array.from(d.getChild('g')!.toArray(), String) });
    const fit = await lmer('y ~ x + x2 + (1 | g)', t);
    const rows = fit.drop1();
    expect(rows.map((r) => r.term)).toEqual(['x', 'x2']);
    expect(rows.every((r) => Number.isNaN(r.F) && Number.isNaN(r.numdf))).toBe(true);
  });

  it("drop1 with Kenward-Roger's ddf and prior weights: Satterthwaite's, with the reason (pbkrtest ignores the weights)", async () => {
    const fit = await lmer('Reaction ~ Days + (1 | Subject)', loadDataFile('sleepstudy_weighted.csv'), { factors: ['Subject'], weights: 'w' });
    const d = drop1Table(fit, { ddf: 'kenward-roger' });
    expect(d.ddf).toBe('satterthwaite');
    expect(d.messages.join('\n')).toMatch(/Unable to compute Kenward-Roger's method \(.*prior weights.*\): using Satterthwaite instead/);
  });

  it("drop1's scope: a subset of the marginal terms (the same rows); a contained term or an empty scope refused", async () => {
    const fit = await lmer('y ~ A * B + x * z + (1 | g)', loadDataFile('anova_types.csv'));
    const all = fit.drop1();
    expect(fit.drop1({ scope: ['x:z'] })).toEqual([all[1]]);
    expect(() => fit.drop1({ scope: ['A'] })).toThrow("drop1: only marginal terms can be dropped from the model ('A' is not among 'A:B', 'x:z')");
    expect(() => fit.drop1({ scope: [] })).toThrow(/'scope' should be a list of names of terms/);
  });

  it("drop1 with Kenward-Roger's ddf on an ML fit", async () => {
    const fit = await lmer(F, sleep(), { factors: ['Subject'], REML: false });
    expect(() => fit.drop1({ ddf: 'kenward-roger' })).toThrow(/only available for REML model fits/);
  });
});

describe('a fit whose rows are in a stream', () => {
  it('ranova is refused (it needs the rows); drop1 equals the in-memory table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ranova-'));
    try {
      const file = join(dir, 'd.csv');
      writeFileSync(file, readFileSync(join(import.meta.dirname, '..', 'fixtures', 'data', 'anova_types.csv'), 'utf8'));
      const formula = 'y ~ A * B + x * z + (1 | g)';
      const src = await openBatchSource(file);
      let eng;
      try { eng = (await lmerStream(src, formula, { batchSize: 50 })).fit; } finally { await src.close(); }
      await expect(eng.ranova()).rejects.toThrow(/ranova .*rows are in a stream/);
      const src2 = await openBatchSource(file);
      let aliased;
      try { aliased = (await lmerStream(src2, 'y ~ x + I(2 * x) + (1 | g)', { batchSize: 50 })).fit; } finally { await src2.close(); }
      expect(() => aliased.drop1()).toThrow(/drop1 of a rank-deficient fixed-effects design: .*rows are in a stream/);
      const mem = await lmer(formula, loadDataFile('anova_types.csv'));
      const a = eng.drop1(), b = mem.drop1();
      expect(a.map((r) => r.term)).toEqual(['A:B', 'x:z']);
      a.forEach((r, k) => { for (const key of ['sumsq', 'dendf', 'F', 'p'] as const) expect(Math.abs(r[key] - b[k][key]) / Math.abs(b[k][key])).toBeLessThan(1e-6); });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
