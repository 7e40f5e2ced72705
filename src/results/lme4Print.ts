/**
 * lme4's blocks of `print(summary(fit))` (lme4 1.1-31, R 4.2, default options: digits = 7,
 * width = 80, show.signif.stars), shared by the lmer summary (src/lmm/summary.ts) and the glmer
 * summary (src/glmm/summary.ts): `.prt.methTit`, `.prt.call`, `.prt.aictab`, `.prt.resids`, `.prt.VC`
 * / `formatVC`, `.prt.grps`, the fixed-effects block (`printCoefmat`, the correlation of the fixed
 * effects) and the fit warnings / `.prt.warn`, with R's number formatting from rFormat.ts.
 */
import { type VarCorrRow, cov2cor } from './components.js';
import {
  WIDTH, abbreviate, catFill, deparseFormula, formatPval, formatR, printMatrix, printNamedVector, roundR, zapsmall,
} from './rFormat.js';
import { quantile7 } from '../frame/basis/bspline.js';

/** lme4's print digits: max(3, getOption("digits") - 3) */
export const DIGITS = 4;
/** getOption("lme4.summary.cor.max") */
export const COR_MAX = 12;

/**
 * .prt.methTit: "title ['class']", or the title wrapped (strwrap to width − 2, exdent 2) then
 * cat(lines, " [", class, "]", sep = "", fill = TRUE): an item that would pass the width starts a line.
 */
export function methodTitle(title: string, cls: string): string[] {
  if (title.length + 5 + cls.length <= WIDTH) return [`${title} ['${cls}']`];
  const wrapped: string[] = [];
  let cur = '';
  for (const word of title.split(' ')) {
    const candidate = cur === '' ? (wrapped.length > 0 ? '  ' : '') + word : `${cur} ${word}`;
    if (cur !== '' && candidate.length >= WIDTH - 2) {
      wrapped.push(cur);
      cur = `  ${word}`;
    } else cur = candidate;
  }
  wrapped.push(cur);
  const lines: string[] = [];
  let line = '';
  for (const item of [...wrapped, ' [', cls, ']']) {
    if (line.length > 0 && line.length + item.length > WIDTH) {
      lines.push(line);
      line = item;
    } else line += item;
  }
  lines.push(line);
  return lines;
}

/** .prt.call: the formula (deparsed), the data's name and the weights' column, where known */
export function callLines(formula: string, dataName?: string, weightsName?: string | null): string[] {
  const out = catFill([['Formula:'], deparseFormula(formula)]);
  if (dataName) out.push(...catFill([['   Data:'], [dataName]]));
  if (weightsName) out.push(...catFill([['Weights:'], [weightsName]]));
  return out;
}

/** .prt.aictab of an ML fit: AIC, BIC, logLik, deviance (−2ℓ), df.resid */
export function aicTable(aic: number, bic: number, logLik: number, deviance: number, dfResid: number): string[] {
  const vals = [aic, bic, logLik, deviance, dfResid].map((v) => roundR(v, 1));
  const f = formatR(vals, 7);
  f[4] = formatR([vals[4]], 7)[0];
  return printNamedVector(f, ['AIC', 'BIC', 'logLik', 'deviance', 'df.resid']);
}

/** .prt.resids: the quantiles of the scaled residuals, zapsmall(·, digits + 1) and printed with `digits` */
export function residualLines(resids: ArrayLike<number>): string[] {
  return residualQuantileLines(quantile7(resids, [0, 0.25, 0.5, 0.75, 1]));
}

/** .prt.resids from the quantiles (Min, 1Q, Median, 3Q, Max) themselves (an out-of-core fit's, computed by queries) */
export function residualQuantileLines(quantiles: number[]): string[] {
  const rq = zapsmall(quantiles, DIGITS + 1);
  return ['Scaled residuals: ', ...printNamedVector(formatR(rq, DIGITS), ['Min', '1Q', 'Median', '3Q', 'Max']), ''];
}

/**
 * .prt.VC: lme4's formatVC(VarCorr(fit), digits = 4, comp = c("Variance", "Std.Dev.")) printed as a
 * matrix, from the rows of as.data.frame(VarCorr(fit)); the residual row with `residualSd` (fits
 * with a scale), none with null (binomial, Poisson).
 */
