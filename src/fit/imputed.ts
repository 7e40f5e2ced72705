/**
 * Multiple imputation: the same lmer or glmer fitted to each of m imputed data sets, then pooled as
 * mitml 0.4-4 (testEstimates, testModels, testConstraints) and mice 3.15 (pool) pool them.
 *
 *   data (mice's long format, imputation column `.imp`, or a list of tables)
 *     ─ splitImputations ─▶ m tables ─ lmer / glmer each ─▶ ImputedFits
 *     ─ estimatesOf (Q̂ₗ = β̂ₗ, Ûₗ = Var(β̂ₗ)) ─ poolEstimates / poolMice / miD1 / miD2 / miD3   (src/inference/mi*.ts)
 */
import * as arrow from 'apache-arrow';
import type { Formula } from '../formula/types.js';
import { DataError, ModelError, OptionError } from '../errors/errors.js';
import { type DataInput, toArrowTable } from '../io/dataInput.js';
import { makeFactorVector, makeFloat64Vector, tableFromColumns } from '../io/arrow.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import { type MiEstimates, type MiPooled, type MicePooledRow, miMean, poolEstimates, poolMice } from '../inference/miPool.js';
import { type MiAriv, type MiTest, type MiMethod, checkMiAriv, checkMiMethod, constrainEstimates, miD1, miD2, miD3, miD4, parseLinearConstraint, waldStatistics } from '../inference/miTests.js';
import { type LmmParameters, checkD3Fit, lmmLogLikAt, lmmParameters } from '../inference/miLogLik.js';
import { mlFit } from '../inference/fitInference.js';
import { formatMiTable } from '../inference/miPrint.js';
import { type LmerOptions, lmer } from './lmer.js';
import { type GlmerOptions, glmer } from './glmer.js';
import { updateFit } from './update.js';

type AnyFit = LmmFit | GlmmFit;

export interface ImputedOptions {
  /** the imputation column of a long table (mice's `complete(imp, "long")`): default `.imp`; rows of imputation 0 (the original data) are left out */
  imp?: string;
}

/**
 * The m completed data sets of `data`: a list of tables as given, or a long table split by its
 * imputation column (imputation 0, mice's original data, left out; the others in increasing order).
 */
export function splitImputations(data: DataInput | readonly DataInput[], imp = '.imp'): arrow.Table[] {
  if (Array.isArray(data) && !(data.length > 0 && isRowObject(data[0]))) {
    const tables = (data as readonly DataInput[]).map((d, l) => toArrowTable(d, `data[${l}]`));
    if (tables.length < 2) throw new DataError(`multiple imputation needs at least 2 imputed data sets; the list has ${tables.length}`);
    return tables;
  }
  const table = toArrowTable(data);
  const col = table.getChild(imp);
  if (!col) throw new OptionError('imp', `the imputation column "${imp}" is not in the data (its columns: ${table.schema.fields.map((f) => f.name).join(', ')}); name it with the imp option (CLI: --imp)`);
  const ids = new Map<number, number[]>();
  for (let i = 0; i < table.numRows; i++) {
    const v = col.get(i);
    const k = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? Number(v) : NaN;
    if (!Number.isInteger(k) || k < 0) throw new DataError(`the imputation column "${imp}" must hold whole numbers 0, 1, …, m; row ${i + 1} has ${String(v)}`, { row: i + 1 });
    if (k === 0) continue;
    const rows = ids.get(k) ?? [];
    rows.push(i);
    ids.set(k, rows);
  }
  const keys = [...ids.keys()].sort((a, b) => a - b);
  if (keys.length < 2) throw new DataError(`multiple imputation needs at least 2 imputed data sets; the imputation column "${imp}" has ${keys.length === 0 ? 'none (only imputation 0, the original data)' : `only imputation ${keys[0]}`}`);
  const counts = keys.map((k) => ids.get(k)!.length);
  if (counts.some((c) => c !== counts[0])) {
    throw new DataError(`the imputations have different numbers of rows (${keys.map((k, j) => `${imp} = ${k}: ${counts[j]}`).join(', ')}): each must be the same data set completed`);
  }
  return keys.map((k) => subsetRows(table, ids.get(k)!));
}

