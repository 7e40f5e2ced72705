/**
 * Worker side of the meta-analysis mode: effect sizes from the table's yi/vi columns or computed
 * by the library's escalc (metafor's escalc: SMD from means, SDs and ns, OR/RR/RD from 2×2 counts,
 * ZCOR from r and n, …), then the library's meta() — metafor's rma, with moderators a
 * meta-regression, with a cluster column the three-level model (rma.mv, `~ 1 | cluster/study`) —
 * and what the page draws of it: the coefficients, the pooled estimate with its confidence and
 * prediction intervals, the heterogeneity statistics, and the studies for the forest and funnel plots.
 */
import * as arrow from 'apache-arrow';
import { EFFECT_MEASURES, MEASURE_INPUTS, escalcTable, meta } from '../../src/index.js';
import { freshName } from '../../src/meta/meta.js';
import type { EffectMeasure, EscalcColumns } from '../../src/index.js';
import type { MetaRequest, MetaResultMsg, RobustMsg } from './protocol.js';
import { runMetaRobust } from './robustRun.js';

/** the effect sizes of the request: the table with escalc's yi and vi appended, or as it is */
export function effectSizes(table: arrow.Table, req: MetaRequest): { table: arrow.Table; yi: string; vi: string; messages: string[] } {
  if (!req.escalc) {
    for (const c of [req.yi, req.vi]) if (!c || !table.getChild(c)) throw new Error(`column '${c}' is not in the data`);
    if (req.yi === req.vi) throw new Error('the effect sizes (yi) and the sampling variances (vi) must be different columns');
    return { table, yi: req.yi, vi: req.vi, messages: [] };
  }
  const { measure, columns } = req.escalc;
  if (!(EFFECT_MEASURES as readonly string[]).includes(measure)) throw new Error(`unknown effect-size measure '${measure}'`);
  // every input of the measure, one of each pair of alternatives ('bi|n1i')
  const given: EscalcColumns = {};
  for (const slot of MEASURE_INPUTS[measure as EffectMeasure]) {
    const alts = slot.split('|') as (keyof EscalcColumns)[];
    const chosen = alts.filter((a) => columns[a]);
    if (chosen.length === 0) throw new Error(`escalc ${measure}: choose the column of ${alts.join(' or ')}`);
    if (chosen.length > 1) throw new Error(`escalc ${measure}: choose ${alts.join(' or ')}, not both`);
    given[chosen[0]!] = columns[chosen[0]!];
  }
  const names = { yi: freshName(table, 'yi'), vi: freshName(table, 'vi') };
  const out = escalcTable(measure, table, given, { names, slab: req.slab || undefined });
  return { table: out.table, yi: names.yi, vi: names.vi, messages: out.result.messages };
}

export async function runMeta(table: arrow.Table, req: MetaRequest): Promise<MetaResultMsg> {
  const t0 = performance.now();
  if (req.slab && !table.getChild(req.slab)) throw new Error(`column '${req.slab}' is not in the data`);
  const es = effectSizes(table, req);
  let t = es.table;
  let random: string | undefined;
  if (req.cluster) {
    if (!t.getChild(req.cluster)) throw new Error(`cluster column '${req.cluster}' is not in the data`);
    let inner = req.inner;
    if (inner && !t.getChild(inner)) throw new Error(`column '${inner}' is not in the data`);
    if (inner === req.cluster) throw new Error('the cluster and the study within it must be different columns');
    if (!inner) {
      // each row an estimate within its cluster (metafor's ~ 1 | cluster/es_id)
      inner = freshName(t, 'es_id');
      t = t.assign(new arrow.Table({ [inner]: arrow.makeVector(Float64Array.from({ length: t.numRows }, (_, i) => i + 1)) }));
    }
    random = `~ 1 | ${req.cluster}/${inner}`;
  }
  const mods = req.mods?.trim() ? req.mods.trim() : undefined;
  const fit = await meta(t, {
    yi: es.yi, vi: es.vi, slab: req.slab || undefined, method: req.method as 'REML', test: (req.test ?? 'z') as 'z',
    mods, random, factors: req.factors, dataName: req.dataName,
  });
  const pred = fit.predict;
  const c = fit.coef;
  const r = (fit.uni ?? fit.mv)!;
  // clubSandwich's robust variance estimation, when asked: its refusal (e.g. rma.uni without a cluster) is a note, not the fit's error
  let robust: RobustMsg | null = null;
  let robustError: string | null = null;
  if (req.robust) {
    try {
      // with moderators, their joint Wald test (HTZ; the robust counterpart of QM) unless the request names one
      const mods = fit.coef.names.filter((n, j) => j > 0 || n !== 'intrcpt');
      const wald = req.robust.wald ?? (fit.intOnly || mods.length === 0 ? undefined : { items: mods.map((n) => `coef:${n}`), kind: 'zero' as const, tests: ['HTZ' as const] });
      robust = runMetaRobust(fit, { ...req.robust, ...(wald ? { wald } : {}) });
    } catch (e) {
      robustError = (e as Error).message ?? String(e);
    }
  }
  return {
    summary: fit.summary(),
    model: fit.kind,
    k: fit.k,
    method: fit.method,
    test: r.test,
    mods: fit.mods,
    random: fit.random,
    escalc: req.escalc ? { measure: req.escalc.measure, yi: es.yi, vi: es.vi } : null,
    intOnly: fit.intOnly,
    coef: c.names.map((name, j) => ({ name, estimate: c.beta[j]!, se: c.se[j]!, stat: c.stat[j]!, p: c.pval[j]!, lo: c.ciLb[j]!, hi: c.ciUb[j]! })),
    pooled: fit.intOnly ? { mu: c.beta[0]!, se: c.se[0]!, ci: [c.ciLb[0]!, c.ciUb[0]!], pi: [pred.piLb[0]!, pred.piUb[0]!] } : null,
    tau2: fit.uni ? fit.uni.tau2 : null,
    I2: fit.uni ? fit.uni.I2 : null,
    H2: fit.uni ? fit.uni.H2 : null,
    R2: fit.uni ? fit.uni.R2 : null,
    sigma2: fit.mv ? fit.mv.sigma2.map((v, l) => ({ name: fit.mv!.sigma2Names[l]!, value: v, levels: fit.mv!.sigma2Levels[l]! })) : null,
    QE: r.het.QE,
    QEdf: r.het.QEdf,
    QEp: r.het.QEp,
    QM: fit.intOnly ? null : { QM: r.moderators.QM, df: r.moderators.QMdf, p: r.moderators.QMp },
    level: fit.level,
    studies: fit.studies().map((s) => ({ label: s.label, yi: s.yi, sei: s.sei, lo: s.ci_lb, hi: s.ci_ub, weight: s.weight, fitted: s.fitted })),
    messages: [...es.messages, ...fit.messages],
    elapsedMs: performance.now() - t0,
    robust,
    robustError,
  };
}
