/**
 * The "Model tests" card's list of tests and its tables (no DOM, no library math): which test applies
 * to which fit, what each needs (options, refits, progress), and each result as tables of cells with
 * their CSV. The tests themselves run in the worker (./modelTestsRun.ts runModelTest).
 *
 * A new test is a few lines: its kind in protocol.ts (ModelTestKind, ModelTestMsg), an entry in
 * MODEL_TESTS below, its runner in modelTestsRun.ts RUNNERS and its tables in TABLES below; the card
 * offers it for the fits it lists.
 */
import type { InfluenceUnitMsg, ModelTestKind, ModelTestMsg } from './protocol.js';
import { csv } from './dom.js';

/** a control of the card that a test reads */
export type ModelTestOption = 'ddf' | 'reduceTerms' | 'by' | 'type' | 'groups';

export interface ModelTestSpec {
  kind: ModelTestKind;
  /** the card's name for it */
  label: string;
  /** the R function it matches */
  r: string;
  /** the fits it is offered for */
  fits: ('lmer' | 'glmer')[];
  options: ModelTestOption[];
  /** it refits the model (asynchronous in the worker; the card shows a busy state) */
  refits: boolean;
  /** it reports each refit and stops on Cancel (the library's onProgress and AbortSignal) */
  progress: boolean;
  /**
   * on a streamed fit (the rows never held; the fit has only the Gram matrix A the stream formed and
   * its first pass's per-cell summaries): what the test is computed from there, or why it is not
   * offered (glmer's tests: a stream fits lmer only)
   */
  streamed: { from: string } | { unavailable: string };
}

const STREAM_GLMER = 'a stream fits lmer only (a GLMM needs the rows at every PIRLS iteration)';

export const MODEL_TESTS: ModelTestSpec[] = [
  { kind: 'ranova', label: 'ranova: random-effects terms (LRT)', r: "lmerTest's ranova", fits: ['lmer'], options: ['reduceTerms'], refits: true, progress: false,
    streamed: { unavailable: 'ranova refits the reduced models, whose Z is built from the rows (the library refuses it for a fit whose rows are in a stream)' } },
  { kind: 'drop1', label: 'drop1: marginal fixed terms (F)', r: "lmerTest's drop1", fits: ['lmer'], options: ['ddf'], refits: false, progress: false,
    streamed: { from: "the Gram matrix A the stream formed (the F tests' XᵀX and Var(β̂) need no rows)" } },
  { kind: 'glmerDrop1', label: 'drop1: marginal fixed terms (LRT)', r: "lme4's drop1", fits: ['glmer'], options: [], refits: true, progress: true, streamed: { unavailable: STREAM_GLMER } },
  { kind: 'step', label: 'step: backward elimination', r: "lmerTest's step", fits: ['lmer'], options: ['ddf'], refits: true, progress: false,
    streamed: { unavailable: "step eliminates random-effects terms by ranova's refits, whose reduced models' Z is built from the rows" } },
  { kind: 'jointTests', label: 'joint tests of the model terms (F)', r: "emmeans's joint_tests", fits: ['lmer', 'glmer'], options: ['by'], refits: false, progress: false,
    streamed: { from: "the first pass's per-cell summaries (the reference grid) and the Gram matrix A" } },
  { kind: 'waldAnova', label: 'Wald χ² anova', r: "car's Anova", fits: ['glmer'], options: ['type'], refits: false, progress: false, streamed: { unavailable: STREAM_GLMER } },
  { kind: 'r2', label: "R² (Nakagawa) and ICC", r: "performance's r2_nakagawa and icc", fits: ['lmer', 'glmer'], options: [], refits: true, progress: false,
    streamed: { from: "the Gram matrix A (insight's var(Xβ̂) and random-effect variance from its XᵀX and Z blocks)" } },
  { kind: 'influence', label: 'influence: case deletion (Cook\'s D)', r: "lme4's influence", fits: ['lmer', 'glmer'], options: ['groups'], refits: true, progress: true,
    streamed: { unavailable: "case deletion refits the model without each unit's rows, which a stream does not hold" } },
  { kind: 'caic', label: 'conditional AIC (cAIC4)', r: "cAIC4's cAIC", fits: ['lmer', 'glmer'], options: [], refits: true, progress: true,
    streamed: { unavailable: "cAIC4's bias correction needs the rows (lmer: Z and the hat matrix's parts; glmer: one refit per observation)" } },
];

