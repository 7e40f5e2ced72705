/**
 * TOLERANCES-HEADER
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { assembleFit } from '../src/lmm/assemble.js';
import { buildLmm } from '../src/lmm/model.js';
import { formGram } from '../src/backend/cpu/gram.js';
import { lmer } from '../src/fit/lmer.js';
import { glmer } from '../src/fit/glmer.js';
import { CpuBackend } from '../src/backend/cpu/cpuBackend.js';
import { profiledCriterion } from '../src/lmm/deviance.js';
import { thetaToInternal } from '../src/model/reparam.js';
import { knownCovarianceGram } from '../src/relmat/gram.js';
import { namedMatrixFromTable } from '../src/relmat/matrixTable.js';
import { buildGlmm } from '../src/glmm/model.js';
import { PirlsEngine } from '../src/glmm/pirls.js';
import type { RelmatSpec } from '../src/relmat/blocks.js';
import type { MixedFit } from '../src/results/mixedFit.js';
import { generateRandomWeighted } from './oracle/randomWeighted.js';

const dir = join(import.meta.dirname, 'fixtures', 'random-weighted');
const text = (f: string) => readFileSync(join(dir, f), 'utf8');

interface IndexCase {
  name: string; formula: string; family: 'gaussian' | 'poisson' | 'binomial'; reml: boolean; shape: string;
  weights: string | null; relmat: { group: string; kind: string; file: string }[]; data: string; nobs: number;
}
interface Run { objective: number; theta: number[]; feval: number; messages: string[] }
interface Ranef { group: string; levels: string[]; values: Record<string, number[]>; condsd?: Record<string, number[]> }
interface LmmRef {
  name: string; formula: string; family: 'gaussian'; reml: boolean; theta_names: string[]; singular: boolean;
  objective_at: { label: string; theta: number[]; value: number }[];
  default: Run; bobyqa: Run; tight: Run;
  at_best: { theta: number[]; beta: Record<string, number>; se: Record<string, number>; sigma: number; ranef: Ranef[] };
}
interface GlmmRef {
  name: string; formula: string; family: 'poisson' | 'binomial'; theta_names: string[]; beta_names: string[];
  default: { objective: number; theta: number[]; beta: number[]; exact: number; messages: string[]; singular: boolean };
  objective_at: { label: string; theta: number[]; beta: number[]; value: number }[];
  at_exact: { value: number; theta: number[]; beta: Record<string, number>; se: Record<string, number>; ranef: Ranef[]; gradient: number[] };
}

const index = JSON.parse(text('cases.json')) as { seed: number; counts: { weighted: number; relmat: number }; cases: IndexCase[] };
const ref = JSON.parse(text('lme4.json')) as { lme4: string; cases: (LmmRef | GlmmRef)[] };
const byName = new Map(index.cases.map((c) => [c.name, c]));
const lmms = ref.cases.filter((c): c is LmmRef => c.family === 'gaussian');
const glmms = ref.cases.filter((c): c is GlmmRef => c.family !== 'gaussian');
const table = (name: string) => readCsv(text(`${name}.csv`)).table;

/** cases where our optimum is a separate local minimum above lme4's best: how much above (see the header) */
const OTHER_LOCAL_MINIMUM: Record<string, number> = { w32: 3.04975 };

function relmatOf(c: IndexCase): RelmatSpec | undefined {
  if (c.relmat.length === 0) return undefined;
  return Object.fromEntries(c.relmat.map((r) => {
    const k = text(r.file);
    return [r.group, r.kind === 'sparse' ? { kind: 'sparse' as const, ...JSON.parse(k) } : namedMatrixFromTable(readCsv(k).table)];
  }));
}
const lmmOptions = (c: IndexCase) => ({ REML: c.reml, ...(c.weights ? { weights: c.weights } : {}), ...(c.relmat.length ? { relmat: relmatOf(c) } : {}) });
const glmmOptions = (c: IndexCase) => ({ family: c.family as 'poisson' | 'binomial', relmat: relmatOf(c) });

