/**
 * A fitted GEE (geepack's geeglm object): the estimates β̂, φ̂, α̂, their variances for the chosen
 * std.err, and geepack's methods — summary (print(summary(geeglm))), anova (anova.geeglm: Wald tests
 * of terms added sequentially, or of two nested fits), predict, fitted and QIC (QIC.geeglm).
 */
import type * as arrow from 'apache-arrow';
import { OptionError } from '../errors/errors.js';
import { type DataInput, toArrowTable } from '../io/dataInput.js';
import { newDataDesign } from '../results/predict.js';
import { printCoefmat } from '../results/lme4Print.js';
import { formatR, printMatrix, printNamedVector } from '../results/rFormat.js';
import { pchisqUpper } from '../stats/distributions.js';
import { termColumns } from '../inference/termColumns.js';
import { type Mat, inverse } from './dense.js';
import type { GeeFrame } from './frame.js';
import type { GeeOptions } from './gee.js';
import { type GeeParams, type GeeProblem, geeEstimate, startValues } from './estimate.js';
import { type GeeVariances, sandwichVariances } from './sandwich.js';
import type { JackVariances } from './jackknife.js';
import { workingCorrelation } from './workingCorrelation.js';
import { type WaldRow, nestedHeading, nestedWald, printWaldTable, sequentialHeading, sequentialWald } from './wald.js';

export type StdErr = 'san.se' | 'jack' | 'j1s' | 'fij';

export interface GeeFitInit {
  formula: string;
  gf: GeeFrame;
  problem: GeeProblem;
  par: GeeParams;
  variances: GeeVariances;
  jack: JackVariances | null;
  stdErr: StdErr;
  iterations: number;
  converged: boolean;
  options: GeeOptions & Required<Pick<GeeOptions, 'family' | 'corstr' | 'epsilon' | 'maxit'>>;
  dataName: string;
  messages: string[];
  ms: number;
}

export interface GeeCoefRow { name: string; estimate: number; stdErr: number; wald: number; p: number }

export class GeeFit {
  readonly formula: string;
  readonly family: string;
  readonly link: string;
  readonly corstr: string;
  readonly stdErrType: StdErr;
  /** β̂, with its names */
  readonly coefficients: number[];
  readonly xnames: string[];
  /** φ̂ (geepack's gamma, the scale model's intercept) */
  readonly scale: number;
  /** α̂ and its names (alpha; alpha.1:2, … for unstructured) */
  readonly alpha: number[];
  readonly alphaNames: string[];
  readonly variances: GeeVariances;
  readonly jack: JackVariances | null;
  readonly nobs: number;
  /** rows of the data dropped for a missing value (na.omit) */
  readonly nDropped: number;
  readonly clusterSizes: number[];
  readonly iterations: number;
  readonly converged: boolean;
  readonly messages: string[];
  readonly ms: number;
  readonly options: GeeFitInit['options'];
  readonly dataName: string;
  /** internal: the rows and the problem (for anova's refits and QIC) */
  readonly gf: GeeFrame;
  readonly problem: GeeProblem;

  constructor(init: GeeFitInit) {
    this.formula = init.formula;
    this.family = init.problem.mean.family;
    this.link = init.problem.mean.link;
    this.corstr = init.problem.cor.corstr;
    this.stdErrType = init.stdErr;
    this.coefficients = init.par.beta;
    this.xnames = init.gf.xnames;
    this.scale = init.par.phi;
    this.alpha = init.par.alpha;
    this.alphaNames = init.problem.cor.names;
    this.variances = init.variances;
    this.jack = init.jack;
    this.nobs = init.gf.n;
    this.nDropped = init.gf.frame.nDropped;
    this.clusterSizes = Array.from(init.gf.size);
    this.iterations = init.iterations;
    this.converged = init.converged;
    this.messages = init.messages;
    this.ms = init.ms;
    this.options = init.options;
    this.dataName = init.dataName;
    this.gf = init.gf;
    this.problem = init.problem;
  }

