/**
 * ggeffects's adjusted predictions of a fit whose rows are in an engine (a stream of record batches,
 * DuckDB, ClickHouse): what its default representative values and typical values read of a covariate's
 * values over the rows used, from the engine's scans (src/gram/usedRows.ts, kept on the fit's source),
 * then ggpredict.ts's own computation on those facts. Per covariate (m the rows used):
 *   one scan        m, Σx (x̄ = Σx/m), whether it holds whole numbers (R's all.equal(x, round(x)):
 *                   Σ|x − round x| / Σ|x| < 1.5e-8), with prior weights Σwx/Σw (R's weighted.mean);
 *   one scan        its distinct values (a stream: every covariate's in one pass), up to DISTINCT_CAP (the default's "fewer than 20: all of them",
 *                   pretty_range's count of distinct values, values_at's 'all');
 *   one scan        sd = √(Σ(x − x̄)²/(m − 1)) (mean ± sd: 'meansd', a group or facet's default);
 *   a few scans     R's type-7 quantiles ('quart', 'quart2', 'terciles', 'terciles2', typical 'median')
 *                   and fivenum, exact (src/gram/quantiles.ts: order statistics, not approximations);
 * min and max are the first pass's (frame.covariates). Scans run only for what the terms and options ask.
 */
import { ModelError } from '../errors/errors.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import { fixedVariables } from '../frame/covariates.js';
import { parseTerms } from './ggTerms.js';
import type { ValueSummary } from './prettyRange.js';
import { type GgEffects, type GgOptions, type GgRowFacts, ggemmeansWith, ggpredictWith } from './ggpredict.js';

/** the most distinct values of a covariate an engine fetches (past it: "more than DISTINCT_CAP") */
export const DISTINCT_CAP = 10_000;

/** what the representative and typical values of one covariate need */
interface Needs { distinct: boolean; sd: boolean; sdIfMany: boolean; probs: Set<number>; fivenum: boolean; weightedMean: boolean }

const QUART = [0, 0.25, 0.5, 0.75, 1];

/**
 * The facts the terms and options need, by the engine's scans over the rows used; null for a fit
 * whose rows are in memory (or with no scans kept: ggpredict.ts then says what is missing).
 */
