// Would the profiled criterion's gradient in θ pay (issue 17's "fewer evaluations")? For each case:
//  - our fit (BOBYQA from the moment start): evaluations and the optimum;
//  - the CPU time of one evaluation (BlockedCholesky.factor, one thread) and of the exact gradient by
//    forward-mode first-order jets (src/inference/jetFactor.ts: value and gradient together);
//  - a projected BFGS with that exact gradient (Armijo backtracking; the same moment start, lme4's θ
//    coordinates): the value-and-gradient evaluations until the criterion is within 1e-8 of BOBYQA's
//    optimum, and so the gradient's cost (in evaluations) below which the gradient method would win.
// Plain JavaScript over a build (npm run build):
//   node bench/thetaGradient.mjs                 # cases insteval and crossed200k
import { fileURLToPath } from 'node:url';
const root = fileURLToPath(new URL('..', import.meta.url));
const D = process.env.DIST ?? `${root}dist`;
const { lmer, setDenseThreads } = await import(`${D}/src/index.js`);
const { readTableFile } = await import(`${D}/src/io/node.js`);
const { buildLmm } = await import(`${D}/src/lmm/model.js`);
const { formGram } = await import(`${D}/src/backend/cpu/gram.js`);
const { BlockedCholesky } = await import(`${D}/src/linalg/blockedCholesky.js`);
const { JetSpace } = await import(`${D}/src/inference/jet.js`);
const { jetFactor, schurJets } = await import(`${D}/src/inference/jetFactor.js`);
const { thetaTemplates } = await import(`${D}/src/inference/templates.js`);
const { momentStart } = await import(`${D}/src/lmm/momentStart.js`);
const { lmmThetaProblem } = await import(`${D}/src/lmm/thetaProblem.js`);
const { scaledStart } = await import(`${D}/src/optim/thetaOptimizer.js`);
const { thetaToOriginal, thetaToInternal } = await import(`${D}/src/model/reparam.js`);
const { sizedLmmTable } = await import(`${D}/bench/sized.js`);

setDenseThreads(1);
const cpuMs = (f, reps) => { f(); const t0 = process.cpuUsage(); for (let i = 0; i < reps; i++) f(); const u = process.cpuUsage(t0); return (u.user + u.system) / 1000 / reps; };

function loadCase(name) {
  if (name === 'insteval') {
    const formula = 'y ~ service + (1 | s) + (1 | d) + (1 | dept:service)';
    return { formula, table: readTableFile(`${root}test/fixtures/data/insteval.csv`, { factors: ['s', 'd', 'dept', 'service'] }).table };
  }
  if (name === 'crossed200k') return sizedLmmTable({ n: 200000, groups: 10000, levels: 1, q: 2, crossed: 500, seed: 1 });
  throw new Error(`unknown case ${name}`);
}

for (const name of (process.argv[2] ?? 'insteval,crossed200k').split(',')) {
  const { table, formula } = loadCase(name);
  const fit = await lmer(formula, table, {});
  const model = buildLmm(formula, table, {});
  const chol = new BlockedCholesky(formGram(model), model.theta.length);
  const { n, p } = model.frame;
  const dof = n - p;
  // REML criterion and its gradient in lme4's θ from one first-order jet factorization
  let calls = 0;
  const fg = (theta) => {
    calls++;
    const J = new JetSpace(theta.length, 1);
    const { ldL2, S } = jetFactor(J, chol, thetaTemplates(J, model.blocks, model.transforms, theta));
    const { ldRX2, pwrss } = schurJets(J, S, p);
    const r2 = pwrss[0];
    return {
      f: ldL2[0] + ldRX2[0] + dof * (1 + Math.log((2 * Math.PI * r2) / dof)),
      g: theta.map((_, i) => ldL2[1 + i] + ldRX2[1 + i] + (dof * pwrss[1 + i]) / r2),
    };
  };
  const theta = Array.from(fit.theta);
  const thetaC = thetaToInternal(model, theta);
  const evalMs = cpuMs(() => chol.factor(thetaC), 5);
  const gradMs = cpuMs(() => fg(theta), 2);
  // BFGS from the moment start
  const x0 = scaledStart(lmmThetaProblem(model.blocks, model.internalBlocks, model.theta, n, undefined));
  let x = Array.from(thetaToOriginal(model, momentStart(model, x0) ?? x0));
  const lower = Array.from(model.theta.lower);
  const m = x.length;
  calls = 0;
  let { f, g } = fg(x);
  const H = Array.from({ length: m }, (_, i) => Array.from({ length: m }, (_, j) => (i === j ? 0.01 / Math.hypot(...g) : 0)));
  let reached = null;
  for (let it = 0; it < 200 && reached === null; it++) {
    const d = H.map((row) => -row.reduce((s, h, j) => s + h * g[j], 0));
    let t = 1, xn, r;
    for (;;) {
      xn = x.map((xi, i) => Math.max(lower[i], xi + t * d[i]));
      r = fg(xn);
      const dec = g.reduce((s, gi, i) => s + gi * (xn[i] - x[i]), 0);
      if (r.f <= f + 1e-4 * dec || t < 1e-10) break;
      t *= 0.5;
    }
    const s = xn.map((v, i) => v - x[i]);
    const y = r.g.map((v, i) => v - g[i]);
    const sy = s.reduce((a, v, i) => a + v * y[i], 0);
    x = xn; f = r.f; g = r.g;
    if (f - fit.objective <= 1e-8) reached = calls;
    if (sy > 1e-14) {
      const Hy = H.map((row) => row.reduce((a, h, j) => a + h * y[j], 0));
      const yHy = y.reduce((a, v, i) => a + v * Hy[i], 0);
      for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) H[i][j] += ((sy + yHy) * s[i] * s[j]) / (sy * sy) - (Hy[i] * s[j] + s[i] * Hy[j]) / sy;
    }
  }
  console.log(JSON.stringify({
    case: name, nTheta: m, bobyqaEvals: fit.feval, objective: fit.objective,
    evalCpuMs: +evalMs.toFixed(1), jetGradientCpuMs: +gradMs.toFixed(1), gradientInEvals: +(gradMs / evalMs).toFixed(1),
    bfgsEvalsTo1e8: reached, bfgsObjectiveMinusOurs: f - fit.objective,
    breakEvenGradientInEvals: reached ? +(fit.feval / reached - 1).toFixed(2) : null,
  }));
}
process.exit(0);
