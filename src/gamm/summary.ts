/**
 * summary(gam)'s printout of a gamm4 fit (mgcv 1.8-41's print.summary.gam), one formatter for the Gaussian
 * (lmer) and the binomial / Poisson (glmer) gam views: family and link, the formula, the parametric
 * coefficients (printCoefmat, digits 4: t tests on n − Σ edf degrees of freedom when the scale is estimated,
 * z tests when it is known), the approximate significance of the smooth terms (printCoefmat of summary.gam's
 * s.table: edf, Ref.df, F — Chi.sq when the scale is known — and p-value, Wood 2013), the adjusted R², the
 * criterion line (gamm4's method = gcv.ubre, the scale, n).
 */
import type { LmmFit } from '../lmm/lmmFit.js';
import { printCoefmat } from '../inference/format.js';
import type { GamView } from './gamView.js';

/**
 * R's formatC(x, digits, width, flag = "" | "-") of format "g": C's sprintf("%*.*g", width, digits, x) (trailing
 * zeros dropped, e-notation below 1e-4 or from 10^digits), right-justified in `width` — left-justified with
 * "-" (`left`). formatC's default width (width = NULL) is digits + 1: formatC(416.2958, digits = 5) is " 416.3".
 */
export function formatCg(x: number, digits: number, width = digits + 1, left = false): string {
  let g: string;
  if (!Number.isFinite(x)) g = Number.isNaN(x) ? 'NaN' : x > 0 ? 'Inf' : '-Inf';
  else {
    const e = x === 0 ? 0 : Math.floor(Math.log10(Math.abs(Number(x.toPrecision(digits)))));
    if (e < -4 || e >= digits) {
      const [m, ex] = x.toExponential(digits - 1).split('e');
      const exp = Number(ex);
      const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
      g = `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
    } else {
      const f = x.toFixed(Math.max(0, digits - 1 - e));
      g = f.includes('.') ? f.replace(/0+$/, '').replace(/\.$/, '') : f;
    }
  }
  return left ? g.padEnd(width) : g.padStart(width);
}

/** What print.summary.gam prints of a gamm4 gam view. */
export interface GamSummaryInput {
  family: string;
  link: string;
  formula: string;
  /** the parametric table: its test statistic (t or z) and p-values */
  parametric: { names: string[]; estimate: number[]; se: number[]; stat: number[]; p: number[] };
  /** 't' (the scale estimated) or 'z' (known) */
  statName: 't' | 'z';
  smooths: readonly { label: string; edf: number; refDf: number; chiSq: number; pValue: number }[];
  /** the scale estimated: the smooths' F = Chi.sq / Ref.df column, else Chi.sq */
  scaleEstimated: boolean;
  rSq: number;
  /** gamm4's method: lmer.REML, lmer.ML or glmer.ML */
  method: string;
  /** gamm4's gcv.ubre */
  criterion: number;
  /** the scale (sig2) */
  scale: number;
  n: number;
}

/** print.summary.gam's lines. */
export function printGamSummary(g: GamSummaryInput): string {
  const out: string[] = ['', `Family: ${g.family} `, `Link function: ${g.link} `, '', 'Formula:', g.formula];
  const t = g.parametric;
  if (t.names.length > 0) {
    // print.summary.gam: printCoefmat(p.table, digits = 4)
    out.push('', 'Parametric coefficients:');
    const s = g.statName;
    out.push(...printCoefmat({ rowNames: t.names, colNames: ['Estimate', 'Std. Error', `${s} value`, `Pr(>|${s}|)`], columns: [t.estimate, t.se, t.stat, t.p] }, { digits: 4 }));
  }
  out.push('');
  if (g.smooths.length > 0) {
    // print.summary.gam: printCoefmat(s.table, digits = 4, has.Pvalue = TRUE, cs.ind = 1)
    out.push('Approximate significance of smooth terms:');
    const sm = g.smooths;
    out.push(...printCoefmat({
      rowNames: sm.map((s) => s.label),
      colNames: ['edf', 'Ref.df', g.scaleEstimated ? 'F' : 'Chi.sq', 'p-value'],
      columns: [sm.map((s) => s.edf), sm.map((s) => s.refDf), sm.map((s) => (g.scaleEstimated ? s.chiSq / s.refDf : s.chiSq)), sm.map((s) => s.pValue)],
    }, { digits: 4, csInd: [0], tstInd: [2], hasPvalue: true }));
  }
  out.push('');
  // formatC(r.sq, digits = 3, width = 5); formatC(sp.criterion, digits = 5); formatC(scale, digits = 5, width = 8, flag = "-")
  out.push(`R-sq.(adj) =  ${formatCg(g.rSq, 3, 5)}   `);
  out.push(`${g.method} = ${formatCg(g.criterion, 5)}  Scale est. = ${formatCg(g.scale, 5, 8, true)}  n = ${g.n}`);
  return out.join('\n');
}

/** summary(gam)'s printout of a Gaussian gamm4 fit. */
export function gamSummary(g: GamView, mer: LmmFit): string {
  const t = g.parametric;
  return printGamSummary({
    family: 'gaussian', link: 'identity', formula: g.formula, statName: 't',
    parametric: { names: t.names, estimate: t.estimate, se: t.se, stat: t.t, p: t.p },
    smooths: g.smooths, scaleEstimated: g.scaleEstimated, rSq: g.rSq,
    method: mer.reml ? 'lmer.REML' : 'lmer.ML', criterion: g.criterion, scale: g.sig2, n: g.n,
  });
}
