/**
 * Worker side of the Cluster-robust card: clubSandwich's vcovCR, coef_test, conf_int and Wald_test of
 * a kept lmer fit (src/inference/robust/robust.ts) and of a meta-analysis (the MetaFit's methods,
 * src/meta/robustMeta.ts), with the model-based standard errors beside the robust ones. What the card
 * offers for a fit (robustSetup) is the library's answer: the clusters are the grouping factors that
 * resolveClusters accepts (every grouping factor nested in them), and a fit it refuses (glmer, a
 * streamed fit, a relatedness factor) carries the library's message.
 */
import type { LmmFit } from '../../src/lmm/lmmFit.js';
import { checkRobustFit, type CrType, type VcovCR } from '../../src/inference/robust/vcovCR.js';
import { resolveClusters } from '../../src/inference/robust/clusters.js';
import { termColumns } from '../../src/inference/termColumns.js';
import { coefTest, confIntCR, vcovCR, waldTest } from '../../src/inference/robust/robust.js';
import { checkCoefTest, type CoefTest, type ConfInt } from '../../src/inference/robust/coefTest.js';
import { checkWaldTests, type Constraints, type WaldTest } from '../../src/inference/robust/waldTest.js';
import { printCoefTest, printConfInt, printWaldTest } from '../../src/inference/robust/print.js';
import type { MetaFit } from '../../src/meta/metaFit.js';
import type { AnyFit } from './fitting.js';
import type { RobustMsg, RobustRequest, RobustSetup } from './protocol.js';

const message = (e: unknown) => (e as Error)?.message ?? String(e);

/** What the card offers for a fit: the clusters the library accepts (the default first), the Wald test's terms and coefficients, or the refusal. */
export function robustSetup(fit: AnyFit): RobustSetup {
  const frame = fit.model.frame;
  const coefficients = [...frame.xnames];
  const cols = termColumns(frame);
  const terms = frame.formula.fixed.terms
    .map((t, k) => ({ name: t.label, columns: (cols[k] ?? []).map((j) => frame.xnames[j]!) }))
    .filter((t) => t.columns.length > 0);
  try {
    checkRobustFit(fit);
  } catch (e) {
    return { refusal: message(e), clusters: [], defaultCluster: null, unavailable: [], coefficients, terms };
  }
  let defaultCluster: string | null = null;
  let defaultRefusal: string | null = null;
  try {
    defaultCluster = resolveClusters(frame).name;
  } catch (e) {
    defaultRefusal = message(e);
  }
  const clusters: string[] = [];
  const unavailable: { cluster: string; reason: string }[] = [];
  for (const g of new Set(frame.reTerms.map((t) => t.group))) {
    try {
      resolveClusters(frame, g);
      clusters.push(g);
    } catch (e) {
      unavailable.push({ cluster: g, reason: message(e) });
    }
  }
  if (defaultCluster !== null) clusters.sort((a, b) => (a === defaultCluster ? -1 : b === defaultCluster ? 1 : 0));
  // refused when no grouping factor can be the clusters (crossed factors: the default's reason)
  const refusal = clusters.length ? null : defaultRefusal ?? unavailable[0]?.reason ?? 'no grouping factor can serve as the clusters';
  return { refusal, clusters, defaultCluster, unavailable, coefficients, terms };
}

/** the Wald test's constraints of a request: its coefficients (a term: all its columns), each 0 or all equal */
export function waldConstraints(req: RobustRequest, setup: Pick<RobustSetup, 'terms' | 'coefficients'>): { label: string; constraints: Constraints; coefs: string[] } | null {
  if (!req.wald || req.wald.items.length === 0) return null;
  const coefs: string[] = [];
  for (const item of req.wald.items) {
    const term = item.startsWith('term:') ? setup.terms.find((t) => t.name === item.slice(5)) : undefined;
    const names = term ? term.columns : item.startsWith('coef:') ? [item.slice(5)] : [];
    if (names.length === 0 || !names.every((n) => setup.coefficients.includes(n))) throw new Error(`Wald test: '${item.replace(/^(term|coef):/, '')}' is not a term or coefficient of the fit`);
    for (const n of names) if (!coefs.includes(n)) coefs.push(n);
  }
  if (req.wald.kind === 'equal') {
    if (coefs.length < 2) throw new Error('Wald test: "all equal" needs two coefficients or more');
    return { label: coefs.join(' = '), constraints: { equal: coefs }, coefs };
  }
  return { label: `${coefs.join(' = ')} = 0`, constraints: { zero: coefs }, coefs };
}

