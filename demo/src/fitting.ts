/**
 * Worker side: fitting (lmer and glmer on the CPU, WebGPU or auto backend), and what the page shows
 * of a fit: the fixed-effects table with Wald intervals, variance components, conditional modes,
 * each level's own OLS estimate for the shrinkage plot, and predictions for new rows.
 */
import * as arrow from 'apache-arrow';
import {
  FormulaError, glmer, lmer, parseFormula, type Expr, type Formula, type GlmmFit, type LmmFit,
} from '../../src/index.js';
import { makeFactorVector, makeFloat64Vector, tableFromColumns } from '../../src/io/arrow.js';
import { columnKind } from './load.js';
import { relmatOf } from './relmat.js';
import { diagnosticsOf } from './diagnostics.js';
import { emmVariables } from './inference.js';
import { newdataHead } from './merToolsRun.js';
import { factorTerms } from '../../src/inference/lsMeansContrasts.js';
import { powerSetup } from './powerRun.js';
import { robustSetup } from './robustRun.js';
import { allFitSetup } from './allFitRun.js';
import { ggSetup } from './ggeffectsRun.js';
import { modelChecksSetup } from './modelChecksRun.js';
import { pchisqUpper } from '../../src/stats/distributions.js';
import type {
  CompareRow, FitRequest, FitResult, FixefRow, PredictResult, PredictorInput, RanefMsg, ShrinkageMsg, ZiFamilyChoice,
} from './protocol.js';

const Z975 = 1.959963984540054;

/** lme4's confint(method = "Wald") of a fixed effect at 95 %: β̂ ± z₀.₉₇₅ SE(β̂) */
export function wald95(estimate: number, se: number): { lower: number; upper: number } {
  return { lower: estimate - Z975 * se, upper: estimate + Z975 * se };
}

export type AnyFit = LmmFit | GlmmFit;

export interface FitContext {
  onProgress: (p: { feval: number; deviance: number; best: number; elapsedMs: number; stage?: number }) => void;
  signal: AbortSignal;
}

/** the glmmTMB family choices (fitted by zeroInflated, not lmer or glmer) */
export const ZI_FAMILY_CHOICES: readonly ZiFamilyChoice[] = ['zi_poisson', 'zi_nbinom1', 'zi_nbinom2', 'hurdle_poisson', 'hurdle_nbinom1', 'hurdle_nbinom2', 'tmb_beta', 'tmb_gaussian',
  'zi_genpois', 'hurdle_genpois', 'tmb_binomial', 'tmb_betabinomial', 'tmb_gamma', 'tmb_tweedie', 'zi_compois', 'hurdle_compois'];

/** a glmmTMB family: zero-inflated or hurdle counts, beta or gaussian (fitted by zeroInflated, not lmer or glmer) */
export function isZiFamily(f: string | undefined): f is ZiFamilyChoice {
  return (ZI_FAMILY_CHOICES as readonly (string | undefined)[]).includes(f);
}

/** An error the page shows beside the control that caused it. */
export class PlacedError extends Error {
  constructor(message: string, readonly where: 'formula' | 'options' | 'data' | 'fit', readonly position?: number) {
    super(message);
  }
}

/** Where an error from the library belongs, with a plainer message where one helps. */
export function placeError(e: unknown): PlacedError {
  if (e instanceof PlacedError) return e;
  if (e instanceof FormulaError) return new PlacedError(e.message.split('\n')[0]!.replace(/ at position \d+:?$/, ''), 'formula', e.position);
  const msg = (e as Error)?.message ?? String(e);
  if (/WebGPU|adapter|GPU/i.test(msg)) return new PlacedError(msg, 'options');
  if (/column|not found in the data|grouping factor|response|random-effects|formula|term|factor|levels? /i.test(msg)) return new PlacedError(msg, 'formula');
  return new PlacedError(msg, 'fit');
}