export function varCorrTable(rows: readonly VarCorrRow[], residualSd: number | null, structured?: ReadonlyMap<string, { structure: string; rho: number[] }>): string[] {
  interface Block { group: string; names: string[]; sd: number[]; corr: number[][] }
  const blocks: Block[] = [];
  for (const r of rows) {
    if (r.group === 'Residual' && r.var1 === null) continue;
    let blk = blocks.find((x) => x.group === r.group);
    if (!blk) { blk = { group: r.group, names: [], sd: [], corr: [] }; blocks.push(blk); }
    if (r.var2 === null && r.var1 !== null) { blk.names.push(r.var1); blk.sd.push(r.sdcor); }
  }
  for (const blk of blocks) {
    const q = blk.names.length;
    blk.corr = Array.from({ length: q }, (_, i) => Array.from({ length: q }, (_, j) => (i === j ? 1 : NaN)));
    for (const r of rows) {
      if (r.group !== blk.group || r.var1 === null || r.var2 === null) continue;
      const i = blk.names.indexOf(r.var1);
      const j = blk.names.indexOf(r.var2);
      if (i >= 0 && j >= 0) { blk.corr[i][j] = r.sdcor; blk.corr[j][i] = r.sdcor; }
    }
  }
  // glmmTMB's print of a structured term: ar1's one SD, and ar1's and cs's one correlation on the
  // term's first row, `0.56 (ar1)`; the other structures print their correlation matrix
  const single = (b: Block) => {
    const s = structured?.get(b.group);
    return s && (s.structure === 'ar1' || s.structure === 'cs') ? s : null;
  };
  for (const b of blocks) {
    if (single(b)?.structure === 'ar1') { b.names = b.names.slice(0, 1); b.sd = b.sd.slice(0, 1); b.corr = [[1]]; }
    // a smooth's penalized part (homdiag, src/gamm): one row named by the smooth, as gamm4's mer prints its
    // (1 | Xr) with the smooth's label (its columns are `s(x).1`, `s(x).2`, …)
    if (structured?.get(b.group)?.structure === 'homdiag') { b.names = [b.names[0].replace(/^`|`$/g, '').replace(/\.\d+$/, '')]; b.sd = b.sd.slice(0, 1); b.corr = [[1]]; }
  }
  const sds = blocks.flatMap((b) => b.sd);
  const groupCol: string[] = [];
  const nameCol: string[] = [];
  for (const b of blocks) b.names.forEach((nm, i) => { groupCol.push(i === 0 ? b.group : ''); nameCol.push(nm); });
  if (residualSd !== null) {
    sds.push(residualSd);
    groupCol.push('Residual');
    nameCol.push('');
  }
  const nr = sds.length;
  const varCol = formatR(sds.map((s) => s * s), DIGITS);
  const sdCol = formatR(sds, DIGITS);
  const cols = [groupCol, nameCol, varCol, sdCol];
  const labels = ['Groups', 'Name', 'Variance', 'Std.Dev.'];
  const maxlen = Math.max(...blocks.map((b) => (single(b) ? 2 : b.names.length)), 1);
  if (maxlen > 1) {
    const dig = Math.max(2, DIGITS - 2);
    const corrRows: string[][] = [];
    for (const b of blocks) {
      const q = b.names.length;
      const s = single(b);
      if (s) {
        const text = `${formatR([roundR(s.rho[0], dig)], 7, dig)[0].trim()} (${s.structure})`;
        for (let i = 0; i < q; i++) corrRows.push(Array.from({ length: maxlen - 1 }, (_, j) => (i === 0 && j === 0 ? text : '')));
        continue;
      }
      const cc = formatR(b.corr.flat().map((v) => roundR(v, dig)), 7, dig);
      for (let i = 0; i < q; i++) {
        const row: string[] = [];
        for (let j = 0; j < maxlen; j++) row.push(j < i ? cc[i * q + j] : '');
        corrRows.push(row.slice(0, maxlen - 1));
      }
    }
    while (corrRows.length < nr) corrRows.push(Array(maxlen - 1).fill(''));
    for (let j = 0; j < maxlen - 1; j++) {
      cols.push(corrRows.map((r) => r[j]));
      labels.push(j === 0 ? 'Corr' : '');
    }
  }
  return printMatrix(cols, Array(nr).fill(''), labels, false);
}

