/**
 * The pieces of the quiet driver choice (src/backend/webgpu/driverProbe.ts) that need no GPU: which
 * drivers the loader is pointed at, and the private XDG_RUNTIME_DIR. (The whole path, with a driver
 * Dawn rejects, is test/gpu/noise.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DriverProbe, chooseDrivers, probeVulkanDriversCached } from '../src/backend/webgpu/driverProbe.js';

const ROOT = join(import.meta.dirname, '..');
const none = null;
const some = { vendor: 'v', architecture: 'a', description: 'd', device: 'x' };

describe('driver choice', () => {
  it('keeps the drivers that gave an adapter, else the fallback; all of them when the probe could not run', () => {
    expect(chooseDrivers(['/a.json', '/b.json'], [{ icd: '/a.json', info: none }, { icd: '/b.json', info: some }], '/sw.json')).toBe('/b.json');
    expect(chooseDrivers(['/a.json'], [{ icd: '/a.json', info: none }], '/sw.json')).toBe('/sw.json');
    expect(chooseDrivers(['/a.json'], [{ icd: '/a.json', info: none }], null)).toBeNull();
    expect(chooseDrivers(['/a.json', '/b.json'], [], '/sw.json')).toBe('/a.json:/b.json');
    expect(chooseDrivers([], [], '/sw.json')).toBe('/sw.json');
  });

  it('XDG_RUNTIME_DIR: a private 0700 directory when unset or relative, removed at exit; kept when absolute', () => {
    const runWith = (value: string | undefined) => {
      const env = { ...process.env };
      if (value === undefined) delete env.XDG_RUNTIME_DIR; else env.XDG_RUNTIME_DIR = value;
      const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/vite-node/vite-node.mjs'), 'test/scripts/runtimeDir.ts'], { cwd: ROOT, env, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout.trim().split('\n').pop()!) as { dir: string | null; v: string; mode: number | null };
    };
    for (const value of [undefined, '', 'run/user']) {
      const r = runWith(value);
      expect(r.dir).toMatch(/mixedgpu-xdg-/);
      expect(r.v).toBe(r.dir);
      expect(r.mode).toBe(0o700);
      expect(spawnSync('test', ['-e', r.dir!]).status).not.toBe(0); // removed at exit
    }
    expect(runWith('/run/user/1000')).toEqual({ dir: null, v: '/run/user/1000', mode: null });
  });

  it('keeps the probe\'s answer under a key of the drivers: probed again when a manifest or its library changes, never kept when it failed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mixedgpu-probe-'));
    try {
      const lib = join(dir, 'libfake.so');
      writeFileSync(lib, 'x');
      const a = join(dir, 'a.json');
      const b = join(dir, 'b.json');
      writeFileSync(a, JSON.stringify({ ICD: { library_path: lib } }));
      writeFileSync(b, JSON.stringify({ ICD: { library_path: 'libvulkan_bare.so' } }));
      const cache = join(dir, 'cache');
      let runs = 0;
      let answer: DriverProbe[] = [{ icd: a, info: some }, { icd: b, info: none }];
      const probe = async (icds: string[]) => { runs++; expect(icds).toEqual([a, b]); return answer; };
      const ask = async () => (await probeVulkanDriversCached([a, b], { dir: cache, probe })).probes;
      expect(await ask()).toEqual(answer);
      expect(runs).toBe(1);
      expect(existsSync(join(cache, 'vulkan-probe.json'))).toBe(true);
      expect(await ask()).toEqual(answer); // kept
      expect(runs).toBe(1);
      // a driver's library replaced: probed again
      utimesSync(lib, new Date(), new Date(Date.now() + 60_000));
      expect(await ask()).toEqual(answer);
      expect(runs).toBe(2);
      // a manifest changed: probed again (and a failed probe, an empty answer, is not kept)
      writeFileSync(b, JSON.stringify({ ICD: { library_path: 'libvulkan_other.so' } }));
      answer = [];
      expect(await ask()).toEqual([]);
      expect(await ask()).toEqual([]);
      expect(runs).toBe(4);
      answer = [{ icd: a, info: none }, { icd: b, info: some }];
      expect(await ask()).toEqual(answer);
      expect(await ask()).toEqual(answer);
      expect(runs).toBe(5);
      // kept, and asked afresh (a kept answer that no longer holds): probed, and the new answer kept
      expect(await probeVulkanDriversCached([a, b], { dir: cache, probe })).toEqual({ probes: answer, kept: true });
      expect(await probeVulkanDriversCached([a, b], { dir: cache, probe, fresh: true })).toEqual({ probes: answer, kept: false });
      expect(runs).toBe(6);
      expect(await probeVulkanDriversCached([a, b], { dir: cache, probe })).toEqual({ probes: answer, kept: true });
      // another driver list is another key
      const only = (await probeVulkanDriversCached([a], { dir: cache, probe: async () => { runs++; return [{ icd: a, info: some }]; } })).probes;
      expect(only).toEqual([{ icd: a, info: some }]);
      expect(runs).toBe(7);
      // a damaged cache file is probed over
      writeFileSync(join(cache, 'vulkan-probe.json'), '{ not json');
      expect(await ask()).toEqual(answer);
      expect(runs).toBe(8);
      expect(JSON.parse(readFileSync(join(cache, 'vulkan-probe.json'), 'utf8')).probes).toEqual(answer);
      // no cache directory (MIXEDGPU_DRIVER_CACHE=off, no HOME): every call probes
      await probeVulkanDriversCached([a, b], { dir: null, probe });
      expect(runs).toBe(9);
      // a directory that cannot be made (a file in its way): the answer all the same, each time probed
      const blocked = join(dir, 'blocked');
      writeFileSync(blocked, '');
      expect((await probeVulkanDriversCached([a, b], { dir: join(blocked, 'cache'), probe })).probes).toEqual(answer);
      expect((await probeVulkanDriversCached([a, b], { dir: join(blocked, 'cache'), probe })).probes).toEqual(answer);
      expect(runs).toBe(11);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
