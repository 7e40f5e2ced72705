/**
 * metafor's escalc (test/oracle/metafor.R → test/fixtures/meta/escalc.json): every measure's yi and
 * vi to 1e-12 relative, including zero cells (add ½ to 'only0', 'all'), drop00 and missing
 * variances; bad input is a clear error naming the study.
 */
import { describe, expect, it } from 'vitest';
import { type EffectMeasure, type EscalcInput, type EscalcOptions, escalc, hedgesCorrection } from '../../src/meta/escalc.js';
import { loadMetaData, loadMetaJson, numericColumn } from '../helpers/metaReference.js';

interface EscalcCase { name: string; yi: (number | null)[]; vi: (number | null)[] }
const ref = loadMetaJson<{ cases: EscalcCase[] }>('escalc');
const byName = new Map(ref.cases.map((c) => [c.name, c]));

function check(name: string, measure: EffectMeasure, input: EscalcInput, options: EscalcOptions = {}): void {
  const r = byName.get(name)!;
  const res = escalc(measure, input, options);
  expect(res.yi.length).toBe(r.yi.length);
  for (let i = 0; i < r.yi.length; i++) {
    for (const [got, want, what] of [[res.yi[i], r.yi[i], 'yi'], [res.vi[i], r.vi[i], 'vi']] as const) {
      if (want === null) expect(Number.isNaN(got), `${name} ${what}[${i}] missing`).toBe(true);
      else expect(Math.abs(got - want) / Math.max(Math.abs(want), 1e-300), `${name} ${what}[${i}]: ${got} vs ${want}`).toBeLessThan(1e-12);
    }
  }
}

describe('escalc against metafor', () => {
  const bcg = loadMetaData('bcg');
  const counts = { ai: numericColumn(bcg, 'tpos'), bi: numericColumn(bcg, 'tneg'), ci: numericColumn(bcg, 'cpos'), di: numericColumn(bcg, 'cneg') };
  it('2×2 tables: RR, OR, RD (dat.bcg)', () => {
    check('bcg_RR', 'RR', counts);
    check('bcg_OR', 'OR', counts);
    check('bcg_RD', 'RD', counts);
  });
  const yusuf = loadMetaData('yusuf1985_table6');
  const yc = { ai: numericColumn(yusuf, 'ai'), n1i: numericColumn(yusuf, 'n1i'), ci: numericColumn(yusuf, 'ci'), n2i: numericColumn(yusuf, 'n2i') };
  it('zero cells (dat.yusuf1985): add ½ to studies with a zero, to all, and drop00', () => {
    check('yusuf_RR', 'RR', yc);
    check('yusuf_OR', 'OR', yc);
    check('yusuf_RD', 'RD', yc);
    check('yusuf_OR_all', 'OR', yc, { add: 0.5, to: 'all' });
    check('yusuf_OR_drop00', 'OR', yc, { drop00: true });
  });
  it('means: MD, SMD (Hedges g, exact correction), ROM (dat.normand1999)', () => {
    const d = loadMetaData('normand1999');
    const m = Object.fromEntries(['m1i', 'sd1i', 'n1i', 'm2i', 'sd2i', 'n2i'].map((c) => [c, numericColumn(d, c)]));
    check('normand_MD', 'MD', m);
    check('normand_SMD', 'SMD', m);
    check('normand_ROM', 'ROM', m);
  });
  it('correlations: ZCOR, COR (dat.molloy2014)', () => {
    const d = loadMetaData('molloy2014');
    const c = { ri: numericColumn(d, 'ri'), ni: numericColumn(d, 'ni') };
    check('molloy_ZCOR', 'ZCOR', c);
    check('molloy_COR', 'COR', c);
  });
  it('proportions: PR, PLO (dat.pritz1997)', () => {
    const d = loadMetaData('pritz1997');
    const c = { xi: numericColumn(d, 'xi'), ni: numericColumn(d, 'ni') };
    check('pritz_PR', 'PR', c);
    check('pritz_PLO', 'PLO', c);
  });
  it("Hedges' correction c(m) = Γ(m/2)/(√(m/2) Γ((m−1)/2)) tends to 1 − 3/(4m − 1)", () => {
    for (const m of [10, 100, 1000]) expect(Math.abs(hedgesCorrection(m) - (1 - 3 / (4 * m - 1)))).toBeLessThan(1 / m ** 2);
  });
});

describe('escalc input errors', () => {
  it('names the study and the problem', () => {
    expect(() => escalc('RR', { ai: [3, 5], n1i: [10, 4], ci: [1, 2], n2i: [10, 10] })).toThrow(/study 2: bi = -1 is negative \(more events than the group size\?\)/);
    expect(() => escalc('ZCOR', { ri: [0.2, 1.3], ni: [20, 30] }, { labels: ['A', 'B'] })).toThrow(/study 2 \('B'\): correlation ri = 1.3/);
    expect(() => escalc('SMD', { m1i: [1], sd1i: [-1], n1i: [10], m2i: [0], sd2i: [1], n2i: [10] })).toThrow(/standard deviation is negative/);
    expect(() => escalc('OR', { ai: [1], ci: [2] })).toThrow(/needs 'bi' or 'n1i'/);
    expect(() => escalc('MD', { m1i: [1], sd1i: [1], n1i: [10], m2i: [0], sd2i: [1], n2i: [10] }, { vtype: 'UB' as never })).not.toThrow();
    expect(() => escalc('RR', { ai: [1], bi: [2], ci: [1], di: [3] }, { vtype: 'UB' })).toThrow(/vtype 'UB' is not available for measure RR/);
    expect(() => escalc('XX' as EffectMeasure, { ai: [1] })).toThrow(/unknown effect-size measure 'XX'/);
    expect(() => escalc('RR', { ai: [1, 2], bi: [2], ci: [1, 1], di: [3, 3] })).toThrow(/column 'bi' has 1 values, the others 2/);
  });
});
