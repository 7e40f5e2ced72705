/**
 * `mixedgpu glht FILE FORMULA (--mcp F=TYPE … | --linfct 'H' …) [--alternative A] [--rhs M] [--df D]
 * [--test T …] [--confint] [--calpha C] [--level L] [--abseps E] [--cld [--cld-level A] [--decreasing]] [--json]`:
 * multcomp's glht of an lmer or glmer (--family) fit (src/inference/glht.ts) — multiple comparisons of a factor's levels (mcp) or
 * hypotheses on the coefficients — with summary()'s tests, confint() and a Tukey family's compact letter
 * display (cld), printed as multcomp prints them; --interaction-average and --covariate-average: mcp's
 * interaction_average and covariate_average. The plan (glhtPlan: the options checked before the fit) and the
 * printout (printGlhtPlan) also serve the fit commands' --glht FACTOR=TYPE (lme, gls, glmmpql, zeroinfl:
 * fitGlhtPlan).
 */
import { type CliIO, CliError, type FitArgs, errorMessage, fitFromArgs } from './fitCommand.js';
import { GLHT_TESTS, type GlhtConfintOptions, type GlhtOptions, type GlhtTest, type GlhtTestResult, type Linfct, glht, mcp } from '../inference/glht.js';
import type { McpAverageOptions } from '../inference/mcpAverage.js';
import { printGlhtConfint, printGlhtSummary } from '../inference/glhtPrint.js';
import { cldOfConfint, cldOfSummary, printGlhtCld } from '../inference/glhtCld.js';
import type { Alternative } from '../inference/glhtLinfct.js';
import { numberArg } from './inferenceCommands.js';

/** glht's options (mixedgpu glht's, and --glht's of the lme, gls, glmmpql and zeroinfl commands) */
export interface GlhtCliOptions {
  /** `Variety=Tukey` (a contrast type) or `Variety=B - A = 0` (a hypothesis on the levels); repeatable */
  mcp?: string[];
  /** a hypothesis on the coefficients, `x - z = 0`; repeatable */
  linfct?: string[];
  alternative?: string;
  rhs?: string;
  df?: string;
  /** summary's tests (default single-step); repeatable */
  test?: string[];
  confint?: boolean;
  calpha?: string;
  level?: string;
  abseps?: string;
  /** cld of each test's summary (or of the intervals with --confint), for a Tukey family */
  cld?: boolean;
  cldLevel?: string;
  decreasing?: boolean;
  /** mcp's interaction_average and covariate_average (multcomp's mcp2matrix2) */
  interactionAverage?: boolean;
  covariateAverage?: boolean;
  json?: boolean;
}

export interface GlhtArgs extends FitArgs, GlhtCliOptions {}

/** glht's options read and checked before the fit */
export interface GlhtPlan {
  linfct: Linfct;
  tests: string[];
  glhtOptions: GlhtOptions;
  summary: { abseps?: number };
  confint: GlhtConfintOptions | null;
  cld: { decreasing: boolean; level?: number } | null;
  json: boolean;
}

/** the glht options' checks and numbers (before the fit: a bad option fails at once) */
export function glhtPlan(args: GlhtCliOptions): GlhtPlan {
  const m = args.mcp ?? [], l = args.linfct ?? [];
  if ((m.length > 0) === (l.length > 0)) throw new CliError('give the hypotheses by --mcp FACTOR=TYPE (multiple comparisons of a factor\'s levels) or by --linfct \'x - z = 0\' (on the coefficients), one of the two');
  if (m.length === 0 && (args.interactionAverage || args.covariateAverage)) throw new CliError('--interaction-average and --covariate-average are options of the multiple comparisons (--mcp FACTOR=TYPE)');
  const tests = (args.test ?? []).length ? args.test! : ['single-step'];
  for (const t of tests) if (!(GLHT_TESTS as readonly string[]).includes(t)) throw new CliError(`--test '${t}': one of ${GLHT_TESTS.join(', ')}`);
  // the number options
  const rhs = args.rhs?.split(',').map((v) => numberArg(v, 'rhs')!);
  const df = numberArg(args.df, 'df'), abseps = numberArg(args.abseps, 'abseps'), level = numberArg(args.level, 'level');
  const cldLevel = numberArg(args.cldLevel, 'cld-level');
  if (!args.cld && (cldLevel !== undefined || args.decreasing)) throw new CliError('--cld-level and --decreasing are options of --cld');
  if (args.cld && args.confint && cldLevel !== undefined) throw new CliError('--cld-level is the p-values\' level; with --confint the letters come from the intervals (their --level)');
  if (!args.confint && (level !== undefined || args.calpha !== undefined)) throw new CliError('--level and --calpha are options of --confint (the intervals)');
  if (args.cld && !args.confint && tests.every((t) => t === 'Chisq' || t === 'F')) throw new CliError('--cld needs a test with a p-value per comparison (not only Chisq or F) or --confint');
  return {
    linfct: m.length ? parseMcp(m, { interactionAverage: args.interactionAverage === true, covariateAverage: args.covariateAverage === true }) : l,
    tests,
    glhtOptions: {
      ...(args.alternative !== undefined ? { alternative: args.alternative as Alternative } : {}),
      ...(rhs !== undefined ? { rhs } : {}),
      ...(df !== undefined ? { df } : {}),
    },
    summary: abseps !== undefined ? { abseps } : {},
    confint: args.confint ? {
      ...(level !== undefined ? { level } : {}),
      ...(args.calpha !== undefined ? { calpha: args.calpha as 'adjusted' | 'univariate' } : {}),
      ...(abseps !== undefined ? { abseps } : {}),
    } : null,
    cld: args.cld ? { decreasing: args.decreasing === true, ...(cldLevel !== undefined ? { level: cldLevel } : {}) } : null,
    json: args.json === true,
  };
}

