/**
 * simr's powerSim (Green & MacLeod 2016) for lmer fits (glmer: powerGlmm.ts): the power of a test of one fixed effect,
 * estimated by simulation. simr's algorithm (R/powerSim.R, doSim.R, doFit.R, testLibrary.R):
 *  1. each replicate r draws a new response from the model with its parameters (β, θ, σ), new
 *     random effects each time (doSim.merMod: lme4's simulate with newparams = (β, θ, σ)):
 *       y*_r = X β + Z Λ(θ) σ u*_r + σ ε*_r          (simulate.ts, counter-based draws of (seed, r));
 *     `fixef` replaces entries of β first (simr's fixef(model)["x"] <- value), `sigma` σ (simr's
 *     sigma(model) <- value: Λ(θ) is relative to σ, so the random effects scale with it, as lme4's
 *     simulate draws them);
 *  2. the model is refitted to y*_r with the fit's own criterion (doFit re-runs the lmer call: REML
 *     for a REML fit), here from θ̂ on the same design (lme4's refit(fit, newresp));
 *  3. the test's p-value p_r (simr's fixed(xname, method)):
 *       't'  lmerTest's summary with Satterthwaite's df: Pr(>|t|) of the coefficient;
 *       'kr' lme4's drop1 with pbkrtest's KRmodcomp(fit, update(fit, ~ . − x)): the p-value of the
 *            scaled F (simr's default for a numeric predictor), the restriction L = the term's columns;
 *       'lr' lme4's drop1(fit, ~x, test = "Chisq"): both models refitted by ML (extractAIC's
 *            refitML), LRT = −2ℓ₀ + 2ℓ₁ on χ²(Δnpar) (simr's default for a factor);
 *       'z'  2 Φ(−|β̂/SE|) (lmer's t value read as a z);
 *       'anova' lmerTest's anova(fit, type = 2, ddf = "Satterthwaite") (simr's fixed(x, "anova"));
 *       'chisq' car's Anova(fit, type = 2, test.statistic = "Chisq"): χ² = (Hβ̂)ᵀ (H V Hᵀ)⁻¹ (Hβ̂) on rank(H)
 *            df, H the term's type-II hypothesis (waldAnova.ts), V = Var(β̂) (simr's fixed(x, "chisq"));
 *       'f'  car's Anova(fit, type = 2, test.statistic = "F") (simr's fixed(x, "f")): H the type-II
 *            hypothesis with V = Φ_A (pbkrtest's vcovAdj, as car passes it), then KRmodcomp(fit, H):
 *            Kenward–Roger's scaled F on (rank H, ddf) (REML fits: car refuses an ML fit's F);
 *       'pb' pbkrtest's PBmodcomp(fit, fit without x, nsim = pbnsim) (simr's fixed(x, "pb"), via drop1):
 *            the LRT of the ML refits against its parametric-bootstrap reference distribution, each
 *            replicate's bootstrap drawn from its own small model's ML fit (seed pbSeed(seed, r));
 *     or simr's model comparisons (test: { compare | fcompare | rcompare: formula }): the fit against
 *     a smaller model, lme4's update(fit, formula) (compare; `.` allowed), the fixed part given with
 *     the fit's random terms (fcompare), or the random part given with the fit's fixed part (rcompare):
 *       'lr' lme4's anova(fit, small): ML refits of both, LRT on χ²(Δnpar) (simr's lrcompare);
 *       'kr' KRmodcomp(fit, small) (fcompare only: the random parts equal);
 *       'pb' PBmodcomp(fit, small, nsim = pbnsim);
 *  4. power = #{p_r < α} / nsim (NA p-values are not successes and count as errors, simr's na.rm),
 *     with the exact Clopper–Pearson interval (binom.test; clopperPearson.ts).
 * simr counts the replicates whose fit or test raised errors or warnings: here `errors` are the
 * replicates whose refit or test failed, `warnings` those whose refit or test reported a warning
 * (the optimizer's non-convergence, lmerTest's Hessian warnings) beyond the fit's own data messages,
 * `singular` those with a singular refit (lme4's message, not a warning).
 *
 * glmer fits: powerGlmm.ts (z and lr). Refused with the reason: prior weights (simr: "Non-uniform weights are not
 * supported"), fixed σ or priors (another criterion), known covariances, fits whose rows are in an
 * engine, a term that is not a marginal fixed-effects term (lr, kr, f) or not a column of X (t, z),
 * a multi-column term with t or z.
 */
import { ModelError, OptionError } from '../errors/errors.js';
import { CpuBackend } from '../backend/cpu/cpuBackend.js';
import { referenceGram } from '../backend/cpu/gram.js';
import { fitFromStart } from '../lmm/fit.js';
import { LmmFit } from '../lmm/lmmFit.js';
import { GlmmFit } from '../glmm/glmmFit.js';
import { checkPowerGlmm, powerRunGlmm } from './powerGlmm.js';
import type { LmmModel } from '../lmm/model.js';
import { abortError, macrotask } from '../model/control.js';
import { pchisqUpper } from '../stats/distributions.js';
import { anovaTable, bootstrapFit, checkLme4Criterion, coefficientTable, ddfContext, fixedDesignOf, mlFit } from './fitInference.js';
import type { BlockedCholesky } from '../linalg/blockedCholesky.js';
import { mapBeta, mapVcov } from '../model/fixedTransform.js';
import { thetaToInternal, thetaToOriginal } from '../model/reparam.js';
import { solveLmm } from '../lmm/solution.js';
import { type DdfContext, contest1D, contestMD, krFtest } from './contest.js';
import { varparCovariance } from './satterthwaite.js';
import { kenwardRoger } from './kenwardRoger.js';
import { anovaHypotheses } from './anovaType.js';
import { bootstrapGramCpu } from '../backend/cpu/bootstrapGram.js';
import { fillTemplate } from '../linalg/template.js';
import { krModcomp, modcompPair } from './modcomp.js';
import { pbModcomp } from './pbModcomp.js';
import { waldAnova, waldHypotheses } from './waldAnova.js';
import { updatedFormulaText } from './ranova.js';
import { updateFormula } from '../formula/update.js';
import { parseFormula } from '../formula/parse.js';
import type { Formula } from '../formula/types.js';
import { drop1Scope } from './drop1.js';
import { formulaWithout } from './fixedWithout.js';
import { refitWithFormula } from './refitFrame.js';
import { termColumns } from './termColumns.js';
import { lmmOnRows } from './jackknife.js';
import { lmmWithResponse } from './pbModcomp.js';
import { type SimulateSource, simulateFit } from './simulate.js';
import { clopperPearson } from './clopperPearson.js';
import { refuseEngineRows, refuseKnownCovariance } from './knownCovariance.js';

