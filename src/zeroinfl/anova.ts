/**
 * Model comparison and term tests of glmmTMB fits, as glmmTMB 1.1.5, R's stats and car 3.1-1 give them:
 *
 *   anovaTmb(fits):  glmmTMB's anova(m0, m1, …) (anova.glmmTMB): the likelihood-ratio table of
 *     src/inference/lrt.ts — models by increasing number of parameters Df (logLik's "df"), AIC = −2ℓ + 2 Df,
 *     BIC = −2ℓ + log(n) Df, ℓ, deviance −2ℓ, and for each model after the first
 *       χ² = 2 max(0, ℓ_k − ℓ_{k−1}) on Chi Df = Df_k − Df_{k−1}
 *     — with glmmTMB's rules: the same number of rows (and here the same rows and response), the same data
 *     (glmmTMB: "all models must be fit to the same data object"), fits of any families, REML fits only
 *     with REML fits of the same conditional fixed-effects terms (CompareFixef: "Can't compare REML and ML
 *     fits", "Can't compare REML fits with different fixed-effect components"); its heading
 *     "Data: …", "Models:", "m0: formula, zi=~…, disp=~…" (R's paste of the deparsed formulas);
 *   drop1Tmb(fit):   stats' drop1.default on a glmmTMB fit: each term t of the conditional model's fixed part
 *     (default drop.scope: the terms no other term contains; `scope` any of its terms, as R's character
 *     scope) left out by update(fit, ~ . − t), refitted, and tabulated through extractAIC.glmmTMB:
 *       Df_t = df − df₋ₜ,  AIC₋ₜ = −2ℓ₋ₜ + 2 df₋ₜ,  LRT_t = −2ℓ₋ₜ − (−2ℓ),  Pr(>Chi) = P(χ²_{Df_t} > LRT_t)
 *     (safe_pchisq: none for Df ≤ 0, as for a term inside an interaction, whose removal keeps the column
 *     space). The zero-inflation and dispersion models are not touched (update's `~ . − t` is the
 *     conditional formula's; terms(fit) is the conditional model's);
 *   tmbWaldAnova(fit, { type, component }):  car's Anova on glmmTMB's Anova.glmmTMB: Wald χ² per term of
 *     the component's fixed part (src/inference/waldAnova.ts's hypotheses: type II each term
 *     V-orthogonal to its relatives, type III each term's own coefficients and the intercept), from the
 *     component's block of x̂ and of Var(x̂) (glmmTMB's fixef(fit)[[component]], vcov(fit)[[component]]).
 */
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import { dropScope } from '../formula/dropScope.js';
import { frameWithout } from '../inference/fixedWithout.js';
import { printGlmmDrop1Table, printLrtTable, printWaldAnova } from '../inference/format.js';
import { safePchisq } from '../inference/glmmDrop1.js';
import { type LrtModel, type LrtTable, likelihoodRatioTable } from '../inference/lrt.js';
import { type WaldRow, type WaldType, checkWaldType, waldAnova } from '../inference/waldAnova.js';
import { abortError } from '../model/control.js';
import { deparseFormula } from '../results/rFormat.js';
import { fitZeroInflatedModel } from './fit.js';
import type { ZeroInflatedModel } from './model.js';
import { ZeroInflatedFit } from './zeroInflatedFit.js';

/** The one-sided formula as R's deparse writes it (`~mined`, `~spp + mined`, `~0`). */
function deparseSide(text: string): string[] {
  return deparseFormula(text.trim());
}

export interface TmbAnova extends LrtTable {
  /** the models' names in the table's order (by Df) */
  names: string[];
  /** glmmTMB's heading: Data, Models: and one line per model (name: formula, zi=…, disp=…) */
  heading: string[];
  /** print(anova(…)) as R prints it */
  print: string[];
  messages: string[];
}

/**
 * glmmTMB 1.1.5's anova(m0, m1, …): `names` default to m0, m1, … (R's are the arguments as written);
 * duplicated names are replaced by MODEL1, MODEL2, … with a warning, as glmmTMB does.
 */
