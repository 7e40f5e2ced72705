/**
 * robumeta's robu(): meta-analysis with robust variance estimation for dependent effect sizes
 * (Hedges, Tipton & Johnson 2010; Tipton 2015's small-sample corrections), as robumeta 2.0 computes it.
 * Pipeline: table → robuData (y, X, v, studies) → the first-step weights at τ² = ω² = 0 (robuWeights.ts)
 * → the moment estimators τ̂² (CORR, with ρ) or τ̂², ω̂² (HIER) (robuMoments.ts) → the working weights at
 * them, or the user's → β̂ and the robust variance with or without the small-sample adjustment, the dfs,
 * t tests and intervals (robuVariance.ts) → RobuFit, with robumeta's printouts (robuPrint.ts) and
 * sensitivity() over ρ = 0, 0.2, …, 1.
 */
import type * as arrow from 'apache-arrow';
import { ModelError, OptionError } from '../errors/errors.js';
import { type RobuData, type RobuDataOptions, robuData } from './robuData.js';
import { corrMoments, hierMoments } from './robuMoments.js';
import { type RobuCoefficients, robuCoefficients } from './robuVariance.js';
import { corrWeights, hierWeights, studyMeanVariance } from './robuWeights.js';
import { type RobuSensitivityRow, formatRobu, formatRobuSensitivity, makeNames, robuSig } from './robuPrint.js';

export const ROBU_MODELWEIGHTS = ['CORR', 'HIER'] as const;
export type RobuModelWeights = (typeof ROBU_MODELWEIGHTS)[number];

export interface RobuOptions extends RobuDataOptions {
  /** the working model: 'CORR' (correlated effects, default) or 'HIER' (hierarchical effects) */
  modelweights?: RobuModelWeights;
  /** CORR's assumed correlation of a study's effect sizes, in [0, 1] (default 0.8) */
  rho?: number;
  /** Tipton's small-sample corrections (default true; robu's small) */
  smallSample?: boolean;
}

const KNOWN = ['formula', 'studynum', 'var', 'userweights', 'factors', 'modelweights', 'rho', 'smallSample'];

/** Checks robu's options before the data are read. */
export function checkRobuOptions(o: RobuOptions): { modelweights: RobuModelWeights; rho: number; small: boolean } {
  if (typeof o !== 'object' || o === null) throw new OptionError('options', 'robu: options must be an object');
  for (const k of Object.keys(o)) if (!KNOWN.includes(k)) throw new OptionError(k, `robu: unknown option '${k}' (allowed: ${KNOWN.join(', ')})`);
  const modelweights = (o.modelweights ?? 'CORR') as RobuModelWeights;
  if (!(ROBU_MODELWEIGHTS as readonly string[]).includes(modelweights)) throw new OptionError('modelweights', `robu: modelweights must be 'CORR' or 'HIER' (got ${JSON.stringify(o.modelweights)})`);
  const rho = o.rho ?? 0.8;
  if (typeof rho !== 'number' || !(rho >= 0 && rho <= 1)) throw new OptionError('rho', `robu: rho must be a number between 0 and 1 (got ${JSON.stringify(o.rho)})`);
  const small = o.smallSample ?? true;
  if (typeof small !== 'boolean') throw new OptionError('smallSample', `robu: smallSample must be true or false (got ${JSON.stringify(o.smallSample)})`);
  return { modelweights, rho, small };
}

/** A robu() fit: robumeta's reg_table and mod_info. */
export class RobuFit {
  readonly modelweights: RobuModelWeights;
  readonly rho: number;
  readonly small: boolean;
  /** user weights (robumeta's user_weighting) */
  readonly user: boolean;
  readonly formula: string;
  /** number of studies N, of effect sizes M, of coefficients P */
  readonly N: number;
  readonly M: number;
  readonly P: number;
  /** effect sizes per study, studies in the order of `studies` */
  readonly k: number[];
  readonly studies: string[];
  /** coefficient names (R's model.matrix) and robumeta's labels (make.names of them) */
  readonly names: string[];
  readonly labels: string[];
  readonly beta: Float64Array;
  /** the robust variance (robu's VR.r), P × P row-major */
  readonly vcov: Float64Array;
  readonly SE: Float64Array;
  readonly t: Float64Array;
  readonly dfs: Float64Array;
  readonly prob: Float64Array;
  readonly ciL: Float64Array;
  readonly ciU: Float64Array;
  /** τ̂² (CORR, HIER), ω̂² (HIER), I² in % (CORR); null where robumeta has none (user weights) */
  readonly tau2: number | null;
  readonly omega2: number | null;
  readonly I2: number | null;
  /** CORR: τ² = term1 + ρ term2 before the truncation at 0 (robumeta's mod_info) */
  readonly term1: number | null;
  readonly term2: number | null;
  /** rows dropped for missing values (na.omit) and notes */
  readonly nDropped: number;
  readonly messages: string[];
  /** the data, for sensitivity() */
  private readonly data: RobuData;