export function testSpec(kind: ModelTestKind): ModelTestSpec {
  const s = MODEL_TESTS.find((t) => t.kind === kind);
  if (!s) throw new Error(`unknown model test '${String(kind)}' (tests: ${MODEL_TESTS.map((t) => t.kind).join(', ')})`);
  return s;
}

/** the tests the card offers for a fit of this kind, in the list's order */
export function testsFor(fit: 'lmer' | 'glmer'): ModelTestSpec[] {
  return MODEL_TESTS.filter((t) => t.fits.includes(fit));
}

/**
 * The card of a streamed fit (lmer; ./stream.ts): the tests computed from what the stream kept (A, the
 * first pass's cells), offered, and the other lmer tests with the reason each is not — listed, never
 * silently missing. glmer's tests are not listed: a stream fits lmer only.
 */
export function testsForStream(): { offered: ModelTestSpec[]; unavailable: { spec: ModelTestSpec; reason: string }[] } {
  const lmerTests = testsFor('lmer');
  return {
    offered: lmerTests.filter((t) => 'from' in t.streamed),
    unavailable: lmerTests.flatMap((t) => 'unavailable' in t.streamed ? [{ spec: t, reason: t.streamed.unavailable }] : []),
  };
}

/**
 * The worker's refusal of something the card does not offer for a fit whose rows are in a stream or an
 * engine (a model test, the bootstrap's intervals): what (R's name), where the rows are, and why.
 */
export function engineRefusal(r: string, source: { engine: string; name: string }, why: string): string {
  return `${r} is not offered for a fit whose rows are in ${source.engine === 'stream' ? 'a stream' : source.engine} (${source.name}): ${why}`;
}

/** why a test is not offered for a streamed fit, or null where it is */
export function streamRefusal(kind: ModelTestKind): string | null {
  const s = testSpec(kind).streamed;
  return 'unavailable' in s ? s.unavailable : null;
}

/** how a column's cells are shown: text, a whole number, a number (5 significant digits), a statistic (3 decimals), a df (4 digits), a p-value */
export type CellFormat = 'text' | 'int' | 'num' | 'stat' | 'df' | 'p';

export interface TestColumn {
  /** the row's data attribute (data-KEY) holding the raw value */
  key: string;
  /** the heading, as R prints it */
  head: string;
  /** the CSV column's name */
  csv: string;
  format: CellFormat;
}

export interface TestTable {
  /** the table's element id and the CSV file's suffix */
  id: string;
  title: string;
  columns: TestColumn[];
  /** one row per line: its key (term or unit) and a cell per column (null: NA) */
  rows: { key: string; cells: (string | number | null)[] }[];
  /** what the table shows of more (e.g. the top 10 of 18 units), or '' */
  caption: string;
  /** the CSV's rows, when they are more than the table's (influence: every unit) */
  csvRows?: (string | number | null)[][];
}

const col = (key: string, head: string, csvName: string, format: CellFormat): TestColumn => ({ key, head, csv: csvName, format });

/** the influence table's units: the largest Cook's distances */
export const INFLUENCE_TOP = 10;
/** the most bars in the Cook's distance chart */
export const INFLUENCE_BARS = 40;

const influenceCells = (m: { xnames: string[] }, u: InfluenceUnitMsg): (string | number | null)[] => [u.label, u.rows, u.cooks, ...m.xnames.map((_, j) => u.dfbetas[j] ?? null)];

