/**
 * The text of lme4's `print(summary(fit))` for a glmerMod (lme4 1.1-31, R 4.2, default options:
 * digits = 7, width = 80, show.signif.stars), followed by a line of our own (backend, evaluations).
 *
 * As src/results/summary.ts does for lmer fits, the layout follows lme4's printing code
 * (`.prt.methTit`, `.prt.family`, `.prt.call`, `.prt.aictab`, `.prt.resids` of the Pearson
 * residuals, `.prt.VC` without a residual row, `.prt.grps`, `printCoefmat` with z values,
 * `format.pval` and significance stars, the fixed-effects correlations, `.prt.warn`), with the
 * numbers formatted by the ports of R's `format`, `round` and `quantile` in src/results/summary.ts.
 * The small printing helpers that file keeps private are repeated here.
 */
import { abbreviate, deparseFormula, formatR, quantile7, roundR } from '../results/summary.js';
import type { GlmmFit } from './glmmFit.js';

const WIDTH = 80;
const DIGITS = 4;
const COR_MAX = 12;

/** lme4-style summary text of a fitted GLMM (no trailing newline). */
export function formatGlmmSummary(fit: GlmmFit): string {
  const out: string[] = [];
  // .prt.methTit (methTitle of a GLMM)
  const method = fit.nAGQ === 1 ? '(Laplace Approximation)' : `(Adaptive Gauss-Hermite Quadrature, nAGQ = ${fit.nAGQ})`;
  out.push(...methodTitle(`Generalized linear mixed model fit by maximum likelihood ${method}`, 'glmerMod'));
  // .prt.family
  out.push(...catFill([[' Family:'], [fit.family], [` ( ${fit.link} )`]]));
  // .prt.call
  out.push(...catFill([['Formula:'], deparseFormula(fit.formula)]));
  if (fit.dataName) out.push(...catFill([['   Data:'], [fit.dataName]]));
  if (fit.model.weightsName) out.push(...catFill([['Weights:'], [fit.model.weightsName]]));
  out.push('');
  // .prt.aictab: AIC, BIC, logLik, deviance (−2ℓ), df.resid
  const vals = [fit.AIC, fit.BIC, fit.logLik, fit.objective, fit.dfResidual].map((v) => roundR(v, 1));
  const f = formatR(vals, 7);
  f[4] = formatR([vals[4]], 7)[0];
  out.push(...printNamedVector(f, ['AIC', 'BIC', 'logLik', 'deviance', 'df.resid']));
  out.push('');
  // .prt.resids: scaled Pearson residuals
  out.push('Scaled residuals: ');
  const rq = zapsmall(quantile7(fit.residuals('pearson'), [0, 0.25, 0.5, 0.75, 1]), DIGITS + 1);
  out.push(...printNamedVector(formatR(rq, DIGITS), ['Min', '1Q', 'Median', '3Q', 'Max']));
  out.push('');
  // .prt.VC
  out.push('Random effects:');
  out.push(...formatVarCorr(fit));
  // .prt.grps
  const groups = Object.entries(fit.ngroups).map(([g, n]) => `${g}, ${n}`).join('; ');
  out.push(...catFill([[`Number of obs: ${fit.nobs}, groups: `], [groups]]));
  const names = fit.model.frame.xnames;
  const p = names.length;
  if (p > 0) {
    out.push('', 'Fixed effects:');
    out.push(...coefTable(fit));
    if (p > COR_MAX) {
      out.push('', `Correlation matrix not shown by default, as p = ${p} > ${COR_MAX}.`,
        'Use fit.vcov (or the JSON output\'s "vcov") if you need it', '');
    } else if (p > 1) {
      out.push('', 'Correlation of Fixed Effects:');
      out.push(...fixefCorrelation(fit.vcov, names));
    }
  }
  const fitMsgs = fit.messages.filter((m) => m.startsWith('fixed-effect model matrix is rank deficient'));
  const otherMsgs = fit.messages.filter((m) => !fitMsgs.includes(m));
  if (fitMsgs.length > 0) out.push('fit warnings:', ...fitMsgs);
  if (!fit.converged || otherMsgs.length > 0) {
    const code = fit.converged ? 0 : 1;
    const why = fit.converged ? '(OK)' : fit.optimizerMessage ? `(${fit.optimizerMessage})` : '';
    out.push(`optimizer (bobyqa) convergence code: ${code} ${why}`, ...otherMsgs, '');
  }
  if (out[out.length - 1] !== '') out.push('');
  const b = fit.backend;
  out.push(`Backend: ${b.name} (${b.device}); ${fit.feval} evaluations; ${fit.converged ? 'converged' : 'not converged'}; Var(fixed effects) from the ${fit.vcovMethod === 'hessian' ? 'finite-difference Hessian' : 'RX factor'}`);
  return out.join('\n');
}

