/**
 * Worker side of smooth terms (the library's gamm4, src/gamm/): a formula with `s(…)` terms is split into
 * gamm4's arguments — the formula of the parametric terms and the smooths, and `random = ~ …` of its
 * `( | )` terms (gamm4 takes the random part as a one-sided formula of its own) — and fitted by gamm4 on
 * the CPU or WebGPU backend (Gaussian responses; Cancel through its signal); what the page shows of the fit:
 * the parametric table, each smooth's edf, SD and smoothing parameter, plot.gam's data (value ± 2 SE on a
 * grid over the covariate's range) with the data's covariate values for the rug, the mer's variance
 * components, summary(gam)'s printout and the mer's lme4 summary.
 */
import type * as arrow from 'apache-arrow';
import { gamm4, type Gamm4Fit } from '../../src/gamm/gamm4.js';
import type { Gamm4GlmmFit } from '../../src/gamm/gamm4Glmm.js';
import { PlacedError, placeError } from './fitting.js';
import type { FitRequest, GammResultMsg } from './protocol.js';
import { type GammSplit, gammFamilyProblem, splitGammFormula } from './gammFormula.js';

export { type GammSplit, splitGammFormula };

/** why a fit request with smooths cannot be fitted by gamm4 here, or null */
export function gammRefusal(req: Pick<FitRequest, 'family' | 'link' | 'prior' | 'relmat'>): string | null {
  const why = gammFamilyProblem(req.family, req.link);
  if (why) return why;
  if (req.prior) return "a gamm4 fit takes no priors (blme's are for lmer and glmer)";
  if (req.relmat) return 'a gamm4 fit takes no relatedness file';
  return null;
}

/** gamm4 of the request's formula (its smooths and random-effects terms split as gamm4 takes them) */
export type AnyGammFit = Gamm4Fit | Gamm4GlmmFit;

export async function runGamm(table: arrow.Table, req: FitRequest, signal: AbortSignal): Promise<{ fit: AnyGammFit; split: GammSplit }> {
  let split: GammSplit | null;
  try {
    split = splitGammFormula(req.formula);
  } catch (e) {
    throw placeError(e);
  }
  if (!split) throw new PlacedError('the formula has no smooth term s(x): it is fitted by lmer or glmer', 'formula');
  const why = gammRefusal(req);
  if (why) throw new PlacedError(why, 'options');
  try {
    const random = split.random ? { random: split.random } : {};
    // binomial and Poisson: glmer (gamm4's GLMM: canonical link, Laplace, ML)
    const fit = req.family === 'binomial' || req.family === 'poisson'
      ? await gamm4(split.formula, table, { ...random, family: req.family, factors: req.factors, backend: req.backend, signal })
      : await gamm4(split.formula, table, { ...random, REML: req.reml, factors: req.factors, backend: req.backend, signal });
    return { fit, split };
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw placeError(e);
  }
}

/** grid points of each smooth's curve (plot.gam's n = 100) */
export const GAMM_PLOT_POINTS = 100;
/** the most rug ticks per smooth (evenly spread over the sorted distinct values) */
export const GAMM_RUG_MAX = 2000;

/** a covariate's distinct finite values, sorted, at most `max` of them evenly spread */
export function rugValues(values: ArrayLike<number>, max = GAMM_RUG_MAX): number[] {
  const set = new Set<number>();
  for (let i = 0; i < values.length; i++) { const v = Number(values[i]); if (Number.isFinite(v)) set.add(v); }
  const all = [...set].sort((a, b) => a - b);
  if (all.length <= max) return all;
  return Array.from({ length: max }, (_, k) => all[Math.round((k * (all.length - 1)) / (max - 1))]!);
}

function columnValues(table: arrow.Table, name: string): number[] {
  const col = table.getChild(name);
  if (!col) return [];
  const out: number[] = [];
  for (const v of col) if (v !== null && v !== undefined) out.push(Number(v));
  return out;
}

/** what the page shows of a gamm4 fit */
export function describeGamm(fit: AnyGammFit, split: GammSplit, table: arrow.Table, elapsedMs: number): GammResultMsg {
  const g = fit.gam;
  const mer = fit.mer;
  const plots = fit.plotData(GAMM_PLOT_POINTS);
  const glmm = 'family' in g;
  const par = g.parametric as { names: string[]; estimate: number[]; se: number[]; p: number[]; t?: number[]; z?: number[] };
  return {
    formula: split.formula,
    random: split.random ?? null,
    input: split.parametric,
    family: glmm ? g.family : 'gaussian',
    link: glmm ? g.link : 'identity',
    reml: glmm ? false : (mer as Gamm4Fit['mer']).reml,
    n: g.n,
    sigma: glmm ? null : Math.sqrt(g.sig2),
    scaleEstimated: g.scaleEstimated,
    criterion: g.criterion,
    rSq: g.rSq,
    dfResidual: g.dfResidual,
    logLik: mer.logLik,
    AIC: mer.AIC,
    BIC: mer.BIC,
    smooths: g.smooths.map((s) => ({ label: s.label, term: s.term, bs: s.bs, ...(s.margins ? { margins: s.margins.map((m) => m.bs) } : {}), k: s.k, edf: s.edf, sd: s.sd, sp: s.sp, refDf: s.refDf, chiSq: s.chiSq, F: s.F, p: s.pValue })),
    statName: glmm ? 'z' : 't',
    parametric: par.names.map((name, j) => ({ name, estimate: par.estimate[j]!, se: par.se[j]!, stat: (glmm ? par.z! : par.t!)[j]!, p: par.p[j]! })),
    plots: plots.map((p, k) => ({ ...p, term: g.smooths[k]!.term, rug: rugValues(columnValues(table, g.smooths[k]!.term)) })),
    varCorr: mer.varCorr,
    smoothGroups: fit.setupGroups,
    summary: fit.summary(),
    merSummary: mer.summary(),
    messages: mer.messages,
    backend: mer.backend,
    elapsedMs,
  };
}