export function anovaTmb(fits: ZeroInflatedFit[], names?: string[]): TmbAnova {
  if (!Array.isArray(fits) || fits.length < 2) throw new ModelError("anova: glmmTMB has no single-model anova() method (\"no single-model anova() method for glmmTMB\"): give two or more fits to compare");
  const bad = fits.findIndex((f) => !(f instanceof ZeroInflatedFit));
  if (bad >= 0) throw new OptionError('fits', `anova: fit ${bad + 1} is ${showValue(fits[bad])}, not a glmmTMB fit (zeroInflated or glmmTMB); compare lmer and glmer fits with anova, nlmer fits with anovaNlmer`);
  if (names !== undefined && (!Array.isArray(names) || names.length !== fits.length || names.some((x) => typeof x !== 'string'))) {
    throw new OptionError('names', `anova: ${showValue(names)} is not one name per fit (${fits.length} fits): "model names vector and model list have different lengths"`);
  }
  const messages: string[] = [];
  // CompareFixef(mod1, each other): REML only against REML, with the same conditional fixed-effects terms
  const sortedTerms = (f: ZeroInflatedFit) => f.model.frame.formula.fixed.terms.map((t) => t.label).sort().join(' + ');
  for (const f of fits.slice(1)) {
    if (f.REML !== fits[0].REML) throw new ModelError("anova: Can't compare REML and ML fits (glmmTMB): their log-likelihoods are of different kinds; refit the REML fit with REML: false");
    if (f.REML && sortedTerms(f) !== sortedTerms(fits[0])) {
      throw new ModelError(`anova: Can't compare REML fits with different fixed-effect components (glmmTMB): '${fits[0].formula}' and '${f.formula}' — restricted likelihoods of different fixed effects are not comparable; refit both with REML: false`);
    }
  }
  const data = fits.map((f) => f.dataName ?? null);
  if (data.some((d) => d !== data[0])) throw new ModelError(`anova: all models must be fit to the same data object (glmmTMB); these were fitted to ${data.map((d) => d ?? '(unnamed data)').join(', ')}`);
  const responses = new Set(fits.map((f) => f.model.formula.response.label));
  if (responses.size > 1) throw new ModelError(`anova: the fits have different responses (${[...responses].join(', ')}): their likelihoods are not comparable`);
  let base = names ?? fits.map((_, k) => `m${k}`);
  if (new Set(base).size < base.length) {
    messages.push('failed to find unique model names, assigning generic names');
    base = fits.map((_, k) => `MODEL${k + 1}`);
  }
  // the component-prefixed coefficient names and random-effects columns, for lrt.ts's nesting note
  const models: LrtModel[] = fits.map((f) => ({
    formula: f.formula, npar: f.df, loglik: f.logLik, nobs: f.nobs, rows: f.model.frame.rows, nInput: f.model.frame.nInput,
    fixed: [...f.model.xnames.map((x) => `cond:${x}`), ...f.model.zinames.map((x) => `zi:${x}`), ...f.model.dispnames.map((x) => `disp:${x}`)],
    random: f.model.reTerms.map((t, k) => `${k >= f.model.nCondTerms ? 'zi:' : ''}${t.cnames.join('+')}|${t.group}`),
    family: f.family,
  }));
  const table = likelihoodRatioTable(models, { sameFamily: false });
  const order = models.map((_, k) => k).sort((a, b) => models[a].npar - models[b].npar || a - b);
  const ordered = order.map((k) => base[k]);
  // glmmTMB's heading: paste(paste(paste(rep(names, lengths(forms)), unlist(forms), sep = ": "),
  // unlist(ziforms), sep = ", zi="), unlist(dispforms), sep = ", disp=") — R's recycling included
  const forms = order.map((k) => deparseFormula(fits[k].formula));
  const zis = order.flatMap((k) => deparseSide(fits[k].ziformula));
  const disps = order.flatMap((k) => deparseSide(fits[k].dispformula));
  const lines = forms.flatMap((lns, m) => lns.map((ln) => `${ordered[m]}: ${ln}`));
  const len = Math.max(lines.length, zis.length, disps.length);
  const modelLines = Array.from({ length: len }, (_, i) => `${lines[i % lines.length]}, zi=${zis[i % zis.length]}, disp=${disps[i % disps.length]}`);
  const dataName = fits[0].dataName ?? 'data';
  const heading = [`Data: ${dataName}`, 'Models:', ...modelLines];
  return {
    ...table, names: ordered, heading, messages: [...messages, ...table.warnings],
    print: printLrtTable(ordered, dataName, table.models, table.tests, { modelLines }),
  };
}

