/**
 * The weighted data pass of PIRLS on the WebGPU backend (shaders/glmmPass.wgsl): A(w) = [Z X z]ᵀ W [Z X z]
 * in the blocked layout of src/linalg/gram.ts, as WeightedGramCpu computes it in float64.
 *
 * Once per fit: X and the blocks' Z columns go up as f32 columns, with the row lists (CSR) of each
 * segment: the rows of each level of each factor (A_kk, A_Xk), of each (level_j, level_k) entry of
 * each cross pattern (A_jk), and chunks of consecutive rows (A_XX), every segment at most SEGMENT
 * rows; with the family's row data (y, prior weights, offset, factor codes) for the reweight kernel.
 *
 * Per PIRLS iteration, `evaluateAsync` at a state (β, b = Λu): only the coefficients go up (and
 * offset + Xβ when β is fixed and changed); one submission computes, per row, η, μ, the working
 * weight, the working residual r = (y − μ)/(dμ/dη) (with `observed`, a non-canonical link's
 * Newton weights and residual: src/glmm/rowPass.ts observedRows) and the unit deviance (`reweight`), the
 * deviance's chunk sums (`chunkSums`) and one f32 partial sum per (segment, output entry)
 * (`products`); the host adds the partials into the GramMatrix's float64 blocks and the fitted part
 * A·(b, β) of the working response in float64 (addFittedPart) — the precision policy of the linear
 * case (f32 on the GPU, partial sums finished in float64). The readback is the partials and the
 * deviance's chunk sums, O(segments), never a row vector. `formAsync` instead takes w and z from
 * the host (PIRLS's cold start from R's mustart, whose η is no state). In the group layout the first
 * grouping factor's partials stay on the device for its per-group updates (glmmGroups.ts) and only
 * the other factors' come back; otherwise the blocked Cholesky and the solve of each iteration run
 * on the CPU.
 *
 * Accuracy: each partial is a sum of at most SEGMENT products of three f32-rounded values, so every
 * entry of A(w) is within (SEGMENT + 3) · 2⁻²⁴ · Σ_i |w_i a_i b_i| of the float64 value (≈ 1.6e-5
 * relative to the sum of absolute terms; test/gpu/glmm.test.ts checks 2e-5).
 */
import type { GramMatrix } from '../../linalg/gram.js';
import { type AsyncWeightedGramBackend, type WeightedGramInput, WeightedGramCpu, addFittedPart } from '../../glmm/weightedGram.js';
import type { GlmFamily } from '../../glmm/family.js';

/** What the reweight shader needs besides the pass's columns: the response and the family. */
export interface GlmmRowData {
  family: GlmFamily;
  y: Float64Array;
  /** prior weights */
  weights: Float64Array;
  /** offset (zeros when none) */
  offset: Float64Array;
}

/** The state the weights are computed from on the GPU (see PirlsEngine). */
export interface GlmmPassState {
  beta: Float64Array;
  /** b = Λu per block */
  b: Float64Array[];
  /** the part of η that the solve does not change: offset (β free) or offset + Xβ (β fixed) */
  base: Float64Array;
  /** β free (the pass with X) or fixed (the pass without) */
  full: boolean;
  /**
   * the working weights and residual from the observed information (PIRLS's Newton steps, a
   * non-canonical link: src/glmm/rowPass.ts observedRows) instead of the expected one
   */
  observed?: boolean;
}

const LINK_CODE: Record<string, number> = { 'binomial/logit': 0, 'binomial/cloglog': 1, 'poisson/log': 2, 'binomial/probit': 3, 'negative.binomial/log': 4 };

/** Whether the reweight shader has the family and link (else the CPU computes w and z). */
export function gpuReweightSupported(family: GlmFamily): boolean {
  return `${family.family}/${family.link}` in LINK_CODE;
}
import type { GpuContext } from './device.js';
import { ComputeKernel, type StructLayout, packUniform, structLayout } from './kernel.js';
import { createStorage, createUniform, readBuffer, writeBuffer } from './buffers.js';
import { SHADER_LIMITS, shaderSource } from './shaders.generated.js';

