/**
 * One private XDG_RUNTIME_DIR for the test run's processes, removed when the run ends. Without it each
 * test process that uses WebGPU makes its own (src/backend/webgpu/driverProbe.ts ensureRuntimeDir,
 * removed at the process's exit), and vitest stops its forks without running their exit handlers, so
 * every run left dozens in the temp directory. A runner that sets an absolute one keeps it. Tests of
 * ensureRuntimeDir itself run child processes with the variable unset (test/driverProbe.test.ts).
 * Likewise one XDG_CACHE_HOME for the run.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const made: string[] = [];
  if (!process.env.XDG_RUNTIME_DIR?.startsWith('/')) {
    const dir = mkdtempSync(join(tmpdir(), 'mixedgpu-test-xdg-'));
    chmodSync(dir, 0o700);
    process.env.XDG_RUNTIME_DIR = dir;
    made.push(dir);
  }
  // the Vulkan driver probe's kept answer (src/backend/webgpu/driverProbe.ts) in the run's own cache
  // directory: shared by the run's processes, never the user's
  const cache = mkdtempSync(join(tmpdir(), 'mixedgpu-test-cache-'));
  process.env.XDG_CACHE_HOME = cache;
  made.push(cache);
  return () => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  };
}
