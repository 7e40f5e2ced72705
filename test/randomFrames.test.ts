/**
 * Randomized differential audit of the model frame, the fixed-effects model matrix and predict
 * against lme4 1.1-31 (test/oracle/randomFrames.ts generates 200 cases from a seed: factor codings
 * with and without the intercept and main effects, interactions, powers, removals, I(), log(),
 * scale(), offset(), numeric codes as factors, empty cells and aliased or collinear columns,
 * missing values, levels only in dropped rows, C and ICU collation, Arrow dictionaries with unused
 * entries, factors in random-effects terms; test/oracle/random_frames.R records lme4's answers).
 *
 * For every case: the fixed-effects column names and order before and after the rank check (so
 * which columns are dropped), the message, the levels of the factors, nobs and the rows na.omit
 * dropped; at lme4's θ, β (to 1e-6 of max(|β|, SE)), the REML criterion or deviance (1e-8
 * relative), and predict on new data at population level and with new levels (to 1e-6 of
 * max(|prediction|, σ); NA where lme4 gives NA); where lme4 refuses the model, that we do; and our
 * own optimum no worse than lme4's (tight nloptwrap) by more than 1e-6.
 *
 * Regenerate: npx vite-node test/oracle/exportRandomFrames.ts DIR && Rscript test/oracle/random_frames.R DIR
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { fitAtTheta } from './helpers/atTheta.js';
import { buildLmm } from '../src/lmm/model.js';
import { lmer } from '../src/fit/lmer.js';
import { modelMatrix } from '../src/frame/modelMatrix.js';
import { randomFrameTable } from './helpers/randomFrameTable.js';
import { type FrameCase, generateRandomFrames } from './oracle/randomFrames.js';

const dir = join(import.meta.dirname, 'fixtures', 'random-frame');

interface Lme4Case {
  name: string;
  formula: string;
  reml: boolean;
  error?: string;
  colnames_full: string[];
  colnames: string[];
  dropped: string[];
  messages: string[];
  fixef: number[];
  se: number[];
  theta_names: string[];
  theta: number[];
  sigma: number;
  criterion: number;
  nobs: number;
  na_dropped: number;
  levels: Record<string, string[]>;
  /** lme4's predictions, or its error */
  predict_population: (number | null)[];
  predict_new_levels: (number | null)[];
}

const index = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as {
  seed: number; count: number; cases: (Omit<FrameCase, 'csv' | 'newdata'> & { csvSha256: string; newdataSha256: string })[];
};
const lme4 = JSON.parse(readFileSync(join(dir, 'lme4.json'), 'utf8')) as { lme4: string; cases: Lme4Case[] };
const cases = generateRandomFrames(index.seed, index.count);
const byName = new Map(cases.map((c) => [c.name, c]));
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

const table = randomFrameTable;


/** `actual` within `tol` of lme4's `expected` (null: a missing prediction, NaN here) */
function expectClose(actual: ArrayLike<number>, expected: (number | null)[], tol: (k: number) => number, what: string): void {
  expect(Array.isArray(expected), `${what}: lme4 refused (${JSON.stringify(expected)})`).toBe(true);
  expect(actual.length, what).toBe(expected.length);
  for (let k = 0; k < expected.length; k++) {
    const e = expected[k];
    if (e === null) { expect(Number.isNaN(actual[k]), `${what}[${k}] missing`).toBe(true); continue; }
    expect(Math.abs(actual[k] - e), `${what}[${k}]: ${actual[k]} vs lme4 ${e}`).toBeLessThanOrEqual(tol(k));
  }
}