interface RobustOps {
  vcov: (type: CrType, cluster?: string) => VcovCR;
  coefTest: (v: VcovCR, test: RobustRequest['test']) => CoefTest;
  confInt: (v: VcovCR, level: number, test: Exclude<RobustRequest['test'], 'saddlepoint'>) => ConfInt;
  waldTest: (v: VcovCR, c: Constraints, tests: ReturnType<typeof checkWaldTests>) => WaldTest;
  modelSe: number[];
  setup: Pick<RobustSetup, 'terms' | 'coefficients'>;
}

/** the card's tables from the library's functions, whichever the fit */
function robustTables(req: RobustRequest, ops: RobustOps, t0: number): RobustMsg {
  const test = checkCoefTest(req.test);
  if (!(Number.isFinite(req.level) && req.level > 0 && req.level < 1)) throw new Error(`the confidence level must be strictly between 0 and 1, got ${req.level}`);
  const waldTests = checkWaldTests(req.wald?.tests?.length ? req.wald.tests : undefined);
  const wc = waldConstraints(req, ops.setup);
  const v = ops.vcov(req.type, req.cluster || undefined);
  const ct = ops.coefTest(v, test);
  const ci = test === 'saddlepoint' ? null : ops.confInt(v, req.level, test);
  const w = wc ? ops.waldTest(v, wc.constraints, waldTests) : null;
  const text = [
    `Cluster-robust variance ${v.type} (clubSandwich's vcovCR), clustered by ${v.cluster}: ${v.J} clusters, ${v.N} observations`,
    '', `Coefficient tests (${ct.test}):`, ...printCoefTest(ct),
    ...(ci ? ['', `Confidence intervals (${ci.test}):`, ...printConfInt(ci)] : []),
    ...(w && wc ? ['', `Wald test of ${wc.label}:`, ...printWaldTest(w), ...w.notes.map((n) => `Note: ${n}`)] : []),
  ].join('\n');
  const modelSe = new Map(v.xnames.map((x, j) => [x, ops.modelSe[j]!]));
  return {
    request: req, type: v.type, cluster: v.cluster, J: v.J, N: v.N,
    coefTest: { test: ct.test, rows: ct.rows.map((r) => ({ ...r, modelSe: modelSe.get(r.coef)! })) },
    confInt: ci ? { test: ci.test, level: ci.level, rows: ci.rows } : null,
    wald: w && wc ? { hypothesis: wc.label, coefs: wc.coefs, rows: w.rows, notes: w.notes } : null,
    text,
    elapsedMs: performance.now() - t0,
  };
}

/** clubSandwich's tables of a kept lmer fit (glmer, streamed and relatedness fits: the library's refusal) */
export function runRobust(fit: AnyFit, req: RobustRequest): RobustMsg {
  const t0 = performance.now();
  checkRobustFit(fit);
  const lmm = fit as LmmFit;
  const se = lmm.se;
  return robustTables(req, {
    vcov: (type, cluster) => vcovCR(lmm, { type, ...(cluster !== undefined ? { cluster } : {}) }),
    coefTest: (v, test) => coefTest(lmm, { vcov: v, test }),
    confInt: (v, level, test) => confIntCR(lmm, { vcov: v, level, test }),
    waldTest: (v, c, tests) => waldTest(lmm, c, { vcov: v, test: tests }),
    modelSe: lmm.model.frame.xnames.map((x) => se[x]!),
    setup: robustSetup(fit),
  }, t0);
}

/** clubSandwich's tables of a meta-analysis (rma.uni needs a cluster column; rma.mv: default its outermost level) */
export function runMetaRobust(fit: MetaFit, req: RobustRequest): RobustMsg {
  const t0 = performance.now();
  const c = fit.coef;
  const coefficients = [...c.names];
  return robustTables(req, {
    vcov: (type, cluster) => fit.vcovCR({ type, ...(cluster !== undefined ? { cluster } : {}) }),
    coefTest: (v, test) => fit.coefTest({ vcov: v, test }),
    confInt: (v, level, test) => fit.confIntCR({ vcov: v, level, test }),
    waldTest: (v, cons, tests) => fit.waldTest(cons, { vcov: v, test: tests }),
    modelSe: Array.from(c.se),
    setup: { coefficients, terms: [] },
  }, t0);
}

