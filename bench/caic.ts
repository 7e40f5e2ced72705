/**
 * cAIC4's conditional AIC of an lmer fit (src/inference/caic.ts): time against the fit's own, for
 * simulated y ~ x + (1 + x | g) + (1 | h) with n rows, n/20 levels of g (q = 2·n/20 + 40) and 40 of h.
 * cAIC4 forms A, V₀⁻¹ and W_j as dense n × n matrices (10k rows: 800 MB each, O(n³) products); ours is
 * O(n s (s + p) + (q + p)³ + m n) time and O((q + p)²) memory.
 * Run: npx vite-node bench/caic.ts [n ...]   (default 2000 5000 10000)
 */
import { lmer } from '../src/fit/lmer.js';

function simulate(n: number) {
  let s = 12345;
  const unif = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return (s + 0.5) / 4294967296; };
  const norm = () => Math.sqrt(-2 * Math.log(unif())) * Math.cos(2 * Math.PI * unif());
  const G = Math.round(n / 20), H = 40;
  const bg = Array.from({ length: G }, norm), sg = Array.from({ length: G }, () => 0.5 * norm()), bh = Array.from({ length: H }, () => 0.7 * norm());
  const y = new Float64Array(n), x = new Float64Array(n), g: string[] = [], h: string[] = [];
  for (let i = 0; i < n; i++) {
    const gi = Math.floor(unif() * G), hi = Math.floor(unif() * H);
    x[i] = 2 * unif() - 1;
    y[i] = 1 + 0.5 * x[i] + bg[gi] + sg[gi] * x[i] + bh[hi] + norm();
    g.push(`g${gi}`); h.push(`h${hi}`);
  }
  return { y, x, g, h };
}

const sizes = process.argv.slice(2).map(Number).filter((v) => v > 0);
for (const n of sizes.length ? sizes : [2000, 5000, 10000]) {
  const data = simulate(n);
  const t0 = performance.now();
  const fit = await lmer('y ~ x + (1 + x | g) + (1 | h)', data, { factors: ['g', 'h'] });
  const t1 = performance.now();
  const r = await fit.cAIC();
  const t2 = performance.now();
  const q = fit.model.frame.reTerms.reduce((a, t) => a + t.q * t.levels.length, 0);
  const mem = process.memoryUsage().rss / 2 ** 20;
  console.log(`n=${n} q=${q} fit ${(t1 - t0).toFixed(0)} ms, cAIC ${(t2 - t1).toFixed(0)} ms (ratio ${((t2 - t1) / (t1 - t0)).toFixed(2)}), df ${r.df.toFixed(3)}, cAIC ${r.caic.toFixed(3)}, rss ${mem.toFixed(0)} MiB`);
}
