/**
 * multcomp's glht through the fit commands' --glht FACTOR=TYPE (`mixedgpu lme|gls|glmmpql|zeroinfl FILE FORMULA
 * … --glht f=Tukey [--test T] [--confint] [--cld] [--interaction-average] [--covariate-average]`,
 * src/cli/glhtCommand.ts's fitGlhtPlan and printGlhtPlan) and mcp's averages through `mixedgpu glht`: against
 * test/oracle/glht_fits.R (from our fits, at test/glhtFits.test.ts's second level: K and the row names exactly,
 * the estimates within what the fits' β̂ imply, the hypotheses' SEs 2e-4 relative) and test/oracle/glht_average.R
 * (the printouts line for line but the Fit line, as test/glhtAverage.test.ts's library run gives them); the
 * refusals with exit 1.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/program.js';
import { withoutFit } from './helpers/withoutFit.js';
import { close } from './helpers/closeR.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const data = (f: string) => join(fixtures, 'data', `${f}.csv`);
interface FitsCase { name: string; K: number[][]; rownames: string[]; beta: number[]; se: number[]; converged: { beta: number[] } | null; prints: Record<string, string[]> }
const fits = JSON.parse(readFileSync(join(fixtures, 'glht_fits', 'glht_fits.json'), 'utf8')) as { cases: FitsCase[] };
const fitsCase = (name: string) => fits.cases.find((c) => c.name === name)!;
interface AvgCase { name: string; K: number[][]; rownames: string[]; warnings: string | string[] | null; estimate: number[]; se: number[]; prints: { univariate: string[] } }
const avg = JSON.parse(readFileSync(join(fixtures, 'glht_average', 'glht_average.json'), 'utf8')) as { cases: AvgCase[] };
const avgCase = (name: string) => avg.cases.find((c) => c.name === name)!;

async function run(args: string[]) {
  const out: string[] = [], err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((t: string | Uint8Array) => { out.push(String(t)); return true; });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((t: string | Uint8Array) => { err.push(String(t)); return true; });
  process.exitCode = 0;
  try { await main(['node', 'mixedgpu', ...args]); } finally { o.mockRestore(); e.mockRestore(); }
  const code = process.exitCode ?? 0;
  process.exitCode = 0;
  return { code, stdout: out.join(''), stderr: err.join('') };
}
afterEach(() => { process.exitCode = 0; });

interface GlhtJson { glht: { hypotheses: string[]; linfct: number[][]; estimate: number[]; covariance: number[][]; tests: { test: string; result: { pValue: number[] } }[]; messages: string[] } }

/** the JSON's hypotheses against a glht_fits case from our fit (test/glhtFits.test.ts's second level) */
function checkFromOurFit(j: GlhtJson, c: FitsCase, tmb: boolean) {
  expect(j.glht.hypotheses).toEqual(c.rownames);
  close(j.glht.linfct.flat(), c.K.flat(), 0, 0, 'K');
  const betaRef = tmb ? c.converged!.beta : c.beta;
  const estRef = c.K.map((row) => row.reduce((s, v, k) => s + v * betaRef[k], 0));
  close(j.glht.estimate, estRef, 0, tmb ? 2e-6 * Math.max(1, ...estRef.map(Math.abs)) : 4e-6 * Math.max(...c.se), 'estimate');
  close(j.glht.covariance.map((r, i) => Math.sqrt(r[i])), c.se, 2e-4, 0, 'SE');
}