export type TmbDrop1Test = 'Chisq' | 'none';

export interface TmbDrop1Row {
  term: string;
  /** the parameters dropped with the term (R's Df column): df − df₋ₜ */
  Df: number;
  /** the refit's AIC */
  AIC: number;
  /** test 'Chisq': −2ℓ₋ₜ − (−2ℓ), and its χ² p-value (null where Df ≤ 0, R's NA) */
  LRT?: number;
  p?: number | null;
  /** the refit's conditional formula */
  formula: string;
}

export interface TmbDrop1 {
  test: TmbDrop1Test;
  /** the fit's own row (<none>): its AIC */
  none: { AIC: number };
  rows: TmbDrop1Row[];
  /** the model as the heading writes it (deparse(formula(fit)), possibly several lines) */
  model: string[];
  /** the refits' notes that the fit did not have */
  messages: string[];
  /** R's print of the table */
  print: string[];
}

export interface TmbDrop1Options {
  /** stats' test: 'Chisq' (default here, as the glmer drop1's) or 'none' (Df and AIC only) */
  test?: TmbDrop1Test;
  /**
   * terms of the conditional model's fixed part to drop (R's character scope: any of its terms, a term
   * inside an interaction too); default the terms no other term contains (drop.scope)
   */
  scope?: string[];
  /** the refits' evaluation budget (default the fit's default, 10,000) */
  maxfun?: number;
  onProgress?: (p: { done: number; total: number; term: string }) => void;
  signal?: AbortSignal;
}

/** The glmmTMB model without the conditional model's fixed-effects term t (update(fit, ~ . − t) on the same rows). */
export function tmbModelWithout(model: ZeroInflatedModel, term: string): ZeroInflatedModel {
  const frame = frameWithout(model.frame, term);
  return {
    ...model, formula: frame.formula, frame, X: frame.X, p: frame.p, xnames: frame.xnames,
    nPar: model.nPar - model.p + frame.p,
    messages: [...model.messages.filter((m) => !model.frame.messages.includes(m)), ...frame.messages],
  };
}

/** The terms drop1 refits without: R's drop.scope, or the named terms (each a term of the conditional fixed part). */
function tmbDrop1Scope(fit: ZeroInflatedFit, scope: unknown): string[] {
  const part = fit.model.frame.formula.fixed;
  if (scope === undefined) return dropScope(part).map((t) => t.label);
  if (!Array.isArray(scope) || scope.length === 0 || !scope.every((t) => typeof t === 'string')) {
    throw new OptionError('scope', `drop1: scope must be a list of term labels of the conditional model, not ${showValue(scope)}`);
  }
  const labels = part.terms.map((t) => t.label);
  const bad = scope.filter((t) => !labels.includes(t));
  if (bad.length) {
    const other = (f: { fixed: { terms: { label: string }[] } }) => bad.filter((t) => f.fixed.terms.some((u) => u.label === t));
    const inZi = other(fit.model.ziFormula), inDisp = other(fit.model.dispFormula);
    const where = [...(inZi.length ? [`${inZi.map((t) => `'${t}'`).join(', ')} ${inZi.length > 1 ? 'are terms' : 'is a term'} of the zero-inflation model`] : []),
      ...(inDisp.length ? [`${inDisp.map((t) => `'${t}'`).join(', ')} ${inDisp.length > 1 ? 'are terms' : 'is a term'} of the dispersion model`] : [])];
    throw new OptionError('scope', `drop1: scope is not a subset of term labels (R's drop1): ${bad.map((t) => `'${t}'`).join(', ')} not among the conditional model's terms ${labels.map((t) => `'${t}'`).join(', ') || '(none)'}${where.length ? `; ${where.join('; ')}, which drop1 does not drop (it updates the conditional formula only)` : ''}`);
  }
  return scope as string[];
}

