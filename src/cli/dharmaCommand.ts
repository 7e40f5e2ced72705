/**
 * `mixedgpu dharma FILE FORMULA [--family binomial|poisson] [--nsim 250] [--seed 123] [--unconditional]
 * [--outlier-type default|binomial|bootstrap] [--group COL] [--json]`:
 * DHARMa's simulated residual diagnostics (src/diagnostics/): fit.simulateResiduals, then print.DHARMa and
 * testUniformity, testDispersion, testOutliers (and testZeroInflation for a count response) in R's
 * print.htest form; with --group, the residuals summed per value of a column (recalculateResiduals) and
 * their uniformity and dispersion tests. --json: the residuals, the tests and the two plots' data
 * (QQ points; residuals against the rank-transformed predictions).
 */
import { type CliIO, CliError, type FitArgs, errorMessage, fitFromArgs } from './fitCommand.js';
import { numberArg } from './inferenceCommands.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import type { DharmaResiduals } from '../diagnostics/dharma.js';
import { printDharma, testDispersion, testOutliers, testUniformity, testZeroInflation } from '../diagnostics/dharmaTests.js';
import { type HTest, printHTest } from '../diagnostics/htest.js';
import { OUTLIER_TYPES, type OutlierType } from '../diagnostics/outliers.js';
import { recalculateResiduals } from '../diagnostics/recalculate.js';
import { dharmaPlotData } from '../diagnostics/plotData.js';

export interface DharmaArgs extends Omit<FitArgs, 'ddf'> {
  nsim?: string | number;
  seed?: string | number;
  /** new random effects in each simulation (DHARMa's simulateREs = "unconditional") */
  unconditional?: boolean;
  outlierType?: string;
  /** a column of the data: the residuals summed per value (recalculateResiduals) */
  group?: string;
}

const testJson = (t: HTest) => ({
  method: t.method, statistic: { [t.statistic.name]: t.statistic.value }, ...(t.parameter ? { parameter: { [t.parameter.name]: t.parameter.value } } : {}),
  p_value: t.pValue, alternative: t.alternative, ...(t.estimate ? { estimate: { [t.estimate.name]: t.estimate.value } } : {}),
  ...(t.confInt ? { conf_int: [t.confInt.lower, t.confInt.upper] } : {}),
});

/** Runs `mixedgpu dharma`; returns the exit code. */
export async function runDharma(args: DharmaArgs, io: CliIO): Promise<number> {
  try {
    const nsim = numberArg(args.nsim, 'nsim', true);
    if (nsim !== undefined && nsim < 2) throw new CliError(`--nsim must be at least 2 (scaled residuals compare the observation with its simulations), got ${nsim}`);
    const seed = numberArg(args.seed, 'seed', true);
    const outlierType = args.outlierType ?? 'default';
    if (!(OUTLIER_TYPES as readonly string[]).includes(outlierType)) throw new CliError(`unknown --outlier-type '${outlierType}' (choose ${OUTLIER_TYPES.join(', ')})`);
    if (args.engine !== undefined && args.engine !== 'memory') throw new CliError(`dharma simulates responses for every row: it needs the rows in memory (--engine memory), not --engine ${args.engine}`);
    const { nsim: _n, seed: _s, unconditional, outlierType: _o, group, ...fitArgs } = args;
    const { fit, table } = await fitFromArgs(fitArgs, io);
    const f = fit as LmmFit | GlmmFit;
    const d: DharmaResiduals = f.simulateResiduals({ ...(nsim !== undefined ? { nsim } : {}), ...(seed !== undefined ? { seed } : {}), ...(unconditional ? { simulateREs: 'unconditional' as const } : {}) });
    const tests: Record<string, HTest> = {
      uniformity: testUniformity(d), dispersion: testDispersion(d),
      ...(d.integerResponse ? { zeroInflation: testZeroInflation(d) } : {}),
    };
    const outliers = testOutliers(d, { type: outlierType as OutlierType });
    tests.outliers = outliers;
    let grouped: { column: string; d: DharmaResiduals; tests: Record<string, HTest> } | null = null;
    if (group !== undefined) {
      const col = table?.getChild(group);
      if (!table || !col) throw new CliError(`--group: no column '${group}' in the data${table ? ` (columns: ${table.schema.fields.map((x) => x.name).join(', ')})` : ''}`);
      const rows = f.model.frame.rows;
      const labels = Array.from({ length: d.nObs }, (_, i) => {
        const v = col.get(rows ? rows[i] : i);
        if (v === null || v === undefined) throw new CliError(`--group: column '${group}' is missing in row ${(rows ? rows[i] : i) + 1}, a row the fit uses`);
        return String(v);
      });
      const g = recalculateResiduals(d, labels);
      grouped = { column: group, d: g, tests: { uniformity: testUniformity(g), dispersion: testDispersion(g) } };
    }
    const messages = [...d.messages, ...outliers.messages];
    if (!args.quiet) for (const m of messages) io.stderr(`mixedgpu: note: ${m}\n`);
    if (args.json) {
      const plot = dharmaPlotData(d.scaledResiduals, d.fittedPredictedResponse);
      const out = {
        nObs: d.nObs, nSim: d.nSim, seed: d.seed, integerResponse: d.integerResponse, simulateREs: unconditional ? 'unconditional' : 'conditional',
        scaledResiduals: Array.from(d.scaledResiduals), fittedPredictedResponse: Array.from(d.fittedPredictedResponse),
        tests: Object.fromEntries(Object.entries(tests).map(([k, t]) => [k, testJson(t)])),
        plot: {
          qq: plot.qq, residualsVsPredicted: plot.residualsVsPredicted.map((p) => ({ prediction: p.prediction, rank: p.rankPrediction, residual: p.residual, outlier: p.outlier })),
          asFactor: plot.asFactor,
        },
        ...(grouped ? {
          grouped: {
            column: grouped.column, groups: grouped.d.groups, scaledResiduals: Array.from(grouped.d.scaledResiduals),
            tests: Object.fromEntries(Object.entries(grouped.tests).map(([k, t]) => [k, testJson(t)])),
          },
        } : {}),
        messages,
      };
      io.stdout(`${JSON.stringify(out, null, 2)}\n`);
      return 0;
    }
    const lines = [...printDharma(d), ''];
    for (const t of Object.values(tests)) lines.push(...printHTest(t));
    if (grouped) {
      lines.push(`Residuals summed per ${grouped.column} (${grouped.d.nObs} groups):`);
      for (const t of Object.values(grouped.tests)) lines.push(...printHTest(t));
    }
    io.stdout(`${lines.join('\n')}\n`);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
