/**
 * Host of shaders/dense.wgsl: the blocked Cholesky factor L Lᵀ = D of a dense SPD m × m matrix in f32
 * on the GPU, its log-determinant, and the right solve S ← S L⁻ᵀ for up to maxRows rows.
 *
 * Made once per model (pipelines, buffers, and every panel's bind groups), then per evaluation:
 *   factor:     [copy input → matrix]  clear status  then per panel k = 0 .. np−1 (np = ⌈m / NB⌉):
 *               diagFactor(k) (one workgroup), panelSolve(k) (L21 = A21 L11⁻ᵀ), update(k) (the
 *               trailing A22 −= L21 L21ᵀ), the last two skipped for the last panel: 3·np − 2
 *               dispatches in one compute pass, then one readback of (2 + np) status words.
 *               m = 1128: 36 panels, 106 dispatches.
 *   rightSolve: [copy S → rhs]  per panel solveDiag(k) (X_k = S_k L11⁻ᵀ) and solveUpdate(k) (the
 *               columns to the right), the last skipped for the last panel (2·np − 1 dispatches),
 *               then copy X → S.
 * The trailing update comes in two variants (see dense.wgsl): shared-memory tiles for GPUs, and a
 * barrier-free one for CPU drivers such as SwiftShader, where barriers cost milliseconds per workgroup.
 *
 * Each dispatch binds its panel's slice of one uniform buffer of per-panel parameters (written once
 * at creation), so the whole sequence is recorded into one command encoder with nothing written in
 * between. Callers can chain their own kernels before or after: assemble D directly in `matrix`
 * (then encodeFactor(encoder) makes no copy), or read L from `matrix` after the factorization
 * (lower triangle, row-major, leading dimension m; the strict upper triangle is never read or written).
 */
import type { GpuContext } from './device.js';
import { ComputeKernel, packUniform, structLayout } from './kernel.js';
import { createStorage, createUniform, readBuffer, writeBuffer } from './buffers.js';
import { shaderSource } from './shaders.generated.js';

/** Panel width (columns per panel) — NB in dense.wgsl. */
export const DENSE_NB = 32;
/** Threads per workgroup of the 64-thread kernels. */
const WG = 64;
/** The trailing-update variants: output tile side and workgroup cap (each workgroup loops over tiles). */
const UPDATE_VARIANTS = {
  tiled: { entry: 'updateTiled', tile: 64, maxWorkgroups: 256 },
  direct: { entry: 'updateDirect', tile: 64, maxWorkgroups: 1024 },
} as const;
/** Cap on panelSolve workgroups (each thread loops over rows). */
const MAX_PANEL_WORKGROUPS = 256;

export type DenseUpdateVariant = keyof typeof UPDATE_VARIANTS;

export interface DenseCholeskyOptions {
  /** trailing-update kernel: 'tiled' (shared memory; GPUs) or 'direct' (no barriers; CPU drivers). Default: 'direct' on software adapters, else 'tiled'. */
  update?: DenseUpdateVariant;
}

export interface DenseFactorResult {
  /** log det D = Σ_j 2 log L_jj (per-panel f32 sums, finished in float64); NaN when a pivot failed */
  logdet: number;
  /** 0-based index of the first non-positive pivot, or -1 when D is positive definite (to f32 precision) */
  failedPivot: number;
  /** that pivot's value (D_jj − Σ_k L_jk², f32), or NaN when none failed */
  failedValue: number;
}

interface PanelInfo {
  k0: number;
  nb: number;
  below: number;
  /** workgroups of panelSolve and of the trailing update */
  panelWG: number;
  updateWG: number;
}

export class DenseCholeskyGpu {
  readonly ctx: GpuContext;
  /** matrix order */
  readonly m: number;
  /** most rows a right solve takes */
  readonly maxRows: number;
  /** panels of DENSE_NB columns: ⌈m / NB⌉ */
  readonly npanels: number;
  /** the trailing-update kernel in use */
  readonly updateVariant: DenseUpdateVariant;
  /** m × m f32, row-major: D in, L out (lower triangle); STORAGE | COPY_SRC | COPY_DST */
  readonly matrix: GPUBuffer;
  /** u32 words: [0] failed pivot + 1 (0: none), [1] its value (f32 bits), [2 + k] panel k's Σ log pivot (f32 bits) */
  readonly status: GPUBuffer;
  /** maxRows × m f32: the right solve's working copy of S (pass it as S to skip the copy in) */
  readonly rhs: GPUBuffer;
  /** maxRows × m f32: X = S L⁻ᵀ of the last right solve (also copied back into S) */
  readonly solution: GPUBuffer;
  /** every buffer this object allocated (destroy() frees them) */
  readonly buffers: readonly GPUBuffer[];