/** Most rows one task sums. */
export const GLMM_SEGMENT = 256;

/** Relative bound of a GPU entry's error against Σ |w a b| (see the file comment). */
export const GLMM_PASS_REL_BOUND = (GLMM_SEGMENT + 3) * 2 ** -24;

export interface GlmmPassTimings {
  /** building the tasks and uploading the data (once) */
  setupMs: number;
  /** per-iteration totals: upload of w and z, the pass with its readback, the float64 finish */
  passes: number;
  passMs: number;
  finishMs: number;
}

/** The weighted Gram pass on the GPU, filling a GramMatrix with the structure of WeightedGramCpu. */
export class GlmmPassGpu implements AsyncWeightedGramBackend {
  readonly gram: GramMatrix;
  readonly timings: GlmmPassTimings = { setupMs: 0, passes: 0, passMs: 0, finishMs: 0 };
  /** the float64 pass with the same structure (used for the structure only) */
  readonly structure: WeightedGramCpu;
  private readonly ctx: GpuContext;
  private readonly kernel: ComputeKernel;
  private readonly bindGroup: GPUBindGroup;
  private readonly n: number;
  private readonly p: number;
  private readonly ntasks: number;
  private readonly colsBuf: GPUBuffer;
  private readonly wBuf: GPUBuffer;
  private readonly partialBuf: GPUBuffer;
  private readonly buffers: GPUBuffer[];
  /** per task: destination array (index into `targets`), offset, mirrored offset or -1 */
  private readonly tDest: Uint16Array;
  private readonly tOff: Int32Array;
  private readonly tMirror: Int32Array;
  private readonly targets: Float64Array[];
  private readonly w32: Float32Array;
  private readonly z32: Float32Array;
  /** the reweight kernel and its inputs, when the family is supported */
  private readonly rw: {
    kernel: ComputeKernel; bind: GPUBindGroup; sums: ComputeKernel; sumsBind: GPUBindGroup; nchunks: number;
    coefBuf: GPUBuffer; coef: Float32Array; responseBuf: GPUBuffer; chunkBuf: GPUBuffer;
    /** the base last uploaded (β fixed), or null */
    baseOf: Float64Array | null; baseCopy: Float64Array;
    rowParams: GPUBuffer; blockInfo: GPUBuffer; codesBuf: GPUBuffer;
    /** RowParams's layout and values, and whether its `observed` is set on the device */
    rowLayout: StructLayout; rowValues: Record<string, number>; observed: boolean;
  } | null = null;

  /**
   * The group layout (the first grouping factor's per-group updates on the device, rows there): the
   * tasks of each segment of the first factor's groups are the E = w(w+1)/2 entries of the packed
   * lower triangle of the group's Gram matrix of [Z (q), X (p), r] (w = q + p + 1), segment-major,
   * and `segments` lists each group's segments; these partials stay on the device for the
   * per-group updates (glmmGroups.ts). With more grouping factors (`coupled`) the tasks of the other
   * blocks (A_kk, A_Xk for k ≥ 1, and every A_jk) follow, from `hostTask0` on, and are read back into
   * the float64 blocks (A_00, A_X0 and A_XX are not: they stay on the device).
   */
  readonly groups: { E: number; q: number; p: number; nl: number; segments: Uint32Array; coupled: boolean } | null = null;
  /** the first task read back into the float64 blocks (0 outside the group layout) */
  private hostTask0 = 0;

  /** the first block's rows by level in rowIdx (from `base`, level c at starts[c]..starts[c+1]), outside the group layout */
  private levelRows: { base: number; starts: Uint32Array; nl: number; q: number; zcol: number } | null = null;
  private rowIdxBuf: GPUBuffer | null = null;
  /** adaptive quadrature's rows pass (agqRowSums), set up at its first use */
  private agq: {
    kernel: ComputeKernel; bind: GPUBindGroup; nseg: number; K: number; segLevel: Uint32Array;
    inBuf: GPUBuffer; input: Float32Array; outBuf: GPUBuffer;
  } | null = null;

