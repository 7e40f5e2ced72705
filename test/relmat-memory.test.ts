/**
 * The memory of a model with a known covariance (issue 13, "Scale"): lmer's transformed dense block
 * is formed in, and lives in, its factor's storage (GramMatrix.AkkDenseFixed / AkkDenseFill: A_kk's
 * upper triangle and diagonal level blocks beside L_kk's lower triangle, one m × m array), and the
 * conditional variances are solved a few levels at a time in the factor's own arena. Both against
 * the general path:
 *  - the objective at fixed θ with the shared storage = with a separate A_kk (the source refilled,
 *    as PIRLS's), to 1e-12 relative, at θ after θ (the factor never overwrites the block), also for
 *    a second factorization reading the first one's storage (the GPU's beside the reference);
 *  - the chunked conditional variances = σ² diag blocks of (F ⊗ T) (L Lᵀ)⁻¹ (F ⊗ T)ᵀ formed
 *    densely, to 1e-10 relative, over several chunks, for q = 1 and 2 and two known blocks;
 *  - K's factor, never held during the fit, formed again at its end in the block's upper triangle
 *    (lendKnownFactors) = the factor computed apart, exactly, with L_kk kept, and the block formed
 *    again before the next factorization (the objective bit for bit).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tableFromArrays } from 'apache-arrow';
import { readCsv } from '../src/io/csv.js';
import { buildLmm } from '../src/lmm/model.js';
import { formGram } from '../src/backend/cpu/gram.js';
import { CpuBackend } from '../src/backend/cpu/cpuBackend.js';
import { SCRATCH_ROWS } from '../src/linalg/blockedCholesky.js';
import { invertLower } from '../src/linalg/dense.js';
import { thetaToInternal } from '../src/model/reparam.js';
import { KnownCovarianceGram, knownCovarianceGram, lendKnownFactors } from '../src/relmat/gram.js';
import { denseOf } from './helpers/denseRelmat.js';
import { knownConditionalVariances, knownModes } from '../src/relmat/conditional.js';
import { namedMatrixFromTable } from '../src/relmat/matrixTable.js';
import { pedigree } from '../src/relmat/pedigree.js';
import type { CovFactor } from '../src/relmat/covFactor.js';

const dir = join(import.meta.dirname, 'fixtures', 'relmat');
const csv = (f: string) => readCsv(readFileSync(join(dir, f), 'utf8')).table;
const json = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8'));
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('the dense block in its factor\'s storage (lmer) = a separate block', () => {
  const phyloK = namedMatrixFromTable(csv('phylo_K.csv'));
  const ped = pedigree(csv('pedigree.csv'));
  it.each(['phylo_reml', 'phylo_slopes_reml', 'pedigree_herd_reml'])('%s', (name) => {
    const ref = json(`${name}.json`);
    const model = buildLmm(ref.formula, csv(ref.data), { REML: ref.reml, relmat: { [ref.relmat.group]: ref.relmat.kind === 'phylo' ? phyloK : ped } });
    const known = model.known.map((k) => k?.factor() ?? null);
    const shared = knownCovarianceGram(formGram(model), model.known);
    const k = model.known.findIndex((x) => x);
    // not formed until the factorization forms it in its own storage
    expect(shared.AkkDense![k]!.length).toBe(0);
    const a = new CpuBackend(shared, model.theta.length);
    expect(shared.AkkDenseForm).toBeNull();
    expect(shared.AkkDenseFixed).toBe(true);
    expect(shared.AkkDense![k]).toBe(a.chol.Lkk[k]);
    expect(shared.AkkDenseDiag![k]!.length).toBe(model.blocks[k].nl * model.blocks[k].q ** 2);
    // a second factorization of the same matrix reads the first one's storage
    const b = new CpuBackend(shared, model.theta.length);
    expect(b.chol.Lkk[k]).not.toBe(a.chol.Lkk[k]);
    const separate = new KnownCovarianceGram(formGram(model), known).gram;
    const c = new CpuBackend(separate, model.theta.length);
    expect(separate.AkkDense![k]).not.toBe(c.chol.Lkk[k]);
    const thetas = [...ref.objective_at.map((p: { theta: number[] }) => p.theta), ref.theta, ref.objective_at[0].theta];
    for (const t of thetas) {
      const th = thetaToInternal(model, t);
      const want = c.evaluate(th);
      for (const got of [a.evaluate(th), b.evaluate(th)]) {
        expect(rel(got.ldL2, want.ldL2)).toBeLessThan(1e-12);
        expect(rel(got.ldRX2, want.ldRX2)).toBeLessThan(1e-12);
        expect(rel(got.pwrss, want.pwrss)).toBeLessThan(1e-12);
      }
    }
  });
});

/** A seeded SPD matrix with level names: K = G Gᵀ / r + I/2, G n × r uniform. */
function randomK(n: number, seed: number): { levels: string[]; matrix: Float64Array } {
  let s = seed;
  const u = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const r = Math.max(2, n >> 2);
  const G = Float64Array.from({ length: n * r }, u);
  const K = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let acc = 0;
      for (let t = 0; t < r; t++) acc += G[i * r + t] * G[j * r + t];
      K[i * n + j] = K[j * n + i] = acc / r + (i === j ? 0.5 : 0);
    }
  }
  return { levels: Array.from({ length: n }, (_, i) => `L${i}`), matrix: K };
}