  private readonly diagK: ComputeKernel;
  private readonly panelK: ComputeKernel;
  private readonly updateK: ComputeKernel;
  private readonly solveDiagK: ComputeKernel;
  private readonly solveUpdateK: ComputeKernel;
  private readonly panels: readonly PanelInfo[];
  private readonly diagBG: readonly GPUBindGroup[];
  private readonly panelBG: readonly GPUBindGroup[];
  private readonly updateBG: readonly GPUBindGroup[];
  private readonly solveBG = new Map<number, { diag: GPUBindGroup[]; update: GPUBindGroup[] }>();
  private readonly panelUniform: GPUBuffer;
  private readonly panelStride: number;
  private readonly panelSize: number;
  private readonly dimsUniform: GPUBuffer;
  private readonly dimsStride: number;
  private readonly dimsSize: number;

  private constructor(ctx: GpuContext, m: number, maxRows: number, updateVariant: DenseUpdateVariant, init: {
    kernels: ComputeKernel[]; panels: PanelInfo[];
    matrix: GPUBuffer; status: GPUBuffer; panelT: GPUBuffer; rhs: GPUBuffer; solution: GPUBuffer;
    panelUniform: GPUBuffer; panelStride: number; panelSize: number;
    dimsUniform: GPUBuffer; dimsStride: number; dimsSize: number;
  }) {
    this.ctx = ctx;
    this.m = m;
    this.maxRows = maxRows;
    this.updateVariant = updateVariant;
    this.npanels = init.panels.length;
    this.panels = init.panels;
    [this.diagK, this.panelK, this.updateK, this.solveDiagK, this.solveUpdateK] = init.kernels;
    this.matrix = init.matrix; this.status = init.status; this.rhs = init.rhs; this.solution = init.solution;
    this.panelUniform = init.panelUniform; this.panelStride = init.panelStride; this.panelSize = init.panelSize;
    this.dimsUniform = init.dimsUniform; this.dimsStride = init.dimsStride; this.dimsSize = init.dimsSize;
    this.buffers = [init.matrix, init.status, init.panelT, init.rhs, init.solution, init.panelUniform, init.dimsUniform];
    const A = this.matrix;
    const PT = init.panelT;
    this.diagBG = init.panels.map((_, k) => this.diagK.bind({ panel: this.panelSlice(k), A, status: this.status }, `dense.diagFactor ${k}`));
    this.panelBG = init.panels.map((_, k) => this.panelK.bind({ panel: this.panelSlice(k), A, PT }, `dense.panelSolve ${k}`));
    this.updateBG = init.panels.map((_, k) => this.updateK.bind(updateVariant === 'direct' ? { panel: this.panelSlice(k), A, PT4: PT } : { panel: this.panelSlice(k), A, PT }, `dense.update ${k}`));
  }

