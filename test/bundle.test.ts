/**
 * The row kernels in a bundle (the prepared GPU run's bench/out/run-bench.mjs, bench/build.mjs): the
 * helper threads evaluate each kernel's text with its prelude, so a name the text uses must be the one
 * the prelude defines. A bundler renames top-level names that collide across modules (it once turned
 * PIRLS's expNeg alias into expNeg2 and the table T into T2, and every GLMM with row threads failed in
 * the bundle only). This bundles bench/run.ts as bench/build.mjs does, into a temporary directory, and
 * fits with two threads: a binomial GLMM (PIRLS's row jobs) and a 600,000-row LMM with 10,000 groups
 * (the frame's row jobs, the Gram pass's, the first block's).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'mixedgpu-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the row kernels in a bundle', () => {
  it('a GLMM and a large LMM fit with two threads in the bundled benchmark runner', async () => {
    const outfile = join(dir, 'run-bench.mjs');
    await build({
      entryPoints: [join(root, 'bench/run.ts')], outfile, bundle: true, format: 'esm', platform: 'node', target: 'node20',
      external: ['webgpu'], logLevel: 'error', legalComments: 'none',
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      define: { __BENCH_GIT__: 'null' },
    });
    for (const args of [
      ['--cases', 'glmm200k', '--rows', '30000', '--groups', '1000'],
      ['--cases', 'synth', '--rows', '600000', '--groups', '10000'],
    ]) {
      const r = spawnSync(process.execPath, ['--expose-gc', outfile, ...args, '--backends', 'cpu', '--no-r', '--out', join(dir, 'out')], {
        cwd: root, encoding: 'utf8', timeout: 180_000,
      });
      const out = `${r.stdout}\n${r.stderr}`;
      expect(r.status, out).toBe(0);
      expect(out).not.toMatch(/failed|row-kernel thread|row thread:/);
      expect(out).toMatch(/ours: fit [\d.]+ s|\| ours, cpu \| 30,000/);
    }
  }, 300_000);
});