  /** Var(β̂) of the fit's std.err (summary's cov.scaled) */
  vcov(): Mat { return this.jack ? this.jack.vbeta : this.variances.vbeta; }
  /** the sandwich Var(β̂) (geese$vbeta) */
  vcovSandwich(): Mat { return this.variances.vbeta; }
  /** the model-based (naive) Var(β̂) = (Σ Dᵀ V⁻¹ D)⁻¹ (geese$vbeta.naiv) */
  vcovNaive(): Mat { return this.variances.vbetaNaive; }
  /** Var(φ̂) and Var(α̂) of the fit's std.err */
  vcovScale(): Mat { return this.jack ? this.jack.vphi : this.variances.vphi; }
  vcovAlpha(): Mat { return this.jack ? this.jack.valpha : this.variances.valpha; }

  /** summary's coefficient table: Estimate, Std.err, Wald = (β̂/se)², Pr(>|W|) = P(χ²₁ > W) */
  coefTable(): GeeCoefRow[] {
    const V = this.vcov();
    return this.coefficients.map((b, j) => {
      const se = Math.sqrt(V[j][j]);
      const wald = (b / se) ** 2;
      // geepack's 1 − pchisq(W, 1): the upper tail rounded through the lower one, as R computes it
      return { name: this.xnames[j], estimate: b, stdErr: se, wald, p: 1 - (1 - pchisqUpper(wald, 1)) };
    });
  }

  /** the linear predictor and the mean of each row used (in the data's row order) */
  fitted(type: 'link' | 'response' = 'response'): Float64Array {
    const { gf } = this;
    const order = Array.from(gf.inputRow.keys()).sort((a, b) => gf.inputRow[a] - gf.inputRow[b]);
    return Float64Array.from(order, (k) => {
      let eta = gf.offset[k];
      for (let j = 0; j < gf.p; j++) eta += gf.X[k][j] * this.coefficients[j];
      return type === 'link' ? eta : this.problem.mean.linkinv(eta);
    });
  }

  /** predict(fit, newdata, type): Xβ̂ (+ offset) or g⁻¹ of it, for new rows (NaN where a variable is missing) */
  predict(newdata?: DataInput, options: { type?: 'link' | 'response' } = {}): Float64Array {
    const type = options.type ?? 'link';
    if (type !== 'link' && type !== 'response') throw new OptionError('type', `gee predict: type must be 'link' or 'response', got ${JSON.stringify(type)}`);
    if (newdata === undefined) return this.fitted(type);
    const table: arrow.Table = toArrowTable(newdata, 'newdata');
    const { frame } = this.gf;
    const d = newDataDesign({ model: { formula: frame.formula, frame, blocks: [], frameOptions: { factors: this.options.factors } } as never }, table, { groups: false });
    return Float64Array.from({ length: d.n }, (_, i) => {
      if (d.missing[i]) return NaN;
      let eta = d.offset ? d.offset[i] : 0;
      for (let j = 0; j < frame.p; j++) eta += d.X[j * d.n + i] * this.coefficients[j];
      return type === 'link' ? eta : this.problem.mean.linkinv(eta);
    });
  }

  /**
   * anova(fit): geepack's anova.geeglm — the terms added sequentially, each tested by the Wald statistic
   * of its coefficients in the fit of the terms up to it (refitted with geese.fit's defaults: waves
   * 1, …, n_i, φ estimated, the sandwich variance); anova(fit, other): the Wald test of the larger fit's
   * coefficients outside the smaller's span (anovageePrim2), with the larger fit's std.err.
   */
  anova(other?: GeeFit): WaldRow[] {
    if (other === undefined) return sequentialWald(this, termColumns(this.gf.frame), this.gf.frame.formula.fixed.terms.map((t) => t.label));
    if (!(other instanceof GeeFit)) throw new OptionError('other', 'gee anova: the second model must be a gee fit');
    return [nestedWald(this, other).row];
  }

