/**
 * summary(gam)'s printout of a gamm4 fit (mgcv's print.summary.gam): family and link, the formula, the
 * parametric coefficients with t tests on n − Σ edf degrees of freedom, each smooth's edf (the
 * approximate tests of the smooth terms, summary.gam's Ref.df, F and p-value, are not computed), the
 * adjusted R², the lmer criterion, the scale estimate and n.
 */
import type { LmmFit } from '../lmm/lmmFit.js';
import { formatPval, formatR, printMatrix } from '../results/rFormat.js';
import type { GamView } from './gamView.js';

/** R's significance stars of p-values */
const stars = (p: number) => (p < 0.001 ? '***' : p < 0.01 ? '**' : p < 0.05 ? '*' : p < 0.1 ? '.' : ' ');

export function gamSummary(g: GamView, mer: LmmFit): string {
  const out: string[] = ['', 'Family: gaussian ', 'Link function: identity ', '', 'Formula:', g.formula, ''];
  const t = g.parametric;
  if (t.names.length > 0) {
    out.push('Parametric coefficients:');
    const cols = [formatR(t.estimate, 4), formatR(t.se, 4), formatR(t.t, 3), formatPval(t.p, 3, 2e-16)];
    const lines = printMatrix(cols, t.names, ['Estimate', 'Std. Error', 't value', 'Pr(>|t|)'], true);
    out.push(lines[0], ...lines.slice(1).map((l, k) => `${l} ${stars(t.p[k])}`));
    out.push('---', "Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1", '');
  }
  if (g.smooths.length > 0) {
    out.push('Smooth terms (effective degrees of freedom; approximate significance tests not computed):');
    out.push(...printMatrix([formatR(g.smooths.map((s) => s.edf), 4), formatR(g.smooths.map((s) => s.sd), 4)], g.smooths.map((s) => s.label), ['edf', 'sd(Xr)'], true));
    out.push('');
  }
  out.push(`R-sq.(adj) = ${formatR([g.rSq], 3)[0].trim()}  `);
  out.push(`${mer.reml ? 'lmer.REML' : 'lmer.ML'} = ${formatR([g.criterion], 5)[0].trim()}  Scale est. = ${formatR([g.sig2], 5)[0].trim()}  n = ${g.n}`);
  return out.join('\n');
}
