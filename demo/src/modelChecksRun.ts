/**
 * Worker side of the Model checks card: DHARMa's simulated residual diagnostics and performance's model
 * checks of a kept lmer or glmer fit, or of a zero-inflated or hurdle fit (the library's zeroInflated:
 * its DHARMa simulator, glmmTMB's Pearson residuals and performance's glmmTMB methods), by the library only (src/diagnostics/: simulateResiduals, the four
 * tests, recalculateResiduals, the plots' data, the printouts; src/checks/: checkCollinearity,
 * checkOverdispersion, checkZeroinflation, checkSingularity, checkConvergence, modelPerformance). What the
 * card offers for a fit (modelChecksSetup) is the library's answer: a fit whose responses it cannot
 * simulate (a Gamma fit, rows in a stream) carries the library's message, and every check it refuses
 * is a note with the library's reason.
 *
 * The simulations are one call of the library's simulateResiduals (synchronous; it takes no signal), so
 * the run is in stages — the simulations, the tests, the per-group residuals, the plots' data — with a
 * progress report and a turn of the event loop (Cancel) between them.
 */
import { ModelError } from '../../src/errors/errors.js';
import { GlmmFit } from '../../src/glmm/glmmFit.js';
import { ZeroInflatedFit } from '../../src/zeroinfl/zeroInflatedFit.js';
import type { DharmaResiduals } from '../../src/diagnostics/dharma.js';
import { printDharma, testDispersion, testOutliers, testUniformity, testZeroInflation } from '../../src/diagnostics/dharmaTests.js';
import { type HTest, printHTest } from '../../src/diagnostics/htest.js';
import { recalculateResiduals } from '../../src/diagnostics/recalculate.js';
import { dharmaPlotData } from '../../src/diagnostics/plotData.js';
import { simulateResidualsAsync } from '../../src/diagnostics/simulateResiduals.js';
import { refuseEngineRows } from '../../src/inference/knownCovariance.js';
import { fitCollinearity, fitConvergence, fitModelPerformance, fitOverdispersion, fitSingularity, fitZeroInflation } from '../../src/checks/methods.js';
import { printCollinearity } from '../../src/checks/collinearity.js';
import { printOverdispersion } from '../../src/checks/overdispersion.js';
import { printZeroInflation } from '../../src/checks/zeroInflation.js';
import { printModelPerformance } from '../../src/checks/modelPerformance.js';
import { printConvergence } from '../../src/checks/convergence.js';
import { printSingularity } from '../../src/checks/singularity.js';
import type { AnyFit } from './fitting.js';
import type { DharmaMsg, DharmaRequest, DharmaTestMsg, ModelChecksSetup, PerformanceChecksMsg } from './protocol.js';

const message = (e: unknown) => (e as Error)?.message ?? String(e);

/** the glmer families whose response the library simulates (simulateResiduals's rule; every lmer fit's) */
const SIMULATED = ['binomial', 'poisson', 'negative.binomial'];
/** count models: DHARMa's testZeroInflation is shown for them */
const COUNT = ['poisson', 'negative.binomial'];

/** a fit the card takes: lmer's or glmer's, or a glmmTMB fit (zero-inflated, hurdle, beta, gaussian) */
export type ChecksFit = AnyFit | ZeroInflatedFit;

const familyOf = (fit: AnyFit) => (fit instanceof GlmmFit ? fit.family : 'gaussian');
/** a count model: DHARMa's testZeroInflation is shown (every zero-inflated and hurdle fit is one; a glmmTMB beta or gaussian fit is not) */
const isCount = (fit: ChecksFit) => (fit instanceof ZeroInflatedFit ? fit.model.count : COUNT.includes(familyOf(fit)));