export type PowerMethod = 't' | 'kr' | 'lr' | 'z' | 'f' | 'anova' | 'chisq' | 'pb';
const METHODS: readonly PowerMethod[] = ['t', 'kr', 'lr', 'z', 'f', 'anova', 'chisq', 'pb'];

/**
 * simr's model comparisons as a test: the fit against a smaller model given by
 *   compare:  a formula for lme4's update(fit, formula) ('. ~ . - x', or a whole formula);
 *   fcompare: the smaller model's fixed part ('~ 1', '~ x'), the fit's random-effects terms kept;
 *   rcompare: the smaller model's random part ('~ (1 | g)'), the fit's fixed part kept.
 */
export type PowerCompare = { compare: string } | { fcompare: string } | { rcompare: string };
const COMPARE_METHODS: Record<'compare' | 'fcompare' | 'rcompare', PowerMethod[]> = { compare: ['lr', 'pb'], fcompare: ['lr', 'kr', 'pb'], rcompare: ['lr', 'pb'] };

/** the default number of parametric-bootstrap simulations within each replicate (simr's pbnsim option) */
export const PB_NSIM = 100;

/** the parameters responses are simulated with (lme4's newparams) */
export interface PowerParameters {
  /** β in the fit's column order */
  beta: Float64Array;
  /** lme4's θ (relative to σ) */
  theta: Float64Array;
  sigma: number;
}

export interface PowerSimOptions {
  /**
   * the fixed-effects term tested (simr's fixed(xname)); default the first term of the fixed part, as
   * simr's getDefaultXname; or a model comparison (simr's compare, fcompare, rcompare):
   * `{ compare: '. ~ . - x' }`, `{ fcompare: '~ 1' }`, `{ rcompare: '~ (1 | g)' }` (lmer fits)
   */
  test?: string | PowerCompare;
  /** the test (simr's method): default 'kr' for a one-column term, 'lr' for a term of several columns (a factor), as simr's defaulttest; 'lr' for a comparison */
  method?: PowerMethod;
  /** the parametric bootstrap's simulations within each replicate of a pb test (simr's pbnsim option; default 100) */
  pbnsim?: number;
  /** number of simulations (default 1000, simr's nsim) */
  nsim?: number;
  /** the random seed (an integer; default 1) */
  seed?: number;
  /** the significance level (default 0.05) */
  alpha?: number;
  /** effect sizes set before simulating: { 'x': −0.05 } (simr's fixef(model)["x"] <- −0.05), by column name of X */
  fixef?: Record<string, number>;
  /** the residual SD to simulate with (simr's sigma(model) <- value) */
  sigma?: number;
  /**
   * how the replicates are refitted: 'batched' (default for t, kr, z, f): the parametric bootstrap's
   * machinery (bootstrap.ts: responses formed into the Gram matrix's y parts a batch at a time,
   * warm-started Newton refits) with the test computed at each replicate's factor; 'refit' (always
   * for lr and powerCurve): each replicate's model refitted from θ̂ on its rows (fitFromStart) and
   * tested as a fit
   */
  refit?: 'batched' | 'refit';
  onProgress?: (p: { done: number; nsim: number; elapsedMs: number }) => void;
  signal?: AbortSignal;
}

export interface PowerSimResult {
  /** the term tested */
  term: string;
  method: PowerMethod;
  /** simr's text: "Power for predictor 'x'" */
  text: string;
  /** simr's description: the test, then the effect size where the term is one column */
  description: string[];
  /** the effect size simulated with (the term's coefficient; null for a term of several columns) */
  effect: number | null;
  /** #{p_r < α} */
  successes: number;
  trials: number;
  power: number;
  /** the 95% Clopper–Pearson interval (binom.test) */
  ci: [number, number];
  /** each replicate's p-value (NaN where its refit or test failed) */
  pValues: Float64Array;
  alpha: number;
  /** rows of each refit */
  nrow: number;
  /** replicates whose refit or test failed */
  errors: number;
  /** replicates whose refit or test reported a warning beyond the data's (the optimizer's non-convergence, lmerTest's Hessian warnings) */
  warnings: number;
  /** replicates whose refit was singular (lme4's message "boundary (singular) fit", which simr counts as a message, not a warning) */
  singular: number;
  /** the distinct messages of those replicates, with their counts */
  messages: { message: string; count: number }[];
  nsim: number;
  seed: number;
  timeMs: number;
}

/** what a test is: the term, its columns of X, the method */
export interface PowerTest {
  term: string;
  method: PowerMethod;
  /** the term's columns of X (one for a numeric predictor); none for a comparison */
  columns: number[];
  /** a model comparison (simr's compare, fcompare, rcompare): which, the formula given, the smaller model's formula */
  compare?: { kind: 'compare' | 'fcompare' | 'rcompare'; given: string; small: Formula };
}