  private constructor(ctx: GpuContext, kernel: ComputeKernel, input: WeightedGramInput, shareStructure?: GlmmPassGpu, rows?: { kernel: ComputeKernel; sums: ComputeKernel; data: GlmmRowData }, groupLayout = false) {
    const t0 = performance.now();
    this.ctx = ctx;
    this.kernel = kernel;
    const { n, X, p, blocks } = input;
    this.n = n;
    this.p = p;
    this.structure = new WeightedGramCpu(input, shareStructure?.structure);
    const g = this.structure.gram;
    this.gram = g;
    const p1 = p + 1;
    const K = blocks.length;
    // columns: X (0..p-1), z (p), then each block's Z columns
    const colBase: number[] = [];
    let ncol = p1;
    for (const b of blocks) { colBase.push(ncol); ncol += b.q; }
    const cols = new Float32Array(ncol * n);
    cols.set(X.subarray(0, p * n));
    blocks.forEach((b, k) => {
      const q = b.q;
      for (let s = 0; s < q; s++) {
        const o = (colBase[k] + s) * n;
        for (let i = 0; i < n; i++) cols[o + i] = b.Z[i * q + s];
      }
    });
    // row lists and tasks
    const rowLists: Uint32Array[] = [];
    let rowTotal = 0;
    const tasks: number[] = [];
    const dest: number[] = [], off: number[] = [], mirror: number[] = [];
    this.targets = [g.AXX, ...g.Akk, ...g.AXk];
    const targetOf = new Map<Float64Array, number>(this.targets.map((a, i) => [a, i]));
    const addTarget = (a: Float64Array) => { let i = targetOf.get(a); if (i === undefined) { i = this.targets.length; this.targets.push(a); targetOf.set(a, i); } return i; };
    /** segments of ≤ GLMM_SEGMENT rows of each group of `list` (group starts `starts`), with tasks from `entries(group)` */
    const addGrouped = (list: Uint32Array, starts: ArrayLike<number>, ngroups: number, entries: (grp: number, emit: (a: number, b: number, d: number, o: number, m: number) => void) => void) => {
      const base = rowTotal;
      rowLists.push(list);
      rowTotal += list.length;
      for (let grp = 0; grp < ngroups; grp++) {
        for (let r = starts[grp]; r < starts[grp + 1]; r += GLMM_SEGMENT) {
          const r1 = Math.min(r + GLMM_SEGMENT, starts[grp + 1]);
          entries(grp, (a, b, d, o, m) => { tasks.push(base + r, base + r1, a, b); dest.push(d); off.push(o); mirror.push(m); });
        }
      }
    };
    if (groupLayout) {
      if (!rows) throw new Error('internal: the group layout needs the rows on the device');
      const b = blocks[0];
      const q = b.q, w = q + p1, E = (w * (w + 1)) / 2;
      // logical column a of [Z X r] → the column in `cols`
      const col = (a: number) => (a < q ? colBase[0] + a : a - q);
      const { list, starts } = sortBy(b.codes, b.nl, n);
      const segments = new Uint32Array(b.nl + 1);
      let nseg = 0;
      addGrouped(list, starts, b.nl, (c, emit) => {
        segments[c + 1] = ++nseg;
        for (let a = 0; a < w; a++) for (let t = 0; t <= a; t++) emit(col(a), col(t), 0, 0, -1);
      });
      for (let c = 0; c < b.nl; c++) if (segments[c + 1] < segments[c]) segments[c + 1] = segments[c];
      this.groups = { E, q, p, nl: b.nl, segments, coupled: K > 1 };
      this.hostTask0 = dest.length;
    }
    // A_XX: chunks of consecutive rows
    const identity = new Uint32Array(n);
    for (let i = 0; i < n; i++) identity[i] = i;
    const nchunk = Math.ceil(n / GLMM_SEGMENT);
    const chunkStarts = Array.from({ length: nchunk + 1 }, (_, c) => Math.min(c * GLMM_SEGMENT, n));
    if (!groupLayout) addGrouped(identity, chunkStarts, nchunk, (_c, emit) => {
      for (let r = 0; r < p1; r++) for (let s = 0; s <= r; s++) emit(r, s, 0, r * p1 + s, r === s ? -1 : s * p1 + r);
    });
    // A_kk and A_Xk: rows by level of each factor
    blocks.forEach((b, k) => {
      if (groupLayout && k === 0) return;
      const { list, starts } = sortBy(b.codes, b.nl, n);
      if (k === 0) this.levelRows = { base: rowTotal, starts, nl: b.nl, q: b.q, zcol: colBase[0] };
      const q = b.q, m = b.nl * q;
      const dk = addTarget(g.Akk[k]), dx = addTarget(g.AXk[k]);
      addGrouped(list, starts, b.nl, (c, emit) => {
        for (let s = 0; s < q; s++) {
          for (let t = 0; t <= s; t++) emit(colBase[k] + s, colBase[k] + t, dk, c * q * q + s * q + t, s === t ? -1 : c * q * q + t * q + s);
        }
        for (let r = 0; r < p1; r++) for (let s = 0; s < q; s++) emit(r, colBase[k] + s, dx, r * m + c * q + s, -1);
      });
    });
    // A_jk: rows by pattern entry
    for (let j = 1; j < K; j++) {
      for (let k = 0; k < j; k++) {
        const A = g.Ajk[j][k];
        const nent = A.pattern.rowIdx.length;
        const { list, starts } = sortBy(this.structure.crossPos[j][k], nent, n);
        const qj = blocks[j].q, qk = blocks[k].q;
        const d = addTarget(A.values);
        addGrouped(list, starts, nent, (e, emit) => {
          for (let s = 0; s < qj; s++) for (let t = 0; t < qk; t++) emit(colBase[j] + s, colBase[k] + t, d, e * qj * qk + s * qk + t, -1);
        });
      }
    }
    const rowIdx = new Uint32Array(rowTotal);
    let o = 0;
    for (const l of rowLists) { rowIdx.set(l, o); o += l.length; }
    this.ntasks = dest.length;
    this.tDest = Uint16Array.from(dest);
    this.tOff = Int32Array.from(off);
    this.tMirror = Int32Array.from(mirror);
    this.w32 = new Float32Array(n);
    this.z32 = new Float32Array(n);
    const code = shaderSource('glmmPass');
    this.colsBuf = createStorage(ctx, cols, 'glmm cols');
    this.wBuf = createStorage(ctx, n * 4, 'glmm w');
    const rowBuf = createStorage(ctx, rowIdx, 'glmm rowIdx');
    this.rowIdxBuf = rowBuf;
    const taskBuf = createStorage(ctx, Uint32Array.from(tasks), 'glmm tasks');
    this.partialBuf = createStorage(ctx, this.ntasks * 4, 'glmm partials');
    const params = createUniform(ctx, packUniform(structLayout(code, 'Params'), { ntasks: this.ntasks, n }), 'glmm params');
    this.buffers = [this.colsBuf, this.wBuf, rowBuf, taskBuf, this.partialBuf, params];
    this.bindGroup = kernel.bind({ params, cols: this.colsBuf, w: this.wBuf, rowIdx: rowBuf, tasks: taskBuf, partial: this.partialBuf });
    if (rows) {
      const { family, y, weights, offset } = rows.data;
      const link = LINK_CODE[`${family.family}/${family.link}`];
      const response = new Float32Array(3 * n);
      response.set(y); response.set(weights, n); response.set(offset, 2 * n);
      const codes = new Uint32Array(blocks.length * n);
      const info = new Uint32Array(blocks.length * 4);
      let bOff = p;
      blocks.forEach((b, k) => {
        codes.set(b.codes, k * n);
        info.set([colBase[k], b.q, bOff, k * n], 4 * k);
        bOff += b.nl * b.q;
      });
      const coef = new Float32Array(bOff);
      const coefBuf = createStorage(ctx, Math.max(4, bOff * 4), 'glmm coef');
      const responseBuf = createStorage(ctx, response, 'glmm response');
      const devBuf = createStorage(ctx, n * 4, 'glmm dev');
      const nchunks = Math.ceil(n / GLMM_SEGMENT);
      const chunkBuf = createStorage(ctx, nchunks * 2 * 4, 'glmm dev chunks');
      const rowLayout = structLayout(code, 'RowParams');
      const rowValues = { n, p, nblocks: blocks.length, link, nbTheta: family.theta ?? 0, observed: 0 };
      const rowParams = createUniform(ctx, packUniform(rowLayout, rowValues), 'glmm row params');
      const sumParams = createUniform(ctx, packUniform(structLayout(code, 'SumParams'), { n, nchunks }), 'glmm sum params');
      const blockInfo = createStorage(ctx, info, 'glmm blocks');
      const codesBuf = createStorage(ctx, codes, 'glmm codes');
      this.buffers.push(coefBuf, responseBuf, devBuf, chunkBuf, rowParams, sumParams, blockInfo, codesBuf);
      this.rw = {
        kernel: rows.kernel, sums: rows.sums, nchunks, coefBuf, coef, responseBuf, chunkBuf, baseOf: null, baseCopy: new Float64Array(n),
        rowParams, blockInfo, codesBuf, rowLayout, rowValues, observed: false,
        bind: rows.kernel.bind({ rowParams, colsOut: this.colsBuf, wOut: this.wBuf, coef: coefBuf, blockInfo, codes: codesBuf, response: responseBuf, devOut: devBuf }),
        sumsBind: rows.sums.bind({ sumParams, devIn: devBuf, chunkOut: chunkBuf }),
      };
    }
    this.timings.setupMs = performance.now() - t0;
  }

