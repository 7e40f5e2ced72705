/**
 * The model frame's and the LMM's row passes on the row threads (src/linalg/rowChunks.ts): the frame,
 * the fixed-effects transform, the blocks and a whole lmer fit are bit-identical with one thread and
 * with two, the helper computed chunks, the rows that reach the Gram pass are on SharedArrayBuffers,
 * the chunked TSQR agrees with one sweep over the rows, the moment start's and the θ scales' passes
 * agree with the plain loops, and the errors of the threaded checks name the right row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as arrow from 'apache-arrow';
import { setDenseThreads } from '../src/linalg/denseThreads.js';
import { onSharedMemory, rowChunksHelped, rowThreadsReady } from '../src/linalg/rowThreads.js';
import { FRAME_CHUNK } from '../src/linalg/rowChunks.js';
import { buildLmm, type LmmModel } from '../src/lmm/model.js';
import { lmer } from '../src/fit/lmer.js';
import { toArrowTable } from '../src/io/dataInput.js';
import { qrRows, triangularFactor } from '../src/frame/modelMatrix.js';
import { columnFromArrow } from '../src/frame/columns.js';
import { generateLmmData } from '../bench/synth.js';
import { formGram } from '../src/backend/cpu/gram.js';
import { momentStart } from '../src/lmm/momentStart.js';
import { columnSquares } from '../src/lmm/thetaProblem.js';

/** n rows of `y ~ x + w + f + offset(off) + (x | g)` data, some x missing (deterministic) */
function frameData(n: number, groups: number, extra: Record<string, number[]> = {}): arrow.Table {
  let seed = 11;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const g: number[] = [], f: string[] = [], x: number[] = [], w: number[] = [], off: number[] = [], y: number[] = [];
  const b0 = Array.from({ length: groups }, () => rnd() - 0.5), b1 = Array.from({ length: groups }, () => 0.3 * (rnd() - 0.5));
  for (let i = 0; i < n; i++) {
    const gi = Math.floor(rnd() * groups);
    g.push(gi);
    f.push(['a', 'b', 'c'][Math.floor(rnd() * 3)]);
    const xi = 20 + 5 * (rnd() - 0.5);
    x.push(i % 997 === 3 ? NaN : xi);
    w.push(rnd());
    off.push(0.1 * rnd());
    y.push(1 + 0.5 * xi - 0.2 * w[i] + (f[i] === 'b' ? 0.3 : 0) + off[i] + b0[gi] + b1[gi] * xi + (rnd() - 0.5));
  }
  return toArrowTable({ y, x, w, f, off, g, ...extra });
}

const FORMULA = 'y ~ x + w + f + offset(off) + (x | g)';

/** copies of everything the frame and the model computed from the rows */
function snapshot(m: LmmModel) {
  const { frame } = m;
  const copy = (a: Float64Array | Int32Array | null) => (a ? Array.from(a) : null);
  return {
    n: frame.n, rows: copy(frame.rows), X: copy(frame.X), y: copy(frame.y), offset: copy(frame.offset),
    Z: frame.reTerms.map((t) => copy(t.Z)), codes: frame.reTerms.map((t) => copy(t.codes)),
    Xc: copy(m.rows.X), yc: copy(m.rows.y), Zi: m.rows.blocks.map((b) => copy(b.Z)),
    means: copy(m.fixed.means), beta0: copy(m.fixed.beta0), M: m.transforms.map((t) => copy(t?.M ?? null)),
  };
}

