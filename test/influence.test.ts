/**
 * fit.influence() (lme4 ≥ 1.1-27's influence.merMod: the fit without each level of `groups`, or each
 * observation) against lme4 1.1-31 (test/oracle/influence.R) on sleepstudy by Subject (REML; ML with
 * prior weights; with an offset; (Days || Subject), whose var.cov.comps names are Subject: and
 * Subject.1:), sleepstudy by observation (180 refits), Penicillin by plate (crossed factors, p = 1),
 * Pastes by batch (nested: a deleted batch leaves its cask:batch levels without rows) and a model with
 * a factor fixed effect (anova_types, y ~ A + x + (1 | g), by g). Worst values are over the runs of the
 * oracle seen (R's Penicillin refits differ between runs by ~3e-7 in θ).
 *
 * Two references per case. "tight": R's own refits of each deletion (minqa's BOBYQA to rhoend 1e-10,
 * from θ̂), with lme4's formulas applied: the optimum itself. Ours must match these to
 *   β̂₋ᵢ and dfbeta: 1e-6 relative to the largest |β̂ⱼ| (worst seen 2.2e-10);
 *   θ̂₋ᵢ: 1e-5 absolute (worst 1.4e-6, Penicillin, where the REML criterion at our θ̂₋ᵢ and at R's
 *   differs by at most 1.8e-12: the criterion is that flat there);
 *   σ̂₋ᵢ, dfbetas: 1e-6 relative (worst 4.7e-8, 5.5e-8); Var(β̂₋ᵢ), var.cov.comps: 1e-6 relative to
 *   their largest entry (worst 7.7e-7, 8.2e-7, Penicillin); Cook's D: 1e-6 relative to the largest Dᵢ
 *   (worst 4.2e-7, Penicillin, whose largest D is 0.0065).
 * "lme4": influence() itself, whose refits stop at nloptwrap's default tolerances. Ours are within
 *   1e-5 of its β̂₋ᵢ and Cook's distances on the same scales (worst 1.4e-9, 4.2e-7); its var.cov.comps
 *   are off the tight refits' by up to 2.5e-4 (relative to the row's largest, the weighted ML case), and
 *   ours are within that distance + 1e-6 of them: the difference is lme4's early stop.
 * The measures' formulas alone (dfbeta = β̂₋ᵢ − β̂, dfbetas = dfbeta/√diag Var(β̂₋ᵢ), Cook's
 * D = dfbetaᵀ ((G − p)/(G p)) Var(β̂)⁻¹ dfbeta), applied to lme4's own β̂₋ᵢ and Var(β̂₋ᵢ), reproduce
 * its dfbeta to 1e-12 relative to max |β̂| (worst 7.6e-15), its dfbetas and cooks.distance to 1e-10
 * relative to their largest (worst 2.3e-13, 1.7e-12: the fixture's 15 digits in a difference of close
 * β's). lme4 1.1-31's dfbetas fails for one fixed effect (Penicillin's: "non-conformable arrays"); ours
 * does not.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lmer } from '../src/fit/lmer.js';
import { readCsv } from '../src/io/csv.js';
import { cooksDistance, dfbeta, dfbetas } from '../src/inference/influenceMeasures.js';
import type { Influence } from '../src/inference/influence.js';
import { dataText } from './helpers/fitExtras.js';

type Num = number | Num[];
interface Part { beta: Num; varcov: Num; vcov: Num[] | Record<string, Num>; cooks: Num; dfbeta: Num; dfbetas: Num | null }
interface Case {
  name: string; formula: string; groups: string; reml: boolean; weights: string | null; deleted: string[] | string;
  full: { beta: Num; vcov: Num; theta: Num; sigma: number };
  lme4: Part & { varcovNames: string[] };
  tight: Part & { theta: Num[]; sigma: Num };
}
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'influence', 'lme4.json'), 'utf8')) as { cases: Case[] };

const files: Record<string, { file: string; factors: string[] }> = {
  sleepstudy_subject: { file: 'sleepstudy.csv', factors: ['Subject'] },
  sleepstudy_case: { file: 'sleepstudy.csv', factors: ['Subject'] },
  sleepstudy_weighted_ml: { file: 'sleepstudy_weighted.csv', factors: ['Subject'] },
  penicillin_plate: { file: 'penicillin.csv', factors: [] },
  anova_types_factor: { file: 'anova_types.csv', factors: [] },
  sleepstudy_offset: { file: 'sleepstudy.csv', factors: ['Subject'] },
  sleepstudy_uncorrelated: { file: 'sleepstudy.csv', factors: ['Subject'] },
  pastes_batch: { file: 'pastes.csv', factors: [] },
};

/** R's value flattened (a scalar where R had one element) */
const flat = (v: Num | null): number[] => (v === null ? [] : Array.isArray(v) ? v.flatMap((x) => flat(x)) : [v]);
/** a G-row matrix of R's (G × p; a G-vector when p = 1 was unboxed per row) as rows */
const rowsOf = (v: Num, G: number): number[][] => { const f = flat(v); const p = f.length / G; return Array.from({ length: G }, (_, i) => f.slice(i * p, (i + 1) * p)); };
const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, x) => Math.max(m, Math.abs(x)), 0);

