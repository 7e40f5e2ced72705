/**
 * Worker side of the "Model tests" card: each test computed with the library's own functions on a fit
 * kept in the worker — lmerTest's ranova (ranovaTable), drop1 (drop1Table) and step (fit.step), lme4's
 * drop1 of a glmer fit (drop1Glmm, with its progress and AbortSignal), emmeans's joint_tests
 * (fit.jointTests), car's Wald χ² anova (fit.anova of a glmer fit), performance's R² and ICC (fit.r2,
 * fit.icc), lme4's influence (fit.influence, with its progress and AbortSignal) and cAIC4's cAIC
 * (fit.cAIC; glmer's refits with their progress and AbortSignal) — with the
 * library's printers for the text.
 */
import { ModelError } from '../../src/errors/errors.js';
import { LmmFit } from '../../src/lmm/lmmFit.js';
import { GlmmFit } from '../../src/glmm/glmmFit.js';
import { ranovaTable } from '../../src/inference/ranova.js';
import { drop1Table } from '../../src/inference/drop1.js';
import { checkWaldType } from '../../src/inference/waldAnova.js';
import { formatLevel, needsRemlRefit } from '../../src/inference/emmeans.js';
import { influenceOrder, printDrop1Table, printGlmmDrop1Table, printInfluence, printRanovaTable, printStepResult, printWaldAnova } from '../../src/inference/format.js';
import { drop1Glmm } from '../../src/inference/glmmDrop1.js';
import { formatCaic } from '../../src/inference/caic.js';
import { printIcc, printIccByGroup, printR2 } from '../../src/inference/r2Nakagawa.js';
import '../../src/inference/methods.js';
import type { AnyFit } from './fitting.js';
import { INFLUENCE_TOP, engineRefusal, streamRefusal, testSpec } from './modelTests.js';
import type { ModelTestKind, ModelTestMsg, ModelTestRequest } from './protocol.js';

export interface ModelTestContext {
  signal: AbortSignal;
  onProgress: (p: { done: number; total: number; label: string }) => void;
}

/** what a runner gives: the message less what runModelTest adds */
type Ran<K extends ModelTestKind> = Omit<Extract<ModelTestMsg, { kind: K }>, 'request' | 'elapsedMs'>;

const lmm = (fit: AnyFit) => fit as LmmFit;