/** the worst value seen of each measure (printed at the end: the header's numbers) */
const worst = new Map<string, { value: number; at: string }>();
function seen(measure: string, value: number, at: string): number {
  const w = worst.get(measure);
  if (!w || value > w.value) worst.set(measure, { value, at });
  return value;
}
afterAll(() => {
  for (const [k, v] of [...worst].sort()) console.log(`worst ${k}: ${v.value.toExponential(2)} (${v.at})`);
});

/** the largest difference of the modes (and conditional SDs) of `fit` from `want`, over `scale` */
function modesDiff(fit: MixedFit, want: Ranef[], scale: number): { values: number; condsd: number } {
  let values = 0, condsd = 0;
  for (const rr of want) {
    for (const [cn, vals] of Object.entries(rr.values)) {
      const g = fit.ranef.find((x) => x.group === rr.group && x.values[cn] !== undefined);
      expect(g, `${rr.group} ${cn}`).toBeDefined();
      const pos = new Map(g!.levels.map((l, i) => [l, i]));
      rr.levels.forEach((lev, i) => {
        expect(pos.has(lev), `level ${lev} of ${rr.group}`).toBe(true);
        values = Math.max(values, Math.abs(g!.values[cn][pos.get(lev)!] - vals[i]) / scale);
        if (rr.condsd) condsd = Math.max(condsd, Math.abs(g!.condsd[cn][pos.get(lev)!] - rr.condsd[cn][i]) / scale);
      });
    }
  }
  return { values, condsd };
}

/** β in SEs, SEs and σ relative, modes over σ: the largest of each */
function compareLmm(fit: MixedFit, want: LmmRef['at_best'], name: string, what: string) {
  const beta = Math.max(...Object.entries(want.beta).map(([k, v]) => Math.abs(fit.fixef[k] - v) / want.se[k]));
  const se = Math.max(...Object.entries(want.se).map(([k, v]) => Math.abs(fit.se[k] - v) / v));
  const sigma = Math.abs(fit.sigma - want.sigma) / want.sigma;
  const m = modesDiff(fit, want.ranef, want.sigma);
  return {
    beta: seen(`${what} beta/SE`, beta, name), se: seen(`${what} SE rel`, se, name), sigma: seen(`${what} sigma rel`, sigma, name),
    modes: seen(`${what} modes/sigma`, m.values, name), condsd: seen(`${what} condsd/sigma`, m.condsd, name),
  };
}

describe('random weighted and relmat models: the fixtures', () => {
  it('are what the seeded generator makes (the data and K that R fitted)', () => {
    const cases = generateRandomWeighted(index.seed, index.counts);
    expect(cases.map(({ name, formula, family, reml, shape, weights, relmat, nobs }) => ({ name, formula, family, reml, shape, weights, relmat, data: `${name}.csv`, nobs }))).toEqual(index.cases);
    for (const c of cases) {
      expect(text(`${c.name}.csv`)).toBe(c.csv);
      c.relmat.forEach((r, k) => expect(text(r.file)).toBe(c.kText[k]));
    }
    expect(ref.cases.map((c) => [c.name, c.formula])).toEqual(index.cases.map((c) => [c.name, c.formula]));
  });
});

describe('lmer: our objective at lme4\'s θ is lme4\'s deviance function there; the fit at that θ is lme4\'s', () => {
  it.each(lmms.map((c) => [c.name, c] as const))('%s', (name, c) => {
    const ic = byName.get(name)!;
    const model = buildLmm(c.formula, table(name), lmmOptions(ic));
    expect(model.theta.names).toEqual(c.theta_names);
    const backend = new CpuBackend(knownCovarianceGram(formGram(model), model.known), model.theta.length);
    const crit = profiledCriterion(model);
    for (const pt of c.objective_at) {
      const v = crit(backend.evaluate(thetaToInternal(model, pt.theta)));
      expect(seen('objective at lme4 theta rel', Math.abs(v - pt.value) / Math.max(1, Math.abs(pt.value)), `${name} ${pt.label}`)).toBeLessThan(1e-8);
    }
    const fit = assembleFit(model, backend, Float64Array.from(c.at_best.theta), {
      feval: 0, converged: true, optimizerMessage: 'fixed θ', messages: [], backend: { name: 'cpu', device: 'CPU', precision: 'float64' }, timings: {}, t0: 0,
    });
    const d = compareLmm(fit as unknown as MixedFit, c.at_best, name, 'at lme4 theta:');
    expect(d.beta).toBeLessThan(1e-6);
    expect(d.se).toBeLessThan(1e-6);
    expect(d.sigma).toBeLessThan(1e-6);
    expect(d.modes).toBeLessThan(1e-6);
    expect(d.condsd).toBeLessThan(1e-6);
  });
});

