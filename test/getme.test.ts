/**
 * lme4's getME(fit, name) (src/inference/getME.ts) against lme4 1.1-31 (test/oracle/getme.R): every name
 * for sleepstudy (Days | Subject) and (Days || Subject), Penicillin (crossed), Pastes (nested), prior
 * weights, an ML fit, cbpp (binomial glmer), a Poisson glmer with an offset and a Gamma(log) glmer (a
 * family with a scale: σ̂ and devcomp's sigmaML).
 *  - a fit whose rows are in the stream engine: what needs no rows (R_X from σ̂² Var(β̂)⁻¹, devcomp from the
 *    criterion's parts) against lme4's tight fit (1e-5, as at our optimum), the rest refused; the same
 *    without rows at lme4's θ to 1e-8;
 *  - the data's pieces (X, Z, Zt, y, weights) exactly copied: 1e-15 (the offset log(exposure): 1e-14, two
 *    libm's logs);
 *  - lmer at lme4's θ (assembled there, no optimizer): 1e-8 of each piece's largest entry (the same
 *    float64 algebra in another order: rounding alone; worst seen 2.8e-12, in b);
 *  - lmer at our optimum against lme4 run to a tight tolerance (bobyqa, rhoend 1e-10): 1e-5 of each
 *    piece's largest entry — θ̂ is known to ~1e-7 relative and u, b, R_X, R_ZX and σ̂ move with θ
 *    (worst seen 6.1e-7, log|R_X|²; θ 2.6e-7);
 *  - glmer at our optimum against lme4's PIRLS state at the exact Laplace optimum (exact_laplace.R;
 *    glmer's own bobyqa stops ~1e-4 away in β): 1e-5, as test/lme4Anova.test.ts (our optimizer stops at a
 *    final radius of 1e-5 in units of β̂'s SEs; worst seen 1.5e-7, β).
 * The names added later (Ztlist, mmList, p_i, n_rtrms, n_rfacs, Tp: structure, exact or 1e-15; A, L, ST,
 * Tlist: at each level's tolerance) and devfun (a function: at lme4's own points, 1e-12 relative at every
 * level — no optimizer between the two). L is ours in lme4's column order (perm = identity): entry by
 * entry where lme4's perm is the identity, else L Lᵀ against lme4's up to its permutation; log|L|² always.
 * Sparse matrices are compared entry by entry after conversion to dense. R_ZX is compared entry by entry
 * where lme4's L has no fill-reducing permutation (L@perm = identity); where it permutes (the || model,
 * Pastes) lme4's R_ZX is of the permuted factor and R_ZXᵀR_ZX (invariant) is compared instead.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { toArrowTable } from '../src/io/dataInput.js';
import { lmer } from '../src/fit/lmer.js';
import { glmer } from '../src/fit/glmer.js';
import { buildLmm } from '../src/lmm/model.js';
import { getME, GETME_NAMES, MAX_SPLIT_TERM_ROWS, type SparseMatrix, type DevComp } from '../src/inference/getME.js';
import { OptionError, ModelError } from '../src/errors/errors.js';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import type { GlmmFit } from '../src/glmm/glmmFit.js';
import { fitAtTheta } from './helpers/atTheta.js';
import { runMain } from './helpers/cliEngines.js';
import { gramFromStream } from '../src/gram/stream/streamSource.js';
import { openBatchSource } from '../src/gram/stream/node.js';
import { lmerFromGram } from '../src/gram/fit.js';
import type * as arrow from 'apache-arrow';

type Num = number | string;
interface Pieces {
  X: number[][]; Xnames: string[] | string; Z: number[][]; Zt: number[][]; Lambda: number[][]; Lambdat: number[][]; Lind: number[];
  theta: Num[] | Num; thetaNames: string[] | string; beta: number[] | number; fixef: number[] | number; fixefNames: string[] | string;
  u: number[]; b: number[]; y: number[]; mu: number[]; offset: number[]; weights: number[];
  flist: { codes: number[]; levels: string[] }[]; flistNames: string[] | string; cnms: (string[] | string)[]; cnmsNames: string[] | string;
  Gp: number[]; n: number; N: number; p: number; q: number; k: number; l_i: number[] | number; q_i: number[] | number; m_i: number[] | number; m: number;
  lower: Num[] | Num; sigma: number; REML: number; is_REML: boolean; cmp: Record<string, Num>; dims: Record<string, number>;
  RX: number[][]; RZX: number[][]; perm: number[];
  ldL2?: number; devResid?: number; wrss?: number; dev?: number;
  Ztlist: number[][][]; ZtlistNames: string[] | string; mmList: { names: string[]; rows: number[][] }[]; mmListNames: string[] | string;
  A: number[][]; L: number[][]; ST: number[][][]; STNames: string[]; Tlist: number[][][]; TlistNames: string[];
  Tp: number[]; TpNames: string[]; n_rtrms: number; n_rfacs: number; p_i: number[]; p_iNames: string[];
  devfun: { theta: number[] | number; beta?: number[] | number; value: number; getME_devfun?: number }[];
}
interface Case { data: string; formula: string; reml?: boolean; weights?: string; family?: string; link?: string; atTheta?: Pieces; tight?: Pieces; exact?: Pieces }
const dir = join(import.meta.dirname, 'fixtures', 'getme');
const dataDir = join(import.meta.dirname, 'fixtures', 'data');
const cases = JSON.parse(readFileSync(join(dir, 'getme.json'), 'utf8')) as Record<string, Case>;
const factors: Record<string, string[]> = { 'sleepstudy.csv': ['Subject'], 'sleepstudy_weighted.csv': ['Subject'], 'cbpp.csv': ['herd', 'period'], '../gamma/gamma_log.csv': ['g'] };
const tables = new Map<string, arrow.Table>();
const table = (d: string) => {
  if (!tables.has(d)) tables.set(d, readCsv(readFileSync(join(dataDir, d), 'utf8'), { factors: factors[d] }).table);
  return tables.get(d)!;
};
/** R's numbers as JSON writes them: NA, Inf and -Inf are strings */
const rNum = (v: Num): number => (v === 'NA' ? NaN : v === 'Inf' ? Infinity : v === '-Inf' ? -Infinity : (v as number));
const arr = <T>(v: T[] | T): T[] => [v].flat() as T[];