/** .prt.grps: "Number of obs: n, groups:  g, levels; ..." */
export function groupsLines(nobs: number, ngroups: Record<string, number>): string[] {
  const groups = Object.entries(ngroups).map(([g, n]) => `${g}, ${n}`).join('; ');
  return catFill([[`Number of obs: ${nobs}, groups: `], [groups]]);
}

/** Our line for the grouping factors with a known covariance matrix (relmat), after lme4's part. */
export function knownCovarianceLines(known: readonly { group: string; source: string; levels: number; levels_without_data: number }[]): string[] {
  return known.map((k) => `Known covariance (relmat): ${k.group}, ${k.source === 'pedigree' ? 'pedigree' : k.source === 'sparse' ? 'sparse matrix' : 'matrix'} of ${k.levels} levels${k.levels_without_data > 0 ? ` (${k.levels_without_data} without data, predicted from their relatives)` : ''}`);
}

/** The columns of a fixed-effects table: estimates, standard errors, test statistics and, for z tests, p-values. */
export interface CoefColumns {
  names: string[];
  estimate: number[];
  se: number[];
  /** estimate / SE */
  statistic: number[];
  /** 't value' (lmer) or 'z value' (glmer, with p-values) */
  statName: string;
  /** Pr(>|z|), printed with format.pval and significance stars */
  pvalues?: number[];
  /** zap.ind = 3 (glmmTMB's print.summary): the statistic's column zapsmall(·, digits) before its rounding */
  zapStatistic?: boolean;
  /** the columns' headers in place of Estimate, Std. Error, statName and Pr(>|z|) (geepack: Estimate, Std.err, Wald, Pr(>|W|)) */
  headers?: [string, string, string, string];
}

/**
 * R's printCoefmat(cbind(Estimate, Std. Error, statistic[, Pr(>|z|)]), digits = 4,
 * signif.stars = TRUE), as lme4's print.summary.merMod calls it (no zap.ind).
 */
export function printCoefmat(c: CoefColumns): string[] {
  const { names, estimate: est, se } = c;
  const digTst = Math.max(1, Math.min(5, DIGITS - 1));
  const p = names.length;
  // columns 1:2 together, rounded to the decimals that the largest |value| leaves
  const acs = [...est, ...se].map(Math.abs).filter((a) => Number.isFinite(a) && a !== 0);
  const digmin = acs.length ? [Math.min(...acs), Math.max(...acs)].map((a) => 1 + Math.floor(Math.log10(a))) : [1, 1];
  const dec = Math.max(1, DIGITS - digmin[0], DIGITS - digmin[1]);
  const csVals = [...est, ...se];
  const cs = formatR(csVals.map((v) => roundR(v, dec)), DIGITS);
  // cells that print as zero although the value is not: reformat with digits - 1
  const bad = csVals.map((v, k) => Number.isFinite(v) && (v === 0) !== (Number(cs[k]) === 0));
  const badIdx = bad.flatMap((b, k) => (b ? [k] : []));
  if (badIdx.length) {
    const re = formatR(badIdx.map((k) => csVals[k]), Math.max(1, DIGITS - 1));
    badIdx.forEach((k, i) => { cs[k] = re[i]; });
  }
  // zap.ind = 3: xm[, 3] <- zapsmall(xm[, 3], digits), then format(round(·, dig.tst), digits)
  const stat = c.zapStatistic ? zapsmall(c.statistic, DIGITS) : c.statistic;
  const tCol = formatR(stat.map((v) => roundR(v, digTst)), DIGITS);
  const cols = [cs.slice(0, p), cs.slice(p), tCol];
  const labels = c.headers ? c.headers.slice(0, 3) : ['Estimate', 'Std. Error', c.statName];
  const pv = c.pvalues;
  let stars = false;
  if (pv) {
    cols.push(formatPval(pv, digTst));
    labels.push(c.headers ? c.headers[3] : 'Pr(>|z|)');
    stars = pv.some((x) => Number.isFinite(x) && x < 0.1);
    if (stars) {
      const sym = pv.map((x) => (!Number.isFinite(x) ? '' : x <= 0.001 ? '***' : x <= 0.01 ? '**' : x <= 0.05 ? '*' : x <= 0.1 ? '.' : ' '));
      const w = Math.max(...sym.map((s) => s.length));
      cols.push(sym.map((s) => s.padEnd(w)));
      labels.push('');
    }
  }
  const lines = printMatrix(cols, names, labels, true);
  if (stars) lines.push('---', "Signif. codes:  0 ‘***’ 0.001 ‘**’ 0.01 ‘*’ 0.05 ‘.’ 0.1 ‘ ’ 1");
  return lines;
}

