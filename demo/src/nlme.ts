/**
 * Worker side of nlme fits (the library's lme and gls, src/nlme): a Gaussian model whose residuals have a
 * variance function (varIdent, varPower, varExp, varConstPower, varFixed, varComb) and/or a correlation structure
 * (corAR1, corARMA, corCAR1, corCompSymm, corSymm, corNatural, corExp, corGaus, corSpher, corLin, corRatio), asked for by the model form's "Residual variance" and
 * "Residual correlation" boxes. The formula's random-effects term, `(1 | g)` or `(x | g)` on one grouping
 * factor, is lme's random as lme4 writes it; a formula without one is a gls fit. What the page shows is the
 * library's: nlme's summary printout, its fixed-effects table (Value, Std.Error, DF, t-value, p-value), the
 * criteria, σ, the random effects' SDs and the structures' estimates. No library math here.
 */
import type * as arrow from 'apache-arrow';
import { gls, lme, parseFormula, type GlsFit, type LmeFit } from '../../src/index.js';
import { PlacedError, placeError } from './fitting.js';
import type { FitRequest, NlmeResultMsg } from './protocol.js';

export type NlmeFit = LmeFit | GlsFit;

/** the request asks for an nlme fit: a Gaussian model with a residual variance function or correlation structure */
export function isNlmeRequest(req: Pick<FitRequest, 'family' | 'nlmeWeights' | 'nlmeCorrelation'>): boolean {
  return req.family === 'gaussian' && (!!req.nlmeWeights?.trim() || !!req.nlmeCorrelation?.trim());
}