/** σ² diag blocks of (F ⊗ T) [(L Lᵀ)⁻¹]_kk (F ⊗ T)ᵀ from the whole dense L_Z (blocks k … K − 1). */
function directVariances(chol: CpuBackend['chol'], f: CovFactor & { kind: 'dense' }, k: number, sigma: number): Float64Array {
  const { K } = chol;
  const off: number[] = [];
  let M = 0;
  for (let j = 0; j < K; j++) { off.push(M); M += chol.m[j]; }
  const L = new Float64Array(M * M);
  for (let j = 0; j < K; j++) {
    const mj = chol.m[j];
    for (let r = 0; r < mj; r++) for (let c = 0; c <= r; c++) L[(off[j] + r) * M + off[j] + c] = chol.Lkk[j][r * mj + c];
    for (let i = 0; i < j; i++) {
      const mi = chol.m[i];
      for (let r = 0; r < mj; r++) for (let c = 0; c < mi; c++) L[(off[j] + r) * M + off[i] + c] = chol.Ljk[j][i][r * mi + c];
    }
  }
  const Li = invertLower(L, M);
  const q = chol.gram.blocks[k].q, nl = chol.gram.blocks[k].nl, T = chol.T[k];
  const mk = chol.m[k];
  // B = F ⊗ T (mk × mk); rows of B (L⁻¹)ᵀ restricted to block k's columns of L⁻¹
  const out = new Float64Array(nl * q * q);
  const row = (r: number) => {
    const i = Math.floor(r / q), s = r % q;
    const v = new Float64Array(M);
    for (let c = 0; c < M; c++) {
      let acc = 0;
      for (let j = 0; j < nl; j++) {
        const fij = f.F[i * nl + j];
        if (fij === 0) continue;
        for (let t = 0; t < q; t++) acc += fij * T[s * q + t] * Li[c * M + off[k] + j * q + t];
      }
      v[c] = acc;
    }
    return v;
  };
  for (let g = 0; g < nl; g++) {
    const rows = Array.from({ length: q }, (_, s) => row(g * q + s));
    for (let s = 0; s < q; s++) {
      for (let t = 0; t < q; t++) {
        let acc = 0;
        for (let c = 0; c < M; c++) acc += rows[s][c] * rows[t][c];
        out[g * q * q + s * q + t] = sigma * sigma * acc;
      }
    }
  }
  void mk;
  return out;
}

/** A REML model with dense known covariances on g (and h when nh > 0): 3 rows per level of g, seeded. */
function knownModel(formula: string, ng: number, nh: number, seed: number) {
  let s = seed;
  const u = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const n = 3 * ng;
  const g = Array.from({ length: n }, (_, r) => `L${r % ng}`);
  const h = Array.from({ length: n }, () => `L${Math.floor(u() * Math.max(nh, 1))}`);
  const x = Float64Array.from({ length: n }, () => u() - 0.5);
  const y = Float64Array.from({ length: n }, (_, r) => 1 + x[r] + Math.sin(r) + u());
  const relmat: Record<string, { levels: string[]; matrix: Float64Array }> = { g: randomK(ng, 3) };
  if (nh) relmat.h = randomK(nh, 5);
  return buildLmm(formula, tableFromArrays({ g, h, x, y }), { REML: true, relmat });
}