const DESCRIPTIONS: Record<PowerMethod, string> = {
  t: 't-test with Satterthwaite degrees of freedom (package lmerTest)',
  kr: 'Kenward Roger (package pbkrtest)',
  lr: 'Likelihood ratio',
  z: 'z-test',
  anova: 'Type-2 F-test with Satterthwaite degrees of freedom (package lmerTest)',
  chisq: 'Type-II Chi-Square-test (package car)',
  f: 'Type-II F-test (package car)',
  pb: 'Parametric bootstrap (package pbkrtest)',
};

/** the checks of an lmer fit powerSim simulates from and refits */
export function checkPowerFit(fit: unknown, what = 'powerSim'): asserts fit is LmmFit {
  if (!(fit instanceof LmmFit)) throw new ModelError(`${what}: only lmer fits are supported here`);
  checkLme4Criterion(fit, what);
  const model = fit.model;
  refuseKnownCovariance(model, what, 'its simulations need the known covariance\'s factor');
  refuseEngineRows(model, what);
  if (model.frame.weights) throw new ModelError(`${what}: prior weights are not supported (simr: "Non-uniform weights are not supported"; lme4's simulate draws σ ε for every row whatever the weights)`);
}

/** the term and method of simr's fixed(test, method) on this fit (see the header for the rules) */
export function resolvePowerTest(fit: LmmFit | GlmmFit, test?: string | PowerCompare, method?: string): PowerTest {
  const frame = fit.model.frame;
  const part = frame.formula.fixed;
  if (typeof test === 'object' && test !== null && !Array.isArray(test)) return resolveCompare(fit, test, method);
  if (test !== undefined && (typeof test !== 'string' || test.length === 0)) throw new OptionError('test', "test must name a fixed-effects term, or be a model comparison such as { compare: '. ~ . - x' }");
  const term = test ?? part.terms[0]?.label;
  if (term === undefined) throw new ModelError('powerSim: the model has no fixed-effects term to test (only an intercept)');
  if (method !== undefined && !(METHODS as readonly string[]).includes(method)) {
    throw new OptionError('method', `unknown test method '${String(method)}' (choose ${METHODS.join(', ')})`);
  }
  const k = part.terms.findIndex((t) => t.label === term);
  const assign = termColumns(frame);
  let columns: number[];
  if (k >= 0) columns = assign[k];
  else {
    // a column of X that is not a term (a factor's level, an interaction's column): t and z only
    const j = frame.xnames.indexOf(term);
    if (j < 0) throw new OptionError('test', `'${term}' is not a fixed-effects term or coefficient of the model (terms: ${part.terms.map((t) => t.label).join(', ') || 'none'}; coefficients: ${frame.xnames.join(', ')})`);
    columns = [j];
    if (method !== undefined && method !== 't' && method !== 'z') throw new OptionError('method', `the coefficient '${term}' is not a term of the fixed part: only its t or z test is available (method ${method} drops a term)`);
    if (fit instanceof GlmmFit && method !== undefined && method !== 'z') throw new OptionError('method', `the ${method} test is for lmer fits; a glmer fit's coefficient takes z`);
    return { term, method: (method as PowerMethod | undefined) ?? (fit instanceof GlmmFit ? 'z' : 't'), columns };
  }
  if (columns.length === 0) throw new ModelError(`powerSim: the term '${term}' has no estimable column (aliased with the other terms)`);
  // simr's defaulttest: lmer kr, glmer z; a factor (several columns) lr
  const m: PowerMethod = (method as PowerMethod | undefined) ?? (columns.length > 1 ? 'lr' : fit instanceof GlmmFit ? 'z' : 'kr');
  if (fit instanceof GlmmFit && m !== 'z' && m !== 'lr') throw new OptionError('method', `the ${m} test is for lmer fits (lmerTest, pbkrtest); a glmer fit takes z or lr, as simr`);
  if ((m === 't' || m === 'z') && columns.length > 1) {
    throw new OptionError('method', `the term '${term}' has ${columns.length} columns (${columns.map((j) => frame.xnames[j]).join(', ')}): a ${m} test is of one coefficient; use method lr or f for the whole term, or test one coefficient by its name`);
  }
  if (m === 'f' && !(fit as LmmFit).reml) throw new OptionError('method', "car's F test (Kenward–Roger) needs a REML fit (car: \"F test available only for linear mixed model fit by REML\"; simr refits with REML): fit with REML, or use method chisq or lr");
  if (m === 'lr' || m === 'kr' || m === 'anova' || m === 'pb') {
    // drop1's rule: only a marginal term can be dropped (simr warns and tests a main effect under an interaction; refused here;
    // car's type-II chisq and f test a main effect under an interaction, as simr does)
    if (!drop1Scope(part).some((t) => t.label === term)) throw new OptionError('test', `the term '${term}' is contained in another term of the model (an interaction): the ${m} test drops a marginal term; test the interaction, or a coefficient with method t or z`);
  }
  return { term, method: m, columns };
}

