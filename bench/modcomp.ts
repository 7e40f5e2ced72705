/**
 * pbkrtest's model comparisons timed: KRmodcomp, SATmodcomp and PBmodcomp (nsim replicates) of the
 * 2 × 3 design of test/fixtures/data/modcomp_2x3.csv (288 rows, (1 | g) + (1 | g:A)): the interaction
 * y ~ A * B against y ~ A + B. bench/modcomp.R times pbkrtest on the same models.
 *
 *   npx vite-node bench/modcomp.ts [nsim]
 *   Rscript bench/modcomp.R [nsim]
 */
import { readFileSync } from 'node:fs';
import { readCsv } from '../src/io/csv.js';
import { lmer } from '../src/fit/lmer.js';
import { krModcomp, satModcomp } from '../src/inference/modcomp.js';
import { pbModcomp } from '../src/inference/pbModcomp.js';

const nsim = Number(process.argv[2] ?? 1000);
const data = readCsv(readFileSync('test/fixtures/data/modcomp_2x3.csv', 'utf8')).table;
const t0 = performance.now();
const large = await lmer('y ~ A * B + (1 | g) + (1 | g:A)', data);
const small = await lmer('y ~ A + B + (1 | g) + (1 | g:A)', data);
const t1 = performance.now();
const kr = await krModcomp(large, small);
const t2 = performance.now();
const sat = await satModcomp(large, small);
const t3 = performance.now();
const pb = await pbModcomp(large, small, { nsim, seed: 1 });
const t4 = performance.now();
const s = (a: number, b: number) => ((b - a) / 1000).toFixed(3);
console.log(`fits ${s(t0, t1)} s; KRmodcomp ${s(t1, t2)} s (F ${kr.Ftest.stat.toFixed(4)}, ddf ${kr.Ftest.ddf.toFixed(2)}); SATmodcomp ${s(t2, t3)} s; PBmodcomp (nsim ${nsim}) ${s(t3, t4)} s (p_PB ${pb.PBtest.p.toFixed(4)}, failed ${pb.failed}); CPU ${(process.cpuUsage().user / 1e6).toFixed(1)} s user`);
void sat;