/** What the card offers for a fit: the library's refusal of the simulations (or null), a count model or not, the grouping factors. */
export function modelChecksSetup(fit: ChecksFit): ModelChecksSetup {
  const groupsOf = () => [...new Set(fit.model.frame.reTerms.map((t) => t.group))];
  // a zero-inflated fit gives simulateResiduals its own simulator (glmmTMB's simulate), which the library never refuses
  if (fit instanceof ZeroInflatedFit) return { dharmaRefusal: null, countModel: fit.model.count, groups: groupsOf(), nobs: fit.model.frame.n, model: 'glmmTMB' };
  const family = familyOf(fit);
  let dharmaRefusal: string | null = null;
  try {
    // the library's own checks, in its order: the family, then rows in an engine
    if (fit instanceof GlmmFit && !SIMULATED.includes(family)) fit.simulateResiduals({ nsim: 2 });
    refuseEngineRows(fit.model as { source?: { engine: string; name: string } }, 'simulateResiduals');
  } catch (e) {
    dharmaRefusal = message(e);
  }
  return {
    dharmaRefusal,
    countModel: COUNT.includes(family),
    groups: groupsOf(),
    nobs: fit.model.frame.n,
    model: 'lme4',
  };
}

export interface DharmaContext {
  signal: AbortSignal;
  onProgress: (p: { done: number; total: number; label: string }) => void;
}

/** the test's fields for the page (R's htest list: statistic, parameter, p-value, alternative) and its print.htest lines */
function testMsg(test: DharmaTestMsg['test'], t: HTest): DharmaTestMsg {
  return {
    test, method: t.method, statistic: { ...t.statistic }, ...(t.parameter ? { parameter: { ...t.parameter } } : {}),
    pValue: t.pValue, alternative: t.alternativeText ?? t.alternative, text: printHTest(t).join('\n'),
  };
}

