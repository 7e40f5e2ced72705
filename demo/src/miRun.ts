/**
 * Worker side of the Multiple imputation card (mitml 0.4-4, mice 3.15): the page's model (formula, family, REML,
 * factors, backend: ./fitting.ts runFit, as the Fit button fits it) fitted to each imputation of the loaded data
 * (src/fit/imputed.ts splitImputations: mice's long format, imputation 0 left out), then the library's pooling of
 * those fits (ImputedFits: testEstimates, pool, testModels against the null formula fitted to the same imputations)
 * and mitml's printouts — the numbers of lmerImputed / glmerImputed with the same options. Progress after each
 * imputation's fit, Cancel through the signal (checked between fits and inside each fit). A refusal of the library
 * is returned with the card's field it is about (miFieldOf). The page's logic is ./miCard.ts.
 */
import type * as arrow from 'apache-arrow';
import { DataError, ModelError, OptionError } from '../../src/errors/errors.js';
import { ImputedFits, printTestModels, splitImputations } from '../../src/fit/imputed.js';
import { formatMiTable } from '../../src/inference/miPrint.js';
import type { MicePooledRow } from '../../src/inference/miPool.js';
import { type AnyFit, runFit } from './fitting.js';
import type { MiField, MiMsg, MiRequest } from './protocol.js';

export interface MiContext {
  signal?: AbortSignal;
  onProgress?: (p: { done: number; total: number; label: string }) => void;
}

/** a refusal whose field the card names (miFieldOf) */
export class MiRunError extends Error {
  constructor(readonly field: MiField | null, message: string) {
    super(message);
    this.name = 'MiRunError';
  }
}

/**
 * The card's field a refusal is about (null: none): the library's OptionError by its option (imp, dfCom, use,
 * method; nullModel the null formula's), a DataError of the imputation column the imputation field's; a
 * testModels ModelError (not nested, the same fixed effects, D3 of glmer) the null formula's or the method's.
 */
export function miFieldOf(e: unknown): MiField | null {
  if (e instanceof MiRunError) return e.field;
  if (e instanceof OptionError) {
    const o = e.option;
    if (o === 'imp' || o === 'dfCom' || o === 'use' || o === 'method') return o;
    if (o === 'nullModel') return 'nullFormula';
    return null;
  }
  if (e instanceof DataError && /imputation/.test(e.message)) return 'imp';
  if (e instanceof ModelError && /testModels/.test(e.message)) return /method D3/.test(e.message) ? 'method' : 'nullFormula';
  return null;
}

/** summary(pool(fit))'s columns as an aligned table (mitml's cell format: 3 decimals, %e from 1e5) */
export function printPoolSummary(rows: readonly MicePooledRow[]): string {
  const lines = formatMiTable(['estimate', 'std.error', 'statistic', 'df', 'p.value'], rows.map((r) => r.term),
    rows.map((r) => [r.estimate, r.std_error, r.statistic, r.df, r.p_value]));
  return `${lines.join('\n')}\n`;
}

/** one fit per imputation of `sets`, its errors named by the imputation and the card's field */
async function fitEach(sets: arrow.Table[], r: MiRequest, formula: string, field: MiField, label: string, offset: number, total: number, ctx: MiContext): Promise<AnyFit[]> {
  const fits: AnyFit[] = [];
  const signal = ctx.signal ?? new AbortController().signal;
  for (const [l, d] of sets.entries()) {
    if (signal.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
    try {
      fits.push(await runFit(d, { ...r.fit, formula }, { signal, onProgress: () => {} }));
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new MiRunError(field, `imputation ${l + 1}: ${(e as Error).message}`);
    }
    ctx.onProgress?.({ done: offset + l + 1, total, label: `${label}, imputation ${l + 1} of ${sets.length}` });
  }
  return fits;
}

/** the card's request on the loaded data: testEstimates, pool and (with a null formula) testModels */
export async function runMi(table: arrow.Table | null, r: MiRequest, ctx: MiContext = {}): Promise<MiMsg> {
  const t0 = performance.now();
  if (!table) throw new MiRunError(null, 'no data are loaded');
  if (r.fit.family !== 'gaussian' && r.fit.family !== 'binomial' && r.fit.family !== 'poisson' && r.fit.family !== 'negative.binomial'
    && r.fit.family !== 'Gamma' && r.fit.family !== 'inverse.gaussian') {
    throw new MiRunError('formula', `multiple imputation pools lmer and glmer fits; family ${r.fit.family} is fitted by another function`);
  }
  if (r.fit.nlmeWeights || r.fit.nlmeCorrelation) throw new MiRunError('formula', "multiple imputation pools lmer and glmer fits; nlme's weights or correlation make the fit lme or gls");
  const sets = splitImputations(table, r.imp);
  const kind = r.fit.family === 'gaussian' ? 'lmer' : 'glmer';
  const total = sets.length * (r.nullFormula ? 2 : 1);
  const fits = new ImputedFits(kind, r.fit.formula, await fitEach(sets, r, r.fit.formula, 'formula', 'model', 0, total, ctx), sets);
  const est = fits.testEstimates({ extraPars: r.extraPars, ...(r.dfCom !== null ? { dfCom: r.dfCom } : {}) });
  const pool = fits.pool(r.dfCom !== null ? { dfCom: r.dfCom } : {});
  let test: MiMsg['test'] = null;
  let testText: string | null = null;
  if (r.nullFormula) {
    const fits0 = new ImputedFits(kind, r.nullFormula, await fitEach(sets, r, r.nullFormula, 'nullFormula', 'null model', sets.length, total, ctx), sets);
    const t = await fits.testModels(fits0, { method: r.method, use: r.use, ...(r.dfCom !== null && r.method === 'D1' ? { dfCom: r.dfCom } : {}) });
    test = { F: t.F, df1: t.df1, df2: t.df2, p: t.p, riv: t.riv, method: t.method, use: t.use, reml: t.reml, refit: t.refit };
    testText = printTestModels(t);
  }
  return {
    request: { ...r }, kind, m: fits.m,
    estimates: est.estimates.rows.map((x) => ({ ...x })),
    extraPars: est.extraPars ? est.extraPars.map((x) => ({ ...x })) : null,
    estimatesText: fits.printEstimates(est),
    pool: pool.map((x) => ({ ...x })),
    poolText: printPoolSummary(pool),
    test, testText,
    elapsedMs: performance.now() - t0,
  };
}
