/**
 * A fitted mixed-effects Cox model: coxme's results and printout (print.coxme), fixef, ranef,
 * VarCorr, logLik, vcov.
 *
 * Log-likelihoods as coxme reports them:
 *   NULL        PL at β = 0, b = 0
 *   Integrated  the Laplace IPL at θ̂ (coxme's loglik[2])
 *   Fitted      PL(β̂, b̂), the partial likelihood at the mode without the penalty (coxme's loglik[3] + penalty)
 *   Penalized   PPL = Fitted − ½ b̂ᵀΣ⁻¹b̂ = Fitted − ½ ûᵀû (coxme's loglik[3])
 * Chisq: Integrated 2(IPL − NULL) on p + (number of θ) df; Penalized 2(Fitted − NULL) on the
 * penalized df; AIC = Chisq − 2 df, BIC = Chisq − log(events) df (print.coxme).
 */
import { formatR, printMatrix } from '../results/rFormat.js';
import { pchisqUpper } from '../stats/distributions.js';
import type { CoxmeEstimates } from './fit.js';
import { templateEntry } from './design.js';

export interface CoxmeVarCorr {
  /** the term's columns (coxme prints '(Intercept)' as 'Intercept') */
  cnames: string[];
  /** Σ_k = T Tᵀ, q_k × q_k */
  variance: number[][];
  sd: number[];
  corr: number[][];
}

export interface CoxmeJson {
  formula: string;
  n: number;
  nevent: number;
  nDropped: number;
  ties: string;
  coefficients: { name: string; coef: number; expCoef: number; se: number; z: number; p: number }[];
  vcov: number[][];
  theta: number[];
  thetaNames: string[];
  varCorr: Record<string, CoxmeVarCorr>;
  ranef: Record<string, Record<string, Record<string, number>>>;
  loglik: { null: number; integrated: number; fitted: number; penalized: number };
  df: { integrated: number; penalized: number };
  chisq: { integrated: number; penalized: number };
  iterations: { outer: number; inner: number };
  messages: string[];
}

const sig = (x: number, d: number) => (x === 0 || !Number.isFinite(x) ? x : Number(x.toPrecision(d)));
const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

export class CoxmeFit {
  readonly formula: string;
  readonly dataName: string | undefined;
  readonly n: number;
  readonly nevent: number;
  readonly nDropped: number;
  readonly ties: string;
  readonly xnames: string[];
  readonly beta: Float64Array;
  readonly se: Float64Array;
  readonly theta: Float64Array;
  readonly thetaNames: string[];
  readonly loglik: { null: number; integrated: number; fitted: number; penalized: number };
  readonly df: { integrated: number; penalized: number };
  readonly messages: string[];
  readonly converged: boolean;
  /** the estimates (model, mode, Hessian) the fit was assembled from */
  readonly estimates: CoxmeEstimates;

  constructor(est: CoxmeEstimates, dataName?: string) {
    const { model, mode } = est;
    this.estimates = est;
    this.formula = model.text;
    this.dataName = dataName;
    this.n = model.n;
    this.nevent = model.nevent;
    this.nDropped = model.nDropped;
    this.ties = model.ties;
    this.xnames = model.xnames;
    this.beta = mode.beta;
    this.se = Float64Array.from({ length: model.p }, (_, j) => Math.sqrt(est.vcov[j * model.p + j]));
    this.theta = est.theta;
    this.thetaNames = model.theta.names;
    this.loglik = { null: est.nullLoglik, integrated: mode.ipl, fitted: mode.pl, penalized: mode.ppl };
    this.df = { integrated: model.p + model.theta.length, penalized: est.dfPenalized };
    this.messages = [...model.messages, ...(est.converged ? [] : [`the optimizer did not converge: ${est.optimizerMessage}`])];
    this.converged = est.converged;
  }

  /** β̂ by name */
  fixef(): Record<string, number> {
    return Object.fromEntries(this.xnames.map((nm, j) => [nm, this.beta[j]]));
  }

