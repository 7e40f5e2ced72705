/**
 * Compute kernels whose bind group layout is derived from the WGSL source (wgsl_reflect), bound by
 * variable name, and dispatched over a 2-D grid when the workgroup count exceeds one dimension's limit;
 * and uniform-struct layouts read from the WGSL so hosts never hand-write offsets.
 *
 * WGSL convention for 1-D work: take `@builtin(workgroup_id) wid` and `@builtin(num_workgroups) nwg`,
 * compute the linear workgroup index as `wid.x + wid.y * nwg.x`, and bounds-check (the grid may
 * have up to nwg.x - 1 workgroups past the requested count).
 */
import type { TypeInfo, WgslReflect as WgslReflectClass } from 'wgsl_reflect';
// wgsl_reflect@1.6's "main" is a CommonJS file inside a "type": "module" package, so Node cannot
// import the bare specifier; its ESM build (the "module" field) works everywhere but has no .d.ts.
// @ts-ignore -- typed through the import type above
import * as wgslReflectEsm from 'wgsl_reflect/wgsl_reflect.module.js';
import type { GpuContext } from './device.js';

const WgslReflect = (wgslReflectEsm as { WgslReflect: typeof WgslReflectClass }).WgslReflect;

/** GPUShaderStage.COMPUTE and GPUBufferUsage bits (fixed by the spec; not read from globals, which Node lacks until WebGPU loads) */
const COMPUTE_STAGE = 0x4;
const USAGE_UNIFORM = 0x40;
const USAGE_STORAGE = 0x80;

export type BindingKind = 'uniform' | 'storage' | 'read-only-storage';

export interface BindingInfo {
  name: string;
  group: number;
  binding: number;
  kind: BindingKind;
  /** WGSL type, e.g. 'array<f32>' or 'Params' */
  type: string;
  /** bytes the binding needs at least (0 for runtime-sized arrays) */
  minBindingSize: number;
}

export type BufferResource = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

export interface KernelOptions {
  label?: string;
  /** values for WGSL `override` constants (note: workgroupSize reports the WGSL defaults) */
  constants?: Record<string, number>;
}

function deviceOf(target: GpuContext | GPUDevice): GPUDevice {
  return 'device' in target && (target as GpuContext).device ? (target as GpuContext).device : (target as GPUDevice);
}

const moduleCache = new WeakMap<GPUDevice, Map<string, GPUShaderModule>>();

function shaderModule(device: GPUDevice, code: string, label: string): GPUShaderModule {
  let m = moduleCache.get(device);
  if (!m) moduleCache.set(device, (m = new Map()));
  let mod = m.get(code);
  if (!mod) m.set(code, (mod = device.createShaderModule({ code, label })));
  return mod;
}

/**
 * The reflections made, by WGSL text: a shader's text is parsed once per process, not once per entry
 * point and struct (wgsl_reflect takes 7–40 ms a shader here, and a model's set-up reads each shader
 * 3–7 times). Read-only once made; the oldest goes past REFLECT_CACHE_SIZE texts.
 */
const reflectCache = new Map<string, WgslReflectClass>();
const REFLECT_CACHE_SIZE = 32;

/** The reflection of a WGSL text (made once per text, see reflectCache); a text that does not parse throws each time. */
export function reflectWgsl(code: string): WgslReflectClass {
  const cached = reflectCache.get(code);
  if (cached) return cached;
  let reflect: WgslReflectClass;
  try {
    reflect = new WgslReflect(code);
  } catch (e) {
    throw new Error(`WGSL reflection failed: ${(e as Error)?.message ?? String(e)}`);
  }
  if (reflectCache.size >= REFLECT_CACHE_SIZE) reflectCache.delete(reflectCache.keys().next().value as string);
  reflectCache.set(code, reflect);
  return reflect;
}

/** A compute pipeline for one entry point, with its bind group layout derived from the WGSL. */
export class ComputeKernel {
  declare readonly device: GPUDevice;
  declare readonly entryPoint: string;
  declare readonly label: string;
  /** the entry point's buffer bindings, by @binding */
  declare readonly bindings: readonly BindingInfo[];
  /** @workgroup_size of the entry point (override defaults if it uses override constants) */
  declare readonly workgroupSize: readonly [number, number, number];
  declare readonly layout: GPUBindGroupLayout;
  declare readonly pipeline: GPUComputePipeline;
  declare readonly module: GPUShaderModule;

