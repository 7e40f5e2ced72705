/**
 * Acquiring a WebGPU device, in browsers (navigator.gpu) and in Node (the `webgpu` package, Dawn).
 *
 * In Node without a GPU, Dawn runs on SwiftShader (a CPU Vulkan driver shipped in Debian's
 * chromium-common package) when the Vulkan loader is pointed at its ICD manifest. acquireGpu does
 * that itself when the user has not chosen a Vulkan driver (VK_ICD_FILENAMES / VK_DRIVER_FILES unset)
 * and no other driver gives an adapter.
 *
 * Nothing here imports a Node module statically: `webgpu` and `node:fs` are loaded with variable
 * specifiers behind a runtime check, so bundlers leave them alone and browsers never load them.
 */

import { DeviceLostError, MixedGpuError } from '../../errors/errors.js';
import type { DriverProbe } from './driverProbe.js';

/** Where Debian's chromium-common installs SwiftShader's Vulkan ICD manifest. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** The limits acquireGpu raises to the adapter's maximum. */
export const MAX_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxStorageBuffersPerShaderStage',
] as const;

export interface GpuContext {
  device: GPUDevice;
  /** readable adapter name from GPUAdapterInfo, e.g. 'google swiftshader (SwiftShader driver 5.0.0)' */
  adapterName: string;
  /** a CPU implementation (SwiftShader, llvmpipe/lavapipe, WARP, a fallback adapter) */
  isSoftware: boolean;
  /** the device's limits (what was granted, not the defaults) */
  limits: GPUSupportedLimits;
  /** resolves when the device is lost (reason 'destroyed' after releaseGpu) */
  lost: Promise<GPUDeviceLostInfo>;
  /** true when acquireGpu created the device (releaseGpu destroys it); false for a host-provided device */
  owned: boolean;
}

export interface AcquireGpuOptions {
  /** use this device (the host owns it: releaseGpu will not destroy it) */
  device?: GPUDevice;
  /** extra or overriding device limits; by default the MAX_LIMITS are raised to the adapter's values */
  requiredLimits?: Partial<Record<string, number>>;
  powerPreference?: GPUPowerPreference;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
// Variable specifiers: bundlers must not try to resolve Node-only modules for browsers.
const dynamicImport = (specifier: string): Promise<any> =>
  import(/* @vite-ignore */ /* webpackIgnore: true */ specifier);

const isNode = (): boolean =>
  typeof process !== 'undefined' && typeof process.versions === 'object' && !!process.versions?.node;

let unavailableReason: string | null = null;
const acquired = new Set<GpuContext>();

/** Why the last acquireGpu call returned null (null when it returned a context). */
export function gpuUnavailableReason(): string | null {
  return unavailableReason;
}

/**
 * A WebGPU device with raised limits, or null when this environment has no WebGPU adapter
 * (gpuUnavailableReason() says why). Each call without `device` creates a new device.
 */
export async function acquireGpu(opts: AcquireGpuOptions = {}): Promise<GpuContext | null> {
  unavailableReason = null;
  if (opts.device) {
    const device = opts.device;
    const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    return {
      device,
      adapterName: info ? adapterNameOf(info) : 'host-provided device',
      isSoftware: info ? isSoftwareAdapter(info) : false,
      limits: device.limits,
      lost: device.lost,
      owned: false,
    };
  }
  let gpu: GPU | null;
  try {
    gpu = await getGpu();
  } catch (e) {
    unavailableReason = `WebGPU could not be loaded: ${(e as Error)?.message ?? String(e)}`;
    return null;
  }
  if (!gpu) return null; // getGpu set the reason
  const adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
  if (!adapter) {
    unavailableReason = 'requestAdapter() returned null' + (isNode() ? nodeDriverHint() : '');
    return null;
  }
  const requiredLimits: Record<string, number> = {};
  const adapterLimits = adapter.limits as unknown as Record<string, number>;
  for (const k of MAX_LIMITS) if (typeof adapterLimits[k] === 'number') requiredLimits[k] = adapterLimits[k];
  for (const [k, v] of Object.entries(opts.requiredLimits ?? {})) if (v !== undefined) requiredLimits[k] = v;
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, label: 'mixedgpu' });
  } catch (e) {
    unavailableReason = `requestDevice failed: ${(e as Error)?.message ?? String(e)}`;
    return null;
  }
  const info = adapter.info;
  const ctx: GpuContext = {
    device,
    adapterName: adapterNameOf(info),
    isSoftware: isSoftwareAdapter(info, adapter),
    limits: device.limits,
    lost: device.lost,
    owned: true,
  };
  acquired.add(ctx);
  void device.lost.then(() => acquired.delete(ctx));
  return ctx;
}

