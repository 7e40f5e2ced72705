/**
 * An nlmer fit (lme4's nlmerMod) and its methods: fixef, ranef, VarCorr, sigma, logLik, AIC/BIC,
 * deviance, vcov, fitted, residuals, predict (new data, population or with the groups' effects),
 * the summary printout (summary.ts) and JSON.
 *  - the state is lme4's after its final evaluation at the optimum: u = the installed conditional
 *    modes, fitted = f(φ(u, β̂)), residuals y − fitted; ranef b = Λ(θ̂)(u + δu) with the last
 *    (converged, not installed) Gauss–Newton step, as lme4's ranef (pp$b(1));
 *  - σ̂² = (‖y − f‖² + ‖u‖²) / n (mkMerMod's sigmaML for nlmer);
 *  - logLik = −deviance/2 with df = length(θ) + p + 1; AIC = deviance + 2 df, BIC = deviance + log(n) df.
 */
import type * as arrow from 'apache-arrow';
import { DataError, OptionError, showValue } from '../errors/errors.js';
import { columnFromArrow, interactFactors, type FactorColumn } from '../frame/columns.js';
import { type DataInput, toArrowTable } from '../io/dataInput.js';
import type { RanefGroup, VarCorrRow } from '../results/components.js';
import type { NlmerEstimate } from './fit.js';
import type { NlmerModel } from './model.js';
import { evalModel, termEffects } from './pnls.js';
import { groupingFactor, termTemplate } from './model.js';
import { printNlmerSummary } from './summary.js';

export interface NlmerPredictOptions {
  /** 'population': β only (lme4's re.form = NA); 'conditional' (default): with the groups' effects */
  level?: 'population' | 'conditional';
  /** a level of a grouping factor not in the fit gets the population value (lme4's allow.new.levels) */
  allowNewLevels?: boolean;
}

export class NlmerFit {
  readonly class = 'nlmerMod';
  /** θ̂, β̂ and the optimizer's record */
  readonly theta: Float64Array;
  readonly beta: Float64Array;
  /** the conditional modes u (lme4's getME(, "u"): the installed u₀) and the random effects b = Λ(u₀ + δu) (lme4's ranef) */
  readonly u: Float64Array;
  readonly b: Float64Array;
  readonly devianceValue: number;
  readonly sigma: number;
  readonly vcov: Float64Array;
  readonly vcovSource: 'hessian' | 'RX';
  readonly fittedValues: Float64Array;
  readonly messages: string[];
  readonly dataName: string;

  constructor(readonly model: NlmerModel, readonly estimate: NlmerEstimate, dataName = 'data') {
    this.theta = estimate.theta;
    this.beta = estimate.beta;
    this.u = Float64Array.from(estimate.state.u);
    // lme4's ranef is pp$b(1) = Λ(u₀ + δu), with the last (converged, not installed) PNLS step
    const u1 = Float64Array.from(this.u, (v, j) => v + estimate.state.delu[j]);
    this.b = new Float64Array(model.q);
    for (const t of model.terms) this.b.set(termEffects(t, this.theta, u1), t.uOffset);
    this.devianceValue = estimate.deviance;
    this.sigma = estimate.sigma;
    this.vcov = estimate.vcov;
    this.vcovSource = estimate.vcovSource;
    this.fittedValues = Float64Array.from(estimate.state.mu);
    this.messages = estimate.messages;
    this.dataName = dataName;
  }

  get formula(): string { return this.model.formula.text; }
  get nobs(): number { return this.model.n; }
  /** number of parameters: θ, β and σ */
  get df(): number { return this.model.nTheta + this.model.fixed.length + 1; }

  /** lme4's fixef: β̂ by name */
  fixef(): Record<string, number> {
    return Object.fromEntries(this.model.fixed.map((nm, c) => [nm, this.beta[c]]));
  }

  /** lme4's ranef: per grouping factor, the conditional modes b by level and parameter */
  ranef(): RanefGroup[] {
    return this.model.terms.map((t) => {
      const values: Record<string, number[]> = {};
      t.names.forEach((nm, j) => { values[nm] = t.levels.map((_, l) => this.b[t.uOffset + l * t.k + j]); });
      return { group: t.group, levels: t.levels, values, condsd: {} };
    });
  }

