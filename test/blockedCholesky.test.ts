/**
 * The blocked Cholesky objective against a dense, unstructured evaluation of the same formulas
 * (Bates et al. 2015, eqs. 18–20 on the full matrices) for designs the reference cases do not
 * cover: three nested factors, nested and crossed together, vector-valued terms on a crossed
 * factor, several terms on one factor, a crossed factor before a nested one.
 */
import { describe, expect, it } from 'vitest';
import * as arrow from 'apache-arrow';
import { buildLmm, workingResponse } from '../src/lmm/model.js';
import { formGram } from '../src/backend/cpu/gram.js';
import { CpuBackend } from '../src/backend/cpu/cpuBackend.js';
import { makeObjective, profiledDeviance } from '../src/lmm/deviance.js';
import { BlockedCholesky } from '../src/linalg/blockedCholesky.js';
import { thetaToInternal } from '../src/model/reparam.js';
import { fillTemplate } from '../src/linalg/template.js';
import type { LmmModel } from '../src/lmm/model.js';

/** Dense profiled deviance: L Lᵀ = ΛᵀZᵀZΛ + I on the full q×q matrix, then the Schur complement for [X y]. */
function denseObjective(model: LmmModel, theta: Float64Array): number {
  const { frame, blocks } = model;
  const n = frame.n, p = frame.p;
  const y = workingResponse(frame);
  // full ZΛ, n × Q
  const offs: number[] = [];
  let Q = 0;
  for (const b of blocks) { offs.push(Q); Q += b.nl * b.q; }
  const ZL = new Float64Array(n * Q);
  blocks.forEach((b, k) => {
    const T = new Float64Array(b.q * b.q);
    fillTemplate(b, theta, T);
    for (let i = 0; i < n; i++) {
      const g = b.codes[i];
      for (let t = 0; t < b.q; t++) {
        let v = 0;
        for (let s = t; s < b.q; s++) v += b.Z[i * b.q + s] * T[s * b.q + t];
        ZL[i * Q + offs[k] + g * b.q + t] = v;
      }
    }
  });
  const N = Q + p + 1;
  const M = new Float64Array(N * N);
  const row = new Float64Array(N);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < Q; c++) row[c] = ZL[i * Q + c];
    for (let r = 0; r < p; r++) row[Q + r] = frame.X[r * n + i];
    row[Q + p] = y[i];
    for (let a = 0; a < N; a++) { const va = row[a]; if (va === 0) continue; for (let b = 0; b <= a; b++) M[a * N + b] += va * row[b]; }
  }
  for (let c = 0; c < Q; c++) M[c * N + c] += 1;
  // plain Cholesky of the lower triangle
  let ldL2 = 0, ldRX2 = 0;
  for (let j = 0; j < N; j++) {
    let s = M[j * N + j];
    for (let k = 0; k < j; k++) s -= M[j * N + k] ** 2;
    const d = Math.sqrt(s);
    M[j * N + j] = d;
    if (j < Q) ldL2 += 2 * Math.log(d); else if (j < Q + p) ldRX2 += 2 * Math.log(d);
    for (let i = j + 1; i < N; i++) {
      let t = M[i * N + j];
      for (let k = 0; k < j; k++) t -= M[i * N + k] * M[j * N + k];
      M[i * N + j] = t / d;
    }
  }
  const r2 = M[(N - 1) * N + N - 1] ** 2;
  if (model.reml) return ldL2 + ldRX2 + (n - p) * (1 + Math.log((2 * Math.PI * r2) / (n - p)));
  return ldL2 + n * (1 + Math.log((2 * Math.PI * r2) / n));
}

/** A seeded design: schools ⊃ classes ⊃ students (nested), raters crossed, items crossed, covariates. */
function design(n: number, seed: number): arrow.Table {
  let s = seed;
  const rnd = () => { s = (s * 16807) % 2147483647; return s / 2147483647; };
  const school: string[] = [], klass: string[] = [], rater: string[] = [], item: string[] = [];
  const x = new Float64Array(n), w = new Float64Array(n), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const sc = Math.floor(rnd() * 5);
    const cl = Math.floor(rnd() * 3);
    school.push(`S${sc}`);
    klass.push(`C${cl}`); // class label reused across schools: nesting needs school/class
    rater.push(`R${Math.floor(rnd() * 7)}`);
    item.push(`I${Math.floor(rnd() * 4)}`);
    x[i] = rnd() * 4 - 2;
    w[i] = sc + rnd();
    y[i] = 1 + 0.5 * x[i] - 0.2 * w[i] + Math.sin(sc * 3 + cl) + 0.3 * Math.cos(i) + rnd();
  }
  return arrow.tableFromArrays({ y, x, w, school, klass, rater, item });
}

