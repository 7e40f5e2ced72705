/** lmerTest's type III hypotheses and anova tables (Satterthwaite and Kenward–Roger) at lme4's θ. */
import { describe, expect, it } from 'vitest';
import { buildLmm } from '../../src/lmm/model.js';
import { typeIIIContrasts } from '../../src/inference/typeIII.js';
import { contestMD } from '../../src/inference/contest.js';
import { contexts, expectF, loadDataFile, loadInference } from '../helpers/inference.js';

const CASES = ['sleepstudy', 'sleepstudy_unbalanced', 'penicillin', 'design_covariate', 'design_factors'];

describe('type III anova at lme4\'s θ', () => {
  for (const name of CASES) {
    it(name, () => {
      const ref = loadInference(name);
      const model = buildLmm(ref.formula, loadDataFile(ref.data), { REML: ref.reml, factors: ref.factors });
      const hyp = typeIIIContrasts(model.frame);
      const want = Object.entries(ref.type3_contrasts).filter(([, L]) => L.length > 0);
      expect(hyp.filter((h) => h.L.length > 0).map((h) => h.term)).toEqual(want.map(([t]) => t));
      for (const [term, L] of want) {
        const got = hyp.find((h) => h.term === term)!.L;
        expect(got.length).toBe(L.length);
        got.forEach((row, r) => row.forEach((v, c) => expect(Math.abs(v - L[r][c])).toBeLessThan(1e-12)));
      }
      const { sat, kr } = contexts(ref);
      expect(hyp.filter((h) => h.L.length > 0).map((h) => h.term)).toEqual(Object.keys(ref.satterthwaite.anova));
      for (const h of hyp) {
        if (h.L.length === 0) continue;
        expectF(contestMD(sat, h.L), ref.satterthwaite.anova[h.term]);
        if (kr) expectF(contestMD(kr, h.L), ref.kenward_roger!.anova[h.term]);
      }
    });
  }
});
