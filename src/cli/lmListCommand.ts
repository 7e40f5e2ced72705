/**
 * `mixedgpu lmlist FILE "y ~ x | g" [--family binomial|poisson] [--no-pool] [--level 0.95] [--pooled-confint] [--factors a,b] [--json]`:
 * lme4's lmList (src/lmlist/lmList.ts), one linear model per level of g, printed as R prints the
 * lmList (show), its summary (with the pooled residual SD unless --no-pool) and its confint at
 * --level (each group's own intervals, as lme4's confint(fit); with --pooled-confint lme4's
 * confint(fit, pool = TRUE)); with --family, a glm per group (no confint: R's is MASS's profile
 * likelihood); or all of it as one JSON object (null for R's NA and NaN).
 */
import { basename, extname } from 'node:path';
import { readTableFileAsync } from '../io/node.js';
import { type LmList, lmList } from '../lmlist/lmList.js';
import { printLmList, printLmListConfint, printLmListSummary } from '../lmlist/print.js';
import { type CliIO, CliError, type FitArgs, errorMessage, parseFactors, resolveCsv } from './fitCommand.js';

export interface LmListArgs extends Pick<FitArgs, 'factors' | 'json' | 'quiet' | 'delimiter' | 'encoding' | 'strayText'> {
  file: string;
  /** the grouped formula `y ~ x | g` */
  formula: string;
  /** commander's --no-pool: false */
  pool?: boolean;
  /** confint's level (default 0.95) */
  level?: string | number;
  /** confint with the pooled SD (lme4's confint(fit, pool = TRUE)) */
  pooledConfint?: boolean;
  /** a glm per group: binomial or poisson */
  family?: string;
}

/** The lmList as one JSON object: groups, coef, the pooled SD, summary, confint, fitted and residuals by input row. */
export function lmListJson(x: LmList, level: number, pooledConfint = false): object {
  const cf = x.coef();
  const pooled = (() => { try { return x.pooledSD(); } catch { return null; } })();
  const s = x.summary();
  const ci = x.family ? null : x.confint({ level, pool: pooledConfint });
  const byCoef = (names: string[], table: (number | null)[][]) => Object.fromEntries(names.map((n, c) => [n, table[c]]));
  const fitted = x.fitted(), residuals = x.residuals();
  return {
    formula: x.formula.text,
    model: x.formula.model.text,
    group: x.formula.group,
    family: x.family?.family ?? null,
    pool: x.pool,
    groups: cf.groups,
    failed: x.groups.filter((g) => !g.fit).map((g) => ({ group: g.name, error: g.error })),
    nobs: x.groups.reduce((a, g) => a + (g.fit ? g.fit.fitted.length : 0), 0),
    coef: { names: cf.names, values: Object.fromEntries(cf.groups.map((g, i) => [g, cf.values[i]])) },
    pooled_sd: pooled ? { sd: pooled.sd, df: pooled.df } : null,
    summary: {
      pool: s.pool, names: s.names,
      estimate: byCoef(s.names, s.estimate), se: byCoef(s.names, s.se), t: byCoef(s.names, s.t), p: byCoef(s.names, s.p),
      statistic: s.statistic, sigma: s.sigma, df: s.df, ...(s.pool ? { RSE: s.RSE, df_residual: s.dfResidual } : {}),
    },
    confint: ci ? { level: ci.level, pool: ci.pool, columns: ci.columns, names: ci.names, lower: byCoef(ci.names, ci.lower), upper: byCoef(ci.names, ci.upper) } : null,
    fitted: { group: fitted.groups, row: Array.from(fitted.rows, (r) => (r < 0 ? null : r + 1)), values: Array.from(fitted.values) },
    residuals: Array.from(residuals.values),
    messages: x.messages,
  };
}

/** Runs `mixedgpu lmlist`; returns the exit code. */
export async function runLmList(args: LmListArgs, io: CliIO): Promise<number> {
  try {
    if (!args.formula || !args.formula.trim()) throw new CliError("missing the grouped formula, such as 'y ~ x | g'");
    const level = args.level === undefined ? 0.95 : Number(String(args.level).trim());
    if (!(level > 0 && level < 1)) throw new CliError(`--level must be a number strictly between 0 and 1 (such as 0.95), got '${args.level}'`);
    const factors = parseFactors(args.factors);
    const read = await readTableFileAsync(args.file, { factors, ...resolveCsv(args) });
    if (!args.quiet) for (const w of read.warnings) io.stderr(`mixedgpu: warning: ${w}\n`);
    if (!args.quiet) for (const n of read.notes ?? []) io.stderr(`mixedgpu: note: ${basename(args.file)}: ${n}\n`);
    const family = args.family;
    if (family !== undefined && family !== 'binomial' && family !== 'poisson') throw new CliError(`--family must be binomial or poisson (a glm in each group), not '${family}'`);
    const x = lmList(args.formula, read.table, {
      factors, dataName: basename(args.file, extname(args.file)),
      // --no-pool gives false; a family has no dispersion to pool (lme4's default pool is FALSE there)
      ...(family ? { family, ...(args.pool === false ? { pool: false } : {}) } : { pool: args.pool ?? true }),
    });
    // lme4's warning for the failed fits, and the rows left out, as R prints them at fit time
    if (!args.quiet) for (const m of x.messages) io.stderr(`mixedgpu: ${/^Fitting failed|caught in lm\.fit|glm\.fit:/.test(m) ? 'warning' : 'note'}: ${m}\n`);
    if (args.json) {
      io.stdout(`${JSON.stringify(lmListJson(x, level, args.pooledConfint), null, 2)}\n`);
    } else {
      const lines = [...printLmList(x), '', ...printLmListSummary(x, x.summary())];
      if (!x.family) lines.push(...printLmListConfint(x.confint({ level, pool: args.pooledConfint ?? false })));
      io.stdout(`${lines.join('\n')}\n`);
    }
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
