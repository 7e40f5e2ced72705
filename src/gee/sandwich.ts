/**
 * The variances of geepack's estimates (gee2.cc's gee_var; Yan & Fine 2004): the three sets of
 * estimating equations U = (U₁ for β, U₂ for φ, U₃ for α) summed over clusters, their derivative
 * H = −∂U/∂(β, φ, α) block lower-triangular,
 *       ⎡A 0 0⎤      A = Σ D̃ᵀ V₁⁻¹ D̃ (V₁ = φ R),   C = Σ w/(2φ),            F = Σ Eᵀ W E,
 *   H = ⎢B C 0⎥,     B = −Σ w/(2φ) ∂r²/∂β,         D = −Σ Eᵀ W ∂z/∂β,     E = −Σ Eᵀ W ∂z/∂φ,
 *       ⎣D E F⎦
 * (∂r²/∂β and ∂z/∂β as geepack's getS_Beta and getZ_Beta write them), and the sandwich
 *   Var = H⁻¹ (Σ Uᵢ Uᵢᵀ) H⁻ᵀ   by blocks:  Var(β̂) = A⁻¹ L₁₁ A⁻¹ (san.se), the naive A⁻¹,
 * Var(φ̂) and Var(α̂) from the rows of H⁻¹ (inv below: A⁻¹; C⁻¹, −C⁻¹BA⁻¹; F⁻¹, −F⁻¹EC⁻¹, −F⁻¹(DA⁻¹ + EB̃)).
 * As geepack, a cluster of one row leaves the α parts (F, D, E, U₃) of the cluster before it in
 * place (HiandGi returns before setting them and the same Hi, Gi serve every cluster).
 */
import { type Mat, add, inverse, mul, outer, scale, transpose, zeros } from './dense.js';
import { type GeeParams, type GeeProblem, clusterPieces, invertSmall, pairProducts, quadForm, upperTriangle } from './estimate.js';

export interface Hess { A: Mat; B: Mat; C: Mat; D: Mat; E: Mat; F: Mat }
export interface Grad { U1: number[]; U2: number[]; U3: number[] }

export function zeroHess(p: number, q: number): Hess {
  return { A: zeros(p, p), B: zeros(1, p), C: zeros(1, 1), D: zeros(q, p), E: zeros(q, 1), F: zeros(q, q) };
}

export function addHess(a: Hess, b: Hess, sign = 1): Hess {
  const f = (x: Mat, y: Mat) => x.map((row, i) => row.map((v, j) => v + sign * y[i][j]));
  return { A: f(a.A, b.A), B: f(a.B, b.B), C: f(a.C, b.C), D: f(a.D, b.D), E: f(a.E, b.E), F: f(a.F, b.F) };
}

/** The levels geepack computes: the scale's equations (unless scale.fix), the correlation's (q > 0). */
export const levels = (pr: GeeProblem) => ({ scale: !pr.scaleFix, cor: pr.cor.q > 0 });

/** Each cluster's Hᵢ and Uᵢ (geepack's HiandGi), at the estimates. */
export function clusterHessGrad(pr: GeeProblem, par: GeeParams): { H: Hess; G: Grad }[] {
  const { p } = pr;
  const q = pr.cor.q;
  const lv = levels(pr);
  const phi = par.phi;
  const out: { H: Hess; G: Grad }[] = [];
  let prev: { D: Mat; E: Mat; F: Mat; U3: number[] } = { D: zeros(q, p), E: zeros(q, 1), F: zeros(q, q), U3: new Array<number>(q).fill(0) };
  for (let c = 0; c < pr.start.length; c++) {
    const cp = clusterPieces(pr, c, par.beta);
    const s = cp.r.length;
    const R = pr.cor.R(par.alpha, cp.t);
    // V₁ = √φ R √φ
    const V1inv = scale(invertSmall(R), 1 / phi);
    const rw = cp.w.map(Math.sqrt);
    const Dw = cp.D.map((row, k) => row.map((v) => v * rw[k]));
    const rr = cp.r.map((v, k) => v * rw[k]);
    const H = zeroHess(p, q);
    const G: Grad = { U1: [], U2: [0], U3: new Array<number>(q).fill(0) };
    // A = D̃ᵀ V₁⁻¹ D̃, U₁ = D̃ᵀ V₁⁻¹ r̃
    H.A = quadForm(Dw, V1inv, Dw);
    G.U1 = quadForm(Dw, V1inv, rr).map((row) => row[0]);
    if (lv.scale) {
      // C = Σ w/(2φ); B = −Σ w/(2φ) S_β (S_β row: (−2 r/√V − r² V′/V) D);  U₂ = Σ w/(2φ) (r² − φ)
      let C = 0;
      let U2 = 0;
      const B = new Array<number>(p).fill(0);
      for (let k = 0; k < s; k++) {
        const wv = cp.w[k] / (2 * phi);
        C += wv;
        U2 += wv * (cp.r[k] * cp.r[k] - phi);
        const f = -2 * cp.r[k] / Math.sqrt(cp.V[k]) - (cp.r[k] * cp.r[k] / cp.V[k]) * cp.dV[k];
        for (let j = 0; j < p; j++) B[j] -= wv * f * cp.D[k][j];
      }
      H.C = [[C]];
      H.B = [B];
      G.U2 = [U2];
    }
    if (lv.cor) {
      if (s === 1) {
        // geepack's HiandGi returns here: the α parts stay those of the cluster before
        H.D = prev.D; H.E = prev.E; H.F = prev.F; G.U3 = prev.U3;
      } else {
        const sr = cp.r.map((v) => v / Math.sqrt(phi));
        const z = pairProducts(sr);
        const rho = upperTriangle(R);
        const E = pr.cor.E(par.alpha, cp.t);
        const ww = pairProducts(cp.w);
        // F = Eᵀ W E, U₃ = Eᵀ W (z − ρ)
        const F = zeros(q, q);
        const U3 = new Array<number>(q).fill(0);
        // Z_β rows (geepack's getZ_Beta, times 1/φ): −r_j D_j − r_k D_k − ½ r_j r_k (V′_j/√V_j D_j + V′_k/√V_k D_k)
        // Z_φ rows (getZ_Gamma): −½ z (1/φ + 1/φ)
        const Dm = zeros(q, p);
        const Em = zeros(q, 1);
        let m = 0;
        for (let j = 0; j < s; j++) {
          for (let k = j + 1; k < s; k++, m++) {
            const e = E[m];
            const zb = cp.D[j].map((dj, a) => (-cp.r[j] * dj - cp.r[k] * cp.D[k][a]
              - 0.5 * cp.r[j] * cp.r[k] * ((cp.dV[j] / Math.sqrt(cp.V[j])) * dj + (cp.dV[k] / Math.sqrt(cp.V[k])) * cp.D[k][a])) / phi);
            const zg = -0.5 * z[m] * (1 / phi + 1 / phi);
            for (let a = 0; a < q; a++) {
              if (e[a] === 0) continue;
              const ew = e[a] * ww[m];
              U3[a] += ew * (z[m] - rho[m]);
              for (let b = 0; b < q; b++) F[a][b] += ew * e[b];
              for (let b = 0; b < p; b++) Dm[a][b] -= ew * zb[b];
              if (lv.scale) Em[a][0] -= ew * zg;
            }
          }
        }
        H.F = F; H.D = Dm; H.E = Em; G.U3 = U3;
        prev = { D: Dm, E: Em, F, U3 };
      }
    }
    out.push({ H, G });
  }
  return out;
}