describe('lmer: our optimum is no worse than lme4\'s best, and the estimates there', () => {
  it.each(lmms.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const ic = byName.get(name)!;
    const fit = await lmer(c.formula, table(name), lmmOptions(ic));
    expect(fit.converged).toBe(true);
    const best = Math.min(c.default.objective, c.bobyqa.objective, c.tight.objective);
    if (name in OTHER_LOCAL_MINIMUM) {
      // a separate, higher local minimum: the one minqa's bobyqa reaches (see the header)
      expect(Math.abs(fit.objective - c.bobyqa.objective)).toBeLessThan(1e-6);
      expect(fit.objective - best).toBeCloseTo(OTHER_LOCAL_MINIMUM[name], 3);
      // the evidence: on the segment from our θ̂ to lme4's the criterion rises by > 0.5 before it falls
      const model = buildLmm(c.formula, table(name), lmmOptions(ic));
      const backend = new CpuBackend(formGram(model), model.theta.length);
      const crit = profiledCriterion(model);
      const at = (t: number) => crit(backend.evaluate(thetaToInternal(model, fit.theta.map((v, k) => v + t * (c.tight.theta[k] - v)))));
      const barrier = Math.max(...Array.from({ length: 19 }, (_, k) => at((k + 1) / 20)));
      expect(barrier).toBeGreaterThan(fit.objective + 0.5);
      expect(Math.abs(at(1) - c.tight.objective)).toBeLessThan(1e-8 * c.tight.objective);
      return;
    }
    seen('optimum minus lme4 best', fit.objective - best, name);
    seen('lme4 best minus optimum', best - fit.objective, name);
    expect(fit.objective).toBeLessThanOrEqual(best + 1e-6);
    const d = compareLmm(fit, c.at_best, name, 'optimum:');
    const th = seen('optimum: theta abs', Math.max(...c.at_best.theta.map((t, k) => Math.abs(fit.theta[k] - t))), name);
    expect(d.beta).toBeLessThan(1e-3);
    expect(d.se).toBeLessThan(1e-3);
    expect(d.sigma).toBeLessThan(1e-4);
    expect(d.modes).toBeLessThan(1e-4);
    expect(d.condsd).toBeLessThan(1e-3);
    expect(th).toBeLessThan(2e-3);
  });
});

describe('glmer with relmat: our deviance at lme4\'s (θ, β) is the exact Laplace deviance', () => {
  it.each(glmms.map((c) => [c.name, c] as const))('%s', (name, c) => {
    const model = buildGlmm(c.formula, table(name), glmmOptions(byName.get(name)!));
    expect(model.theta.names).toEqual(c.theta_names);
    const engine = new PirlsEngine(model.pirls);
    for (const pt of c.objective_at) {
      engine.reset();
      const v = engine.run(thetaToInternal(model, pt.theta), pt.beta).laplace;
      expect(seen('glmm deviance at lme4 point rel', Math.abs(v - pt.value) / Math.abs(pt.value), `${name} ${pt.label}`)).toBeLessThan(1e-11);
    }
  });
});

describe('glmer with relmat: our optimum and estimates', () => {
  it.each(glmms.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const fit = await glmer(c.formula, table(name), glmmOptions(byName.get(name)!));
    const best = Math.min(...c.objective_at.filter((p) => p.label !== 'away').map((p) => p.value));
    seen('glmm optimum minus best exact', fit.objective - best, name);
    expect(fit.objective).toBeLessThanOrEqual(best + 1e-6);
    const x = c.at_exact;
    expect(seen('glmm beta/SE', Math.max(...Object.entries(x.beta).map(([k, v]) => Math.abs(fit.fixef[k] - v) / x.se[k])), name)).toBeLessThan(1e-5);
    expect(seen('glmm SE rel', Math.max(...Object.entries(x.se).map(([k, v]) => Math.abs(fit.se[k] - v) / v)), name)).toBeLessThan(1e-5);
    expect(seen('glmm theta abs', Math.max(...x.theta.map((t, k) => Math.abs(fit.theta[k] - t))), name)).toBeLessThan(1e-5);
    expect(seen('glmm modes abs', modesDiff(fit, x.ranef, 1).values, name)).toBeLessThan(1e-5);
  });
});