function isRowObject(x: unknown): boolean {
  return !!x && typeof x === 'object' && !Array.isArray(x) && !ArrayBuffer.isView(x) && typeof (x as { getChild?: unknown }).getChild !== 'function'
    && !Object.values(x as object).some((v) => Array.isArray(v) || ArrayBuffer.isView(v));
}

/** the rows `rows` of `table`: numbers as Float64 (nulls kept), factors with their levels in the table's order */
function subsetRows(table: arrow.Table, rows: number[]): arrow.Table {
  return gatherRows([{ table, rows }]);
}

/**
 * The m data sets stacked, one after another (mitml's D4: .updateStackedLL.merMod), with each grouping
 * variable's values made distinct per data set (`imp<l>_<value>`, a factor), so that the stacked fit's
 * log-likelihood is the sum of the m data sets' at common parameters.
 */
export function stackImputations(tables: readonly arrow.Table[], groups: readonly string[]): arrow.Table {
  for (const g of groups) {
    if (!tables[0].getChild(g)) throw new ModelError(`testModels: method D4 stacks the imputed data sets with each grouping variable's levels made distinct per imputation, but the grouping variable "${g}" is not a column of the data (an expression such as factor(x) in a grouping term); name a column there or use D2 or D3`);
  }
  return gatherRows(tables.map((table) => ({ table, rows: Array.from({ length: table.numRows }, (_, i) => i) })), new Set(groups));
}

/**
 * The rows of parts (tables of the same columns) one after another: numbers as Float64 (nulls kept),
 * factors with their levels in the tables' order; a column in `relabel` a factor of `imp<l>_<value>`
 * (l the part's number from 1).
 */
function gatherRows(parts: readonly { table: arrow.Table; rows: number[] }[], relabel: ReadonlySet<string> = new Set()): arrow.Table {
  const n = parts.reduce((s, p) => s + p.rows.length, 0);
  return tableFromColumns(parts[0].table.schema.fields.map((f) => {
    const cols = parts.map((p, l) => {
      const c = p.table.getChild(f.name);
      if (!c) throw new DataError(`imputed data set ${l + 1} has no column "${f.name}" (data set 1 has it): each must be the same data set completed`);
      return c;
    });
    const validity = new Uint8Array(Math.ceil(n / 8));
    let nulls = 0;
    const present = (i: number, ok: boolean) => { if (ok) validity[i >> 3] |= 1 << (i & 7); else nulls++; };
    /** each gathered row's value, its index in the result and its part */
    const each = (fn: (v: unknown, i: number, l: number) => void) => {
      let i = 0;
      parts.forEach((p, l) => { for (const r of p.rows) fn(cols[l].get(r), i++, l); });
    };
    const dictionary = arrow.DataType.isDictionary(f.type);
    if (dictionary || relabel.has(f.name)) {
      const key = (v: unknown, l: number) => (relabel.has(f.name) ? `imp${l + 1}_${String(v)}` : String(v));
      const levels: string[] = [];
      const index = new Map<string, number>();
      const add = (s: string) => { let k = index.get(s); if (k === undefined) { k = levels.length; index.set(s, k); levels.push(s); } return k; };
      // a factor's levels in its dictionaries' order (R's level order), part by part
      if (dictionary) cols.forEach((c, l) => { for (const d of c.data) if (d.dictionary) for (let j = 0; j < d.dictionary.length; j++) add(key(d.dictionary.get(j), l)); });
      const codes = new Int32Array(n);
      each((v, i, l) => { const ok = v !== null && v !== undefined; present(i, ok); if (ok) codes[i] = add(key(v, l)); });
      return [f.name, makeFactorVector(codes, levels, nulls ? validity : undefined, nulls)] as const;
    }
    if (arrow.DataType.isInt(f.type) || arrow.DataType.isFloat(f.type) || arrow.DataType.isDecimal(f.type)) {
      const values = new Float64Array(n);
      each((v, i) => { const ok = v !== null && v !== undefined; present(i, ok); values[i] = ok ? Number(v) : NaN; });
      return [f.name, makeFloat64Vector(values, nulls ? validity : undefined, nulls)] as const;
    }
    // other types (strings, booleans): the same vector type, by row
    const values: unknown[] = [];
    each((v) => { values.push(v); });
    return [f.name, arrow.vectorFromArray(values, f.type)] as const;
  }));
}