  constructor(init: {
    modelweights: RobuModelWeights; rho: number; small: boolean; user: boolean; formula: string; data: RobuData;
    coef: RobuCoefficients; tau2: number | null; omega2: number | null; I2: number | null; term1: number | null; term2: number | null;
  }) {
    const d = init.data;
    this.modelweights = init.modelweights;
    this.rho = init.rho;
    this.small = init.small;
    this.user = init.user;
    this.formula = init.formula;
    this.data = d;
    this.N = d.clusters.length;
    this.M = d.M;
    this.P = d.P;
    this.k = d.clusters.map((c) => c.length);
    this.studies = d.studies;
    this.names = d.xnames;
    this.labels = makeNames(d.xnames);
    this.beta = init.coef.beta;
    this.vcov = init.coef.VR;
    this.SE = init.coef.SE;
    this.t = init.coef.t;
    this.dfs = init.coef.dfs;
    this.prob = init.coef.prob;
    this.ciL = init.coef.ciL;
    this.ciU = init.coef.ciU;
    this.tau2 = init.tau2;
    this.omega2 = init.omega2;
    this.I2 = init.I2;
    this.term1 = init.term1;
    this.term2 = init.term2;
    this.nDropped = d.nDropped;
    this.messages = d.nDropped > 0 ? [`${d.nDropped} of ${d.nInput} rows dropped for missing values (na.omit)`] : [];
  }

  /** robumeta's Sig column */
  get sig(): string[] {
    return Array.from(this.prob, robuSig);
  }

  /** print(robu(...)) as robumeta writes it */
  summary(): string {
    return formatRobu({ ...this, k: this.k, labels: this.labels, beta: this.beta, SE: this.SE, t: this.t, dfs: this.dfs, prob: this.prob, ciL: this.ciL, ciU: this.ciU });
  }

  /**
   * robumeta's sensitivity(fit): β̂, SEs and τ̂² = max(0, term1 + ρ term2) at ρ = 0, 0.2, …, 1 (CORR fits
   * only, as robumeta), and its printout.
   */
  sensitivity(): { rows: RobuSensitivityRow[]; text: string } {
    if (this.user) throw new ModelError('robu sensitivity: sensitivity analysis is not available for user specified weights (robumeta)');
    if (this.modelweights !== 'CORR') throw new ModelError('robu sensitivity: sensitivity analysis is not available for hierarchical effects (modelweights HIER); it varies rho of the correlated effects model');
    const d = this.data;
    const rows: RobuSensitivityRow[] = [];
    for (let i = 0; i <= 5; i++) {
      const rho = i * 0.2; // R's seq(0, 1, 0.2): from + i·by
      const t1 = this.term1! + rho * this.term2!;
      const tau2 = t1 < 0 ? 0 : t1;
      const c = robuCoefficients({ X: d.X, y: d.y, M: d.M, P: d.P, clusters: d.clusters, w: corrWeights(d.v, d.clusters, tau2), kind: 'CORR', small: this.small, threshold: false });
      rows.push({ rho, beta: c.beta, SE: c.SE, tau2 });
    }
    return { rows, text: formatRobuSensitivity(this, rows) };
  }

  /** the fit as one object: robumeta's reg_table columns and mod_info */
  toJSON(): Record<string, unknown> {
    const arr = (x: Float64Array) => Array.from(x);
    return {
      model: this.user ? 'USER' : this.modelweights, rho: this.rho, small: this.small, formula: this.formula,
      N: this.N, M: this.M, k: this.k, studies: this.studies,
      labels: this.names, b: arr(this.beta), SE: arr(this.SE), t: arr(this.t), dfs: arr(this.dfs), prob: arr(this.prob),
      CI_L: arr(this.ciL), CI_U: arr(this.ciU), sig: this.sig, vcov: arr(this.vcov),
      tau_sq: this.tau2, omega_sq: this.omega2, I2: this.I2, nDropped: this.nDropped,
    };
  }
}

/** robumeta's robu(formula, data, studynum, var.eff.size, userweights, modelweights, rho, small). */
export function robu(table: arrow.Table, options: RobuOptions): RobuFit {
  const { modelweights, rho, small } = checkRobuOptions(options);
  const d = robuData(table, options);
  const { X, y, M, P, v, clusters } = d;
  const user = d.userweights !== null;
  let tau2: number | null = null, omega2: number | null = null, I2: number | null = null, term1: number | null = null, term2: number | null = null;
  let w: Float64Array;
  if (user) {
    w = d.userweights!;
  } else if (modelweights === 'CORR') {
    const m = corrMoments(X, y, corrWeights(v, clusters), clusters, M, P, rho);
    ({ tau2, I2, term1, term2 } = m);
    w = corrWeights(v, clusters, m.tau2);
  } else {
    const m = hierMoments(X, y, v, clusters, M, P);
    ({ tau2, omega2 } = m);
    w = hierWeights(v, m.tau2, m.omega2);
  }
  const coef = robuCoefficients({
    X, y, M, P, clusters, w, kind: user ? 'USER' : modelweights, small,
    vbar: user ? studyMeanVariance(v, clusters) : undefined, threshold: true,
  });
  return new RobuFit({ modelweights, rho, small, user, formula: options.formula, data: d, coef, tau2, omega2, I2, term1, term2 });
}