/** each test on a fit that runModelTest has checked it applies to */
const RUNNERS: { [K in ModelTestKind]: (fit: AnyFit, req: ModelTestRequest, ctx: ModelTestContext) => Promise<Ran<K>> } = {
  async ranova(fit, req) {
    // lmerTest's ranova(fit, reduce.terms): the reduced models refitted (no progress or signal in the library: the card shows a busy state)
    const t = await ranovaTable(lmm(fit), { reduceTerms: req.reduceTerms ?? true });
    return { kind: 'ranova', model: t.model, rows: t.rows, notes: t.messages, text: printRanovaTable(t.rows, t.model).join('\n') };
  },
  async drop1(fit, req) {
    // lmerTest's drop1(fit, ddf): the F test of each marginal term, with the page's ddf
    const t = drop1Table(lmm(fit), { ddf: req.ddf ?? 'satterthwaite' });
    return { kind: 'drop1', ddf: t.ddf, model: t.model, rows: t.rows, notes: t.messages, text: printDrop1Table(t.rows, t.ddf, t.model).join('\n') };
  },
  async glmerDrop1(fit, _req, ctx) {
    // lme4's drop1(fit, test = "Chisq"): each marginal term dropped and the glmer refitted, each reported; Cancel between refits
    const t = await drop1Glmm(fit as GlmmFit, { test: 'Chisq', signal: ctx.signal, onProgress: (p) => ctx.onProgress({ done: p.done, total: p.total, label: p.term }) });
    return { kind: 'glmerDrop1', model: t.model, none: t.none, rows: t.rows, notes: t.messages, text: printGlmmDrop1Table(t.none, t.rows, 'Chisq', t.model).join('\n') };
  },
  async step(fit, req) {
    // lmerTest's step(fit, ddf): ranova's and drop1's eliminations, refitted (no progress in the library: the card shows a busy state)
    const s = await lmm(fit).step({ ddf: req.ddf ?? 'satterthwaite' });
    return { kind: 'step', ddf: s.ddf, random: s.random, fixed: s.fixed, formula: s.formula, notes: s.messages, text: printStepResult(s.random, s.fixed, s.ddf, s.formula).join('\n') };
  },
  async r2(fit) {
    // performance's r2_nakagawa(fit) and icc(fit, by_group = TRUE) (a Poisson or NB fit refits its null model)
    const r = await fit.r2();
    const icc = await fit.icc();
    const byGroup = await fit.icc({ byGroup: true });
    const notes = [...new Set([...r.messages, ...icc.messages, ...byGroup.messages])];
    return {
      kind: 'r2', r2: { conditional: r.conditional, marginal: r.marginal, components: r.components }, icc: icc.icc, byGroup: byGroup.byGroup ?? null, notes,
      text: [...printR2(r), '', ...printIcc(icc.icc), '', ...printIccByGroup(byGroup.byGroup ?? null)].join('\n'),
    };
  },
  async jointTests(fit, req) {
    // emmeans's joint_tests(fit, by) with emmeans's df default: Kenward–Roger (an ML fit's from its REML refit), ∞ for glmer
    const remlRefit = needsRemlRefit(fit, undefined) ? await (fit as LmmFit).remlFit() : undefined;
    const j = fit.jointTests({ ...(req.by ? { by: [req.by] } : {}), ...(remlRefit ? { remlRefit } : {}) });
    const rows = j.rows.map((r) => ({ ...r, by: Object.fromEntries(Object.entries(r.by).map(([k, v]) => [k, formatLevel(v)])) }));
    return { kind: 'jointTests', by: j.by, ddf: j.ddf, rows, notes: [...j.messages], text: j.toString() };
  },
  async waldAnova(fit, req) {
    // car's Anova(fit, type): a Wald χ² test of each fixed-effects term
    const type = checkWaldType(req.type ?? 'II');
    const rows = (fit as GlmmFit).anova({ type });
    const response = fit.model.frame.yname;
    return { kind: 'waldAnova', type, response, rows, notes: [], text: printWaldAnova(rows, type, response).join('\n') };
  },
  async influence(fit, req, ctx) {
    // lme4's influence(fit, groups): one refit per unit, each reported; Cancel aborts between and within refits
    const infl = await (fit as LmmFit | GlmmFit).influence({
      ...(req.groups ? { groups: req.groups } : {}),
      signal: ctx.signal,
      onProgress: (p) => ctx.onProgress({ done: p.done, total: p.total, label: p.label }),
    });
    const cooks = infl.cooksDistance();
    const dfbetas = infl.dfbetas();
    const units = influenceOrder(cooks).map((i) => {
      const d = infl.deleted[i]!;
      return { label: d.label, rows: d.rows, cooks: cooks[i]!, dfbetas: Array.from(dfbetas[i]!), converged: d.converged };
    });
    const notConverged = units.filter((u) => !u.converged).map((u) => u.label);
    const notes = notConverged.length ? [`Refits that did not converge within lme4's maxfun (1000): ${notConverged.join(', ')}.`] : [];
    return { kind: 'influence', groups: infl.groups, xnames: infl.xnames, units, notes, text: printInfluence(infl, INFLUENCE_TOP).join('\n') };
  },
  async caic(fit, _req, ctx) {
    // cAIC4's cAIC(fit): lmer at once (the analytic df); glmer one refit per observation (Bernoulli) or positive count (Poisson), each reported; Cancel between refits
    const r = await (fit as LmmFit | GlmmFit).cAIC({ signal: ctx.signal, onProgress: (p) => ctx.onProgress({ done: p.done, total: p.total, label: '' }) });
    return { kind: 'caic', caic: { ...r, messages: [...r.messages] }, notes: [...r.messages], text: formatCaic(r) };
  },
};

/**
 * One test of the fit: refused, naming the test, where it does not apply to this kind of fit, or to a
 * fit whose rows are in a stream or an engine (the card does not offer it there: ./modelTests.ts
 * streamRefusal names why); the library's own errors otherwise.
 */
export async function runModelTest(fit: AnyFit, req: ModelTestRequest, ctx: ModelTestContext): Promise<ModelTestMsg> {
  const t0 = performance.now();
  const spec = testSpec(req.kind);
  const kind = fit instanceof GlmmFit ? 'glmer' : fit instanceof LmmFit ? 'lmer' : null;
  if (kind === null || !spec.fits.includes(kind)) {
    throw new ModelError(`${spec.r} is offered for ${spec.fits.join(' and ')} fits, not for ${kind ?? 'this'} fit${kind === 'lmer' && req.kind === 'waldAnova' ? " (an lmer fit has lmerTest's F tests: the anova table under the fixed effects)" : ''}`);
  }
  const source = fit instanceof LmmFit ? fit.model.source : undefined;
  const why = source ? streamRefusal(req.kind) : null;
  if (source && why) throw new ModelError(engineRefusal(spec.r, source, why));
  const out = await (RUNNERS[req.kind] as (f: AnyFit, r: ModelTestRequest, c: ModelTestContext) => Promise<Ran<ModelTestKind>>)(fit, req, ctx);
  return { ...out, request: req, elapsedMs: performance.now() - t0 } as ModelTestMsg;
}
