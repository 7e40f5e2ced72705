/**
 * Vite config of the browser app (run from the repository root):
 *   npm run demo        → build, then serve demo/dist on http://localhost:4173 (vite preview)
 *   npm run demo:dev    → the dev server with hot reload
 *   npm run demo:build  → demo/dist
 * The page imports the library's browser-safe sources directly (../src), the bundled example data
 * from test/fixtures/data, and the seeded generator from bench/synth.ts.
 * Both servers send the cross-origin isolation headers (COOP/COEP): the page then has
 * SharedArrayBuffer, and the CPU backend's dense Cholesky runs on Web Workers (src/linalg/denseThreads.ts);
 * a static host without them gets the one-thread kernels (the same results).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = fileURLToPath(new URL('..', import.meta.url));
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root: here,
  // relative asset URLs: the built page works from any path of any static server
  base: './',
  server: { fs: { allow: [repo] }, host: '127.0.0.1', headers: ISOLATION },
  preview: { host: '127.0.0.1', port: 4173, headers: ISOLATION },
  worker: { format: 'es' },
  // the worker's dependencies, pre-bundled up front (else the dev server reloads the page on first use)
  optimizeDeps: { include: ['apache-arrow', 'hyparquet', 'hyparquet-compressors', '@observablehq/plot', 'wgsl_reflect'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // the Node-only `webgpu` package is loaded by a variable specifier at run time, never bundled
    rollupOptions: { external: ['webgpu'] },
    chunkSizeWarningLimit: 2000,
    // keep the example CSVs as files (fetched on demand), not inlined into the bundle
    assetsInlineLimit: 0,
  },
});