  /** Creates the pipeline synchronously; WGSL errors surface as WebGPU validation errors. Prefer ComputeKernel.create. */
  constructor(target: GpuContext | GPUDevice, code: string, entryPoint: string, opts: KernelOptions = {}) {
    const p = ComputeKernel.prepare(target, code, entryPoint, opts);
    ComputeKernel.assign(this, p, p.device.createComputePipeline(p.descriptor));
  }

  /** Like the constructor, but compiles asynchronously and throws WGSL compile / pipeline errors with their messages. */
  static async create(target: GpuContext | GPUDevice, code: string, entryPoint: string, opts: KernelOptions = {}): Promise<ComputeKernel> {
    const device = deviceOf(target);
    const label = opts.label ?? entryPoint;
    // compile first (WebGPU's messages beat the reflection parser's), capturing the validation error
    // that WebGPU would otherwise report as uncaptured (on stderr in Node)
    device.pushErrorScope('validation');
    const module = shaderModule(device, code, label);
    await device.popErrorScope();
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length) {
      throw new Error(`WGSL compile error in '${label}':\n` + errors.map((m) => `  ${m.lineNum}:${m.linePos} ${m.message}`).join('\n'));
    }
    device.pushErrorScope('validation');
    let p: ReturnType<typeof ComputeKernel.prepare>;
    try {
      p = ComputeKernel.prepare(target, code, entryPoint, opts);
    } finally {
      const err = await device.popErrorScope();
      if (err) throw new Error(`ComputeKernel '${label}': ${err.message}`);
    }
    let pipeline: GPUComputePipeline;
    try {
      pipeline = await device.createComputePipelineAsync(p.descriptor);
    } catch (e) {
      throw new Error(`creating the compute pipeline '${label}' failed: ${(e as Error)?.message ?? String(e)}`);
    }
    return ComputeKernel.assign(Object.create(ComputeKernel.prototype) as ComputeKernel, p, pipeline);
  }

  private static assign(k: ComputeKernel, p: ReturnType<typeof ComputeKernel.prepare>, pipeline: GPUComputePipeline): ComputeKernel {
    const { device, label, bindings, workgroupSize, layout, module } = p;
    return Object.assign(k, { device, entryPoint: p.entryPoint, label, bindings, workgroupSize, layout, module, pipeline });
  }

  private static prepare(target: GpuContext | GPUDevice, code: string, entryPoint: string, opts: KernelOptions) {
    const device = deviceOf(target);
    const label = opts.label ?? entryPoint;
    const reflect = reflectWgsl(code);
    const fn = reflect.entry.compute.find((f) => f.name === entryPoint);
    if (!fn) {
      const names = reflect.entry.compute.map((f) => f.name);
      throw new Error(`ComputeKernel '${label}': no @compute entry point '${entryPoint}' (found: ${names.join(', ') || 'none'})`);
    }
    const bindings: BindingInfo[] = [];
    for (const v of fn.resources) {
      let kind: BindingKind;
      if (v.resourceType === 0 /* Uniform */) kind = 'uniform';
      else if (v.resourceType === 1 /* Storage */) kind = v.access === 'read' ? 'read-only-storage' : 'storage';
      else throw new Error(`ComputeKernel '${label}': resource '${v.name}' is not a buffer; only uniform and storage buffers are supported`);
      if (v.group !== 0) throw new Error(`ComputeKernel '${label}': resource '${v.name}' is in @group(${v.group}); only @group(0) is supported`);
      bindings.push({ name: v.name, group: v.group, binding: v.binding, kind, type: typeName(v.type), minBindingSize: v.size });
    }
    bindings.sort((a, b) => a.binding - b.binding);
    for (let i = 1; i < bindings.length; i++) {
      if (bindings[i].binding === bindings[i - 1].binding) {
        throw new Error(`ComputeKernel '${label}': '${bindings[i - 1].name}' and '${bindings[i].name}' share @binding(${bindings[i].binding})`);
      }
    }
    const ws = fn.workgroupSize ?? [1, 1, 1];
    const workgroupSize = [ws[0] ?? 1, ws[1] ?? 1, ws[2] ?? 1] as const;
    const layout = device.createBindGroupLayout({
      label: `${label} layout`,
      entries: bindings.map((b) => ({
        binding: b.binding,
        visibility: COMPUTE_STAGE,
        // uniform sizes from reflection give early errors; storage arrays are runtime-sized
        buffer: { type: b.kind, minBindingSize: b.kind === 'uniform' ? b.minBindingSize : 0 },
      })),
    });
    const module = shaderModule(device, code, label);
    const descriptor: GPUComputePipelineDescriptor = {
      label,
      layout: device.createPipelineLayout({ label: `${label} pipeline layout`, bindGroupLayouts: [layout] }),
      compute: { module, entryPoint, ...(opts.constants ? { constants: opts.constants } : {}) },
    };
    return { device, entryPoint, label, bindings, workgroupSize, layout, module, descriptor };
  }

  /** Invocations per workgroup (product of the workgroup size). */
  get invocationsPerWorkgroup(): number {
    return this.workgroupSize[0] * this.workgroupSize[1] * this.workgroupSize[2];
  }

  /** Workgroups needed for `n` invocations of a 1-D kernel. */
  workgroupsFor(n: number): number {
    return Math.ceil(n / this.invocationsPerWorkgroup);
  }

  /** A bind group from buffers named by their WGSL variable names; every binding must be given, and nothing else. */
  bind(resources: Record<string, BufferResource>, label?: string): GPUBindGroup {
    const expected = this.bindings.map((b) => b.name);
    const unknown = Object.keys(resources).filter((k) => !expected.includes(k));
    const missing = expected.filter((k) => resources[k] === undefined);
    if (unknown.length || missing.length) {
      const parts: string[] = [];
      if (missing.length) parts.push(`missing ${missing.map((s) => `'${s}'`).join(', ')}`);
      if (unknown.length) parts.push(`unknown ${unknown.map((s) => `'${s}'`).join(', ')}`);
      throw new Error(`ComputeKernel '${this.label}'.bind: ${parts.join('; ')} (expected: ${expected.join(', ') || 'none'})`);
    }
    const entries: GPUBindGroupEntry[] = this.bindings.map((b) => {
      const r = resources[b.name];
      const { buffer, offset = 0, size } = isBuffer(r) ? { buffer: r, offset: 0, size: undefined } : r;
      if (!isBuffer(buffer)) throw new Error(`ComputeKernel '${this.label}'.bind: '${b.name}' is not a GPUBuffer`);
      const need = b.kind === 'uniform' ? USAGE_UNIFORM : USAGE_STORAGE;
      if (typeof buffer.usage === 'number' && !(buffer.usage & need)) {
        throw new Error(`ComputeKernel '${this.label}'.bind: '${b.name}' is a ${b.kind} binding but buffer '${buffer.label}' lacks ${b.kind === 'uniform' ? 'UNIFORM' : 'STORAGE'} usage`);
      }
      const bound = size ?? buffer.size - offset;
      if (bound < b.minBindingSize) {
        throw new Error(`ComputeKernel '${this.label}'.bind: '${b.name}' (${b.type}) needs at least ${b.minBindingSize} bytes, got ${bound}`);
      }
      return { binding: b.binding, resource: size === undefined ? { buffer, offset } : { buffer, offset, size } };
    });
    return this.device.createBindGroup({ label: label ?? `${this.label} bind group`, layout: this.layout, entries });
  }

  /**
   * Sets the pipeline and bind group and dispatches `workgroupCount` workgroups, as a 2-D grid
   * (x = min(count, max), y = ceil(count / x)) when count exceeds maxComputeWorkgroupsPerDimension.
   */
  dispatch(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup, workgroupCount: number): void {
    const [x, y] = gridFor(workgroupCount, this.device.limits.maxComputeWorkgroupsPerDimension);
    if (x === 0) return;
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y);
  }
}

