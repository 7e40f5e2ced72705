/**
 * The fit-level interface of clubSandwich's cluster-robust inference for lmer fits (vcovCR, coef_test,
 * conf_int, Wald_test): each takes the fit and either a cluster-robust variance computed before
 * (`vcov: fit.vcovCR(...)`) or its type and cluster, as clubSandwich's `vcov = "CR2"` with `cluster`.
 */
import { OptionError } from '../../errors/errors.js';
import type { LmmFit } from '../../lmm/lmmFit.js';
import { type CoefTest, type CoefTestName, type ConfInt, checkCoefTest, coefTest as coefTestOf, confIntOfVcov, selectCoefs } from './coefTest.js';
import { type CrType, type VcovCR, type VcovCROptions, checkRobustFit, fitOfVcov, vcovCR as vcovOf } from './vcovCR.js';
import { type Constraints, type WaldTest, type WaldTestName, checkWaldTests, waldTestCR } from './waldTest.js';

export interface RobustVcovOption {
  /** a cluster-robust variance of this fit (fit.vcovCR(...)), or its type ('CR2' default) */
  vcov?: VcovCR | CrType;
  /** the type instead (either this or `vcov`) */
  type?: CrType;
  /** with a type: the clusters (a grouping factor's name, or one label per row) */
  cluster?: VcovCROptions['cluster'];
}

const KNOWN = ['vcov', 'cluster', 'test', 'level', 'type', 'coefs'];

function checkKeys(options: object, allowed: string[], fn: string): void {
  if (typeof options !== 'object' || options === null) throw new OptionError('options', `${fn}: options must be an object`);
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) throw new OptionError(k, `${fn}: unknown option '${k}' (allowed: ${allowed.join(', ')})`);
  }
}

/** The cluster-robust variance an option names: the one given (checked to be this fit's), or computed. */
function robustVcov(fit: LmmFit, options: RobustVcovOption & { type?: CrType }, fn: string): VcovCR {
  if (options.vcov !== undefined && options.type !== undefined) throw new OptionError('type', `${fn}: give vcov or type, not both`);
  const v = options.vcov ?? options.type;
  if (v !== undefined && typeof v === 'object') {
    if (options.cluster !== undefined) throw new OptionError('cluster', `${fn}: give cluster to vcovCR, not with a vcov computed already (its clusters are '${v.cluster}')`);
    if (fitOfVcov(v) !== fit) throw new OptionError('vcov', `${fn}: vcov is not a cluster-robust variance of this fit (compute it with fit.vcovCR())`);
    return v;
  }
  return vcovOf(fit, { type: v as CrType | undefined, cluster: options.cluster });
}

/** clubSandwich's vcovCR(fit, cluster, type): the cluster-robust variance of β̂. */
export function vcovCR(fit: LmmFit, options: VcovCROptions = {}): VcovCR {
  checkRobustFit(fit);
  for (const k of ['target', 'inverse_var', 'inverseVar', 'form']) {
    if (options && typeof options === 'object' && k in options) {
      throw new OptionError(k, `vcovCR: '${k}' is not supported: the working model's inverse variance is the weight matrix and its variance the target (clubSandwich's default for an lmerMod, inverse_var = TRUE); a target of your own is not offered`);
    }
  }
  checkKeys(options, ['type', 'cluster'], 'vcovCR');
  return vcovOf(fit, options);
}

export interface CoefTestOptions extends RobustVcovOption {
  /** 'Satterthwaite' (default), 'naive-t', 'naive-tp', 'z', 'saddlepoint' */
  test?: CoefTestName;
  /** the coefficients to test (clubSandwich's coefs; default all) */
  coefs?: string[] | 'All';
}

/** clubSandwich's coef_test(fit, vcov, test): each coefficient's t test with a cluster-robust SE. */
export function coefTest(fit: LmmFit, options: CoefTestOptions = {}): CoefTest {
  checkRobustFit(fit);
  checkKeys(options, KNOWN.filter((k) => k !== 'level'), 'coefTest');
  const test = checkCoefTest(options.test);
  const res = coefTestOf(robustVcov(fit, options, 'coefTest'), test);
  return { ...res, rows: selectCoefs(res.rows, options.coefs) };
}

export interface ConfIntOptions extends RobustVcovOption {
  /** the confidence level (default 0.95) */
  level?: number;
  /** the df of the t quantile: 'Satterthwaite' (default), 'naive-t', 'naive-tp', 'z' */
  test?: Exclude<CoefTestName, 'saddlepoint'>;
  /** the coefficients (clubSandwich's coefs; default all) */
  coefs?: string[] | 'All';
}

/** clubSandwich's conf_int(fit, vcov, level, test): β̂ ± SE t quantile, with a cluster-robust SE. */
export function confIntCR(fit: LmmFit, options: ConfIntOptions = {}): ConfInt {
  checkRobustFit(fit);
  checkKeys(options, KNOWN, 'confIntCR');
  const test = checkCoefTest(options.test);
  const res = confIntOfVcov(robustVcov(fit, options, 'confIntCR'), options.level ?? 0.95, test);
  return { ...res, rows: selectCoefs(res.rows, options.coefs) };
}

export interface WaldTestOptions extends RobustVcovOption {
  /** one test or several: 'HTZ' (default), 'HTA', 'HTB', 'chi-sq', 'Naive-F', 'Naive-Fp', 'EDF', 'EDT', or 'All' */
  test?: WaldTestName | WaldTestName[] | 'All';
}

/**
 * clubSandwich's Wald_test(fit, constraints, vcov, test): constraints `{ zero: ['x', 'z'] }`
 * (constrain_zero), `{ equal: ['x', 'z'] }` (constrain_equal) or a q × p matrix.
 */
export function waldTest(fit: LmmFit, constraints: Constraints, options: WaldTestOptions = {}): WaldTest {
  checkRobustFit(fit);
  checkKeys(options, KNOWN.filter((k) => k !== 'level' && k !== 'coefs'), 'waldTest');
  const tests = checkWaldTests(options.test);
  return waldTestCR(robustVcov(fit, options, 'waldTest'), constraints, tests);
}