  /**
   * The pass for `input` on `ctx`; `shareStructure`: a pass over the same rows and factors whose
   * cross patterns to reuse (as WeightedGramCpu's).
   */
  static async create(ctx: GpuContext, input: WeightedGramInput, shareStructure?: GlmmPassGpu, rowData?: GlmmRowData, options: { groupLayout?: boolean } = {}): Promise<GlmmPassGpu> {
    const code = shaderSource('glmmPass');
    const compile = (entry: string) => ComputeKernel.create(ctx, code, entry, { label: `glmmPass.${entry}` });
    const onDevice = rowData !== undefined && gpuReweightSupported(rowData.family);
    // the pipelines compiled concurrently (a device may compile them in parallel)
    const [kernel, reweight, sums] = await Promise.all([
      shareStructure?.kernel ?? compile('products'),
      onDevice ? shareStructure?.rw?.kernel ?? compile('reweight') : null,
      onDevice ? shareStructure?.rw?.sums ?? compile('chunkSums') : null,
    ]);
    const rows = onDevice ? { kernel: reweight!, sums: sums!, data: rowData } : undefined;
    return new GlmmPassGpu(ctx, kernel, input, shareStructure, rows, options.groupLayout ?? false);
  }

  /** The device buffers the per-group updates read (partials) and write (b in the coefficients). */
  get deviceBuffers(): { partial: GPUBuffer; coef: GPUBuffer } {
    if (!this.rw) throw new Error('internal: this GLMM pass has no rows on the device');
    return { partial: this.partialBuf, coef: this.rw.coefBuf };
  }