/**
 * The fixed-effects block: the coefficient table, then the correlation of the fixed effects (p ≤ 12)
 * or a note in its place (lme4's message, which goes to stderr in R); nothing when p = 0.
 */
export function fixedEffectsLines(c: CoefColumns, vcov: number[][], table?: string[]): string[] {
  const p = c.names.length;
  if (p === 0) return [];
  // `table`: another coefficient table in lme4's place (lmerTest's, with df and p-values)
  const out = ['', 'Fixed effects:', ...(table ?? printCoefmat(c))];
  if (p > COR_MAX) {
    out.push('', `Correlation matrix not shown by default, as p = ${p} > ${COR_MAX}.`,
      'Use fit.vcov (or the JSON output\'s "vcov") if you need it', '');
  } else if (p > 1) {
    out.push('', 'Correlation of Fixed Effects:', ...fixefCorrelation(vcov, c.names));
  }
  return out;
}

/** the "Correlation of Fixed Effects" block: lower triangle of cov2cor(vcov), 3 decimals */
function fixefCorrelation(vcov: number[][], names: string[]): string[] {
  const p = names.length;
  const vals: number[] = [];
  for (let j = 0; j < p; j++) {
    for (let i = 0; i < p; i++) vals.push(roundR(cov2cor(vcov[i][j], vcov[i][i], vcov[j][j]), 3));
  }
  const f = formatR(vals, 7, 3); // column-major, as corF@x
  const rns = abbreviate(names, 11);
  const cns = abbreviate(names, 6);
  const cols: string[][] = [];
  for (let j = 0; j < p - 1; j++) {
    const col: string[] = [];
    for (let i = 1; i < p; i++) col.push(i > j ? f[j * p + i] : '');
    cols.push(col);
  }
  return printMatrix(cols, rns.slice(1), cns.slice(0, p - 1), false);
}

/**
 * lme4's "fit warnings:" (.merMod.msgs: rank deficiency) and .prt.warn (convergence code and the
 * other messages, such as a singular fit).
 */
export function warningLines(messages: readonly string[], converged: boolean, optimizerMessage: string, optimizer = 'bobyqa'): string[] {
  const out: string[] = [];
  const fitMsgs = messages.filter((m) => m.startsWith('fixed-effect model matrix is rank deficient'));
  const otherMsgs = messages.filter((m) => !fitMsgs.includes(m));
  if (fitMsgs.length > 0) out.push('fit warnings:', ...fitMsgs);
  if (!converged || otherMsgs.length > 0) {
    const code = converged ? 0 : 1;
    const why = converged ? '(OK)' : optimizerMessage ? `(${optimizerMessage})` : '';
    out.push(`optimizer (${optimizer}) convergence code: ${code} ${why}`, ...otherMsgs, '');
  }
  return out;
}

/**
 * Our own "Backend:" label (after lme4's part): name and device; a GPU fit also says which precision
 * produced it (the CPU backend's device already says float64).
 */
export function backendLabel(b: { name: string; device: string; precision?: string }): string {
  const precision = b.precision && !b.device.includes(b.precision) ? `, ${b.precision}` : '';
  return `${b.name} (${b.device})${precision}`;
}