function dense(S: SparseMatrix): number[][] {
  const D = Array.from({ length: S.nrow }, () => new Array<number>(S.ncol).fill(0));
  for (let j = 0; j < S.ncol; j++) for (let e = S.p[j]; e < S.p[j + 1]; e++) D[S.i[e]][j] += S.x[e];
  return D;
}
const crossprod = (A: number[][]) => {
  const p = A[0]?.length ?? 0;
  return Array.from({ length: p }, (_, r) => Array.from({ length: p }, (_, s) => A.reduce((acc, row) => acc + row[r] * row[s], 0)));
};

/** the worst error seen per name, for the report */
const worst = new Map<string, number>();
/** the comparison running: 'at lme4 θ', 'lmer at ours', 'glmer at ours' */
let level = '';
/** |ours − R| ≤ tol × max(1e-300, max |R|) over the entries: rounding scales with the piece's size */
function close(what: string, ours: ArrayLike<number>, ref: ArrayLike<number>, tol: number) {
  expect(ours.length, `${what} length`).toBe(ref.length);
  let scale = 0;
  for (let e = 0; e < ref.length; e++) if (Number.isFinite(ref[e])) scale = Math.max(scale, Math.abs(ref[e]));
  let err = 0;
  for (let e = 0; e < ref.length; e++) {
    if (!Number.isFinite(ref[e])) { expect(ours[e], `${what}[${e}]`).toBe(ref[e]); continue; }
    err = Math.max(err, Math.abs(ours[e] - ref[e]) / Math.max(scale, 1e-300));
  }
  const key = `${level}: ${what}`;
  worst.set(key, Math.max(worst.get(key) ?? 0, err));
  expect(err, what).toBeLessThan(tol);
}
const closeMatrix = (what: string, ours: number[][], ref: number[][], tol: number) => {
  expect(ours.length, `${what} rows`).toBe(ref.length);
  close(what, ours.flat(), ref.flat(), tol);
};

