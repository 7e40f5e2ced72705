/**
 * Worker side of the Adjusted predictions card (ggeffects 1.2.0's ggpredict and ggemmeans): the library's
 * own `ggpredictAsync` / `ggemmeansAsync` (src/inference/ggRows.ts) on a kept lmer or glmer fit, in memory or streamed, its data frame,
 * "Adjusted for" and printout as the page shows them. What the card offers for a fit (ggSetup) is the fit's
 * fixed-part variables and one-variable grouping factors, and the library's refusal of the whole fit where
 * it has one (a model with an offset); every other refusal (a term, a type) is the library's message for
 * the request that causes it.
 */
import { ggpredict } from '../../src/inference/ggpredict.js';
import { ggemmeansAsync, ggpredictAsync } from '../../src/inference/ggRows.js';
import { ModelError } from '../../src/errors/errors.js';
import { emmVariables } from './inference.js';
import type { AnyFit } from './fitting.js';
import type { GgMsg, GgRequest, GgSetup } from './protocol.js';

const message = (e: unknown) => (e as Error)?.message ?? String(e);

/** the levels a card lists for a factor (its chooser's hint and the page's check of a level typed) */
const MAX_LEVELS = 200;

/**
 * The library's refusal of the fit as a whole, or null: a call with no terms reaches the library's checks
 * of the model (an offset) before its check of the terms, which refuses the empty list (an OptionError).
 */
function wholeFitRefusal(fit: AnyFit): string | null {
  try {
    ggpredict(fit, []);
  } catch (e) {
    if (e instanceof ModelError) return message(e);
  }
  return null;
}

/** What the card offers: the fixed part's variables, the grouping factors of one variable, or the library's refusal. */
export function ggSetup(fit: AnyFit): GgSetup {
  const frame = fit.model.frame;
  const variables = emmVariables(fit).map((v) => {
    const col = frame.columns.get(v.name);
    const levels = col?.kind === 'factor' ? col.levels : [];
    return { name: v.name, kind: v.kind, levels: levels.slice(0, MAX_LEVELS), nlevels: levels.length };
  });
  // a grouping factor of one variable is a focal term of ggpredict's type 'random' (its levels' predictions)
  const seen = new Set<string>();
  const grouping = [];
  for (const t of frame.reTerms) {
    if (t.term.group.length !== 1 || seen.has(t.group)) continue;
    seen.add(t.group);
    grouping.push({ name: t.group, kind: 'grouping' as const, levels: t.levels.slice(0, MAX_LEVELS), nlevels: t.levels.length });
  }
  return { refusal: wholeFitRefusal(fit), variables: [...variables, ...grouping.filter((g) => !variables.some((v) => v.name === g.name))] };
}

/**
 * ggpredict(fit, terms, type, ci.lvl) or ggemmeans(…) of the fit: ggeffects's data frame, its "Adjusted for"
 * and printout. A streamed fit's default values come from the library's scans over the rows it used
 * (ggpredictAsync: passes over the Parquet file, in the worker); an in-memory fit's from its rows.
 */
export async function runGgeffects(fit: AnyFit, req: GgRequest): Promise<GgMsg> {
  const t0 = performance.now();
  const options = { type: req.type, level: req.level };
  const g = req.method === 'ggemmeans' ? await ggemmeansAsync(fit, req.terms, options) : await ggpredictAsync(fit, req.terms, options);
  return {
    request: req,
    method: g.method,
    terms: [...g.terms],
    title: g.title,
    type: req.type,
    level: g.level,
    df: g.df,
    predictionInterval: g.predictionInterval,
    rows: g.rows.map((r) => ({ ...r })),
    xKind: g.rows.length > 0 && typeof g.rows[0]!.x === 'number' ? 'numeric' : 'factor',
    adjustedFor: g.constantValues.map((c) => ({ name: c.name, value: c.population ? '0 (population-level)' : String(c.value) })),
    messages: [...g.messages, ...(g.predictionInterval ? ['Intervals are prediction intervals.'] : [])],
    text: g.toString(),
    elapsedMs: performance.now() - t0,
  };
}