/** each test's tables (one each, today), from its message */
const TABLES: { [K in ModelTestKind]: (m: Extract<ModelTestMsg, { kind: K }>) => TestTable[] } = {
  ranova: (m) => [{
    id: 'ranova', title: `Random-effects terms (likelihood-ratio tests${m.request.reduceTerms === false ? ', each term removed' : ', each term reduced'})`,
    columns: [col('term', '', 'term', 'text'), col('npar', 'npar', 'npar', 'int'), col('loglik', 'logLik', 'logLik', 'num'), col('aic', 'AIC', 'AIC', 'num'),
      col('lrt', 'LRT', 'LRT', 'num'), col('df', 'Df', 'Df', 'int'), col('p', 'Pr(>Chisq)', 'p_value', 'p')],
    rows: m.rows.map((r) => ({ key: r.name, cells: [r.name, r.npar, r.logLik, r.AIC, r.LRT, r.Df, r.p] })),
    caption: `Model: ${m.model}`,
  }],
  drop1: (m) => [{
    id: 'drop1', title: `Single term deletions (${m.ddf === 'satterthwaite' ? 'Satterthwaite' : 'Kenward–Roger'})`,
    columns: [col('term', '', 'term', 'text'), col('sumsq', 'Sum Sq', 'sumsq', 'num'), col('meansq', 'Mean Sq', 'meansq', 'num'), col('numdf', 'NumDF', 'numdf', 'int'),
      col('dendf', 'DenDF', 'dendf', 'df'), col('f', 'F value', 'F', 'num'), col('p', 'Pr(>F)', 'p_value', 'p')],
    rows: m.rows.map((r) => ({ key: r.term, cells: [r.term, r.sumsq, r.meansq, r.numdf, r.dendf, r.F, r.p] })),
    caption: m.rows.length ? `Model: ${m.model}` : 'No marginal fixed-effects term to drop (an intercept-only model).',
  }],
  glmerDrop1: (m) => [{
    id: 'glmer-drop1', title: 'Single term deletions (likelihood-ratio tests)',
    columns: [col('term', '', 'term', 'text'), col('npar', 'npar', 'npar', 'int'), col('aic', 'AIC', 'AIC', 'num'), col('lrt', 'LRT', 'LRT', 'num'), col('p', 'Pr(Chi)', 'p_value', 'p')],
    rows: [{ key: '<none>', cells: ['<none>', null, m.none.AIC, null, null] }, ...m.rows.map((r) => ({ key: r.term, cells: [r.term, r.npar, r.AIC, r.LRT ?? null, r.p ?? null] }))],
    caption: `Model: ${m.model}`,
  }],
  step: (m) => [{
    id: 'step-random', title: 'Backward reduced random-effect table',
    columns: [col('term', '', 'term', 'text'), col('eliminated', 'Eliminated', 'eliminated', 'int'), col('npar', 'npar', 'npar', 'int'), col('loglik', 'logLik', 'logLik', 'num'),
      col('aic', 'AIC', 'AIC', 'num'), col('lrt', 'LRT', 'LRT', 'num'), col('df', 'Df', 'Df', 'int'), col('p', 'Pr(>Chisq)', 'p_value', 'p')],
    rows: m.random.map((r) => ({ key: r.name, cells: [r.name, r.eliminated, r.npar, r.logLik, r.AIC, r.LRT, r.Df, r.p] })),
    caption: '',
  }, {
    id: 'step-fixed', title: `Backward reduced fixed-effect table (${m.ddf === 'satterthwaite' ? 'Satterthwaite' : 'Kenward–Roger'})`,
    columns: [col('term', '', 'term', 'text'), col('eliminated', 'Eliminated', 'eliminated', 'int'), col('sumsq', 'Sum Sq', 'sumsq', 'num'), col('meansq', 'Mean Sq', 'meansq', 'num'),
      col('numdf', 'NumDF', 'numdf', 'int'), col('dendf', 'DenDF', 'dendf', 'df'), col('f', 'F value', 'F', 'num'), col('p', 'Pr(>F)', 'p_value', 'p')],
    rows: m.fixed.map((r) => ({ key: r.term, cells: [r.term, r.eliminated, r.sumsq, r.meansq, r.numdf, r.dendf, r.F, r.p] })),
    caption: `Model found: ${m.formula}`,
  }],
  r2: (m) => [{
    id: 'r2', title: "Nakagawa's R² and the ICC",
    columns: [col('statistic', '', 'statistic', 'text'), col('value', 'value', 'value', 'num')],
    rows: [
      ['Conditional R²', m.r2.conditional], ['Marginal R²', m.r2.marginal], ['Adjusted ICC', m.icc?.adjusted ?? null], ['Unadjusted ICC', m.icc?.unadjusted ?? null],
      ...(m.byGroup ?? []).map((g) => [`ICC ${g.group}`, g.ICC] as [string, number]),
    ].map(([k, v]) => ({ key: String(k), cells: [k, v] })),
    caption: '',
  }, {
    id: 'r2-components', title: 'Variance components (insight\'s get_variance)',
    columns: [col('component', '', 'component', 'text'), col('variance', 'variance', 'variance', 'num')],
    rows: (['fixed', 'random', 'residual', 'distribution', 'dispersion'] as const).map((k) => ({ key: k, cells: [k, m.r2.components[k]] })),
    caption: '',
  }],
  jointTests: (m) => {
    const note = m.rows.some((r) => r.note !== '');
    return [{
      id: 'joint', title: `Joint tests${m.by.length ? ` by ${m.by.join(', ')}` : ''} (${m.ddf})`,
      columns: [col('term', 'model term', 'model_term', 'text'), ...m.by.map((b) => col(`by-${b}`, b, b, 'text')), col('df1', 'df1', 'df1', 'int'),
        col('df2', 'df2', 'df2', 'df'), col('f', 'F.ratio', 'F_ratio', 'stat'), col('p', 'p.value', 'p_value', 'p'), ...(note ? [col('note', 'note', 'note', 'text')] : [])],
      rows: m.rows.map((r) => ({
        key: [r.term, ...m.by.map((b) => r.by[b] ?? '')].join('|'),
        cells: [r.term, ...m.by.map((b) => r.by[b] ?? ''), r.df1, r.df2, r.F, r.p, ...(note ? [r.note.trim()] : [])],
      })),
      caption: '',
    }];
  },
  waldAnova: (m) => [{
    id: 'wald', title: `Analysis of deviance (type ${m.type} Wald χ² tests), response ${m.response}`,
    columns: [col('term', '', 'term', 'text'), col('chisq', 'Chisq', 'chisq', 'num'), col('df', 'Df', 'df', 'int'), col('p', 'Pr(>Chisq)', 'p_value', 'p')],
    rows: m.rows.map((r) => ({ key: r.term, cells: [r.term, r.chisq, r.df, r.p] })),
    caption: '',
  }],
  influence: (m) => {
    const unit = m.groups === 'case' ? 'row' : m.groups;
    const top = m.units.slice(0, INFLUENCE_TOP);
    return [{
      id: 'influence', title: `Influence: the fit without each ${m.groups === 'case' ? 'observation' : `level of ${m.groups}`}`,
      columns: [col('unit', unit, 'unit', 'text'), col('rows', 'n', 'rows', 'int'), col('cooks', "Cook's D", 'cooks_distance', 'num'),
        ...m.xnames.map((x, j) => col(`dfbetas-${j}`, `dfbetas ${x}`, `dfbetas_${x}`, 'stat'))],
      rows: top.map((u) => ({ key: u.label, cells: influenceCells(m, u) })),
      caption: m.units.length > top.length ? `The ${top.length} largest Cook's distances of ${m.units.length} units (the CSV has every unit).` : `All ${m.units.length} units, largest Cook's distance first.`,
      csvRows: m.units.map((u) => influenceCells(m, u)),
    }];
  },
  caic: (m) => {
    const r = m.caic;
    return [{
      id: 'caic', title: `Conditional AIC (cAIC4${r.family === 'gaussian' ? ", Greven & Kneib's bias correction" : `, ${r.family === 'poisson' ? 'Poisson' : 'Bernoulli'}: Säfken et al.'s bias correction`})`,
      columns: [col('statistic', '', 'statistic', 'text'), col('value', 'value', 'value', 'num')],
      rows: ([['Conditional log-likelihood', r.loglikelihood], ['Degrees of freedom', r.df], ['Conditional AIC', r.caic]] as [string, number][])
        .map(([k, v]) => ({ key: k, cells: [k, v] })),
      caption: [
        r.new ? `The model was refitted without its zero variance components: ${r.reducedModel}.` : '',
        r.refits > 0 ? `${r.refits} refits (one per ${r.family === 'poisson' ? 'positive count' : 'observation'}).` : '',
      ].filter((x) => x !== '').join(' '),
    }];
  },
};

/** a result's tables */
export function modelTestTables(m: ModelTestMsg): TestTable[] {
  return (TABLES[m.kind] as (x: ModelTestMsg) => TestTable[])(m);
}

/** a table as CSV: its columns' CSV names, every row (influence: every unit, not only the top 10) */
export function testTableCsv(t: TestTable): string {
  return csv(t.columns.map((c) => c.csv), t.csvRows ?? t.rows.map((r) => r.cells));
}

/** the Cook's distance chart's bars: the largest INFLUENCE_BARS units, largest first */
export function cooksBars(m: Extract<ModelTestMsg, { kind: 'influence' }>): { unit: string; cooks: number }[] {
  return m.units.filter((u) => Number.isFinite(u.cooks)).slice(0, INFLUENCE_BARS).map((u) => ({ unit: u.label, cooks: u.cooks }));
}