async function influenceOf(c: Case): Promise<Influence> {
  const d = files[c.name];
  const table = readCsv(dataText(d.file), { factors: d.factors }).table;
  const fit = await lmer(c.formula, table, { factors: d.factors, REML: c.reml, ...(c.weights ? { weights: c.weights } : {}) });
  return fit.influence(c.groups === 'case' ? {} : { groups: c.groups });
}

const worst: Record<string, number> = {};
let current = '';
const note = (k: string, v: number) => { worst[k] = Math.max(worst[k] ?? 0, v); const kc = `${current} ${k}`; worst[kc] = Math.max(worst[kc] ?? 0, v); };

describe('influence against lme4', () => {
  for (const c of fixture.cases) {
    it(`${c.name}: ${c.formula}, groups ${c.groups}`, async () => {
      current = c.name;
      const infl = await influenceOf(c);
      const labels = Array.isArray(c.deleted) ? c.deleted : [c.deleted];
      const G = labels.length;
      const p = flat(c.full.beta).length;
      expect(infl.deleted.map((d) => d.label)).toEqual(labels);
      expect(infl.varcovNames).toEqual(c.lme4.varcovNames);
      expect(infl.groups).toBe(c.groups);
      const bScale = maxAbs(flat(c.full.beta));
      const T = c.tight;
      const tBeta = rowsOf(T.beta, G), tDfbeta = rowsOf(T.dfbeta, G), tDfbetas = rowsOf(T.dfbetas!, G);
      const tSigma = flat(T.sigma), tCooks = flat(T.cooks);
      const ourCooks = infl.cooksDistance(), ourDfbeta = infl.dfbeta(), ourDfbetas = infl.dfbetas();
      const cScale = maxAbs(tCooks);
      infl.deleted.forEach((d, i) => {
        const at = `${c.groups} ${d.label}`;
        for (let j = 0; j < p; j++) {
          const e = Math.abs(d.beta[j] - tBeta[i][j]) / bScale; note('beta', e);
          expect(e, `β ${at}`).toBeLessThan(1e-6);
          const e2 = Math.abs(ourDfbeta[i][j] - tDfbeta[i][j]) / bScale; note('dfbeta', e2);
          expect(e2, `dfbeta ${at}`).toBeLessThan(1e-6);
          const e3 = Math.abs(ourDfbetas[i][j] - tDfbetas[i][j]) / Math.max(1, Math.abs(tDfbetas[i][j])); note('dfbetas', e3);
          expect(e3, `dfbetas ${at}`).toBeLessThan(1e-6);
        }
        flat(T.theta[i]).forEach((th, k) => { const e = Math.abs(d.theta[k] - th); note('theta', e); expect(e, `θ ${at}`).toBeLessThan(1e-5); });
        const es = Math.abs(d.sigma - tSigma[i]) / tSigma[i]; note('sigma', es);
        expect(es, `σ ${at}`).toBeLessThan(1e-6);
        const tv = flat((T.vcov as Num[])[i]);
        const vScale = maxAbs(tv);
        tv.forEach((v, k) => { const e = Math.abs(d.vcov[k] - v) / vScale; note('vcov', e); expect(e, `Var(β) ${at}`).toBeLessThan(1e-6); });
        const ec = Math.abs(ourCooks[i] - tCooks[i]) / cScale; note('cooks', ec);
        expect(ec, `Cook's D ${at}`).toBeLessThan(1e-6);
        // against influence() itself (refits stopped early)
        const lBeta = rowsOf(c.lme4.beta, G)[i];
        for (let j = 0; j < p; j++) { const e = Math.abs(d.beta[j] - lBeta[j]) / bScale; note('lme4 beta', e); expect(e, `lme4's β ${at}`).toBeLessThan(1e-5); }
        const el = Math.abs(ourCooks[i] - flat(c.lme4.cooks)[i]) / cScale; note('lme4 cooks', el);
        expect(el, `lme4's Cook's D ${at}`).toBeLessThan(1e-5);
      });
      // var.cov.comps: against the tight refits' to 1e-6 relative; against influence()'s, within the
      // distance of its early-stopped refits from the tight ones (+ 1e-6): the difference is lme4's stop
      const lvc = rowsOf(c.lme4.varcov, G), tvc = rowsOf(T.varcov, G);
      infl.deleted.forEach((d, i) => d.varcov.forEach((v, k) => {
        const scale = maxAbs(tvc[i]);
        const e = Math.abs(v - tvc[i][k]) / scale; note('varcov', e);
        expect(e, `var.cov.comps ${c.groups} ${d.label}`).toBeLessThan(1e-6);
        const el = Math.abs(v - lvc[i][k]) / scale, stop = Math.abs(tvc[i][k] - lvc[i][k]) / scale;
        note('lme4 varcov', el); note("lme4 varcov's own stop", stop);
        expect(el, `lme4's var.cov.comps ${c.groups} ${d.label}`).toBeLessThan(stop + 1e-6);
      }));
    });
  }

  it("lme4's formulas: cooks.distance, dfbeta, dfbetas of lme4's own refits", () => {
    for (const c of fixture.cases) {
      const G = (Array.isArray(c.deleted) ? c.deleted : [c.deleted]).length;
      const beta = Float64Array.from(flat(c.full.beta));
      const V = Float64Array.from(flat(c.full.vcov));
      const bd = rowsOf(c.lme4.beta, G).map((r) => Float64Array.from(r));
      const vd = Object.values(c.lme4.vcov).map((v) => Float64Array.from(flat(v)));
      const D = cooksDistance(beta, V, bd);
      const Dmax = maxAbs(flat(c.lme4.cooks));
      flat(c.lme4.cooks).forEach((v, i) => { const e = Math.abs(D[i] - v) / Dmax; note('formula cooks', e); expect(e, `${c.name} D ${i}`).toBeLessThan(1e-10); });
      const db = dfbeta(beta, bd);
      rowsOf(c.lme4.dfbeta, G).forEach((r, i) => r.forEach((v, j) => { const e = Math.abs(db[i][j] - v) / maxAbs(beta); note('formula dfbeta', e); expect(e).toBeLessThan(1e-12); }));
      if (c.lme4.dfbetas === null) continue;
      const dbs = dfbetas(beta, bd, vd);
      const sMax = maxAbs(flat(c.lme4.dfbetas));
      rowsOf(c.lme4.dfbetas, G).forEach((r, i) => r.forEach((v, j) => { const e = Math.abs(dbs[i][j] - v) / sMax; note('formula dfbetas', e); expect(e).toBeLessThan(1e-10); }));
    }
  });

  it('worst values', () => { console.log(JSON.stringify(worst)); });
});

