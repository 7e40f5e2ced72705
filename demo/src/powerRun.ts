/**
 * Worker side of the Power card and the per-group fits (lmList) card, with the library's own functions
 * on a fit kept in the worker: simr's powerSim (src/inference/powerSim.ts, lmer and glmer), extend and
 * powerCurve (src/inference/powerCurve.ts, lmer and glmer), their printouts (powerPrint.ts), and lme4's lmList
 * (src/lmlist) of the fit's fixed-effects formula by one of its grouping factors. What the cards
 * offer for a fit (powerSetup) is worked out here too, by asking the library: a test is offered where
 * the library's resolvePowerTest takes it, and the fit's refusal is the library's message.
 */
import type * as arrow from 'apache-arrow';
import { ModelError, OptionError } from '../../src/errors/errors.js';
import { LmmFit } from '../../src/lmm/lmmFit.js';
import { GlmmFit } from '../../src/glmm/glmmFit.js';
import { type PowerSimResult, checkPowerFit, powerSim, resolvePowerTest } from '../../src/inference/powerSim.js';
import { checkPowerGlmm } from '../../src/inference/powerGlmm.js';
import { type ExtendedFit, extend, powerCurve } from '../../src/inference/powerCurve.js';
import { printPowerCurve, printPowerSim } from '../../src/inference/powerPrint.js';
import { updatedFormulaText } from '../../src/inference/ranova.js';
import { lmList } from '../../src/lmlist/lmList.js';
import { printLmList, printLmListSummary } from '../../src/lmlist/print.js';
import type { AnyFit } from './fitting.js';
import type { LmListMsg, LmListRequest, PowerMethodChoice, PowerMsg, PowerRequest, PowerSetup, PowerSimMsg, PowerTermOption } from './protocol.js';

const METHODS: PowerMethodChoice[] = ['kr', 't', 'z', 'lr', 'f', 'anova', 'chisq'];
const GLMER_LMLIST = 'the per-group fits are offered for lmer fits: lm in each group of the fit\'s fixed-effects formula (lme4\'s lmList)';

const message = (e: unknown) => (e as Error)?.message ?? String(e);

/** the grouping factors of a fit's random-effects terms, each once, in the frame's order */
function groupingFactors(fit: AnyFit): string[] {
  return [...new Set(fit.model.frame.reTerms.map((t) => t.group))];
}

/** What the Power and lmList cards offer for this fit: the tests the library takes, the curve's choices, lmList's groups. */
export function powerSetup(fit: AnyFit): PowerSetup {
  const frame = fit.model.frame;
  const glmm = fit instanceof GlmmFit;
  let refusal: string | null = null;
  try {
    if (glmm) checkPowerGlmm(fit, 'powerSim');
    else checkPowerFit(fit, 'powerSim');
  } catch (e) {
    refusal = message(e);
  }
  const coefficients = frame.xnames.map((name, j) => ({ name, estimate: fit.beta[j]! }));
  const terms: PowerTermOption[] = [];
  if (refusal === null) {
    const labels = frame.formula.fixed.terms.map((t) => t.label);
    const candidates: { name: string; kind: 'term' | 'coefficient' }[] = [
      ...labels.map((name) => ({ name, kind: 'term' as const })),
      ...frame.xnames.filter((x) => !labels.includes(x)).map((name) => ({ name, kind: 'coefficient' as const })),
    ];
    for (const c of candidates) {
      let def;
      try {
        def = resolvePowerTest(fit, c.name);
      } catch {
        continue;   // a term the library cannot test (no estimable column)
      }
      const methods = METHODS.filter((m) => { try { resolvePowerTest(fit, c.name, m); return true; } catch { return false; } });
      if (methods.length) terms.push({ name: c.name, kind: c.kind, columns: def.columns.map((j) => frame.xnames[j]!), defaultMethod: def.method, methods });
    }
  }
  // powerCurve's along: the grouping factors (levels), then the numeric variables of the fixed part (distinct values)
  const along: PowerSetup['along'] = [];
  for (const t of frame.reTerms) {
    if (along.some((a) => a.name === t.group)) continue;
    along.push({ name: t.group, kind: 'factor', values: new Set(t.codes).size });
  }
  for (const v of new Set(frame.formula.fixed.terms.flatMap((t) => t.vars.map((x) => x.label)))) {
    const col = frame.columns.get(v);
    if (col?.kind === 'numeric' && !along.some((a) => a.name === v)) along.push({ name: v, kind: 'numeric', values: new Set(col.values).size });
  }
  const curveRefusal = refusal;
  const lmListRefusal = glmm ? GLMER_LMLIST : null;
  const model = updatedFormulaText({ ...frame.formula, random: [] }, []);
  return { refusal, terms, coefficients, along, curveRefusal, lmList: { model, groups: groupingFactors(fit).filter((g) => !g.includes(':')), refusal: lmListRefusal } };
}

function simMsg(r: PowerSimResult): PowerSimMsg {
  return { ...r, pValues: Array.from(r.pValues) };
}

const replicateNotes = (r: { messages: { message: string; count: number }[] }) => r.messages.map((m) => `${m.count} replicate${m.count === 1 ? '' : 's'}: ${m.message}`);