/** H⁻¹ by blocks (geepack's inv(Hess, level)) */
export function invertHess(H: Hess, lv: { scale: boolean; cor: boolean }): Hess {
  const A = inverse(H.A, 'Σ Dᵀ V⁻¹ D');
  let B = H.B;
  let C = H.C;
  let D = H.D;
  let E = H.E;
  let F = H.F;
  if (lv.scale) {
    C = inverse(H.C, 'the scale equations\' derivative');
    B = scale(mul(mul(C, H.B), A), -1);
  }
  if (lv.cor) {
    F = inverse(H.F, 'Σ Eᵀ W E');
    E = scale(mul(mul(F, H.E), C), -1);
    D = scale(mul(F, add(mul(H.D, A), mul(H.E, B))), -1);
  }
  return { A, B, C, D, E, F };
}

export interface GeeVariances {
  /** san.se: A⁻¹ L₁₁ A⁻¹ */
  vbeta: Mat;
  /** the naive (model-based) A⁻¹ */
  vbetaNaive: Mat;
  vphi: Mat;
  valpha: Mat;
  valphaNaive: Mat;
}

/** geepack's gee_var: the sandwich variances of β̂, φ̂ and α̂ and the naive one of β̂. */
export function sandwichVariances(pr: GeeProblem, par: GeeParams): GeeVariances {
  const { p } = pr;
  const q = pr.cor.q;
  const lv = levels(pr);
  let H = zeroHess(p, q);
  let L11 = zeros(p, p), L12 = zeros(p, 1), L22 = zeros(1, 1), L13 = zeros(p, q), L33 = zeros(q, q), L23 = zeros(1, q);
  for (const { H: Hi, G } of clusterHessGrad(pr, par)) {
    H = addHess(H, Hi);
    L11 = add(L11, outer(G.U1, G.U1));
    if (lv.scale) { L12 = add(L12, outer(G.U1, G.U2)); L22 = add(L22, outer(G.U2, G.U2)); }
    if (lv.cor) {
      L13 = add(L13, outer(G.U1, G.U3));
      L33 = add(L33, outer(G.U3, G.U3));
      if (lv.scale) L23 = add(L23, outer(G.U2, G.U3));
    }
  }
  const Hi = invertHess(H, lv);
  const vbeta = mul(mul(Hi.A, L11), Hi.A);
  let vphi = zeros(1, 1);
  if (lv.scale) {
    // (B L₁₁ + C L₁₂ᵀ) Bᵀ + (B L₁₂ + C L₂₂) C
    vphi = add(mul(add(mul(Hi.B, L11), mul(Hi.C, transpose(L12, 1))), transpose(Hi.B, p)), mul(add(mul(Hi.B, L12, 1), mul(Hi.C, L22)), Hi.C));
  }
  let valpha = zeros(q, q);
  let valphaNaive = zeros(q, q);
  if (lv.cor) {
    valphaNaive = Hi.F;
    const t1 = add(add(mul(Hi.D, L11), mul(Hi.E, transpose(L12, 1))), mul(Hi.F, transpose(L13, q)));
    const t2 = add(add(mul(Hi.D, L12, 1), mul(Hi.E, L22)), mul(Hi.F, transpose(L23, q), 1));
    const t3 = add(add(mul(Hi.D, L13, q), mul(Hi.E, L23, q)), mul(Hi.F, L33, q));
    valpha = add(add(mul(t1, transpose(Hi.D, p), q), mul(t2, transpose(Hi.E, 1), q)), mul(t3, Hi.F, q));
  }
  return { vbeta, vbetaNaive: Hi.A, vphi, valpha, valphaNaive };
}