/** --mcp F=SPEC …: each factor's contrast type or its hypotheses on the levels (several for one factor) */
export function parseMcp(items: string[], average: McpAverageOptions = {}): Linfct {
  const spec: Record<string, string[]> = {};
  for (const item of items) {
    const at = item.indexOf('=');
    if (at <= 0) throw new CliError(`--mcp '${item}': write FACTOR=TYPE (Tukey, Dunnett, …) or FACTOR=HYPOTHESIS ('Variety=Victory - Marvellous = 0')`);
    const f = item.slice(0, at).trim();
    (spec[f] ??= []).push(item.slice(at + 1).trim());
  }
  return mcp(Object.fromEntries(Object.entries(spec).map(([f, v]) => [f, v.length === 1 && !/[=<>]/.test(v[0]) ? v[0] : v])), average);
}

/** Runs `mixedgpu glht`; returns the exit code. */
export async function runGlht(args: GlhtArgs, io: CliIO): Promise<number> {
  try {
    const plan = glhtPlan(args);
    const { fit } = await fitFromArgs(args, io);
    printGlhtPlan(fit as never, plan, io);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}

/**
 * glht of a fit (lmer, glmer, or one with a GlhtModel: lme, gls, glmmPQL, glmmTMB by `component`) with the
 * plan's tests, intervals and letters, printed as multcomp prints them (multcomp's warnings on stderr) or as JSON
 */
export function printGlhtPlan(fit: Parameters<typeof glht>[0], plan: GlhtPlan, io: CliIO, component?: string): void {
  const g = glht(fit, plan.linfct, { ...plan.glhtOptions, ...(component !== undefined ? { component } : {}) });
  const results = plan.tests.map((t) => ({ test: t, result: g.summary({ test: t as GlhtTest, ...plan.summary }) }));
  const ci = plan.confint ? g.confint(plan.confint) : null;
  // cld(confint(g)) with --confint, else cld(summary(g, test)) per test (the global Chisq and F tests have none)
  const clds = !plan.cld ? [] : ci ? [{ test: 'confint', cld: cldOfConfint(g, ci, { decreasing: plan.cld.decreasing }) }]
    : results.filter((r) => r.test !== 'Chisq' && r.test !== 'F').map((r) => ({ test: r.test, cld: cldOfSummary(g, r.result as GlhtTestResult, plan.cld!) }));
  if (plan.json) {
    const out = {
      glht: {
        hypotheses: g.rowNames, rhs: g.rhs, alternative: g.alternative, type: g.type, df: g.df, coefficients: g.coefNames, linfct: g.linfct,
        estimate: g.estimate, covariance: g.covariance, tests: results, ...(ci ? { confint: ci } : {}), ...(plan.cld ? { cld: clds } : {}), messages: g.messages,
      },
    };
    io.stdout(`${JSON.stringify(out, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`);
    return;
  }
  for (const msg of g.messages) io.stderr(`Warning: ${msg}\n`);
  const lines = results.flatMap((r) => printGlhtSummary(g, r.result));
  if (ci) lines.push(...printGlhtConfint(g, ci));
  for (const c of clds) lines.push(...printGlhtCld(c.cld));
  io.stdout(`${lines.join('\n')}\n`);
}

/** a fit command's --glht FACTOR=TYPE (lme, gls, glmmpql, zeroinfl) and glht's options there */
export interface FitGlhtArgs extends Omit<GlhtCliOptions, 'mcp' | 'linfct' | 'rhs' | 'df' | 'test' | 'confint'> {
  /** `f=Tukey`, `f=b - a = 0`: multcomp's mcp of the fit; repeatable */
  glht?: string[];
  /** summary's tests (zeroinfl: one, its --test being also --drop1's) */
  test?: string[] | string;
  /** the intervals (zeroinfl's --confint also glmmTMB's confint, with a method) */
  confint?: boolean | string;
}

/** the options that are glht's only in every fit command */
const GLHT_ONLY = ['alternative', 'calpha', 'abseps', 'cld', 'cldLevel', 'decreasing', 'interactionAverage', 'covariateAverage'] as const;
const flagOf = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * a fit command's glht plan (null without --glht), checked before the fit; `shared` the options the command
 * also uses elsewhere (lme's --level is the means' too; zeroinfl's --test, --confint and --level its own modes'),
 * `others` the other modes given (each prints instead of the summary, as --glht does)
 */
export function fitGlhtPlan(args: FitGlhtArgs, shared: readonly ('test' | 'confint' | 'level')[], others: string[]): GlhtPlan | null {
  const given = args.glht ?? [];
  if (given.length === 0) {
    const own = [...GLHT_ONLY, ...(['test', 'confint'] as const).filter((k) => !shared.includes(k))];
    const stray = own.find((k) => args[k] !== undefined && args[k] !== false && !(Array.isArray(args[k]) && (args[k] as string[]).length === 0));
    if (stray) throw new CliError(`${flagOf(stray)} is an option of --glht (multcomp's glht: --glht FACTOR=TYPE, e.g. --glht Variety=Tukey)`);
    return null;
  }
  if (others.length) throw new CliError(`--glht prints multcomp's glht instead of the summary: leave out ${others.join(', ')}`);
  if (typeof args.confint === 'string') throw new CliError(`--confint with --glht gives glht's simultaneous intervals and takes no method, got '${args.confint}'`);
  const test = args.test === undefined ? [] : [args.test].flat();
  return glhtPlan({ ...args, mcp: given, linfct: [], test, confint: args.confint === true });
}
