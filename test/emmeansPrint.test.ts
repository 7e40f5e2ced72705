/**
 * emmeans 1.8.4's printouts (print.summary_emm) of lmer fits' means, slopes and contrasts, line for
 * line: `by` variables as blocks ("B = hi:" and the block's table), contrasts per block with the
 * adjustment's family size per block, a numeric by variable as its formatted column shows it
 * ("x =  2.5"; a contrast's by variable unpadded, "expo = 1:"), emtrends, back-transformed means and
 * ratios, non-estimable means (nonEst, NA) and emmeans's notes (test/oracle/emmeans_print.R; lme4
 * 1.1-31 fits to tight tolerances, the optimum ours reaches; glmer's z tests, probabilities, rates,
 * odds ratios and ratios per block). Whole lines are compared: the printout rounds to 3–4 significant
 * digits, far above the fits' agreement (lmer ~1e-8, glmer ~1e-6), so every character must be emmeans's. glmmTMB's and clmm's printouts
 * are compared the same way in test/zeroinflEmmeans.test.ts and test/clmmEmmeans.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { lmer } from '../src/fit/lmer.js';
import { glmer } from '../src/fit/glmer.js';
import type { GlmmFit } from '../src/glmm/glmmFit.js';
import { readCsv } from '../src/io/csv.js';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import type { EmmeansOptions } from '../src/inference/emmeans.js';

const fixtures = join(import.meta.dirname, 'fixtures');
interface Case {
  name: string; model: string; call: string;
  what: { specs: string; ddf?: string; at?: Record<string, number[]>; var?: string; type?: string; adjust?: string };
  emmeans: string[]; contrast: string[];
}
const fx = JSON.parse(readFileSync(join(fixtures, 'emmeans_print', 'emmeans_print.json'), 'utf8')) as {
  models: Record<string, { formula: string; data: string; family?: string }>;
  cases: Case[];
};
const fits = new Map<string, LmmFit | GlmmFit>();
beforeAll(async () => {
  for (const [name, m] of Object.entries(fx.models)) {
    const data = readCsv(readFileSync(join(fixtures, m.data === 'cbpp.csv' ? 'data' : 'emmeans', m.data))).table;
    const factors = m.data === 'cbpp.csv' ? ['period', 'herd'] : [];
    fits.set(name, m.family ? await glmer(m.formula, data, { family: m.family as 'poisson', factors }) : await lmer(m.formula, data));
    await new Promise((r) => setTimeout(r, 0));
  }
}, 120_000);

describe("emmeans's printout with by blocks, against emmeans 1.8.4", () => {
  for (const c of fx.cases) {
    it(c.name, () => {
      const fit = fits.get(c.model)!;
      const w = c.what;
      const options: EmmeansOptions = {
        ...(w.ddf ? { ddf: w.ddf as EmmeansOptions['ddf'] } : {}),
        ...(w.at ? { at: w.at } : {}),
        ...(w.adjust ? { adjust: w.adjust as EmmeansOptions['adjust'] } : {}),
      };
      const g = w.var ? fit.emtrends(w.specs, { ...options, var: w.var }) : fit.emmeans(w.specs, { ...options, ...(w.type ? { type: w.type as 'response' } : {}) });
      expect(g.toString().split('\n'), `${c.name}: print(emmeans)`).toEqual([...c.emmeans, '']);
      // the contrast's call: "METHOD [ADJUST] [by VAR]" ('pairs' is pairwise)
      const words = c.call.split(' ');
      const method = words[0] === 'pairs' ? 'pairwise' : words[0];
      const byAt = words.indexOf('by');
      const adjust = words.length > 1 && byAt !== 1 ? words[1] : undefined;
      const con = g.contrast(method as 'pairwise', { ...(adjust ? { adjust: adjust as 'holm' } : {}), ...(byAt > 0 ? { by: words[byAt + 1] } : {}) });
      expect(con.toString().split('\n'), `${c.name}: print(contrast ${c.call})`).toEqual([...c.contrast, '']);
    });
  }
});