/** mitml's row of a pooled variance component (its names: `Intercept~~Intercept|g`, `Residual~~Residual`, `ICC|g`) */
export interface MiExtraPar {
  term: string;
  estimate: number;
}

export interface TestEstimatesResult {
  m: number;
  estimates: MiPooled;
  extraPars: MiExtraPar[] | null;
  dfCom: number | null;
}

export interface TestModelsResult extends MiTest {
  m: number;
  method: MiMethod;
  use: 'wald' | 'likelihood';
  /** mitml's estimate of r: 'default', 'positive' (truncated at 0) or 'robust' (D4) */
  ariv: MiAriv;
  dfCom: number | null;
  /** whether a fit was by REML, and whether the test refitted such fits by ML (likelihood-based methods) */
  reml: boolean;
  refit: boolean;
}

export interface TestConstraintsResult extends MiTest {
  m: number;
  method: 'D1' | 'D2';
  constraints: string[];
  Qbar: number[];
  /** T̃ = (1 + r) Ū */
  T: number[][];
  dfCom: number | null;
}

/** The variance components of one fit as mitml's .getMisc.merMod names them. */
export function miscParameters(fit: AnyFit): MiExtraPar[] {
  const rows = fit.varCorr;
  const out: MiExtraPar[] = [];
  const nm = (s: string) => s.replace(/^\(Intercept\)$/, 'Intercept');
  const groups = [...new Set(rows.filter((r) => r.group !== 'Residual').map((r) => r.group))];
  for (const g of groups) {
    const vars = rows.filter((r) => r.group === g && r.var2 === null).map((r) => r.var1!);
    // the variances, then the covariances of the upper triangle column by column: (1,2), (1,3), (2,3), …
    for (const v of vars) out.push({ term: `${nm(v)}~~${nm(v)}|${g}`, estimate: rows.find((r) => r.group === g && r.var1 === v && r.var2 === null)!.vcov });
    for (let j = 1; j < vars.length; j++) {
      for (let i = 0; i < j; i++) {
        const r = rows.find((x) => x.group === g && ((x.var1 === vars[i] && x.var2 === vars[j]) || (x.var1 === vars[j] && x.var2 === vars[i])));
        out.push({ term: `${nm(vars[i])}~~${nm(vars[j])}|${g}`, estimate: r ? r.vcov : 0 });
      }
    }
  }
  const resid = rows.find((r) => r.group === 'Residual');
  if (resid) {
    out.push({ term: 'Residual~~Residual', estimate: resid.vcov });
    if (groups.length === 1) {
      const iv = out.find((x) => x.term === `Intercept~~Intercept|${groups[0]}`);
      // mitml 0.4-4 stops on a single grouping factor without an intercept (its icc is never set); the ICC is left out here
      if (iv) out.push({ term: `ICC|${groups[0]}`, estimate: iv.estimate / (iv.estimate + resid.vcov) });
    }
  }
  return out;
}

/** Q̂ₗ = β̂ₗ and Ûₗ = Var(β̂ₗ) of each fit (mitml's .extractParameters; mice's estimate and std.error²). */
export function estimatesOf(fits: readonly AnyFit[]): MiEstimates {
  const names = fits[0].model.frame.xnames;
  fits.forEach((f, l) => {
    const nl = f.model.frame.xnames;
    if (nl.length !== names.length || nl.some((x, j) => x !== names[j])) {
      throw new ModelError(`imputation ${l + 1}'s fixed effects (${nl.join(', ')}) are not imputation 1's (${names.join(', ')}): a level or column dropped in one data set; pooling needs the same coefficients in every fit`);
    }
  });
  return { names: [...names], Q: fits.map((f) => Array.from(f.beta)), U: fits.map((f) => f.vcov) };
}

