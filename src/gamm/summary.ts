/**
 * summary(gam)'s printout of a gamm4 fit (mgcv's print.summary.gam): family and link, the formula, the
 * parametric coefficients with t tests on n − Σ edf degrees of freedom, the approximate significance
 * of the smooth terms (printCoefmat of summary.gam's s.table: edf, Ref.df, F — Chi.sq when the scale is
 * known — and p-value, Wood 2013), the adjusted R², the lmer criterion, the scale estimate and n.
 */
import type { LmmFit } from '../lmm/lmmFit.js';
import { printCoefmat } from '../inference/format.js';
import type { GamView } from './gamView.js';

/** C's sprintf("%.<digits>g") (R's formatC(x, digits)): significant digits, trailing zeros dropped, e-notation below 1e-4 or from 10^digits. */
function formatG(x: number, digits: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Inf' : '-Inf';
  if (x === 0) return '0';
  const e = Math.floor(Math.log10(Math.abs(Number(x.toPrecision(digits)))));
  if (e < -4 || e >= digits) {
    const [m, ex] = x.toExponential(digits - 1).split('e');
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const n = Number(ex);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const f = x.toFixed(Math.max(0, digits - 1 - e));
  return f.includes('.') ? f.replace(/0+$/, '').replace(/\.$/, '') : f;
}

export function gamSummary(g: GamView, mer: LmmFit): string {
  const out: string[] = ['', 'Family: gaussian ', 'Link function: identity ', '', 'Formula:', g.formula];
  const t = g.parametric;
  if (t.names.length > 0) {
    // print.summary.gam: printCoefmat(p.table, digits = 4)
    out.push('', 'Parametric coefficients:');
    out.push(...printCoefmat({ rowNames: t.names, colNames: ['Estimate', 'Std. Error', 't value', 'Pr(>|t|)'], columns: [t.estimate, t.se, t.t, t.p] }, { digits: 4 }));
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
  out.push(`R-sq.(adj) =  ${formatG(g.rSq, 3).padStart(5)}   `);
  out.push(`${mer.reml ? 'lmer.REML' : 'lmer.ML'} = ${formatG(g.criterion, 5)}  Scale est. = ${formatG(g.sig2, 5).padEnd(8)}  n = ${g.n}`);
  return out.join('\n');
}