  /** Whether this pass evaluates states on the device (evaluateAsync). */
  get rowsOnDevice(): boolean {
    return this.rw !== null;
  }

  /**
   * The pass at a state, on the device: η, μ, the working weights and residual and the deviance per
   * row (reweight), A(w) of [Z X r] (products), then on the host the partials finished in float64
   * plus the fitted part A·(b, β) (addFittedPart), so that the gram holds A(w) of [Z X z]. Returns
   * Σ wt·d(y, μ) (compensated f32 chunk sums of ≤ GLMM_SEGMENT rows, added in float64). Only the coefficients go
   * up per call, and offset + Xβ when β is fixed and it changed.
   */
  async evaluateAsync(state: GlmmPassState): Promise<number> {
    const rw = this.rw;
    if (!rw) throw new Error('internal: this GLMM pass has no reweight kernel (family not supported on the GPU)');
    const t0 = performance.now();
    const { ctx, n } = this;
    this.uploadState(rw, state);
    const enc = ctx.device.createCommandEncoder({ label: 'glmm evaluate' });
    const pass = enc.beginComputePass({ label: 'glmm reweight' });
    rw.kernel.dispatch(pass, rw.bind, rw.kernel.workgroupsFor(n));
    pass.end();
    const pass2 = enc.beginComputePass({ label: 'glmm deviance sums and products' });
    rw.sums.dispatch(pass2, rw.sumsBind, rw.sums.workgroupsFor(rw.nchunks));
    this.kernel.dispatch(pass2, this.bindGroup, this.kernel.workgroupsFor(this.ntasks));
    pass2.end();
    ctx.device.queue.submit([enc.finish()]);
    const chunks = readBuffer(ctx, rw.chunkBuf, 0, rw.nchunks * 2 * 4);
    if (!this.groups) {
      const g = await this.finish(t0);
      addFittedPart(g, state.b, state.full ? state.beta : null);
    } else if (this.groups.coupled) {
      // the other blocks' cross-products (of r: the per-group updates' caller adds their fitted part)
      await this.finish(t0);
    }
    // Σ (sum + compensation) over chunks, in float64
    let dev = 0;
    for (const v of new Float32Array(await chunks)) dev += v;
    if (this.groups && !this.groups.coupled) this.count(t0, performance.now());
    return dev;
  }