function expectAll(fit: LmmFit | GlmmFit, r: Pieces, tol: number, glmm: boolean) {
  const g = (name: string) => fit.getME(name);
  // the structure: exact
  const X = g('X') as { names: string[]; rows: number[][] };
  expect(X.names).toEqual(arr(r.Xnames));
  closeMatrix('X', X.rows, r.X, 1e-15);
  closeMatrix('Z', dense(g('Z') as SparseMatrix), r.Z, 1e-15);
  closeMatrix('Zt', dense(g('Zt') as SparseMatrix), r.Zt, 1e-15);
  expect(Array.from(g('Lind') as Int32Array)).toEqual(r.Lind);
  const flist = g('flist') as { name: string; codes: Int32Array; levels: string[] }[];
  expect(flist.map((f) => f.name)).toEqual(arr(r.flistNames));
  flist.forEach((f, k) => { expect(Array.from(f.codes, (c) => c + 1)).toEqual(r.flist[k].codes); expect(f.levels).toEqual(arr(r.flist[k].levels)); });
  const cnms = g('cnms') as { group: string; names: string[] }[];
  expect(cnms.map((c) => c.group)).toEqual(arr(r.cnmsNames));
  expect(cnms.map((c) => c.names)).toEqual(r.cnms.map((c) => arr(c)));
  expect(g('Gp')).toEqual(r.Gp);
  for (const nm of ['n', 'N', 'p', 'q', 'k', 'm', 'REML', 'is_REML'] as const) expect(g(nm), nm).toEqual(r[nm]);
  for (const nm of ['l_i', 'q_i', 'm_i'] as const) expect(g(nm), nm).toEqual(arr(r[nm]));
  expect(Array.from(g('lower') as Float64Array)).toEqual(arr(r.lower).map(rNum));
  close('y', g('y') as Float64Array, r.y, 1e-15);
  // the offset is log(exposure) here: V8's log and R's may differ in the last bit
  close('offset', g('offset') as Float64Array, r.offset, 1e-14);
  close('weights', g('weights') as Float64Array, r.weights, 1e-15);
  // the estimates
  const theta = g('theta') as Record<string, number>;
  expect(Object.keys(theta)).toEqual(arr(r.thetaNames));
  close('theta', Object.values(theta), arr(r.theta).map(rNum), tol);
  close('beta', g('beta') as Float64Array, arr(r.beta), tol);
  const fixef = g('fixef') as Record<string, number>;
  expect(Object.keys(fixef)).toEqual(arr(r.fixefNames));
  close('fixef', Object.values(fixef), arr(r.fixef), tol);
  closeMatrix('Lambda', dense(g('Lambda') as SparseMatrix), r.Lambda, tol);
  closeMatrix('Lambdat', dense(g('Lambdat') as SparseMatrix), r.Lambdat, tol);
  close('u', g('u') as Float64Array, r.u, tol);
  close('b', g('b') as Float64Array, r.b, tol);
  close('mu', g('mu') as Float64Array, r.mu, tol);
  // glmer: lme4's σ̂ = √(pwrss/n) for a family with a scale (at the exact optimum's PIRLS state), else 1
  if (!glmm || r.dims.useSc === 1) close('sigma', [g('sigma') as number], [r.sigma], tol);
  else expect(g('sigma')).toBe(1);
  closeMatrix('RX', g('RX') as number[][], r.RX, tol);
  const RZX = g('RZX') as number[][];
  const identity = r.perm.every((v, i) => v === i);
  if (identity) closeMatrix('RZX', RZX, r.RZX, tol);
  else { expect(RZX.length).toBe(r.RZX.length); closeMatrix('RZXtRZX', crossprod(RZX), crossprod(r.RZX), tol); }
  // the names added later: the per-term lists and counts (the structure: exact; θ's pieces: tol)
  const Ztlist = g('Ztlist') as Record<string, SparseMatrix>;
  expect(Object.keys(Ztlist)).toEqual(arr(r.ZtlistNames));
  Object.values(Ztlist).forEach((S, k) => closeMatrix(`Ztlist[${k}]`, dense(S), r.Ztlist[k], 1e-15));
  const mm = g('mmList') as Record<string, { names: string[]; rows: number[][] }>;
  expect(Object.keys(mm)).toEqual(arr(r.mmListNames));
  Object.values(mm).forEach((M, k) => { expect(M.names).toEqual(arr(r.mmList[k].names)); closeMatrix(`mmList[${k}]`, M.rows, r.mmList[k].rows, 1e-15); });
  const pI = g('p_i') as Record<string, number>;
  expect(Object.keys(pI)).toEqual(arr(r.p_iNames));
  expect(Object.values(pI)).toEqual(arr(r.p_i));
  expect(g('n_rtrms')).toBe(r.n_rtrms);
  expect(g('n_rfacs')).toBe(r.n_rfacs);
  expect(g('Tp')).toEqual({ names: arr(r.TpNames), values: arr(r.Tp) });
  for (const [nm, names] of [['ST', r.STNames], ['Tlist', r.TlistNames]] as const) {
    const list = g(nm) as { group: string; matrix: number[][] }[];
    expect(list.map((t) => t.group)).toEqual(arr(names));
    list.forEach((t, k) => closeMatrix(`${nm}[${k}]`, t.matrix, r[nm][k], tol));
  }
  closeMatrix('A', dense(g('A') as SparseMatrix), r.A, tol);
  // L: ours is the factor in lme4's column order (perm = identity); lme4's is CHOLMOD's of P(ΛᵀZᵀWZΛ + I)Pᵀ:
  // entry by entry where lme4's perm is the identity, else L Lᵀ up to lme4's permutation; log|L|² both ways
  const { L, perm } = g('L') as { L: SparseMatrix; perm: Int32Array };
  expect(Array.from(perm)).toEqual(Array.from({ length: perm.length }, (_, k) => k));
  const Ld = dense(L);
  const Lr = r.L;
  expect(Ld.length).toBe(Lr.length);
  const ldL2 = (M: number[][]) => 2 * M.reduce((acc, row, i) => acc + Math.log(row[i]), 0);
  close('L logdet', [ldL2(Ld)], [ldL2(Lr)], tol);
  if (r.perm.every((v, i) => v === i)) closeMatrix('L', Ld, Lr, tol);
  else {
    const tcross = (M: number[][]) => M.map((ri) => M.map((rj) => ri.reduce((acc, v, k) => acc + v * rj[k], 0)));
    const ours = tcross(Ld);
    closeMatrix('L Lt (permuted)', r.perm.map((pi) => r.perm.map((pj) => ours[pi][pj])), tcross(Lr), tol);
  }
  // devfun: a function of lme4's parameters, compared at lme4's own points (θ for lmer, c(θ, β) for glmer;
  // glmer: lme4's deviance function with PIRLS settled, exact_laplace.R), whatever the level: no optimizer
  // between the two, the same float64 algebra in another order (1e-12 relative; worst seen 2.9e-14)
  const devfun = g('devfun') as (pars: ArrayLike<number>) => number;
  for (const pt of r.devfun) {
    const x = glmm ? [...arr(pt.theta), ...arr(pt.beta!)] : arr(pt.theta);
    close('devfun', [devfun(x)], [pt.value], 1e-12);
  }
  const dc = g('devcomp') as DevComp;
  expect(dc.dims).toEqual(Object.fromEntries(Object.entries(r.dims).filter(([k]) => k !== 'tolPwrss')));
  if (!glmm) {
    for (const nm of Object.keys(r.cmp)) close(`cmp.${nm}`, [dc.cmp[nm as keyof DevComp['cmp']]], [rNum(r.cmp[nm])], tol);
  } else {
    // glmer's cmp of its own fit is ~1e-4 away; the PIRLS state at the exact optimum gives log|L|², Σ devResid, ‖u‖²
    close('cmp.ldL2', [dc.cmp.ldL2], [r.ldL2!], tol);
    close('cmp.drsum', [dc.cmp.drsum], [r.devResid!], tol);
    const ussq = r.u.reduce((s, v) => s + v * v, 0);
    close('cmp.ussq', [dc.cmp.ussq], [ussq], tol);
    close('cmp.wrss', [dc.cmp.wrss], [r.wrss!], tol);
    close('cmp.pwrss', [dc.cmp.pwrss], [r.wrss! + ussq], tol);
    close('cmp.dev', [dc.cmp.dev], [r.dev!], tol);
    const ldRX2 = 2 * r.RX.reduce((s, row, i) => s + Math.log(Math.abs(row[i])), 0);
    close('cmp.ldRX2', [dc.cmp.ldRX2], [ldRX2], tol);
    expect(dc.cmp.REML).toBeNaN();
    expect(dc.cmp.sigmaREML).toBeNaN();
    if (r.dims.useSc === 1) close('cmp.sigmaML', [dc.cmp.sigmaML], [r.sigma], tol);
    else expect(dc.cmp.sigmaML).toBeNaN();
  }
}

