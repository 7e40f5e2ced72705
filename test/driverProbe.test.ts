/**
 * The pieces of the quiet driver choice (src/backend/webgpu/driverProbe.ts) that need no GPU: which
 * drivers the loader is pointed at, and the private XDG_RUNTIME_DIR. (The whole path, with a driver
 * Dawn rejects, is test/gpu/noise.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseDrivers } from '../src/backend/webgpu/driverProbe.js';

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
});