const CASES: [string, boolean][] = [
  ['y ~ x + (1 | school/klass)', true],
  ['y ~ x + (1 | school/klass/rater)', true],
  ['y ~ x + (x | school/klass/rater)', false],
  ['y ~ x + (1 | school/klass) + (1 | rater)', true],
  ['y ~ x + w + (x | rater) + (1 | item)', false],
  ['y ~ x + (x | school) + (1 | rater) + (0 + x | item)', true],
  ['y ~ x + (1 | rater) + (0 + x | rater) + (1 | school:klass)', false],
  ['y ~ x * w + (x || item) + (1 | school/klass)', true],
  ['y ~ 0 + x + (1 | rater:item) + (x | school)', false],
];

describe('blocked Cholesky objective equals the dense evaluation', () => {
  const table = design(160, 12345);
  for (const [formula, reml] of CASES) {
    it(`${formula} (${reml ? 'REML' : 'ML'})`, () => {
      const model = buildLmm(formula, table, { REML: reml });
      const nested = formula.includes('klass/rater');
      // the nested designs keep every block sparse; the others have a dense (crossed) part
      expect(new CpuBackend(formGram(model), model.theta.length).chol.denseFrom === model.blocks.length).toBe(nested || formula === 'y ~ x + (1 | school/klass)');
      for (const [kernels, denseUpdate] of [['wasm', 'auto'], ['js', 'auto'], ['wasm', 'rows'], ['wasm', 'columns']] as const) {
        const cpu = new CpuBackend(formGram(model), model.theta.length, kernels);
        const f = denseUpdate === 'auto' ? makeObjective(cpu, model.frame.n, model.frame.p, reml) : (() => {
          const chol = new BlockedCholesky(formGram(model), model.theta.length, kernels, { denseUpdate });
          return (th: Float64Array) => { chol.factor(th); return profiledDeviance({ ldL2: chol.ldL2, ldRX2: chol.ldRX2, pwrss: chol.pwrss }, model.frame.n, model.frame.p, reml); };
        })();
        for (const scale of [0.3, 1, 2.5]) {
          const theta = model.theta.start.map((t, k) => (model.theta.lower[k] === 0 ? scale * (1 + 0.1 * k) : 0.2 * scale - 0.1 * k));
          const dense = denseObjective(model, theta);
          const blocked = f(thetaToInternal(model, theta));
          expect(Math.abs(blocked - dense) / Math.abs(dense)).toBeLessThan(1e-10);
        }
      }
    });
  }
});

describe('conditional variances equal the dense inverse', () => {
  const table = design(160, 777);
  for (const formula of ['y ~ x + (1 | school/klass/rater) + (0 + x | klass:school)', 'y ~ x + (x | rater) + (1 | item) + (1 | school)', 'y ~ x + (1 | school/klass) + (x | rater) + (1 | item)']) {
    it(formula, async () => {
      const { assembleFit } = await import('../src/lmm/assemble.js');
      const model = buildLmm(formula, table, { REML: true });
      const cpu = new CpuBackend(formGram(model), model.theta.length);
      const theta = model.theta.start.map((t, k) => (model.theta.lower[k] === 0 ? 0.7 + 0.1 * k : 0.15));
      const fit = assembleFit(model, cpu, theta, {
        feval: 0, converged: true, optimizerMessage: '', messages: [], backend: { name: 'cpu', device: '', precision: 'float64' }, timings: {}, t0: 0,
      });
      // dense ΛᵀZᵀZΛ + I and its inverse
      const { frame, blocks } = model;
      const n = frame.n;
      const offs: number[] = [];
      let Q = 0;
      const Ts = blocks.map((b) => { const T = new Float64Array(b.q * b.q); fillTemplate(b, theta, T); return T; });
      for (const b of blocks) { offs.push(Q); Q += b.nl * b.q; }
      const ZL = new Float64Array(n * Q);
      blocks.forEach((b, k) => {
        for (let i = 0; i < n; i++) for (let t = 0; t < b.q; t++) {
          let v = 0;
          for (let s = t; s < b.q; s++) v += b.Z[i * b.q + s] * Ts[k][s * b.q + t];
          ZL[i * Q + offs[k] + b.codes[i] * b.q + t] = v;
        }
      });
      const M = new Float64Array(Q * Q);
      for (let i = 0; i < n; i++) for (let a = 0; a < Q; a++) { const va = ZL[i * Q + a]; if (va !== 0) for (let c = 0; c < Q; c++) M[a * Q + c] += va * ZL[i * Q + c]; }
      for (let a = 0; a < Q; a++) M[a * Q + a] += 1;
      // Gauss–Jordan inverse
      const inv = new Float64Array(Q * Q);
      for (let a = 0; a < Q; a++) inv[a * Q + a] = 1;
      for (let c = 0; c < Q; c++) {
        const piv = M[c * Q + c];
        for (let j = 0; j < Q; j++) { M[c * Q + j] /= piv; inv[c * Q + j] /= piv; }
        for (let r = 0; r < Q; r++) if (r !== c) {
          const f = M[r * Q + c];
          if (f === 0) continue;
          for (let j = 0; j < Q; j++) { M[r * Q + j] -= f * M[c * Q + j]; inv[r * Q + j] -= f * inv[c * Q + j]; }
        }
      }
      const s2 = fit.sigma ** 2;
      blocks.forEach((b, k) => {
        const cv = fit.conditionalCovariance(k);
        const q = b.q, T = Ts[k];
        for (let g = 0; g < b.nl; g++) {
          for (let s = 0; s < q; s++) for (let t = 0; t < q; t++) {
            // σ² (T M⁻¹_gg Tᵀ)[s][t]
            let v = 0;
            for (let u = 0; u < q; u++) for (let w = 0; w < q; w++) v += T[s * q + u] * inv[(offs[k] + g * q + u) * Q + offs[k] + g * q + w] * T[t * q + w];
            expect(Math.abs(cv[g * q * q + s * q + t] - s2 * v)).toBeLessThan(1e-10 * s2);
          }
        }
      });
    });
  }
});