/** a turn of the worker's event loop (a Cancel message is seen), then the signal checked */
async function turn(signal: AbortSignal): Promise<void> {
  await new Promise((r) => setTimeout(r, 0));
  if (signal.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
}

/** DHARMa's tests of a result: testUniformity, testDispersion, testZeroInflation (count models), testOutliers (DHARMa's default type) */
function dharmaTests(d: DharmaResiduals, count: boolean): { tests: DharmaTestMsg[]; messages: string[] } {
  const outliers = testOutliers(d);
  const tests = [
    testMsg('uniformity', testUniformity(d)), testMsg('dispersion', testDispersion(d)),
    ...(count ? [testMsg('zeroInflation', testZeroInflation(d))] : []),
    testMsg('outliers', outliers),
  ];
  return { tests, messages: [...outliers.messages] };
}

/**
 * DHARMa's simulateResiduals(fit, n = nsim, seed, simulateREs) of the fit (the library's), its four
 * tests, the plots' data, optionally the residuals summed per level of a grouping factor
 * (recalculateResiduals) with their own tests, and the printouts.
 */
export async function runDharma(fit: ChecksFit, req: DharmaRequest, ctx: DharmaContext): Promise<DharmaMsg> {
  const t0 = performance.now();
  const total = req.group ? 4 : 3;
  const frame = fit.model.frame;
  let term = null as (typeof frame.reTerms)[number] | null;
  if (req.group !== null) {
    term = frame.reTerms.find((t) => t.group === req.group) ?? null;
    if (!term) throw new ModelError(`recalculateResiduals: '${String(req.group)}' is not a grouping factor of this fit (its grouping factors: ${[...new Set(frame.reTerms.map((t) => t.group))].join(', ')})`);
  }
  ctx.onProgress({ done: 0, total, label: `simulating ${req.nsim} responses of ${frame.n} observations` });
  await turn(ctx.signal);
  // in chunks of replicates, with progress and Cancel between them (the same residuals as fit.simulateResiduals;
  // a zero-inflated fit's through its DharmaSimulator: glmmTMB's simulate, conditional on b̃ or with new b)
  const d = await simulateResidualsAsync(fit, {
    nsim: req.nsim, seed: req.seed, simulateREs: req.simulateREs, signal: ctx.signal,
    // within the stage, while simulations remain (its end is the next stage's report)
    onProgress: (k, nsim) => { if (k < nsim) ctx.onProgress({ done: k / nsim, total, label: `simulated ${k} of ${nsim} responses of ${frame.n} observations` }); },
  });
  ctx.onProgress({ done: 1, total, label: 'testing the residuals' });
  await turn(ctx.signal);
  const count = isCount(fit);
  const main = dharmaTests(d, count);
  let grouped: DharmaMsg['grouped'] = null;
  if (term) {
    ctx.onProgress({ done: 2, total, label: `residuals summed per ${term.group}` });
    await turn(ctx.signal);
    const labels = Array.from(term.codes, (c) => term!.levels[c]!);
    const g = recalculateResiduals(d, labels);
    const gt = dharmaTests(g, false);
    grouped = {
      group: term.group, labels: g.groups ?? [], scaledResiduals: g.scaledResiduals, tests: gt.tests, messages: gt.messages,
      text: [`Residuals summed per ${term.group} (${g.nObs} groups):`, ...printDharma(g), '', ...gt.tests.map((t) => t.text)].join('\n'),
    };
  }
  ctx.onProgress({ done: total - 1, total, label: 'the plots\' data' });
  await turn(ctx.signal);
  const plot = dharmaPlotData(d.scaledResiduals, d.fittedPredictedResponse);
  const rvp = plot.residualsVsPredicted;
  ctx.onProgress({ done: total, total, label: '' });
  return {
    request: req,
    nObs: d.nObs, nSim: d.nSim, seed: d.seed, integerResponse: d.integerResponse, randomized: d.randomized,
    scaledResiduals: d.scaledResiduals, observedResponse: d.observedResponse, fittedPredictedResponse: d.fittedPredictedResponse,
    rows: frame.rows ? Int32Array.from(frame.rows) : null,
    qqExpected: Float64Array.from(plot.qq, (q) => q.expected), qqObserved: Float64Array.from(plot.qq, (q) => q.observed),
    rankPrediction: Float64Array.from(rvp, (p) => p.rankPrediction),
    asFactor: plot.asFactor,
    tests: main.tests,
    grouped,
    messages: [...new Set([...d.messages, ...main.messages])],
    text: [...printDharma(d), '', ...main.tests.map((t) => t.text)].join('\n'),
    elapsedMs: performance.now() - t0,
  };
}

/** a check the library may refuse for this fit: its value, or null with the library's reason among the notes */
async function attempt<T>(what: string, notes: PerformanceChecksMsg['refusals'], f: () => T | Promise<T>): Promise<T | null> {
  try {
    return await f();
  } catch (e) {
    if (!(e instanceof ModelError)) throw e;
    notes.push({ check: what, reason: e.message });
    return null;
  }
}

/**
 * performance's checks of the fit, each the library's: check_collinearity (VIF with its 95% interval),
 * check_overdispersion, check_zeroinflation, check_singularity, check_convergence, model_performance
 * (performance's REML estimator for lmer); a check the library refuses for this fit is left out with
 * its reason. Deterministic and cheap (model_performance of a Poisson or NB fit refits insight's null model).
 * A zero-inflated or hurdle fit: its own check_overdispersion and check_zeroinflation (performance's
 * glmmTMB methods) and model_performance's refusal (ZI_PERFORMANCE_CHECKS).
 */
export async function runPerformanceChecks(fit: ChecksFit): Promise<PerformanceChecksMsg> {
  const t0 = performance.now();
  const refusals: PerformanceChecksMsg['refusals'] = [];
  if (fit instanceof ZeroInflatedFit) return zeroInflatedChecks(fit, refusals, t0);
  const collinearity = await attempt('check_collinearity', refusals, () => fitCollinearity(fit));
  const overdispersion = await attempt('check_overdispersion', refusals, () => fitOverdispersion(fit));
  const zeroinflation = await attempt('check_zeroinflation', refusals, () => fitZeroInflation(fit));
  const singularity = fitSingularity(fit);
  const convergence = await attempt('check_convergence', refusals, () => fitConvergence(fit));
  const modelPerformance = await attempt('model_performance', refusals, () => fitModelPerformance(fit));
  const blocks: string[][] = [];
  if (collinearity) blocks.push(printCollinearity(collinearity));
  if (overdispersion) blocks.push([...printOverdispersion(overdispersion), overdispersion.message]);
  if (!refusals.some((r) => r.check === 'check_zeroinflation')) blocks.push([...printZeroInflation(zeroinflation), ...(zeroinflation ? [zeroinflation.message] : [])]);
  blocks.push(printSingularity(singularity));
  if (convergence) blocks.push(printConvergence(convergence));
  if (modelPerformance) blocks.push(printModelPerformance(modelPerformance));
  const notes = [...new Set([...(collinearity?.messages ?? []), ...(modelPerformance?.messages ?? [])])];
  return {
    collinearity, overdispersion, zeroinflation, singularity, convergence, modelPerformance, refusals, notes,
    text: blocks.map((b) => b.join('\n').replace(/\n+$/, '')).join('\n\n'),
    elapsedMs: performance.now() - t0,
  };
}

/**
 * Why the card has no check_collinearity, check_singularity or check_convergence for a zero-inflated or
 * hurdle fit: the library's methods of them (src/checks/methods.ts) take lmer and glmer fits only, and a
 * zeroInflated fit has none (README: "the other checks are lmer/glmer's only"; modelPerformance it has).
 */
export const ZI_UNCHECKED: Record<'check_collinearity' | 'check_singularity' | 'check_convergence', string> = {
  check_collinearity: "the library's checkCollinearity (VIFs from Var(β̂) of one model) is a method of lmer and glmer fits only; a glmmTMB fit (zero-inflated, hurdle, beta, gaussian) has none",
  check_singularity: "the library's checkSingularity (θ against its bounds) is a method of lmer and glmer fits only; a glmmTMB fit (zero-inflated, hurdle, beta, gaussian) has none (its random effects' SDs are in the fit's table)",
  check_convergence: "the library's checkConvergence (lme4's derivatives at the optimum) is a method of lmer and glmer fits only; a glmmTMB fit (zero-inflated, hurdle, beta, gaussian) has none (its optimizer's convergence is in the fit's line)",
};

/** performance's checks of a glmmTMB fit: the fit's overdispersion and zero-inflation checks (or their refusals for beta and gaussian), model_performance (R², ICC), the rest notes with the library's reasons */
async function zeroInflatedChecks(fit: ZeroInflatedFit, refusals: PerformanceChecksMsg['refusals'], t0: number): Promise<PerformanceChecksMsg> {
  refusals.push({ check: 'check_collinearity', reason: ZI_UNCHECKED.check_collinearity });
  const overdispersion = await attempt('check_overdispersion', refusals, () => fit.checkOverdispersion());
  const zeroinflation = await attempt('check_zeroinflation', refusals, () => fit.checkZeroinflation());
  refusals.push({ check: 'check_singularity', reason: ZI_UNCHECKED.check_singularity }, { check: 'check_convergence', reason: ZI_UNCHECKED.check_convergence });
  // performance's model_performance of the glmmTMB fit (src/zeroinfl/r2.ts): its R² and ICC columns are
  // Nakagawa's of the conditional model (left out with the library's reason where refused: a note)
  const modelPerformance = await attempt('model_performance', refusals, () => fit.modelPerformance());
  const blocks: string[][] = [];
  if (overdispersion) blocks.push([...printOverdispersion(overdispersion), overdispersion.message]);
  if (!refusals.some((r) => r.check === 'check_zeroinflation')) blocks.push([...printZeroInflation(zeroinflation), ...(zeroinflation ? [zeroinflation.message] : [])]);
  if (modelPerformance) blocks.push(printModelPerformance(modelPerformance));
  return {
    collinearity: null, overdispersion, zeroinflation, singularity: null, convergence: null, modelPerformance, refusals, notes: [...new Set(modelPerformance?.messages ?? [])],
    text: blocks.map((b) => b.join('\n').replace(/\n+$/, '')).join('\n\n'),
    elapsedMs: performance.now() - t0,
  };
}