export async function ggRowFacts(fit: LmmFit | GlmmFit, terms: unknown, options: GgOptions = {}): Promise<GgRowFacts | null> {
  const scan = fit.model.source?.usedRows;
  if (!scan) return null;
  const { frame } = fit.model;
  const names = fixedVariables(frame.formula);
  const isCovariate = (nm: string) => names.includes(nm) && frame.covariates?.has(nm) === true && frame.columns.get(nm)?.kind !== 'factor';
  const needs = new Map<string, Needs>();
  const need = (nm: string) => {
    let n = needs.get(nm);
    if (!n) needs.set(nm, (n = { distinct: false, sd: false, sdIfMany: false, probs: new Set(), fivenum: false, weightedMean: false }));
    return n;
  };
  // the focal covariates: what their values' choice reads (ggpredict.ts focalValues)
  const parsed = parseTerms(terms);
  parsed.forEach((t, position) => {
    if (!isCovariate(t.name)) return;
    const v = t.values;
    if (v.kind === 'list' || v.kind === 'seq') return;
    const n = need(t.name);
    if (v.kind === 'default') { n.distinct = true; if (position > 0) n.sdIfMany = true; }
    if (v.kind === 'pretty') n.distinct = true;
    if (v.kind === 'valuesAt') {
      if (v.how === 'all') n.distinct = true;
      if (v.how === 'meansd') n.sd = true;
      if (v.how === 'fivenum') n.fivenum = true;
      if (v.how === 'quart' || v.how === 'quart2' || v.how === 'terciles' || v.how === 'terciles2') {
        // check_rv's quartiles, then the choice's own
        for (const p of QUART) n.probs.add(p);
        if (v.how.startsWith('terciles')) for (const p of [1 / 3, 2 / 3]) n.probs.add(p);
      }
    }
  });
  // the other covariates' typical values: the median, or the weighted mean of a weighted lmer fit
  const condition = options && typeof options.condition === 'object' && options.condition !== null ? Object.keys(options.condition) : [];
  const weightedFit = !('family' in fit.model) && frame.weightsName !== undefined;
  for (const nm of names) {
    if (parsed.some((t) => t.name === nm) || condition.includes(nm) || !isCovariate(nm)) continue;
    if (options?.typical === 'median') need(nm).probs.add(0.5);
    else if (weightedFit) need(nm).weightedMean = true;
  }
  const facts: GgRowFacts = { summaries: new Map(), weightedMeans: new Map() };
  if (needs.size === 0) return facts;
  const list = [...needs.keys()];
  // one scan: m, Σx, the whole-number check's sums, the weighted sums
  const sums = await scan.sums(list);
  // one scan (SQL: a query each): the distinct values of the covariates whose choice reads them
  const distinct = new Map<string, number[] | null>();
  const withDistinct = list.filter((nm) => needs.get(nm)!.distinct);
  if (withDistinct.length > 0) (await scan.distinct(withDistinct, DISTINCT_CAP)).forEach((d, k) => distinct.set(withDistinct[k], d));
  const mean = new Map(list.map((nm, k) => [nm, sums[k].sum / sums[k].n] as const));
  // sd where asked, or where a group's or facet's default has at least 10 distinct values (mean ± sd)
  const many = (nm: string) => { const d = distinct.get(nm); return d === null || (d !== undefined && d.length >= 10); };
  const sdNames = list.filter((nm) => needs.get(nm)!.sd || (needs.get(nm)!.sdIfMany && many(nm)));
  const sd = new Map<string, number>();
  if (sdNames.length > 0) {
    // sd = √(Σ (x − x̄)² / (m − 1))
    const ss = await scan.squares(sdNames, sdNames.map((nm) => mean.get(nm)!));
    sdNames.forEach((nm, k) => sd.set(nm, Math.sqrt(ss[k] / (sums[list.indexOf(nm)].n - 1))));
  }
  for (const [k, nm] of list.entries()) {
    const n = needs.get(nm)!;
    const s = sums[k];
    const probs = [...n.probs].sort((a, b) => a - b);
    const q = probs.length > 0 ? await scan.quantiles(nm, probs) : [];
    const quantileAt = new Map(probs.map((p, j) => [p, q[j]] as const));
    const five = n.fivenum ? await scan.fivenum(nm) : null;
    const c = frame.covariates!.get(nm)!;
    const d = distinct.get(nm);
    const missing = (what: string): never => { throw new Error(`internal: ggeffects: ${what} of '${nm}' was not scanned`); };
    const summary: ValueSummary = {
      min: c.min, max: c.max,
      nDistinct: d ? d.length : DISTINCT_CAP + 1,
      distinct: d ?? null,
      meanSd: () => (sd.has(nm) ? { mean: mean.get(nm)!, sd: sd.get(nm)! } : missing('the sd')),
      // R's isTRUE(all.equal(x, round(x)))
      whole: () => (s.abs === 0 ? s.fracAbs === 0 : s.fracAbs / s.abs < 1.5e-8 || s.fracAbs === 0),
      quantiles: (ps) => ps.map((p) => quantileAt.get(p) ?? missing(`the quantile at ${p}`)),
      fivenum: () => five ?? missing('fivenum'),
    };
    if (d === undefined) Object.defineProperty(summary, 'distinct', { get: () => missing('the distinct values') });
    if (d === undefined) Object.defineProperty(summary, 'nDistinct', { get: () => missing('the number of distinct values') });
    facts.summaries.set(nm, summary);
    if (n.weightedMean) {
      if (!(s.w > 0)) throw new ModelError(`ggeffects: the weighted mean of '${nm}': the prior weights of the rows used sum to ${s.w}`);
      facts.weightedMeans.set(nm, s.wx / s.w);
    }
  }
  return facts;
}

/** ggeffects::ggpredict of any lmer or glmer fit; for a fit whose rows are in an engine, its scans supply what the rows would (ggRowFacts). */
export async function ggpredictAsync(fit: LmmFit | GlmmFit, terms: string | string[], options: GgOptions = {}): Promise<GgEffects> {
  return ggpredictWith(fit, terms, options, await ggRowFacts(fit, terms, options));
}

/** ggeffects::ggemmeans of any lmer or glmer fit; for a fit whose rows are in an engine, its scans supply what the rows would (ggRowFacts). */
export async function ggemmeansAsync(fit: LmmFit | GlmmFit, terms: string | string[], options: GgOptions = {}): Promise<GgEffects> {
  return ggemmeansWith(fit, terms, options, await ggRowFacts(fit, terms, options));
}