  /** Compiles the pipelines and allocates the buffers for m × m matrices and right solves of up to maxRows rows. */
  static async create(ctx: GpuContext, m: number, maxRows: number, opts: DenseCholeskyOptions = {}): Promise<DenseCholeskyGpu> {
    if (!Number.isInteger(m) || m < 1) throw new Error(`DenseCholeskyGpu: m must be a positive integer, got ${m}`);
    if (!Number.isInteger(maxRows) || maxRows < 1) throw new Error(`DenseCholeskyGpu: maxRows must be a positive integer, got ${maxRows}`);
    const variant: DenseUpdateVariant = opts.update ?? (ctx.isSoftware ? 'direct' : 'tiled');
    const upd = UPDATE_VARIANTS[variant];
    if (!upd) throw new Error(`DenseCholeskyGpu: unknown update variant '${String(variant)}' (known: ${Object.keys(UPDATE_VARIANTS).join(', ')})`);
    const code = shaderSource('dense');
    const kernels = await Promise.all(['diagFactor', 'panelSolve', upd.entry, 'solveDiag', 'solveUpdate'].map((entry) =>
      ComputeKernel.create(ctx, code, entry, { label: `dense.${entry}` })));
    const panels: PanelInfo[] = [];
    for (let k0 = 0; k0 < m; k0 += DENSE_NB) {
      const nb = Math.min(DENSE_NB, m - k0);
      const below = m - k0 - nb;
      const nt = Math.ceil(below / upd.tile);
      panels.push({
        k0, nb, below,
        panelWG: Math.min(MAX_PANEL_WORKGROUPS, Math.ceil(below / WG)),
        updateWG: Math.min(upd.maxWorkgroups, (nt * (nt + 1)) / 2),
      });
    }
    const align = ctx.limits.minUniformBufferOffsetAlignment;
    const panelLayout = structLayout(code, 'Panel');
    const panelStride = Math.ceil(panelLayout.size / align) * align;
    const panelData = new Uint8Array(panelStride * panels.length);
    panels.forEach((p, index) => {
      panelData.set(new Uint8Array(packUniform(panelLayout, { m, k0: p.k0, nb: p.nb, index, below: p.below })), index * panelStride);
    });
    const dimsLayout = structLayout(code, 'Dims');
    const dimsStride = Math.ceil(dimsLayout.size / align) * align;
    const dimsData = new Uint8Array(dimsStride * maxRows);
    for (let r = 1; r <= maxRows; r++) dimsData.set(new Uint8Array(packUniform(dimsLayout, { rows: r })), (r - 1) * dimsStride);

    return new DenseCholeskyGpu(ctx, m, maxRows, variant, {
      kernels, panels,
      matrix: createStorage(ctx, m * m * 4, 'dense matrix'),
      status: createStorage(ctx, (2 + panels.length) * 4, 'dense status'),
      panelT: createStorage(ctx, DENSE_NB * Math.ceil(m / 4) * 4 * 4, 'dense panelT'),
      rhs: createStorage(ctx, maxRows * m * 4, 'dense rhs'),
      solution: createStorage(ctx, maxRows * m * 4, 'dense solution'),
      panelUniform: createUniform(ctx, panelData, 'dense panels'), panelStride, panelSize: panelLayout.size,
      dimsUniform: createUniform(ctx, dimsData, 'dense dims'), dimsStride, dimsSize: dimsLayout.size,
    });
  }

  /** Dispatches per factorization: 3 per panel, less 2 for the last. */
  get factorDispatches(): number {
    return 3 * this.npanels - 2;
  }

  /** Dispatches per right solve: 2 per panel, less 1 for the last. */
  get solveDispatches(): number {
    return 2 * this.npanels - 1;
  }

  /**
   * Records the factorization of `matrix` (after copying `input` into it, when given and not `matrix`
   * itself) into `encoder`, in one compute pass. Submit the encoder, then readResult().
   */
  encodeFactor(encoder: GPUCommandEncoder, input?: GPUBuffer): void {
    const bytes = this.m * this.m * 4;
    if (input && input !== this.matrix) {
      if (input.size < bytes) throw new Error(`DenseCholeskyGpu.factor: input '${input.label}' has ${input.size} bytes, needs ${bytes} (m = ${this.m})`);
      encoder.copyBufferToBuffer(input, 0, this.matrix, 0, bytes);
    }
    encoder.clearBuffer(this.status);
    const pass = encoder.beginComputePass({ label: 'dense factor' });
    this.panels.forEach((p, k) => {
      this.diagK.dispatch(pass, this.diagBG[k], 1);
      if (p.below > 0) {
        this.panelK.dispatch(pass, this.panelBG[k], p.panelWG);
        this.updateK.dispatch(pass, this.updateBG[k], p.updateWG);
      }
    });
    pass.end();
  }

  /** Reads the status words written by the last submitted factorization (one small readback). */
  async readResult(): Promise<DenseFactorResult> {
    const r = this.statusRange();
    return this.result(await readBuffer(this.ctx, r.buffer, 0, r.size));
  }

  /** The status words' range (for a caller that reads them with other results: readRanges). */
  statusRange(): { buffer: GPUBuffer; size: number } {
    return { buffer: this.status, size: (2 + this.npanels) * 4 };
  }

  /** The factorization's result from its status words. */
  result(words: ArrayBuffer): DenseFactorResult {
    const u = new Uint32Array(words);
    const f = new Float32Array(words);
    const failedPivot = u[0] === 0 ? -1 : u[0] - 1;
    let logdet = 0;
    for (let k = 0; k < this.npanels; k++) logdet += f[2 + k];
    return failedPivot < 0 ? { logdet, failedPivot, failedValue: NaN } : { logdet: NaN, failedPivot, failedValue: f[1] };
  }