describe('random frames: the fixtures', () => {
  it('are what the seeded generator makes (the data R fitted)', () => {
    expect(cases.map(({ csv, newdata, ...rest }) => ({ ...rest, csvSha256: sha(csv), newdataSha256: sha(newdata) }))).toEqual(index.cases);
    expect(lme4.cases.map((c) => [c.name, c.formula, c.reml])).toEqual(index.cases.map((c) => [c.name, c.formula, c.reml]));
  });

  it('cover the features the audit is about', () => {
    const shapes = new Set(index.cases.map((c) => c.shape));
    expect(shapes.size).toBeGreaterThan(30);
    expect(lme4.cases.filter((c) => c.dropped?.length > 0).length).toBeGreaterThan(20);
    expect(lme4.cases.filter((c) => c.na_dropped > 0).length).toBeGreaterThan(50);
    expect(lme4.cases.filter((c) => c.formula.includes('0 +') || c.formula.includes('- 1')).length).toBeGreaterThan(15);
    expect(index.cases.filter((c) => c.levelOrder === 'C').length).toBeGreaterThan(15);
    expect(index.cases.filter((c) => c.dictionary).length).toBeGreaterThan(15);
    expect(cases.filter((c) => c.csv.includes(',a0,') || c.csv.includes(',A0,')).length).toBeGreaterThan(20);
    expect(index.cases.filter((c) => c.factors.includes('d')).length).toBeGreaterThan(20);
    expect(index.cases.filter((c) => /\(0 \+ [ab] \| g\)|g:b/.test(c.formula)).length).toBeGreaterThan(20);
    expect(index.cases.filter((c) => / - (w|z|log\(z\))/.test(c.formula)).length).toBeGreaterThanOrEqual(2);
    // lme4 refuses a few (a factor left with one level), and gives NA predictions for some rows
    expect(lme4.cases.filter((c) => c.error).length).toBeGreaterThanOrEqual(3);
    expect(lme4.cases.filter((c) => Array.isArray(c.predict_new_levels) && c.predict_new_levels.includes(null)).length).toBeGreaterThan(10);
  });
});

describe('random frames: model frame, β, criterion and predict at lme4\'s θ', () => {
  it.each(lme4.cases.map((r) => [r.name, r.formula, r] as const))('%s %s', (name, _formula, r) => {
    const c = byName.get(name)!;
    const t = table(c);
    if (r.error) {
      // lme4 refuses the model: so do we (a one-level factor: the same reason)
      expect(() => buildLmm(c.formula, t, { REML: c.reml, factors: c.factors })).toThrow(r.error.includes('2 or more levels') ? /2 or more levels/ : /./);
      return;
    }
    const model = buildLmm(c.formula, t, { REML: c.reml, factors: c.factors });
    const frame = model.frame;
    // the model frame
    expect(frame.n, 'nobs').toBe(r.nobs);
    expect(frame.nDropped, 'rows dropped by na.omit').toBe(r.na_dropped);
    for (const [v, levels] of Object.entries(r.levels)) {
      const col = frame.columns.get(v);
      const got = col?.kind === 'factor' ? col.levels : frame.reTerms.find((x) => x.group === v)?.levels;
      if (got) expect(got, `levels of ${v}`).toEqual(levels);
    }
    // the fixed-effects columns before and after the rank check
    const full = modelMatrix(frame.formula.fixed, (label) => frame.columns.get(label)!, frame.n).names;
    expect(full, 'model.matrix columns').toEqual(r.colnames_full);
    expect(frame.xnames, 'columns kept').toEqual(r.colnames);
    const rank = frame.messages.find((m) => m.includes('rank deficient'));
    if (r.dropped.length > 0) {
      expect(rank).toContain(`rank deficient so dropping ${r.dropped.length} column`);
      expect(rank).toContain(`(${r.dropped.join(', ')})`);
    } else {
      expect(rank).toBeUndefined();
    }
    // at lme4's θ
    expect(model.theta.names).toEqual(r.theta_names);
    const fit = fitAtTheta(model, r.theta);
    expect(Math.abs(fit.objective - r.criterion), `criterion ${fit.objective} vs ${r.criterion}`).toBeLessThan(1e-8 * Math.max(1, Math.abs(r.criterion)));
    expectClose(Object.values(fit.fixef), r.fixef, (k) => 1e-6 * Math.max(Math.abs(r.fixef[k]), r.se[k]), 'β');
    const nd = readCsv(c.newdata, { levelOrder: c.levelOrder }).table;
    const tol = (p: (number | null)[]) => (k: number) => 1e-6 * Math.max(Math.abs(p[k] ?? 0), r.sigma);
    expectClose(fit.predict(nd, { groups: false }), r.predict_population, tol(r.predict_population), 'predict re.form = NA');
    expectClose(fit.predict(nd, { allowNewLevels: true }), r.predict_new_levels, tol(r.predict_new_levels), 'predict allow.new.levels');
  });
});

describe('random frames: our optimum is no worse than lme4\'s', () => {
  it.each(lme4.cases.filter((r) => !r.error).map((r) => [r.name, r.formula, r] as const))('%s %s', async (name, _formula, r) => {
    const c = byName.get(name)!;
    const fit = await lmer(c.formula, table(c), { REML: c.reml, factors: c.factors });
    expect(fit.nobs).toBe(r.nobs);
    expect(Object.keys(fit.fixef)).toEqual(r.colnames);
    expect(fit.objective).toBeLessThanOrEqual(r.criterion + 1e-6);
  });
});