/** stats' drop1(fit, scope, test) on a glmmTMB fit (see the header). */
export async function drop1Tmb(fit: ZeroInflatedFit, options: TmbDrop1Options = {}): Promise<TmbDrop1> {
  if (options === null || typeof options !== 'object') throw new OptionError('options', `drop1: options must be an object, not ${showValue(options)}`);
  const test = options.test ?? 'Chisq';
  if (test !== 'Chisq' && test !== 'none') throw new OptionError('test', `drop1's test for a glmmTMB fit is 'Chisq' or 'none' (stats' drop1.default: "F test assumes 'quasi' families"), not ${showValue(test)}`);
  if (fit.REML) {
    throw new ModelError("drop1 of a REML fit is not available: each refit would have other fixed effects, and restricted likelihoods of different fixed effects are not comparable (glmmTMB's anova refuses them: \"Can't compare REML fits with different fixed-effect components\"); refit with REML: false");
  }
  const model = fit.model;
  if (model.frame.nDropped > 0) {
    throw new ModelError(`drop1 of a glmmTMB fit that dropped ${model.frame.nDropped} rows for missing values is not available: R's refits read the rows complete for each smaller model and stop ("number of rows in use has changed: remove missing values?") when a dropped term's variable was missing; remove the rows with missing values first`);
  }
  const scope = tmbDrop1Scope(fit, options.scope);
  const rows: TmbDrop1Row[] = [];
  const messages: string[] = [];
  for (const [k, t] of scope.entries()) {
    if (options.signal?.aborted) throw abortError();
    const m = tmbModelWithout(model, t);
    let refit: ZeroInflatedFit;
    try {
      refit = await fitZeroInflatedModel(m, { maxfun: options.maxfun, signal: options.signal, dataName: fit.dataName });
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new ModelError(`drop1: the refit without '${t}' failed: ${(e as Error).message}`);
    }
    // Df_t = df − df₋ₜ; AIC₋ₜ = −2ℓ₋ₜ + 2 df₋ₜ; LRT_t = (AIC₋ₜ − 2 df₋ₜ) − (AIC − 2 df) = −2ℓ₋ₜ + 2ℓ
    const Df = fit.df - refit.df;
    const row: TmbDrop1Row = { term: t, Df, AIC: refit.AIC, formula: refit.formula };
    if (test === 'Chisq') {
      row.LRT = refit.deviance - fit.deviance;
      row.p = safePchisq(row.LRT, Df);
    }
    rows.push(row);
    for (const msg of refit.messages) if (!fit.messages.includes(msg)) messages.push(`refit without '${t}': ${msg}`);
    options.onProgress?.({ done: k + 1, total: scope.length, term: t });
  }
  const modelLines = deparseFormula(fit.formula);
  const none = { AIC: fit.AIC };
  const print = printGlmmDrop1Table(none, rows.map((r) => ({ term: r.term, npar: r.Df, AIC: r.AIC, LRT: r.LRT, p: r.p })), test, modelLines, true);
  return { test, none, rows, model: modelLines, messages, print };
}

export const TMB_COMPONENTS = ['cond', 'zi', 'disp'] as const;
export type TmbComponent = (typeof TMB_COMPONENTS)[number];

export interface TmbWaldAnovaOptions {
  /** car's type: 'II' (default) or 'III' (2 and 3 are taken) */
  type?: WaldType | 2 | 3 | '2' | '3';
  /** the model whose terms are tested: 'cond' (default), 'zi' or 'disp' */
  component?: TmbComponent;
  /** car's test.statistic: 'Chisq' only (glmmTMB: "F tests currently unavailable") */
  test?: 'Chisq';
}

export interface TmbWaldAnova {
  type: WaldType;
  component: TmbComponent;
  rows: WaldRow[];
  /** the response (glmmTMB's responseName: the conditional formula's left-hand side) */
  response: string;
  messages: string[];
  /** car's print: "Analysis of Deviance Table (Type II Wald chisquare tests)", the response, the table */
  print: string[];
}