/** what the boxes must start with: the library's structures by name */
const VAR_PREFIX = /^var(Ident|Power|Exp|ConstPower|Fixed|Comb)\s*\(/;
const COR_PREFIX = /^cor(AR1|ARMA|CAR1|CompSymm|Symm|Natural|Exp|Gaus|Spher|Lin|Ratio)\s*\(/;

/** a box's problem as the page says it before fitting (null where the text names a structure the library has) */
export function nlmeBoxProblem(kind: 'weights' | 'correlation', text: string): string | null {
  const t = text.trim();
  if (t === '') return null;
  if (kind === 'weights' && !VAR_PREFIX.test(t)) return `Residual variance: '${t}' is not one of nlme's variance functions offered here (varIdent, varPower, varExp, varConstPower, varFixed, varComb), such as varIdent(form = ~ 1 | Sex).`;
  if (kind === 'correlation' && !COR_PREFIX.test(t)) return `Residual correlation: '${t}' is not one of nlme's correlation structures offered here (corAR1, corARMA, corCAR1, corCompSymm, corSymm, corNatural, corExp, corGaus, corSpher, corLin, corRatio), such as corAR1(form = ~ 1 | Subject).`;
  return null;
}

/**
 * The formula's lme4 random-effects terms as nlme's lme takes them: the fixed part (the formula without its
 * top-level `( … | … )` terms; `y ~ 1` where nothing is left) and each term's `~ lhs | group` (so that nlme's
 * printout says "Fixed effects:  y ~ x", as nlme's own does).
 */
export function splitLmeFormula(formula: string): { fixed: string; random: string[] } {
  const random: string[] = [];
  let fixed = '';
  let i = 0;
  while (i < formula.length) {
    if (formula[i] === '(') {
      // the parenthesized group's end (nested parentheses kept together)
      let depth = 0;
      let j = i;
      for (; j < formula.length; j++) {
        if (formula[j] === '(') depth++;
        else if (formula[j] === ')' && --depth === 0) break;
      }
      const inner = formula.slice(i + 1, j);
      let d = 0;
      let bar = -1;
      for (let k = 0; k < inner.length; k++) {
        if (inner[k] === '(') d++;
        else if (inner[k] === ')') d--;
        else if (inner[k] === '|' && d === 0 && bar < 0) bar = k;
      }
      if (bar >= 0) {
        random.push(`~ ${inner.slice(0, bar).trim()} | ${inner.slice(bar + 1).trim()}`);
        fixed += '\u0000';
      } else fixed += formula.slice(i, j + 1);
      i = j + 1;
    } else fixed += formula[i++];
  }
  // the removed terms' '+' signs: "a + \0 + b" → "a + b"; a formula with no fixed term left keeps its intercept
  fixed = fixed.replace(/\s*\+\s*\u0000/g, '').replace(/\u0000\s*\+\s*/g, '').replace(/\u0000/g, '').trim();
  if (/~\s*$/.test(fixed)) fixed += ' 1';
  return { fixed, random };
}

/**
 * Fits the request by lme (a random-effects term in the formula) or gls (none), REML or ML as the
 * Criterion says, on the CPU (the library's nlme code has no GPU path); Cancel through the signal.
 */
export async function runNlme(table: arrow.Table, req: FitRequest, signal?: AbortSignal): Promise<{ fit: NlmeFit; fn: 'lme' | 'gls' }> {
  const weights = req.nlmeWeights?.trim() || undefined;
  const correlation = req.nlmeCorrelation?.trim() || undefined;
  const problem = (weights ? nlmeBoxProblem('weights', weights) : null) ?? (correlation ? nlmeBoxProblem('correlation', correlation) : null);
  if (problem) throw new PlacedError(problem, 'options');
  if (req.relmat) throw new PlacedError('A relatedness file is for lmer and glmer fits: remove it for an nlme (lme/gls) fit.', 'options');
  if (req.prior) throw new PlacedError('blme\'s priors are for lmer and glmer fits: choose Priors: none for an nlme (lme/gls) fit.', 'options');
  let random = 0;
  try {
    random = parseFormula(req.formula).random.length;
  } catch (e) {
    throw placeError(e);
  }
  const options = {
    ...(weights ? { weights } : {}),
    ...(correlation ? { correlation } : {}),
    method: req.reml ? ('REML' as const) : ('ML' as const),
    factors: req.factors,
    ...(signal ? { signal } : {}),
    ...(req.dataName ? { dataName: req.dataName.replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9._]+/g, '_') || 'data' } : {}),
  };
  try {
    if (random > 0) {
      const split = splitLmeFormula(req.formula);
      // one term as nlme's random; several are the library's refusal (one level of grouping), as written
      if (split.random.length === 1 && !req.formula.includes('||')) return { fit: await lme(split.fixed, table, { ...options, random: split.random[0]! }), fn: 'lme' };
      return { fit: await lme(req.formula, table, options), fn: 'lme' };
    }
    return { fit: await gls(req.formula, table, options), fn: 'gls' };
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e;
    const msg = (e as Error)?.message ?? String(e);
    // the structures' own complaints belong to their boxes under Options
    if (/\b(var(Ident|Power|Exp|ConstPower|Fixed|Comb)|cor(AR1|CAR1|CompSymm|Exp|Gaus|ARMA|Symm|Spher|Lin|Ratio)|variance function|correlation)\b/.test(msg)) throw new PlacedError(msg, 'options');
    throw placeError(e);
  }
}

/** The page's view of an lme or gls fit (the library's numbers as they are). */
export function describeNlme(fit: NlmeFit, fn: 'lme' | 'gls', req: Pick<FitRequest, 'formula' | 'nlmeWeights' | 'nlmeCorrelation'>, elapsedMs: number): NlmeResultMsg {
  const lmeFit = fn === 'lme' ? (fit as LmeFit) : null;
  const vc = lmeFit?.varCorr;
  return {
    kind: 'nlme',
    fn,
    formula: req.formula,
    weights: req.nlmeWeights?.trim() || null,
    correlation: req.nlmeCorrelation?.trim() || null,
    method: fit.method,
    nobs: fit.nobs,
    group: lmeFit ? { name: lmeFit.group, levels: lmeFit.ngroups } : null,
    logLik: fit.logLik,
    AIC: fit.AIC,
    BIC: fit.BIC,
    sigma: fit.sigma,
    tTable: fit.tTable.map((r) => ({ ...r })),
    stdDev: vc ? vc.names.map((name, i) => ({ name, sd: vc.stdDev[i]! })) : [],
    varStruct: fit.varStruct ? { ...fit.varStruct, names: [...fit.varStruct.names], values: [...fit.varStruct.values] } : null,
    corStruct: fit.corStruct ? { ...fit.corStruct, names: [...fit.corStruct.names], values: [...fit.corStruct.values] } : null,
    converged: fit.converged,
    feval: fit.feval,
    summary: fit.summary(),
    elapsedMs,
  };
}