describe('conditional variances through the trailing inverse equal those by forward solves', () => {
  // crossed designs whose dense part spans several panels of L_T⁻ᵀ (M > 128), with a vector-valued
  // sparse block, a nested block between the sparse and the dense ones, and two dense blocks
  function crossed(n: number, seed: number): arrow.Table {
    let s = seed;
    const rnd = () => { s = (s * 16807) % 2147483647; return s / 2147483647; };
    const g: string[] = [], a: string[] = [], h: string[] = [], item: string[] = [];
    const x = new Float64Array(n), y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const gi = Math.floor(rnd() * 600);
      g.push(`G${gi}`);
      a.push(`A${gi % 400}`); // g nested in a (more levels than h: a sorts before it)
      h.push(`H${Math.floor(rnd() * 290)}`);
      item.push(`I${Math.floor(rnd() * 23)}`);
      x[i] = rnd() * 2 - 1;
      y[i] = 0.5 * x[i] + Math.sin(gi) + 0.4 * Math.cos(i * 0.37) + rnd();
    }
    return arrow.tableFromArrays({ y, x, g, a, h, item });
  }
  const table = crossed(4000, 4242);
  for (const formula of ['y ~ x + (x | g) + (1 | h)', 'y ~ x + (1 | a/g) + (1 | h) + (x | item)', 'y ~ x + (x | g) + (0 + x | h) + (1 | item)']) {
    for (const kernels of ['wasm', 'js'] as const) {
      it(`${formula} (${kernels})`, async () => {
        const { conditionalVariances, conditionalVariancesBySolves } = await import('../src/lmm/solution.js');
        const { trailingSize } = await import('../src/lmm/trailingInverse.js');
        const model = buildLmm(formula, table, { REML: true });
        const cpu = new CpuBackend(formGram(model), model.theta.length, kernels);
        const chol = cpu.chol;
        chol.factor(thetaToInternal(model, model.theta.start.map((t, k) => (model.theta.lower[k] === 0 ? 0.6 + 0.2 * k : 0.1))));
        expect(chol.denseFrom).toBeLessThan(model.blocks.length);
        // the nested design has a second block-diagonal block (a, g nested in it) before the dense ones
        expect(chol.denseFrom).toBe(formula.includes('a/g') ? 2 : 1);
        expect(trailingSize(chol)).toBeGreaterThan(2 * 128);
        const fast = conditionalVariances(chol, 1.3);
        const slow = conditionalVariancesBySolves(chol, 1.3);
        expect(fast.length).toBe(slow.length);
        fast.forEach((f, k) => {
          expect(f.length).toBe(slow[k].length);
          let scale = 0;
          for (const v of slow[k]) scale = Math.max(scale, Math.abs(v));
          for (let e = 0; e < f.length; e++) expect(Math.abs(f[e] - slow[k][e])).toBeLessThan(1e-12 * scale);
        });
      });
    }
  }
});
