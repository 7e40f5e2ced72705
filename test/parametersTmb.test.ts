/**
 * parameters 0.20.2's model_parameters() of glmmTMB fits (src/parameters/tmb.ts) and of nlme's lme and gls
 * fits (src/parameters/nlme.ts) against test/oracle/parameters_tmb.R and parameters_nlme.R (fixtures in
 * test/fixtures/parameters_tmb): the rows (Parameter, Effects, Group, Component, CI exactly; NA where R
 * has NA), every number, the printout line for line and the footer, and the ci_method values refused.
 *
 * Tolerances (relative unless said; PARAMETERS_WORST=1 prints the largest error of each kind, as a
 * fraction of its tolerance):
 *  - glmmTMB: R's fits are moved to their tight optimum (tmb_common.R's tmbTightFit: max |gradient| <
 *    1e-10), the optimum ours reaches: the estimates (β̂, the SDs, correlations, σ̂) 1e-6; what comes from
 *    Var(x̂) — SEs, z, the intervals (the SDs' from SE(log SD)) — 1e-4, the SEs' tolerance against TMB's
 *    sdreport (test/zeroinfl.test.ts: our Hessian is central differences of the Laplace objective, TMB's
 *    is exact: gauss_all's SE of the intercept differs by 3.4e-5); a p-value 1e-4 · max(1, z²)
 *    (d log p / dz ≈ −z);
 *  - lme, gls: nlme's own optimum (its default settings) against ours, as test/nlme.test.ts: β, SEs,
 *    statistics and intervals 1e-4 (rs_all's β differs by 1.1e-6), p-values 1e-4 · max(1, t²); the
 *    random rows 1e-3 (test/nlme.test.ts's SDs and correlations; parameters also reads them from
 *    VarCorr's printed strings, SDs to 7 significant digits, correlations to 3 decimals: 5e-4 absolute).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { zeroInflated } from '../src/zeroinfl/zeroInflated.js';
import type { ZeroInflatedFit } from '../src/zeroinfl/zeroInflatedFit.js';
import { lme } from '../src/nlme/lme.js';
import { gls } from '../src/nlme/gls.js';
import type { LmeFit } from '../src/nlme/lmeFit.js';
import type { GlsFit } from '../src/nlme/glsFit.js';
import { type CiMethod, type ModelParametersOptions, type ParameterEffects, type ParameterRow, modelParameters } from '../src/parameters/modelParameters.js';
import type { TmbParameterComponent } from '../src/parameters/tmb.js';
import { printModelParameters } from '../src/parameters/print.js';
import '../src/parameters/methods.js';

const fixtures = join(import.meta.dirname, 'fixtures');
type Cell = string | number | null;
interface MpCase { name: string; model: string; args: { ci_method?: string; effects?: string; exponentiate?: boolean; ci?: number; component?: string } | unknown[]; columns: string[]; rows: Record<string, Cell>[]; printed: string[]; messages: string[] | string }
interface Refusal { model?: string; ci_method: string; error: string; warnings: string[] | string }
interface TmbModel { name: string; formula: string; ziformula: string; dispformula: string; family: string; data: string }
interface NlmeModel { name: string; kind: 'lme' | 'gls'; fixed?: string; random?: string; model?: string; correlation?: string; method: 'REML' | 'ML' }
const tmb = JSON.parse(readFileSync(join(fixtures, 'parameters_tmb', 'parameters_tmb.json'), 'utf8')) as { models: TmbModel[]; model_parameters: MpCase[]; refusals: Refusal[] };
const nlme = JSON.parse(readFileSync(join(fixtures, 'parameters_tmb', 'parameters_nlme.json'), 'utf8')) as { models: NlmeModel[]; model_parameters: MpCase[]; refusals: Refusal[] };

const DATA: Record<string, { file: string; factors: string[] }> = {
  salamanders: { file: 'salamanders.csv', factors: [] },
  sleepstudy: { file: 'sleepstudy.csv', factors: ['Subject'] },
  Orthodont: { file: 'Orthodont.csv', factors: [] },
};
const table = (name: string) => readCsv(readFileSync(join(fixtures, 'data', DATA[name].file), 'utf8'), { factors: DATA[name].factors }).table;

const fits = new Map<string, ZeroInflatedFit | LmeFit | GlsFit>();
beforeAll(async () => {
  for (const m of tmb.models) {
    fits.set(m.name, await zeroInflated(m.formula, table(m.data), { family: m.family as 'poisson', ziformula: m.ziformula, dispformula: m.dispformula, factors: DATA[m.data].factors }));
  }
  const orth = table('Orthodont');
  for (const m of nlme.models) {
    fits.set(m.name, m.kind === 'lme'
      ? await lme(m.fixed!, orth, { random: m.random, method: m.method })
      : await gls(m.model!, orth, { correlation: m.correlation, method: m.method }));
  }
}, 120_000);

const num = (v: Cell): number | null => (v === null ? null : v === 'Inf' ? Infinity : (v as number));
const worst = new Map<string, number>();

function expectClose(ours: number | null, theirs: Cell, tol: number, what: string, scale?: number) {
  const t = num(theirs);
  if (t === null) { expect(ours === null || Number.isNaN(ours), `${what}: ${ours} where R has NA`).toBe(true); return; }
  expect(ours, what).not.toBeNull();
  if (t === Infinity) { expect(ours, what).toBe(Infinity); return; }
  const err = Math.abs((ours as number) - t) / (scale ?? Math.max(Math.abs(t), 1e-300));
  const key = `${what.split(' ')[0].replace(/_.*/, '')} ${what.split(' ').at(-1)}`;
  worst.set(key, Math.max(worst.get(key) ?? 0, err / tol));
  expect(err <= tol, `${what}: ${ours} vs R ${t} (error ${err.toExponential(2)} > ${tol})`).toBe(true);
}

function optionsOf(c: MpCase): ModelParametersOptions {
  const a = Array.isArray(c.args) ? {} : c.args;
  return {
    ...(a.ci_method ? { ciMethod: a.ci_method as CiMethod } : {}),
    ...(a.effects ? { effects: a.effects as ParameterEffects } : {}),
    ...(a.exponentiate ? { exponentiate: true } : {}),
    ...(a.ci ? { ci: a.ci } : {}),
    ...(a.component ? { component: a.component as TmbParameterComponent } : {}),
  };
}

/** R's message lines: each message split at its newlines, the trailing newline dropped */
const messageLines = (m: string) => m.replace(/\n$/, '').split('\n');

function compareCase(c: MpCase, rows: ParameterRow[], nlmeFit: boolean) {
  expect(rows.map((r) => r.Parameter)).toEqual(c.rows.map((r) => r.Parameter));
  const stat = nlmeFit ? 't' : 'z';
  rows.forEach((r, i) => {
    const R = c.rows[i];
    const at = `${c.name} ${r.Parameter} ${r.Group}`;
    expect(r.Effects, at).toBe(R.Effects ?? 'fixed');
    expect(r.Group, at).toBe(R.Group ?? '');
    // (R drops the Component column where a glmmTMB table's fixed rows are all the conditional model's:
    // nb_fixed; ours keeps 'conditional')
    if (nlmeFit) expect(r.Component, at).toBeUndefined();
    else expect(r.Component, at).toBe(R.Component ?? 'conditional');
    expect(r.CI, at).toBe(R.CI);
    const random = r.Effects === 'random';
    const cor = r.Parameter.startsWith('Cor');
    // the estimates' and Var(x̂)'s tolerances (see the header)
    const est = nlmeFit ? (random ? 1e-3 : 1e-4) : 1e-6;
    const vcov = nlmeFit ? 1e-4 : 1e-4;
    expectClose(r.Coefficient, R.Coefficient, est, `${at} Coefficient`, cor ? 1 : undefined);
    expectClose(r.SE, R.SE ?? null, vcov, `${at} SE`);
    expectClose(r.CI_low, R.CI_low, vcov, `${at} CI_low`, cor ? 1 : undefined);
    expectClose(r.CI_high, R.CI_high, vcov, `${at} CI_high`, cor ? 1 : undefined);
    const t = (R[stat] ?? null) as number | null;
    expectClose(r.statistic, t, vcov, `${at} ${stat}`);
    expectClose(r.df_error, R.df_error ?? null, 0, `${at} df_error`);
    expectClose(r.p, R.p ?? null, vcov * Math.max(1, (t ?? 0) ** 2), `${at} p`);
  });
}

function comparePrint(c: MpCase, printed: ReturnType<typeof printModelParameters>) {
  const Rlines = c.printed.filter((l, i, a) => !(l === '' && i === a.length - 1));
  expect(printed.lines).toEqual(Rlines);
  // the footer (R writes it as a message): its sentence on the intervals, then the note on exponentiate
  const msgs = [c.messages].flat();
  const rFooter = msgs.filter((m) => m.includes('Uncertainty intervals'));
  if (rFooter.length === 0) {
    expect(printed.footer.join('\n')).not.toMatch(/Uncertainty intervals/);
  } else {
    expect(rFooter.length).toBe(1);
    expect(printed.footer.slice(0, messageLines(rFooter[0]).length)).toEqual(messageLines(rFooter[0]));
  }
  const note = msgs.find((m) => m.includes('logit-link'));
  if (note) expect(printed.footer.slice(-messageLines(note).length)).toEqual(messageLines(note));
  else expect(printed.footer.join('\n')).not.toMatch(/logit-link/);
}

describe('model_parameters of glmmTMB fits (parameters 0.20.2)', () => {
  for (const c of tmb.model_parameters) {
    if (c.name === 'zip_betwithin') continue; // refused: see below
    it(c.name, async () => {
      const mp = await modelParameters(fits.get(c.model)!, optionsOf(c));
      compareCase(c, mp.rows, false);
      comparePrint(c, printModelParameters(mp));
    });
  }

  it('refuses the ci_method values parameters refuses or that are not implemented, naming the method and the reason', async () => {
    const fit = fits.get('zip')!;
    for (const r of tmb.refusals) {
      // R: an error, or a warning and Wald z intervals (satterthwaite, kenward)
      expect(r.error !== 'none' || [r.warnings].flat().some((w) => /only available for linear mixed models/.test(w)), r.ci_method).toBe(true);
      if (r.ci_method === 'uniroot') {
        await expect(modelParameters(fit, { ciMethod: 'uniroot' as CiMethod })).rejects.toThrow(/unknown ci_method "uniroot"/);
        continue;
      }
      if (r.ci_method === 'boot') {
        await expect(modelParameters(fit, { ciMethod: 'boot' as CiMethod })).rejects.toThrow(/'boot'.*not implemented/);
        continue;
      }
      await expect(modelParameters(fit, { ciMethod: r.ci_method as CiMethod })).rejects.toThrow(new RegExp(`ci_method '${r.ci_method}' of a glmmTMB fit`));
    }
    await expect(modelParameters(fit, { ciMethod: 'satterthwaite' })).rejects.toThrow(/linear mixed models/);
    await expect(modelParameters(fit, { ciMethod: 'profile' })).rejects.toThrow(/not implemented.*uniroot/);
    // betwithin: R's df column 616 but its intervals by ml1's df (21 here), whose rule fails alone for glmmTMB
    const bw = tmb.model_parameters.find((x) => x.name === 'zip_betwithin')!;
    expect(bw.rows[0].df_error).toBe(616);
    await expect(modelParameters(fit, { ciMethod: 'betwithin' })).rejects.toThrow(/'betwithin' of a glmmTMB fit: it is not implemented/);
  });

  it('names a bad component, and refuses component and standardize where they do not apply', async () => {
    const fit = fits.get('zip')!;
    await expect(modelParameters(fit, { component: 'zero' as TmbParameterComponent })).rejects.toThrow(/component/);
    await expect(modelParameters(fit, { standardize: 'basic' })).rejects.toThrow(/standardize of a glmmTMB fit is not implemented/);
    await expect(modelParameters(fits.get('ri')!, { component: 'zi' })).rejects.toThrow(/component is for glmmTMB fits/);
  });

  it('gives the dispersion row of a constant dispersion on sigma()\'s scale, and exponentiates neither it nor a dispersion model', async () => {
    const nb = fits.get('nb')! as ZeroInflatedFit;
    const all = await modelParameters(nb, { exponentiate: true });
    const disp = all.rows.find((r) => r.Component === 'dispersion')!;
    expect(disp.Coefficient).toBe(nb.sigma);
    const nbdisp = await modelParameters(fits.get('nbdisp')!, { exponentiate: true });
    const plain = await modelParameters(fits.get('nbdisp')!, {});
    expect(nbdisp.rows.filter((r) => r.Component === 'dispersion')).toEqual(plain.rows.filter((r) => r.Component === 'dispersion'));
  });
});

describe('model_parameters of lme and gls fits (parameters 0.20.2)', () => {
  for (const c of nlme.model_parameters) {
    if (c.name === 'ri_normal') continue; // refused: see below
    it(c.name, async () => {
      const mp = await modelParameters(fits.get(c.model)!, optionsOf(c));
      compareCase(c, mp.rows, true);
      comparePrint(c, printModelParameters(mp));
    });
  }

  it("refuses lme's 'normal' (parameters labels t(df) intervals normal) and what parameters refuses, naming the reason", async () => {
    const ri = fits.get('ri')!;
    // R's "normal" table of an lme fit: the numbers of its wald table, under the label "Wald normal"
    const normal = nlme.model_parameters.find((x) => x.name === 'ri_normal')!;
    const wald = nlme.model_parameters.find((x) => x.name === 'ri_default')!;
    expect(normal.rows.map((r) => [r.CI_low, r.p, r.df_error])).toEqual(wald.rows.map((r) => [r.CI_low, r.p, r.df_error]));
    expect([normal.messages].flat().join('')).toMatch(/Wald normal distribution/);
    await expect(modelParameters(ri, { ciMethod: 'normal' })).rejects.toThrow(/ci_method 'normal' of an lme fit: parameters 0.20.2 labels/);
    for (const r of nlme.refusals) {
      expect(r.error !== 'none' || [r.warnings].flat().length > 0 || (r.model === 'cs' && r.ci_method === 'profile'), `${r.model} ${r.ci_method}`).toBe(true);
      const fit = fits.get(r.model!)!;
      if (r.ci_method === 'boot') { await expect(modelParameters(fit, { ciMethod: 'boot' as CiMethod })).rejects.toThrow(/'boot'.*not implemented/); continue; }
      await expect(modelParameters(fit, { ciMethod: r.ci_method as CiMethod })).rejects.toThrow(new RegExp(`ci_method '${r.ci_method}' of an? (lme|gls) fit`));
    }
    await expect(modelParameters(ri, { ciMethod: 'satterthwaite' })).rejects.toThrow(/not implemented for lme fits/);
    // nested levels: the ml1 and betwithin rules and the random rows are not implemented
    const oats = readCsv(readFileSync(join(fixtures, 'data', 'Oats.csv'), 'utf8'), { factors: ['Block', 'Variety'] }).table;
    const nested = await lme('yield ~ nitro', oats, { random: '~ 1 | Block/Variety' });
    await expect(modelParameters(nested, { ciMethod: 'ml1' })).rejects.toThrow(/'ml1' of an lme fit with 2 levels of grouping is not implemented/);
    await expect(modelParameters(nested, {})).rejects.toThrow(/random rows of an lme fit with 2 levels of grouping .* are not implemented/);
    expect((await modelParameters(nested, { effects: 'fixed' })).rows.map((r) => r.df_error)).toEqual(nested.tTable.map((r) => r.DF));
    await expect(modelParameters(fits.get('cs')!, { effects: 'random' })).rejects.toThrow(/gls fit has no random effects/);
  });

  it('fit.modelParameters() of glmmTMB, lme and gls fits is modelParameters(fit)', async () => {
    for (const name of ['zip', 'ri', 'cs']) {
      const fit = fits.get(name)!;
      expect(await fit.modelParameters({ ci: 0.9 })).toEqual(await modelParameters(fit, { ci: 0.9 }));
    }
  });

  it('prints the largest errors with PARAMETERS_WORST=1', () => {
    if (process.env.PARAMETERS_WORST) console.log([...worst].map(([k, v]) => `${k} ${v.toExponential(2)} of its tolerance`).join('\n'));
    expect(worst.size).toBeGreaterThan(0);
  });
});