export async function runFit(table: arrow.Table, req: FitRequest, ctx: FitContext): Promise<AnyFit> {
  let parsed: Formula;
  try {
    parsed = parseFormula(req.formula);
  } catch (e) {
    throw placeError(e);
  }
  checkColumns(parsed, table, req);
  // one backend rule for the library, the CLI and this page (src/backend/select.ts): 'auto' fits on
  // the CPU when the adapter is a software one or the model too small for a GPU to pay for its
  // set-up, and the fit's messages say why
  const progress = (p: { feval: number; deviance: number; best: number; elapsedMs: number; stage?: number }) =>
    ctx.onProgress({ feval: p.feval, deviance: p.deviance, best: p.best, elapsedMs: p.elapsedMs, stage: p.stage });
  if (req.relmat && !parsed.random.some((r) => r.group.length === 1 && r.group[0] === req.relmat!.group)) {
    throw new PlacedError(`the relatedness file is for '${req.relmat.group}', which is not a grouping factor of the formula`, 'options');
  }
  const relmat = req.relmat ? { [req.relmat.group]: relmatOf(req.relmat.id) } : undefined;
  const prior = req.prior === 'blme' ? ('blme' as const) : undefined;
  const family = req.family;
  if (family === 'ordinal') throw new PlacedError('an ordinal response is fitted by clmm (the worker\'s ordinal path), not by lmer or glmer', 'options');
  if (isZiFamily(family)) throw new PlacedError('a glmmTMB model (zero-inflated, hurdle, beta, gaussian) is fitted by zeroInflated (the worker\'s glmmTMB path), not by lmer or glmer', 'options');
  try {
    if (family !== 'gaussian') {
      return await glmer(req.formula, table, {
        family, link: req.link as 'logit' | undefined, nAGQ: req.nAGQ ?? 1, factors: req.factors,
        backend: req.backend, signal: ctx.signal, dataName: req.dataName, onProgress: progress, relmat, prior,
      });
    }
    return await lmer(req.formula, table, {
      REML: req.reml, factors: req.factors, backend: req.backend, signal: ctx.signal, dataName: req.dataName, onProgress: progress, relmat, prior,
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw placeError(e);
  }
}

/** Every variable of the formula must be a column: name the ones that are not. */
export function checkColumns(f: Formula, table: arrow.Table, req: FitRequest): void {
  const names = new Set(table.schema.fields.map((x) => x.name));
  const missing = [...formulaVariables(f)].filter((v) => !names.has(v));
  if (missing.length > 0) {
    const pos = req.formula.search(new RegExp(`\\b${escapeRe(missing[0]!)}\\b`));
    throw new PlacedError(
      `unknown column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}: the data has ${[...names].join(', ')}`,
      'formula', pos >= 0 ? pos : undefined,
    );
  }
  for (const fac of req.factors) if (!names.has(fac)) throw new PlacedError(`factor column '${fac}' is not in the data`, 'options');
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function exprVars(e: Expr, out: Set<string>): void {
  switch (e.type) {
    case 'var': out.add(e.name); break;
    case 'num': break;
    case 'neg': exprVars(e.arg, out); break;
    case 'binop': case 'compare': case 'and': exprVars(e.left, out); exprVars(e.right, out); break;
    case 'not': exprVars(e.arg, out); break;
    case 'call': for (const a of e.args) exprVars(a, out); break;
  }
}

/** The data columns a formula reads: response, fixed terms, offsets, random terms and grouping factors. */
export function formulaVariables(f: Formula, opts: { response?: boolean } = {}): Set<string> {
  const out = new Set<string>();
  if (opts.response !== false) {
    if (f.response.kind === 'expr') exprVars(f.response.expr, out);
    else { exprVars(f.response.successes, out); exprVars(f.response.failures, out); }
  }
  for (const t of f.fixed.terms) for (const v of t.vars) exprVars(v.expr, out);
  for (const o of f.offsets) exprVars(o, out);
  for (const r of f.random) {
    for (const t of r.lhs.terms) for (const v of t.vars) exprVars(v.expr, out);
    for (const g of r.group) out.add(g);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// What the page shows

function isGlmm(fit: AnyFit): fit is GlmmFit {
  return 'nAGQ' in fit;
}

/** Of a fit's timings, the part before the optimizer: model frame, Gram matrix, backend set-up. */
export function setupMsOf(timings: Record<string, number>): number {
  return (timings.frameMs ?? 0) + (timings.gramMs ?? 0) + (timings.setupMs ?? 0) + (timings.gpuSetupMs ?? 0);
}

export function describeFit(fit: AnyFit, table: arrow.Table, factors: string[], elapsedMs: number): { result: FitResult; transfer: Transferable[] } {
  const t0 = performance.now();
  const glmm = isGlmm(fit);
  const names = fit.model.frame.xnames;
  const se = fit.se;
  const fixef = fit.fixef;
  const coefRows = glmm ? fit.coefficients : null;
  const fixefRows: FixefRow[] = names.map((name, j) => {
    const est = fixef[name]!;
    const s = se[name]!;
    return { name, estimate: est, se: s, stat: est / s, p: coefRows ? coefRows[j]?.p : undefined, ...wald95(est, s) };
  });
  const transfer: Transferable[] = [];
  const ranef: RanefMsg[] = fit.ranef.map((g) => {
    const cnames = Object.keys(g.values);
    const values = cnames.map((c) => Float64Array.from(g.values[c]!));
    const condsd = cnames.map((c) => Float64Array.from(g.condsd[c]!));
    for (const a of [...values, ...condsd]) transfer.push(a.buffer);
    return { group: g.group, levels: g.levels, cnames, values, condsd };
  });
  const shrinkage = glmm ? [] : shrinkageData(fit as LmmFit);
  for (const s of shrinkage) for (const a of [s.count, ...s.ols, ...s.pooled]) transfer.push(a.buffer);
  const lmm = glmm ? null : (fit as LmmFit);
  const result: FitResult = {
    kind: glmm ? 'glmer' : 'lmer',
    formula: fit.formula,
    family: glmm ? fit.family : 'gaussian',
    link: glmm ? fit.link : 'identity',
    reml: lmm ? lmm.reml : false,
    summary: fit.summary(),
    nobs: fit.nobs,
    ngroups: fit.ngroups,
    sigma: lmm ? lmm.sigma : null,
    logLik: fit.logLik,
    AIC: fit.AIC,
    BIC: fit.BIC,
    objective: fit.objective,
    feval: fit.feval,
    converged: fit.converged,
    singular: fit.singular,
    messages: fit.messages,
    backend: fit.backend,
    timings: fit.timings,
    fixef: fixefRows,
    varCorr: fit.varCorr,
    // glmmTMB's structures of an lmer or glmer fit (glmer's: binomial and Poisson, absolute SDs)
    structures: (fit as LmmFit | GlmmFit).structures.map((s) => ({ group: s.group, term: s.term, structure: s.structure, sd: [...s.sd], rho: [...s.rho] })),
    varianceShares: lmm ? lmm.varianceShares : null,
    ranef,
    shrinkage,
    predictors: predictorInputs(fit, table, factors),
    elapsedMs,
    setupMs: Math.min(elapsedMs, setupMsOf(fit.timings)),
    describeMs: 0,
    diagnostics: null as unknown as FitResult['diagnostics'],
    heritability: lmm ? lmm.heritability : [],
    priors: [],
    emmVariables: emmVariables(fit),
    // lmerTest's factor terms (lsmeans_contrasts's), offered by the Least-squares means card
    lsmTerms: lmm ? factorTerms(fit.model.frame).map((t) => t.label) : null,
    simNewdata: newdataHead(fit as LmmFit | GlmmFit, table),
    power: powerSetup(fit),
    robust: robustSetup(fit),
    allFit: allFitSetup(fit),
    gg: ggSetup(fit),
    checks: modelChecksSetup(fit),
  };
  // the summary's prior lines (blme's "Cov prior : …", "Prior dev : …")
  result.priors = result.summary.split('\n').filter((l) => /^(Cov|Fixef|Resid) prior|^Prior dev/.test(l));
  const diag = diagnosticsOf(fit, glmm);
  result.diagnostics = diag.msg;
  transfer.push(...diag.transfer);
  result.describeMs = performance.now() - t0;
  return { result, transfer };
}

/** A fit the worker keeps for comparisons and exports, with the request that made it. */
export interface StoredFit {
  id: number;
  fit: AnyFit;
  request: FitRequest;
}

/**
 * lme4's anova(m0, m1): REML fits are refitted by ML (as lme4 does), the models ordered by their
 * number of parameters, and the likelihood-ratio statistic χ² = 2·max(0, ℓ₁ − ℓ₀) on
 * Df = npar₁ − npar₀ degrees of freedom. The models must be fitted to the same observations.
 */
export async function compareFits(a: StoredFit, b: StoredFit, table: arrow.Table, ctx: FitContext): Promise<{ rows: CompareRow[]; refitted: string[]; notes: string[] }> {
  if (a.id === b.id) throw new Error('choose two different fits');
  const famA = isGlmm(a.fit) ? `${a.fit.family}` : 'gaussian';
  const famB = isGlmm(b.fit) ? `${b.fit.family}` : 'gaussian';
  if (famA !== famB) throw new Error(`the fits have different families (${famA}, ${famB}): their likelihoods are not comparable`);
  if (a.fit.nobs !== b.fit.nobs) throw new Error(`models were not all fitted to the same size of dataset (${a.fit.nobs.toLocaleString('en-US')} and ${b.fit.nobs.toLocaleString('en-US')} observations)`);
  const resp = (s: StoredFit) => s.fit.model.formula.text.split('~')[0]!.replace(/\s+/g, '');
  if (resp(a) !== resp(b)) throw new Error(`the fits have different responses (${resp(a)}, ${resp(b)})`);
  const refitted: string[] = [];
  const ml = async (s: StoredFit): Promise<AnyFit> => {
    if (isGlmm(s.fit) || !(s.fit as LmmFit).reml) return s.fit;
    refitted.push(s.fit.formula);
    return runFit(table, { ...s.request, reml: false }, ctx);
  };
  const models = [{ s: a, f: await ml(a) }, { s: b, f: await ml(b) }].sort((x, y) => x.f.df - y.f.df);
  const rows: CompareRow[] = models.map(({ s, f }, k) => {
    const prev = k > 0 ? models[k - 1]!.f : null;
    const Df = prev ? f.df - prev.df : null;
    const Chisq = prev ? 2 * Math.max(0, f.logLik - prev.logLik) : null;
    return {
      fit: s.id, formula: f.formula, npar: f.df, AIC: f.AIC, BIC: f.BIC, logLik: f.logLik, deviance: -2 * f.logLik,
      Chisq, Df, p: Chisq !== null && Df !== null && Df > 0 ? pchisqUpper(Chisq, Df) : null,
    };
  });
  const notes: string[] = [];
  if (rows[0]!.npar === rows[1]!.npar) notes.push('Both models have the same number of parameters: there is no likelihood-ratio test, compare AIC and BIC.');
  notes.push('The test assumes the smaller model is nested in the larger one (lme4 does not check this either); a variance at its boundary of 0 makes the χ² p-value conservative.');
  return { rows, refitted, notes };
}

/**
 * For each grouping factor (with at most 3 random-effects columns): each level's own OLS estimate
 * of the random-effects columns' coefficients, from that level's rows alone, after subtracting the
 * fixed effects that have no random counterpart (and the offset); and the partially pooled
 * estimate β + b̂_g of the same coefficients.
 */
export function shrinkageData(fit: LmmFit): ShrinkageMsg[] {
  const { frame, blocks } = fit.model;
  const { n, p, X, xnames, y, offset } = frame;
  const beta = fit.beta;
  const out: ShrinkageMsg[] = [];
  blocks.forEach((blk, k) => {
    const q = blk.q;
    if (q > 3) return;
    const inTerm = new Set(blk.cnames);
    const adjustedFor = xnames.filter((nm) => !inTerm.has(nm));
    const yAdj = new Float64Array(n);
    for (let i = 0; i < n; i++) yAdj[i] = y[i]! - (offset ? offset[i]! : 0);
    for (let j = 0; j < p; j++) {
      if (inTerm.has(xnames[j]!)) continue;
      const bj = beta[j]!;
      const col = j * n;
      for (let i = 0; i < n; i++) yAdj[i] -= X[col + i]! * bj;
    }
    const nl = blk.nl;
    const qq = q * q;
    const ztz = new Float64Array(nl * qq);
    const zty = new Float64Array(nl * q);
    const count = new Int32Array(nl);
    const Z = blk.Z;
    for (let i = 0; i < n; i++) {
      const g = blk.codes[i]!;
      count[g]!++;
      const zi = i * q;
      const yi = yAdj[i]!;
      for (let a = 0; a < q; a++) {
        const za = Z[zi + a]!;
        zty[g * q + a] += za * yi;
        for (let b = 0; b <= a; b++) ztz[g * qq + a * q + b] += za * Z[zi + b]!;
      }
    }
    const ols = Array.from({ length: q }, () => new Float64Array(nl).fill(NaN));
    const pooled = Array.from({ length: q }, () => new Float64Array(nl));
    const b = fit.conditionalModes(k);
    const betaOf = blk.cnames.map((c) => {
      const j = xnames.indexOf(c);
      return j >= 0 ? beta[j]! : 0;
    });
    const L = new Float64Array(qq);
    const sol = new Float64Array(q);
    for (let g = 0; g < nl; g++) {
      for (let s = 0; s < q; s++) pooled[s]![g] = betaOf[s]! + b[g * q + s]!;
      if (count[g]! < q) continue;
      // Cholesky of the level's ZᵀZ (lower triangle stored), refusing near-singular systems
      let ok = true;
      for (let a = 0; a < q && ok; a++) {
        for (let c = 0; c <= a; c++) {
          let v = ztz[g * qq + a * q + c]!;
          for (let t = 0; t < c; t++) v -= L[a * q + t]! * L[c * q + t]!;
          if (a === c) {
            if (!(v > 1e-10 * Math.max(1, ztz[g * qq + a * q + a]!))) { ok = false; break; }
            L[a * q + a] = Math.sqrt(v);
          } else L[a * q + c] = v / L[c * q + c]!;
        }
      }
      if (!ok) continue;
      for (let a = 0; a < q; a++) {
        let v = zty[g * q + a]!;
        for (let t = 0; t < a; t++) v -= L[a * q + t]! * sol[t]!;
        sol[a] = v / L[a * q + a]!;
      }
      for (let a = q - 1; a >= 0; a--) {
        let v = sol[a]!;
        for (let t = a + 1; t < q; t++) v -= L[t * q + a]! * sol[t]!;
        sol[a] = v / L[a * q + a]!;
      }
      for (let s = 0; s < q; s++) ols[s]![g] = sol[s]!;
    }
    out.push({ group: blk.group, cnames: blk.cnames, count, ols, pooled, beta: betaOf, adjustedFor });
  });
  return out;
}

/** Inputs for a prediction: every column the formula reads except the response. */
function predictorInputs(fit: AnyFit, table: arrow.Table, factors: string[]): PredictorInput[] {
  const f = fit.model.formula;
  const grouping = new Set(f.random.flatMap((r) => r.group));
  const vars = formulaVariables(f, { response: false });
  const asFactor = new Set(factors);
  const out: PredictorInput[] = [];
  for (const name of vars) {
    const vec = table.getChild(name);
    if (!vec) continue;
    const kind = columnKind(vec.type);
    const isFactor = kind === 'factor' || asFactor.has(name) || grouping.has(name);
    if (!isFactor) {
      let sum = 0;
      let cnt = 0;
      for (const d of vec.data) {
        const vals = d.values as ArrayLike<number>;
        for (let r = 0; r < d.length; r++) {
          const v = Number(vals[r]);
          if (Number.isFinite(v) && (d.nullCount === 0 || d.getValid(r))) { sum += v; cnt++; }
        }
      }
      const mean = cnt ? sum / cnt : 0;
      out.push({ name, kind: 'numeric', grouping: false, initial: String(Number(mean.toPrecision(4))) });
      continue;
    }
    // a grouping factor's levels are the fit's (no pass over the rows); other factors are read
    const known = grouping.has(name) ? fit.model.blocks.find((b) => b.group === name)?.levels : undefined;
    const levels = known ? sortLevels(known.map(String)) : distinctLevels(vec, kind === 'numeric');
    out.push({ name, kind: 'factor', grouping: grouping.has(name), initial: levels[0] ?? '', levels: levels.slice(0, 2000), nlevels: levels.length });
  }
  return out;
}

function distinctLevels(vec: arrow.Vector, numeric: boolean): string[] {
  if (numeric) {
    const set = new Set<number>();
    for (const v of vec) if (v != null && !Number.isNaN(Number(v))) set.add(Number(v));
    return [...set].sort((a, b) => a - b).map((v) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(15)))));
  }
  const set = new Set<string>();
  for (const v of vec) if (v != null) set.add(String(v));
  return sortLevels([...set]);
}

/** numerically when every level is a number, else alphabetically */
function sortLevels(all: string[]): string[] {
  const allNum = all.every((s) => s.trim() !== '' && Number.isFinite(Number(s)));
  return allNum ? all.sort((a, b) => Number(a) - Number(b)) : all.sort(new Intl.Collator('en-US').compare);
}

/** Predictions for one row: population level, and with the chosen groups' conditional modes. */
export function predictOne(fit: AnyFit, table: arrow.Table, values: Record<string, string>, newGroups: string[]): PredictResult {
  const f = fit.model.formula;
  const vars = [...formulaVariables(f, { response: false })];
  const isNew = new Set(newGroups);
  const NEW = '(new level)';
  const cols: [string, arrow.Vector][] = [];
  const grouping = new Set(f.random.flatMap((r) => r.group));
  for (const name of vars) {
    const vec = table.getChild(name);
    if (!vec) throw new Error(`column '${name}' is not in the data`);
    const raw = (values[name] ?? '').trim();
    if (isNew.has(name) && grouping.has(name)) {
      cols.push([name, makeFactorVector(Int32Array.of(0), [NEW])]);
      continue;
    }
    if (raw === '') throw new Error(`enter a value for ${name}`);
    if (columnKind(vec.type) === 'numeric') {
      const v = Number(raw);
      if (!Number.isFinite(v)) throw new Error(`${name} must be a number, got '${raw}'`);
      cols.push([name, makeFloat64Vector(Float64Array.of(v))]);
    } else {
      cols.push([name, makeFactorVector(Int32Array.of(0), [raw])]);
    }
  }
  const row = tableFromColumns(cols);
  const glmm = isGlmm(fit);
  const pop = fit.predict(row, { groups: false });
  const cond = fit.predict(row, { allowNewLevels: true });
  const res: PredictResult = {
    population: pop[0]!,
    conditional: cond[0]!,
    groups: [...grouping].map((g) => `${g} = ${isNew.has(g) ? 'a new level' : values[g]}`).join(', '),
  };
  if (glmm) {
    const g = fit as GlmmFit;
    res.populationResponse = g.predict(row, { groups: false, type: 'response' })[0];
    res.conditionalResponse = g.predict(row, { allowNewLevels: true, type: 'response' })[0];
  }
  return res;
}

/** the data's name as the printouts name it (afex's heading's "Data:" line, lmList's Call): the file's name without its extension, as an R name */
export function dataNameOf(name: string | undefined): string {
  return (name ?? 'data').replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9._]+/g, '_') || 'data';
}
