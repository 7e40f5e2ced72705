/**
 * The page's side of the Cluster-robust card (clubSandwich's vcovCR, coef_test, conf_int, Wald_test),
 * no DOM and no library math: the choices' names, the request built from the card's fields (a bad
 * field named), and the results as tables of cells with their CSV (the Model tests card's TestTable).
 * The robust variance is computed in the worker (./robustRun.ts), and for a meta-analysis with its fit
 * (./meta.ts).
 */
import { CR_TYPES } from '../../src/inference/robust/vcovCR.js';
import { COEF_TESTS } from '../../src/inference/robust/coefTest.js';
import { WALD_TESTS, type WaldTestName } from '../../src/inference/robust/waldTest.js';
import type { RobustMsg, RobustRequest, RobustSetup } from './protocol.js';
import type { CellFormat, TestColumn, TestTable } from './modelTests.js';

/** the variance types, as the card names them (clubSandwich's vcovCR types) */
export const ROBUST_TYPES: Record<(typeof CR_TYPES)[number], string> = {
  CR0: 'CR0 (no adjustment)',
  CR1: 'CR1 (√(J/(J − 1)))',
  CR1p: 'CR1p (√(J/(J − p)))',
  CR1S: 'CR1S (Stata\'s)',
  CR2: 'CR2 (bias-reduced)',
  CR3: 'CR3 (jackknife)',
};

/** coef_test's tests, as the card names them */
export const ROBUST_TESTS: Record<(typeof COEF_TESTS)[number], string> = {
  Satterthwaite: 'Satterthwaite t',
  'naive-t': 'naive-t (J − 1 df)',
  'naive-tp': 'naive-tp (J − p df)',
  z: 'z (normal)',
  saddlepoint: 'saddlepoint',
};

/** Wald_test's tests */
export const ROBUST_WALD_TESTS = WALD_TESTS;

/** the card's fields, as chosen or typed */
export interface RobustFields {
  type: string;
  /** a grouping factor (column), '' for clubSandwich's default */
  cluster: string;
  test: string;
  level: string;
  /** the Wald test's items ('term:NAME', 'coef:NAME'); none: no Wald test */
  waldItems: string[];
  waldKind: string;
  waldTests: string[];
}

/** a field the card refuses, named */
export class RobustFieldError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'RobustFieldError';
  }
}

/** The request of the card's fields, each checked against the choices offered (setup: a meta-analysis's has no terms). */
export function robustRequest(f: RobustFields, setup: Pick<RobustSetup, 'clusters' | 'terms' | 'coefficients'> | null, clusterRequired = false): RobustRequest {
  if (!(CR_TYPES as readonly string[]).includes(f.type)) throw new RobustFieldError('type', `type: '${f.type}' is not one of ${CR_TYPES.join(', ')}`);
  if (!(COEF_TESTS as readonly string[]).includes(f.test)) throw new RobustFieldError('test', `test: '${f.test}' is not one of ${COEF_TESTS.join(', ')}`);
  const level = Number(f.level.trim());
  if (f.level.trim() === '' || !(level > 0 && level < 1)) throw new RobustFieldError('level', `confidence level must be a number strictly between 0 and 1, such as 0.95; got '${f.level}'`);
  if (f.cluster && setup && setup.clusters.length && !setup.clusters.includes(f.cluster)) {
    throw new RobustFieldError('cluster', `cluster: '${f.cluster}' is not one of the clusters offered (${setup.clusters.join(', ')})`);
  }
  if (clusterRequired && !f.cluster) throw new RobustFieldError('cluster', 'cluster: a univariate meta-analysis needs a cluster column (clubSandwich: "You must specify a clustering variable.")');
  const req: RobustRequest = { type: f.type as RobustRequest['type'], test: f.test as RobustRequest['test'], level };
  if (f.cluster) req.cluster = f.cluster;
  if (f.waldItems.length) {
    if (f.waldKind !== 'zero' && f.waldKind !== 'equal') throw new RobustFieldError('waldKind', `Wald test: '${f.waldKind}' is not 'zero' or 'equal'`);
    for (const item of f.waldItems) {
      const name = item.replace(/^(term|coef):/, '');
      const ok = item.startsWith('term:') ? setup?.terms.some((t) => t.name === name) : item.startsWith('coef:') ? setup?.coefficients.includes(name) : false;
      if (!ok) throw new RobustFieldError('wald', `Wald test: '${name}' is not a term or coefficient of the fit`);
    }
    const bad = f.waldTests.find((t) => !(WALD_TESTS as readonly string[]).includes(t));
    if (bad !== undefined) throw new RobustFieldError('waldTests', `Wald test: '${bad}' is not one of ${WALD_TESTS.join(', ')}`);
    req.wald = { items: [...f.waldItems], kind: f.waldKind, tests: (f.waldTests.length ? f.waldTests : ['HTZ']) as WaldTestName[] };
  }
  return req;
}

