/**
 * The mixed-effects Cox model's pieces against survival 3.5.3 (test/oracle/coxme.R):
 *  - the log partial likelihood at given η equals coxph(Surv ~ offset(η))$loglik (Efron and Breslow,
 *    tied times, right-censored and counting-process data), to 1e-10;
 *  - the Laplace IPL at fixed θ, the PPL, PL at the mode and the mode itself (β̂, b̂) equal the
 *    oracle's Newton iteration on its own PL implementation (checked there against coxph), to 1e-8.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../../src/io/csv.js';
import { buildCoxmeModel } from '../../src/survival/model.js';
import { coxLogLik } from '../../src/survival/partialLikelihood.js';
import { penalizedMode } from '../../src/survival/penalizedMode.js';
import { riskSchedule } from '../../src/survival/riskSets.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures');
const table = (name: string) => readCsv(readFileSync(join(fixtures, 'data', name), 'utf8')).table;
interface Case {
  name: string; formula: string; data: string; ties: 'efron' | 'breslow'; n: number; nevent: number;
  pl_at_eta: { ties: 'efron' | 'breslow'; eta: number[]; loglik: number }[];
  at_theta: { theta: number | number[]; beta: number | number[]; b: number[]; pl: number; ppl: number; ipl: number; logdet: number; se: number[]; df: number }[];
}
const CASES = ['rats', 'kidney', 'lung', 'sim_nested', 'sim_crossed', 'sim_slope', 'sim_breslow', 'sim_counting'];
const load = (name: string): Case => JSON.parse(readFileSync(join(fixtures, 'coxme', `${name}.json`), 'utf8'));
/** jsonlite writes a vector of length 1 as a number (auto_unbox) */
const arr = (x: number | number[]): number[] => (Array.isArray(x) ? x : [x]);
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

describe.each(CASES)('coxme objective: %s', (name) => {
  const ref = load(name);
  const model = buildCoxmeModel(ref.formula, table(ref.data), { ties: ref.ties });
  it('has the oracle\'s rows and events', () => {
    expect(model.n).toBe(ref.n);
    expect(model.nevent).toBe(ref.nevent);
  });
  it('PL at η equals coxph(offset(η))$loglik to 1e-10 (Efron and Breslow)', () => {
    const rs = riskSchedule(model.stop, model.start, model.status, model.strata);
    for (const c of ref.pl_at_eta) {
      expect(rel(coxLogLik(Float64Array.from(c.eta), rs, c.ties), c.loglik)).toBeLessThan(1e-10);
    }
  });
  it('the Laplace IPL, PPL, PL and the mode at fixed θ equal the oracle\'s to 1e-8', () => {
    const rs = riskSchedule(model.stop, model.start, model.status, model.strata);
    for (const a of ref.at_theta) {
      const m = penalizedMode(model, rs, arr(a.theta));
      expect(rel(m.ipl, a.ipl)).toBeLessThan(1e-8);
      expect(rel(m.ppl, a.ppl)).toBeLessThan(1e-8);
      expect(rel(m.pl, a.pl)).toBeLessThan(1e-8);
      expect(rel(m.logdet, a.logdet)).toBeLessThan(1e-8);
      arr(a.beta).forEach((v, j) => expect(Math.abs(m.beta[j] - v)).toBeLessThan(1e-8));
      expect(m.maxGradient).toBeLessThan(1e-8);
    }
  });
});