describe('the model frame on the row threads', () => {
  beforeAll(async () => {
    setDenseThreads(2);
    expect(await rowThreadsReady()).toBe(2);
  });
  afterAll(() => setDenseThreads('auto'));

  const table = frameData(120_000, 3_000);

  it('the frame, the transform and the blocks are bit-identical with one thread and two, and the helper computed chunks', () => {
    setDenseThreads(1);
    const helped1 = rowChunksHelped();
    const one = snapshot(buildLmm(FORMULA, table, { factors: ['g'] }));
    expect(rowChunksHelped()).toBe(helped1);
    expect(one.n).toBe(120_000 - Math.ceil((120_000 - 3) / 997));
    setDenseThreads(2);
    const helped0 = rowChunksHelped();
    for (let rep = 0; rep < 10 && (rep === 0 || rowChunksHelped() === helped0); rep++) {
      expect(snapshot(buildLmm(FORMULA, table, { factors: ['g'] }))).toEqual(one);
    }
    expect(rowChunksHelped()).toBeGreaterThan(helped0);
  });

  it('a dictionary column (its passes as row jobs): the same codes with one thread and two, each naming its row\'s level', () => {
    const { table: t } = generateLmmData({ n: 100_000, groups: 2_000, seed: 3 });
    setDenseThreads(1);
    const one = columnFromArrow(t, 'g');
    setDenseThreads(2);
    const two = columnFromArrow(t, 'g');
    expect(two).toEqual(one);
    if (one.kind !== 'factor') throw new Error('not a factor');
    expect(onSharedMemory(one.codes)).toBe(true);
    const g = t.getChild('g')!;
    for (let i = 0; i < t.numRows; i += 7) expect(one.levels[one.codes[i]]).toBe(g.get(i));
    const modelTwo = snapshot(buildLmm('y ~ x + w + (x | g)', t));
    setDenseThreads(1);
    const modelOne = snapshot(buildLmm('y ~ x + w + (x | g)', t));
    setDenseThreads(2);
    expect(modelTwo).toEqual(modelOne);
  });

  it('the moment start and the θ problem\'s column scales (row jobs): bit-identical with one thread and two, and equal to the pass over the rows', () => {
    for (const formula of ['y ~ x + w + (x | g)', 'y ~ x + w + (1 | g)']) {
      const model = buildLmm(formula, table, { factors: ['g'] });
      const start = new Float64Array(model.theta.length).fill(1);
      const gram = formGram(model);
      const blocks = () => model.blocks.map((b, k) => columnSquares(b, model.internalBlocks[k]!, model.frame.n));
      setDenseThreads(1);
      const helped1 = rowChunksHelped();
      const one = { theta: momentStart(model, start, gram), squares: blocks() };
      expect(rowChunksHelped()).toBe(helped1);
      expect(one.theta).not.toBeNull();
      setDenseThreads(2);
      const helped0 = rowChunksHelped();
      for (let rep = 0; rep < 10 && (rep === 0 || rowChunksHelped() === helped0); rep++) {
        expect({ theta: momentStart(model, start, gram), squares: blocks() }, formula).toEqual(one);
      }
      expect(rowChunksHelped()).toBeGreaterThan(helped0);
      // from A with the fused residual pass (chunked sums) against the residual vector over the rows
      // (one sequential sum): the same start up to the sums' rounding
      const rows = momentStart(model, start)!;
      for (let k = 0; k < rows.length; k++) expect(Math.abs(one.theta![k] - rows[k]), formula).toBeLessThan(1e-12 * Math.max(1, Math.abs(rows[k])));
      // the column squares against one sequential sum over the rows
      for (const [b, blk] of model.blocks.entries()) {
        const Zc = model.internalBlocks[b]!.Z, Q = blk.q;
        for (let s = 0; s < Q; s++) {
          let sq = 0, cnt = 0;
          for (let i = 0; i < model.frame.n; i++) if (blk.Z[i * Q + s] !== 0) { sq += Zc[i * Q + s] ** 2; cnt++; }
          expect(one.squares[b]!.count[s]).toBe(cnt);
          expect(Math.abs(one.squares[b]!.sumSq[s] - sq)).toBeLessThan(1e-12 * sq);
        }
      }
    }
  });

  it('a weighted LMM\'s √w-scaled rows and Σ log w: bit-identical with one thread and two', () => {
    const weighted = () => {
      const m = buildLmm(FORMULA, table, { factors: ['g'], weights: 'w' });
      return { ...snapshot(m), sumLogW: m.sumLogW };
    };
    setDenseThreads(1);
    const one = weighted();
    setDenseThreads(2);
    const helped0 = rowChunksHelped();
    for (let rep = 0; rep < 10 && (rep === 0 || rowChunksHelped() === helped0); rep++) expect(weighted()).toEqual(one);
    expect(rowChunksHelped()).toBeGreaterThan(helped0);
    // √w y_c against the unweighted rows
    const m = buildLmm(FORMULA, table, { factors: ['g'], weights: 'w' });
    const u = buildLmm(FORMULA, table, { factors: ['g'] });
    for (let i = 0; i < m.frame.n; i += 101) expect(m.rows.y[i]).toBe(u.rows.y[i] * Math.sqrt(m.frame.weights![i]));
  });

  it('the rows that reach the Gram pass are on SharedArrayBuffers (no copy for a threaded pass)', () => {
    const m = buildLmm(FORMULA, table, { factors: ['g'] });
    expect(onSharedMemory(m.rows.X)).toBe(true);
    expect(onSharedMemory(m.rows.y)).toBe(true);
    for (const b of m.rows.blocks) {
      expect(onSharedMemory(b.Z)).toBe(true);
      expect(onSharedMemory(b.codes)).toBe(true);
    }
    // a weighted LMM's √w-scaled rows too
    const wm = buildLmm(FORMULA, table, { factors: ['g'], weights: 'w' });
    expect([wm.rows.X, wm.rows.y, ...wm.rows.blocks.map((b) => b.Z)].every(onSharedMemory)).toBe(true);
  });

  it('a whole lmer fit is bit-identical with one thread and two', async () => {
    setDenseThreads(1);
    const one = await lmer(FORMULA, table, { factors: ['g'] });
    setDenseThreads(2);
    const two = await lmer(FORMULA, table, { factors: ['g'] });
    expect(two.objective).toEqual(one.objective);
    expect(Array.from(two.theta)).toEqual(Array.from(one.theta));
    expect(Array.from(two.beta)).toEqual(Array.from(one.beta));
    expect(two.sigma).toEqual(one.sigma);
  });

  it('the chunked TSQR agrees with one sweep over the rows (R up to the signs of its rows)', () => {
    const m = buildLmm(FORMULA, table, { factors: ['g'] });
    const { X, n, p } = m.frame;
    const cols = Array.from({ length: p }, (_, j) => X.subarray(j * n, (j + 1) * n));
    expect(n).toBeGreaterThan(4 * FRAME_CHUNK);
    const chunked = triangularFactor(cols);
    const sweep = new Float64Array(p * p);
    qrRows(cols, sweep, 0, n);
    const scale = Math.max(...Array.from(sweep, Math.abs));
    for (let i = 0; i < p; i++) {
      const s = Math.sign(chunked[i * p + i]) * Math.sign(sweep[i * p + i]);
      for (let j = i; j < p; j++) expect(Math.abs(chunked[i * p + j] - s * sweep[i * p + j])).toBeLessThanOrEqual(1e-12 * scale);
    }
  });

  it('an infinite value and an overflowing value in a late chunk are refused naming their row', () => {
    const n = 50_000;
    const inf = Array.from({ length: n }, () => 1);
    inf[40_000] = Infinity;
    expect(() => buildLmm('y ~ x + v + (1 | g)', frameData(n, 100, { v: inf }), { factors: ['g'] })).toThrow(/'v' is Inf in row 40001/);
    const big = Array.from({ length: n }, (_, i) => i % 7);
    big[45_000] = 1e300;
    expect(() => buildLmm('y ~ x + v + (1 | g)', frameData(n, 100, { v: big }), { factors: ['g'] })).toThrow(/'v' reaches 1\.000e\+300 \(row 45001\)/);
  });
});