const col = (key: string, head: string, csvName: string, format: CellFormat): TestColumn => ({ key, head, csv: csvName, format });

/** coef_test beside the model-based SEs (so the change shows), conf_int, and the Wald test, as tables */
export function robustTables(m: RobustMsg): TestTable[] {
  const prefix = 'robust';
  const ct = m.coefTest;
  const saddle = ct.test === 'saddlepoint';
  const out: TestTable[] = [{
    id: `${prefix}-coef`, title: `Coefficient tests, ${m.type} clustered by ${m.cluster} (${ROBUST_TESTS[ct.test]})`,
    columns: [
      col('coef', 'Coef.', 'coef', 'text'), col('beta', 'Estimate', 'estimate', 'num'), col('model-se', 'model SE', 'model_se', 'num'),
      col('se', 'robust SE', 'robust_se', 'num'), col('ratio', 'SE ratio', 'se_ratio', 'stat'), col('t', 't-stat', 't_stat', 'stat'),
      saddle ? col('s', 's.p.', 'saddlepoint', 'stat') : col('df', 'd.f.', 'df', 'df'), col('p', 'p-value', 'p_value', 'p'),
    ],
    rows: ct.rows.map((r) => ({
      key: r.coef,
      cells: [r.coef, r.beta, r.modelSe, r.se, r.se / r.modelSe, r.t, saddle ? r.saddlepoint ?? null : Number.isFinite(r.df) ? r.df : null, Number.isNaN(r.p) ? null : r.p],
    })),
    caption: `${m.J} clusters of ${m.cluster}, ${m.N} observations. The model-based SE is the fit's own (lme4's vcov, metafor's); SE ratio = robust SE / model SE.${ct.test === 'z' ? ' d.f. empty: the z test (infinite df).' : ''}`,
  }];
  if (m.confInt) {
    const pct = `${+(100 * m.confInt.level).toPrecision(15)}%`;
    out.push({
      id: `${prefix}-ci`, title: `Confidence intervals (${pct}, ${ROBUST_TESTS[m.confInt.test]})`,
      columns: [col('coef', 'Coef.', 'coef', 'text'), col('beta', 'Estimate', 'estimate', 'num'), col('se', 'SE', 'se', 'num'), col('df', 'd.f.', 'df', 'df'),
        col('lower', `Lower ${pct}`, 'lower', 'num'), col('upper', `Upper ${pct}`, 'upper', 'num')],
      rows: m.confInt.rows.map((r) => ({ key: r.coef, cells: [r.coef, r.beta, r.se, Number.isFinite(r.df) ? r.df : null, r.lower, r.upper] })),
      caption: 'clubSandwich\'s conf_int: estimate ± SE × the t quantile at the test\'s df.',
    });
  }
  if (m.wald) {
    out.push({
      id: `${prefix}-wald`, title: `Wald test of ${m.wald.hypothesis}`,
      columns: [col('test', 'test', 'test', 'text'), col('f', 'Fstat', 'Fstat', 'stat'), col('delta', 'δ', 'delta', 'num'), col('dfnum', 'df_num', 'df_num', 'int'),
        col('dfdenom', 'df_denom', 'df_denom', 'df'), col('p', 'p_val', 'p_value', 'p')],
      rows: m.wald.rows.map((r) => ({ key: r.test, cells: [r.test, r.Fstat, r.delta, r.dfNum, Number.isFinite(r.dfDenom) ? r.dfDenom : null, Number.isNaN(r.p) ? null : r.p] })),
      caption: 'clubSandwich\'s Wald_test (HTZ: Pustejovsky and Tipton\'s Hotelling T² approximation); an empty df_denom is infinite (chi-sq), an empty p-value clubSandwich\'s NA (a denominator df that is not positive).',
    });
  }
  return out;
}