  /** print(anova(fit)) or print(anova(fit, other)) as R prints geepack's tables */
  anovaPrintout(other?: GeeFit): string {
    if (other === undefined) {
      return printWaldTable(this.anova(), sequentialHeading(this.family, this.link, this.gf.frame.yname)).join('\n');
    }
    if (!(other instanceof GeeFit)) throw new OptionError('other', 'gee anova: the second model must be a gee fit');
    const t = nestedWald(this, other);
    const text = (f: GeeFit) => f.formula.replace(/\s+/g, ' ').replace(/\s*~\s*/, ' ~ ');
    return printWaldTable([t.row], nestedHeading(text(t.larger), text(t.smaller))).join('\n');
  }

  /** A refit of this fit's rows with the columns `cols` of X (geese.fit's defaults, or `corstr`/scaleFix given). */
  refit(cols: number[], how: { corstr?: GeeProblem['cor']['corstr']; defaultWaves?: boolean; scaleFix?: boolean }): { par: GeeParams; v: GeeVariances } {
    const pr0 = this.problem;
    const t = how.defaultWaves ? Int32Array.from(pr0.t, (_, k) => k) : pr0.t;
    if (how.defaultWaves) for (let c = 0; c < pr0.start.length; c++) for (let j = 0; j < pr0.size[c]; j++) t[pr0.start[c] + j] = j + 1;
    const corstr = how.corstr ?? pr0.cor.corstr;
    const pr: GeeProblem = {
      ...pr0, X: pr0.X.map((row) => cols.map((j) => row[j])), p: cols.length, t,
      cor: workingCorrelation(corstr, Math.max(...pr0.size)), scaleFix: how.scaleFix ?? pr0.scaleFix,
    };
    const par = startValues(pr);
    geeEstimate(pr, par, this.options.epsilon, this.options.maxit);
    return { par, v: sandwichVariances(pr, par) };
  }