  /** The state's coefficients (β, and b outside the group layout) and, β fixed, its base when it changed. */
  private uploadState(rw: NonNullable<GlmmPassGpu['rw']>, state: GlmmPassState): void {
    const { ctx, n, p } = this;
    if (state.full !== (p > 0)) throw new Error('internal: a GLMM pass with X is for β free, one without for β fixed');
    rw.coef.set(state.beta.subarray(0, p));
    const observed = state.observed === true;
    if (observed !== rw.observed) {
      rw.observed = observed;
      writeBuffer(ctx, rw.rowParams, packUniform(rw.rowLayout, { ...rw.rowValues, observed: observed ? 1 : 0 }));
    }
    if (this.groups) {
      // the first block's b is on the device already (written by the per-group update): β goes up,
      // and the other blocks' b (setOtherModes)
      if (p > 0) writeBuffer(ctx, rw.coefBuf, rw.coef.subarray(0, p));
      const o = p + this.groups.nl * this.groups.q;
      if (this.groups.coupled) writeBuffer(ctx, rw.coefBuf, rw.coef.subarray(o), o * 4);
    } else {
      let o = p;
      for (const b of state.b) { rw.coef.set(b, o); o += b.length; }
      writeBuffer(ctx, rw.coefBuf, rw.coef);
    }
    if (!state.full) {
      // η = base + Zb: base (offset + Xβ) goes up when it changed
      let same = rw.baseOf !== null;
      if (same) { const a = rw.baseCopy, b = state.base; for (let i = 0; i < n; i++) if (a[i] !== b[i]) { same = false; break; } }
      if (!same) {
        rw.baseCopy.set(state.base);
        rw.baseOf = rw.baseCopy;
        writeBuffer(ctx, rw.responseBuf, Float32Array.from(state.base), 2 * n * 4);
      }
    }
  }

