/**
 * ggeffects 1.2.0's ggpredict and ggemmeans of glmmTMB fits (src/zeroinfl/ggpredict.ts) against
 * ggeffects 1.2.0 with insight 0.19.0 and emmeans 1.8.4 on glmmTMB 1.1.5 (test/oracle/ggeffects_tmb.R,
 * fixture test/fixtures/ggeffects_tmb/ggeffects_tmb.json): Salamanders zero-inflated Poisson, NB2 and
 * NB1 (a 7-level factor), hurdle Poisson and NB2, a beta GLMM, a gaussian with dispformula ~ f, Gamma
 * (log) and binomial — types fixed, random, the zero-inflated type's points (ggeffects's intervals there
 * are simulated and not reproduced: NaN here), ggemmeans fixed and random; the printouts.
 *
 * R's fits are moved to their tight optimum (Newton steps to max |gradient| < 1e-10, sdreport there),
 * the one our fit reaches; tolerances as test/zeroinflEmmeans.test.ts at our own fit: predictions (on
 * the link scale) within 1e-5 relative to their SE (or to themselves, where larger); SEs and interval
 * ends (compared on the link scale, where they are computed) within 1e-4 relative — the SEs' tolerance
 * of the fit's vcov (central differences of the Laplace objective here, TMB's exact Hessian there).
 * Worst seen (GG_WORST=1): predictions 1.2e-6, SEs 4.5e-6, interval ends 8.7e-6, zero-inflated points 9.3e-8.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as arrow from 'apache-arrow';
import { readCsv } from '../src/io/csv.js';
import { zeroInflated } from '../src/zeroinfl/zeroInflated.js';
import type { ZiFamily } from '../src/zeroinfl/model.js';
import type { ZeroInflatedFit } from '../src/zeroinfl/zeroInflatedFit.js';
import type { GgEffects, GgOptions, GgType } from '../src/inference/ggpredict.js';
import { ModelError, OptionError } from '../src/errors/errors.js';
import { runZeroinfl, type ZeroinflArgs } from '../src/cli/zeroinflCommand.js';

const fixtures = join(import.meta.dirname, 'fixtures');
interface Model { data: string; formula: string; ziformula: string; dispformula: string; family: ZiFamily }
interface Case {
  name: string; model: string; method: 'ggpredict' | 'ggemmeans'; terms: string | string[]; type: string;
  options: { 'ci.lvl'?: number[]; condition?: Record<string, string> } | unknown[];
  table: { x: (string | number)[]; predicted: number[]; 'std.error'?: number[]; 'conf.low'?: number[]; 'conf.high'?: number[]; group?: (string | number)[] };
  printed: string | null; prediction_interval: boolean; messages: string[] | string;
}
const REF = JSON.parse(readFileSync(join(fixtures, 'ggeffects_tmb', 'ggeffects_tmb.json'), 'utf8')) as { models: Record<string, Model>; cases: Case[] };
const table = (f: string) => readCsv(readFileSync(join(fixtures, 'data', f), 'utf8')).table;
const DATA: Record<string, arrow.Table> = {
  salamanders: table('salamanders.csv'), tmbfamilies: table('tmbfamilies.csv'), tmbfamilies2: table('tmbfamilies2.csv'),
  binomial_interaction: table('binomial_interaction.csv'),
};
const TYPE: Record<string, GgType> = { fe: 'fixed', re: 'random', 'fe.zi': 'zero_inflated', 're.zi': 'zi_random' };
const fits = new Map<string, ZeroInflatedFit>();
// the largest error of each kind (GG_WORST=1 prints them)
const worst = { predicted: 0, se: 0, interval: 0, zi: 0 };
const note = (k: keyof typeof worst, e: number) => { worst[k] = Math.max(worst[k], e); };
afterAll(() => { if (process.env.GG_WORST) console.log(worst); });

beforeAll(async () => {
  for (const [name, m] of Object.entries(REF.models)) {
    fits.set(name, await zeroInflated(m.formula, DATA[m.data], { family: m.family, ziformula: m.ziformula, dispformula: m.dispformula, factors: m.data === 'binomial_interaction' ? [] : undefined }));
  }
}, 300_000);

const linkOf = (family: ZiFamily) => (family === 'beta_family' || family === 'binomial' ? (p: number) => Math.log(p / (1 - p)) : family === 'gaussian' ? (x: number) => x : Math.log);

function run(c: Case): GgEffects {
  const fit = fits.get(c.model)!;
  const o = Array.isArray(c.options) ? {} : c.options;
  const options: GgOptions = { type: TYPE[c.type] };
  if (o['ci.lvl'] !== undefined) options.level = o['ci.lvl'][0];
  if (o.condition) options.condition = o.condition;
  return c.method === 'ggpredict' ? fit.ggpredict(c.terms, options) : fit.ggemmeans(c.terms, options);
}

describe('ggpredict and ggemmeans of glmmTMB fits against ggeffects 1.2.0', () => {
  for (const c of REF.cases) {
    it(`${c.name}: ${c.method}(${JSON.stringify(c.terms)}, type = "${c.type}")`, () => {
      const g = run(c);
      const link = linkOf(REF.models[c.model].family);
      const t = c.table;
      expect(g.rows.length).toBe(t.x.length);
      // the zero-inflated types' simulated intervals are not in the fixture (a fit without a zero model falls back to fe / re)
      const simulated = t['std.error'] === undefined;
      g.rows.forEach((r, i) => {
        if (typeof r.x === 'number') expect(Math.abs(r.x - Number(t.x[i]))).toBeLessThan(1e-12);
        else expect(r.x).toBe(String(t.x[i]));
        if (t.group && Array.isArray(c.terms) && c.terms.length > 1) expect(String(r.group)).toBe(String(t.group[i]));
        if (simulated) {
          // the response-scale point (1 − p) μ: 1e-5 relative (the estimates' tolerance)
          note('zi', Math.abs(r.predicted - t.predicted[i]) / Math.abs(t.predicted[i]));
          expect(Math.abs(r.predicted - t.predicted[i])).toBeLessThanOrEqual(1e-5 * Math.abs(t.predicted[i]));
          expect(r.std_error).toBeNaN();
          expect(r.conf_low).toBeNaN();
          return;
        }
        const se = t['std.error']![i];
        // the prediction on the link scale, relative to its SE (or itself)
        const eta = link(r.predicted), etaR = link(t.predicted[i]);
        note('predicted', Math.abs(eta - etaR) / Math.max(se, Math.abs(etaR)));
        note('se', Math.abs(r.std_error - se) / se);
        expect(Math.abs(eta - etaR)).toBeLessThanOrEqual(1e-5 * Math.max(se, Math.abs(etaR)));
        expect(Math.abs(r.std_error - se)).toBeLessThanOrEqual(1e-4 * se);
        for (const [a, b] of [[r.conf_low, t['conf.low']![i]], [r.conf_high, t['conf.high']![i]]]) {
          const la = link(a), lb = link(b);
          note('interval', Math.abs(la - lb) / Math.max(Math.abs(lb), se));
          expect(Math.abs(la - lb)).toBeLessThanOrEqual(1e-4 * Math.max(Math.abs(lb), se));
        }
      });
      expect(g.predictionInterval).toBe(c.prediction_interval);
      // (print.ggeffects writes "Intervals are prediction intervals." as a message, outside R's captured output)
      if (c.printed !== null) expect(g.toString()).toBe(c.printed.replace(/\s+$/, '') + (c.prediction_interval ? '\n\nIntervals are prediction intervals.' : ''));
      const msgs = ([] as string[]).concat(c.messages);
      if (msgs.some((m) => m.startsWith('Model has no zero-inflation part'))) expect(g.messages[0]).toBe(msgs[0].trim());
    });
  }
});

describe('glmmTMB ggeffects refusals', () => {
  it('names what is not offered', async () => {
    const zip = fits.get('zip')!;
    expect(() => zip.ggemmeans('mined', { type: 'zero_inflated' })).toThrow(OptionError);
    expect(() => zip.ggemmeans('mined', { type: 'zero_inflated' })).toThrow(/random draws of the parameters/);
    expect(() => zip.ggpredict('site', { type: 'random' })).toThrow(/groups random effects/);
    expect(() => zip.ggpredict('cover', { type: 're' as never })).toThrow(/type must be 'fixed', 'random', 'zero_inflated' or 'zi_random'/);
    expect(() => zip.ggpredict('spp')).toThrow(/not a variable of the model's fixed part/);
    const zire = await zeroInflated('count ~ mined + (1 | site)', DATA.salamanders, { ziformula: '~ mined + (1 | site)' });
    expect(() => zire.ggpredict('mined')).toThrow(ModelError);
  }, 120_000);

  it('the zero-inflated type notes that its intervals are not computed', () => {
    const g = fits.get('zip')!.ggpredict('mined', { type: 'zero_inflated' });
    expect(g.messages.join('\n')).toMatch(/random draws of the parameters/);
    expect(g.toString()).not.toMatch(/95% CI/);
  });
});

describe('mixedgpu zeroinfl --ggpredict / --ggemmeans', () => {
  async function cli(args: Partial<ZeroinflArgs>) {
    const out: string[] = [], err: string[] = [];
    const code = await runZeroinfl({ file: join(fixtures, 'data', 'salamanders.csv'), formula: 'count ~ mined + cover + (1 | site)', zi: '~ mined', ...args }, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
    return { code, stdout: out.join(''), stderr: err.join('') };
  }
  const ref = (name: string) => REF.cases.find((c) => c.name === name)!;

  it("prints ggeffects's printout, as the library's (its numbers tested above)", async () => {
    const r = await cli({ ggpredict: ['cover [0, 1]', 'mined'], type: 'random' });
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd()).toBe(`${ref('zip_cover_mined_re').printed!.trimEnd()}\n\nIntervals are prediction intervals.`);
    const e = await cli({ ggemmeans: ['cover [0, 1]', 'mined'] });
    expect(e.stdout.trimEnd()).toBe(ref('zip_emm').printed!.trimEnd());
  }, 120_000);

  it('--json, the zero-inflated type\'s note, and the refusals', async () => {
    const j = await cli({ ggpredict: ['mined'], type: 'zero_inflated', json: true });
    expect(j.code).toBe(0);
    const rows = (JSON.parse(j.stdout) as { ggpredict: { rows: { x: string; predicted: number; conf_low: number | null }[] } }).ggpredict.rows;
    const t = ref('zip_mined_zi').table;
    rows.forEach((r, i) => expect(Math.abs(r.predicted - t.predicted[i])).toBeLessThan(1e-5 * t.predicted[i]));
    expect(j.stderr).toMatch(/random draws of the parameters/);
    expect((await cli({ typical: 'median' })).stderr).toMatch(/--typical and --condition are options of --ggpredict and --ggemmeans/);
    expect((await cli({ ggpredict: ['mined'], emmeans: '~ mined' })).stderr).toMatch(/give one of --ggpredict, --emmeans/);
    expect((await cli({ ggemmeans: ['mined'], type: 'zi_random' })).stderr).toMatch(/type 'zi_random' is not offered/);
    expect((await cli({ ggpredict: ['mined'], contrast: 'pairwise' })).stderr).toMatch(/--contrast is an option of the means/);
  }, 120_000);
});
