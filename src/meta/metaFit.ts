/**
 * A fitted meta-analysis (metafor's rma.uni or rma.mv object): metafor's printout, a JSON object
 * with metafor's names, and the per-study data a forest or funnel plot needs.
 */
import { qnorm } from '../stats/distributions.js';
import type { Prediction, RmaMvResult, RmaUniResult } from './results.js';
import { formatRmaMv, formatRmaUni } from './summary.js';
import { type MetaRobustDesign, type MetaRobustOptions, type MetaVcovCROptions, metaCoefTest, metaConfInt, metaVcovCR, metaWaldTest, ownVcov } from './robustMeta.js';
import type { VcovCR } from '../inference/robust/vcovCR.js';
import type { CoefTest, CoefTestName, ConfInt } from '../inference/robust/coefTest.js';
import type { Constraints, WaldTest, WaldTestName } from '../inference/robust/waldTest.js';

export interface MetaFitInit {
  result: { kind: 'rma.uni'; value: RmaUniResult } | { kind: 'rma.mv'; value: RmaMvResult };
  /** whether the model has no moderators */
  intOnly: boolean;
  labels: string[];
  yi: Float64Array;
  vi: Float64Array;
  /** input row (0-based) of each study */
  rows: Int32Array;
  /** per-study weights in % (rma.uni: 1/(v + τ²); rma.mv: diag V⁻¹), null where not computed */
  weights: Float64Array | null;
  /** the moderators' right-hand side ('1' without) */
  mods: string;
  /** the nested random-effects levels of a multilevel model */
  random: string | null;
  level: number;
  messages: string[];
  timings: Record<string, number>;
  dataName?: string;
  /** how the variance components were estimated (the mixed-model fit's record, REML/ML) */
  optimizer?: { feval: number; converged: boolean; message: string };
  /** the design and estimates the cluster-robust variance works from (src/meta/robustMeta.ts) */
  robust?: MetaRobustDesign;
}

/** One study as a forest or funnel plot shows it. */
export interface StudyRow {
  label: string;
  /** input row (1-based) */
  row: number;
  yi: number;
  vi: number;
  sei: number;
  /** yi ± z sei at the fit's level */
  ci_lb: number;
  ci_ub: number;
  /** weight in % (null where not computed) */
  weight: number | null;
  /** the model's fitted value x_iᵀβ̂ */
  fitted: number;
}

const named = (names: string[], v: ArrayLike<number>) => Object.fromEntries(names.map((n, j) => [n, finite(v[j])]));
const finite = (x: number) => (Number.isFinite(x) ? x : null);
const list = (v: ArrayLike<number>) => Array.from(v, finite);

export class MetaFit {
  readonly kind: 'rma.uni' | 'rma.mv';
  readonly uni: RmaUniResult | null;
  readonly mv: RmaMvResult | null;
  readonly intOnly: boolean;
  readonly labels: string[];
  readonly yi: Float64Array;
  readonly vi: Float64Array;
  readonly rows: Int32Array;
  readonly weights: Float64Array | null;
  readonly mods: string;
  readonly random: string | null;
  readonly level: number;
  readonly messages: string[];
  readonly timings: Record<string, number>;
  readonly dataName?: string;
  readonly optimizer?: { feval: number; converged: boolean; message: string };

  constructor(init: MetaFitInit) {
    this.kind = init.result.kind;
    this.uni = init.result.kind === 'rma.uni' ? init.result.value : null;
    this.mv = init.result.kind === 'rma.mv' ? init.result.value : null;
    this.intOnly = init.intOnly;
    this.labels = init.labels;
    this.yi = init.yi;
    this.vi = init.vi;
    this.rows = init.rows;
    this.weights = init.weights;
    this.mods = init.mods;
    this.random = init.random;
    this.level = init.level;
    this.messages = init.messages;
    this.timings = init.timings;
    this.dataName = init.dataName;
    this.optimizer = init.optimizer;
    // not enumerable: kept out of copies and printouts
    Object.defineProperty(this, 'robustDesign', { value: init.robust ?? null });
  }

  private declare readonly robustDesign: MetaRobustDesign | null;

  private robustData(): MetaRobustDesign {
    if (!this.robustDesign) throw new Error('internal: this meta-analysis has no design kept for the cluster-robust variance');
    return this.robustDesign;
  }

  /**
   * clubSandwich's vcovCR of this rma.uni or rma.mv fit (robust variance estimation): type 'CR2' (default),
   * 'CR0', 'CR1', 'CR1p', 'CR1S', 'CR3'; cluster a column of the data or one label per study (rma.uni needs
   * it; rma.mv: default the outermost level)
   */
  vcovCR(options: MetaVcovCROptions = {}): VcovCR {
    return ownVcov(metaVcovCR(this.robustData(), options), this);
  }

  /** clubSandwich's coef_test of this meta-analysis: Satterthwaite (default), naive-t, naive-tp, z, saddlepoint */
  coefTest(options: MetaRobustOptions & { test?: CoefTestName } = {}): CoefTest {
    return metaCoefTest(this, this.robustData(), options);
  }

  /** clubSandwich's conf_int of this meta-analysis */
  confIntCR(options: MetaRobustOptions & { test?: CoefTestName; level?: number } = {}): ConfInt {
    return metaConfInt(this, this.robustData(), options);
  }

  /** clubSandwich's Wald_test of this meta-analysis: HTZ (default) and the others */
  waldTest(constraints: Constraints, options: MetaRobustOptions & { test?: WaldTestName | WaldTestName[] | 'All' } = {}): WaldTest {
    return metaWaldTest(this, this.robustData(), constraints, options);
  }