/** .prt.methTit: "title ['class']", or the title wrapped (strwrap to width − 2, exdent 2) then " [class]" */
function methodTitle(title: string, cls: string): string[] {
  if (title.length + 5 + cls.length <= WIDTH) return [`${title} ['${cls}']`];
  const lines: string[] = [];
  let cur = '';
  for (const word of title.split(' ')) {
    const candidate = cur === '' ? (lines.length > 0 ? '  ' : '') + word : `${cur} ${word}`;
    if (cur !== '' && candidate.length >= WIDTH - 2) {
      lines.push(cur);
      cur = `  ${word}`;
    } else cur = candidate;
  }
  const last = `${cur} [${cls}]`;
  if (last.length <= WIDTH) lines.push(last);
  else lines.push(cur, ` [${cls}]`);
  return lines;
}

/** lme4's formatVC(VarCorr(fit), digits = 4, comp = c("Variance", "Std.Dev.")) without the residual row */
function formatVarCorr(fit: GlmmFit): string[] {
  interface Block { group: string; names: string[]; sd: number[]; corr: number[][] }
  const blocks: Block[] = [];
  const rows = fit.varCorr;
  for (const r of rows) {
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
  const sds = blocks.flatMap((b) => b.sd);
  const nr = sds.length;
  const groupCol: string[] = [];
  const nameCol: string[] = [];
  for (const b of blocks) b.names.forEach((nm, i) => { groupCol.push(i === 0 ? b.group : ''); nameCol.push(nm); });
  const varCol = formatR(sds.map((s) => s * s), DIGITS);
  const sdCol = formatR(sds, DIGITS);
  const cols = [groupCol, nameCol, varCol, sdCol];
  const labels = ['Groups', 'Name', 'Variance', 'Std.Dev.'];
  const maxlen = Math.max(...blocks.map((b) => b.names.length), 1);
  if (maxlen > 1) {
    const dig = Math.max(2, DIGITS - 2);
    const corrRows: string[][] = [];
    for (const b of blocks) {
      const q = b.names.length;
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

/** printCoefmat(cbind(Estimate, Std. Error, z value, Pr(>|z|)), digits = 4, signif.stars = TRUE) */
function coefTable(fit: GlmmFit): string[] {
  const rowsC = fit.coefficients;
  const names = rowsC.map((r) => r.name);
  const est = rowsC.map((r) => r.estimate);
  const se = rowsC.map((r) => r.se);
  const zv = rowsC.map((r) => r.z);
  const pv = rowsC.map((r) => r.p);
  const digTst = Math.max(1, Math.min(5, DIGITS - 1));
  const p = names.length;
  const acs = [...est, ...se].map(Math.abs).filter((a) => Number.isFinite(a) && a !== 0);
  const digmin = acs.length ? [Math.min(...acs), Math.max(...acs)].map((a) => 1 + Math.floor(Math.log10(a))) : [1, 1];
  const dec = Math.max(1, DIGITS - digmin[0], DIGITS - digmin[1]);
  const csVals = [...est, ...se];
  const cs = formatR(csVals.map((v) => roundR(v, dec)), DIGITS);
  const bad = csVals.map((v, k) => Number.isFinite(v) && (v === 0) !== (Number(cs[k]) === 0));
  const badIdx = bad.flatMap((b, k) => (b ? [k] : []));
  if (badIdx.length) {
    const re = formatR(badIdx.map((k) => csVals[k]), Math.max(1, DIGITS - 1));
    badIdx.forEach((k, i) => { cs[k] = re[i]; });
  }
  const zCol = formatR(zv.map((v) => roundR(v, digTst)), DIGITS);
  const pCol = formatPval(pv, digTst);
  const cols = [cs.slice(0, p), cs.slice(p), zCol, pCol];
  const labels = ['Estimate', 'Std. Error', 'z value', 'Pr(>|z|)'];
  const finiteP = pv.filter((x) => Number.isFinite(x));
  const stars = finiteP.some((x) => x < 0.1);
  if (stars) {
    const sym = pv.map((x) => (!Number.isFinite(x) ? '' : x <= 0.001 ? '***' : x <= 0.01 ? '**' : x <= 0.05 ? '*' : x <= 0.1 ? '.' : ' '));
    const w = Math.max(...sym.map((s) => s.length));
    cols.push(sym.map((s) => s.padEnd(w)));
    labels.push('');
  }
  const lines = printMatrix(cols, names, labels, true);
  if (stars) lines.push('---', "Signif. codes:  0 ‘***’ 0.001 ‘**’ 0.01 ‘*’ 0.05 ‘.’ 0.1 ‘ ’ 1");
  return lines;
}

/** R's format.pval(pv, digits, eps = .Machine$double.eps) */
function formatPval(pv: number[], digits: number): string[] {
  const eps = Number.EPSILON;
  const out: string[] = pv.map(() => 'NA');
  const idx = pv.map((_, i) => i).filter((i) => !Number.isNaN(pv[i]));
  const is0 = idx.filter((i) => pv[i] < eps);
  const not0 = idx.filter((i) => !(pv[i] < eps));
  let rr: string[] = [];
  if (not0.length) {
    const expo = not0.map((i) => Math.floor(Math.log10(pv[i] > 0 ? pv[i] : 1e-50)));
    const fixp = not0.filter((_, k) => expo[k] >= -3 || (expo[k] === -4 && digits > 1));
    const sci = not0.filter((i) => !fixp.includes(i));
    if (fixp.length) formatR(fixp.map((i) => pv[i]), digits).forEach((s, k) => { out[fixp[k]] = s; });
    if (sci.length) formatR(sci.map((i) => pv[i]), digits).forEach((s, k) => { out[sci[k]] = s; });
    rr = not0.map((i) => out[i]);
  }
  if (is0.length) {
    let d = Math.max(1, digits - 2);
    let sep: string;
    if (not0.length) {
      const nc = Math.max(...rr.map((s) => s.length));
      if (d > 1 && d + 6 > nc) d = Math.max(1, nc - 7);
      sep = d === 1 && nc <= 6 ? '' : ' ';
    } else sep = d === 1 ? '' : ' ';
    const e = formatR([eps], d)[0].trim();
    for (const i of is0) out[i] = `<${sep}${e}`;
  }
  return out;
}

/** the "Correlation of Fixed Effects" block: lower triangle of cov2cor(vcov), 3 decimals */
function fixefCorrelation(vcov: number[][], names: string[]): string[] {
  const p = names.length;
  const vals: number[] = [];
  for (let j = 0; j < p; j++) {
    for (let i = 0; i < p; i++) vals.push(roundR(vcov[i][j] / Math.sqrt(vcov[i][i] * vcov[j][j]), 3));
  }
  const f = formatR(vals, 7, 3);
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
 * R's zapsmall(x, digits) as in R 4.2: round(x, max(0, digits − log10(max |x|))), where round()
 * takes the nearest integer number of digits (fround: floor(digits + 0.5)).
 */
function zapsmall(xs: number[], digits: number): number[] {
  const finite = xs.filter((x) => !Number.isNaN(x));
  if (finite.length === 0) return xs;
  const mx = Math.max(...finite.map(Math.abs));
  const d = mx > 0 ? Math.floor(Math.max(0, digits - Math.log10(mx)) + 0.5) : digits;
  return xs.map((x) => roundR(x, d));
}

/** print() of a named vector of formatted entries */
function printNamedVector(values: string[], names: string[]): string[] {
  const w = Math.max(...values.map((v) => v.length), ...names.map((n) => n.length));
  const perLine = Math.max(1, Math.floor(WIDTH / (w + 1)));
  const lines: string[] = [];
  for (let k = 0; k < values.length; k += perLine) {
    lines.push(names.slice(k, k + perLine).map((n) => n.padStart(w) + ' ').join(''));
    lines.push(values.slice(k, k + perLine).map((v) => v.padStart(w) + ' ').join(''));
  }
  return lines;
}

/** print() of a character matrix with quote = FALSE (see src/results/summary.ts) */
function printMatrix(cols: string[][], rowNames: string[], colNames: string[], right: boolean): string[] {
  const rlabw = Math.max(0, ...rowNames.map((r) => r.length));
  const w = cols.map((c, j) => Math.max(colNames[j].length, ...c.map((s) => s.length)));
  const lines: string[] = [];
  const pad = (s: string, width: number) => (right ? s.padStart(width) : s.padEnd(width));
  let jmin = 0;
  while (jmin < cols.length) {
    let width = rlabw;
    let jmax = jmin;
    do { width += w[jmax] + 1; jmax++; } while (jmax < cols.length && width + w[jmax] + 1 < WIDTH);
    let header = ' '.repeat(rlabw);
    for (let j = jmin; j < jmax; j++) header += ' ' + pad(colNames[j], w[j]);
    lines.push(header);
    rowNames.forEach((rn, i) => {
      let line = rn.padEnd(rlabw);
      for (let j = jmin; j < jmax; j++) line += ' ' + pad(cols[j][i], w[j]);
      lines.push(line);
    });
    jmin = jmax;
  }
  return lines;
}

/** cat(..., fill = TRUE) of character vectors */
function catFill(objects: string[][]): string[] {
  const lines: string[] = [];
  let cur = '';
  let width = 0;
  let first = true;
  objects.forEach((obj, iobj) => {
    obj.forEach((item, i) => {
      if (!first) cur += ' ';
      const w = item.length;
      if ((iobj > 0 || i > 0) && !first && width + w + 1 > WIDTH) {
        lines.push(cur);
        cur = '';
        width = 0;
      }
      cur += item;
      width += w + 1;
      first = false;
    });
  });
  lines.push(cur);
  return lines;
}
