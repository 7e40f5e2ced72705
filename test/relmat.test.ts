/**
 * lmer and glmer with a known covariance matrix (relmat) against lme4 1.1-31's modular fits with
 * Z L in place of Z (test/oracle/relmat.R: lFormula → reTrms$Zt ← t(L) %*% Zt → mkLmerDevfun →
 * optimizeLmer to tight tolerances → mkMerMod; glmer likewise, optimized on the exact Laplace
 * deviance), on the CPU backend.
 *
 * Two levels (issue #13, tolerances as for lmer):
 *  - the objective at lme4's fixed θ through the fit's own path (the model's Gram matrix transformed
 *    by F, the blocked Cholesky's dense block): 1e-8 relative;
 *  - the fitted optimum: criterion ≤ lme4's + 1e-6; θ 1e-4; β 1e-5 relative; SE 1e-4 relative;
 *    σ 1e-5 relative; conditional modes and their SDs on the original scale 1e-4 (absolute, values
 *    of order 1). The GLMM (−2ℓ ≤ lme4's + 1e-6 on the exact Laplace deviance): θ 1e-4, β 1e-4,
 *    SE 1e-3 relative, modes 1e-4.
 * And: a pedigree's sparse Henderson factor with the founders (no records) as extra levels gives the
 * fit of the dense K of the recorded animals (what lme4 and pedigreemm fit); a sparse K gives the
 * dense one's fit; bad K and mismatched levels are clear errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tableFromArrays } from 'apache-arrow';
import { readCsv } from '../src/io/csv.js';
import { lmer } from '../src/fit/lmer.js';
import { glmer } from '../src/fit/glmer.js';
import { buildLmm } from '../src/lmm/model.js';
import { formGram } from '../src/backend/cpu/gram.js';
import { CpuBackend } from '../src/backend/cpu/cpuBackend.js';
import { profiledCriterion } from '../src/lmm/deviance.js';
import { thetaToInternal } from '../src/model/reparam.js';
import { knownCovarianceGram } from '../src/relmat/gram.js';
import { namedMatrixFromTable } from '../src/relmat/matrixTable.js';
import { pedigree, relationshipMatrix } from '../src/relmat/pedigree.js';
import { phyloVcv } from '../src/relmat/phylo.js';
import type { RelmatSpec } from '../src/relmat/blocks.js';
import { type RanefRef, checkModes } from './helpers/relmat.js';
import { DataError, ModelError } from '../src/errors/errors.js';

const dir = join(import.meta.dirname, 'fixtures', 'relmat');
const json = <T = any>(f: string): T => JSON.parse(readFileSync(join(dir, f), 'utf8'));
const csv = (f: string) => readCsv(readFileSync(join(dir, f), 'utf8')).table;
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

interface LmmRef {
  name: string; formula: string; reml: boolean; data: string; relmat: { group: string; kind: string };
  theta: number[]; sigma: number; fixef: Record<string, number>; se: Record<string, number>; criterion: number;
  loglik: number; aic: number; bic: number; heritability?: number; ngroups: Record<string, number>;
  objective_at: { theta: number[]; value: number }[]; ranef: RanefRef[];
  pedigree_animals?: { levels: string[]; values: number[]; condsd: number[] };
}

const phyloK = namedMatrixFromTable(csv('phylo_K.csv'));
const ped = pedigree(csv('pedigree.csv'));
const relmatOf = (ref: { relmat: { group: string; kind: string } }): RelmatSpec => ({ [ref.relmat.group]: ref.relmat.kind === 'phylo' ? phyloK : ped });

const LMM_CASES = ['phylo_reml', 'phylo_ml', 'phylo_slopes_reml', 'pedigree_reml', 'pedigree_ml', 'pedigree_herd_reml'];

describe('the objective at lme4\'s fixed θ, through the fit\'s path (A transformed by F, dense block)', () => {
  it.each(LMM_CASES)('%s', (name) => {
    const ref = json<LmmRef>(`${name}.json`);
    const model = buildLmm(ref.formula, csv(ref.data), { REML: ref.reml, relmat: relmatOf(ref) });
    const backend = new CpuBackend(knownCovarianceGram(formGram(model), model.known), model.theta.length);
    const crit = profiledCriterion(model);
    for (const pt of ref.objective_at) {
      const v = crit(backend.evaluate(thetaToInternal(model, pt.theta)));
      expect(rel(v, pt.value)).toBeLessThan(1e-8);
    }
  });
});

describe('lmer with a known covariance: the fitted optimum against lme4', () => {
  it.each(LMM_CASES)('%s', async (name) => {
    const ref = json<LmmRef>(`${name}.json`);
    const fit = await lmer(ref.formula, csv(ref.data), { REML: ref.reml, relmat: relmatOf(ref) });
    expect(fit.objective).toBeLessThan(ref.criterion + 1e-6);
    ref.theta.forEach((t, k) => expect(Math.abs(fit.theta[k] - t)).toBeLessThan(1e-4));
    for (const [k, v] of Object.entries(ref.fixef)) expect(rel(fit.fixef[k], v)).toBeLessThan(1e-5);
    for (const [k, v] of Object.entries(ref.se)) expect(rel(fit.se[k], v)).toBeLessThan(1e-4);
    expect(rel(fit.sigma, ref.sigma)).toBeLessThan(1e-5);
    expect(Math.abs(fit.logLik - ref.loglik)).toBeLessThan(1e-6);
    expect(Math.abs(fit.AIC - ref.aic)).toBeLessThan(1e-5);
    expect(fit.ngroups).toEqual(ref.ngroups);
    checkModes(fit, ref.ranef, 1e-4);
    if (ref.heritability !== undefined) {
      expect(fit.heritability).toHaveLength(1);
      expect(Math.abs(fit.heritability[0].heritability - ref.heritability)).toBeLessThan(1e-5);
    }
    if (ref.pedigree_animals) {
      // every animal of the pedigree, the founders (no records) predicted from their relatives
      const g = fit.ranef.find((x) => x.group === 'animal')!;
      expect(g.levels).toHaveLength(ref.pedigree_animals.levels.length);
      const pos = new Map(g.levels.map((l, i) => [l, i]));
      ref.pedigree_animals.levels.forEach((lev, i) => {
        expect(Math.abs(g.values['(Intercept)'][pos.get(lev)!] - ref.pedigree_animals!.values[i])).toBeLessThan(1e-4);
        expect(Math.abs(g.condsd['(Intercept)'][pos.get(lev)!] - ref.pedigree_animals!.condsd[i])).toBeLessThan(1e-4);
      });
      expect(fit.knownCovariances).toEqual([{ group: 'animal', source: 'pedigree', levels: 114, levels_without_data: 14 }]);
    }
    const s = fit.summary();
    expect(s).toMatch(/Known covariance \(relmat\): /);
    if (ref.heritability !== undefined) expect(s).toMatch(/Heritability: \w+ 0\.\d+/);
    const j = fit.toJSON();
    expect(j.relmat).toEqual(fit.knownCovariances);
  });
});

describe('one model, several forms of K', () => {
  it('the pedigree (sparse factor, founders as extra levels) = dense A of the recorded animals = sparse triplets', async () => {
    const ref = json<LmmRef>('pedigree_herd_reml.json');
    const data = csv(ref.data);
    const viaPed = await lmer(ref.formula, data, { relmat: { animal: ped } });
    // A of the recorded animals only (what lme4 and pedigreemm fit), dense and as triplets
    const A = relationshipMatrix(ped);
    const n = ped.ids.length;
    const recorded = new Set(ref.ranef.find((r) => r.group === 'animal')!.levels);
    const idx = ped.ids.map((id, i) => [id, i] as const).filter(([id]) => recorded.has(id));
    const levels = idx.map(([id]) => id);
    const matrix = idx.map(([, i]) => idx.map(([, j]) => A[i * n + j]));
    const viaDense = await lmer(ref.formula, data, { relmat: { animal: { levels, matrix } } });
    const ti: number[] = [], tj: number[] = [], tx: number[] = [];
    matrix.forEach((row, r) => row.forEach((v, c) => { if (v !== 0 && c <= r) { ti.push(r); tj.push(c); tx.push(v); } }));
    const viaSparse = await lmer(ref.formula, data, { relmat: { animal: { kind: 'sparse', levels, i: ti, j: tj, x: tx } } });
    for (const f of [viaDense, viaSparse]) {
      expect(Math.abs(f.objective - viaPed.objective)).toBeLessThan(1e-7);
      f.theta.forEach((t, k) => expect(Math.abs(t - viaPed.theta[k])).toBeLessThan(1e-5));
      checkModes(f, viaPed.ranef.map((g) => ({ ...g, levels: g.levels.filter((l) => g.group !== 'animal' || recorded.has(l)) })).map((g) => {
        const full = viaPed.ranef.find((x) => x.group === g.group)!;
        const pos = new Map(full.levels.map((l, i) => [l, i]));
        return { group: g.group, levels: g.levels, values: Object.fromEntries(Object.entries(full.values).map(([cn, v]) => [cn, g.levels.map((l) => v[pos.get(l)!])])) };
      }), 1e-5);
    }
  });
  it('phyloVcv(newick) gives the fit of the K written by R', async () => {
    const ref = json<LmmRef>('phylo_reml.json');
    const fit = await lmer(ref.formula, csv(ref.data), { relmat: { species: phyloVcv(readFileSync(join(dir, 'phylo_tree.nwk'), 'utf8')) } });
    expect(fit.objective).toBeLessThan(ref.criterion + 1e-6);
    checkModes(fit, ref.ranef, 1e-4);
  });
});

describe('glmer with a known covariance (Poisson, phylogeny)', () => {
  it('the fitted optimum against lme4 on the exact Laplace deviance', async () => {
    const ref = json('phylo_poisson.json');
    const fit = await glmer(ref.formula, csv(ref.data), { family: 'poisson', relmat: { species: phyloK } });
    expect(fit.objective).toBeLessThan(ref.deviance_laplace + 1e-6);
    expect(fit.objective).toBeLessThan(ref.default_fit.deviance_laplace + 1e-4);
    ref.theta.forEach((t: number, k: number) => expect(Math.abs(fit.theta[k] - t)).toBeLessThan(1e-4));
    for (const [k, v] of Object.entries(ref.fixef as Record<string, number>)) expect(rel(fit.fixef[k], v)).toBeLessThan(1e-4);
    for (const [k, v] of Object.entries(ref.se as Record<string, number>)) expect(rel(fit.se[k], v)).toBeLessThan(1e-3);
    checkModes(fit, ref.ranef, 1e-4);
    expect(fit.toJSON().relmat).toEqual([{ group: 'species', source: 'matrix', levels: 40, levels_without_data: 0 }]);
  });
  it('refuses nAGQ > 1 and the WebGPU backend, saying why', async () => {
    const ref = json('phylo_poisson.json');
    await expect(glmer(ref.formula, csv(ref.data), { family: 'poisson', relmat: { species: phyloK }, nAGQ: 5 })).rejects.toThrow(/nAGQ > 1 is not available with a known covariance matrix/);
    await expect(glmer(ref.formula, csv(ref.data), { family: 'poisson', relmat: { species: phyloK }, nAGQ: 5 })).rejects.toBeInstanceOf(ModelError);
    await expect(glmer(ref.formula, csv(ref.data), { family: 'poisson', relmat: { species: phyloK }, backend: 'webgpu' })).rejects.toThrow(/a GLMM with a known covariance matrix \(relmat\) runs PIRLS on the CPU/);
  });
});

describe('bad input: clear errors', () => {
  const ref = json<LmmRef>('phylo_reml.json');
  const data = csv(ref.data);
  const sub = (drop: string) => {
    const keep = phyloK.levels.map((l, i) => [l, i] as const).filter(([l]) => l !== drop);
    const n = phyloK.levels.length;
    return { levels: keep.map(([l]) => l), matrix: keep.map(([, i]) => keep.map(([, j]) => phyloK.matrix[i * n + j])) };
  };
  it('a level of the data missing from K, a level of K without data, a factor not in the formula', async () => {
    await expect(lmer(ref.formula, data, { relmat: { species: sub('t17') } })).rejects.toThrow("relmat 'species': 1 level of the data is not in K: 't17'");
    const extra = { levels: [...phyloK.levels, 'ghost'], matrix: [...phyloK.levels.map((_, i) => [...Array.from(phyloK.matrix.subarray(i * 40, i * 40 + 40)), 0]), [...new Array(40).fill(0), 1]] };
    await expect(lmer(ref.formula, data, { relmat: { species: extra } })).rejects.toThrow("relmat 'species': 1 level of K has no rows in the data: 'ghost'");
    await expect(lmer(ref.formula, data, { relmat: { specie: phyloK } })).rejects.toThrow("relmat: 'specie' is not a grouping factor of the formula (its grouping factors: species)");
  });
  it("the errors are the package's own types: DataError for K's contents, OptionError for the option", async () => {
    await expect(lmer(ref.formula, data, { relmat: { species: sub('t17') } })).rejects.toBeInstanceOf(DataError);
    await expect(lmer(ref.formula, data, { relmat: { specie: phyloK } })).rejects.toMatchObject({ name: 'OptionError', option: 'relmat' });
    await expect(lmer(ref.formula, data, { relmat: 'K' as never })).rejects.toMatchObject({ name: 'OptionError', option: 'relmat' });
    await expect(lmer(ref.formula, data, { relmat: { species: null } as never })).rejects.toMatchObject({ name: 'OptionError', option: 'relmat' });
  });
  it('a K that is not positive definite names the level', async () => {
    // t9 a copy of t34 (duplicated individuals)
    const n = 40;
    const M = Float64Array.from(phyloK.matrix);
    const a = phyloK.levels.indexOf('t34'), b = phyloK.levels.indexOf('t9');
    for (let j = 0; j < n; j++) { M[b * n + j] = M[a * n + j]; M[j * n + b] = M[j * n + a]; }
    M[b * n + b] = M[a * n + a];
    M[a * n + b] = M[a * n + a]; M[b * n + a] = M[a * n + a];
    await expect(lmer(ref.formula, data, { relmat: { species: { levels: phyloK.levels, matrix: M } } })).rejects.toThrow(/relmat 'species': K is not positive definite: the Cholesky pivot of level 't9'/);
  });
  it('one record per animal: lme4\'s level checks do not apply to a relmat factor', async () => {
    const t = tableFromArrays({ animal: ['a', 'b', 'c', 'd', 'e', 'f'], y: Float64Array.from([1.2, 0.7, 2.1, 1.9, 0.3, 1.1]) });
    const K = { levels: ['a', 'b', 'c', 'd', 'e', 'f'], matrix: [[1, 0.5, 0.5, 0, 0, 0], [0.5, 1, 0.5, 0, 0, 0], [0.5, 0.5, 1, 0, 0, 0], [0, 0, 0, 1, 0.5, 0.25], [0, 0, 0, 0.5, 1, 0.5], [0, 0, 0, 0.25, 0.5, 1]] };
    const fit = await lmer('y ~ 1 + (1 | animal)', t, { relmat: { animal: K } });
    expect(Number.isFinite(fit.objective)).toBe(true);
    await expect(lmer('y ~ 1 + (1 | animal)', t)).rejects.toThrow(/grouping factor 'animal' has 6 levels for 6 observations/);
    // buildLmm keeps a caller's own known-covariance groups beside relmat's (it used to replace them)
    const both = tableFromArrays({ animal: ['a', 'b', 'c', 'd', 'e', 'f'], pen: ['p', 'q', 'r', 's', 't', 'u'], y: Float64Array.from([1.2, 0.7, 2.1, 1.9, 0.3, 1.1]) });
    expect(() => buildLmm('y ~ 1 + (1 | animal) + (1 | pen)', both, { relmat: { animal: K } })).toThrow(/grouping factor 'pen' has 6 levels for 6 observations/);
    expect(buildLmm('y ~ 1 + (1 | animal) + (1 | pen)', both, { relmat: { animal: K }, knownCovarianceGroups: ['pen'] }).frame.reTerms).toHaveLength(2);
  });
});