  /**
   * The group layout with more grouping factors: b_k = Λ_k u_k of blocks k ≥ 1 (b[0] is ignored: the
   * per-group update writes the first block's on the device), uploaded with the next state.
   */
  setOtherModes(b: Float64Array[]): void {
    const rw = this.rw, gr = this.groups;
    if (!rw || !gr?.coupled) throw new Error('internal: setOtherModes is for the group layout with several grouping factors');
    let o = this.p + gr.nl * gr.q;
    for (let k = 1; k < b.length; k++) { rw.coef.set(b[k], o); o += b[k].length; }
  }

  /** Whether agqRowSums can run here: rows on the device, one scalar term, outside the group layout. */
  get agqOnDevice(): boolean {
    return this.rw !== null && this.levelRows !== null && this.levelRows.q === 1 && this.gram.blocks.length === 1;
  }

  /**
   * Adaptive quadrature's rows term on the device (shaders/glmmPass.wgsl agqRows; src/glmm/agq.ts
   * agqRowSums): for each level g and node k with z_k ≠ 0, Σ_{i∈g} [d(y_i, μ(η_i + Z_i s_g z_k)) −
   * d(y_i, μ(η_i))] at the state (β fixed: the pass without X), `scale` s_g = t / L_gg per level;
   * f32 sums per segment of ≤ GLMM_SEGMENT rows, added per level in float64. Level-major, K = nodes.
   */
  async agqRowSums(state: GlmmPassState, scale: Float64Array, nodes: ArrayLike<number>): Promise<Float64Array> {
    const rw = this.rw, lr = this.levelRows;
    if (!rw || !lr || !this.agqOnDevice) throw new Error('internal: adaptive quadrature on the device needs one scalar term and the rows on the device');
    const K = nodes.length;
    if (K > SHADER_LIMITS.MAXNODES) throw new Error(`adaptive quadrature on the WebGPU backend takes at most ${SHADER_LIMITS.MAXNODES} nodes, got ${K}`);
    const { ctx } = this;
    const t0 = performance.now();
    let a = this.agq;
    if (!a || a.K !== K) {
      a?.outBuf.destroy(); a?.inBuf.destroy();
      const code = shaderSource('glmmPass');
      const kernel = a?.kernel ?? await ComputeKernel.create(ctx, code, 'agqRows', { label: 'glmmPass.agqRows' });
      // segments of ≤ GLMM_SEGMENT rows of each level
      const segs: number[] = [];
      const level: number[] = [];
      for (let c = 0; c < lr.nl; c++) {
        for (let r = lr.starts[c]; r < lr.starts[c + 1]; r += GLMM_SEGMENT) {
          segs.push(lr.base + r, lr.base + Math.min(r + GLMM_SEGMENT, lr.starts[c + 1]), c, 0);
          level.push(c);
        }
      }
      const nseg = level.length;
      const segBuf = createStorage(ctx, Uint32Array.from(segs), 'glmm agq segments');
      const input = new Float32Array(lr.nl + K);
      const inBuf = createStorage(ctx, input.byteLength, 'glmm agq input');
      const outBuf = createStorage(ctx, Math.max(1, nseg * K) * 4, 'glmm agq sums');
      const params = createUniform(ctx, packUniform(structLayout(code, 'AgqParams'), { nseg, K, zcol: lr.zcol, nl: lr.nl }), 'glmm agq params');
      this.buffers.push(segBuf, params);
      const bind = kernel.bind({
        rowParams: rw.rowParams, colsOut: this.colsBuf, coef: rw.coefBuf, blockInfo: rw.blockInfo, codes: rw.codesBuf,
        response: rw.responseBuf, rowIdx: this.rowIdxBuf!, agqParams: params, agqSegs: segBuf, agqIn: inBuf, agqOut: outBuf,
      });
      a = { kernel, bind, nseg, K, segLevel: Uint32Array.from(level), inBuf, input, outBuf };
      this.agq = a;
    }
    this.uploadState(rw, state);
    a.input.set(scale);
    for (let k = 0; k < K; k++) a.input[lr.nl + k] = nodes[k];
    writeBuffer(ctx, a.inBuf, a.input);
    const enc = ctx.device.createCommandEncoder({ label: 'glmm agq' });
    const pass = enc.beginComputePass({ label: 'glmm agq rows' });
    a.kernel.dispatch(pass, a.bind, a.kernel.workgroupsFor(a.nseg));
    pass.end();
    ctx.device.queue.submit([enc.finish()]);
    const sums = new Float32Array(await readBuffer(ctx, a.outBuf, 0, a.nseg * K * 4));
    const out = new Float64Array(lr.nl * K);
    for (let sg = 0; sg < a.nseg; sg++) {
      const o = a.segLevel[sg] * K;
      for (let k = 0; k < K; k++) out[o + k] += sums[sg * K + k];
    }
    this.count(t0, performance.now());
    return out;
  }

