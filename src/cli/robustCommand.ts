/**
 * `mixedgpu robust FILE FORMULA [--type CR2] [--cluster g] [--test Satterthwaite] [--level 0.95]
 * [--wald x,z] [--wald-equal x,z] [--wald-test HTZ,…|All] [--json]`: clubSandwich's cluster-robust
 * inference of an lmer fit (src/inference/robust/) — vcovCR, coef_test and conf_int of every
 * coefficient, and Wald_test of constrain_zero / constrain_equal — printed as clubSandwich prints them.
 */
import { type CliIO, CliError, type FitArgs, errorMessage, fitFromArgs } from './fitCommand.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import { checkCrType } from '../inference/robust/vcovCR.js';
import { checkCoefTest } from '../inference/robust/coefTest.js';
import { type Constraints, type WaldTest, checkWaldTests } from '../inference/robust/waldTest.js';
import { coefTest, confIntCR, vcovCR, waldTest } from '../inference/robust/robust.js';
import { printCoefTest, printConfInt, printWaldTest } from '../inference/robust/print.js';
import { formatR, printMatrix } from '../results/rFormat.js';

export interface RobustArgs extends Omit<FitArgs, 'ddf'> {
  /** CR0, CR1, CR1p, CR1S, CR2 (default), CR3 */
  type?: string;
  /** a grouping factor's name (default: the one with the fewest levels) */
  cluster?: string;
  /** coef_test's and conf_int's test: Satterthwaite (default), naive-t, naive-tp, z, saddlepoint (tests only) */
  test?: string;
  level?: string | number;
  /** constrain_zero: comma-separated coefficient names */
  wald?: string;
  /** constrain_equal: comma-separated coefficient names */
  waldEqual?: string;
  /** Wald_test's tests: comma-separated, or All (default HTZ) */
  waldTest?: string;
}

const names = (s: string) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);

/** Runs `mixedgpu robust`; returns the exit code. */
export async function runRobust(args: RobustArgs, io: CliIO): Promise<number> {
  try {
    // the options checked before the fit
    const type = checkCrType(args.type);
    const test = checkCoefTest(args.test, '--test');
    let level = 0.95;
    if (args.level !== undefined) {
      level = Number(String(args.level).trim());
      if (!(Number.isFinite(level) && level > 0 && level < 1)) throw new CliError(`--level must be a confidence level strictly between 0 and 1, got '${args.level}'`);
    }
    const waldTests = args.waldTest === undefined ? undefined : checkWaldTests(args.waldTest === 'All' ? 'All' : names(args.waldTest));
    const constraints: { label: string; c: Constraints }[] = [];
    if (args.wald !== undefined) constraints.push({ label: `${names(args.wald).join(' = ')} = 0`, c: { zero: names(args.wald) } });
    if (args.waldEqual !== undefined) constraints.push({ label: names(args.waldEqual).join(' = '), c: { equal: names(args.waldEqual) } });
    if (waldTests && constraints.length === 0) throw new CliError('--wald-test needs the constraints: --wald x,z (each 0) or --wald-equal x,z (all equal)');
    const { type: _t, cluster, test: _c, level: _l, wald: _w, waldEqual: _we, waldTest: _wt, ...fitArgs } = args;
    const { fit } = await fitFromArgs(fitArgs, io);
    const v = vcovCR(fit as LmmFit, { type, ...(cluster !== undefined ? { cluster } : {}) });
    const ct = coefTest(fit as LmmFit, { vcov: v, test });
    const ci = test === 'saddlepoint' ? null : confIntCR(fit as LmmFit, { vcov: v, level, test });
    const walds: { label: string; w: WaldTest }[] = constraints.map(({ label, c }) => ({ label, w: waldTest(fit as LmmFit, c, { vcov: v, test: waldTests }) }));
    if (args.json) {
      io.stdout(`${JSON.stringify({
        type: v.type, cluster: v.cluster, clusters: v.J, nobs: v.N,
        coefficients: v.xnames, vcov: v.vcov,
        coef_test: { test: ct.test, rows: ct.rows.map((r) => ({ ...r, df: finite(r.df) })) },
        ...(ci ? { conf_int: { test: ci.test, level: ci.level, rows: ci.rows.map((r) => ({ ...r, df: finite(r.df) })) } } : {}),
        ...(walds.length ? {
          wald: walds.map(({ label, w }) => ({ hypothesis: label, constraints: w.C, rows: w.rows.map((r) => ({ ...r, dfDenom: finite(r.dfDenom), p: Number.isNaN(r.p) ? null : r.p })), notes: w.notes })),
        } : {}),
      }, null, 2)}\n`);
      return 0;
    }
    const lines = [
      `Cluster-robust variance ${v.type} (clubSandwich's vcovCR), clustered by ${v.cluster}: ${v.J} clusters, ${v.N} observations`,
      '',
      ...printMatrix(v.xnames.map((_, j) => formatR(v.vcov.map((row) => row[j]), 7)), v.xnames, v.xnames, true),
      '',
      `Coefficient tests (${ct.test}):`,
      ...printCoefTest(ct),
      ...(ci ? ['', `Confidence intervals (${ci.test}):`, ...printConfInt(ci)] : []),
      ...walds.flatMap(({ label, w }) => ['', `Wald test of ${label}:`, ...printWaldTest(w), ...w.notes.map((n) => `Note: ${n}`)]),
    ];
    io.stdout(`${lines.join('\n')}\n`);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}

/** JSON has no Infinity: null for an infinite df (the z and chi-sq tests) */
function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