  /** Var(β̂): the β block of the inverse of the full penalized Hessian (coxme's vcov) */
  vcov(): number[][] {
    const p = this.xnames.length;
    return Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => this.estimates.vcov[i * p + j]));
  }

  /** b̂ = Λ(θ̂)û by grouping factor, level and column */
  ranef(): Record<string, Record<string, Record<string, number>>> {
    const { model, mode } = this.estimates;
    const out: Record<string, Record<string, Record<string, number>>> = {};
    model.terms.forEach((t, k) => {
      const byLevel: Record<string, Record<string, number>> = out[t.group] ?? {};
      t.levels.forEach((lev, l) => {
        const entry = byLevel[lev] ?? {};
        t.cnames.forEach((cn, j) => { entry[cn] = mode.b[model.termOffsets[k] + l * t.q + j]; });
        byLevel[lev] = entry;
      });
      out[t.group] = byLevel;
    });
    return out;
  }

  /** Σ_k = T_k T_kᵀ per grouping factor: variances, standard deviations, correlations */
  VarCorr(): Record<string, CoxmeVarCorr> {
    const { model } = this.estimates;
    const out: Record<string, CoxmeVarCorr> = {};
    model.terms.forEach((t, k) => {
      const T = (l: number, j: number) => (l >= j ? templateEntry(this.theta, model.thetaOffsets[k], t.q, l, j) : 0);
      const V = Array.from({ length: t.q }, (_, a) => Array.from({ length: t.q }, (_, b) => {
        let s = 0;
        for (let j = 0; j < t.q; j++) s += T(a, j) * T(b, j);
        return s;
      }));
      const sd = V.map((r, a) => Math.sqrt(r[a]));
      const corr = V.map((r, a) => r.map((v, b) => (a === b ? 1 : sd[a] > 0 && sd[b] > 0 ? v / (sd[a] * sd[b]) : NaN)));
      out[t.group] = { cnames: t.cnames, variance: V, sd, corr };
    });
    return out;
  }

  /** the integrated log-likelihood with df = p + number of θ (coxme's logLik) */
  logLik(): { value: number; df: number; nobs: number } {
    return { value: this.loglik.integrated, df: this.df.integrated, nobs: this.nevent };
  }

  /** the coefficient table: coef, exp(coef), se(coef), z, p */
  coefficients(): CoxmeJson['coefficients'] {
    return this.xnames.map((name, j) => {
      const z = this.beta[j] / this.se[j];
      return { name, coef: this.beta[j], expCoef: Math.exp(this.beta[j]), se: this.se[j], z, p: pchisqUpper(z * z, 1) };
    });
  }

  toJSON(): CoxmeJson {
    const chisq = { integrated: 2 * (this.loglik.integrated - this.loglik.null), penalized: 2 * (this.loglik.fitted - this.loglik.null) };
    return {
      formula: this.formula, n: this.n, nevent: this.nevent, nDropped: this.nDropped, ties: this.ties,
      coefficients: this.coefficients(), vcov: this.vcov(), theta: Array.from(this.theta), thetaNames: this.thetaNames,
      varCorr: this.VarCorr(), ranef: this.ranef(), loglik: this.loglik, df: this.df, chisq,
      iterations: { outer: this.estimates.evaluations, inner: this.estimates.innerIterations }, messages: this.messages,
    };
  }

  /** print.coxme's printout (the notes in `messages` are not part of it, as in coxme) */
  print(): string {
    const L: string[] = ['Cox mixed-effects model fit by maximum likelihood'];
    if (this.dataName) L.push(`  Data: ${this.dataName}`);
    const omit = this.nDropped > 0 ? ` (${this.nDropped} observation${this.nDropped > 1 ? 's' : ''} deleted due to missingness)` : '';
    L.push(`  events, n = ${this.nevent}, ${this.n}${omit}`);
    L.push(`  Iterations= ${this.estimates.evaluations} ${this.estimates.innerIterations} `);
    const ll = [this.loglik.null, this.loglik.integrated, this.loglik.fitted];
    L.push(...printMatrix(ll.map((v) => formatR([v], 7)), ['Log-likelihood'], ['NULL', 'Integrated', 'Fitted'], true));
    L.push('');
    const chi1 = 2 * (ll[1] - ll[0]);
    const chi2 = 2 * (ll[2] - ll[0]);
    const lev = Math.log(this.nevent);
    const rows = [
      [round(chi1, 2), round(this.df.integrated, 2), sig(pchisqUpper(chi1, this.df.integrated), 5), round(chi1 - 2 * this.df.integrated, 2), round(chi1 - lev * this.df.integrated, 2)],
      [round(chi2, 2), round(this.df.penalized, 2), sig(pchisqUpper(chi2, this.df.penalized), 5), round(chi2 - 2 * this.df.penalized, 2), round(chi2 - lev * this.df.penalized, 2)],
    ];
    L.push(...printMatrix([0, 1, 2, 3, 4].map((c) => formatR(rows.map((r) => r[c]), 7)), ['Integrated loglik', ' Penalized loglik'], ['Chisq', 'df', 'p', 'AIC', 'BIC'], true));
    L.push('');
    L.push(`Model:  ${this.formula} `);
    const co = this.coefficients();
    if (co.length > 0) {
      L.push('Fixed coefficients');
      const cols = [
        formatR(co.map((c) => c.coef), 7), formatR(co.map((c) => c.expCoef), 7), formatR(co.map((c) => c.se), 7),
        formatR(co.map((c) => round(c.z, 2)), 7), formatR(co.map((c) => sig(c.p, 2)), 7),
      ];
      L.push(...printMatrix(cols, co.map((c) => c.name), ['coef', 'exp(coef)', 'se(coef)', 'z', 'p'], true));
    }
    L.push('');
    L.push('Random effects');
    const vc = this.VarCorr();
    const groups = Object.keys(vc);
    const maxq = Math.max(...groups.map((g) => vc[g].cnames.length));
    const cells: (number | null)[][] = [];
    const gcol: string[] = [];
    const vcol: string[] = [];
    for (const g of groups) {
      const v = vc[g];
      v.cnames.forEach((cn, j) => {
        gcol.push(j === 0 ? g : '');
        vcol.push(cn === '(Intercept)' ? 'Intercept' : cn);
        const row: (number | null)[] = [v.sd[j], v.variance[j][j]];
        for (let c = 1; c < maxq; c++) row.push(c > j && c < v.cnames.length ? v.corr[j][c] : null);
        cells.push(row);
      });
    }
    // format(temp1, digits): one common format over the numbers; NA printed as ''
    const all = cells.flat().filter((x): x is number => x !== null);
    const f = formatR(all, 7);
    let at = 0;
    const numCols = cells[0].map((_, c) => cells.map((r) => (r[c] === null ? '' : f[at++])));
    // formatR walked by rows; redo by rows to keep the order right
    at = 0;
    const byRow = cells.map((r) => r.map((x) => (x === null ? '' : f[at++])));
    for (let c = 0; c < numCols.length; c++) numCols[c] = byRow.map((r) => r[c]);
    const heads = ['Group', 'Variable', 'Std Dev', 'Variance', ...(maxq > 1 ? ['Corr', ...Array(maxq - 2).fill('')] : [])];
    L.push(...printMatrix([gcol, vcol, ...numCols], gcol.map(() => ''), heads, false));
    return L.join('\n') + '\n';
  }

  summary(): string {
    return this.print();
  }
}
