/**
 * lme4's nlmer at realistic sizes: SSlogis growth curves, 10 rows per group, with 50, 500, 2,000 and
 * 5,000 groups, a random Asym (`~ Asym | g`) or a random Asym and xmid (`~ Asym + xmid | g`); per case
 * one PNLS solve from u = 0 at lme4's start (θ = 1, β = start: the fit's first, most iterations) and
 * the whole fit, each by the level blocks of PNLS's L (the default for one grouping factor) and by
 * the dense q × q L (the general path, `structure: 'dense'`, the code before the blocks) where that
 * fits (dense solves up to q = --dense-solve-q, dense fits up to q = --dense-fit-q).
 * The data are written to --out (default bench/out/nlmer) as CSV for bench/nlmer.R (lme4 on the same rows).
 * The fit's CPU time (process.cpuUsage, user + system: the process's other threads, the garbage collector's,
 * included) is reported beside its wall time, for a loaded machine.
 *   npx vite-node bench/nlmer.ts [-- --groups 50,500,2000,5000 --cases A,AX --dense-solve-q 5000 --dense-fit-q 500]
 *   Rscript bench/nlmer.R bench/out/nlmer
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromArrays } from 'apache-arrow';
import { estimateNlmer } from '../src/nlmer/fit.js';
import { parseNlFormula } from '../src/nlmer/formula.js';
import { nlmerLaplace } from '../src/nlmer/laplace.js';
import { buildNlmerModel } from '../src/nlmer/model.js';
import { pnls } from '../src/nlmer/pnls.js';
import type { DecompositionStructure } from '../src/nlmer/decompose.js';
import { flags, positiveInt } from './common.js';
import { Rng } from './synth.js';

const START = { Asym: 200, xmid: 700, scal: 300 };
const FORMULAS = { A: 'y ~ SSlogis(x, Asym, xmid, scal) ~ Asym | g', AX: 'y ~ SSlogis(x, Asym, xmid, scal) ~ Asym + xmid | g' };

let groups = [50, 500, 2000, 5000];
let cases: (keyof typeof FORMULAS)[] = ['A', 'AX'];
let denseSolveQ = 5000;
let denseFitQ = 500;
let out = 'bench/out/nlmer';
for (const [flag, value] of flags(process.argv.slice(2))) {
  if (flag === '--groups') groups = (value() ?? '').split(',').map((g) => positiveInt(flag, g));
  else if (flag === '--cases') {
    cases = (value() ?? '').split(',').map((c) => {
      if (c !== 'A' && c !== 'AX') throw new Error(`--cases: unknown case '${c}' (A, AX)`);
      return c;
    });
  } else if (flag === '--dense-solve-q') denseSolveQ = positiveInt(flag, value());
  else if (flag === '--dense-fit-q') denseFitQ = positiveInt(flag, value());
  else if (flag === '--out') out = value() ?? out;
  else throw new Error(`unknown flag ${flag}`);
}
mkdirSync(out, { recursive: true });

/** G groups × 10 ages: y = Asym_g / (1 + exp((xmid_g − x)/scal)) + ε, Asym_g ~ N(200, 25²), xmid_g ~ N(700, 60²) (case AX; 700 in A), ε ~ N(0, 5²). */
function simulate(G: number, randomXmid: boolean, seed: number): { g: string[]; x: Float64Array; y: Float64Array } {
  const rng = new Rng(seed);
  const n = G * 10;
  const g: string[] = new Array(n);
  const x = new Float64Array(n), y = new Float64Array(n);
  for (let j = 0; j < G; j++) {
    const asym = 200 + 25 * rng.normal();
    const xmid = randomXmid ? 700 + 60 * rng.normal() : 700;
    for (let t = 0; t < 10; t++) {
      const i = j * 10 + t;
      g[i] = `g${String(j + 1).padStart(4, '0')}`;
      x[i] = 150 * (t + 1);
      y[i] = Math.round((asym / (1 + Math.exp((xmid - x[i]) / 300)) + 5 * rng.normal()) * 1e4) / 1e4;
    }
  }
  return { g, x, y };
}

const secs = (t0: number) => (performance.now() - t0) / 1000;

/** The case's model and start from simulated data (written as CSV for lme4 when `csv`). */
function makeCase(G: number, name: keyof typeof FORMULAS, csv: boolean) {
  const d = simulate(G, name === 'AX', 20261206 + G);
  if (csv) writeFileSync(join(out, `nlmer_${name}_${G}.csv`), `g,x,y\n${d.g.map((g, i) => `${g},${d.x[i]},${d.y[i]}`).join('\n')}\n`);
  const model = buildNlmerModel(parseNlFormula(FORMULAS[name], Object.keys(START)), tableFromArrays({ g: d.g, x: d.x, y: d.y }));
  const start = Float64Array.from(model.params, (p) => START[p as keyof typeof START]);
  return { model, start, beta0: Float64Array.from(model.fixedParam, (k) => start[k]) };
}

// warm-up (the JIT): one small fit of each case by each path, not reported
for (const name of cases) {
  const { model, start } = makeCase(30, name, false);
  for (const structure of ['auto', 'dense'] as const) await estimateNlmer(model, start, { structure });
}

console.log('| case | groups | q | L | first PNLS solve (s) | iterations | per iteration (ms) | fit (s) | fit CPU (s) | evaluations | per evaluation (ms) | deviance |');
console.log('| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const G of groups) {
  for (const name of cases) {
    const { model, start, beta0 } = makeCase(G, name, true);
    for (const structure of ['auto', 'dense'] as DecompositionStructure[]) {
      const label = structure === 'auto' ? 'blocks' : 'dense';
      if (structure === 'dense' && model.q > denseSolveQ) {
        console.log(`| ${name} | ${G} | ${model.q} | ${label} | not run (q > ${denseSolveQ}) | | | | | | | |`);
        continue;
      }
      let t0 = performance.now();
      const first = pnls(model, model.theta0, new Float64Array(model.q), beta0, false, nlmerLaplace, 1e-10, 300, 0, structure);
      const solveS = secs(t0);
      const iters = first.iterations + 1;
      let fitCells = 'not run | | | ';
      let dev = '';
      if (structure === 'auto' || model.q <= denseFitQ) {
        t0 = performance.now();
        const cpu0 = process.cpuUsage();
        const est = await estimateNlmer(model, start, { structure });
        const fitS = secs(t0);
        const cpu = process.cpuUsage(cpu0);
        const cpuS = (cpu.user + cpu.system) / 1e6;
        const feval = est.stage1.feval + (est.stage2?.feval ?? 0);
        fitCells = `${fitS.toFixed(2)} | ${cpuS.toFixed(2)} | ${feval} | ${(1000 * fitS / feval).toFixed(2)}`;
        dev = est.deviance.toFixed(4);
      }
      console.log(`| ${name} | ${G} | ${model.q} | ${label} | ${solveS.toFixed(3)} | ${iters} | ${(1000 * solveS / iters).toFixed(2)} | ${fitCells} | ${dev} |`);
    }
  }
}