let shared: Promise<GpuContext | null> | null = null;

/**
 * One device for the fits of this process or page (acquireGpu once, reused while it lives): a fit
 * without a host-provided device uses it, so repeated fits do not pile up devices. A lost or
 * released device is replaced on the next call.
 */
export async function sharedGpu(): Promise<GpuContext | null> {
  if (shared) {
    const ctx = await shared;
    if (ctx && acquired.has(ctx)) return ctx;
  }
  shared = acquireGpu();
  return shared;
}

/**
 * Destroys `ctx`'s device, or every device acquireGpu created when called without one.
 * Host-provided devices are never destroyed. The Node GPU instance stays cached for the process.
 * Note: Dawn's destroy() blocks the calling thread until the device's queued work has finished; after
 * a runaway dispatch, await `device.queue.onSubmittedWorkDone()` (with a timeout) first, or just exit.
 */
export function releaseGpu(ctx?: GpuContext): void {
  const targets = ctx ? [ctx] : [...acquired];
  for (const c of targets) {
    acquired.delete(c);
    if (c.owned) c.device.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Device loss

const lostInfos = new WeakMap<GPUDevice, GPUDeviceLostInfo>();
const watched = new WeakSet<GPUDevice>();

function watch(ctx: GpuContext): void {
  if (watched.has(ctx.device)) return;
  watched.add(ctx.device);
  void ctx.lost.then((info) => { lostInfos.set(ctx.device, info); });
}

/** The DeviceLostError of ctx's device when it is known to be lost, else null. */
export function lostError(ctx: GpuContext): DeviceLostError | null {
  watch(ctx);
  const info = lostInfos.get(ctx.device);
  return info ? new DeviceLostError(ctx.adapterName, info.reason ?? 'unknown', info.message ?? '') : null;
}

/** How long a failed device operation waits for the lost promise before its error is taken as it is. */
const LOST_GRACE_MS = 200;

/**
 * `run` (work on ctx's device), with a lost device reported as a DeviceLostError: at once when the
 * device is known to be lost, and when `run` fails and the device turns out to be lost (a buffer
 * map of a lost device rejects, possibly before GPUDevice.lost resolves: it is awaited briefly).
 * Any other failure is rethrown as it is (the library's own errors and an abort at once, without waiting).
 */
export async function guardDevice<T>(ctx: GpuContext, run: () => Promise<T>): Promise<T> {
  const before = lostError(ctx);
  if (before) throw before;
  try {
    return await run();
  } catch (e) {
    // the library's own errors (a PIRLS failure at a point, a singular system) and an abort are not the device's
    if (e instanceof MixedGpuError || (e as Error)?.name === 'AbortError') throw e;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const info = await Promise.race([ctx.lost, new Promise<null>((r) => { timer = setTimeout(() => r(null), LOST_GRACE_MS); })]);
    clearTimeout(timer);
    if (info) throw new DeviceLostError(ctx.adapterName, info.reason ?? 'unknown', info.message || (e as Error)?.message || '');
    throw e;
  }
}

/** 'vendor architecture (description)', whichever parts the implementation fills in. */
export function adapterNameOf(info: GPUAdapterInfo): string {
  const head = [info.vendor, info.architecture].filter((s) => !!s).join(' ');
  const desc = info.description ?? '';
  if (head && desc) return `${head} (${desc})`;
  return head || desc || info.device || 'unknown adapter';
}

export function isSoftwareAdapter(info: GPUAdapterInfo, adapter?: GPUAdapter): boolean {
  const i = info as GPUAdapterInfo & { type?: string; isFallbackAdapter?: boolean };
  if (i.type === 'cpu' || i.isFallbackAdapter === true) return true;
  if ((adapter as (GPUAdapter & { isFallbackAdapter?: boolean }) | undefined)?.isFallbackAdapter === true) return true;
  const text = [info.vendor, info.architecture, info.device, info.description].join(' ');
  return /swiftshader|llvmpipe|lavapipe|softpipe|\bwarp\b|basic render driver|\bcpu\b/i.test(text);
}

// ---------------------------------------------------------------------------------------------
// Where the GPU object comes from

async function getGpu(): Promise<GPU | null> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (!isNode()) {
    unavailableReason = 'navigator.gpu is not available (this browser has no WebGPU, or the page is not a secure context)';
    return null;
  }
  return nodeGpu();
}

/** One Dawn instance per process (creating many crashes Dawn), shared even across copies of this module. */
const NODE_GPU = Symbol.for('mixedgpu.webgpu.nodeGpu');

async function nodeGpu(): Promise<GPU> {
  const g = globalThis as unknown as Record<symbol, Promise<GPU> | undefined>;
  let p = g[NODE_GPU];
  if (!p) {
    p = createNodeGpu();
    g[NODE_GPU] = p;
    // a failed import may be fixed (e.g. by installing the package) without restarting: don't cache it
    p.catch(() => { if (g[NODE_GPU] === p) g[NODE_GPU] = undefined; });
  }
  return p;
}

async function createNodeGpu(): Promise<GPU> {
  const env = process.env;
  const fs = await dynamicImport('node:fs');
  const hasSwiftShader = process.platform === 'linux' && fs.existsSync(SWIFTSHADER_ICD);
  const userChoseDriver = env.VK_ICD_FILENAMES !== undefined || env.VK_DRIVER_FILES !== undefined;
  // Native noise that is not ours stays off stderr (driverProbe.ts): a private XDG_RUNTIME_DIR when
  // none is set, and only drivers that give Dawn an adapter (tried in a child process first).
  let probed = false;
  // a probe's answer kept from an earlier process, and how to ask the drivers again where it no longer holds
  let retry: (() => Promise<void>) | null = null;
  if (process.platform === 'linux') {
    const probe = await import('./driverProbe.js');
    await probe.ensureRuntimeDir();
    if (!userChoseDriver) {
      const icds = listVulkanIcds(fs);
      const fallback = hasSwiftShader ? SWIFTSHADER_ICD : null;
      const choose = (probes: DriverProbe[]) => {
        probed = probes.length > 0;
        // no driver manifest at all: SwiftShader is the only option, chosen before Dawn starts the loader
        const chosen = icds.length === 0 ? fallback : probed ? probe.chooseDrivers(icds, probes, fallback) : null;
        if (chosen) env.VK_ICD_FILENAMES = chosen;
        else delete env.VK_ICD_FILENAMES;
      };
      const answer = await probe.probeVulkanDriversCached(icds);
      choose(answer.probes);
      if (answer.kept) retry = async () => choose((await probe.probeVulkanDriversCached(icds, { fresh: true })).probes);
    }
  }

  const mod = await dynamicImport('webgpu');
  const { create, globals } = mod as { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  // WebGPU's interface objects and constants (GPUBufferUsage, ...), as in a browser; keep any already there
  for (const [k, v] of Object.entries(globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;

  let gpu = create([]);
  if (retry && !(await gpu.requestAdapter())) {
    // the kept answer no longer holds (a driver, or its device, gone since it was kept): the drivers are
    // tried again and the loader pointed anew, for a second instance
    await retry();
    gpu = create([]);
  }
  if (hasSwiftShader && !userChoseDriver && !probed && env.VK_ICD_FILENAMES === undefined) {
    // The probe could not run: driver manifests exist but may be unusable (e.g. Mesa's on a machine
    // without that GPU, or an old lavapipe Dawn rejects). If none gives an adapter, fall back to
    // SwiftShader with a second instance: the loader reads VK_ICD_FILENAMES when Dawn creates its
    // Vulkan instance.
    const first = await gpu.requestAdapter();
    if (!first) {
      env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
      gpu = create([]);
    }
  }
  return gpu;
}

/** The Vulkan driver manifests the loader finds by default on Linux (in the XDG config and data dirs); `fs` is node:fs. */
export function listVulkanIcds(fs: { readdirSync(p: string): string[] }): string[] {
  const env = process.env;
  const home = env.HOME ?? '';
  const configDirs = [env.XDG_CONFIG_HOME || `${home}/.config`, ...(env.XDG_CONFIG_DIRS || '/etc/xdg').split(':'), '/etc'];
  const dataDirs = [env.XDG_DATA_HOME || `${home}/.local/share`, ...(env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':')];
  const found: string[] = [];
  for (const dir of [...configDirs, ...dataDirs]) {
    if (!dir) continue;
    try {
      for (const f of fs.readdirSync(`${dir}/vulkan/icd.d`)) if (f.endsWith('.json')) found.push(`${dir}/vulkan/icd.d/${f}`);
    } catch {
      // folder absent
    }
  }
  return found;
}

function nodeDriverHint(): string {
  if (process.platform !== 'linux') return '';
  const icd = process.env.VK_ICD_FILENAMES;
  return icd !== undefined
    ? ` (VK_ICD_FILENAMES=${icd})`
    : ` (no usable Vulkan driver; for a CPU adapter install chromium-common and libvulkan1, which provide ${SWIFTSHADER_ICD})`;
}
