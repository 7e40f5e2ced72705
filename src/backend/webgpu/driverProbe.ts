/**
 * Quiet driver choice for Dawn in Node (issue 9, item 4). Dawn writes to the process's stderr from
 * native code, where Node cannot redirect it, when it rejects a Vulkan driver ("Warning: Vulkan
 * shaderUniform*ArrayDynamicIndexing required … at InitializeImpl", for Debian's lavapipe), and a
 * driver's Wayland client prints "error: XDG_RUNTIME_DIR is invalid or not set" when that variable
 * is unset. Neither is ours, and neither reaches the user:
 *  - each installed Vulkan driver is tried once in a child process whose stderr is discarded; the
 *    loader is then pointed (VK_ICD_FILENAMES) at the drivers that gave Dawn an adapter, so Dawn in
 *    this process never meets one it rejects;
 *  - XDG_RUNTIME_DIR, when unset or not an absolute path, is set to a private empty directory (0700,
 *    removed at exit): a Wayland client then finds no display, quietly.
 * Only when the user chose no driver (VK_ICD_FILENAMES / VK_DRIVER_FILES unset). Node only: Node
 * modules are loaded with variable specifiers (see device.ts).
 */

/* eslint-disable @typescript-eslint/no-explicit-any */
const dynamicImport = (specifier: string): Promise<any> =>
  import(/* @vite-ignore */ /* webpackIgnore: true */ specifier);

/** The child's script: for each manifest path in argv, the adapter Dawn finds with only that driver. */
const PROBE_SCRIPT = `
const [webgpuUrl, ...icds] = process.argv.slice(1);
const { create, globals } = await import(webgpuUrl);
for (const [k, v] of Object.entries(globals)) if (!(k in globalThis)) globalThis[k] = v;
const out = [];
for (const icd of icds) {
  process.env.VK_ICD_FILENAMES = icd;
  let info = null;
  try {
    const adapter = await create([]).requestAdapter();
    if (adapter) info = { vendor: adapter.info.vendor, architecture: adapter.info.architecture, description: adapter.info.description, device: adapter.info.device };
  } catch {}
  out.push({ icd, info });
}
process.stdout.write(JSON.stringify(out));
process.exit(0);
`;

export interface DriverProbe {
  icd: string;
  /** the adapter Dawn found with this driver alone, or null (rejected, or no device) */
  info: { vendor: string; architecture: string; description: string; device: string } | null;
}

/**
 * Tries each Vulkan driver manifest in `icds` in a child process (stderr discarded) and returns
 * what Dawn found with each. An empty list when the probe itself fails (then nothing is excluded).
 */
export async function probeVulkanDrivers(icds: string[], timeoutMs = 30_000): Promise<DriverProbe[]> {
  if (icds.length === 0) return [];
  const { spawnSync } = await dynamicImport('node:child_process');
  const { createRequire } = await dynamicImport('node:module');
  const { pathToFileURL } = await dynamicImport('node:url');
  let webgpuUrl: string;
  try {
    webgpuUrl = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  } catch {
    return [];
  }
  const env = { ...process.env };
  delete env.VK_DRIVER_FILES;
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE_SCRIPT, webgpuUrl, ...icds], {
    env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: timeoutMs,
  });
  if (res.status !== 0 || !res.stdout) return [];
  try {
    return JSON.parse(res.stdout) as DriverProbe[];
  } catch {
    return [];
  }
}

/**
 * The VK_ICD_FILENAMES value for Dawn: the drivers among `icds` that gave an adapter (or, when the
 * probe could not run, all of them), else `fallback` (SwiftShader) when there is one.
 */
export function chooseDrivers(icds: string[], probes: DriverProbe[], fallback: string | null): string | null {
  if (probes.length === 0) return icds.length > 0 ? icds.join(':') : fallback;
  const working = probes.filter((p) => p.info !== null).map((p) => p.icd);
  if (working.length > 0) return working.join(':');
  return fallback;
}

/**
 * XDG_RUNTIME_DIR for this process when it is unset or not an absolute path: a private empty
 * directory (mode 0700) removed at exit. Returns the directory set, or null when the variable was
 * usable as it was.
 */
export async function ensureRuntimeDir(): Promise<string | null> {
  const v = process.env.XDG_RUNTIME_DIR;
  if (v !== undefined && v.startsWith('/')) return null;
  const fs = await dynamicImport('node:fs');
  const os = await dynamicImport('node:os');
  const path = await dynamicImport('node:path');
  const dir: string = fs.mkdtempSync(path.join(os.tmpdir(), 'mixedgpu-xdg-'));
  fs.chmodSync(dir, 0o700);
  process.env.XDG_RUNTIME_DIR = dir;
  process.once('exit', () => {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // gone already
    }
  });
  return dir;
}
