/**
 * The page's side of the Multiple imputation card (mitml 0.4-4's testEstimates and testModels, mice 3.15's pool of
 * the page's model fitted to each imputation of the loaded data), no DOM and no library math: the card's fields as
 * the worker's request (each bad field named), the R calls that reproduce its tables, the tables' CSVs, the
 * imputation columns it offers, and the card's state in the address. The fits and the pooling are the library's,
 * in the worker (./miRun.ts, which also names the field a refusal of the library is about).
 */
import type { FitRequest, MiField, MiMsg, MiRequest } from './protocol.js';
import { csv } from './dom.js';

/** each field's name in the card's messages (mitml's argument names) */
export const MI_FIELD_LABELS: Record<MiField, string> = {
  imp: 'imputation column', formula: 'formula', nullFormula: 'null model', method: 'method', use: 'use', dfCom: 'df.com',
};

export interface MiFields {
  imp: string;
  extraPars: boolean;
  dfCom: string;
  nullFormula: string;
  method: string;
  use: string;
}

export function defaultMiFields(imp = '.imp'): MiFields {
  return { imp, extraPars: false, dfCom: '', nullFormula: '', method: 'D1', use: 'wald' };
}

/** a field the card refuses, named */
export class MiFieldError extends Error {
  constructor(readonly field: MiField, message: string) {
    super(`${MI_FIELD_LABELS[field]}: ${message}`);
    this.name = 'MiFieldError';
  }
}

/**
 * The columns the card offers as the imputation column: integer-valued numeric columns (`.imp` first, then
 * any named like imp/imputation, then the rest), from the loaded data's column summaries.
 */
export function imputationColumns(columns: readonly { name: string; kind: string; integer?: boolean; nulls: number; min?: number }[]): string[] {
  const ints = columns.filter((c) => c.kind === 'numeric' && c.integer === true && c.nulls === 0 && (c.min ?? 0) >= 0).map((c) => c.name);
  const rank = (n: string) => (n === '.imp' ? 0 : /^\.?imp(utation)?$/i.test(n) ? 1 : 2);
  return ints.sort((a, b) => rank(a) - rank(b));
}

/** a column named as an imputation column (mice's `.imp`, `imp`, `imputation`, `.imputation`, `Imputation_`): the panel is shown for such data */
export function isImputationName(name: string): boolean {
  return /^[._]?imp(utation)?[._]?$/i.test(name);
}

/** the card's request for the page's model `fit` (a bad field throws a MiFieldError naming it) */
export function miRequest(f: MiFields, fit: FitRequest): MiRequest {
  const imp = f.imp.trim();
  if (imp === '') throw new MiFieldError('imp', 'choose the column that numbers the imputations (mice\'s .imp: 0 the original data, 1 … m the imputed data sets)');
  if (f.method !== 'D1' && f.method !== 'D2' && f.method !== 'D3' && f.method !== 'D4') throw new MiFieldError('method', `'${f.method}' is not D1, D2, D3 or D4`);
  if (f.use !== 'wald' && f.use !== 'likelihood') throw new MiFieldError('use', `'${f.use}' is not wald or likelihood`);
  const nullFormula = f.nullFormula.trim() === '' ? null : f.nullFormula.trim();
  if (nullFormula && !nullFormula.includes('~')) throw new MiFieldError('nullFormula', `'${nullFormula}' is not a formula (response ~ terms), e.g. the model's formula without the terms tested`);
  if (nullFormula && f.use === 'likelihood' && f.method !== 'D2') throw new MiFieldError('use', `use = "likelihood" is D2's option (D3 and D4 are likelihood-based by themselves); method ${f.method} has none`);
  if (nullFormula && nullFormula.replace(/\s+/g, '') === fit.formula.replace(/\s+/g, '')) throw new MiFieldError('nullFormula', 'the null model is the model itself: leave out the terms to test');
  let dfCom: number | null = null;
  const t = f.dfCom.trim();
  if (t !== '') {
    const n = Number(t);
    if (!Number.isFinite(n) || !(n > 0)) throw new MiFieldError('dfCom', `the complete-data degrees of freedom: a positive number, or empty for none, not '${f.dfCom}'`);
    dfCom = n;
  }
  if (fit.family !== 'gaussian' && fit.family !== 'binomial' && fit.family !== 'poisson' && fit.family !== 'negative.binomial' && fit.family !== 'Gamma' && fit.family !== 'inverse.gaussian') {
    throw new MiFieldError('formula', `the card pools lmer and glmer fits; family ${fit.family} is not one of theirs`);
  }
  return { fit: { ...fit, factors: [...fit.factors] }, imp, extraPars: f.extraPars, dfCom, nullFormula, method: f.method, use: f.use };
}

/** the message the card shows for the library's refusal: the field named first */
export function miErrorText(message: string, field: MiField | null): string {
  return field ? `${MI_FIELD_LABELS[field]}: ${message}` : message;
}

const rString = (s: string) => JSON.stringify(s);

/** the model's R call inside with(implist, …): lmer (REML = FALSE for ML) or glmer with the family (its link if not the default) */
function modelCall(formula: string, fit: FitRequest): string {
  if (fit.family === 'gaussian') return `lmer(${formula}${fit.reml ? '' : ', REML = FALSE'})`;
  const fam = fit.link ? `${fit.family}(link = ${rString(fit.link)})` : fit.family;
  return `glmer(${formula}, family = ${fam}${fit.nAGQ !== undefined && fit.nAGQ !== 1 ? `, nAGQ = ${fit.nAGQ}` : ''})`;
}

