/**
 * One private XDG_RUNTIME_DIR for the test run's processes, removed when the run ends. Without it each
 * test process that uses WebGPU makes its own (src/backend/webgpu/driverProbe.ts ensureRuntimeDir,
 * removed at the process's exit), and vitest stops its forks without running their exit handlers, so
 * every run left dozens in the temp directory. A runner that sets an absolute one keeps it. Tests of
 * ensureRuntimeDir itself run child processes with the variable unset (test/driverProbe.test.ts).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): (() => void) | undefined {
  if (process.env.XDG_RUNTIME_DIR?.startsWith('/')) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'mixedgpu-test-xdg-'));
  chmodSync(dir, 0o700);
  process.env.XDG_RUNTIME_DIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
