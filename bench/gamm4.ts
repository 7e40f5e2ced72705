/**
 * gamm4 (src/gamm) on generated data: y = sin(6x) + noise, x at n distinct values, a 17-level factor g;
 * `y ~ s(x)` (tp, its basis O(n³) in the distinct values: src/linalg/selectedEigen.ts's reduction) and
 * `y ~ s(x, bs = "cr")` with random `~ (1 | g)`: the whole fit's time and the smooth's edf.
 *   npx vite-node bench/gamm4.ts [n …]      (default 400 1000 2000)
 */
import { gamm4 } from '../src/gamm/gamm4.js';

const sizes = process.argv.slice(2).map(Number);
for (const n of sizes.length > 0 ? sizes : [400, 1000, 2000]) {
  const x = Float64Array.from({ length: n }, (_, i) => i / n);
  const y = Float64Array.from(x, (v, i) => Math.sin(6 * v) + ((i * 7919) % 13) / 13);
  const g = Array.from({ length: n }, (_, i) => `g${i % 17}`);
  for (const bs of ['tp', 'cr']) {
    const t0 = performance.now();
    const fit = await gamm4(`y ~ s(x, bs = "${bs}")`, { y, x, g }, { random: '~ (1 | g)' });
    console.log(`n=${n} bs=${bs}: ${((performance.now() - t0) / 1000).toFixed(2)} s, edf ${fit.gam.smooths[0].edf.toFixed(3)}`);
  }
}
