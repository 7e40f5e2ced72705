/**
 * Cluster-robust (sandwich) inference for lmer fits (src/inference/robust/) against clubSandwich 0.5.8
 * (test/oracle/club_sandwich.R → test/fixtures/club-sandwich/club_sandwich.json).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type * as arrow from 'apache-arrow';
import { readCsv } from '../src/io/csv.js';
import { buildLmm } from '../src/lmm/model.js';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import { type CrType, vcovCR } from '../src/inference/robust/vcovCR.js';
import { fitAtTheta } from './helpers/atTheta.js';

interface TypeResult {
  type: CrType; vcov: number[]; cluster_levels: number;
}
interface Case {
  data: string; formula: string; reml: boolean; weights?: string; cluster: string; clusterGiven: boolean;
  theta: number[]; beta: number[]; xnames: string[]; sigma: number; types: Record<CrType, TypeResult>;
}
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'club-sandwich', 'club_sandwich.json'), 'utf8')) as { cases: Record<string, Case> };
const dataDir = join(import.meta.dirname, 'fixtures', 'data');
const factors: Record<string, string[]> = { 'sleepstudy.csv': ['Subject'], 'sleepstudy_weighted.csv': ['Subject'] };
const tables = new Map<string, arrow.Table>();
const table = (d: string) => {
  if (!tables.has(d)) tables.set(d, readCsv(readFileSync(join(dataDir, d), 'utf8'), { factors: factors[d] }).table);
  return tables.get(d)!;
};
const relErr = (a: number, b: number, scale = Math.abs(b)) => Math.abs(a - b) / Math.max(scale, 1e-300);
const atTheta = (c: Case): LmmFit => fitAtTheta(buildLmm(c.formula, table(c.data), { REML: c.reml, factors: factors[c.data], ...(c.weights ? { weights: c.weights } : {}) }), c.theta);

describe("clubSandwich's vcovCR at lme4's θ", () => {
  for (const [name, c] of Object.entries(fixture.cases)) {
    it(name, () => {
      const fit = atTheta(c);
      for (const [type, r] of Object.entries(c.types)) {
        const v = vcovCR(fit, { type: type as CrType, ...(c.clusterGiven ? { cluster: c.cluster } : {}) });
        expect(v.cluster).toBe(c.cluster);
        expect(v.J).toBe(r.cluster_levels);
        const big = Math.max(...r.vcov.map(Math.abs));
        v.vcov.forEach((x, k) => expect(relErr(x, r.vcov[k], big), `${type} vcov[${k}]`).toBeLessThan(1e-8));
      }
    });
  }
});
