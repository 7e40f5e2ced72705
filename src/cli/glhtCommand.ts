/**
 * `mixedgpu glht FILE FORMULA (--mcp F=TYPE … | --linfct 'H' …) [--alternative A] [--rhs M] [--df D]
 * [--test T …] [--confint] [--calpha C] [--level L] [--abseps E] [--cld [--cld-level A] [--decreasing]] [--json]`:
 * multcomp's glht of an lmer or glmer (--family) fit (src/inference/glht.ts) — multiple comparisons of a factor's levels (mcp) or
 * hypotheses on the coefficients — with summary()'s tests, confint() and a Tukey family's compact letter
 * display (cld), printed as multcomp prints them.
 */
import { type CliIO, CliError, type FitArgs, errorMessage, fitFromArgs } from './fitCommand.js';
import { GLHT_TESTS, type GlhtTest, type GlhtTestResult, type Linfct, glht, mcp } from '../inference/glht.js';
import { printGlhtConfint, printGlhtSummary } from '../inference/glhtPrint.js';
import { cldOfConfint, cldOfSummary, printGlhtCld } from '../inference/glhtCld.js';
import type { Alternative } from '../inference/glhtLinfct.js';
import { numberArg } from './inferenceCommands.js';

export interface GlhtArgs extends FitArgs {
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
}

/** --mcp F=SPEC …: each factor's contrast type or its hypotheses on the levels (several for one factor) */
export function parseMcp(items: string[]): Linfct {
  const spec: Record<string, string[]> = {};
  for (const item of items) {
    const at = item.indexOf('=');
    if (at <= 0) throw new CliError(`--mcp '${item}': write FACTOR=TYPE (Tukey, Dunnett, …) or FACTOR=HYPOTHESIS ('Variety=Victory - Marvellous = 0')`);
    const f = item.slice(0, at).trim();
    (spec[f] ??= []).push(item.slice(at + 1).trim());
  }
  return mcp(Object.fromEntries(Object.entries(spec).map(([f, v]) => [f, v.length === 1 && !/[=<>]/.test(v[0]) ? v[0] : v])));
}

/** Runs `mixedgpu glht`; returns the exit code. */
export async function runGlht(args: GlhtArgs, io: CliIO): Promise<number> {
  try {
    const m = args.mcp ?? [], l = args.linfct ?? [];
    if ((m.length > 0) === (l.length > 0)) throw new CliError('give the hypotheses by --mcp FACTOR=TYPE (multiple comparisons of a factor\'s levels) or by --linfct \'x - z = 0\' (on the coefficients), one of the two');
    const tests = (args.test ?? []).length ? args.test! : ['single-step'];
    for (const t of tests) if (!(GLHT_TESTS as readonly string[]).includes(t)) throw new CliError(`--test '${t}': one of ${GLHT_TESTS.join(', ')}`);
    // the number options, read before the fit
    const rhs = args.rhs?.split(',').map((v) => numberArg(v, 'rhs')!);
    const df = numberArg(args.df, 'df'), abseps = numberArg(args.abseps, 'abseps'), level = numberArg(args.level, 'level');
    const cldLevel = numberArg(args.cldLevel, 'cld-level');
    if (!args.cld && (cldLevel !== undefined || args.decreasing)) throw new CliError('--cld-level and --decreasing are options of --cld');
    if (args.cld && args.confint && cldLevel !== undefined) throw new CliError('--cld-level is the p-values\' level; with --confint the letters come from the intervals (their --level)');
    const { fit } = await fitFromArgs(args, io);
    const g = glht(fit as never, m.length ? parseMcp(m) : l, {
      ...(args.alternative !== undefined ? { alternative: args.alternative as Alternative } : {}),
      ...(rhs !== undefined ? { rhs } : {}),
      ...(df !== undefined ? { df } : {}),
    });
    const results = tests.map((t) => ({ test: t, result: g.summary({ test: t as GlhtTest, ...(abseps !== undefined ? { abseps } : {}) }) }));
    const ci = args.confint ? g.confint({
      ...(level !== undefined ? { level } : {}),
      ...(args.calpha !== undefined ? { calpha: args.calpha as 'adjusted' | 'univariate' } : {}),
      ...(abseps !== undefined ? { abseps } : {}),
    }) : null;
    // cld(confint(g)) with --confint, else cld(summary(g, test)) per test (the global Chisq and F tests have none)
    const clds = !args.cld ? [] : ci ? [{ test: 'confint', cld: cldOfConfint(g, ci, { decreasing: args.decreasing === true }) }]
      : results.filter((r) => r.test !== 'Chisq' && r.test !== 'F').map((r) => ({
        test: r.test,
        cld: cldOfSummary(g, r.result as GlhtTestResult, { decreasing: args.decreasing === true, ...(cldLevel !== undefined ? { level: cldLevel } : {}) }),
      }));
    if (args.cld && clds.length === 0) throw new CliError('--cld needs a test with a p-value per comparison (not only Chisq or F) or --confint');
    if (args.json) {
      const out = {
        glht: {
          hypotheses: g.rowNames, rhs: g.rhs, alternative: g.alternative, type: g.type, df: g.df, coefficients: g.coefNames, linfct: g.linfct,
          estimate: g.estimate, covariance: g.covariance, tests: results, ...(ci ? { confint: ci } : {}), ...(args.cld ? { cld: clds } : {}), messages: g.messages,
        },
      };
      io.stdout(`${JSON.stringify(out, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`);
      return 0;
    }
    for (const msg of g.messages) io.stderr(`Warning: ${msg}\n`);
    const lines = results.flatMap((r) => printGlhtSummary(g, r.result));
    if (ci) lines.push(...printGlhtConfint(g, ci));
    for (const c of clds) lines.push(...printGlhtCld(c.cld));
    io.stdout(`${lines.join('\n')}\n`);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
