/**
 * Inference benchmark (issue 11): ours against lmerTest / lme4 on the same data, each case in its own
 * process (peak RSS is the process's own), R after ours, never alongside.
 *
 *   npm run build
 *   node dist/bench/inference.js [--cases satt1m,kr1m,sattinsteval,profinsteval,bootsleep,bootcbpp,boot1m] [--no-r] [--out bench/out]
 *
 * Cases:
 *   satt1m        1M rows, 50k groups, y ~ x + w + (x | g) (bench/synth.ts, seed 1), REML: Satterthwaite
 *                 coefficient table after the fit; R: lmerTest::lmer (lme4's fit + lmerTest's numerical
 *                 Hessian and Jacobian) minus lme4::lmer on the same CSV
 *   kr1m          the same fit, Kenward–Roger's table (pbkrtest cannot: its V is n × n, 8 TB here)
 *   sattinsteval  InstEval y ~ service + (1 | s) + (1 | d) + (1 | dept:service), Satterthwaite
 *   profinsteval  InstEval, profile confidence intervals of every parameter; R: confint(fit, method = "profile")
 *   bootsleep     sleepstudy (Days | Subject), 1000 bootstrap replicates; R: bootMer(nsim = 1000)
 *   bootcbpp      glmer cbind(incidence, size − incidence) ~ period + (1 | herd), binomial, 1000 bootstrap
 *                 replicates (each a whole glmer refit); R: bootMer(nsim = 1000) on lme4's glmer
 *   boot1m        the 1M-row model, 100 bootstrap replicates, against one fit of the same model (no R run:
 *                 bootMer would refit with lmer 100 times, about an hour here)
 * Results: <out>/inference-<timestamp>.json and a Markdown table on stdout.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as arrow from 'apache-arrow';
import { buildLmm } from '../src/lmm/model.js';
import { formGram } from '../src/backend/cpu/gram.js';
import { lmer } from '../src/fit/lmer.js';
import { glmer } from '../src/fit/glmer.js';
import { BlockedCholesky } from '../src/linalg/blockedCholesky.js';
import { readTableFile } from '../src/io/node.js';
import { varparCovariance } from '../src/inference/satterthwaite.js';
import { kenwardRoger } from '../src/inference/kenwardRoger.js';
import { contest1D } from '../src/inference/contest.js';
import { lmmProfileProblem } from '../src/inference/lmmProfile.js';
import { profileIntervals, profileModel } from '../src/inference/profile.js';
import { bootstrapLmm, percentileIntervals } from '../src/inference/bootstrap.js';
import { generateLmmData } from './synth.js';
import { writeColumnsCsv } from './write-csv.js';
import { MiB, dateLine, fileStamp, gitState, machine, machineLine, repoRoot, runChild, workerResult } from './common.js';

const MARK = '@@inference@@';
const ROOT = repoRoot(import.meta.url);
const CASES = ['satt1m', 'kr1m', 'sattinsteval', 'profinsteval', 'bootsleep', 'bootcbpp', 'boot1m'] as const;
type CaseName = (typeof CASES)[number];

const ONE_M = { formula: 'y ~ x + w + (x | g)', n: 1_000_000, groups: 50_000 };
const INSTEVAL = { file: 'test/fixtures/data/insteval.csv', formula: 'y ~ service + (1 | s) + (1 | d) + (1 | dept:service)', factors: ['s', 'd', 'dept', 'service'] };
const SLEEP = { file: 'test/fixtures/data/sleepstudy.csv', formula: 'Reaction ~ Days + (Days | Subject)', factors: ['Subject'] };
const CBPP = { file: 'test/fixtures/data/cbpp.csv', formula: 'cbind(incidence, size - incidence) ~ period + (1 | herd)', factors: ['herd', 'period'] };

interface OursResult { case: CaseName; fitS: number; workS: number; detail: Record<string, unknown>; peakRssMiB: number }

function tableOf(name: CaseName): { table: arrow.Table; formula: string; factors: string[] } {
  if (name === 'sattinsteval' || name === 'profinsteval') return { table: readTableFile(join(ROOT, INSTEVAL.file), { factors: INSTEVAL.factors }).table, formula: INSTEVAL.formula, factors: INSTEVAL.factors };
  if (name === 'bootsleep') return { table: readTableFile(join(ROOT, SLEEP.file), { factors: SLEEP.factors }).table, formula: SLEEP.formula, factors: SLEEP.factors };
  return { table: generateLmmData({ n: ONE_M.n, groups: ONE_M.groups, seed: 1 }).table, formula: ONE_M.formula, factors: [] };
}

/** Runs one case in this process and prints its result after MARK. */
async function worker(name: CaseName): Promise<void> {
  if (name === 'bootcbpp') return glmerBootWorker();
  const { table, formula, factors } = tableOf(name);
  let t = performance.now();
  const fit = await lmer(formula, table, { factors, REML: true });
  const fitS = (performance.now() - t) / 1000;
  const model = fit.model;
  const gram = formGram(model);
  const detail: Record<string, unknown> = {};
  t = performance.now();
  if (name === 'satt1m' || name === 'sattinsteval' || name === 'kr1m') {
    const chol = new BlockedCholesky(gram, model.theta.length);
    const common = { chol, model };
    const unit = (j: number) => model.frame.xnames.map((_, c) => (c === j ? 1 : 0));
    if (name === 'kr1m') {
      const kr = kenwardRoger({ ...common, theta: fit.theta, sigma: fit.sigma });
      detail.table = model.frame.xnames.map((x, j) => ({ name: x, ...contest1D({ method: 'kenward-roger', kr, beta: fit.beta, sigma: fit.sigma }, unit(j)) }));
    } else {
      const sat = varparCovariance({ ...common, theta: fit.theta });
      detail.table = model.frame.xnames.map((x, j) => ({ name: x, ...contest1D({ method: 'satterthwaite', sat }, unit(j)) }));
    }
  } else if (name === 'profinsteval') {
    const tm = performance.now();
    const ml = await lmer(formula, table, { factors, REML: false });
    detail.mlFitS = (performance.now() - tm) / 1000;
    const mlModel = buildLmm(formula, table, { factors, REML: false });
    const problem = lmmProfileProblem({ model: mlModel, gram: formGram(mlModel), ml: { theta: ml.theta, sigma: ml.sigma, beta: ml.beta, se: Float64Array.from(ml.model.frame.xnames, (x) => ml.se[x]), deviance: ml.objective } });
    let fits = 0;
    const fv = problem.fixVariance, ff = problem.fixFixed;
    problem.fixVariance = (...a) => { fits++; return fv(...a); };
    problem.fixFixed = (...a) => { fits++; return ff(...a); };
    detail.intervals = profileIntervals(profileModel(problem)).intervals;
    detail.profileFits = fits;
  } else {
    const nsim = name === 'bootsleep' ? 1000 : 100;
    const boot = await bootstrapLmm({ model, gram, theta: fit.theta }, { nsim, seed: 1 });
    detail.nsim = nsim;
    detail.refits = boot.refits;
    detail.timings = boot.timings;
    detail.intervals = percentileIntervals(boot).intervals;
  }
  const workS = (performance.now() - t) / 1000;
  const res: OursResult = { case: name, fitS, workS, detail, peakRssMiB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`${MARK}${JSON.stringify(res)}\n`);
}

