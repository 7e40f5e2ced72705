/**
 * Seeded data for the large-q benchmark cases (issue 9, item 8): `y ~ x + (f | g)` where f is a
 * factor with q levels, so the random-effects term has q columns per group and q(q+1)/2 variance
 * parameters (q = 20: 210). Each row draws a group g (balanced, shuffled) and a level of f
 * (uniform), x ~ N(0, 1), and
 *   y = 1 + 0.5 x + b_g[f] + ε,   b_g = Σ^{1/2} u_g,  ε ~ N(0, 1),
 * with Σ = A Aᵀ + 0.25 I for a q×3 matrix A of N(0, 0.5²) entries (three latent dimensions plus
 * noise, so the covariance is well inside the cone but close to low rank). lme4 parametrizes
 * (f | g) by the intercept (level 1) and the differences from it; the model is the same.
 * The CSV has columns y, x, f (levels f01…), g (levels g01…).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Rng } from './synth.js';

export interface FactorSlopesOptions {
  n: number;
  groups: number;
  q: number;
  seed: number;
}

const pad2 = (k: number) => String(k).padStart(2, '0');

/** The CSV text of the data set (shortest round-trip digits). */
export function factorSlopesCsv(o: FactorSlopesOptions): string {
  const { n, groups, q } = o;
  const rng = new Rng(o.seed);
  const A = Float64Array.from({ length: q * 3 }, () => 0.5 * rng.normal());
  // b_g = A v_g + 0.5 e_g with v_g ~ N(0, I₃), e_g ~ N(0, I_q): Var(b_g) = A Aᵀ + 0.25 I
  const b = new Float64Array(groups * q);
  for (let g = 0; g < groups; g++) {
    const v = [rng.normal(), rng.normal(), rng.normal()];
    for (let k = 0; k < q; k++) b[g * q + k] = A[k * 3] * v[0] + A[k * 3 + 1] * v[1] + A[k * 3 + 2] * v[2] + 0.5 * rng.normal();
  }
  const gOf = Int32Array.from({ length: n }, (_, i) => i % groups);
  for (let i = n - 1; i > 0; i--) {
    const r = rng.int(i + 1);
    const t = gOf[i];
    gOf[i] = gOf[r];
    gOf[r] = t;
  }
  const lines = ['y,x,f,g'];
  for (let i = 0; i < n; i++) {
    const g = gOf[i];
    const f = rng.int(q);
    const x = rng.normal();
    const y = 1 + 0.5 * x + b[g * q + f] + rng.normal();
    lines.push(`${y},${x},f${pad2(f + 1)},g${pad2(g + 1)}`);
  }
  return lines.join('\n') + '\n';
}

/** Writes the data set to `path` unless it is there already; returns the path. */
export function ensureFactorSlopesCsv(path: string, o: FactorSlopesOptions): string {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, factorSlopesCsv(o));
  }
  return path;
}
