/**
 * Worker side of the ANOVA (afex) card: the library's mixed() (afex's) on a kept lmer or glmer fit's
 * formula and data, with the fit's family, link, nAGQ, factor columns and data name, the card's method,
 * type, test_intercept, expand_re and PB's args_test; its progress (one report per fit and test) and
 * Cancel through its AbortSignal. The library's refusals (KR and S of a GLMM, …) are the card's message.
 */
import type * as arrow from 'apache-arrow';
import { ModelError } from '../../src/errors/errors.js';
import { mixed } from '../../src/afex/mixed.js';
import { type StoredFit, dataNameOf } from './fitting.js';
import type { AfexMsg, AfexRequest } from './protocol.js';
import { afexRefusal } from './afex.js';

export interface AfexContext {
  signal: AbortSignal;
  onProgress: (p: { done: number; total: number; label: string }) => void;
}

export async function runAfex(stored: StoredFit, table: arrow.Table | null, req: AfexRequest, ctx: AfexContext): Promise<AfexMsg> {
  const t0 = performance.now();
  if (!table) throw new ModelError('load data first');
  const why = afexRefusal(stored.request);
  if (why) throw new ModelError(why);
  const r = stored.request;
  const glmm = r.family !== 'gaussian';
  const m = await mixed(r.formula, table, {
    method: req.method, type: req.type, testIntercept: req.testIntercept, expandRe: req.expandRe,
    ...(req.method === 'PB' ? { argsTest: { nsim: req.nsim ?? 1000, seed: req.seed ?? 1 } } : {}),
    ...(req.perParameter && req.perParameter.length > 0 ? { perParameter: req.perParameter } : {}),
    ...(glmm ? { family: r.family as never, ...(r.link ? { link: r.link as never } : {}), ...(r.nAGQ !== undefined && r.nAGQ !== 1 ? { nAGQ: r.nAGQ } : {}) } : {}),
    factors: r.factors,
    dataName: dataNameOf(r.dataName),
    signal: ctx.signal,
    onProgress: (p) => ctx.onProgress({ done: p.done, total: p.total, label: p.what }),
  });
  const nice = m.nice();
  return {
    request: req, columns: m.columns, anova: m.anova(), nice: { columns: nice.columns, rows: nice.rows },
    messages: m.messages, text: m.print().join('\n'), fullFormula: m.fullFormulas[m.fullFormulas.length - 1] ?? r.formula,
    elapsedMs: performance.now() - t0,
  };
}
