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
 *
 * The probe's child process costs about 0.26 s (four Mesa drivers here), paid by every process that
 * uses WebGPU, each CLI command included. Its answer is kept in the user's cache directory
 * (`$XDG_CACHE_HOME/mixedgpu`, else `~/.cache/mixedgpu`) under a key of everything it depends on: this
 * machine and boot (hostname, /proc's boot_id: a home directory shared by a cluster's nodes, or a
 * driver loaded since, makes a new probe), Node's version, the webgpu package, LD_LIBRARY_PATH, and
 * each driver manifest's and its library's size and modification time. Where the kept answer gives
 * Dawn no adapter (a device gone since), device.ts probes again and keeps the new answer.
 * MIXEDGPU_DRIVER_CACHE=off probes every time.
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

/** What probeVulkanDriversCached reads and writes (tests give their own directory and probe). */
export interface ProbeCacheOptions {
  /** the cache's directory; default $XDG_CACHE_HOME/mixedgpu or ~/.cache/mixedgpu, none without either (or with MIXEDGPU_DRIVER_CACHE=off) */
  dir?: string | null;
  /** the probe (default probeVulkanDrivers) */
  probe?: (icds: string[]) => Promise<DriverProbe[]>;
  /** probe even where an answer is kept (which the new one replaces) */
  fresh?: boolean;
}

/** probeVulkanDriversCached's answer: the probes, and whether they are the kept ones (not probed now). */
export interface CachedProbe {
  probes: DriverProbe[];
  kept: boolean;
}

const PROBE_CACHE_FILE = 'vulkan-probe.json';

/** The default cache directory, or null. */
function defaultCacheDir(): string | null {
  const env = process.env;
  if (env.MIXEDGPU_DRIVER_CACHE === 'off') return null;
  const base = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : env.HOME?.startsWith('/') ? `${env.HOME}/.cache` : null;
  return base ? `${base}/mixedgpu` : null;
}

/**
 * The probe's key: what its answer depends on (see the top of this file). A manifest's library is
 * named by its `library_path`: a path is stat'ed, a bare name (found by the loader) kept as it is.
 */
export async function probeKey(icds: string[]): Promise<string> {
  const fs = await dynamicImport('node:fs');
  const os = await dynamicImport('node:os');
  const path = await dynamicImport('node:path');
  const { createRequire } = await dynamicImport('node:module');
  const stat = (p: string): [number, number] | null => {
    try {
      const st = fs.statSync(p);
      return [st.size, st.mtimeMs];
    } catch {
      return null;
    }
  };
  const read = (p: string): string | null => {
    try {
      return fs.readFileSync(p, 'utf8');
    } catch {
      return null;
    }
  };
  let webgpu: unknown = null;
  try {
    const main: string = createRequire(import.meta.url).resolve('webgpu');
    webgpu = [main, stat(main)];
  } catch {
    // not installed: the probe answers nothing then (and nothing is kept)
  }
  const drivers = icds.map((icd) => {
    let lib: unknown = null;
    try {
      const libPath = (JSON.parse(read(icd) ?? '{}') as { ICD?: { library_path?: string } }).ICD?.library_path;
      if (typeof libPath === 'string') lib = libPath.includes('/') ? [libPath, stat(path.resolve(path.dirname(icd), libPath))] : libPath;
    } catch {
      // not JSON: the manifest's own size and time still key it
    }
    return [icd, stat(icd), lib];
  });
  return JSON.stringify({
    v: 1, host: os.hostname(), boot: read('/proc/sys/kernel/random/boot_id')?.trim() ?? null, node: process.version, webgpu,
    ld: process.env.LD_LIBRARY_PATH ?? null, drivers,
  });
}

/**
 * probeVulkanDrivers with its answer kept (see the top of this file): the kept answer when its key is
 * this process's (unless `fresh`), else a new probe, kept when it answered (an empty answer — the probe
 * could not run — is not). A cache that cannot be read or written is passed over.
 */
export async function probeVulkanDriversCached(icds: string[], options: ProbeCacheOptions = {}): Promise<CachedProbe> {
  const probe = options.probe ?? ((list: string[]) => probeVulkanDrivers(list));
  const dir = options.dir === undefined ? defaultCacheDir() : options.dir;
  if (icds.length === 0 || dir === null) return { probes: await probe(icds), kept: false };
  const fs = await dynamicImport('node:fs');
  const key = await probeKey(icds);
  const file = `${dir}/${PROBE_CACHE_FILE}`;
  if (!options.fresh) {
    try {
      const kept = JSON.parse(fs.readFileSync(file, 'utf8')) as { key?: unknown; probes?: unknown };
      if (kept.key === key && Array.isArray(kept.probes)) return { probes: kept.probes as DriverProbe[], kept: true };
    } catch {
      // none kept yet, or unreadable: probe
    }
  }
  const probes = await probe(icds);
  if (probes.length > 0) {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      // written whole, then renamed: a process reading meanwhile sees the old answer or the new
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify({ key, probes }));
      fs.renameSync(tmp, file);
    } catch {
      // a cache that cannot be written: the next process probes again
    }
  }
  return { probes, kept: false };
}