describe('--glht of the lme, gls, glmmpql and zeroinfl commands (test/oracle/glht_fits.R)', () => {
  const OATS = [data('Oats'), 'yield ~ nitro + Variety', '--factors', 'Block,Variety'];
  it("lme --glht Variety=Tukey: multcomp's printouts (univariate, holm) and the JSON", async () => {
    const r = await run(['lme', ...OATS, '--random', '~ 1 | Block/Variety', '--glht', 'Variety=Tukey', '--test', 'univariate', '--test', 'holm', '--quiet']);
    expect(r.code).toBe(0);
    const c = fitsCase('lme_oats_tukey');
    expect(withoutFit(r.stdout.replace(/\n$/, '').split('\n'))).toEqual(withoutFit([...c.prints.univariate, ...c.prints.holm]));
    const j = await run(['lme', ...OATS, '--random', '~ 1 | Block/Variety', '--glht', 'Variety=Tukey', '--json', '--quiet']);
    checkFromOurFit(JSON.parse(j.stdout) as GlhtJson, c, false);
  });

  it('lme --ml --glht Variety=Dunnett, gls --glht Variety=Tukey', async () => {
    const ml = await run(['lme', ...OATS, '--random', '~ 1 | Block/Variety', '--ml', '--glht', 'Variety=Dunnett', '--json', '--quiet']);
    expect(ml.code).toBe(0);
    checkFromOurFit(JSON.parse(ml.stdout) as GlhtJson, fitsCase('lme_oats_ml_dunnett'), false);
    const g = await run(['gls', ...OATS, '--correlation', 'corCompSymm(form = ~ 1 | Block)', '--glht', 'Variety=Tukey', '--json', '--quiet']);
    expect(g.code).toBe(0);
    checkFromOurFit(JSON.parse(g.stdout) as GlhtJson, fitsCase('gls_oats_tukey'), false);
  });

  it('glmmpql --glht period=Tukey --confint --cld', async () => {
    const args = ['glmmpql', data('cbpp'), 'cbind(incidence, size - incidence) ~ period', '--random', '~ 1 | herd', '--family', 'binomial', '--factors', 'herd,period', '--glht', 'period=Tukey', '--quiet'];
    const j = await run([...args, '--json']);
    expect(j.code).toBe(0);
    checkFromOurFit(JSON.parse(j.stdout) as GlhtJson, fitsCase('pql_cbpp_tukey'), false);
    const p = await run([...args, '--confint', '--level', '0.9', '--cld']);
    expect(p.code).toBe(0);
    expect(p.stdout).toMatch(/Simultaneous Confidence Intervals[\s\S]*90% family-wise confidence level/);
    expect(p.stdout.replace(/\n$/, '').split('\n').slice(-2)[0].trim().split(/\s+/)).toEqual(['1', '2', '3', '4']);
  });

  it('zeroinfl --glht spp=Dunnett (the conditional model) and --component zi', async () => {
    const sal = [data('salamanders'), '--family', 'poisson', '--quiet'];
    const cond = await run(['zeroinfl', sal[0], 'count ~ spp + mined + (1 | site)', '--zi', '~ mined', ...sal.slice(1), '--glht', 'spp=Dunnett', '--test', 'univariate', '--json']);
    expect(cond.code).toBe(0);
    const j = JSON.parse(cond.stdout) as GlhtJson;
    checkFromOurFit(j, fitsCase('tmb_sal_dunnett'), true);
    expect(j.glht.tests[0].test).toBe('univariate');
    const zi = await run(['zeroinfl', sal[0], 'count ~ mined + (1 | site)', '--zi', '~ spp', ...sal.slice(1), '--glht', 'spp=Dunnett', '--component', 'zi', '--json']);
    expect(zi.code).toBe(0);
    checkFromOurFit(JSON.parse(zi.stdout) as GlhtJson, fitsCase('tmb_sal_zi_dunnett'), true);
  });

  it('refusals: glht options without --glht, --glht with another table, a method for --confint', async () => {
    const lmeArgs = ['lme', ...OATS, '--random', '~ 1 | Block/Variety', '--quiet'];
    expect((await run([...lmeArgs, '--cld'])).stderr).toMatch(/--cld is an option of --glht/);
    expect((await run([...lmeArgs, '--test', 'holm'])).stderr).toMatch(/--test is an option of --glht/);
    expect((await run([...lmeArgs, '--interaction-average'])).stderr).toMatch(/--interaction-average is an option of --glht/);
    const both = await run([...lmeArgs, '--glht', 'Variety=Tukey', '--emmeans', '~ Variety']);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/leave out --emmeans/);
    expect((await run([...lmeArgs, '--glht', 'Variety=Tukey', '--calpha', 'univariate'])).stderr).toMatch(/--level and --calpha are options of --confint/);
    const z = await run(['zeroinfl', data('salamanders'), 'count ~ spp + (1 | site)', '--glht', 'spp=Tukey', '--confint', 'uniroot', '--quiet']);
    expect(z.stderr).toMatch(/--confint with --glht .* takes no method, got 'uniroot'/);
    expect((await run(['zeroinfl', data('salamanders'), 'count ~ spp + (1 | site)', '--glht', 'spp=Tukey', '--drop1', '--quiet'])).stderr).toMatch(/leave out --drop1/);
    expect((await run(['glmmpql', data('cbpp'), 'incidence ~ period', '--random', '~ 1 | herd', '--family', 'poisson', '--decreasing', '--quiet'])).stderr).toMatch(/--decreasing is an option of --glht/);
  });
});