describe('what this audit found and what is refused', () => {
  it('a conditional SD is 0, not NaN, where a term\'s intercept row of θ is exactly 0 beside a slope (w31 at lme4\'s θ)', () => {
    const c = lmms.find((x) => x.name === 'w31')!;
    expect(c.at_best.theta[3]).toBe(0); // h's (Intercept) row: θ = [0, 5e-12, 1.06e-10]
    const model = buildLmm(c.formula, table('w31'), lmmOptions(byName.get('w31')!));
    const fit = assembleFit(model, new CpuBackend(formGram(model), model.theta.length), Float64Array.from(c.at_best.theta), {
      feval: 0, converged: true, optimizerMessage: 'fixed θ', messages: [], backend: { name: 'cpu', device: 'CPU', precision: 'float64' }, timings: {}, t0: 0,
    });
    const h = fit.ranef.find((g) => g.group === 'h')!;
    // Var(b) = M Var(b_int) Mᵀ left −1e-34 for one level's intercept: √ gave NaN (lme4: 0)
    for (const v of h.condsd['(Intercept)']) expect(v >= 0 && v < 1e-15).toBe(true);
    // and toJSON's summary of them (its own √)
    const summary = (fit.toJSON({ ranef: 'summary' }) as { ranef: { group: string; condsd_summary: Record<string, { mean: number; min: number }> }[] }).ranef;
    const hs = summary.find((g) => g.group === 'h')!.condsd_summary['(Intercept)'];
    expect(Number.isNaN(hs.mean) || Number.isNaN(hs.min)).toBe(false);
  });

  it('a matrix K (dense or sparse) with a level that has no rows in the data is refused, naming it', async () => {
    const ic = index.cases.find((x) => x.relmat.length === 1 && x.relmat[0].kind === 'dense' && x.family === 'gaussian')!;
    const K = relmatOf(ic)!.g as { levels: string[]; matrix: Float64Array };
    const n = K.levels.length;
    const bigger = { levels: [...K.levels, 'Lghost'], matrix: Array.from({ length: n + 1 }, (_, i) => Array.from({ length: n + 1 }, (_, j) => (i < n && j < n ? K.matrix[i * n + j] : i === j ? 1 : 0))) };
    await expect(lmer(ic.formula, table(ic.name), { ...lmmOptions(ic), relmat: { g: bigger } })).rejects.toThrow("relmat 'g': 1 level of K has no rows in the data: 'Lghost' (give K for the data's levels only)");
    const sc = index.cases.find((x) => x.relmat.length === 1 && x.relmat[0].kind === 'sparse' && x.family === 'poisson')!;
    const S = JSON.parse(text(sc.relmat[0].file)) as { levels: string[]; i: number[]; j: number[]; x: number[] };
    const m = S.levels.length;
    const sparse = { kind: 'sparse' as const, levels: [...S.levels, 'Lghost'], i: [...S.i, m], j: [...S.j, m], x: [...S.x, 1] };
    await expect(glmer(sc.formula, table(sc.name), { family: 'poisson', relmat: { g: sparse } })).rejects.toThrow("relmat 'g': 1 level of K has no rows in the data: 'Lghost'");
    // and a level of the data missing from K
    const fewer = { kind: 'sparse' as const, levels: S.levels.slice(0, m - 1), i: [] as number[], j: [] as number[], x: [] as number[] };
    S.i.forEach((r, e) => { if (r < m - 1 && S.j[e] < m - 1) { fewer.i.push(r); fewer.j.push(S.j[e]); fewer.x.push(S.x[e]); } });
    await expect(glmer(sc.formula, table(sc.name), { family: 'poisson', relmat: { g: fewer } })).rejects.toThrow(`relmat 'g': 1 level of the data is not in K: '${S.levels[m - 1]}'`);
  });
});
