/**
 * Worker side of the meta-analysis mode: the library's meta() (metafor's rma) on the loaded table,
 * and what the page draws of it — the pooled estimate with its confidence and prediction intervals,
 * the heterogeneity statistics and the studies for the forest and funnel plots.
 */
import type * as arrow from 'apache-arrow';
import { meta } from '../../src/index.js';
import type { MetaRequest, MetaResultMsg } from './protocol.js';

export async function runMeta(table: arrow.Table, req: MetaRequest): Promise<MetaResultMsg> {
  const t0 = performance.now();
  for (const c of [req.yi, req.vi, req.slab]) {
    if (c && !table.getChild(c)) throw new Error(`column '${c}' is not in the data`);
  }
  if (req.yi === req.vi) throw new Error('the effect sizes (yi) and the sampling variances (vi) must be different columns');
  const fit = await meta(table, { yi: req.yi, vi: req.vi, slab: req.slab || undefined, method: req.method as 'REML', dataName: req.dataName });
  const uni = fit.uni;
  if (!uni) throw new Error('a multilevel model is not drawn here');
  const pred = fit.predict;
  return {
    summary: fit.summary(),
    k: fit.k,
    method: fit.method,
    mu: uni.coef.beta[0]!,
    se: uni.coef.se[0]!,
    ci: [uni.coef.ciLb[0]!, uni.coef.ciUb[0]!],
    pi: [pred.piLb[0]!, pred.piUb[0]!],
    tau2: uni.tau2,
    I2: uni.I2,
    H2: uni.H2,
    QE: uni.het.QE,
    QEdf: uni.het.QEdf,
    QEp: uni.het.QEp,
    level: fit.level,
    studies: fit.studies().map((s) => ({ label: s.label, yi: s.yi, sei: s.sei, lo: s.ci_lb, hi: s.ci_ub, weight: s.weight })),
    elapsedMs: performance.now() - t0,
  };
}