/** The 2-D grid [x, y] for `count` workgroups: x = min(count, max), y = ceil(count / x). */
export function gridFor(count: number, maxPerDimension: number): [number, number] {
  if (!Number.isInteger(count) || count < 0) throw new Error(`workgroup count must be a non-negative integer, got ${count}`);
  if (count === 0) return [0, 0];
  const x = Math.min(count, maxPerDimension);
  const y = Math.ceil(count / x);
  if (y > maxPerDimension) {
    throw new Error(`${count} workgroups exceed the 2-D grid limit of ${maxPerDimension} x ${maxPerDimension}`);
  }
  return [x, y];
}

function isBuffer(r: unknown): r is GPUBuffer {
  return typeof r === 'object' && r !== null && typeof (r as GPUBuffer).mapAsync === 'function' && typeof (r as GPUBuffer).size === 'number';
}

// ---------------------------------------------------------------------------------------------
// Struct layouts and uniform packing

export type ScalarType = 'f32' | 'i32' | 'u32' | 'f16' | 'bool';

export interface MemberLayout {
  offset: number;
  size: number;
  /** WGSL type, e.g. 'u32', 'vec4<f32>', 'array<f32, 4>', 'mat3x3<f32>', or a struct name */
  type: string;
  /** element scalar type; undefined for structs and other non-numeric members */
  scalar?: ScalarType;
  /** scalars per element: 1, vector length, or cols * rows for matrices */
  components: number;
  /** array length (1 when not an array; 0 for runtime-sized arrays) */
  count: number;
  /** bytes between array elements (0 when not an array) */
  stride: number;
  /** matrices: columns, rows and bytes between columns */
  matrix?: { cols: number; rows: number; colStride: number };
}