const sleep = () => readCsv(dataText('sleepstudy.csv'), { factors: ['Subject'] }).table;

describe('influence: units, options and refusals', () => {
  it("deletes a factor's levels in order of first appearance, and observations by their input row", async () => {
    // Penicillin's rows reversed: R's unique() order is x … a
    const lines = dataText('penicillin.csv').trim().split('\n');
    const reversed = readCsv([lines[0], ...lines.slice(1).reverse()].join('\n')).table;
    const fit = await lmer('diameter ~ 1 + (1 | plate) + (1 | sample)', reversed);
    const infl = await fit.influence({ groups: 'sample', maxfun: 500 });
    expect(infl.deleted.map((d) => d.label)).toEqual(['F', 'E', 'D', 'C', 'B', 'A']);
    expect(infl.deleted.every((d) => d.rows === 24)).toBe(true);
    // a row with a missing response is not a unit: case labels are the input rows kept
    const withNa = readCsv(dataText('sleepstudy.csv').replace('\n249.56,0,"308"', '\nNA,0,"308"'), { factors: ['Subject'] }).table;
    const f2 = await lmer('Reaction ~ Days + (1 | Subject)', withNa, { factors: ['Subject'] });
    const progress: number[] = [];
    const byCase = await f2.influence({ onProgress: (p) => progress.push(p.done) });
    expect(byCase.groups).toBe('case');
    expect(byCase.deleted.length).toBe(179);
    expect(byCase.deleted[0].label).toBe('2');
    expect(progress.length).toBe(179);
    expect(progress.at(-1)).toBe(179);
  });

  it('refuses a grouping factor the model does not have, and a bad maxfun', async () => {
    const fit = await lmer('Reaction ~ Days + (Days | Subject)', sleep(), { factors: ['Subject'] });
    await expect(fit.influence({ groups: 'Days' })).rejects.toThrow(/not one of the model's grouping factors \(Subject\)/);
    await expect(fit.influence({ groups: 'Subject', maxfun: 0 })).rejects.toThrow(/maxfun must be a positive integer/);
  });

  it('refuses a deletion that leaves a fixed-effect column without data (lme4 would drop it)', async () => {
    // a covariate nonzero only for Subject 308
    const text = dataText('sleepstudy.csv').trim().split('\n');
    const rows = [`${text[0]},s`, ...text.slice(1).map((l) => `${l},${l.split(',')[2] === '"308"' ? 1 : 0}`)];
    const table = readCsv(rows.join('\n'), { factors: ['Subject'] }).table;
    const fit = await lmer('Reaction ~ Days + s + (1 | Subject)', table, { factors: ['Subject'] });
    await expect(fit.influence({ groups: 'Subject' })).rejects.toThrow(/without Subject '308' the fixed effect 's' has no data/);
  });

  it("refuses fits lme4's criterion does not describe (glmer fits: test/glmerInfluence.test.ts)", async () => {
    const fixedSigma = await lmer('Reaction ~ Days + (1 | Subject)', sleep(), { factors: ['Subject'], sigma: 30 });
    await expect(fixedSigma.influence({ groups: 'Subject' })).rejects.toThrow(/fixed residual σ/);
  });

  it('stops on an aborted signal', async () => {
    const fit = await lmer('Reaction ~ Days + (1 | Subject)', sleep(), { factors: ['Subject'] });
    const ac = new AbortController();
    const p = fit.influence({ groups: 'Subject', signal: ac.signal, onProgress: (q) => { if (q.done === 3) ac.abort(); } });
    await expect(p).rejects.toThrow(/cancelled/);
  });

  it('gives the event loop a turn between short refits: an abort from a timer (a worker\'s Cancel message) stops them', async () => {
    // 180 refits of a few ms each: each refit alone never runs 50 ms, so only the turns between
    // refits let the timer run (without them the promise resolves with every unit). A warm machine
    // may run all 180 in under 50 ms, before the first turn is due: the progress callback holds
    // each unit for 1 ms more, so the loop computes for at least 180 ms whatever the machine
    const fit = await lmer('Reaction ~ Days + (1 | Subject)', sleep(), { factors: ['Subject'] });
    const ac = new AbortController();
    let done = 0;
    const busy = (ms: number): void => { const t = performance.now(); while (performance.now() - t < ms); };
    setTimeout(() => ac.abort(), 10);
    await expect(fit.influence({ signal: ac.signal, onProgress: (q) => { done = q.done; busy(1); } })).rejects.toThrow(/cancelled/);
    expect(done).toBeLessThan(180);
  });
});