function checkDfComOption(v: unknown, name: string): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new OptionError(name, `${name} (the complete-data degrees of freedom) must be a positive number, not ${String(v)}`);
  return v;
}

/** the variables of a fit's grouping factors (`ID`; `a`, `b` of `(1 | a/b)`), each once */
function groupingVariables(fit: AnyFit): string[] {
  return [...new Set(fit.model.frame.reTerms.flatMap((t) => t.term.group))];
}

/** The m fits of one model to m imputed data sets, and mitml's and mice's pooled inferences. */
export class ImputedFits<F extends AnyFit = AnyFit> {
  constructor(readonly kind: 'lmer' | 'glmer', readonly formula: string, readonly fits: F[], readonly datasets: arrow.Table[]) {}

  get m(): number { return this.fits.length; }

  /** the m (Q̂ₗ, Ûₗ) pairs of the fixed effects */
  estimates(): MiEstimates { return estimatesOf(this.fits); }

  /** mitml's testEstimates: Rubin's rules for each fixed effect; with extraPars the averaged variance components */
  testEstimates(options: { extraPars?: boolean; dfCom?: number } = {}): TestEstimatesResult {
    const dfCom = checkDfComOption(options.dfCom, 'dfCom');
    const estimates = poolEstimates(this.estimates(), { dfCom });
    let extraPars: MiExtraPar[] | null = null;
    if (options.extraPars) {
      const per = this.fits.map(miscParameters);
      const terms = per[0].map((x) => x.term);
      per.forEach((p, l) => { if (p.length !== terms.length || p.some((x, j) => x.term !== terms[j])) throw new ModelError(`imputation ${l + 1}'s variance components are not imputation 1's`); });
      const mean = miMean(per.map((p) => p.map((x) => x.estimate)));
      extraPars = terms.map((term, j) => ({ term, estimate: mean[j] }));
    }
    return { m: this.m, estimates, extraPars, dfCom };
  }

  /** mice's df.com for merMod fits: broom.mixed's glance df.residual, nobs − (p + the variance parameters) (lme4's df.residual) */
  get dfComMice(): number { return this.fits[0].nobs - this.fits[0].df; }

  /** summary(mice::pool(fits)) with all its columns; dfCom defaults to mice's (glance's df.residual) */
  pool(options: { dfCom?: number } = {}): MicePooledRow[] {
    const dfCom = checkDfComOption(options.dfCom, 'dfCom');
    return poolMice(this.estimates(), dfCom === null ? this.dfComMice : Math.max(dfCom, 1));
  }

