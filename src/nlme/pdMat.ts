/**
 * nlme's pdMat classes of a level's Ψ (Pinheiro & Bates 2000, §6.1), as maps from the class's own
 * parameters to Ψ/σ²:
 *   pdLogChol, pdSymm, pdNatural (general positive-definite) and pdDiag: lme4's θ itself (a full, or a
 *               diagonal, template);
 *   pdIdent:    Ψ/σ² = s² I,                        x = log s;
 *   pdCompSymm: Ψ/σ² = s² [(1 − ρ) I + ρ 1 1ᵀ],      x = (log s, log((ρ + 1/(q − 1))/(1 − ρ))),
 *               ρ = (e^{x₂} − 1/(q − 1))/(e^{x₂} + 1) ∈ (−1/(q − 1), 1) (nlme's coef.pdCompSymm).
 * For the optimizer (lme.ts), `reLayout` puts the structured levels' x beside the other blocks' scaled
 * internal θ; for intervals(), `naturalParameters` gives each level's parameters on nlme's natural scale
 * (log SDs, correlations' log((1 + r)/(1 − r)), pdCompSymm's x with s the absolute SD) and Ψ/σ² from them.
 */
import { choleskyInPlace } from '../linalg/dense.js';
import { type Reparametrized, thetaToInternal, thetaToOriginal } from '../model/reparam.js';
import type { RandomBlock } from '../model/lambda.js';
import { type PdClass, type PdPart, isGeneralPd } from './randomSpec.js';

/** One class's part of a level's block: a whole level, or one block of a pdBlocked level (columns col … col + q − 1). */
export interface PdUnit { pd: PdPart['pd']; lhs: string; col: number; q: number }

/** A level's units: pdBlocked's blocks at their columns (each block's lme4 terms in turn), or the whole block. */
export function levelUnits(level: { pd: PdClass; lhs: string; parts?: PdPart[] }, block: RandomBlock): PdUnit[] {
  if (!level.parts) return [{ pd: level.pd as PdPart['pd'], lhs: level.lhs, col: 0, q: block.q }];
  const units: PdUnit[] = [];
  let t = 0;
  for (const part of level.parts) {
    const terms = block.terms.slice(t, t + part.terms);
    t += part.terms;
    const col = terms[0].col;
    units.push({ pd: part.pd, lhs: part.lhs, col, q: terms.reduce((a, x) => a + x.q, 0) });
  }
  return units;
}

/** Whether a class maps its own parameters to θ (pdLogChol's and pdDiag's are θ's entries). */
export function isStructured(pd: PdClass): boolean { return pd === 'pdIdent' || pd === 'pdCompSymm'; }

/** The number of a unit's variance parameters (logLik's df): θ's free entries in its columns, or the class's. */
export function pdParameterCount(u: PdUnit, block: RandomBlock): number {
  if (u.pd === 'pdIdent') return 1;
  if (u.pd === 'pdCompSymm') return 2;
  let k = 0;
  for (let i = u.col; i < u.col + u.q; i++) for (let j = u.col; j <= i; j++) if (block.thetaIndex[i * block.q + j] >= 0) k++;
  return k;
}

/** pdCompSymm's ρ of x₂ (nlme's coef.pdCompSymm) and back. */
export function compSymmRho(x2: number, q: number): number { const a = Math.exp(x2); return (a - 1 / (q - 1)) / (a + 1); }
export function compSymmX2(rho: number, q: number): number { return Math.log((rho + 1 / (q - 1)) / (1 - rho)); }

/** Ψ/σ² (q × q, row-major) of a structured class at its parameters x (log s relative to σ first). */
export function structuredRelPsi(pd: PdClass, q: number, x: ArrayLike<number>): Float64Array {
  const s2 = Math.exp(2 * x[0]);
  const rho = pd === 'pdCompSymm' && q > 1 ? compSymmRho(x[1], q) : 0;
  const D = new Float64Array(q * q);
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) D[i * q + j] = s2 * (i === j ? 1 : rho);
  return D;
}

/**
 * θ's entries of a block from Ψ/σ²: its lower Cholesky factor at the block's θ indices, written into
 * `theta` (false where Ψ is not positive definite).
 */
export function fillBlockTheta(block: RandomBlock, D: Float64Array, theta: Float64Array, col = 0, q = block.q): boolean {
  // D: the q × q diagonal block of Ψ/σ² at columns col … col + q − 1 (pdBlocked's Ψ is block-diagonal)
  const L = Float64Array.from(D);
  try { choleskyInPlace(L, q, 'Ψ/σ²'); } catch { return false; }
  for (let i = 0; i < q; i++) for (let j = 0; j <= i; j++) {
    const at = block.thetaIndex[(col + i) * block.q + col + j];
    if (at >= 0) theta[at] = L[i * q + j];
  }
  return true;
}

/** The optimizer's random-effects variables with structured levels. */
export interface ReLayout {
  /** the number of variables */
  nx: number;
  start: Float64Array;
  lower: Float64Array;
  /** the variables → the internal θ of the whole model (null where a Ψ is not positive definite) */
  thetaInt(x: ArrayLike<number>): Float64Array | null;
}

/**
 * The variables: the unstructured blocks' θ_int entries, scaled as lmer's optimizer scales them
 * (`scales`, `lower` and `start` over all of θ, src/lmm/thetaProblem.ts), then each structured level's x.
 */
