/**
 * `mixedgpu check FILE FORMULA [--family …] [--estimator REML|ML] [--ci 0.95] [--tolerance 1e-5]
 * [--zi-tolerance 0.05] [--conv-tolerance 0.001] [--json]`: performance 0.10.2's checks and indices
 * of an lmer or glmer fit (src/checks/), every one that applies to the fit —
 * check_collinearity, check_overdispersion (Poisson, negative binomial, binomial with trials > 1),
 * check_zeroinflation (Poisson, negative binomial), check_singularity, check_convergence and
 * model_performance — printed as performance prints them, its verdicts and notes on stderr.
 * A check refused for this fit (e.g. model_performance of a fit whose rows are in an engine, or
 * check_convergence without derivatives) is left out with the reason on stderr (and in the JSON's
 * `notes`). In the JSON an infinite bound of the VIF's interval is "Inf".
 */
import { ModelError } from '../errors/errors.js';
import { GlmmFit } from '../glmm/glmmFit.js';
import { type Collinearity, printCollinearity } from '../checks/collinearity.js';
import { type Overdispersion, printOverdispersion } from '../checks/overdispersion.js';
import { type ZeroInflation, printZeroInflation } from '../checks/zeroInflation.js';
import { type Convergence, printConvergence } from '../checks/convergence.js';
import { printSingularity } from '../checks/singularity.js';
import { printModelPerformance } from '../checks/modelPerformance.js';
import { type ModelPerformanceResult, type SingularityResult, fitCollinearity, fitConvergence, fitModelPerformance, fitOverdispersion, fitSingularity, fitZeroInflation } from '../checks/methods.js';
import { type CliIO, CliError, type FitArgs, errorMessage, fitFromArgs } from './fitCommand.js';
import { numberArg } from './inferenceCommands.js';

export interface CheckArgs extends Omit<FitArgs, 'ddf'> {
  /** model_performance's estimator for an lmer fit: REML (default) or ML */
  estimator?: string;
  /** check_collinearity's confidence level */
  ci?: string | number;
  /** check_singularity's tolerance (default 1e-5) */
  tolerance?: string | number;
  /** check_zeroinflation's tolerance (default 0.05) */
  ziTolerance?: string | number;
  /** check_convergence's tolerance (default 0.001) */
  convTolerance?: string | number;
}

export interface CheckReport {
  collinearity: Collinearity | null;
  overdispersion: Overdispersion | null;
  zeroinflation: ZeroInflation | null;
  singularity: SingularityResult;
  convergence: Convergence | null;
  model_performance: ModelPerformanceResult | null;
  /** checks left out for this fit, with the reason */
  notes: string[];
}

/** a check that may be refused for this fit: its result, or null with the reason among the notes */
async function attempt<T>(what: string, notes: string[], f: () => T | Promise<T>): Promise<T | null> {
  try {
    return await f();
  } catch (e) {
    if (!(e instanceof ModelError)) throw e;
    notes.push(`${what} left out: ${e.message}`);
    return null;
  }
}

export { printConvergence, printSingularity };

/** Runs `mixedgpu check`; returns the exit code. */
export async function runCheck(args: CheckArgs, io: CliIO): Promise<number> {
  try {
    const estimator = (args.estimator ?? 'REML').toUpperCase();
    if (estimator !== 'REML' && estimator !== 'ML') throw new CliError(`--estimator must be REML or ML, not '${args.estimator}'`);
    const ci = numberArg(args.ci, 'ci', false);
    const tolerance = numberArg(args.tolerance, 'tolerance', false);
    const ziTolerance = numberArg(args.ziTolerance, 'zi-tolerance', false);
    const convTolerance = numberArg(args.convTolerance, 'conv-tolerance', false);
    const { estimator: _e, ci: _c, tolerance: _t, ziTolerance: _z, convTolerance: _v, ...fitArgs } = args;
    const { fit } = await fitFromArgs(fitArgs, io);
    const notes: string[] = [];
    const family = fit instanceof GlmmFit ? fit.family : 'gaussian';
    const report: CheckReport = {
      collinearity: await attempt('check_collinearity', notes, () => fitCollinearity(fit, { ci })),
      overdispersion: ['poisson', 'negative.binomial', 'binomial'].includes(family) ? await attempt('check_overdispersion', notes, () => fitOverdispersion(fit)) : null,
      zeroinflation: ['poisson', 'negative.binomial'].includes(family) ? await attempt('check_zeroinflation', notes, () => fitZeroInflation(fit, { tolerance: ziTolerance })) : null,
      singularity: fitSingularity(fit, { tolerance }),
      convergence: await attempt('check_convergence', notes, () => fitConvergence(fit, { tolerance: convTolerance })),
      model_performance: await attempt('model_performance', notes, () => fitModelPerformance(fit, { estimator: estimator as 'REML' | 'ML' })),
      notes,
    };
    // performance's warnings and notes, each once (the verdicts are printed with their checks)
    const messages = [...new Set([...(report.collinearity?.messages ?? []), ...(report.model_performance?.messages ?? []), ...notes])];
    if (!args.quiet) for (const m of messages) io.stderr(`mixedgpu: note: ${m}\n`);
    if (args.json) {
      // an infinite bound of the VIF's interval (performance's Inf) as "Inf", as emmeans's df
      io.stdout(`${JSON.stringify(report, (_k, v) => (v === Infinity ? 'Inf' : v), 2)}\n`);
      return 0;
    }
    const blocks: string[][] = [];
    if (report.collinearity) blocks.push(printCollinearity(report.collinearity));
    if (report.overdispersion) blocks.push([...printOverdispersion(report.overdispersion), report.overdispersion.message]);
    if (['poisson', 'negative.binomial'].includes(family) && !notes.some((n) => n.startsWith('check_zeroinflation'))) {
      blocks.push([...printZeroInflation(report.zeroinflation), ...(report.zeroinflation ? [report.zeroinflation.message] : [])]);
    }
    blocks.push(printSingularity(report.singularity));
    if (report.convergence) blocks.push(printConvergence(report.convergence));
    if (report.model_performance) blocks.push(printModelPerformance(report.model_performance));
    io.stdout(`${blocks.map((b) => b.join('\n').replace(/\n+$/, '')).join('\n\n')}\n`);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
