/**
 * geepack's jackknife variances (gee2.cc; Yan & Fine 2004, §3), with K clusters and f = (K − p − q − r)/K
 * (r = 1, the scale's intercept):
 *   jack (ajs, approximate): the one-step change of leaving cluster i out from the full H and Uᵢ,
 *        δᵢ = (H − Hᵢ)⁻¹ Uᵢ by blocks;  Var = f Σ δᵢ δᵢᵀ;
 *   j1s (one-step): one iteration of the estimating equations (β, φ, α) without cluster i from the
 *        estimates;  Var = f Σ (θ̂₋ᵢ − θ̂)(θ̂₋ᵢ − θ̂)ᵀ;
 *   fij (fully iterated): the fit without cluster i iterated to convergence from the estimates.
 */
import { type Mat, add, mulVec, outer, scale, zeros } from './dense.js';
import { type GeeParams, type GeeProblem, geeEstimate } from './estimate.js';
import { addHess, clusterHessGrad, invertHess, levels, zeroHess } from './sandwich.js';

export interface JackVariances { vbeta: Mat; vphi: Mat; valpha: Mat }

function accumulate(K: number, p: number, q: number, deltas: Iterable<{ b: number[]; g: number[]; a: number[] }>): JackVariances {
  let vb = zeros(p, p), vg = zeros(1, 1), va = zeros(q, q);
  for (const d of deltas) {
    vb = add(vb, outer(d.b, d.b));
    vg = add(vg, outer(d.g, d.g));
    if (q) va = add(va, outer(d.a, d.a));
  }
  const f = (K - p - q - 1) / K;
  return { vbeta: scale(vb, f), vphi: scale(vg, f), valpha: scale(va, f) };
}

/** jack: geepack's jack_ajs */
export function jackApproximate(pr: GeeProblem, par: GeeParams): JackVariances {
  const K = pr.start.length;
  const q = pr.cor.q;
  const lv = levels(pr);
  const hg = clusterHessGrad(pr, par);
  let Hn = zeroHess(pr.p, q);
  for (const { H } of hg) Hn = addHess(Hn, H);
  function* deltas() {
    for (const { H, G } of hg) {
      const Hi = invertHess(addHess(Hn, H, -1), lv);
      // δβ = A⁻¹U₁, δφ = B̃U₁ + C̃U₂, δα = D̃U₁ + ẼU₂ + F̃U₃
      const b = mulVec(Hi.A, G.U1);
      const g = mulVec(Hi.B, G.U1).map((v, k) => v + mulVec(Hi.C, G.U2)[k]);
      const a = q ? mulVec(Hi.D, G.U1).map((v, k) => v + mulVec(Hi.E, G.U2)[k] + mulVec(Hi.F, G.U3)[k]) : [];
      yield { b, g, a };
    }
  }
  return accumulate(K, pr.p, q, deltas());
}

/** j1s (maxit 1) and fij (iterated): geepack's gee_jack */
export function jackRefit(pr: GeeProblem, par: GeeParams, kind: 'j1s' | 'fij', epsilon: number, maxit: number): JackVariances {
  const K = pr.start.length;
  function* deltas() {
    for (let i = 0; i < K; i++) {
      const pi: GeeParams = { beta: par.beta.slice(), phi: par.phi, alpha: par.alpha.slice() };
      geeEstimate(pr, pi, epsilon, kind === 'j1s' ? 1 : maxit, i);
      yield { b: pi.beta.map((v, j) => v - par.beta[j]), g: [pi.phi - par.phi], a: pi.alpha.map((v, j) => v - par.alpha[j]) };
    }
  }
  return accumulate(K, pr.p, pr.cor.q, deltas());
}