export interface StructLayout {
  name: string;
  size: number;
  align: number;
  members: Record<string, MemberLayout>;
}

interface Shape {
  wgsl: string;
  scalar?: ScalarType;
  components: number;
  matrix?: { cols: number; rows: number; colStride: number };
  packable: boolean;
}

const SHORT_SCALAR: Record<string, ScalarType> = { f: 'f32', i: 'i32', u: 'u32', h: 'f16' };
const SCALARS = new Set(['f32', 'i32', 'u32', 'f16', 'bool']);

function vecAlign(rows: number, scalar: ScalarType): number {
  const s = scalar === 'f16' ? 2 : 4;
  return rows === 2 ? 2 * s : 4 * s;
}

function shapeOf(t: TypeInfo): Shape {
  const name = t.name;
  if (SCALARS.has(name)) return { wgsl: name, scalar: name as ScalarType, components: 1, packable: name !== 'bool' };
  const templ = t as TypeInfo & { format?: TypeInfo | null };
  let m = /^vec([234])([fiuh])$/.exec(name);
  if (m) {
    const scalar = SHORT_SCALAR[m[2]];
    return { wgsl: `vec${m[1]}<${scalar}>`, scalar, components: +m[1], packable: scalar !== 'f16' };
  }
  m = /^vec([234])$/.exec(name);
  if (m && templ.format && SCALARS.has(templ.format.name)) {
    const scalar = templ.format.name as ScalarType;
    return { wgsl: `vec${m[1]}<${scalar}>`, scalar, components: +m[1], packable: scalar !== 'f16' && scalar !== 'bool' };
  }
  m = /^mat([234])x([234])([fh])?$/.exec(name);
  if (m) {
    const scalar: ScalarType | undefined = m[3] ? SHORT_SCALAR[m[3]] : (templ.format?.name as ScalarType | undefined);
    if (scalar === 'f32' || scalar === 'f16') {
      const cols = +m[1];
      const rows = +m[2];
      return { wgsl: `mat${cols}x${rows}<${scalar}>`, scalar, components: cols * rows, matrix: { cols, rows, colStride: vecAlign(rows, scalar) }, packable: scalar === 'f32' };
    }
  }
  if (name === 'atomic' && templ.format && SCALARS.has(templ.format.name)) {
    const scalar = templ.format.name as ScalarType;
    return { wgsl: `atomic<${scalar}>`, scalar, components: 1, packable: true };
  }
  return { wgsl: t.isStruct ? name : t.getTypeName(), components: 0, packable: false };
}

function typeName(t: TypeInfo): string {
  if (t.isArray) {
    const a = t as TypeInfo & { format: TypeInfo; count: number };
    return a.count > 0 ? `array<${typeName(a.format)}, ${a.count}>` : `array<${typeName(a.format)}>`;
  }
  return shapeOf(t).wgsl;
}