/** simr's compare, fcompare, rcompare: the smaller model's formula (see PowerCompare) */
function resolveCompare(fit: LmmFit | GlmmFit, test: object, method?: string): PowerTest {
  const keys = Object.keys(test);
  const kind = keys[0] as 'compare' | 'fcompare' | 'rcompare';
  if (keys.length !== 1 || !(kind in COMPARE_METHODS)) throw new OptionError('test', `a model comparison is one of { compare: formula }, { fcompare: formula }, { rcompare: formula }; got keys ${JSON.stringify(keys)}`);
  if (!(fit instanceof LmmFit)) throw new OptionError('test', `simr's ${kind} is offered for lmer fits here (a glmer fit takes fixed tests: z and lr)`);
  const given = (test as Record<string, unknown>)[kind];
  if (typeof given !== 'string' || !given.includes('~')) throw new OptionError('test', `${kind}: the smaller model must be a formula string such as ${kind === 'rcompare' ? "'~ (1 | g)'" : kind === 'fcompare' ? "'~ 1'" : "'. ~ . - x'"}, got ${JSON.stringify(given)}`);
  const m = (method ?? 'lr') as PowerMethod;
  if (!COMPARE_METHODS[kind].includes(m)) throw new OptionError('method', `simr's ${kind} takes method ${COMPARE_METHODS[kind].join(' or ')}, not '${String(method)}'`);
  const formula = fit.model.formula;
  const oneSided = (t: string) => (t.trim().startsWith('~') ? `${formula.response.label} ${t.trim()}` : t);
  let text: string;
  if (kind === 'compare') text = updateFormula(formula.text, given, { expandDoubleVerts: true });
  else {
    const g = parseFormula(oneSided(given));
    // simr: "fcompare LHS does not match model"
    if (g.response.label !== formula.response.label) throw new OptionError('test', `${kind}: the response of '${given}' is not the model's (${formula.response.label})`);
    if (kind === 'fcompare') {
      if (g.random.length) throw new OptionError('test', `fcompare: give the smaller model's fixed part only ('${given}' has random-effects terms; the fit's are kept)`);
      text = updatedFormulaText({ ...g, response: formula.response }, formula.random);
    } else {
      if (!g.random.length) throw new OptionError('test', `rcompare: give the smaller model's random-effects terms ('${given}' has none), e.g. '~ (1 | g)'`);
      text = updatedFormulaText(formula, g.random);
    }
  }
  const small = parseFormula(text);
  if (!small.random.length) throw new OptionError('test', `${kind}: the smaller model '${text}' has no random-effects term (a mixed model is compared with a mixed model here)`);
  return { term: given, method: m, columns: [], compare: { kind, given, small } };
}
/** the simulation's parameters: the fit's β, θ, σ (or `base`'s) with `fixef` and `sigma` replacing some */
export function powerParameters(fit: LmmFit | GlmmFit, fixef?: Record<string, number>, sigma?: number, base: PowerParameters = fit): PowerParameters {
  const xn = fit.model.frame.xnames;
  const beta = Float64Array.from(base.beta);
  if (fixef !== undefined) {
    if (typeof fixef !== 'object' || fixef === null || Array.isArray(fixef)) throw new OptionError('fixef', 'fixef must be an object of coefficient names and values, e.g. { Days: 5 }');
    for (const [name, v] of Object.entries(fixef)) {
      const j = xn.indexOf(name);
      if (j < 0) throw new OptionError('fixef', `fixef: '${name}' is not a coefficient of the model (coefficients: ${xn.join(', ')})`);
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new OptionError('fixef', `fixef: the value of '${name}' must be a finite number, got ${String(v)}`);
      beta[j] = v;
    }
  }
  if (sigma !== undefined && !(typeof sigma === 'number' && Number.isFinite(sigma) && sigma > 0)) throw new OptionError('sigma', `sigma must be a positive number, got ${String(sigma)}`);
  return { beta, theta: Float64Array.from(base.theta), sigma: sigma ?? base.sigma };
}

/**
 * simr's extended model (powerCurve.ts extend): the model fitted to a larger design, simulated with
 * the original fit's parameters
 */
export interface ExtendedFit {
  kind: 'extended';
  /** the model fitted to the extended data (its design, and the refits' start): lmer or glmer */
  fit: LmmFit | GlmmFit;
  /** the original fit's β, θ, σ */
  parameters: PowerParameters;
  /** the extended data's columns */
  data: Record<string, unknown[]>;
  /** the column extended (simr's .simr_repl for within) */
  along: string;
  n: number;
}

/** whether `input` is extend's result */
export function isExtended(input: unknown): input is ExtendedFit {
  return typeof input === 'object' && input !== null && (input as ExtendedFit).kind === 'extended';
}

/** the design fit and the simulation's parameters of a fit or an extended fit, checked */
export function powerInput(input: LmmFit | ExtendedFit, what: string, fixef?: Record<string, number>, sigma?: number): { fit: LmmFit; par: PowerParameters } {
  const extended = isExtended(input);
  const fit = extended ? input.fit : input;
  checkPowerFit(fit, what);
  return { fit, par: powerParameters(fit, fixef, sigma, extended ? input.parameters : fit) };
}

/** the same for a glmer fit or an extended glmer fit (no σ to set) */
export function powerInputGlmm(input: GlmmFit | ExtendedFit, what: string, fixef?: Record<string, number>, sigma?: number): { fit: GlmmFit; par: PowerParameters } {
  const extended = isExtended(input);
  const fit = extended ? input.fit : input;
  if (!(fit instanceof GlmmFit)) throw new ModelError(`${what}: expected a glmer fit`);
  checkPowerGlmm(fit, what);
  if (sigma !== undefined) throw new OptionError('sigma', `${what}: a ${fit.model.family.family} GLMM has no residual SD to set`);
  return { fit, par: powerParameters(fit, fixef, undefined, extended ? input.parameters : fit) };
}

/** the simulation source of simulate.ts: the fit's model and rows with the parameters `par` */
export function simulationSource(fit: LmmFit, par: PowerParameters): SimulateSource {
  return { model: fit.model, beta: par.beta, theta: par.theta, sigma: par.sigma, conditionalModes: (k) => fit.conditionalModes(k) };
}

/** one replicate's outcome */
export interface ReplicateTest { p: number; messages: string[] }

/**
 * The tester of `test` on `fit`'s design (or its rows `keep`): given a response y (one value per row
 * of the fit), the refit(s) and the p-value. Set up once (the ML fits of the full and reduced models
 * for 'lr'); each call refits from the fit's θ̂ (warm start) on the CPU in float64.
 */