const lmerOptions = (c: Case) => ({ REML: c.reml, factors: factors[c.data], ...(c.weights ? { weights: c.weights } : {}) });

describe("getME of lmer fits at lme4's θ", () => {
  for (const [name, c] of Object.entries(cases)) {
    if (c.family) continue;
    it(name, () => {
      level = "at lme4's θ";
      const fit = fitAtTheta(buildLmm(c.formula, table(c.data), lmerOptions(c)), arr(c.atTheta!.theta).map(rNum));
      expectAll(fit, c.atTheta!, 1e-8, false);
    });
  }
});

describe('getME of lmer fits at our optimum', () => {
  for (const [name, c] of Object.entries(cases)) {
    if (c.family) continue;
    it(name, async () => {
      level = 'lmer at ours';
      const fit = await lmer(c.formula, table(c.data), lmerOptions(c));
      expectAll(fit, c.tight!, 1e-5, false);
    });
  }
});

describe('getME of glmer fits at our optimum', () => {
  for (const [name, c] of Object.entries(cases)) {
    if (!c.family) continue;
    it(name, async () => {
      level = 'glmer at ours';
      const fit = await glmer(c.formula, table(c.data), { family: c.family as 'binomial', ...(c.link ? { link: c.link as 'log' } : {}), factors: factors[c.data] });
      expectAll(fit, c.exact!, 1e-5, true);
    });
  }
});

