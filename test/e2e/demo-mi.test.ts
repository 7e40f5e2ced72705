/**
 * The browser app's Multiple imputation card (mitml 0.4-4's testEstimates and testModels, mice 3.15's pool), in
 * Node (no browser): the worker's results (demo/src/miRun.ts: the page's model fitted per imputation with the
 * Fit button's runFit, then the library's ImputedFits) equal lmerImputed's / glmerImputed's with the same options
 * exactly — the same numbers and the same printouts. The library's numbers are tested against mitml and mice in
 * test/mitml.test.ts. Then the page's logic: each bad field named (and the library's refusals named by
 * miFieldOf), the R calls, the CSVs, progress per imputation and Cancel, the address.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import type * as arrow from 'apache-arrow';
import { readFileSync } from 'node:fs';
import { readCsv } from '../../src/io/csv.js';
import { type ImputedFits, glmerImputed, lmerImputed, printTestModels } from '../../src/fit/imputed.js';
import { MiRunError, miFieldOf, printPoolSummary, runMi } from '../../demo/src/miRun.js';
import {
  MiFieldError, type MiFields, defaultMiFields, imputationColumns, isImputationName, miCalls, miErrorText, miEstimatesCsv, miPoolCsv, miRequest, miTestCsv, miUrlOf,
} from '../../demo/src/miCard.js';
import type { FitRequest, MiField, MiMsg, MiRequest } from '../../demo/src/protocol.js';
import { cardReply } from '../../demo/src/requests.js';
import { readUrlState, writeUrlState } from '../../demo/src/urlState.js';
import { EXAMPLES } from '../../demo/src/load.js';

const table: arrow.Table = readCsv(readFileSync(new URL('../fixtures/mitml/imputed_long.csv', import.meta.url))).table;
const LMER = 'ReadAchiev ~ ReadDis + SES + Sex + (1 + Sex | ID)';
const LMER0 = 'ReadAchiev ~ ReadDis + (1 + Sex | ID)';
const GLMER = 'I(ReadAchiev > 500) ~ ReadDis + Sex + (1 | ID)';
const GLMER0 = 'I(ReadAchiev > 500) ~ ReadDis + (1 | ID)';

const lmerFit = (over: Partial<FitRequest> = {}): FitRequest => ({ formula: LMER, factors: [], reml: true, backend: 'cpu', family: 'gaussian', ...over });
const fields = (over: Partial<MiFields> = {}): MiFields => ({ ...defaultMiFields(), ...over });

describe('Multiple imputation (mitml, mice) card: worker and page logic', () => {
  let fits: ImputedFits, fits0: ImputedFits, ml: ImputedFits, ml0: ImputedFits;
  beforeAll(async () => {
    fits = await lmerImputed(LMER, table, { backend: 'cpu' });
    fits0 = await lmerImputed(LMER0, table, { backend: 'cpu' });
    ml = await lmerImputed(LMER, table, { backend: 'cpu', REML: false });
    ml0 = await lmerImputed(LMER0, table, { backend: 'cpu', REML: false });
  }, 120_000);

  test("lmer: testEstimates (extra.pars, df.com), pool and testModels D1 are lmerImputed's to the last bit, with mitml's printouts; progress per imputation", async () => {
    const req = miRequest(fields({ extraPars: true, dfCom: '100', nullFormula: LMER0 }), lmerFit());
    expect(req).toMatchObject({ imp: '.imp', extraPars: true, dfCom: 100, nullFormula: LMER0, method: 'D1', use: 'wald' });
    const progress: { done: number; total: number; label: string }[] = [];
    const m = await runMi(table, req, { onProgress: (p) => progress.push(p) });
    const est = fits.testEstimates({ extraPars: true, dfCom: 100 });
    expect(m.kind).toBe('lmer');
    expect(m.m).toBe(5);
    expect(m.estimates).toEqual(est.estimates.rows);
    expect(m.extraPars).toEqual(est.extraPars);
    expect(m.extraPars!.map((x) => x.term)).toEqual(['Intercept~~Intercept|ID', 'SexGirl~~SexGirl|ID', 'Intercept~~SexGirl|ID', 'Residual~~Residual', 'ICC|ID']);
    expect(m.estimatesText).toBe(fits.printEstimates(est));
    expect(m.estimatesText).toMatch(/^Final parameter estimates and inferences obtained from 5 imputed data sets\./);
    expect(m.estimatesText).toContain('Hypothesis test adjusted for small samples with df=[100]');
    expect(m.pool).toEqual(fits.pool({ dfCom: 100 }));
    expect(m.poolText).toBe(printPoolSummary(fits.pool({ dfCom: 100 })));
    expect(m.poolText.split('\n')[0]).toMatch(/^\s+estimate\s+std\.error\s+statistic\s+df\s+p\.value$/);
    const t = await fits.testModels(fits0, { method: 'D1', dfCom: 100 });
    expect(m.test).toEqual({ F: t.F, df1: t.df1, df2: t.df2, p: t.p, riv: t.riv, method: 'D1', use: 'wald', reml: true, refit: false });
    expect(m.testText).toBe(printTestModels(t));
    expect(m.testText).toMatch(/^Model comparison calculated from 5 imputed data sets\.\nCombination method: D1\n/);
    // progress after each imputation's fit: the model's 5, then the null model's 5
    expect(progress.map((p) => p.done)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(progress.every((p) => p.total === 10)).toBe(true);
    expect(progress[0]!.label).toBe('model, imputation 1 of 5');
    expect(progress[9]!.label).toBe('null model, imputation 5 of 5');
  }, 120_000);

  test("without df.com: mice's default df.com in pool, Rubin's df in testEstimates; D2 (likelihood) and D3 refit REML by ML as the library does", async () => {
    const m = await runMi(table, miRequest(fields({ nullFormula: LMER0, method: 'D2', use: 'likelihood' }), lmerFit()));
    expect(m.extraPars).toBeNull();
    expect(m.estimates).toEqual(fits.testEstimates().estimates.rows);
    expect(m.estimatesText).toContain('Unadjusted hypothesis test as appropriate in larger samples.');
    expect(m.pool).toEqual(fits.pool());
    expect(m.pool[0]!.dfcom).toBe(fits.dfComMice);
    const d2 = await fits.testModels(fits0, { method: 'D2', use: 'likelihood' });
    expect(m.test).toMatchObject({ F: d2.F, df1: d2.df1, df2: d2.df2, p: d2.p, riv: d2.riv, method: 'D2', use: 'likelihood', refit: true });
    expect(m.testText).toBe(printTestModels(d2));
    expect(m.testText).toContain('Models originally fitted with REML were refitted using ML.');
    // ML fits (the page's ML criterion) and D3
    const d3m = await runMi(table, miRequest(fields({ nullFormula: LMER0, method: 'D3' }), lmerFit({ reml: false })));
    const d3 = await ml.testModels(ml0, { method: 'D3' });
    expect(d3m.test).toMatchObject({ F: d3.F, df2: d3.df2, p: d3.p, riv: d3.riv, method: 'D3', use: 'likelihood', reml: false });
    expect(d3m.testText).toBe(printTestModels(d3));
    expect(d3m.estimates).toEqual(ml.testEstimates().estimates.rows);
    // D4: both models fitted again to the imputations stacked (the page's fits' recorded calls)
    const d4m = await runMi(table, miRequest(fields({ nullFormula: LMER0, method: 'D4' }), lmerFit({ reml: false })));
    const d4 = await ml.testModels(ml0, { method: 'D4' });
    expect(d4m.test).toMatchObject({ F: d4.F, df2: d4.df2, p: d4.p, riv: d4.riv, method: 'D4', use: 'likelihood', reml: false });
    expect(d4m.testText).toBe(printTestModels(d4));
    expect(d4m.testText).toContain('Data for stacking were automatically extracted from the fitted models.');
  }, 120_000);

  test("glmer (the page's binomial family): glmerImputed's numbers and printouts; D3 refused naming the method field", async () => {
    const fit = lmerFit({ formula: GLMER, family: 'binomial', nAGQ: 1 });
    const m = await runMi(table, miRequest(fields({ nullFormula: GLMER0, method: 'D2' }), fit));
    const g = await glmerImputed(GLMER, table, { family: 'binomial', backend: 'cpu' });
    const g0 = await glmerImputed(GLMER0, table, { family: 'binomial', backend: 'cpu' });
    expect(m.kind).toBe('glmer');
    expect(m.estimates).toEqual(g.testEstimates().estimates.rows);
    expect(m.estimatesText).toBe(g.printEstimates(g.testEstimates()));
    expect(m.pool).toEqual(g.pool());
    const d2 = await g.testModels(g0, { method: 'D2' });
    expect(m.testText).toBe(printTestModels(d2));
    expect(miCalls(m.request).fit).toBe('fit <- with(implist, glmer(I(ReadAchiev > 500) ~ ReadDis + Sex + (1 | ID), family = binomial))');
    const refused = await runMi(table, miRequest(fields({ nullFormula: GLMER0, method: 'D3' }), fit)).catch((e: unknown) => e);
    expect(miFieldOf(refused)).toBe('method');
    expect((refused as Error).message).toMatch(/method D3 needs the log-likelihood at the pooled parameters/);
  }, 120_000);

  /** the card's field a refusal of the worker names, and its message */
  async function refusal(req: MiRequest): Promise<[MiField | null, string]> {
    const e = await runMi(table, req).then(() => null, (x: unknown) => x);
    expect(e, 'the worker refuses').toBeInstanceOf(Error);
    const field = miFieldOf(e);
    return [field, miErrorText((e as Error).message, field)];
  }

  test('bad fields named by the card; the library\'s refusals named by the field they are about', async () => {
    const bad = (over: Partial<MiFields>, fit = lmerFit()): [string, string] => {
      try { miRequest(fields(over), fit); } catch (e) { if (e instanceof MiFieldError) return [e.field, e.message]; throw e; }
      throw new Error('not refused');
    };
    expect(bad({ imp: ' ' })).toEqual(['imp', expect.stringMatching(/^imputation column: choose the column/)]);
    expect(bad({ dfCom: '-3' })).toEqual(['dfCom', "df.com: the complete-data degrees of freedom: a positive number, or empty for none, not '-3'"]);
    expect(bad({ dfCom: 'abc' })[0]).toBe('dfCom');
    expect(bad({ method: 'D5' })).toEqual(['method', "method: 'D5' is not D1, D2, D3 or D4"]);
    expect(bad({ use: 'score' })[0]).toBe('use');
    expect(bad({ nullFormula: LMER0, use: 'likelihood' })).toEqual(['use', 'use: use = "likelihood" is D2\'s option (D3 and D4 are likelihood-based by themselves); method D1 has none']);
    expect(bad({ nullFormula: 'ReadDis' })[0]).toBe('nullFormula');
    expect(bad({ nullFormula: LMER.replace(/ /g, '') })).toEqual(['nullFormula', 'null model: the null model is the model itself: leave out the terms to test']);
    expect(bad({}, lmerFit({ family: 'ordinal' }))[0]).toBe('formula');
    // the library's: an imputation column that is not there, or not an imputation column
    const noCol = await refusal(miRequest(fields({ imp: 'imp' }), lmerFit()));
    expect(noCol[0]).toBe('imp');
    expect(noCol[1]).toMatch(/^imputation column: the imputation column "imp" is not in the data/);
    const notImp = await refusal(miRequest(fields({ imp: 'ReadAchiev' }), lmerFit()));
    expect(notImp).toEqual(['imp', expect.stringMatching(/^imputation column: the imputation column "ReadAchiev" must hold whole numbers 0, 1, …, m; row 1 has 584\.18/)]);
    // a null model not nested in the model; a bad null formula; a bad model formula
    const notNested = await refusal(miRequest(fields({ nullFormula: 'ReadAchiev ~ Sex + (1 + Sex | ID)', method: 'D1' }), lmerFit({ formula: 'ReadAchiev ~ ReadDis + (1 + Sex | ID)' })));
    expect(notNested[0]).toBe('nullFormula');
    expect(notNested[1]).toMatch(/^null model: testModels: the null model \(ReadAchiev ~ Sex \+ \(1 \+ Sex \| ID\)\) is not nested in the model/);
    const badNull = await refusal(miRequest(fields({ nullFormula: 'ReadAchiev ~ Nope + (1 | ID)' }), lmerFit()));
    expect(badNull[0]).toBe('nullFormula');
    expect(badNull[1]).toMatch(/^null model: imputation 1: .*Nope/);
    const badModel = await refusal(miRequest(fields({}), lmerFit({ formula: 'ReadAchiev ~ Nope + (1 | ID)' })));
    expect(badModel[0]).toBe('formula');
    expect(badModel[1]).toMatch(/^formula: imputation 1: .*Nope/);
    expect(await refusal({ ...miRequest(fields({}), lmerFit()), fit: lmerFit({ family: 'zi_poisson' }) })).toEqual(['formula', expect.stringMatching(/^formula: multiple imputation pools lmer and glmer fits/)]);
    await expect(runMi(null, miRequest(fields({}), lmerFit()))).rejects.toThrow(MiRunError);
  }, 120_000);

  test("Cancel: the run rejects with an AbortError between imputations (after the second fit), and before the first", async () => {
    const ac = new AbortController();
    const seen: number[] = [];
    const e = await runMi(table, miRequest(fields({ nullFormula: LMER0 }), lmerFit()), { signal: ac.signal, onProgress: (p) => { seen.push(p.done); if (p.done === 2) ac.abort(); } })
      .then(() => null, (x: unknown) => x);
    expect((e as Error).name).toBe('AbortError');
    expect(seen).toEqual([1, 2]);
    const ac2 = new AbortController();
    ac2.abort();
    const e2 = await runMi(table, miRequest(fields({}), lmerFit()), { signal: ac2.signal }).then(() => null, (x: unknown) => x);
    expect((e2 as Error).name).toBe('AbortError');
  });

  test("the app's example (8 schools of the fixture, mice's long format): its formula fitted per imputation as lmerImputed fits it", async () => {
    const ex = readCsv(readFileSync(new URL('../fixtures/data/studentratings_mi.csv', import.meta.url))).table;
    expect(ex.numRows).toBe(720);
    const { formula, factors } = EXAMPLES.studentratings_mi;
    const m = await runMi(ex, miRequest(fields({ extraPars: true, nullFormula: 'ReadAchiev ~ ReadDis + (1 | ID)' }), lmerFit({ formula, factors })));
    const lib = await lmerImputed(formula, ex, { backend: 'cpu', factors });
    const lib0 = await lmerImputed('ReadAchiev ~ ReadDis + (1 | ID)', ex, { backend: 'cpu', factors });
    expect(m.m).toBe(5);
    expect(m.estimates).toEqual(lib.testEstimates().estimates.rows);
    expect(m.estimatesText).toBe(lib.printEstimates(lib.testEstimates({ extraPars: true })));
    expect(m.testText).toBe(printTestModels(await lib.testModels(lib0, { method: 'D1' })));
    expect(lib.fits.every((f) => f.nobs === 120)).toBe(true);
  }, 120_000);

  test("the R calls, the CSVs, the imputation columns offered, the replies' ledger and the address (mi=1&…)", async () => {
    const req = miRequest(fields({ extraPars: true, dfCom: '100', nullFormula: LMER0 }), lmerFit({ reml: false }));
    const c = miCalls(req);
    expect(c).toEqual({
      implist: 'implist <- as.mitml.list(split(dat[dat$.imp != 0, ], dat$.imp[dat$.imp != 0]))',
      fit: `fit <- with(implist, lmer(${LMER}, REML = FALSE))`,
      estimates: 'testEstimates(fit, extra.pars = TRUE, df.com = 100)',
      pool: 'summary(pool(fit, dfcom = 100), type = "all")',
      fit0: `fit0 <- with(implist, lmer(${LMER0}, REML = FALSE))`,
      test: 'testModels(fit, fit0, method = "D1", df.com = 100)',
    });
    expect(miCalls(miRequest(fields({ imp: 'imp no', nullFormula: LMER0, method: 'D2', use: 'likelihood' }), lmerFit())).test).toBe('testModels(fit, fit0, method = "D2", use = "likelihood")');
    expect(miCalls(miRequest(fields({ imp: 'imp no' }), lmerFit())).implist).toBe('implist <- as.mitml.list(split(dat[dat[["imp no"]] != 0, ], dat[["imp no"]][dat[["imp no"]] != 0]))');
    const m: MiMsg = await runMi(table, req);
    const est = miEstimatesCsv(m).split('\n');
    expect(est[0]).toBe('term,Estimate,Std.Error,t.value,df,P(>|t|),RIV,FMI');
    expect(est[1]).toBe(['(Intercept)', ...['estimate', 'se', 't', 'df', 'p', 'riv', 'fmi'].map((k) => String((m.estimates[0] as unknown as Record<string, number>)[k]))].join(','));
    expect(est[m.estimates.length + 1]).toBe(`Intercept~~Intercept|ID,${m.extraPars![0]!.estimate},NA,NA,NA,NA,NA,NA`);
    const pool = miPoolCsv(m).split('\n');
    expect(pool[0]).toBe('term,m,estimate,ubar,b,t,dfcom,df,riv,lambda,fmi,std.error,statistic,p.value');
    expect(pool[1]!.split(',').slice(0, 3)).toEqual(['(Intercept)', '5', String(m.pool[0]!.estimate)]);
    expect(miTestCsv(m)).toBe(`method,use,F.value,df1,df2,P(>F),RIV\nD1,wald,${m.test!.F},${m.test!.df1},${m.test!.df2},${m.test!.p},${m.test!.riv}\n`);
    // the columns offered: whole non-negative numbers without missing values, .imp first
    expect(imputationColumns([
      { name: 'y', kind: 'numeric', integer: false, nulls: 0, min: 1 }, { name: 'ID', kind: 'numeric', integer: true, nulls: 0, min: 1 },
      { name: 'g', kind: 'factor', nulls: 0 }, { name: '.imp', kind: 'numeric', integer: true, nulls: 0, min: 0 }, { name: 'neg', kind: 'numeric', integer: true, nulls: 0, min: -1 },
      { name: 'gaps', kind: 'numeric', integer: true, nulls: 2, min: 0 },
    ])).toEqual(['.imp', 'ID']);
    expect(['.imp', 'imp', 'Imputation', '.imputation', 'imputation_'].every(isImputationName)).toBe(true);
    expect(['impact', 'ID', 'm', 'Days', 'simp'].some(isImputationName)).toBe(false);
    expect(cardReply('miProgress')).toBe('progress');
    expect(cardReply('miDone')).toBe('final');
    expect(cardReply('miError')).toBe('final');
    const s = miUrlOf(fields({ imp: 'imputation', extraPars: true, dfCom: '30', nullFormula: LMER0, method: 'D2', use: 'likelihood' }));
    expect(s).toEqual({ imp: 'imputation', extraPars: true, dfCom: 30, nullFormula: LMER0, method: 'D2', use: 'likelihood' });
    const text = writeUrlState({ mi: s });
    expect(text).toBe('?mi=1&mii=imputation&mix=1&mid=30&mi0=ReadAchiev+%7E+ReadDis+%2B+%281+%2B+Sex+%7C+ID%29&mim=D2&miu=likelihood');
    expect(readUrlState(text).mi).toEqual(s);
    expect(writeUrlState({ mi: miUrlOf(fields()) })).toBe('?mi=1');
    expect(readUrlState('?mi=1&mid=-2&mim=D5&miu=score&mix=0').mi).toEqual({});
    expect(readUrlState('?mi=1&mim=D4').mi).toEqual({ method: 'D4' });
    expect(readUrlState('?mii=.imp').mi).toBeUndefined();
  }, 120_000);
});