export async function powerTester(
  fit: LmmFit, test: PowerTest, keep: Int32Array | null = null, signal?: AbortSignal, pb: { seed: number; pbnsim: number } = { seed: 1, pbnsim: PB_NSIM },
): Promise<(y: Float64Array, r: number) => Promise<ReplicateTest>> {
  const dataMessages = new Set(fit.model.frame.messages);
  const refit = async (base: LmmFit, y: Float64Array): Promise<LmmFit> => {
    let model: LmmModel = lmmWithResponse(base.model, y);
    if (keep) model = lmmOnRows(model, keep);
    const reference = new CpuBackend(referenceGram(model), model.theta.length, undefined, () => referenceGram(model));
    return fitFromStart(model, reference, thetaToInternal(base.model, base.theta), { signal });
  };
  const newMessages = (f: LmmFit) => f.messages.filter((m) => !dataMessages.has(m));
  const xn = fit.model.frame.xnames;
  // the smaller model fitted once to the data (its θ̂ the start of its refits): the fit without the term, or the comparison's
  const smallFit = () => refitWithFormula(fit, test.compare ? test.compare.small : formulaWithout(fit.model.formula, test.term), 'powerSim');
  const j = test.columns[0];
  switch (test.method) {
    case 't': return async (y) => {
      const f = await refit(fit, y);
      const row = coefficientTable(f, { ddf: 'satterthwaite' });
      return { p: row.rows[j].p, messages: [...newMessages(f), ...row.messages] };
    };
    case 'z': return async (y) => {
      const f = await refit(fit, y);
      // lmer's t value β̂/SE read as a z: 2 Φ(−|z|) = P(χ²₁ > z²)
      const z = f.beta[j] / Math.sqrt(f.vcov[j][j]);
      return { p: pchisqUpper(z * z, 1), messages: newMessages(f) };
    };
    case 'kr': {
      // the term's columns, or fcompare's restriction (pbkrtest's, from the two models' column spaces)
      const L = test.compare ? modcompPair(fit, await smallFit(), 'KRmodcomp').L! : test.columns.map((c) => xn.map((_, k) => (k === c ? 1 : 0)));
      return async (y) => {
        const f = await refit(fit, y);
        const kr = await krModcomp(f, L);
        return { p: kr.Ftest.p, messages: newMessages(f) };
      };
    }
    case 'chisq': return async (y) => {
      const f = await refit(fit, y);
      // car's Anova(fit, type = 2, test.statistic = "Chisq") with V = Var(β̂)
      const row = waldAnova(f.model.frame, f.beta, Float64Array.from(f.vcov.flat()), 'II').find((r) => r.term === test.term);
      if (!row) throw new ModelError(`powerSim: car's type-II table has no row for '${test.term}'`);
      return { p: row.p, messages: newMessages(f) };
    };
    case 'f': return async (y) => {
      const f = await refit(fit, y);
      // car's Anova(fit, type = 2, test.statistic = "F"): H from V = Φ_A (vcovAdj), then KRmodcomp(fit, H)
      const { ctx } = ddfContext(f, 'kenward-roger');
      if (ctx.method !== 'kenward-roger') throw new ModelError("powerSim: Kenward–Roger's method cannot be computed for this refit");
      const h = waldHypotheses(f.model.frame, ctx.kr.PhiA, 'II').find((r) => r.term === test.term);
      if (!h) throw new ModelError(`powerSim: car's type-II table has no row for '${test.term}'`);
      return { p: krFtest(ctx, h.H).p, messages: newMessages(f) };
    };
    case 'pb': {
      // PBmodcomp(fit, small, nsim = pbnsim) of each replicate's refits (pbModcomp.ts refits both by ML)
      const small = await smallFit();
      return async (y, r) => {
        const f1 = await refit(fit, y);
        const f0 = await refit(small, y);
        const res = await pbModcomp(f1, f0, { nsim: pb.pbnsim, seed: pbSeed(pb.seed, r), signal });
        return { p: res.PBtest.p, messages: [...newMessages(f1), ...newMessages(f0), ...(res.failed ? [`${res.failed} of the parametric bootstrap's refits failed`] : [])] };
      };
    }
    case 'anova': return async (y) => {
      const f = await refit(fit, y);
      const a = anovaTable(f, { ddf: 'satterthwaite', type: 'II' });
      const row = a.rows.find((r) => r.term === test.term);
      if (!row) throw new ModelError(`powerSim: the anova table has no row for '${test.term}'`);
      return { p: row.p, messages: [...newMessages(f), ...a.messages] };
    };
    case 'lr': {
      // lme4's drop1(test = "Chisq"): extractAIC refits both models by ML (refitML)
      // (lme4's anova(fit, small) for a comparison: the same ML refits)
      const full = await mlFit(fit);
      const small = await mlFit(await smallFit());
      const df = full.df - small.df;
      if (!(df > 0)) throw new ModelError(`powerSim: the smaller model '${small.model.formula.text}' has ${small.df} parameters, the fit ${full.df}: it must have fewer`);
      return async (y) => {
        const f1 = await refit(full, y);
        const f0 = await refit(small, y);
        // LRT = −2ℓ₀ − (−2ℓ₁) on χ²(npar₁ − npar₀) (not clamped at 0, as lme4)
        const lrt = f0.objective - f1.objective;
        return { p: lrt > 0 ? pchisqUpper(lrt, df) : Number.isNaN(lrt) ? NaN : 1, messages: [...newMessages(f1), ...newMessages(f0)] };
      };
    }
  }
  throw new OptionError('method', `unknown method ${String(test.method)}`);
}

const KNOWN_OPTIONS = ['test', 'method', 'nsim', 'seed', 'alpha', 'fixef', 'sigma', 'refit', 'pbnsim', 'onProgress', 'signal'];

/** the seed of replicate r's parametric bootstrap (a pb test): a hash of (seed, r), so that its draws are not the replicates' */
export function pbSeed(seed: number, r: number): number {
  return (Math.imul((seed ^ 0x5bd1e995) >>> 0, 0x27d4eb2d) ^ Math.imul(r + 1, 0x165667b1)) | 0;
}

