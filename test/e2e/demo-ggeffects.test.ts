/**
 * The browser app's Adjusted predictions (ggeffects) card and its Tidy output exports, in Node (no browser):
 * what the card offers for a fit (demo/src/ggeffectsRun.ts ggSetup: the fixed part's variables and the
 * one-variable grouping factors; a model with an offset refused with the library's message), the worker's
 * run equal to the library's ggpredict / ggemmeans of the same fit, value for value (the same code on the
 * same fit: exact), and through it ggeffects 1.2.0's own values (test/fixtures/ggeffects/ggeffects.json,
 * sleepstudy's default Days grid, at 1e-6 relative: the fit at our optimum, the library's own tolerance in
 * test/ggeffects.test.ts); the terms' checks as typed (the library's parser, levels and numbers), the
 * request with each bad field named, the table and CSV with ggeffects's column names, the plot's rows, the
 * address's round trips; a streamed fit's card (the library's scans over its file for default values); broom.mixed's tidy, glance and augment as the worker
 * writes them equal to the library's tables (tidyCsv) and augment of a streamed fit refused with its message.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { glmer, lmer, readCsv, type GlmmFit, type LmmFit } from '../../src/index.js';
import { ggemmeans, ggpredict } from '../../src/inference/ggpredict.js';
import { tidy } from '../../src/broom/tidy.js';
import { glance } from '../../src/broom/glance.js';
import { augment } from '../../src/broom/augment.js';
import { tidyCsv } from '../../src/broom/table.js';
import { lmerStream } from '../../src/gram/stream/lmer.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { ggSetup, runGgeffects } from '../../demo/src/ggeffectsRun.js';
import { augmentRefusal, tidyExportCsv } from '../../demo/src/tidyRun.js';
import { type GgFields, GgFieldError, checkTerm, ggCsv, ggFieldsOf, ggPlotRows, ggRequest, ggTable, ggUrlOf, termText } from '../../demo/src/ggeffects.js';
import { tidyFileName, tidyRequest } from '../../demo/src/tidyExport.js';
import { readUrlState, writeUrlState } from '../../demo/src/urlState.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dataPath = (name: string) => join(ROOT, 'test/fixtures/data', name);
const csvTable = (name: string) => readCsv(readFileSync(dataPath(name), 'utf8')).table;
const sleep = csvTable('sleepstudy.csv');

interface FixtureRow { x: number | string; predicted: number; 'std.error': number; 'conf.low': number; 'conf.high': number }
const fixture = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/ggeffects/ggeffects.json'), 'utf8')) as { cases: { name: string; rows: FixtureRow[] }[] };
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

const fields = (terms: [string, string][], over: Partial<GgFields> = {}): GgFields => ({
  method: 'ggpredict', type: 'fixed', level: '0.95',
  terms: [0, 1, 2].map((k) => ({ variable: terms[k]?.[0] ?? '', values: terms[k]?.[1] ?? '' })), ...over,
});

describe('Adjusted predictions (ggeffects) card (worker and page logic)', () => {
  let fit: LmmFit;
  let gfit: GlmmFit;
  beforeAll(async () => {
    fit = await lmer('Reaction ~ Days + (Days | Subject)', sleep, { factors: ['Subject'] });
    gfit = await glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', csvTable('cbpp.csv'), { family: 'binomial', factors: ['herd', 'period'] });
  }, 120_000);

  test("setup: the fixed part's variables, the grouping factors (type random); an offset is the library's refusal", async () => {
    expect(ggSetup(fit)).toEqual({
      refusal: null,
      variables: [
        { name: 'Days', kind: 'covariate', levels: [], nlevels: 0 },
        { name: 'Subject', kind: 'grouping', levels: fit.model.frame.reTerms[0]!.levels, nlevels: 18 },
      ],
    });
    const g = ggSetup(gfit);
    expect(g.refusal).toBeNull();
    expect(g.variables[0]).toEqual({ name: 'period', kind: 'factor', levels: ['1', '2', '3', '4'], nlevels: 4 });
    expect(g.variables[1]!.name).toBe('herd');
    // a model with an offset: the library refuses ggeffects for it, and the card says so in its words
    const off = await lmer('Reaction ~ Days + offset(Days) + (1 | Subject)', sleep, { factors: ['Subject'] });
    let libraryMessage = '';
    try { ggpredict(off, 'Days'); } catch (e) { libraryMessage = (e as Error).message; }
    expect(libraryMessage).toMatch(/offset/);
    expect(ggSetup(off).refusal).toBe(libraryMessage);
    expect(() => ggRequest(fields([['Days', '']]), ggSetup(off))).toThrow(`Adjusted predictions are not available for this fit: ${libraryMessage}`);
  }, 60_000);

  test("ggpredict of 'Days [0, 5, 9]': the worker's rows are the library's, and ggeffects 1.2.0's to 1e-6", async () => {
    const req = ggRequest(fields([['Days', '0, 5, 9']]), ggSetup(fit));
    expect(req).toEqual({ method: 'ggpredict', terms: ['Days [0, 5, 9]'], type: 'fixed', level: 0.95 });
    const m = await runGgeffects(fit, req);
    const lib = ggpredict(fit, ['Days [0, 5, 9]']);
    expect(m.rows).toEqual(lib.rows);
    expect(m.text).toBe(lib.toString());
    expect(m.title).toBe('Predicted values of Reaction');
    expect(m.xKind).toBe('numeric');
    expect(m.df).toBe(fit.nobs - fit.df);
    expect(m.adjustedFor).toEqual([{ name: 'Subject', value: '0 (population-level)' }]);
    // ggeffects 1.2.0 (sleep_days: every Days value; our fit at its optimum: 1e-6)
    const r = fixture.cases.find((c) => c.name === 'sleep_days')!.rows;
    expect(m.rows.map((x) => x.x)).toEqual([0, 5, 9]);
    for (const row of m.rows) {
      const want = r.find((x) => x.x === row.x)!;
      expect(rel(row.predicted, want.predicted)).toBeLessThan(1e-6);
      expect(rel(row.std_error, want['std.error'])).toBeLessThan(1e-6);
      expect(rel(row.conf_low, want['conf.low'])).toBeLessThan(1e-6);
      expect(rel(row.conf_high, want['conf.high'])).toBeLessThan(1e-6);
    }
    // the table and CSV: ggeffects's column names; the plot's rows
    const t = ggTable(m);
    expect(t.columns.map((c) => c.head)).toEqual(['Days', 'Predicted', 'SE (link)', '95% CI low', 'high']);
    const lines = ggCsv(m).trim().split('\n');
    expect(lines[0]).toBe('x,predicted,std.error,conf.low,conf.high');
    expect(lines[2]).toBe([5, m.rows[1]!.predicted, m.rows[1]!.std_error, m.rows[1]!.conf_low, m.rows[1]!.conf_high].join(','));
    expect(ggPlotRows(m)).toEqual(m.rows.map((x) => ({ x: x.x, predicted: x.predicted, low: x.conf_low, high: x.conf_high, group: '', facet: '' })));
  });

  test('ggemmeans, type random, a 90% level, a grouping factor as group; glmer on the response scale', async () => {
    const s = ggSetup(fit);
    const emm = await runGgeffects(fit, ggRequest(fields([['Days', 'minmax']], { method: 'ggemmeans', type: 'random' }), s));
    expect(emm.rows).toEqual(ggemmeans(fit, ['Days [minmax]'], { type: 'random' }).rows);
    const re = await runGgeffects(fit, ggRequest(fields([['Days', '0, 9'], ['Subject', '308, 309']], { type: 'random', level: '0.9' }), s));
    const lib = ggpredict(fit, ['Days [0, 9]', 'Subject [308, 309]'], { type: 'random', level: 0.9 });
    expect(re.rows).toEqual(lib.rows);
    expect(re.predictionInterval).toBe(true);
    expect(re.messages).toContain('Intervals are prediction intervals.');
    expect(ggTable(re).columns.map((c) => c.csv)).toEqual(['x', 'predicted', 'std.error', 'conf.low', 'conf.high', 'group']);
    expect(ggPlotRows(re).map((r) => r.group)).toEqual(['308', '309', '308', '309']);
    // the grouping factor with type fixed: the library's refusal
    await expect(runGgeffects(fit, ggRequest(fields([['Days', ''], ['Subject', '308']]), s))).rejects.toThrow(/groups random effects; predictions at its levels are ggpredict's with type 'random'/);
    const g = await runGgeffects(gfit, ggRequest(fields([['period', '']]), ggSetup(gfit)));
    expect(g.rows).toEqual(ggpredict(gfit, 'period').rows);
    expect(g.xKind).toBe('factor');
    expect(g.title).toBe('Predicted probabilities of cbind(incidence, size - incidence)');
    expect(g.df).toBe(Infinity);
    expect(ggTable(g).caption).toMatch(/normal quantile/);
  });

  test('terms checked as typed: the library\'s parser, levels, numbers, roles; each bad field named', () => {
    const s = ggSetup(fit);
    const gs = ggSetup(gfit);
    expect(termText('Days', '[0, 5, 9]')).toBe('Days [0, 5, 9]');
    expect(termText('Days', '  ')).toBe('Days');
    expect(checkTerm('x', 'Days', '0:9 by = 3', s)).toBe('Days [0:9 by = 3]');
    expect(checkTerm('x', 'Days', 'meansd', s)).toBe('Days [meansd]');
    expect(checkTerm('x', 'period', '1, 3', gs)).toBe('period [1, 3]');
    const err = (f: () => unknown): GgFieldError => { try { f(); } catch (e) { return e as GgFieldError; } throw new Error('no error'); };
    const e1 = err(() => checkTerm('x', 'Days', 'low, high', s));
    expect(e1).toBeInstanceOf(GgFieldError);
    expect(e1.field).toBe('x');
    expect(e1.message).toMatch(/^x: 'low' is not a number, and 'Days' is a covariate/);
    expect(err(() => checkTerm('group', 'period', '5', gs)).message).toBe("group: '5' is not a level of 'period' (its levels: 1, 2, 3, 4)");
    expect(err(() => checkTerm('x', 'period', 'meansd', gs)).message).toMatch(/^x: 'period' is a factor; give some of its levels/);
    // the library's parser's own messages
    expect(err(() => checkTerm('x', 'Days', 'sample = 3', s)).message).toMatch(/^x: term 'Days \[sample = 3\]': ggeffects's random sample/);
    expect(err(() => checkTerm('x', 'Days', '9:0', s)).message).toMatch(/^x: term 'Days \[9:0\]': a range must be/);
    expect(err(() => checkTerm('x', 'Days', 'n = 0', s)).message).toMatch(/n must be a whole number/);
    expect(err(() => checkTerm('x', 'Days', '1,,2', s)).message).toMatch(/empty value between commas/);
    expect(err(() => checkTerm('x', 'Days', '[1] [2]', s)).message).toMatch(/one pair of brackets/);
    expect(err(() => checkTerm('x', 'Nope', '', s)).message).toMatch(/^x: 'Nope' is not a variable of the model's fixed part/);
    // the request's fields
    expect(err(() => ggRequest(fields([]), s)).field).toBe('x');
    expect(err(() => ggRequest(fields([['', ''], ['Days', '']]), s)).message).toBe("group: choose x first (ggeffects's terms are x, then group, then facet)");
    expect(err(() => ggRequest(fields([['Days', ''], ['Days', '1']]), s)).message).toBe("group: 'Days' is already a focal term");
    expect(err(() => ggRequest(fields([['Days', '']], { level: '95' }), s)).field).toBe('level');
    expect(err(() => ggRequest(fields([['', '1, 2']]), s)).message).toBe("x: choose a variable for the values '1, 2'");
    expect(err(() => ggRequest(fields([['Days', '']], { type: 're' }), s)).field).toBe('type');
  });

  test("the card's state in the address: round trips, defaults left out, invalid values dropped", () => {
    const f = fields([['Days', '0, 5, 9'], ['Subject', '308, 309']], { method: 'ggemmeans', type: 'random', level: '0.9' });
    const q = writeUrlState({ example: 'sleepstudy', gg: ggUrlOf(f) });
    const p = new URLSearchParams(q);
    expect(p.get('gg')).toBe('1');
    expect(p.get('ggx')).toBe('Days [0, 5, 9]');
    expect(p.get('ggg')).toBe('Subject [308, 309]');
    expect(p.get('ggm')).toBe('ggemmeans');
    const back = readUrlState(q).gg!;
    expect(ggFieldsOf(back)).toEqual(f);
    // defaults: ggpredict, fixed, 0.95 and no terms are left out
    expect(writeUrlState({ gg: ggUrlOf(fields([])) })).toBe('?gg=1');
    expect(readUrlState('?gg=1&ggm=other&ggt=x&ggl=2&ggg=Days').gg).toEqual({});
  });

  test("a streamed fit: the card is offered; default and bracketed values give the in-memory fit's predictions (the file scanned for them)", async () => {
    const src = await openBatchSource(dataPath('sleepstudy.csv'));
    let sfit: LmmFit;
    try {
      sfit = (await lmerStream(src, 'Reaction ~ Days + (Days | Subject)', { factors: ['Subject'], batchSize: 40 })).fit;
      // the same choices as the in-memory fit's card
      const s = ggSetup(sfit);
      expect(s).toEqual(ggSetup(fit));
      const before = sfit.model.source!.queries.length;
      const cases: [[string, string][], Partial<GgFields>][] = [
        [[['Days', '']], {}], [[['Days', 'quart2']], { method: 'ggemmeans' }], [[['Days', 'fivenum']], { type: 'random' }],
        [[['Days', '0, 9'], ['Subject', '308, 309']], { type: 'random' }],
      ];
      for (const [f, over] of cases) {
        const req = ggRequest(fields(f, over), s);
        const a = await runGgeffects(fit, req), b = await runGgeffects(sfit, req);
        // the same grid exactly; the numbers to 1e-6 (the two fits reach θ̂ by different optimizer paths — the
        // in-memory fit starts from moment estimates —, agreeing to ~1e-8: test/gram/ggeffectsEngines.test.ts
        // compares tight fits of one path at 1e-10)
        expect(b.rows.map((r) => [r.x, r.group])).toEqual(a.rows.map((r) => [r.x, r.group]));
        b.rows.forEach((r, i) => {
          for (const k of ['predicted', 'std_error', 'conf_low', 'conf_high'] as const) expect(rel(r[k], a.rows[i]![k])).toBeLessThan(1e-6);
        });
        expect(b.adjustedFor).toEqual(a.adjustedFor);
      }
      for (const [name, v] of Object.entries(fit.fixef)) expect(rel(sfit.fixef[name]!, v)).toBeLessThan(1e-6);
      // the default values took passes over the file, recorded on the fit's source
      expect(sfit.model.source!.queries.slice(before).map((q) => q.stage)).toContain('ggeffects: distinct values of Days (1 scan)');
    } finally {
      await src.close();
    }
    // augment: the library's refusal; tidy and glance are written
    let augmentMessage = '';
    try { augment(sfit); } catch (e) { augmentMessage = (e as Error).message; }
    expect(augmentRefusal(sfit)).toBe(augmentMessage);
    expect(augmentRefusal(fit)).toBeNull();
    await expect(tidyExportCsv(sfit, null, { what: 'augment' })).rejects.toThrow(augmentMessage);
    expect(await tidyExportCsv(sfit, null, { what: 'glance' })).toBe(tidyCsv(glance(sfit)));
  }, 60_000);

  test("tidy, glance and augment as the worker writes them: the library's tables, broom's column names", async () => {
    const req = tidyRequest({ effects: ['ran_vals', 'fixed', 'ran_pars'], confInt: true });
    expect(req).toEqual({ what: 'tidy', effects: ['fixed', 'ran_pars', 'ran_vals'], confInt: true });
    const text = await tidyExportCsv(fit, sleep, req);
    expect(text).toBe(tidyCsv(await tidy(fit, { effects: ['fixed', 'ran_pars', 'ran_vals'], confInt: true })));
    expect(text.split('\n')[0]).toBe('"effect","group","level","term","estimate","std.error","statistic","conf.low","conf.high"');
    expect(text.split('\n')[1]).toMatch(/^"fixed",NA,NA,"\(Intercept\)",251\.405/);
    const gl = await tidyExportCsv(gfit, null, { what: 'glance' });
    expect(gl).toBe(tidyCsv(glance(gfit)));
    expect(gl.split('\n')[0]).toBe('"nobs","sigma","logLik","AIC","BIC","deviance","df.residual"');
    const au = await tidyExportCsv(fit, sleep, { what: 'augment' });
    expect(au).toBe(tidyCsv(augment(fit, { data: sleep })));
    expect(au.split('\n')[0]).toBe('"Reaction","Days","Subject",".fitted",".resid",".hat",".cooksd",".fixed",".mu",".offset",".sqrtXwt",".sqrtrwt",".weights",".wtres"');
    expect(au.trim().split('\n').length).toBe(181);
    expect(() => tidyRequest({ effects: [], confInt: false })).toThrow('effects: tick at least one of fixed, ran_pars, ran_vals for tidy()');
    expect(() => tidyRequest({ effects: ['ran_coefs'], confInt: false })).toThrow(/'ran_coefs' is not one of/);
    expect(tidyFileName('sleepstudy', { what: 'glance' })).toBe('sleepstudy_glance.csv');
  });
});