  private get r(): RmaUniResult | RmaMvResult {
    return (this.uni ?? this.mv)!;
  }

  get k(): number { return this.r.k; }
  get method(): string { return this.r.method; }
  get coef() { return this.r.coef; }
  /** τ² of a univariate model (null for a multilevel one) */
  get tau2(): number | null { return this.uni ? this.uni.tau2 : null; }
  /** σ² per level of a multilevel model, outermost first (null for a univariate one) */
  get sigma2(): number[] | null { return this.mv ? this.mv.sigma2 : null; }
  /** metafor's logLik: the restricted log-likelihood for REML (with ½ log|X'X|), else the ML one */
  get logLik(): number { return this.method === 'REML' ? this.r.fitStats.REML.ll : this.r.fitStats.ML.ll; }

  /**
   * metafor's predict(): without moderators the pooled estimate (one entry) with its CI and the
   * prediction interval (τ² or Σσ² added); with moderators each study's fitted value. With
   * studies(), what a forest plot (per-study CIs, weights, the pooled diamond and its PI) and a
   * funnel plot (yi against sei around the pooled estimate) draw.
   */
  get predict(): Prediction { return this.r.predict; }

  /** metafor's printout */
  summary(): string {
    const lines = this.uni ? formatRmaUni(this.uni, this.intOnly) : formatRmaMv(this.mv!, this.intOnly);
    const notes = this.messages.map((m) => `Note: ${m}`);
    return [...lines, ...notes].join('\n');
  }

  /** the studies as a forest plot shows them (CIs yi ± z √vi at the fit's level) */
  studies(): StudyRow[] {
    const z = qnorm(1 - (1 - this.level / 100) / 2);
    return this.labels.map((label, i) => {
      const sei = Math.sqrt(this.vi[i]);
      return {
        label, row: this.rows[i] + 1, yi: this.yi[i], vi: this.vi[i], sei,
        ci_lb: this.yi[i] - z * sei, ci_ub: this.yi[i] + z * sei,
        weight: this.weights ? this.weights[i] : null, fitted: this.r.fitted[i],
      };
    });
  }

  /** the JSON object of `mixedgpu meta --json` (metafor's names) */
  toJSON(): Record<string, unknown> {
    const r = this.r;
    const c = r.coef;
    const statName = r.test === 'z' ? 'zval' : 'tval';
    const pr = r.predict;
    const fs = (col: 'ML' | 'REML') => Object.fromEntries(Object.entries(r.fitStats[col]).map(([k, v]) => [k, finite(v)]));
    const out: Record<string, unknown> = {
      model: this.kind, method: r.method, test: r.test, k: r.k, p: r.p, level: this.level,
      mods: this.mods, ...(this.random ? { random: this.random } : {}),
    };
    if (this.uni) {
      Object.assign(out, { tau2: this.uni.tau2, se_tau2: finite(this.uni.seTau2), tau: Math.sqrt(this.uni.tau2) });
    } else {
      Object.assign(out, { sigma2: this.mv!.sigma2, sigma2_names: this.mv!.sigma2Names, sigma2_nlevels: this.mv!.sigma2Levels });
    }
    Object.assign(out, {
      beta: named(c.names, c.beta), se: named(c.names, c.se), [statName]: named(c.names, c.stat), pval: named(c.names, c.pval),
      ci_lb: named(c.names, c.ciLb), ci_ub: named(c.names, c.ciUb),
      vb: c.names.map((_, a) => c.names.map((__, b) => c.vb[a * c.names.length + b])),
      ...(r.ddf !== null ? { ddf: r.ddf } : {}),
      ...(this.uni && this.uni.test === 'knha' ? { s2w: this.uni.s2w } : {}),
      pi_lb: this.intOnly ? finite(pr.piLb[0]) : list(pr.piLb), pi_ub: this.intOnly ? finite(pr.piUb[0]) : list(pr.piUb),
      pred: this.intOnly ? pr.pred[0] : list(pr.pred), pred_se: this.intOnly ? pr.se[0] : list(pr.se),
    });
    if (this.uni) Object.assign(out, { I2: finite(this.uni.I2), H2: finite(this.uni.H2), R2: this.uni.R2 === null ? null : finite(this.uni.R2) });
    Object.assign(out, {
      QE: r.het.QE, QEdf: r.het.QEdf, QEp: r.het.QEp,
      QM: finite(r.moderators.QM), QMdf: r.moderators.QMdf, QMp: finite(r.moderators.QMp), btt: r.moderators.btt.map((b) => b + 1),
      loglik: this.logLik, deviance: finite((this.method === 'REML' ? r.fitStats.REML : r.fitStats.ML).dev),
      AIC: (this.method === 'REML' ? r.fitStats.REML : r.fitStats.ML).AIC, BIC: (this.method === 'REML' ? r.fitStats.REML : r.fitStats.ML).BIC,
      AICc: (this.method === 'REML' ? r.fitStats.REML : r.fitStats.ML).AICc,
      fit_stats: { ML: fs('ML'), REML: fs('REML') },
      loglik_note: "metafor's log-likelihoods; the restricted one includes ½ log|X'X|, which lme4's REML criterion omits",
      parms: r.parms,
      studies: this.studies().map((s) => ({ ...s, yi: finite(s.yi), weight: s.weight === null ? null : finite(s.weight) })),
      ...(this.uni ? { blup: { pred: list(this.uni.blup.pred), se: list(this.uni.blup.se) } } : {}),
      ...(this.optimizer ? { optimizer: this.optimizer } : {}),
      messages: this.messages,
      timings: this.timings,
    });
    return out;
  }
}