describe("mcp's averages through the CLI (test/oracle/glht_average.R)", () => {
  const OBK = [data('obk_long'), '--factors', 'id,treatment,gender,phase,hour', '--quiet'];
  it('glht --mcp phase=Tukey --interaction-average (lmer): the printout; without it multcomp\'s warning', async () => {
    const r = await run(['glht', OBK[0], 'value ~ treatment * phase + age + (1 | id)', ...OBK.slice(1), '--mcp', 'phase=Tukey', '--interaction-average', '--test', 'univariate']);
    expect(r.code).toBe(0);
    expect(withoutFit(r.stdout.replace(/\n$/, '').split('\n'))).toEqual(withoutFit(avgCase('obk_phase_ia').prints.univariate));
    expect(r.stderr).toBe('');
    const d = await run(['glht', OBK[0], 'value ~ treatment * phase + age + (1 | id)', ...OBK.slice(1), '--mcp', 'treatment=Tukey', '--test', 'univariate']);
    expect(withoutFit(d.stdout.replace(/\n$/, '').split('\n'))).toEqual(withoutFit(avgCase('obk_treatment').prints.univariate));
    expect(d.stderr).toBe(`Warning: ${[avgCase('obk_treatment').warnings].flat()[0]}\n`);
  });

  it('glht --interaction-average --covariate-average (lmer B × x): at the covariate\'s mean', async () => {
    const at = [data('anova_types'), 'y ~ B * x + A + (1 | g)', '--factors', 'A,B,g', '--quiet', '--mcp', 'B=Tukey', '--test', 'univariate'];
    const r = await run(['glht', ...at, '--interaction-average', '--covariate-average']);
    expect(r.code).toBe(0);
    expect(withoutFit(r.stdout.replace(/\n$/, '').split('\n'))).toEqual(withoutFit(avgCase('bx_B_ia_ca').prints.univariate));
    const w = await run(['glht', ...at, '--interaction-average', '--json']);
    const j = JSON.parse(w.stdout) as GlhtJson;
    close(j.glht.linfct.flat(), avgCase('bx_B_ia').K.flat(), 0, 0, 'K');
    expect(j.glht.messages).toEqual([avgCase('bx_B_ia').warnings].flat());
    expect((await run(['glht', ...at.slice(0, 4), '--linfct', 'x = 0', '--interaction-average'])).stderr).toMatch(/--interaction-average and --covariate-average are options of the multiple comparisons/);
  });

  it('lme --glht phase=Tukey --interaction-average', async () => {
    const r = await run(['lme', OBK[0], 'value ~ treatment * phase', '--random', '~ 1 | id', ...OBK.slice(1), '--glht', 'phase=Tukey', '--interaction-average', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as GlhtJson;
    const c = avgCase('obk_lme_phase_ia');
    expect(j.glht.hypotheses).toEqual(c.rownames);
    close(j.glht.linfct.flat(), c.K.flat(), 1e-14, 1e-15, 'K');
    expect(j.glht.messages).toEqual([]);
    // (our lme's β̂ and SEs against nlme's tight fit: test/glhtFits.test.ts's second level)
    close(j.glht.estimate, c.estimate, 0, 4e-6 * Math.max(...c.se), 'estimate');
    close(j.glht.covariance.map((row, i) => Math.sqrt(row[i])), c.se, 2e-4, 0, 'SE');
  });
});