  /**
   * mitml's testModels against a null model fitted to the same imputations; D2 (likelihood), D3 and D4
   * refit REML fits by ML, D4 fits both models to the imputations stacked (stackImputations).
   */
  async testModels(nullModel: ImputedFits, options: { method?: MiMethod; use?: 'wald' | 'likelihood'; dfCom?: number; ariv?: MiAriv } = {}): Promise<TestModelsResult> {
    const method = checkMiMethod(options.method, ['D1', 'D2', 'D3', 'D4']);
    const ariv = checkMiAriv(options.ariv, method);
    const use = options.use ?? 'wald';
    if (use !== 'wald' && use !== 'likelihood') throw new OptionError('use', `use must be 'wald' or 'likelihood', not ${String(use)}`);
    if (use === 'likelihood' && method !== 'D2') throw new OptionError('use', `use = 'likelihood' is D2's option (${method} is likelihood-based by itself); method ${method} has none`);
    const dfCom = checkDfComOption(options.dfCom, 'dfCom');
    if (dfCom !== null && method !== 'D1') throw new OptionError('dfCom', `dfCom (the complete-data df) is used by D1 only, not ${method}`);
    if (!(nullModel instanceof ImputedFits)) throw new OptionError('nullModel', 'testModels: the null model must be the result of lmerImputed or glmerImputed');
    if (nullModel.m !== this.m) throw new OptionError('nullModel', `testModels: the model has ${this.m} imputations and the null model ${nullModel.m}; fit both to the same imputed data sets`);
    if (nullModel.kind !== this.kind) throw new OptionError('nullModel', `testModels: the model is ${this.kind} and the null model ${nullModel.kind}`);
    this.fits.forEach((f, l) => {
      if (f.nobs !== nullModel.fits[l].nobs) throw new ModelError(`testModels: imputation ${l + 1}'s model uses ${f.nobs} rows and its null model ${nullModel.fits[l].nobs}; nested models must be fitted to the same rows`);
    });
    const est = this.estimates(), est0 = nullModel.estimates();
    const extra0 = est0.names.filter((n) => !est.names.includes(n));
    if (extra0.length) throw new ModelError(`testModels: the null model (${nullModel.formula}) is not nested in the model (${this.formula}): its coefficients ${extra0.join(', ')} are not the model's`);
    const reml = [...this.fits, ...nullModel.fits].some((f) => 'reml' in f && (f as LmmFit).reml);
    let refit = false;
    let test: MiTest;
    if (method === 'D3' || method === 'D4' || (method === 'D2' && use === 'likelihood')) {
      if (method === 'D3' && this.kind === 'glmer') {
        throw new ModelError('testModels: method D3 needs the log-likelihood at the pooled parameters, which mitml evaluates for lmer fits only ("Could not evaluate likelihood for objects of class \'glmerMod\'"); use D1 or D2');
      }
      refit = reml;
      const ml = await Promise.all(this.fits.map((f) => (this.kind === 'lmer' ? mlFit(f as LmmFit) : Promise.resolve(f))));
      const ml0 = await Promise.all(nullModel.fits.map((f) => (nullModel.kind === 'lmer' ? mlFit(f as LmmFit) : Promise.resolve(f))));
      const k = ml[0].df - ml0[0].df;
      if (!(k > 0)) throw new ModelError(`testModels: the model has ${ml[0].df} parameters and the null model ${ml0[0].df}: the null model must have fewer`);
      const ll = ml.map((f) => f.logLik), ll0 = ml0.map((f) => f.logLik);
      if (method === 'D2') {
        // −2(ℓ₀ − ℓ), 0 where the two are equal (all.equal's 1.5e-8)
        const d = ll.map((l, i) => (Math.abs(ll0[i] - l) <= 1.5e-8 * Math.abs(l) ? 0 : -2 * (ll0[i] - l)));
        test = miD2(d, k, ariv);
      } else if (method === 'D4') {
        const stacked = stackImputations(this.datasets, groupingVariables(ml[0]));
        // the ML model fitted to the stack (mitml's update of the first fit's call with the stacked data), ℓ̂ = ℓ_stack / m
        const stackedLogLik = async (f: AnyFit, kind: 'lmer' | 'glmer') => (await updateFit(f, kind === 'lmer' ? { data: stacked, REML: false } : { data: stacked })).logLik / this.m;
        const llS = await stackedLogLik(this.fits[0], this.kind), ll0S = await stackedLogLik(nullModel.fits[0], nullModel.kind);
        test = miD4(ll, ll0, llS, ll0S, k, ml[0].df, ariv);
      } else {
        for (const f of [...ml, ...ml0]) checkD3Fit(f as LmmFit);
        const pooled = (fs: AnyFit[]): LmmParameters => {
          const ps = fs.map((f) => lmmParameters(f as LmmFit));
          const m = ps.length;
          return {
            beta: miMean(ps.map((p) => p.beta)),
            Tau: ps[0].Tau.map((T, t) => T.map((row, i) => row.map((_, j) => ps.reduce((s, p) => s + p.Tau[t][i][j], 0) / m))),
            sigma2: ps.reduce((s, p) => s + p.sigma2, 0) / m,
          };
        };
        const psi = pooled(ml), psi0 = pooled(ml0);
        const llP = ml.map((f) => lmmLogLikAt(f as LmmFit, psi));
        const ll0P = ml0.map((f) => lmmLogLikAt(f as LmmFit, psi0));
        test = miD3(ll, ll0, llP, ll0P, k, ariv);
      }
    } else {
      const idx = est.names.map((n, j) => (est0.names.includes(n) ? -1 : j)).filter((j) => j >= 0);
      if (idx.length === 0) throw new ModelError(`testModels: the model (${this.formula}) and the null model (${nullModel.formula}) have the same fixed effects: not nested (mitml: "appear not to be nested or include the same set of parameters")`);
      const Q = est.Q.map((q) => idx.map((j) => q[j]));
      const U = est.U!.map((u) => idx.map((i) => idx.map((j) => u[i][j])));
      test = method === 'D1' ? miD1(Q, U, dfCom) : miD2(waldStatistics(Q, U), idx.length, ariv);
    }
    return { ...test, m: this.m, method, use: method === 'D3' || method === 'D4' ? 'likelihood' : use, ariv, dfCom, reml, refit };
  }

