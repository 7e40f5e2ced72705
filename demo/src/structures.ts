/**
 * The random-effects table of a fit with glmmTMB's covariance structures (ar1, cs, diag, toep, ou,
 * us), as the library prints it (src/results/lme4Print.ts varCorrTable): an ar1 term shows its one SD
 * on its first level's row with `ρ (ar1)` in the correlation column, a cs term its SDs per level with
 * `ρ (cs)` on the first row (ρ to two decimals, as printed); the other structures their SDs and
 * correlations as an unstructured term (three decimals, as the table had them).
 * Pure: tested in Node.
 */
import { fmtFixed } from './dom.js';
import type { StructureMsg, VarCorrRowMsg } from './protocol.js';

export interface VarCorrDisplayRow {
  group: string;
  name: string;
  variance: number;
  sd: number;
  /** the correlation column's text */
  corr: string;
  /** the term's structure where it has one */
  structure?: string;
  /** ar1's and cs's one correlation, on the term's first row */
  rho?: number;
}

/** R's round(x, 2) printed with two decimals, as the summary's correlations */
function corr2(x: number): string {
  return Number.isFinite(x) ? (Math.round(x * 100) / 100).toFixed(2) : 'NaN';
}

export function varCorrDisplayRows(vc: readonly VarCorrRowMsg[], structures: readonly StructureMsg[]): VarCorrDisplayRow[] {
  const byGroup = new Map(structures.map((s) => [s.group, s]));
  const out: VarCorrDisplayRow[] = [];
  const seen = new Map<string, number>();
  for (const row of vc) {
    if (row.var2 !== null) continue;
    const s = byGroup.get(row.group);
    const k = seen.get(row.group) ?? 0;
    seen.set(row.group, k + 1);
    const base = { group: row.group, name: row.var1 ?? '', variance: row.vcov, sd: row.sdcor };
    if (s && (s.structure === 'ar1' || s.structure === 'cs')) {
      // ar1: one SD, so only the term's first row; cs: every level's SD, ρ on the first row
      if (s.structure === 'ar1' && k > 0) continue;
      out.push({ ...base, corr: k === 0 ? `${corr2(s.rho[0]!)} (${s.structure})` : '', structure: s.structure, ...(k === 0 ? { rho: s.rho[0]! } : {}) });
      continue;
    }
    const corrs = vc.filter((c) => c.group === row.group && c.var2 !== null && c.var2 === row.var1);
    out.push({ ...base, corr: corrs.map((c) => fmtFixed(c.sdcor, 3)).join(' '), ...(s ? { structure: s.structure } : {}) });
  }
  return out;
}

const MEANING: Record<string, string> = {
  ar1: 'one SD for every level, correlation ρ^|i − j| between levels i and j (consecutive times)',
  cs: 'an SD per level, one correlation ρ between any two levels (compound symmetry)',
  diag: 'an SD per level, no correlations',
  toep: 'an SD per level, one correlation per lag |i − j| (Toeplitz)',
  ou: 'one SD, correlation ρ^|t_i − t_j| at the levels\' times (Ornstein–Uhlenbeck)',
  us: 'unstructured: lme4\'s (… | g)',
};

/** the note under the table: each structured term and what its structure means */
export function structureNotes(structures: readonly StructureMsg[]): string[] {
  return structures.map((s) => `Covariance structure: ${s.term} (glmmTMB's ${s.structure}): ${MEANING[s.structure] ?? s.structure}` +
    (s.rho.length ? `; ρ = ${s.rho.map((r) => corr2(r)).join(', ')}` : '') + '.');
}
