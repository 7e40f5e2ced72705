/**
 * Shaffer's and Westfall's logical constraints (src/inference/glhtMaxsets.ts): the flats' search against the
 * port of multcomp's exhaustive search on all-pairwise (Tukey) families of g levels, and the whole Shaffer and
 * Westfall tests of a simulated g-group lmer (6 blocks), one run each.
 *   npx vite-node bench/glhtMaxsets.ts
 */
import { maxsets, maxsetsExhaustive } from '../src/inference/glhtMaxsets.js';
import { contrMat } from '../src/inference/contrMat.js';
import { lmer } from '../src/fit/lmer.js';
import { glht, mcp } from '../src/inference/glht.js';

const tukeyK = (g: number) => contrMat(new Array(g).fill(3), Array.from({ length: g }, (_, i) => `L${i}`), 'Tukey').K.map((r) => r.slice(1));
const ms = (f: () => unknown) => { const t = performance.now(); f(); return performance.now() - t; };

console.log('| levels | hypotheses | maximal sets | flats\' search (ms) | exhaustive (ms) |');
for (const g of [4, 5, 6, 7, 8]) {
  const K = tukeyK(g);
  const order = K.map((_, i) => i).sort((a, b) => Math.sin(a * 7.3) - Math.sin(b * 7.3));
  const Ko = order.map((i) => K[i]);
  let sets = 0;
  const tf = ms(() => { sets = maxsets(Ko).reduce((s, x) => s + x.length, 0); });
  const te = K.length <= 15 ? ms(() => maxsetsExhaustive(Ko)).toFixed(0) : '—';
  console.log(`| ${g} | ${K.length} | ${sets} | ${tf.toFixed(0)} | ${te} |`);
}

console.log('\n| levels | hypotheses | Shaffer (ms) | Westfall (ms) |');
for (const G of [6, 7, 8]) {
  const y: number[] = [], f: string[] = [], b: string[] = [];
  let s = 1;
  const rnd = () => { s = (s * 16807) % 2147483647; return s / 2147483647 - 0.5; };
  for (let blk = 0; blk < 6; blk++) for (let g = 0; g < G; g++) { y.push(g * 0.35 + rnd() * 2 + blk * 0.3); f.push(`G${g}`); b.push(`B${blk}`); }
  const fit = await lmer('y ~ f + (1 | b)', { y, f, b }, { factors: ['f', 'b'] });
  const gl = glht(fit, mcp({ f: 'Tukey' }));
  console.log(`| ${G} | ${gl.rowNames.length} | ${ms(() => gl.summary({ test: 'Shaffer' })).toFixed(0)} | ${ms(() => gl.summary({ test: 'Westfall' })).toFixed(0)} |`);
}