  /** mitml's testConstraints: linear constraints on β (`'SES'`, `'SexGirl - ReadDis'`), D1 or D2 */
  testConstraints(constraints: string | string[], options: { method?: 'D1' | 'D2'; dfCom?: number } = {}): TestConstraintsResult {
    const method = checkMiMethod(options.method, ['D1', 'D2']) as 'D1' | 'D2';
    const dfCom = checkDfComOption(options.dfCom, 'dfCom');
    if (dfCom !== null && method !== 'D1') throw new OptionError('dfCom', 'dfCom (the complete-data df) is used by D1 only, not D2');
    const list = typeof constraints === 'string' ? [constraints] : constraints;
    const est = this.estimates();
    const parsed = list.map((c) => parseLinearConstraint(c, est.names));
    const { Q, U } = constrainEstimates(est.Q, est.U!, parsed);
    const test = method === 'D1' ? miD1(Q, U, dfCom) : miD2(waldStatistics(Q, U), parsed.length);
    const Qbar = miMean(Q);
    const m = this.m;
    // T̃ = (1 + r) Ū with D1's r (mitml prints it beside either method)
    const r1 = miD1(Q, U, null).riv;
    const Ubar = Q[0].map((_, i) => Q[0].map((__, j) => U.reduce((s, u) => s + u[i][j], 0) / m));
    return { ...test, m, method, constraints: parsed.map((c) => c.text), Qbar, T: Ubar.map((r) => r.map((v) => (1 + r1) * v)), dfCom };
  }

  /** mitml's printout of testEstimates (without its Call line) */
  printEstimates(result: TestEstimatesResult): string {
    const lines = [`Final parameter estimates and inferences obtained from ${result.m} imputed data sets.`, ''];
    const e = result.estimates.rows;
    lines.push(...formatMiTable(['Estimate', 'Std.Error', 't.value', 'df', 'P(>|t|)', 'RIV', 'FMI'], e.map((r) => r.term), e.map((r) => [r.estimate, r.se, r.t, r.df, r.p, r.riv, r.fmi])).map((l) => `${l} `));
    if (result.extraPars) {
      lines.push('');
      lines.push(...formatMiTable(['Estimate'], result.extraPars.map((r) => r.term), result.extraPars.map((r) => [r.estimate])).map((l) => `${l} `));
    }
    lines.push('');
    if (result.dfCom !== null) lines.push('Hypothesis test adjusted for small samples with df=[' + String(result.dfCom) + ']', 'complete-data degrees of freedom.');
    else lines.push('Unadjusted hypothesis test as appropriate in larger samples.');
    lines.push('');
    return lines.join('\n') + '\n';
  }
}