  /**
   * geepack's QIC(): the quasi-likelihood Q of the fitted means (gaussian −Σ(y − μ)²/2, binomial
   * Σ y log(μ/(1 − μ)) + log(1 − μ), poisson Σ y log μ − μ, Gamma geepack's Σ −y/(μ − log μ)), the
   * penalty CIC = tr(Ω_I V_r) with Ω_I the inverse of the independence fit's naive variance and V_r the
   * sandwich; QIC = −2(Q − CIC), QICu = −2(Q − p), QICC = QIC + 2k(k + 1)/(K − k − 1), k = p + q.
   */
  qic(): { QIC: number; QICu: number; quasiLik: number; CIC: number; params: number; QICC: number } {
    const mu = this.fitted('response');
    const order = Array.from(this.gf.inputRow.keys()).sort((a, b) => this.gf.inputRow[a] - this.gf.inputRow[b]);
    const y = order.map((k) => this.gf.y[k]);
    let quasi = 0;
    for (let i = 0; i < mu.length; i++) {
      const m = mu[i];
      switch (this.family) {
        case 'poisson': quasi += y[i] * Math.log(m) - m; break;
        case 'gaussian': quasi += (y[i] - m) ** 2 / -2; break;
        case 'binomial': quasi += y[i] * Math.log(m / (1 - m)) + Math.log(1 - m); break;
        default: quasi += -y[i] / (m - Math.log(m)); break;
      }
    }
    const p = this.coefficients.length;
    const indep = this.refit(Array.from({ length: p }, (_, j) => j), { corstr: 'independence' });
    const Ainv = inverse(indep.v.vbetaNaive, "the independence fit's naive variance");
    const Vr = this.variances.vbeta;
    let trace = 0;
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) trace += Ainv[a][b] * Vr[b][a];
    const kpm = p + this.alpha.length;
    const K = this.clusterSizes.length;
    const QIC = -2 * (quasi - trace);
    return { QIC, QICu: -2 * (quasi - p), quasiLik: quasi, CIC: trace, params: p, QICC: QIC + (2 * kpm * (kpm + 1)) / (K - kpm - 1) };
  }

  /** print(QIC(fit)): the named vector QIC, QICu, Quasi Lik, CIC, params, QICC at R's default 7 digits */
  qicPrintout(): string {
    const q = this.qic();
    return printNamedVector(formatR([q.QIC, q.QICu, q.quasiLik, q.CIC, q.params, q.QICC], 7), ['QIC', 'QICu', 'Quasi Lik', 'CIC', 'params', 'QICC']).join('\n');
  }

  /** print(summary(fit)) as geepack 1.3.9 prints it (R's default digits: 4 in its tables) */
  summary(): string {
    const rows = this.coefTable();
    const lines = ['', 'Call:', `geeglm(formula = ${this.formula}, family = ${this.family}${this.link !== defaultLink(this.family) ? `(link = "${this.link}")` : ''}, data = ${this.dataName}, id = ${this.options.id}${this.options.waves ? `, waves = ${this.options.waves}` : ''}, corstr = "${this.corstr}"${this.stdErrType !== 'san.se' ? `, std.err = "${this.stdErrType}"` : ''})`, '', ' Coefficients:'];
    lines.push(...printCoefmat({
      names: rows.map((r) => r.name), estimate: rows.map((r) => r.estimate), se: rows.map((r) => r.stdErr), statistic: rows.map((r) => r.wald),
      statName: 'Wald', pvalues: rows.map((r) => r.p), headers: ['Estimate', 'Std.err', 'Wald', 'Pr(>|W|)'],
    }));
    lines.push('', `Correlation structure = ${this.corstr} `);
    const frame2 = (names: string[], est: number[], se: number[]) => printMatrix([formatR(est, 4), formatR(se, 4)], names, ['Estimate', 'Std.err'], true);
    if (!this.problem.scaleFix) {
      lines.push('Estimated Scale Parameters:', '');
      lines.push(...frame2(['(Intercept)'], [this.scale], [Math.sqrt(this.vcovScale()[0][0])]));
    } else lines.push('Scale is fixed.', '');
    if (this.corstr !== 'independence') {
      lines.push('  Link = identity ', '', 'Estimated Correlation Parameters:');
      const Va = this.vcovAlpha();
      lines.push(...frame2(this.alphaNames, this.alpha, this.alpha.map((_, j) => Math.sqrt(Va[j][j]))));
    }
    lines.push(`Number of clusters:   ${this.clusterSizes.length}  Maximum cluster size: ${Math.max(...this.clusterSizes)} `);
    return lines.join('\n');
  }

  toJSON(): Record<string, unknown> {
    const se = (V: Mat) => V.map((row, j) => Math.sqrt(row[j]));
    return {
      model: 'gee', formula: this.formula, family: this.family, link: this.link, corstr: this.corstr, std_err: this.stdErrType,
      nobs: this.nobs, n_dropped: this.nDropped, clusters: this.clusterSizes.length, max_cluster_size: Math.max(...this.clusterSizes),
      coefficients: this.coefTable().map((r) => ({ term: r.name, estimate: r.estimate, std_err: r.stdErr, wald: r.wald, p_value: r.p })),
      vcov: this.vcov(), vcov_naive: this.vcovNaive(), vcov_sandwich: this.vcovSandwich(),
      scale: { estimate: this.scale, std_err: this.problem.scaleFix ? null : Math.sqrt(this.vcovScale()[0][0]), fixed: this.problem.scaleFix },
      correlation: this.alpha.map((a, j) => ({ name: this.alphaNames[j], estimate: a, std_err: se(this.vcovAlpha())[j] })),
      iterations: this.iterations, converged: this.converged, messages: this.messages,
    };
  }
}

function defaultLink(family: string): string {
  return family === 'binomial' ? 'logit' : family === 'poisson' ? 'log' : family === 'Gamma' ? 'inverse' : 'identity';
}