/** the R calls of the card's tables (mitml's and mice's), on the data `dat` read from the same file */
export function miCalls(r: MiRequest): { implist: string; fit: string; estimates: string; pool: string; fit0: string | null; test: string | null } {
  const imp = /^[A-Za-z.][A-Za-z0-9._]*$/.test(r.imp) ? `dat$${r.imp}` : `dat[[${rString(r.imp)}]]`;
  const est = ['fit'];
  if (r.extraPars) est.push('extra.pars = TRUE');
  if (r.dfCom !== null) est.push(`df.com = ${r.dfCom}`);
  let test: string | null = null;
  if (r.nullFormula) {
    const args = ['fit', 'fit0', `method = ${rString(r.method)}`];
    if (r.method === 'D2' && r.use === 'likelihood') args.push('use = "likelihood"');
    if (r.method === 'D1' && r.dfCom !== null) args.push(`df.com = ${r.dfCom}`);
    test = `testModels(${args.join(', ')})`;
  }
  return {
    implist: `implist <- as.mitml.list(split(dat[${imp} != 0, ], ${imp}[${imp} != 0]))`,
    fit: `fit <- with(implist, ${modelCall(r.fit.formula, r.fit)})`,
    estimates: `testEstimates(${est.join(', ')})`,
    pool: `summary(pool(fit${r.dfCom !== null ? `, dfcom = ${r.dfCom}` : ''}), type = "all")`,
    fit0: r.nullFormula ? `fit0 <- with(implist, ${modelCall(r.nullFormula, r.fit)})` : null,
    test,
  };
}

/** testEstimates's table as CSV (then the pooled variance components with extra.pars, estimate only) */
export function miEstimatesCsv(m: MiMsg): string {
  const rows: (string | number | null)[][] = m.estimates.map((r) => [r.term, r.estimate, r.se, r.t, r.df, r.p, r.riv, r.fmi]);
  for (const x of m.extraPars ?? []) rows.push([x.term, x.estimate, null, null, null, null, null, null]);
  return csv(['term', 'Estimate', 'Std.Error', 't.value', 'df', 'P(>|t|)', 'RIV', 'FMI'], rows);
}

/** summary(pool(fit), type = "all") as CSV, all its columns */
export function miPoolCsv(m: MiMsg): string {
  return csv(['term', 'm', 'estimate', 'ubar', 'b', 't', 'dfcom', 'df', 'riv', 'lambda', 'fmi', 'std.error', 'statistic', 'p.value'],
    m.pool.map((r) => [r.term, r.m, r.estimate, r.ubar, r.b, r.t, r.dfcom, r.df, r.riv, r.lambda, r.fmi, r.std_error, r.statistic, r.p_value]));
}

/** testModels's row as CSV */
export function miTestCsv(m: MiMsg): string {
  const t = m.test;
  if (!t) return csv(['method', 'use', 'F.value', 'df1', 'df2', 'P(>F)', 'RIV'], []);
  return csv(['method', 'use', 'F.value', 'df1', 'df2', 'P(>F)', 'RIV'], [[t.method, t.use, t.F, t.df1, t.df2, t.p, t.riv]]);
}

/** the card in the address: open, with the fields other than their defaults */
export interface MiUrlState {
  imp?: string;
  extraPars?: boolean;
  dfCom?: number;
  nullFormula?: string;
  method?: 'D2' | 'D3' | 'D4';
  use?: 'likelihood';
}

/** mi=1&mii=.imp&mix=1&mid=30&mi0=y~x%2B(1|g)&mim=D2&miu=likelihood */
export function readMiUrl(q: URLSearchParams): MiUrlState | undefined {
  if (q.get('mi') !== '1') return undefined;
  const s: MiUrlState = {};
  const imp = q.get('mii');
  if (imp && imp.length <= 200) s.imp = imp;
  if (q.get('mix') === '1') s.extraPars = true;
  const d = Number(q.get('mid'));
  if (q.get('mid') && Number.isFinite(d) && d > 0) s.dfCom = d;
  const f0 = q.get('mi0');
  if (f0 && f0.length <= 2000) s.nullFormula = f0;
  const m = q.get('mim');
  if (m === 'D2' || m === 'D3' || m === 'D4') s.method = m;
  if (q.get('miu') === 'likelihood') s.use = 'likelihood';
  return s;
}

export function writeMiUrl(q: URLSearchParams, s: MiUrlState): void {
  q.set('mi', '1');
  if (s.imp !== undefined) q.set('mii', s.imp);
  if (s.extraPars) q.set('mix', '1');
  if (s.dfCom !== undefined) q.set('mid', String(s.dfCom));
  if (s.nullFormula !== undefined) q.set('mi0', s.nullFormula);
  if (s.method) q.set('mim', s.method);
  if (s.use) q.set('miu', s.use);
}

/** the card's fields as the address keeps them: those other than the defaults, valid ones only */
export function miUrlOf(f: MiFields): MiUrlState {
  const q = new URLSearchParams();
  if (f.imp.trim() !== '' && f.imp.trim() !== '.imp') q.set('mii', f.imp.trim());
  if (f.extraPars) q.set('mix', '1');
  if (f.dfCom.trim() !== '') q.set('mid', f.dfCom.trim());
  if (f.nullFormula.trim() !== '') q.set('mi0', f.nullFormula.trim());
  if (f.method !== 'D1') q.set('mim', f.method);
  if (f.use === 'likelihood') q.set('miu', 'likelihood');
  q.set('mi', '1');
  return readMiUrl(q)!;
}