  /** Number of (segment, entry) tasks of one pass. */
  get tasks(): number {
    return this.ntasks;
  }

  async formAsync(weights: Float64Array, z: Float64Array): Promise<GramMatrix> {
    const t0 = performance.now();
    const { ctx, n, p } = this;
    this.w32.set(weights);
    this.z32.set(z);
    writeBuffer(ctx, this.wBuf, this.w32);
    writeBuffer(ctx, this.colsBuf, this.z32, p * n * 4);
    const enc = ctx.device.createCommandEncoder({ label: 'glmm pass' });
    const pass = enc.beginComputePass({ label: 'glmm pass' });
    this.kernel.dispatch(pass, this.bindGroup, this.kernel.workgroupsFor(this.ntasks));
    pass.end();
    ctx.device.queue.submit([enc.finish()]);
    // the group layout: the partials stay on the device for the per-group updates (the other blocks' come back)
    if (this.groups && !this.groups.coupled) { this.count(t0, performance.now()); return this.gram; }
    return this.finish(t0);
  }

  private count(t0: number, t1: number): void {
    this.timings.passes++;
    this.timings.passMs += t1 - t0;
  }

  /** Reads the partials back and adds them into the float64 blocks. */
  private async finish(t0: number): Promise<GramMatrix> {
    const { ctx, p } = this;
    const t0h = this.hostTask0;
    const partial = new Float32Array(await readBuffer(ctx, this.partialBuf, t0h * 4, (this.ntasks - t0h) * 4));
    const t1 = performance.now();
    for (const a of this.targets) a.fill(0);
    const { tDest, tOff, tMirror, targets } = this;
    for (let t = t0h; t < this.ntasks; t++) {
      const a = targets[tDest[t]];
      const v = partial[t - t0h];
      a[tOff[t]] += v;
      const m = tMirror[t];
      if (m >= 0) a[m] += v;
    }
    const g = this.gram;
    g.yty = g.AXX[p * (p + 1) + p];
    const t2 = performance.now();
    this.timings.passes++;
    this.timings.passMs += t1 - t0;
    this.timings.finishMs += t2 - t1;
    return g;
  }

  /** Frees the GPU buffers. */
  dispose(): void {
    for (const b of this.buffers) b.destroy();
    this.agq?.inBuf.destroy();
    this.agq?.outBuf.destroy();
  }
}

/** Rows grouped by key (a counting sort): the row list and each key's start in it. */
function sortBy(keys: ArrayLike<number>, nkeys: number, n: number): { list: Uint32Array; starts: Uint32Array } {
  const starts = new Uint32Array(nkeys + 1);
  for (let i = 0; i < n; i++) starts[keys[i] + 1]++;
  for (let c = 0; c < nkeys; c++) starts[c + 1] += starts[c];
  const next = starts.slice(0, nkeys);
  const list = new Uint32Array(n);
  for (let i = 0; i < n; i++) list[next[keys[i]]++] = i;
  return { list, starts };
}