describe('conditional variances a few levels at a time = the dense formula', () => {
  const cases: [string, string, number, number][] = [
    ['q = 1', 'y ~ x + (1 | g)', 2 * SCRATCH_ROWS + 37, 0],
    ['q = 2', 'y ~ x + (x | g)', SCRATCH_ROWS + 11, 0],
    ['two known blocks', 'y ~ x + (1 | g) + (1 | h)', SCRATCH_ROWS + 23, 60],
  ];
  it.each(cases)('%s', (_, formula, ng, nh) => {
    const model = knownModel(formula, ng, nh, 7);
    const backend = new CpuBackend(knownCovarianceGram(formGram(model), model.known), model.theta.length);
    backend.evaluate(Float64Array.from({ length: model.theta.length }, (_, i) => 0.6 + 0.1 * i));
    const known = model.known.map((k) => k?.factor() ?? null);
    const cv: Float64Array[] = model.blocks.map(() => new Float64Array(0));
    knownConditionalVariances(backend.chol, known, 1.3, cv);
    known.forEach((f, k) => {
      if (!f) return;
      expect(f.kind).toBe('dense');
      const want = directVariances(backend.chol, f as CovFactor & { kind: 'dense' }, k, 1.3);
      expect(cv[k].length).toBe(want.length);
      let worst = 0;
      want.forEach((w, e) => { worst = Math.max(worst, Math.abs(cv[k][e] - w) / (Math.abs(w) + 1e-12)); });
      expect(worst).toBeLessThan(1e-10);
    });
  });
});

describe("K's factor lent to the block's storage at the fit's end (lmer: no array of its own)", () => {
  const cases: [string, string, number, number][] = [
    ['q = 1', 'y ~ x + (1 | g)', 150, 0],
    ['q = 2', 'y ~ x + (x | g)', 90, 0],
    ['two known blocks', 'y ~ x + (1 | g) + (1 | h)', 120, 40],
  ];
  it.each(cases)('%s: F = K\'s own factor exactly, L_kk kept, and the block formed again for the next θ', (_, formula, ng, nh) => {
    const model = knownModel(formula, ng, nh, 11);
    const gram = knownCovarianceGram(formGram(model), model.known);
    const a = new CpuBackend(gram, model.theta.length);
    // the same model with the factors held apart (glmer's path)
    const held = model.known.map((k) => k?.factor() ?? null);
    const c = new CpuBackend(new KnownCovarianceGram(formGram(model), held).gram, model.theta.length);
    const th1 = Float64Array.from({ length: model.theta.length }, (_, i) => 0.7 + 0.1 * i);
    const th2 = Float64Array.from({ length: model.theta.length }, (_, i) => 1.3 - 0.05 * i);
    const first = a.evaluate(th1);
    expect(first).toEqual(c.evaluate(th1));
    const lower = a.chol.Lkk.map((L) => Float64Array.from(L));
    for (let round = 0; round < 2; round++) {
      const lent = lendKnownFactors(a.chol, model.known);
      model.known.forEach((kb, k) => {
        if (!kb) { expect(lent[k]).toBeNull(); return; }
        const f = lent[k]!;
        expect(f.kind).toBe('stored');
        // the very factor K's Cholesky gives, in the block's own storage
        expect((f as { U: Float64Array }).U).toBe(a.chol.Lkk[k]);
        expect(Array.from(denseOf(f))).toEqual(Array.from(denseOf(held[k]!)));
        // L_kk at θ (lower triangle and diagonal) untouched
        const m = a.chol.m[k], L = a.chol.Lkk[k];
        for (let r = 0; r < m; r++) for (let col = 0; col <= r; col++) if (L[r * m + col] !== lower[k][r * m + col]) throw new Error(`L_kk changed at (${r}, ${col})`);
      });
      // the conditional variances and modes from the lent factors = from the held ones, bit for bit
      const cvLent: Float64Array[] = model.blocks.map(() => new Float64Array(0));
      const cvHeld: Float64Array[] = model.blocks.map(() => new Float64Array(0));
      knownConditionalVariances(a.chol, lent, 1.3, cvLent);
      knownConditionalVariances(a.chol, held, 1.3, cvHeld);
      const u = model.blocks.map((b) => Float64Array.from({ length: b.nl * b.q }, (_, i) => Math.sin(i + 1)));
      const bLent = u.map((x) => Float64Array.from(x)), bHeld = u.map((x) => Float64Array.from(x));
      knownModes(bLent, lent, model.blocks.map((b) => b.q));
      knownModes(bHeld, held, model.blocks.map((b) => b.q));
      model.known.forEach((kb, k) => {
        if (!kb) return;
        expect(Array.from(cvLent[k])).toEqual(Array.from(cvHeld[k]));
        expect(Array.from(bLent[k])).toEqual(Array.from(bHeld[k]));
      });
      // the next factorization forms the block again: the same objective as the held factors', bit for bit
      expect(a.evaluate(th2)).toEqual(c.evaluate(th2));
      expect(a.evaluate(th1)).toEqual(first);
    }
  });
});