  /** lme4's as.data.frame(VarCorr(fit)): variances, covariances, SDs and correlations, then the residual */
  varCorr(): VarCorrRow[] {
    const rows: VarCorrRow[] = [];
    const s2 = this.sigma * this.sigma;
    for (const t of this.model.terms) {
      const T = termTemplate(t, this.theta);
      const k = t.k;
      // Σ = σ² T Tᵀ
      const S = new Float64Array(k * k);
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
        let s = 0;
        for (let m = 0; m <= Math.min(i, j); m++) s += T[i * k + m] * T[j * k + m];
        S[i * k + j] = s2 * s;
      }
      for (let i = 0; i < k; i++) rows.push({ group: t.group, var1: t.names[i], var2: null, vcov: S[i * k + i], sdcor: Math.sqrt(S[i * k + i]) });
      for (let j = 0; j < k; j++) for (let i = j + 1; i < k; i++) {
        rows.push({ group: t.group, var1: t.names[j], var2: t.names[i], vcov: S[i * k + j], sdcor: S[i * k + j] / Math.sqrt(S[i * k + i] * S[j * k + j]) });
      }
    }
    rows.push({ group: 'Residual', var1: null, var2: null, vcov: s2, sdcor: this.sigma });
    return rows;
  }

  deviance(): number { return this.devianceValue; }
  logLik(): number { return -this.devianceValue / 2; }
  AIC(): number { return this.devianceValue + 2 * this.df; }
  BIC(): number { return this.devianceValue + Math.log(this.nobs) * this.df; }
  dfResidual(): number { return this.nobs - this.df; }

  /** Var(β̂) as rows */
  vcovMatrix(): number[][] {
    const p = this.beta.length;
    return Array.from({ length: p }, (_, i) => Array.from(this.vcov.subarray(i * p, (i + 1) * p)));
  }

  /** standard errors of β̂ */
  se(): number[] { return Array.from(this.beta, (_, c) => Math.sqrt(this.vcov[c * this.beta.length + c])); }

  fitted(): Float64Array { return Float64Array.from(this.fittedValues); }

  /** y − fitted ('response', lme4's default), or that divided by σ̂ ('scaled', the summary's) */
  residuals(type: 'response' | 'scaled' = 'response'): Float64Array {
    if (type !== 'response' && type !== 'scaled') throw new OptionError('type', `nlmer residuals: type ${showValue(type)} is not offered: 'response' or 'scaled'`);
    const div = type === 'scaled' ? this.sigma : 1;
    return Float64Array.from(this.model.y, (y, i) => (y - this.fittedValues[i]) / div);
  }

  /**
   * The model's value at new rows: φ = β̂ (+ b̂ of each row's levels for 'conditional'). A level not in
   * the fit is an error naming it unless allowNewLevels (then its effect is 0, the population's).
   * A row with a missing covariate or grouping value gives NaN.
   */
  predict(newdata: DataInput, options: NlmerPredictOptions = {}): Float64Array {
    const level = options.level ?? 'conditional';
    if (level !== 'population' && level !== 'conditional') throw new OptionError('level', `nlmer predict: level ${showValue(level)} is not offered: 'population' or 'conditional'`);
    const table: arrow.Table = toArrowTable(newdata, 'newdata');
    const m = this.model;
    const n = table.numRows;
    const covs = m.formula.covariates.map((c) => {
      const col = columnFromArrow(table, c);
      if (col.kind !== 'numeric') throw new DataError(`newdata: the covariate '${c}' must be numeric`, { column: c });
      return col.values;
    });
    const P = m.params.length;
    const phi = new Float64Array(n * P);
    for (let i = 0; i < n; i++) for (let c = 0; c < m.fixed.length; c++) phi[i * P + m.fixedParam[c]] += this.beta[c];
    const missing = new Uint8Array(n);
    for (let i = 0; i < n; i++) if (covs.some((v) => Number.isNaN(v[i]))) missing[i] = 1;
    if (level === 'conditional') {
      for (const t of m.terms) {
        const term = m.formula.random.find((r) => r.groupLabel === t.group)!;
        const f: FactorColumn = interactFactors(term.group.map((g) => groupingFactor(table, g)));
        const map = f.levels.map((lv) => t.levels.indexOf(lv));
        for (let i = 0; i < n; i++) {
          const code = f.codes[i];
          if (code < 0) { missing[i] = 1; continue; }
          const l = map[code];
          if (l < 0) {
            if (options.allowNewLevels) continue;
            throw new DataError(`newdata: level '${f.levels[code]}' of grouping factor '${t.group}' is not in the fit (allowNewLevels gives it the population value)`, { column: t.group, row: i + 1 });
          }
          for (let j = 0; j < t.k; j++) phi[i * P + t.params[j]] += this.b[t.uOffset + l * t.k + j];
        }
      }
    }
    const keep = Array.from({ length: n }, (_, i) => i).filter((i) => !missing[i]);
    const sub = evalModel(m, Float64Array.from(keep.flatMap((i) => Array.from(phi.subarray(i * P, (i + 1) * P)))), covs.map((v) => Float64Array.from(keep, (i) => v[i])), null);
    const out = new Float64Array(n).fill(NaN);
    keep.forEach((i, k) => { out[i] = sub.mu[k]; });
    return out;
  }

  /** lme4's print(summary(fit)) */
  summary(): string { return printNlmerSummary(this).join('\n'); }

  toJSON(): Record<string, unknown> {
    return {
      class: this.class,
      formula: this.formula,
      nobs: this.nobs,
      model: this.model.formula.model.name,
      fixef: this.fixef(),
      se: Object.fromEntries(this.model.fixed.map((nm, c) => [nm, this.se()[c]])),
      vcov: this.vcovMatrix(),
      vcov_source: this.vcovSource,
      theta: Array.from(this.theta),
      sigma: this.sigma,
      deviance: this.devianceValue,
      logLik: this.logLik(),
      AIC: this.AIC(),
      BIC: this.BIC(),
      df_resid: this.dfResidual(),
      varcorr: this.varCorr(),
      ranef: this.ranef().map(({ group, levels, values }) => ({ group, levels, values })),
      optimizer: this.estimate.optimizer,
      nAGQ: this.estimate.nAGQ,
      feval: (this.estimate.stage1.feval) + (this.estimate.stage2?.feval ?? 0),
      messages: this.messages,
    };
  }
}