export function reLayout(model: Reparametrized & { theta: { length: number } }, units: { unit: PdUnit; block: number }[],
  problem: { scales: Float64Array; lower: Float64Array }, start: Float64Array): ReLayout {
  const structured = units.filter((u) => isStructured(u.unit.pd));
  const inStructured = new Set<number>();
  for (const { unit: u, block } of structured) {
    const b = model.blocks[block];
    for (let i = u.col; i < u.col + u.q; i++) for (let j = u.col; j <= i; j++) if (b.thetaIndex[i * b.q + j] >= 0) inStructured.add(b.thetaIndex[i * b.q + j]);
  }
  const free = Array.from({ length: model.theta.length }, (_, k) => k).filter((k) => !inStructured.has(k));
  const xStart: number[] = free.map((k) => start[k]);
  const xLower: number[] = free.map((k) => problem.lower[k] * problem.scales[k]);
  const offsets: number[] = [];
  for (const { unit: u } of structured) {
    offsets.push(xStart.length);
    // Ψ/σ² = I at the start (lmer's), ρ = 0
    xStart.push(0); xLower.push(-Infinity);
    if (u.pd === 'pdCompSymm') { xStart.push(compSymmX2(0, u.q)); xLower.push(-Infinity); }
  }
  const nt = model.theta.length;
  return {
    nx: xStart.length,
    start: Float64Array.from(xStart),
    lower: Float64Array.from(xLower),
    thetaInt(x) {
      const out = new Float64Array(nt);
      free.forEach((k, i) => { out[k] = x[i] / problem.scales[k]; });
      // the structured units' θ, then their internal θ (each block's map involves its own entries only;
      // a block with structured and free units is mapped whole, its free entries from θ_int back to θ)
      const orig = thetaToOriginal(model, out);
      for (const [t, { unit: u, block }] of structured.entries()) {
        const blk = model.blocks[block];
        const D = structuredRelPsi(u.pd, u.q, [x[offsets[t]], x[offsets[t] + 1]]);
        if (!fillBlockTheta(blk, D, orig, u.col, u.q)) return null;
      }
      const int = thetaToInternal(model, orig);
      for (const k of inStructured) out[k] = int[k];
      return out;
    },
  };
}

/** A level's parameters on nlme's natural scale, for intervals(). */
export interface NaturalParameters {
  eta: number[];
  /** Ψ/σ² at η (absolute scale) and σ */
  relPsi(eta: ArrayLike<number>, sigma: number): Float64Array;
  /** the rows of intervals(): names and the ends mapped back from η's ends */
  names: string[];
  back(eta: ArrayLike<number>): number[];
}

/**
 * pdLogChol, pdSymm, pdNatural: (log sd_i, log((1 + r_ij)/(1 − r_ij)) per pair i < j), nlme's pdNatural
 * (nlme's lmeApVar turns every pdSymm, pdLogChol included, into a pdNatural); pdDiag: log sd_i;
 * pdIdent: log sd; pdCompSymm: (log sd, log((ρ + 1/(q − 1))/(1 − ρ))) — nlme's lmeApVar.
 */
export function naturalParameters(pd: PdClass, cnames: string[], lhs: string, vc: { stdDev: number[]; corr: number[][] }): NaturalParameters {
  const q = cnames.length;
  if (pd === 'pdIdent' || pd === 'pdCompSymm') {
    const cs = pd === 'pdCompSymm';
    const rho = cs ? vc.corr[1][0] : 0;
    return {
      eta: cs ? [Math.log(vc.stdDev[0]), compSymmX2(rho, q)] : [Math.log(vc.stdDev[0])],
      relPsi: (eta, sigma) => structuredRelPsi(pd, q, [eta[0] - Math.log(sigma), eta[1]]),
      // nlme's names: pdIdent's sd(<its formula's right side>), pdCompSymm's
      names: cs ? ['std. dev', 'corr.'] : [`sd(${deparseRhs(lhs)})`],
      back: (eta) => (cs ? [Math.exp(eta[0]), compSymmRho(eta[1], q)] : [Math.exp(eta[0])]),
    };
  }
  const pairs: [number, number][] = [];
  if (isGeneralPd(pd)) for (let i = 0; i < q; i++) for (let j = i + 1; j < q; j++) pairs.push([i, j]);
  return {
    eta: [...vc.stdDev.map(Math.log), ...pairs.map(([i, j]) => Math.log((1 + vc.corr[i][j]) / (1 - vc.corr[i][j])))],
    relPsi(eta, sigma) {
      // D/σ² = diag(sd) R diag(sd)/σ²
      const D = new Float64Array(q * q);
      for (let i = 0; i < q; i++) D[i * q + i] = (Math.exp(eta[i]) / sigma) ** 2;
      pairs.forEach(([i, j], k) => {
        const r = Math.tanh(eta[q + k] / 2);
        D[i * q + j] = D[j * q + i] = (r * Math.exp(eta[i]) * Math.exp(eta[j])) / sigma ** 2;
      });
      return D;
    },
    names: [...cnames.map((c) => `sd(${c})`), ...pairs.map(([i, j]) => `cor(${cnames[i]},${cnames[j]})`)],
    back: (eta) => [...cnames.map((_, i) => Math.exp(eta[i])), ...pairs.map((_, u) => Math.tanh(eta[q + u] / 2))],
  };
}

/** R's deparse of a formula's right side: spaces around + and -, none around : (`Machine - 1`). */
export function deparseRhs(lhs: string): string {
  return lhs.replace(/\s+/g, '').replace(/([+-])/g, ' $1 ').replace(/^ - /, '-').trim();
}
