// The one-term weighted pass of glmer's PIRLS, (1 | g), plain (WeightedGramCpu on one thread) against
// the segmented pass on the row jobs (src/linalg/rowThreads.ts, ScalarSegments): per pass, wall and CPU
// time (both threads), for β fixed (z alone) and β free (four columns of [X z]), 20 rows per level.
// Plain JavaScript over a build (npm run build):
//   node bench/glmmRowPass.mjs THREADS [ROWS]         # e.g. node bench/glmmRowPass.mjs 2 1000000
import { fileURLToPath } from 'node:url';
const root = fileURLToPath(new URL('..', import.meta.url));
const { WeightedGramCpu, ScalarSegments } = await import(`${root}dist/src/glmm/weightedGram.js`);
const { RowJobs, rowThreadsReady, shareArray, sharedFloat64 } = await import(`${root}dist/src/linalg/rowThreads.js`);
const { setDenseThreads } = await import(`${root}dist/src/linalg/denseThreads.js`);
const threads = Number(process.argv[2] ?? 1);
const n = Number(process.argv[3] ?? 200000), nl = n / 20;
setDenseThreads(threads);
let seed = 1;
const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
const codes = shareArray(Int32Array.from({ length: n }, () => Math.floor(rnd() * nl)));
const Z = shareArray(new Float64Array(n).fill(1));
const X = shareArray(Float64Array.from({ length: 3 * n }, (_, i) => (i < n ? 1 : rnd())));
const blocks = [{ codes, Z, q: 1, nl }];
const w = sharedFloat64(n), z = sharedFloat64(n);
for (let i = 0; i < n; i++) { w[i] = rnd(); z[i] = rnd() - 0.5; }
const jobs = new RowJobs({ w, z, codes, Z, X }, {}, threads > 1);
if (threads > 1) await rowThreadsReady();
const seg = ScalarSegments.create(jobs, n, nl, 8192);
const time = (g) => {
  for (let r = 0; r < 20; r++) g.form(w, z);
  const c0 = process.cpuUsage(), t0 = performance.now();
  for (let r = 0; r < 100; r++) g.form(w, z);
  const c = process.cpuUsage(c0);
  return { wallMs: +((performance.now() - t0) / 100).toFixed(3), cpuMs: +((c.user + c.system) / 1e5).toFixed(3) };
};
for (const [pass, p] of [['z alone', 0], ['4 columns', 3]]) {
  for (const [kind, g] of [['plain', new WeightedGramCpu({ n, X, p, blocks })], ['segmented', new WeightedGramCpu({ n, X, p, blocks }, undefined, seg)]]) {
    console.log(JSON.stringify({ rows: n, levels: nl, threads, pass, kind, ...time(g) }));
  }
}
process.exit(0);