export interface PowerContext {
  signal: AbortSignal;
  onProgress: (p: { done: number; total: number; label: string }) => void;
}

/**
 * simr's powerSim of the fit (without `curve`), or its powerCurve along `curve.along` at `curve.breaks`;
 * where a break asks for more values of `along` than the data have, the design is first extended to the
 * largest break (simr's extend(fit, along, n)) and simulated with the fit's parameters.
 */
export async function runPower(fit: AnyFit, table: arrow.Table | null, req: PowerRequest, ctx: PowerContext): Promise<PowerMsg> {
  const t0 = performance.now();
  const common = {
    test: req.test, method: req.method, nsim: req.nsim, seed: req.seed, alpha: req.alpha,
    ...(req.fixef && Object.keys(req.fixef).length ? { fixef: req.fixef } : {}),
    signal: ctx.signal,
  };
  if (!req.curve) {
    const r = await powerSim(fit, { ...common, onProgress: (p) => ctx.onProgress({ done: p.done, total: p.nsim, label: 'simulations' }) });
    return { request: req, sim: simMsg(r), curve: null, text: printPowerSim(r), notes: replicateNotes(r), elapsedMs: performance.now() - t0 };
  }
  const { along, breaks } = req.curve;
  const option = powerSetup(fit).along.find((a) => a.name === along);
  if (!option) throw new OptionError('along', `powerCurve: '${along}' is not a grouping factor or a numeric variable of the model`);
  let input: LmmFit | GlmmFit | ExtendedFit = fit;
  let extended: { along: string; n: number; from: number } | null = null;
  const most = breaks?.length ? Math.max(...breaks) : 0;
  if (most > option.values) {
    // simr's extend(fit, along = , n = ): more levels (values) than the data have
    if (!table) throw new ModelError('extend needs the rows of the data loaded now');
    ctx.onProgress({ done: 0, total: req.nsim, label: `extending ${along} to ${most}` });
    input = await extend(fit, table, { along, n: most });
    extended = { along, n: most, from: option.values };
  }
  const c = await powerCurve(input, { ...common, along, ...(breaks?.length ? { breaks } : {}), onProgress: (p) => ctx.onProgress({ done: p.done, total: p.nsim, label: 'simulations' }) });
  const notes = [
    ...(extended ? [`The design was extended along ${along} from ${extended.from} to ${extended.n} ${option.kind === 'factor' ? 'levels' : 'values'} (simr's extend: the rows of the existing ${option.kind === 'factor' ? 'levels' : 'values'} copied${option.kind === 'factor' ? ', new levels named a, b, …' : ', the values renumbered 1 … n'}), simulated with the fit's parameters.`] : []),
    ...c.points.flatMap((p) => replicateNotes(p).map((n) => `at ${p.x}: ${n}`)),
  ];
  return {
    request: req, sim: null,
    curve: { along: c.along, xlab: c.xlab, points: c.points.map((p) => ({ ...simMsg(p), x: p.x })), warnings: c.warnings, errors: c.errors, timeMs: c.timeMs, extended },
    text: printPowerCurve(c), notes, elapsedMs: performance.now() - t0,
  };
}

/** lme4's lmList of the fit's fixed-effects formula by one of its grouping factors (pool = TRUE, lme4's default) */
export function runLmList(fit: AnyFit, table: arrow.Table | null, req: LmListRequest, factors: string[], dataName = 'data'): LmListMsg {
  const t0 = performance.now();
  const setup = powerSetup(fit).lmList;
  if (setup.refusal) throw new ModelError(`lmList: ${setup.refusal}`);
  if (!table) throw new ModelError('lmList needs the rows of the data loaded now');
  if (!setup.groups.includes(req.group)) {
    throw new OptionError('group', `lmList: '${req.group}' is not a grouping factor of the fit (grouping factors: ${setup.groups.join(', ') || 'none'})`);
  }
  const formula = `${setup.model} | ${req.group}`;
  let x = lmList(formula, table, { factors, dataName });
  let pooled: LmListMsg['pooled'];
  try {
    const p = x.pooledSD();
    pooled = { sd: p.sd, df: p.df };
  } catch (e) {
    // no residual df in any group: lme4's summary and show stop there; the table is each group's own (pool = FALSE)
    pooled = { refusal: message(e) };
    x = lmList(formula, table, { factors, dataName, pool: false });
  }
  const cf = x.coef();
  const s = x.summary();
  const se = cf.groups.map((_, g) => cf.names.map((name) => {
    const k = s.names.indexOf(name);
    return k < 0 ? null : s.se[k]![g] ?? null;
  }));
  return {
    request: req, formula, groups: cf.groups, names: cf.names, coef: cf.values, se, sigma: s.sigma,
    n: x.groups.map((g) => (g.fit ? g.fitRows.length : 0)),
    pooled, failed: x.groups.filter((g) => !g.fit).map((g) => ({ group: g.name, error: g.error ?? '' })),
    messages: x.messages,
    text: [...printLmList(x), '', ...printLmListSummary(x, s)].join('\n'),
    elapsedMs: performance.now() - t0,
  };
}