/** The component's frame and its coefficients' positions in x = (β, γ, δ, ψ). */
export function componentOf(model: ZeroInflatedModel, component: TmbComponent) {
  if (component === 'cond') return { frame: model.frame, from: 0, k: model.p, names: model.xnames };
  if (component === 'zi') return { frame: model.ziFrame, from: model.p, k: model.pz, names: model.zinames };
  return { frame: model.dispFrame, from: model.p + model.pz, k: model.pd, names: model.dispnames };
}

/**
 * car's Anova(fit, type, component) at parameters x and their covariance V (nPar × nPar row-major): the
 * fit's own (tmbWaldAnova), or any others (a test at glmmTMB's).
 */
export function tmbWaldAnovaAt(model: ZeroInflatedModel, x: ArrayLike<number>, V: ArrayLike<number>, options: TmbWaldAnovaOptions = {}): TmbWaldAnova {
  if (options === null || typeof options !== 'object') throw new OptionError('options', `Anova: options must be an object, not ${showValue(options)}`);
  const type = checkWaldType(options.type);
  const component = options.component ?? 'cond';
  if (!(TMB_COMPONENTS as readonly string[]).includes(component)) throw new OptionError('component', `Anova: component must be one of ${TMB_COMPONENTS.join(', ')}, not ${showValue(component)}`);
  if (options.test !== undefined && options.test !== 'Chisq') throw new OptionError('test', `Anova: test.statistic ${showValue(options.test)} is not available for a glmmTMB fit (glmmTMB: "F tests currently unavailable"); use 'Chisq'`);
  const c = componentOf(model, component);
  // glmmTMB's trivialFixef: no coefficients, or the dispersion model's intercept alone
  if (c.k === 0 || (component === 'disp' && c.k === 1 && c.names[0] === '(Intercept)')) {
    throw new ModelError(`Anova: trivial fixed effect for component '${component}': can't compute Anova table (glmmTMB)${c.k === 0 ? ` — the ${component === 'zi' ? 'zero-inflation' : component === 'disp' ? 'dispersion' : 'conditional'} model has no coefficients` : ' — the dispersion model is ~1'}`);
  }
  const n = model.nPar;
  const beta = Float64Array.from({ length: c.k }, (_, j) => x[c.from + j]);
  const Vc = new Float64Array(c.k * c.k);
  for (let a = 0; a < c.k; a++) for (let b = 0; b < c.k; b++) Vc[a * c.k + b] = V[(c.from + a) * n + c.from + b];
  const bad = c.names.filter((_, j) => !Number.isFinite(Vc[j * c.k + j]));
  if (bad.length) throw new ModelError(`Anova: the covariance of the ${component} component's coefficients ${bad.join(', ')} is not available (NaN: a coefficient at a boundary, or a Hessian that is not positive definite), so their Wald tests are not defined`);
  const messages: string[] = [];
  const condIntercept = model.xnames.includes('(Intercept)');
  const ownIntercept = c.names.includes('(Intercept)');
  if (type === 'III' && component !== 'cond' && condIntercept !== ownIntercept) {
    messages.push(`glmmTMB 1.1.5's type III table reads the conditional model's intercept (has.intercept(mod)) for the ${component} component too; here the ${component} model's own intercept ${ownIntercept ? 'is tested' : 'is absent'}, so glmmTMB's table ${ownIntercept ? 'lacks' : 'has an NA row for'} "(Intercept)"`);
  }
  const rows = waldAnova(c.frame, beta, Vc, type);
  const response = model.formula.response.label;
  return { type, component, rows, response, messages, print: printWaldAnova(rows, type, response) };
}

/** car's Anova(fit, type, component) of a glmmTMB fit (see the header). */
export function tmbWaldAnova(fit: ZeroInflatedFit, options: TmbWaldAnovaOptions = {}): TmbWaldAnova {
  return tmbWaldAnovaAt(fit.model, fit.par, fit.vcov, options);
}