/** the options common to powerSim and powerCurve, checked */
export function checkPowerOptions(options: Record<string, unknown>, what: string, extra: string[] = []): { nsim: number; seed: number; alpha: number; pbnsim: number } {
  if (typeof options !== 'object' || options === null) throw new OptionError('options', `${what}: options must be an object`);
  const known = [...KNOWN_OPTIONS, ...extra];
  for (const k of Object.keys(options)) if (!known.includes(k)) throw new OptionError(k, `${what}: unknown option '${k}' (the options are ${known.join(', ')})`);
  const nsim = options.nsim ?? 1000;
  if (!(typeof nsim === 'number' && Number.isInteger(nsim) && nsim >= 1)) throw new OptionError('nsim', `nsim must be a whole number of simulations (1 or more), got ${String(nsim)}`);
  const seed = options.seed ?? 1;
  if (!(typeof seed === 'number' && Number.isInteger(seed))) throw new OptionError('seed', `seed must be an integer, got ${String(seed)}`);
  const alpha = options.alpha ?? 0.05;
  if (!(typeof alpha === 'number' && alpha > 0 && alpha < 1)) throw new OptionError('alpha', `alpha must be between 0 and 1, got ${String(alpha)}`);
  const pbnsim = options.pbnsim ?? PB_NSIM;
  if (!(typeof pbnsim === 'number' && Number.isInteger(pbnsim) && pbnsim >= 2)) throw new OptionError('pbnsim', `pbnsim must be a whole number of bootstrap simulations (2 or more), got ${String(pbnsim)}`);
  return { nsim, seed, alpha, pbnsim };
}

/** simr's summary of a set of p-values: successes, power and its Clopper–Pearson interval */
export function powerSummary(pValues: ArrayLike<number>, alpha: number): { successes: number; trials: number; power: number; ci: [number, number] } {
  const trials = pValues.length;
  let successes = 0;
  for (let r = 0; r < trials; r++) if (pValues[r] < alpha) successes++;
  return { successes, trials, power: successes / trials, ci: clopperPearson(successes, trials, 0.95) };
}

/** simr's description of the test: the method, then "Effect size for x is …" for a one-column term */
export function powerDescription(fit: LmmFit | GlmmFit, test: PowerTest, par: PowerParameters): { text: string; description: string[]; effect: number | null } {
  if (test.compare) {
    // simr's compare/fcompare/rcompare descriptions: "Comparison to <formula>", " + [re]", "[fe] + "
    const { kind, given } = test.compare;
    const which = kind === 'fcompare' ? `${given} + [re]` : kind === 'rcompare' ? `[fe] + ${given}` : given;
    return { text: 'Power for model comparison', description: [test.method === 'kr' ? 'Kenward-Roger (package pbkrtest)' : DESCRIPTIONS[test.method], `Comparison to ${which}`], effect: null };
  }
  const xn = fit.model.frame.xnames;
  const effect = test.columns.length === 1 && xn[test.columns[0]] === test.term ? par.beta[test.columns[0]] : null;
  const description = [DESCRIPTIONS[test.method]];
  if (effect !== null) description.push(`Effect size for ${test.term} is ${formatG2(effect)}`);
  return { text: `Power for predictor '${test.term}'`, description, effect };
}