/** bootcbpp: a glmer fit and 1000 bootstrap replicates (each refitted by the core's glmer fit). */
async function glmerBootWorker(): Promise<void> {
  const table = readTableFile(join(ROOT, CBPP.file), { factors: CBPP.factors }).table;
  let t = performance.now();
  const fit = await glmer(CBPP.formula, table, { family: 'binomial', factors: CBPP.factors });
  const fitS = (performance.now() - t) / 1000;
  t = performance.now();
  const boot = await fit.bootstrap({ nsim: 1000, seed: 1 });
  const workS = (performance.now() - t) / 1000;
  const detail = { nsim: 1000, refits: boot.refits, timings: boot.timings, intervals: percentileIntervals(boot).intervals };
  const res: OursResult = { case: 'bootcbpp', fitS, workS, detail, peakRssMiB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`${MARK}${JSON.stringify(res)}\n`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--worker') { await worker(argv[1] as CaseName); return; }
  let cases: CaseName[] = [...CASES];
  let useR = true;
  let out = 'bench/out';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--cases') cases = argv[++i].split(',') as CaseName[];
    else if (argv[i] === '--no-r') useR = false;
    else if (argv[i] === '--out') out = argv[++i];
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  for (const c of cases) if (!CASES.includes(c)) throw new Error(`unknown case ${c} (${CASES.join(', ')})`);
  const root = ROOT;
  mkdirSync(join(root, out, 'data'), { recursive: true });
  const self = fileURLToPath(import.meta.url);
  const results: Record<string, { ours: OursResult | null; r: Record<string, unknown> | null }> = {};
  for (const c of cases) {
    const ours = await runChild(process.execPath, ['--expose-gc', self, '--worker', c], root, true);
    const o = workerResult<OursResult>(ours.stdout, MARK);
    let r: Record<string, unknown> | null = null;
    if (useR) {
      let data: string, formula: string, factors: string[];
      if (c === 'satt1m' || c === 'kr1m' || c === 'boot1m') {
        data = join(root, out, 'data', 'synth-1m.csv');
        writeColumnsCsv(data, generateLmmData({ n: ONE_M.n, groups: ONE_M.groups, seed: 1 }).columns);
        formula = ONE_M.formula; factors = [];
      } else if (c === 'bootsleep') {
        data = join(root, SLEEP.file); formula = SLEEP.formula; factors = SLEEP.factors;
      } else if (c === 'bootcbpp') {
        data = join(root, CBPP.file); formula = CBPP.formula; factors = CBPP.factors;
      } else {
        data = join(root, INSTEVAL.file); formula = INSTEVAL.formula; factors = INSTEVAL.factors;
      }
      const rc = c === 'kr1m' || c === 'boot1m' ? null : await runChild('Rscript', [join(root, 'bench', 'inference.R'), c, data, formula, factors.join(',')], root, true);
      r = rc ? workerResult<Record<string, unknown>>(rc.stdout, MARK) : { note: c === 'kr1m' ? 'pbkrtest cannot run this model: its vcovAdj builds V (n × n = 1e12 entries)' : 'not run: bootMer refits with lmer, about 100 × 33 s here; the target is against one fit of ours' };
    }
    results[c] = { ours: o, r };
    console.log(c, JSON.stringify(results[c]));
  }
  rmSync(join(root, out, 'data', 'synth-1m.csv'), { force: true });
  const stamp = fileStamp(new Date());
  writeFileSync(join(root, out, `inference-${stamp}.json`), JSON.stringify({ machine: machine(), git: gitState(ROOT), results }, null, 2));
  console.log(`\n${dateLine(new Date().toISOString(), gitState(ROOT))}\nMachine: ${machineLine(machine())}\n`);
  console.log('| case | our fit (s) | our inference (s) | our peak RSS (MiB) | R (s) | R peak RSS (MiB) |\n|:--|--:|--:|--:|--:|--:|');
  for (const [c, v] of Object.entries(results)) {
    const o = v.ours;
    const r = v.r as { work_s?: number; peak_rss_mb?: number } | null;
    console.log(`| ${c} | ${o ? o.fitS.toFixed(2) : '–'} | ${o ? o.workS.toFixed(2) : '–'} | ${o ? o.peakRssMiB.toFixed(0) : '–'} | ${r?.work_s?.toFixed(2) ?? '–'} | ${r?.peak_rss_mb?.toFixed?.(0) ?? '–'} |`);
  }
  void MiB;
}

await main();