describe('getME refusals', () => {
  it('a name it does not provide: OptionError listing the supported names', () => {
    const c = cases.sleepstudy;
    const fit = fitAtTheta(buildLmm(c.formula, table(c.data), lmerOptions(c)), arr(c.atTheta!.theta).map(rNum));
    // names lme4 1.1-31's getME does not have (Lambdaq, par) and a misspelling
    for (const nm of ['Lambdaq', 'par', 'nonsense', 'l']) {
      expect(() => fit.getME(nm)).toThrow(OptionError);
      expect(() => fit.getME(nm)).toThrow(new RegExp(`'${nm}' is not a name.*${GETME_NAMES.join(', ')}`));
    }
    // every name of lme4 1.1-31's getME.merMod (its formals' list) but 'ALL' is given
    const lme4Names = ['X', 'Z', 'Zt', 'Ztlist', 'mmList', 'y', 'mu', 'u', 'b', 'Gp', 'Tp', 'L', 'Lambda', 'Lambdat', 'Lind', 'Tlist', 'A', 'RX', 'RZX',
      'sigma', 'flist', 'fixef', 'beta', 'theta', 'ST', 'REML', 'is_REML', 'n_rtrms', 'n_rfacs', 'N', 'n', 'p', 'q', 'p_i', 'l_i', 'q_i', 'k', 'm_i', 'm',
      'cnms', 'devcomp', 'offset', 'lower', 'devfun', 'glmer.nb.theta'];
    for (const nm of lme4Names) expect(GETME_NAMES as readonly string[]).toContain(nm);
    expect(() => fit.getME('ALL')).toThrow(/'ALL' \(lme4's every name at once, a function among them\) is not provided: ask for the names/);
  });
  it("devfun: wrong parameters are refused, naming what it takes; a fit with another criterion is refused", async () => {
    const c = cases.sleepstudy;
    const fit = fitAtTheta(buildLmm(c.formula, table(c.data), lmerOptions(c)), arr(c.atTheta!.theta).map(rNum));
    const f = fit.getME('devfun') as (x: unknown) => number;
    expect(() => f([1, 0])).toThrow(OptionError);
    expect(() => f([1, 0])).toThrow(/takes θ in lme4's order \(3 numbers\), not 2 values/);
    expect(() => f([1, NaN, 1])).toThrow(/parameter 2 is not a finite number/);
    const g = cases.cbpp;
    const gfit = await glmer(g.formula, table(g.data), { family: 'binomial', factors: factors[g.data] });
    const gf = gfit.getME('devfun') as (x: unknown) => number;
    expect(() => gf([0.6])).toThrow(/takes c\(θ, β\): θ in lme4's order, then β \(5 numbers\)/);
    // nAGQ = 0: θ alone (β from PIRLS), as lme4's updateGlmerDevfun(…, nAGQ = 0)
    const g0 = await glmer(g.formula, table(g.data), { family: 'binomial', factors: factors[g.data], nAGQ: 0 });
    const f0 = g0.getME('devfun') as (x: unknown) => number;
    expect(Math.abs(f0(g0.theta) - g0.objective)).toBeLessThan(1e-8);
    // blme's priors: not lme4's criterion
    const pfit = await lmer(c.formula, table(c.data), { ...lmerOptions(c), prior: { cov: 'wishart' } } as never);
    expect(() => pfit.getME('devfun')).toThrow(/getME\('devfun'\) is not available for a fit with priors/);
  });
  it('glmer.nb.theta of a fit that is not a negative binomial: ModelError', async () => {
    const c = cases.sleepstudy;
    const fit = fitAtTheta(buildLmm(c.formula, table(c.data), lmerOptions(c)), arr(c.atTheta!.theta).map(rNum));
    expect(() => getME(fit, 'glmer.nb.theta')).toThrow(ModelError);
  });
  it("RZX of a grouping factor with several terms and many levels (lme4's order makes a dense block): refused; RX given", () => {
    // (x || g) with more levels than MAX_SPLIT_TERM_ROWS: two rows per level, a fixed pseudo-random response
    const nl = MAX_SPLIT_TERM_ROWS + 4;
    const g = Array.from({ length: 2 * nl }, (_, i) => `g${i >> 1}`);
    const x = Array.from({ length: 2 * nl }, (_, i) => (i % 2) + 0.1 * ((i * 7) % 5));
    const y = x.map((v, i) => v + Math.sin(i * 1.7) + 0.3 * Math.cos((i >> 1) * 0.37));
    const fit = fitAtTheta(buildLmm('y ~ x + (x || g)', toArrowTable({ y, x, g })), [0.5, 0.5]);
    expect(() => fit.getME('RZX')).toThrow(ModelError);
    expect(() => fit.getME('RZX')).toThrow(/'g' has several terms; in lme4's column order its term .* makes a dense block of 4100 rows/);
    const RX = fit.getME('RX') as number[][];
    expect(RX.length).toBe(2);
    // R_XᵀR_X = σ̂² Var(β̂)⁻¹ (the fit's own factor): the same R_X
    const s2 = fit.sigma ** 2, V = fit.vcov;
    const det = V[0][0] * V[1][1] - V[0][1] * V[1][0];
    const M = [[(s2 * V[1][1]) / det, (-s2 * V[0][1]) / det], [(-s2 * V[1][0]) / det, (s2 * V[0][0]) / det]];
    const RtR = crossprod(RX);
    for (const [r, c] of [[0, 0], [0, 1], [1, 1]]) expect(Math.abs(RtR[r][c] - M[r][c]) / Math.abs(M[0][0])).toBeLessThan(1e-10);
  });
  it('a fit with a known covariance (relmat) is refused: its Z and Λ are not lme4\'s', () => {
    const c = cases.sleepstudy;
    const model = buildLmm(c.formula, table(c.data), lmerOptions(c));
    const fit = fitAtTheta(model, arr(c.atTheta!.theta).map(rNum));
    // the model as a relmat fit's holds it: a known covariance on its block
    Object.assign(model, { known: [{ group: 'Subject', source: 'K', extraLevels: 0 }] });
    expect(() => fit.getME('theta')).toThrow(ModelError);
    expect(() => fit.getME('Z')).toThrow(/known covariance matrix \(relmat\)/);
  });
  it('a fit whose rows are in an engine: what needs the rows is refused, naming why; the rest is given', () => {
    level = 'engine';
    const c = cases.sleepstudy;
    const model = buildLmm(c.formula, table(c.data), lmerOptions(c));
    const fit = fitAtTheta(model, arr(c.atTheta!.theta).map(rNum));
    // the model as an engine's fit holds it: its rows elsewhere (src/gram/)
    Object.assign(model, { source: { engine: 'duckdb', name: 'sleep.parquet', rowsScanned: 180, queries: [], responseSS: 1, zSquares: [] } });
    for (const nm of ['X', 'Z', 'Zt', 'y', 'mu', 'offset', 'weights', 'flist', 'RZX', 'Ztlist', 'mmList', 'L', 'A']) {
      expect(() => fit.getME(nm)).toThrow(ModelError);
      expect(() => fit.getME(nm)).toThrow(/rows of this fit are in duckdb \(sleep\.parquet\)/);
    }
    close('engine theta', Object.values(fit.getME('theta') as Record<string, number>), arr(c.atTheta!.theta).map(rNum), 1e-15);
    close('engine u', fit.getME('u') as Float64Array, c.atTheta!.u, 1e-8);
    // R_X from σ̂² Var(β̂)⁻¹ and devcomp from the fit's criterion parts, without the rows
    closeMatrix('engine RX', fit.getME('RX') as number[][], c.atTheta!.RX, 1e-8);
    const dc = fit.getME('devcomp') as DevComp;
    for (const nm of Object.keys(c.atTheta!.cmp)) close(`engine cmp.${nm}`, [dc.cmp[nm as keyof DevComp['cmp']]], [rNum(c.atTheta!.cmp[nm])], 1e-8);
  });
});

describe('glmer.nb.theta', () => {
  const negbin = join(import.meta.dirname, 'fixtures', 'negbin');
  // lme4 1.1-31 (test/oracle/negbin.R): glmer.nb's size θ at the exact profile optimum, ours within 1e-4 (test/negbin.test.ts's bar)
  const ref = JSON.parse(readFileSync(join(negbin, 'nbsim.json'), 'utf8')) as { formula: string; factors: string[]; exact: { nb_size: number } };
  const nb = readCsv(readFileSync(join(negbin, 'nbsim.csv'), 'utf8'), { factors: ref.factors }).table;
  it('of a glmer.nb fit: the estimated size, as lme4\'s', async () => {
    const fit = await glmer(ref.formula, nb, { family: 'negative.binomial', factors: ref.factors });
    const size = fit.getME('glmer.nb.theta') as number;
    expect(size).toBe(fit.nbSize);
    expect(Math.abs(size - ref.exact.nb_size) / ref.exact.nb_size).toBeLessThan(1e-4);
  }, 120_000);
  it('of a fit at a given size: that size (lme4\'s getME of glmer(…, negative.binomial(2)))', async () => {
    const fit = await glmer(ref.formula, nb, { family: 'negative.binomial', factors: ref.factors, theta: 2 });
    expect(fit.getME('glmer.nb.theta')).toBe(2);
  }, 120_000);
});

describe('getME of a fit whose rows are in an engine (the stream)', () => {
  it('Penicillin: what needs no rows against lme4 (1e-5, at our optimum), the rest refused naming the engine', async () => {
    level = 'stream engine';
    const c = cases.penicillin;
    const src = await openBatchSource(join(dataDir, c.data));
    let fit: LmmFit;
    try { fit = await lmerFromGram(await gramFromStream(src, c.formula, { batchSize: 50 })); } finally { await src.close(); }
    const r = c.tight!;
    expect(fit.rowsSource).toMatch(/^stream/);
    close('theta', Object.values(fit.getME('theta') as Record<string, number>), arr(r.theta).map(rNum), 1e-5);
    close('beta', fit.getME('beta') as Float64Array, arr(r.beta), 1e-5);
    close('u', fit.getME('u') as Float64Array, r.u, 1e-5);
    close('b', fit.getME('b') as Float64Array, r.b, 1e-5);
    closeMatrix('Lambdat', dense(fit.getME('Lambdat') as SparseMatrix), r.Lambdat, 1e-5);
    expect(Array.from(fit.getME('Lind') as Int32Array)).toEqual(r.Lind);
    expect(fit.getME('Gp')).toEqual(r.Gp);
    for (const nm of ['n', 'N', 'p', 'q', 'k', 'm', 'REML', 'is_REML'] as const) expect(fit.getME(nm), nm).toEqual(r[nm]);
    expect(fit.getME('l_i')).toEqual(arr(r.l_i));
    close('sigma', [fit.getME('sigma') as number], [r.sigma], 1e-5);
    closeMatrix('RX', fit.getME('RX') as number[][], r.RX, 1e-5);
    const dc = fit.getME('devcomp') as DevComp;
    expect(dc.dims).toEqual(r.dims);
    for (const nm of Object.keys(r.cmp)) close(`cmp.${nm}`, [dc.cmp[nm as keyof DevComp['cmp']]], [rNum(r.cmp[nm])], 1e-5);
    expect(() => fit.getME('RZX')).toThrow(/rows of this fit are in stream/);
    expect(() => fit.getME('Z')).toThrow(/rows of this fit are in stream/);
    // devfun from the engine's A (no rows needed), at lme4's points: rounding alone (A summed in another order)
    const devfun = fit.getME('devfun') as (pars: ArrayLike<number>) => number;
    for (const pt of r.devfun) close('devfun', [devfun(arr(pt.theta))], [pt.value], 1e-12);
    for (const nm of ['Tlist', 'ST', 'Tp', 'n_rtrms', 'n_rfacs', 'p_i']) expect(() => fit.getME(nm)).not.toThrow();
  });
});

describe("the CLI's getme", () => {
  const c = cases.sleepstudy;
  const args = ['getme', join(dataDir, c.data), c.formula, 'theta,RX,Lind,Z,devcomp,lower', '--factors', 'Subject', '--quiet'];
  it('--json: one object keyed by name (sparse matrices as CSC slots, -Inf as a string)', async () => {
    level = 'CLI at ours';
    const out = await runMain([...args, '--json']);
    expect(out.code, out.stderr).toBe(0);
    const j = JSON.parse(out.stdout) as { theta: Record<string, number>; RX: number[][]; Lind: number[]; Z: { format: string; nrow: number; ncol: number; p: number[]; i: number[]; x: number[] }; devcomp: DevComp; lower: (number | string)[] };
    expect(Object.keys(j)).toEqual(['theta', 'RX', 'Lind', 'Z', 'devcomp', 'lower']);
    expect(Object.keys(j.theta)).toEqual(c.tight!.thetaNames);
    close('theta', Object.values(j.theta), arr(c.tight!.theta).map(rNum), 1e-5);
    closeMatrix('RX', j.RX, c.tight!.RX, 1e-5);
    expect(j.Lind).toEqual(c.tight!.Lind);
    expect([j.Z.format, j.Z.nrow, j.Z.ncol, j.Z.p.length, j.Z.i.length]).toEqual(['csc', 180, 36, 37, 360]);
    expect(j.devcomp.cmp.dev).toBeNull();
    expect(j.lower).toEqual([0, '-Inf', 0]);
  });
  it('text: a heading per name; the sparse entries 1-based', async () => {
    const out = await runMain(args);
    expect(out.code, out.stderr).toBe(0);
    const lines = out.stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('$'))).toEqual(['$theta', '$RX', '$Lind', '$Z', '$devcomp', '$lower']);
    expect(lines).toContain('180 x 36 sparse Matrix of class "dgCMatrix", 360 entries');
    // Z's first entries: row 1's intercept and the Days of rows 1..10 (Subject 308)
    expect(lines[lines.indexOf('i j x') + 1]).toBe('1 1 1');
    expect(lines[lines.indexOf('$lower') + 1]).toBe('0 -Inf 0');
  });
  it('--engine stream: what needs no rows, and a refusal naming the engine for the rest', async () => {
    const p = cases.penicillin;
    const ok = await runMain(['getme', join(dataDir, p.data), p.formula, 'theta,q', '--engine', 'stream', '--quiet', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const j = JSON.parse(ok.stdout) as { theta: Record<string, number>; q: number };
    close('theta', Object.values(j.theta), arr(p.tight!.theta).map(rNum), 1e-5);
    expect(j.q).toBe(30);
    const bad = await runMain(['getme', join(dataDir, p.data), p.formula, 'RZX', '--engine', 'stream', '--quiet']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/getME\('RZX'\): the rows of this fit are in stream/);
  });
  it('refuses an unknown name, naming the supported ones, and no names', async () => {
    const bad = await runMain(['getme', join(dataDir, c.data), c.formula, 'theta,Lambdaq', '--factors', 'Subject', '--quiet']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/'Lambdaq' is not a name this getME provides; it provides X, Z, Zt/);
    expect(bad.stdout).toBe('');
    const none = await runMain(['getme', join(dataDir, c.data), c.formula, ',', '--factors', 'Subject', '--quiet']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no names given/);
  });
});

describe("the CLI's getme: the names added later", () => {
  const c = cases.sleepstudy;
  const names = 'Ztlist,mmList,L,A,ST,Tlist,Tp,n_rtrms,n_rfacs,p_i';
  it('--json: each as lme4 (the tight fit, 1e-5)', async () => {
    level = 'CLI at ours';
    const out = await runMain(['getme', join(dataDir, c.data), c.formula, names, '--factors', 'Subject', '--quiet', '--json']);
    expect(out.code, out.stderr).toBe(0);
    const j = JSON.parse(out.stdout);
    const r = c.tight!;
    expect(Object.keys(j)).toEqual(names.split(','));
    expect(Object.keys(j.Ztlist)).toEqual(r.ZtlistNames);
    const csc = (S: { nrow: number; ncol: number; p: number[]; i: number[]; x: number[] }): SparseMatrix => ({ format: 'csc', nrow: S.nrow, ncol: S.ncol, p: Int32Array.from(S.p), i: Int32Array.from(S.i), x: Float64Array.from(S.x) });
    closeMatrix('Ztlist[1]', dense(csc(j.Ztlist['Subject.Days'])), r.Ztlist[1], 1e-15);
    expect(j.mmList['Days | Subject'].names).toEqual(['(Intercept)', 'Days']);
    closeMatrix('L', dense(csc(j.L.L)), r.L, 1e-5);
    expect(j.L.perm).toEqual(r.perm);
    closeMatrix('A', dense(csc(j.A)), r.A, 1e-5);
    closeMatrix('ST', j.ST[0].matrix, r.ST[0], 1e-5);
    expect(j.Tlist[0].group).toBe('Subject');
    expect(j.Tp).toEqual({ names: ['beg__', 'Subject'], values: [0, 3] });
    expect([j.n_rtrms, j.n_rfacs, j.p_i]).toEqual([1, 1, { 'Days | Subject': 2 }]);
  });
  it('text: a heading per name and per list item; devfun refused with the reason', async () => {
    const out = await runMain(['getme', join(dataDir, c.data), c.formula, 'Ztlist,ST,Tp,L,p_i', '--factors', 'Subject', '--quiet']);
    expect(out.code, out.stderr).toBe(0);
    const lines = out.stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('$'))).toEqual(['$Ztlist', '$Ztlist$Subject.(Intercept)', '$Ztlist$Subject.Days', '$ST', '$Tp', '$L', '$p_i']);
    expect(lines[lines.indexOf('$Ztlist$Subject.Days') + 1]).toBe('18 x 180 sparse Matrix of class "dgCMatrix", 180 entries');
    expect(lines[lines.indexOf('$ST') + 1]).toBe('Subject:');
    expect(lines[lines.indexOf('$Tp') + 1]).toBe('beg__=0 Subject=3');
    expect(lines[lines.indexOf('$L') + 1]).toBe(`perm: ${Array.from({ length: 36 }, (_, k) => k + 1).join(' ')}`);
    expect(lines[lines.indexOf('$p_i') + 1]).toBe('Days | Subject=2');
    const bad = await runMain(['getme', join(dataDir, c.data), c.formula, 'theta,devfun', '--factors', 'Subject', '--quiet']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/'devfun' is lme4's deviance function .*cannot be printed: call fit.getME\('devfun'\) in the library/);
  });
});

describe('worst errors', () => {
  it('reports', () => { console.log([...worst].map(([k, v]) => `${k}: ${v.toExponential(1)}`).join('\n')); });
});