/** C's "%#.2g": two significant digits, trailing zeros and the decimal point kept */
export function formatG2(x: number): string {
  if (x === 0) return '0.0';
  if (!Number.isFinite(x)) return String(x);
  const e = Math.floor(Math.log10(Math.abs(Number(x.toPrecision(2)))));
  if (e < -4 || e >= 2) {
    const [m, ex] = x.toExponential(1).split('e');
    const n = Number(ex);
    return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const s = x.toFixed(Math.max(0, 1 - e));
  return s.includes('.') ? s : `${s}.`;
}

/** simr's powerSim(fit, fixed(test, method), nsim, seed, alpha) (see the header), of an lmer fit, an extended one (powerCurve.ts extend) or a glmer fit (powerGlmm.ts) */
export async function powerSim(input: LmmFit | ExtendedFit | GlmmFit, options: PowerSimOptions = {}): Promise<PowerSimResult> {
  const t0 = performance.now();
  if (input instanceof GlmmFit || (isExtended(input) && input.fit instanceof GlmmFit)) return powerSimGlmm(input, options, t0);
  const { fit, par } = powerInput(input, 'powerSim', options.fixef, options.sigma);
  const { nsim, seed, alpha, pbnsim } = checkPowerOptions(options as Record<string, unknown>, 'powerSim');
  const test = resolvePowerTest(fit, options.test, options.method);
  if (options.refit !== undefined && options.refit !== 'batched' && options.refit !== 'refit') throw new OptionError('refit', `refit must be 'batched' or 'refit', got ${String(options.refit)}`);
  const o = { nsim, seed, signal: options.signal, onProgress: options.onProgress, t0, pbnsim };
  const run = (options.refit ?? 'batched') === 'batched' && test.method !== 'lr' && test.method !== 'pb' ? await powerRunBatched(fit, par, test, o) : await powerRun(fit, par, test, o);
  return { ...powerDescription(fit, test, par), ...powerSummary(run.pValues, alpha), ...run, term: test.term, method: test.method, alpha, nrow: fit.model.frame.n, nsim, seed, timeMs: performance.now() - t0 };
}

/** what the replicates give: p-values and the counts of failed, warned and singular refits */
export interface PowerRun { pValues: Float64Array; errors: number; warnings: number; singular: number; messages: { message: string; count: number }[] }

const isSingularMessage = (m: string) => m.startsWith('boundary (singular) fit');

/** the replicates of a power simulation: responses simulated from `sim` (the fit's rows), each tested by each of `testers` */
export async function powerRun(
  fit: LmmFit, par: PowerParameters, test: PowerTest,
  o: { nsim: number; seed: number; signal?: AbortSignal; onProgress?: PowerSimOptions['onProgress']; t0: number; pbnsim?: number },
): Promise<PowerRun> {
  const [out] = await powerRunSubsets(fit, par, test, [null], o);
  return out;
}

/**
 * The replicates for several row subsets at once (powerCurve: each response drawn once on all rows,
 * then refitted on each subset, as simr's powerCurve reuses its simulations across breaks).
 */
export async function powerRunSubsets(
  fit: LmmFit, par: PowerParameters, test: PowerTest, subsets: (Int32Array | null)[],
  o: { nsim: number; seed: number; signal?: AbortSignal; onProgress?: PowerSimOptions['onProgress']; t0: number; pbnsim?: number },
): Promise<PowerRun[]> {
  const testers = [];
  for (const keep of subsets) testers.push(await powerTester(fit, test, keep, o.signal, { seed: o.seed, pbnsim: o.pbnsim ?? PB_NSIM }));
  const source = simulationSource(fit, par);
  const outs = subsets.map(() => ({ pValues: new Float64Array(o.nsim), errors: 0, warnings: 0, singular: 0, counts: new Map<string, number>() }));
  const BATCH = 32;
  for (let first = 0; first < o.nsim; first += BATCH) {
    if (o.signal?.aborted) throw abortError();
    const count = Math.min(BATCH, o.nsim - first);
    // y*_r, r = first … first + count − 1: a pure function of (seed, r)
    const { y } = simulateFit(source, count, { seed: o.seed }, first);
    for (let k = 0; k < count; k++) {
      for (let s = 0; s < subsets.length; s++) {
        const out = outs[s];
        try {
          const { p, messages } = await testers[s](y[k], first + k);
          out.pValues[first + k] = p;
          if (!Number.isFinite(p)) out.errors++;
          else if (messages.length) {
            if (messages.some(isSingularMessage)) out.singular++;
            if (messages.some((m) => !isSingularMessage(m))) out.warnings++;
            for (const m of new Set(messages)) out.counts.set(m, (out.counts.get(m) ?? 0) + 1);
          }
        } catch (e) {
          if ((e as Error).name === 'AbortError') throw e;
          out.pValues[first + k] = NaN;
          out.errors++;
          const m = `error: ${(e as Error).message}`;
          out.counts.set(m, (out.counts.get(m) ?? 0) + 1);
        }
      }
    }
    o.onProgress?.({ done: first + count, nsim: o.nsim, elapsedMs: performance.now() - o.t0 });
    await macrotask();
  }
  return outs.map((out) => ({ pValues: out.pValues, errors: out.errors, warnings: out.warnings, singular: out.singular, messages: [...out.counts].map(([message, count]) => ({ message, count })) }));
}

/**
 * The replicates by the parametric bootstrap's machinery (bootstrapFit: the Gram matrix's y parts
 * of a batch of simulated responses in one pass over the rows, warm-started Newton refits from θ̂,
 * the core's optimizer where those fail), each replicate's test computed at its own factor:
 *   t   lmerTest's t with Satterthwaite's df (varparCovariance at θ̂_r, contest1D);
 *   z   β̂_j / SE_j from R_X at θ̂_r;
 *   kr  Kenward–Roger's F of the term's columns (kenwardRoger at θ̂_r, krFtest: KRmodcomp's p);
 *   f   lmerTest's type-2 F (contestMD with Satterthwaite's df).
 * A replicate whose refit fails, or whose test cannot be computed (Kenward–Roger's information matrix
 * singular), has p = NaN and counts as an error.
 */
export async function powerRunBatched(
  fit: LmmFit, par: PowerParameters, test: PowerTest,
  o: { nsim: number; seed: number; signal?: AbortSignal; onProgress?: PowerSimOptions['onProgress']; t0: number },
): Promise<PowerRun> {
  const model = fit.model;
  const { n, p } = model.frame;
  const xn = model.frame.xnames;
  // the simulation's β in the backends' coordinates: β = C (β_c + β₀), so β_c changes by C⁻¹ δβ
  // (C⁻¹: the intercept's entry gains Σ_j mean_j δβ_j; fixedTransform.ts)
  const fixed = model.fixed;
  const delta = Float64Array.from(par.beta, (b, j) => b - fit.beta[j]);
  const sol0 = fitCoordinates(fit);
  const betaC = Float64Array.from(sol0, (b, j) => b + delta[j]);
  if (fixed.intercept >= 0) for (let j = 0; j < p; j++) betaC[fixed.intercept] += fixed.means[j] * delta[j];
  // the random effects as simulate() draws them, b* = σ T(θ) u* in lme4's coordinates, are
  // b*_c = M⁻¹ b* in the backends' (Z_c = Z M, reparam.ts): templates M⁻¹ T(θ), full q × q
  const templates = model.blocks.map((b, k) => {
    const q = b.q;
    const T = new Float64Array(q * q);
    fillTemplate(b, par.theta, T);
    const t = model.transforms[k];
    if (!t) return T;
    const MT = new Float64Array(q * q);
    for (let a = 0; a < q; a++) for (let c = 0; c < q; c++) { let acc = 0; for (let e = 0; e < q; e++) acc += t.Minv[a * q + e] * T[e * q + c]; MT[a * q + c] = acc; }
    return MT;
  });
  const unit = (j: number) => xn.map((_, k) => (k === j ? 1 : 0));
  // the term's columns, or fcompare's restriction (pbkrtest's, from the two models' column spaces)
  const L = test.compare ? modcompPair(fit, await refitWithFormula(fit, test.compare.small, 'powerSim'), 'KRmodcomp').L! : test.columns.map(unit);
  const lF = test.method === 'anova' ? anovaHypotheses(model.frame, 'II', fixedDesignOf(fit)).find((h) => h.term === test.term)?.L : undefined;
  if (test.method === 'anova' && !lF) throw new ModelError(`powerSim: the type-2 anova has no hypothesis for '${test.term}'`);
  const carRow = <T extends { term: string }>(rows: T[]): T => {
    const row = rows.find((r) => r.term === test.term);
    if (!row) throw new ModelError(`powerSim: car's type-II table has no row for '${test.term}'`);
    return row;
  };
  const lower = model.theta.lower;
  const at = (chol: BlockedCholesky, th: Float64Array, sigma: number, bC: Float64Array): Float64Array => {
    // [p, singular (lme4's isSingular: a diagonal θ within 1e-4 of its bound 0), warned]
    const singular = Array.from(th).some((v, k) => lower[k] === 0 && Math.abs(v) < 1e-4) ? 1 : 0;
    try {
      const theta = thetaToOriginal(model, th);
      switch (test.method) {
        case 't': case 'anova': {
          const sat = varparCovariance({ chol, model, theta });
          const ctx: DdfContext = { method: 'satterthwaite', sat };
          const pv = test.method === 't' ? contest1D(ctx, L[0]).p : contestMD(ctx, lF!).p;
          return Float64Array.of(pv, singular, sat.warnings.length > 0 ? 1 : 0);
        }
        case 'chisq': {
          // car's Wald χ² of the term's type-II hypothesis with V = Var(β̂) at θ̂_r
          const s = solveLmm(chol, n, model.reml);
          return Float64Array.of(carRow(waldAnova(model.frame, mapBeta(fixed, s.beta), mapVcov(fixed, s.vcov), 'II')).p, singular, 0);
        }
        case 'f': {
          // car's F: the type-II hypothesis with V = Φ_A, then Kenward–Roger's F (KRmodcomp(fit, H))
          const kr = kenwardRoger({ chol, model, theta, sigma });
          const H = carRow(waldHypotheses(model.frame, kr.PhiA, 'II')).H;
          return Float64Array.of(krFtest({ method: 'kenward-roger', kr, beta: mapBeta(fixed, bC), sigma }, H).p, singular, 0);
        }
        case 'z': {
          const s = solveLmm(chol, n, model.reml);
          const beta = mapBeta(fixed, s.beta), vc = mapVcov(fixed, s.vcov);
          const j = test.columns[0];
          const z = beta[j] / Math.sqrt(vc[j * p + j]);
          return Float64Array.of(pchisqUpper(z * z, 1), singular, 0);
        }
        default: {
          const kr = kenwardRoger({ chol, model, theta, sigma });
          return Float64Array.of(krFtest({ method: 'kenward-roger', kr, beta: mapBeta(fixed, bC), sigma }, L).p, singular, 0);
        }
      }
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      return Float64Array.of(NaN, singular, 0);
    }
  };
  // the row pass (bootstrapGram.ts) with the residuals indexed by row, whose draws are simulate()'s:
  // each replicate's response is the one simulateFit gives for (seed, r) (the one-factor sufficient
  // statistics' draws, and the pass's default visiting-order index, have the same distribution but
  // other numbers)
  const res = await bootstrapFit(fit, {
    gramSource: (input) => bootstrapGramCpu({ ...input, epsIndex: 'row' }), nsim: o.nsim, seed: o.seed, simulateAt: { betaC, sigma: par.sigma, templates }, statistic: { names: ['p', 'singular', 'warned'], at },
    signal: o.signal, onProgress: o.onProgress ? (q) => o.onProgress!({ done: q.done, nsim: q.nsim, elapsedMs: performance.now() - o.t0 }) : undefined,
  });
  const pValues = Float64Array.from(res.t, (row) => row[0]);
  const errors = pValues.filter((v) => !Number.isFinite(v)).length;
  const singular = res.t.filter((row) => row[1] === 1).length;
  const warnings = res.t.filter((row) => row[2] === 1).length;
  const messages: { message: string; count: number }[] = [];
  if (singular) messages.push({ message: "boundary (singular) fit: see help('isSingular')", count: singular });
  if (warnings) messages.push({ message: "lmerTest's warning on the Hessian of the variance parameters", count: warnings });
  if (res.refits.failed) messages.push({ message: 'error: the refit failed', count: res.refits.failed });
  return { pValues, errors, warnings, singular, messages };
}

/** the fit's β̂ in the backends' coordinates: β_c = C⁻¹ β − β₀ (fixedTransform.ts) */
function fitCoordinates(fit: LmmFit): Float64Array {
  const { fixed } = fit.model;
  const b = Float64Array.from(fit.beta);
  if (fixed.intercept >= 0) for (let j = 0; j < b.length; j++) if (j !== fixed.intercept) b[fixed.intercept] += fixed.means[j] * b[j];
  return b.map((v, j) => v - fixed.beta0[j]);
}

/** powerSim of a glmer fit or an extended one: z or lr (powerGlmm.ts); σ is not a parameter of these families */
async function powerSimGlmm(input: GlmmFit | ExtendedFit, options: PowerSimOptions, t0: number): Promise<PowerSimResult> {
  const { fit, par } = powerInputGlmm(input, 'powerSim', options.fixef, options.sigma);
  const { nsim, seed, alpha } = checkPowerOptions(options as Record<string, unknown>, 'powerSim');
  if (options.refit !== undefined && options.refit !== 'refit') throw new OptionError('refit', "powerSim: a glmer fit's replicates are refitted one by one (refit: 'refit'): PIRLS has no sufficient statistics to batch");
  const test = resolvePowerTest(fit, options.test, options.method);
  const run = await powerRunGlmm(fit, par.beta, test, { nsim, seed, signal: options.signal, onProgress: options.onProgress, t0, theta: par.theta });
  return { ...powerDescription(fit, test, par), ...powerSummary(run.pValues, alpha), ...run, term: test.term, method: test.method, alpha, nrow: fit.model.frame.n, nsim, seed, timeMs: performance.now() - t0 };
}
