/**
 * The page's side of the Model checks card (DHARMa's simulated residuals and performance's model
 * checks), no DOM and no library math: the simulations' request from the card's fields (a bad field
 * named), the tests' and checks' tables of cells (the Model tests card's TestTable) with their CSVs, the
 * QQ plot's legend as DHARMa's plotQQunif writes it, and the plots' points. The work runs in the worker
 * (./modelChecksRun.ts), by the library.
 */
import type { DharmaMsg, DharmaRequest, DharmaTestMsg, ModelChecksSetup, PerformanceChecksMsg } from './protocol.js';
import type { CellFormat, TestColumn, TestTable } from './modelTests.js';
import { vifGroup } from '../../src/checks/collinearity.js';
import { PERFORMANCE_COLUMNS } from '../../src/checks/modelPerformance.js';
import { formatR, roundR } from '../../src/results/rFormat.js';
import { csv } from './dom.js';

/** DHARMa's default number of simulations (simulateResiduals's n) and seed (the library's default, DHARMa's 123) */
export const DHARMA_NSIM = 250;
export const DHARMA_SEED = 123;
/** the most simulated values (nsim × observations) the card asks the tab to hold: 400 MB of float64 */
export const MAX_SIMULATED_VALUES = 50_000_000;
/** the most points a DHARMa plot draws (evenly spread; the CSV has every residual) */
export const MAX_PLOT_POINTS = 4000;

/** the card's fields, as chosen or typed */
export interface DharmaFields {
  nsim: string;
  seed: string;
  /** 'conditional' (DHARMa 0.5.0's default) or 'unconditional' */
  simulateREs: string;
  /** a grouping factor of the fit, or '' for none */
  group: string;
}

/** a field the card refuses, named */
export class ChecksFieldError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'ChecksFieldError';
  }
}

/** The request of the card's fields: nsim (≥ 2, and nsim × observations within what the tab holds), the seed, the random effects, the group. */
export function dharmaRequest(f: DharmaFields, setup: Pick<ModelChecksSetup, 'dharmaRefusal' | 'groups' | 'nobs'>): DharmaRequest {
  if (setup.dharmaRefusal) throw new ChecksFieldError('fit', `simulated residuals are not available for this fit: ${setup.dharmaRefusal}`);
  const nsimText = f.nsim.trim();
  const nsim = Number(nsimText);
  if (nsimText === '' || !Number.isInteger(nsim) || nsim < 2) {
    throw new ChecksFieldError('nsim', `nsim: the number of simulations must be a whole number ≥ 2 (DHARMa: n > 1 is required to calculate scaled residuals; its default ${DHARMA_NSIM}), got '${f.nsim}'`);
  }
  if (nsim * setup.nobs > MAX_SIMULATED_VALUES) {
    throw new ChecksFieldError('nsim', `nsim: ${nsim} simulations of ${setup.nobs.toLocaleString('en-US')} observations are ${(nsim * setup.nobs).toLocaleString('en-US')} simulated values, more than the ${MAX_SIMULATED_VALUES.toLocaleString('en-US')} the tab holds (8 bytes each): at most ${Math.floor(MAX_SIMULATED_VALUES / setup.nobs)} simulations for this fit`);
  }
  const seedText = f.seed.trim();
  const seed = Number(seedText);
  if (seedText === '' || !Number.isSafeInteger(seed)) throw new ChecksFieldError('seed', `seed: a whole number, got '${f.seed}'`);
  if (f.simulateREs !== 'conditional' && f.simulateREs !== 'unconditional') {
    throw new ChecksFieldError('simulateREs', `random effects: 'conditional' (on the fitted random effects, DHARMa 0.5.0's default) or 'unconditional' (new ones), got '${f.simulateREs}'`);
  }
  if (f.group !== '' && !setup.groups.includes(f.group)) {
    throw new ChecksFieldError('group', `group: '${f.group}' is not a grouping factor of this fit (${setup.groups.join(', ') || 'none'})`);
  }
  return { nsim, seed, simulateREs: f.simulateREs, group: f.group === '' ? null : f.group };
}

const col = (key: string, head: string, csvName: string, format: CellFormat): TestColumn => ({ key, head, csv: csvName, format });

const TEST_NAMES: Record<DharmaTestMsg['test'], string> = {
  uniformity: 'testUniformity', dispersion: 'testDispersion', zeroInflation: 'testZeroInflation', outliers: 'testOutliers',
};