/** The memory layout of WGSL struct `structName` in `code` (WGSL's alignment rules, as wgsl_reflect computes them). */
export function structLayout(code: string, structName: string): StructLayout {
  const reflect = reflectWgsl(code);
  const s = reflect.getStructInfo(structName);
  if (!s) {
    const names = reflect.structs.map((x) => x.name);
    throw new Error(`structLayout: no struct '${structName}' in the WGSL (found: ${names.join(', ') || 'none'})`);
  }
  const members: Record<string, MemberLayout> = {};
  for (const m of s.members) {
    const t = m.type;
    if (t.isArray) {
      const a = t as TypeInfo & { format: TypeInfo; count: number; stride: number };
      const el = shapeOf(a.format);
      members[m.name] = {
        offset: m.offset, size: m.size, type: typeName(t), components: el.components, count: a.count, stride: a.stride,
        ...(el.packable ? { scalar: el.scalar } : {}), ...(el.matrix ? { matrix: el.matrix } : {}),
      };
    } else {
      const sh = shapeOf(t);
      members[m.name] = {
        offset: m.offset, size: m.size, type: sh.wgsl, components: sh.components, count: 1, stride: 0,
        ...(sh.packable ? { scalar: sh.scalar } : {}), ...(sh.matrix ? { matrix: sh.matrix } : {}),
      };
    }
  }
  return { name: s.name, size: s.size, align: s.align, members };
}

/**
 * Writes `values` into a new ArrayBuffer laid out as `layout` (little-endian, as WebGPU expects).
 * Every member must be given, and nothing else: a number for scalars, a number[] (flattened; matrices
 * column-major) for vectors, matrices and arrays of them. u32 / i32 values must be integers in range.
 */
export function packUniform(layout: StructLayout, values: Record<string, number | ArrayLike<number>>): ArrayBuffer {
  const names = Object.keys(layout.members);
  const unknown = Object.keys(values).filter((k) => !(k in layout.members));
  const missing = names.filter((k) => values[k] === undefined);
  if (unknown.length || missing.length) {
    const parts: string[] = [];
    if (missing.length) parts.push(`missing ${missing.map((s) => `'${s}'`).join(', ')}`);
    if (unknown.length) parts.push(`unknown ${unknown.map((s) => `'${s}'`).join(', ')}`);
    throw new Error(`packUniform(${layout.name}): ${parts.join('; ')} (members: ${names.join(', ')})`);
  }
  const buf = new ArrayBuffer(Math.ceil(layout.size / 4) * 4);
  const view = new DataView(buf);
  for (const name of names) {
    const m = layout.members[name];
    const where = `packUniform(${layout.name}).${name} (${m.type})`;
    if (!m.scalar) throw new Error(`${where}: only scalars, vectors, matrices and fixed-size arrays of them can be packed`);
    if (m.count === 0) throw new Error(`${where}: runtime-sized arrays cannot be packed`);
    const v = values[name];
    const flat: ArrayLike<number> = typeof v === 'number' ? [v] : v;
    const total = m.count * m.components;
    if (flat.length !== total) throw new Error(`${where}: expected ${total} number${total === 1 ? '' : 's'}, got ${flat.length}`);
    const perElement = m.components;
    for (let e = 0; e < m.count; e++) {
      const base = m.offset + e * m.stride;
      for (let c = 0; c < perElement; c++) {
        const x = flat[e * perElement + c];
        const off = m.matrix ? base + Math.floor(c / m.matrix.rows) * m.matrix.colStride + (c % m.matrix.rows) * 4 : base + c * 4;
        writeScalar(view, off, m.scalar, x, where);
      }
    }
  }
  return buf;
}

function writeScalar(view: DataView, off: number, scalar: ScalarType, x: number, where: string): void {
  if (typeof x !== 'number') throw new Error(`${where}: ${String(x)} is not a number`);
  switch (scalar) {
    case 'f32':
      view.setFloat32(off, x, true);
      return;
    case 'u32':
      if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new Error(`${where}: ${x} is not a u32`);
      view.setUint32(off, x, true);
      return;
    case 'i32':
      if (!Number.isInteger(x) || x < -0x80000000 || x > 0x7fffffff) throw new Error(`${where}: ${x} is not an i32`);
      view.setInt32(off, x, true);
      return;
    default:
      throw new Error(`${where}: ${scalar} members cannot be packed`);
  }
}