/** mitml's printout of testModels (without its Call line) */
export function printTestModels(r: TestModelsResult): string {
  const lines = [`Model comparison calculated from ${r.m} imputed data sets.`, `Combination method: ${r.method}${r.method === 'D2' ? ` (${r.use})` : r.method === 'D4' && r.ariv === 'robust' ? ' (robust)' : ''}`, ''];
  lines.push(...formatMiTable(['F.value', 'df1', 'df2', 'P(>F)', 'RIV'], [''], [[r.F, r.df1, r.df2, r.p, r.riv]], [3, 0, 3, 3, 3]).map((l) => `   ${l} `));
  lines.push('');
  let footer = false;
  if (r.method === 'D1') {
    footer = true;
    if (r.dfCom !== null) lines.push(`Hypothesis test adjusted for small samples with df=[${r.dfCom}]`, 'complete-data degrees of freedom.');
    else lines.push('Unadjusted hypothesis test as appropriate in larger samples.');
  }
  if (r.method === 'D4') {
    footer = true;
    // our stack is always the imputed data sets the fits were made from (mitml's default)
    lines.push('Data for stacking were automatically extracted from the fitted models.');
  }
  if (r.reml) {
    footer = true;
    lines.push(r.refit ? 'Models originally fitted with REML were refitted using ML.' : 'Models fitted with REML were used as is.');
  }
  if (footer) lines.push('');
  return lines.join('\n') + '\n';
}

/** mitml's printout of testConstraints (without its Call line) */
export function printTestConstraints(c: TestConstraintsResult): string {
  const lines = [`Hypothesis test calculated from ${c.m} imputed data sets. The following`, 'constraints were specified:', ''];
  lines.push(...formatMiTable(['Estimate', 'Std. Error'], c.constraints.map((x) => `${x}:`), c.Qbar.map((q, i) => [q, Math.sqrt(c.T[i][i])])).map((l) => `   ${l} `));
  lines.push('', `Combination method: ${c.method} `, '');
  lines.push(...formatMiTable(['F.value', 'df1', 'df2', 'P(>F)', 'RIV'], [''], [[c.F, c.df1, c.df2, c.p, c.riv]], [3, 0, 3, 3, 3]).map((l) => `   ${l} `));
  if (c.method === 'D1') {
    lines.push('');
    if (c.dfCom !== null) lines.push(`Hypothesis test adjusted for small samples with df=[${c.dfCom}]`, 'complete-data degrees of freedom.');
    else lines.push('Unadjusted hypothesis test as appropriate in larger samples.');
  }
  lines.push('');
  return lines.join('\n') + '\n';
}

/** lmer fitted to each imputed data set (mice's long format with column `imp`, or a list of tables). */
export async function lmerImputed(formula: string | Formula, data: DataInput | readonly DataInput[], options: LmerOptions & ImputedOptions = {}): Promise<ImputedFits<LmmFit>> {
  const { imp, ...rest } = options;
  const sets = splitImputations(data, imp ?? '.imp');
  const fits: LmmFit[] = [];
  for (const [l, d] of sets.entries()) {
    try {
      fits.push(await lmer(formula, d, rest));
    } catch (e) {
      if (e instanceof Error) e.message = `imputation ${l + 1}: ${e.message}`;
      throw e;
    }
  }
  estimatesOf(fits);
  return new ImputedFits('lmer', typeof formula === 'string' ? formula : formula.text, fits, sets);
}

/** glmer fitted to each imputed data set (mice's long format with column `imp`, or a list of tables). */
export async function glmerImputed(formula: string | Formula, data: DataInput | readonly DataInput[], options: GlmerOptions & ImputedOptions): Promise<ImputedFits<GlmmFit>> {
  const { imp, ...rest } = options;
  const sets = splitImputations(data, imp ?? '.imp');
  const fits: GlmmFit[] = [];
  for (const [l, d] of sets.entries()) {
    try {
      fits.push(await glmer(formula, d, rest as GlmerOptions));
    } catch (e) {
      if (e instanceof Error) e.message = `imputation ${l + 1}: ${e.message}`;
      throw e;
    }
  }
  estimatesOf(fits);
  return new ImputedFits('glmer', typeof formula === 'string' ? formula : formula.text, fits, sets);
}