/** DHARMa's tests as a table: a row per test with its method, statistic, parameter, p-value and alternative */
export function dharmaTestsTable(tests: DharmaTestMsg[], id: string, title: string): TestTable {
  return {
    id, title,
    columns: [
      col('test', 'test', 'test', 'text'), col('statname', 'statistic', 'statistic_name', 'text'), col('statistic', 'value', 'statistic', 'num'),
      col('parameter', 'parameter', 'parameter', 'text'), col('p', 'p-value', 'p_value', 'p'), col('alternative', 'alternative', 'alternative', 'text'),
      col('method', 'method', 'method', 'text'),
    ],
    rows: tests.map((t) => ({
      key: t.test,
      cells: [TEST_NAMES[t.test], t.statistic.name, t.statistic.value, t.parameter ? `${t.parameter.name} = ${formatR([t.parameter.value], 5)[0]}` : '',
        t.pValue, t.alternative, t.method.replace(/\s+/g, ' ').trim()],
    })),
    caption: '',
  };
}

/** one legend of DHARMa's QQ plot: its place, its two lines, and whether it is drawn in DHARMa's signal colour (p < 0.05) */
export interface QqLegend {
  anchor: 'top-left' | 'middle' | 'bottom-right';
  lines: [string, string];
  significant: boolean;
}

/** R's paste("…", round(p, 5)): as.character of the rounded p-value (15 significant digits) */
export function pasteRounded(p: number): string {
  return formatR([roundR(p, 5)], 15)[0]!;
}

/**
 * DHARMa's plotQQunif legends: "KS test: p= …" top left, "Dispersion test: p= …" in the middle and
 * "Outlier test: p= …" bottom right, each with "Deviation  significant" or "Deviation  n.s." (p < 0.05)
 * — paste's separator doubled after "Deviation ", as DHARMa prints it.
 */
export function qqLegends(tests: DharmaTestMsg[]): QqLegend[] {
  const legend = (test: DharmaTestMsg['test'], label: string, anchor: QqLegend['anchor']): QqLegend[] => {
    const t = tests.find((x) => x.test === test);
    if (!t) return [];
    const significant = t.pValue < 0.05;
    return [{ anchor, lines: [`${label} p= ${pasteRounded(t.pValue)}`, `Deviation  ${significant ? 'significant' : 'n.s.'}`], significant }];
  };
  return [...legend('uniformity', 'KS test:', 'top-left'), ...legend('dispersion', 'Dispersion test:', 'middle'), ...legend('outliers', 'Outlier test:', 'bottom-right')];
}

/** evenly spread indices 0 … n − 1, at most `max` of them (all where n ≤ max), the first and last included */
export function spread(n: number, max = MAX_PLOT_POINTS): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: max }, (_, k) => Math.round((k * (n - 1)) / (max - 1)));
}

/** the QQ plot's points (sorted residuals against i/(n + 1)), evenly spread ranks where there are more than MAX_PLOT_POINTS */
export function qqPoints(m: Pick<DharmaMsg, 'qqExpected' | 'qqObserved'>): { expected: number; observed: number }[] {
  return spread(m.qqExpected.length).map((i) => ({ expected: m.qqExpected[i]!, observed: m.qqObserved[i]! }));
}

/** the residual plot's points (rank-transformed prediction, residual, outlier: a residual of 0 or 1), evenly spread observations */
export function residualPoints(m: Pick<DharmaMsg, 'rankPrediction' | 'scaledResiduals'>): { x: number; residual: number; outlier: boolean }[] {
  return spread(m.scaledResiduals.length).map((i) => {
    const r = m.scaledResiduals[i]!;
    return { x: m.rankPrediction[i]!, residual: r, outlier: r === 0 || r === 1 };
  });
}

/** the residuals' CSV: each observation's data row (1-based), observed and fitted (population-level) response, scaled residual */
export function dharmaResidualsCsv(m: DharmaMsg): string {
  const rows = Array.from(m.scaledResiduals, (r, i) => [m.rows ? m.rows[i]! + 1 : i + 1, m.observedResponse[i]!, m.fittedPredictedResponse[i]!, r]);
  return csv(['row', 'observed', 'fitted_population', 'scaled_residual'], rows);
}

/** the per-group residuals' CSV: the group's label and its residual (recalculateResiduals) */
export function groupedResidualsCsv(g: NonNullable<DharmaMsg['grouped']>): string {
  return csv([g.group, 'scaled_residual'], g.labels.map((l, i) => [l, g.scaledResiduals[i]!]));
}