  /**
   * Factors D in place in `matrix` (L in its lower triangle): from `input` (uploaded when a
   * Float32Array of m² entries, copied on the GPU when another buffer, used as is when `matrix`).
   * With `encoder`, the factorization is recorded after what the caller recorded there, and the
   * encoder is finished and submitted here (a Float32Array input is written by queue.writeBuffer,
   * i.e. before the encoder's commands run). Resolves after one readback of the status words.
   */
  async factor(input: GPUBuffer | Float32Array, encoder?: GPUCommandEncoder): Promise<DenseFactorResult> {
    let src: GPUBuffer | undefined;
    if (input instanceof Float32Array) {
      if (input.length !== this.m * this.m) throw new Error(`DenseCholeskyGpu.factor: expected ${this.m * this.m} entries (m = ${this.m}), got ${input.length}`);
      writeBuffer(this.ctx, this.matrix, input);
    } else {
      src = input;
    }
    const enc = encoder ?? this.ctx.device.createCommandEncoder({ label: 'dense factor' });
    this.encodeFactor(enc, src);
    this.ctx.device.queue.submit([enc.finish()]);
    return this.readResult();
  }

  /**
   * Records X = S L⁻ᵀ for the first `rows` rows of S (rows × m f32, row-major, leading dimension m)
   * with L from the last factorization in `matrix`; X replaces S's first `rows` rows (and is left in
   * `solution`). S is first copied into `rhs` unless it is `rhs`.
   */
  encodeRightSolve(encoder: GPUCommandEncoder, S: GPUBuffer, rows: number): void {
    if (!Number.isInteger(rows) || rows < 0 || rows > this.maxRows) {
      throw new Error(`DenseCholeskyGpu.rightSolve: rows must be an integer in 0 .. ${this.maxRows}, got ${rows}`);
    }
    if (rows === 0) return;
    const bytes = rows * this.m * 4;
    if (S.size < bytes) throw new Error(`DenseCholeskyGpu.rightSolve: S '${S.label}' has ${S.size} bytes, needs ${bytes} (${rows} rows × m = ${this.m})`);
    if (S !== this.rhs) encoder.copyBufferToBuffer(S, 0, this.rhs, 0, bytes);
    const bgs = this.solveBindGroups(rows);
    const pass = encoder.beginComputePass({ label: 'dense right solve' });
    this.panels.forEach((p, k) => {
      this.solveDiagK.dispatch(pass, bgs.diag[k], Math.ceil(rows / WG));
      if (p.below > 0) this.solveUpdateK.dispatch(pass, bgs.update[k], Math.ceil((Math.ceil(rows / 4) * Math.ceil(p.below / 4)) / WG));
    });
    pass.end();
    encoder.copyBufferToBuffer(this.solution, 0, S, 0, bytes);
  }

  /** encodeRightSolve into `encoder` (the caller submits it) or into a new encoder submitted here. */
  rightSolve(S: GPUBuffer, rows: number, encoder?: GPUCommandEncoder): void {
    const enc = encoder ?? this.ctx.device.createCommandEncoder({ label: 'dense right solve' });
    this.encodeRightSolve(enc, S, rows);
    if (!encoder) this.ctx.device.queue.submit([enc.finish()]);
  }

  /** Frees the buffers (the object is unusable afterwards). */
  destroy(): void {
    for (const b of this.buffers) b.destroy();
    this.solveBG.clear();
  }

  private panelSlice(k: number): { buffer: GPUBuffer; offset: number; size: number } {
    return { buffer: this.panelUniform, offset: k * this.panelStride, size: this.panelSize };
  }

  /** The per-panel bind groups of the solve kernels for `rows` rows (made on first use, then cached). */
  private solveBindGroups(rows: number): { diag: GPUBindGroup[]; update: GPUBindGroup[] } {
    let bgs = this.solveBG.get(rows);
    if (!bgs) {
      const dims = { buffer: this.dimsUniform, offset: (rows - 1) * this.dimsStride, size: this.dimsSize };
      const res = (k: number) => ({ panel: this.panelSlice(k), dims, L: this.matrix, rhs: this.rhs, xout: this.solution });
      bgs = {
        diag: this.panels.map((_, k) => this.solveDiagK.bind(res(k), `dense.solveDiag ${k} rows ${rows}`)),
        update: this.panels.map((_, k) => this.solveUpdateK.bind(res(k), `dense.solveUpdate ${k} rows ${rows}`)),
      };
      this.solveBG.set(rows, bgs);
    }
    return bgs;
  }
}