/** check_collinearity's table: a row per term with its VIF, interval, SE factor, tolerance and interval, and performance's group */
export function collinearityTable(m: PerformanceChecksMsg): TestTable | null {
  const c = m.collinearity;
  if (!c?.rows) return null;
  const pct = c.ci === null ? null : `${roundR(c.ci * 100, 10)}%`;
  return {
    id: 'collinearity', title: 'Check for multicollinearity (check_collinearity)',
    columns: [
      col('term', 'Term', 'term', 'text'), col('vif', 'VIF', 'VIF', 'num'),
      ...(pct ? [col('vif-lo', `VIF ${pct} CI low`, 'VIF_CI_low', 'num'), col('vif-hi', 'high', 'VIF_CI_high', 'num')] : []),
      col('se', 'Increased SE', 'SE_factor', 'num'), col('tolerance', 'Tolerance', 'Tolerance', 'num'),
      ...(pct ? [col('tol-lo', `Tolerance ${pct} CI low`, 'Tolerance_CI_low', 'num'), col('tol-hi', 'high', 'Tolerance_CI_high', 'num')] : []),
      col('group', 'correlation', 'group', 'text'),
    ],
    rows: c.rows.map((r) => ({
      key: r.Term,
      cells: [r.Term, r.VIF, ...(pct ? [r.VIF_CI_low, r.VIF_CI_high] : []), r.SE_factor, r.Tolerance, ...(pct ? [r.Tolerance_CI_low, r.Tolerance_CI_high] : []), vifGroup(r.VIF)],
    })),
    caption: "performance's groups: Low (VIF < 5), Moderate (5 ≤ VIF < 10), High (VIF ≥ 10). An interval's upper bound of Inf is performance's.",
  };
}

/** the other checks, a row each: its result, its numbers and performance's verdict (checks the library refused are left out: they are notes; a zero-inflated fit has overdispersion and zero-inflation only) */
export function checksTable(m: PerformanceChecksMsg): TestTable {
  const rows: { key: string; cells: (string | number | null)[] }[] = [];
  const o = m.overdispersion;
  if (o) rows.push({ key: 'overdispersion', cells: ['check_overdispersion', o.message, `dispersion ratio ${fmt4(o.ratio)}, Pearson χ² ${fmt4(o.chisq)} on ${o.rdf} df`, o.p] });
  if (!m.refusals.some((r) => r.check === 'check_zeroinflation')) {
    const z = m.zeroinflation;
    rows.push(z
      ? { key: 'zeroinflation', cells: ['check_zeroinflation', z.message, `observed zeros ${z.observedZeros}, predicted ${fmt4(z.predictedZeros)}, ratio ${fmt4(z.ratio)} (tolerance ${z.tolerance})`, null] }
      : { key: 'zeroinflation', cells: ['check_zeroinflation', 'Model has no observed zeros in the response variable.', '', null] });
  }
  const s = m.singularity;
  if (s) rows.push({ key: 'singularity', cells: ['check_singularity', s.singular ? 'Singular fit' : 'Not singular', `tolerance ${fmt4(s.tolerance)}; lme4's isSingular (1e-4): ${s.lme4Singular ? 'yes' : 'no'}`, null] });
  const c = m.convergence;
  if (c) rows.push({ key: 'convergence', cells: ['check_convergence', c.converged ? 'Converged' : 'Not converged', `max |H⁻¹g| ${formatR([c.gradient], 4)[0]} (tolerance ${c.tolerance})`, null] });
  return {
    id: 'checks', title: 'Overdispersion, zero-inflation, singularity and convergence',
    columns: [col('check', 'check', 'check', 'text'), col('verdict', 'result', 'result', 'text'), col('detail', 'details', 'details', 'text'), col('p', 'p', 'p_value', 'p')],
    rows, caption: '',
  };
}

function fmt4(x: number): string {
  return formatR([x], 4)[0]!.trim();
}

/** model_performance's row: the columns it reports for this fit, in performance's order */
export function performanceTable(m: PerformanceChecksMsg): TestTable | null {
  const p = m.modelPerformance;
  if (!p) return null;
  const present = PERFORMANCE_COLUMNS.filter(([k]) => k in p && p[k] !== undefined);
  return {
    id: 'performance', title: 'Indices of model performance (model_performance)',
    columns: present.map(([k, head]) => col(`perf-${k}`, head, k, 'num')),
    rows: [{ key: 'model', cells: present.map(([k]) => (p[k] ?? null) as number | null) }],
    caption: 'An lmer fit\'s AIC, AICc and BIC are at its REML criterion (performance\'s default estimator); R² and ICC are Nakagawa\'s; an empty cell is performance\'s NA.',
  };
}
