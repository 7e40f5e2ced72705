/**
 * The browser app's Intervals card of glmmTMB fits (glmmTMB's confint), in Node (no browser): on the
 * worker's own fit of glmmTMB's Salamanders zero-inflated NB2 (count ~ mined + (1 | site), zi ~ mined,
 * family choice zi_nbinom2), what the card offers (parm's groups and each parameter of vcov(fit, full =
 * TRUE) by position, full's σ row, the profile); the worker's run equal to the library's confintGlmmTmb of
 * the same fit, row for row (the same code on the same fit: exact), and through it glmmTMB 1.1.5's own
 * rows (test/fixtures/tmb_confint/confint.json, case zinb2_mined: Wald at 1e-4 relative, the library's
 * tolerance in test/tmbConfint.test.ts; the profile's ends against TMB's tmbroot to tol 1e-10 within 1e-6,
 * NA exactly where it has NA); the profile's progress reports and Cancel; the table's cells (NA as "NA"),
 * its notes (NA's reason), CSV and the R call; the fields' checks (a bad level, a parm the fit has not, the
 * profile of a REML fit refused with glmmTMB's reason); the address's round trip. Method "profile"
 * (glmmTMB's spline through tmbprofile's points): the worker's table and profile data frame equal the
 * library's confint(fit, method = "profile") and the profile it was taken from (exact: the same code on the
 * same fit; the library's against glmmTMB 1.1.5: test/tmbProfile.test.ts, test/tmbProfileZinb.test.ts), the
 * CSV the library's writer's, each NA end's reason, the plot's series (ζ = sign √(2 value) of the same points,
 * crossing ±z between the points around the table's ends), a profile whose spline fails (the error and
 * the plot), the R call, and the address.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { confintGlmmTmb, fullParameterNames, qnorm, readCsv, zeroInflated, type TmbProfile, type ZeroInflatedFit } from '../../src/index.js';
import { describeZeroInflated, runZeroInflated } from '../../demo/src/zeroinfl.js';
import { runTmbConfint, tmbCiSetup } from '../../demo/src/tmbConfintRun.js';
import { TmbCiFieldError, tmbCiCall, tmbCiCells, tmbCiCsv, tmbCiFieldsOf, tmbCiNaRows, tmbCiNotes, tmbCiNa, tmbCiRequest, tmbCiUrlOf, tmbProfileSeries } from '../../demo/src/tmbConfint.js';
import { readUrlState, writeUrlState } from '../../demo/src/urlState.js';
import type { FitRequest, TmbCiMsg, TmbCiSetup } from '../../demo/src/protocol.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const salamanders = readCsv(readFileSync(`${ROOT}test/fixtures/data/salamanders.csv`, 'utf8')).table;
const signal = new AbortController().signal;

interface Matrix { names: string | string[]; columns: string[]; values: (number | null | (number | null)[])[] }
interface Case {
  name: string; fullNames: string[];
  calls: { options: Record<string, unknown> | unknown[]; result: Matrix }[];
  tight_uniroot: { names: string[]; lower: (number | null)[]; upper: (number | null)[] };
}
const oracle = JSON.parse(readFileSync(`${ROOT}test/fixtures/tmb_confint/confint.json`, 'utf8')) as { cases: Case[] };
const zinb2 = oracle.cases.find((c) => c.name === 'zinb2_mined')!;
const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const callOf = (pred: (o: Record<string, unknown>) => boolean) => zinb2.calls.find((k) => pred(Array.isArray(k.options) ? {} : k.options))!.result;

const request = (over: Partial<FitRequest> = {}): FitRequest => ({
  formula: 'count ~ mined + (1 | site)', factors: [], reml: false, backend: 'cpu', family: 'zi_nbinom2', link: 'log', ziformula: '~ mined', dataName: 'salamanders.csv', ...over,
});

/** the card's rows against glmmTMB's matrix: names, columns, NA, values to 1e-4 relative */
function expectGlmmTmb(m: TmbCiMsg, ref: Matrix): void {
  const names = asArray(ref.names);
  expect(m.rows.map((r) => r.name)).toEqual(names);
  expect(m.columns).toEqual(ref.columns);
  ref.values.map((col) => asArray(col)).forEach((col, j) => col.forEach((v, i) => {
    const r = m.rows[i]!;
    const mine = [r.lower, r.upper, r.estimate][j]!;
    if (v === null) { expect(mine, `${r.name} ${ref.columns[j]}`).toBeNull(); return; }
    expect(Math.abs(mine - v) / Math.max(Math.abs(v), 1e-300), `${r.name} ${ref.columns[j]}: ${mine} vs ${v}`).toBeLessThan(1e-4);
  }));
}

/** the card's rows equal the library's (NaN as null) */
function expectLibrary(m: TmbCiMsg, lib: Awaited<ReturnType<typeof confintGlmmTmb>>): void {
  expect(m.columns).toEqual(lib.columns);
  expect(m.rows).toEqual(lib.rows.map((r) => ({ name: r.name, lower: Number.isNaN(r.lower) ? null : r.lower, upper: Number.isNaN(r.upper) ? null : r.upper, estimate: r.estimate, naReason: r.naReason })));
  expect(m.print).toBe(lib.print());
  expect(m.notes).toEqual(lib.notes);
}

describe('Intervals card of glmmTMB fits (worker and page logic)', () => {
  let fit: ZeroInflatedFit;
  let setup: TmbCiSetup;
  beforeAll(async () => {
    fit = await runZeroInflated(salamanders, request(), signal);
    setup = describeZeroInflated(fit, 1, 'zi_nbinom2').confint;
  }, 120_000);

  test("setup: glmmTMB's parm groups and each parameter by position; full's σ row; the profile offered", () => {
    expect(fullParameterNames(fit)).toEqual(zinb2.fullNames);
    expect(setup).toEqual({
      parms: [
        { value: 'beta_', label: 'beta_ (the fixed effects)' },
        { value: 'theta_', label: 'theta_ (the random effects\' parameters)' },
        { value: 'disp_', label: 'disp_ (the dispersion parameters)' },
        ...zinb2.fullNames.map((n, k) => ({ value: String(k + 1), label: n })),
      ],
      profileRefusal: null,
      fullApplies: true,
    });
  });

  test("Wald: the library's confint of the same fit, exactly, and glmmTMB's rows (every row, full, parm)", async () => {
    const cases: [Parameters<typeof tmbCiRequest>[0], Record<string, unknown>][] = [
      [{ parm: '', level: '0.95', full: false }, {}],
      [{ parm: '', level: '0.95', full: true }, { full: true }],
      [{ parm: '', level: '0.9', full: false }, { level: 0.9 }],
      [{ parm: 'theta_', level: '0.95', full: false }, { parm: 'theta_' }],
      // glmmTMB's ci[parm, ]: position 5 (d~(Intercept)) indexes the Wald rows, the sigma row
      [{ parm: '5', level: '0.95', full: false }, { parm: 5 }],
    ];
    for (const [fields, options] of cases) {
      const req = tmbCiRequest(fields, 'wald', setup);
      const m = await runTmbConfint(fit, req);
      expect(m.request).toEqual(req);
      expect(m.profileEvaluations).toBe(0);
      expectLibrary(m, await confintGlmmTmb(fit, options));
    }
    expectGlmmTmb(await runTmbConfint(fit, tmbCiRequest({ parm: '', level: '0.95', full: false }, 'wald', setup)), callOf((o) => Object.keys(o).length === 0));
    const full = await runTmbConfint(fit, tmbCiRequest({ parm: '', level: '0.95', full: true }, 'wald', setup));
    expectGlmmTmb(full, callOf((o) => o.full === true && o.component === undefined));
    expect((await runTmbConfint(fit, tmbCiRequest({ parm: '5', level: '0.95', full: false }, 'wald', setup))).rows.map((r) => r.name)).toEqual(['sigma']);
    // the table's cells, the notes, the CSV and the call
    const cells = tmbCiCells(full, (x) => x.toPrecision(4));
    expect(cells.header).toEqual(['Parameter', '2.5 %', '97.5 %', 'Estimate']);
    expect(cells.rows.map((r) => r.name)).toEqual(asArray(callOf((o) => o.full === true && o.component === undefined).names));
    expect(cells.rows[0]!.cells).toEqual([full.rows[0]!.lower!.toPrecision(4), full.rows[0]!.upper!.toPrecision(4), full.rows[0]!.estimate.toPrecision(4)]);
    expect(tmbCiNaRows(full)).toEqual([]);
    expect(tmbCiNotes(full)).toHaveLength(1);
    expect(tmbCiNotes(full)[0]).toMatch(/^Wald intervals at 95 %/);
    const csvLines = tmbCiCsv(full).trimEnd().split('\n');
    expect(csvLines[0]).toBe('parameter,2.5 %,97.5 %,Estimate');
    expect(csvLines[5]).toBe(`sigma,${full.rows[4]!.lower},${full.rows[4]!.upper},${full.rows[4]!.estimate}`);
    expect(tmbCiCall(full.request)).toBe('confint(fit, full = TRUE)');
    expect(tmbCiCall({ method: 'uniroot', level: 0.9, parm: 'theta_', full: false })).toBe('confint(fit, parm = "theta_", level = 0.9, method = "uniroot")');
    expect(tmbCiCall({ method: 'wald', level: 0.95, parm: '3', full: false })).toBe('confint(fit, parm = 3)');
  }, 120_000);

  test("profile: tmbroot's ends (NA where it has NA), its progress, NA in the cells, notes and CSV; Cancel", async () => {
    const t = zinb2.tight_uniroot;
    // parm 3: zi~(Intercept), whose lower end the profile does not reach within −7 SE (glmmTMB's NA)
    const reports: { done: number; total: number; label: string }[] = [];
    const req = tmbCiRequest({ parm: '3', level: '0.95', full: false }, 'uniroot', setup);
    const m = await runTmbConfint(fit, req, { signal, onProgress: (p) => reports.push(p) });
    expect(reports).toEqual([{ done: 0, total: 1, label: 'zi~(Intercept)' }, { done: 1, total: 1, label: '' }]);
    expect(m.rows.map((r) => r.name)).toEqual(['zi~(Intercept)']);
    expect(m.rows[0]!.lower).toBeNull();
    expect(t.lower[2]).toBeNull();
    expect(Math.abs(m.rows[0]!.upper! - t.upper[2]!) / Math.max(1, Math.abs(t.upper[2]!))).toBeLessThan(1e-6);
    expect(m.rows[0]!.estimate).toBe(fit.par[2]);
    expect(m.profileEvaluations).toBeGreaterThan(0);
    expectLibrary(m, await confintGlmmTmb(fit, { method: 'uniroot', parm: 3 }));
    expect(tmbCiCells(m, String).rows[0]!.cells[0]).toBe('NA');
    expect(tmbCiNaRows(m)).toEqual(['zi~(Intercept)']);
    // the library's reason: at −7 SE −log L had not risen by χ²₁(0.95)/2
    expect(m.rows[0]!.naReason).toEqual({ lower: 'not-reached', upper: null });
    expect(tmbCiNa(m)).toEqual([{ name: 'zi~(Intercept)', side: 'lower', reason: 'not-reached' }]);
    const notes = tmbCiNotes(m);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/^Profile likelihood intervals at 95 % \(TMB's tmbroot\)/);
    expect(notes[1]).toMatch(/^NA \(zi~\(Intercept\) lower\): the profile did not reach the level within ±7 SE/);
    expect(tmbCiCsv(m).trimEnd().split('\n')[1]).toBe(`zi~(Intercept),NA,${m.rows[0]!.upper},${m.rows[0]!.estimate}`);
    // Cancel: the signal aborted during the first parameter's profile
    const ac = new AbortController();
    const run = runTmbConfint(fit, tmbCiRequest({ parm: 'beta_', level: '0.95', full: false }, 'uniroot', setup), {
      signal: ac.signal, onProgress: (p) => { if (p.done === 0) setTimeout(() => ac.abort(), 0); },
    });
    await expect(run).rejects.toThrow(expect.objectContaining({ name: 'AbortError' }));
  }, 120_000);

  test("method profile: the library's table and profile, its CSV, NA's reasons, the plot's series; a spline that fails", async () => {
    // parm 3: zi~(Intercept), whose profile flattens below its estimate (−log L up by 0.52 from −17 to −4.5) and
    // then jumps (4.46 at −31.5): its lower end is NA
    const req = tmbCiRequest({ parm: '3', level: '0.95', full: false }, 'profile', setup);
    expect(req).toEqual({ method: 'profile', level: 0.95, parm: '3', full: false });
    expect(tmbCiCall(req)).toBe('confint(fit, parm = 3, method = "profile")');
    expect(tmbCiCall({ ...req, level: 0.9, parm: 'theta_', full: true })).toBe('confint(fit, parm = "theta_", level = 0.9, method = "profile", full = TRUE)');
    const reports: { done: number; total: number; label: string }[] = [];
    const m = await runTmbConfint(fit, req, { signal, onProgress: (p) => reports.push(p) });
    expect(reports).toEqual([{ done: 0, total: 1, label: 'zi~(Intercept)' }, { done: 1, total: 1, label: '' }]);
    let pr: TmbProfile | undefined;
    const lib = await confintGlmmTmb(fit, { method: 'profile', parm: 3, onProfile: (p) => { pr = p; } });
    expectLibrary(m, lib);
    expect(m.columns).toEqual(['2.5 %', '97.5 %']);
    expect(m.intervalError).toBeNull();
    expect(m.profileEvaluations).toBe(lib.profileEvaluations);
    // the profile data frame: the library's, its CSV the library's writer's (the CLI's --profile OUT.csv)
    expect(pr!.levelMax).toBe(0.95);
    expect(m.profile!.levelMax).toBe(0.95);
    expect(m.profile!.parameters).toEqual([{ name: 'zi~(Intercept)', position: 3 }]);
    expect(m.profile!.rows).toEqual(pr!.rows.map((r) => ({ par: r.par, position: r.position, focal: r.focal, value: Number.isNaN(r.value) ? null : r.value })));
    expect(m.profile!.csv).toBe(pr!.toCsv());
    expect(m.profile!.csv.split('\n')[0]).toBe('".par",".focal","value"');
    // the table: the lower end NA, the upper found; NA's reason from the profile's points: below the estimate
    // −log L rose past χ²₁(0.95)/2 = 1.920729 only at the last point, and the inverse spline's value there (its
    // slope ≈ 0 between −17 and −10) lies far outside the points (glmmTMB prints 8e11; the library NA)
    const q = qnorm(0.975) ** 2 / 2;
    expect(m.rows).toHaveLength(1);
    expect(m.rows[0]!.lower).toBeNull();
    expect(m.rows[0]!.upper).not.toBeNull();
    expect(tmbCiCells(m, String)).toEqual({ header: ['Parameter', '2.5 %', '97.5 %'], rows: [{ name: 'zi~(Intercept)', cells: ['NA', String(m.rows[0]!.upper)] }] });
    const lowerHalf = pr!.rows.filter((r) => r.focal <= fit.par[2]!).map((r) => r.value);
    expect(lowerHalf[0]).toBeGreaterThan(q);
    expect(lowerHalf.slice(1).every((v) => v < q)).toBe(true);
    expect(m.rows[0]!.naReason).toEqual({ lower: 'spline', upper: null });
    expect(tmbCiNa(m)).toEqual([{ name: 'zi~(Intercept)', side: 'lower', reason: 'spline' }]);
    const notes = tmbCiNotes(m);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/^Profile likelihood intervals at 95 % \(glmmTMB's profile\(fit, level_max = level\), then confint of it\)/);
    expect(notes[1]).toMatch(/^NA \(zi~\(Intercept\) lower\): the profile rose past the level on that side, but glmmTMB's inverse spline has no value there inside that side's profile points \(NA, or an extrapolation that glmmTMB 1.1.5 prints/);
    expect(tmbCiCsv(m).trimEnd().split('\n')).toEqual(['parameter,2.5 %,97.5 %', `zi~(Intercept),NA,${m.rows[0]!.upper}`]);
    // the plot's series: ζ = sign(x − x_min) √(2 value) of the profile's points, the repeated .focal (x̂, both walks' start) once
    const [s] = tmbProfileSeries(m);
    const z = qnorm(0.975);
    expect(s!.name).toBe('zi~(Intercept)');
    expect(s!.z).toBe(z);
    expect(s!.naPoints).toBe(0);
    expect(s!.points.length).toBe(pr!.rows.length - 1);
    const least = pr!.rows.reduce((a, r) => (r.value < a.value ? r : a));
    expect(least.value).toBe(0);
    for (const p of s!.points) {
      const r = pr!.rows.find((x) => x.focal === p.focal)!;
      expect(p.value).toBe(r.value);
      expect(p.zeta).toBe(Math.sign(r.focal - least.focal) * Math.sqrt(2 * r.value));
    }
    expect(s!.points.map((p) => p.focal)).toEqual([...s!.points.map((p) => p.focal)].sort((a, b) => a - b));
    // ζ rises through the points (a monotone profile), and crosses +z between the two points around the upper end
    s!.points.slice(1).forEach((p, i) => expect(p.zeta).toBeGreaterThan(s!.points[i]!.zeta));
    expect(s!.lower).toBeNull();
    const up = s!.upper!;
    const k = s!.points.findIndex((p) => p.focal > up);
    expect(k).toBeGreaterThan(0);
    expect(s!.points[k - 1]!.zeta).toBeLessThan(z);
    expect(s!.points[k]!.zeta).toBeGreaterThan(z);
    // and −z between the first two points (the jump), where the table's lower end is NA: not drawn
    expect(s!.points[0]!.zeta).toBeLessThan(-z);
    expect(s!.points[1]!.zeta).toBeGreaterThan(-z);

    // parm 6, theta_1|site.1: its profile's lower half is not monotone, so no interval (glmmTMB: "spline must be
    // monotone"); the card shows the error with the profile's plot and CSV
    const bad = await runTmbConfint(fit, tmbCiRequest({ parm: '6', level: '0.95', full: false }, 'profile', setup), { signal });
    await expect(confintGlmmTmb(fit, { method: 'profile', parm: 6 })).rejects.toThrow(bad.intervalError!);
    expect(bad.intervalError).toMatch(/lower half of theta_1\|site.1's profile is not monotone/);
    expect(bad.rows).toEqual([]);
    expect(bad.profile!.parameters).toEqual([{ name: 'theta_1|site.1', position: 6 }]);
    const [b] = tmbProfileSeries(bad);
    expect(b!.points.length).toBeGreaterThan(8);
    expect([b!.lower, b!.upper]).toEqual([null, null]);
    expect(b!.points.some((p) => p.zeta === 0)).toBe(true);
    // ζ is not monotone below the least point: it falls somewhere on the way down
    const below = b!.points.filter((p) => p.zeta <= 0);
    expect(below.slice(1).some((p, i) => p.zeta < below[i]!.zeta)).toBe(true);
    expect(tmbCiNotes(bad)).toHaveLength(1);
    // Cancel: the signal aborted during the first parameter's walk (an AbortError, never a table or an interval error)
    const ac = new AbortController();
    const run = runTmbConfint(fit, tmbCiRequest({ parm: 'beta_', level: '0.95', full: false }, 'profile', setup), {
      signal: ac.signal, onProgress: (p) => { if (p.done === 0) setTimeout(() => ac.abort(), 0); },
    });
    await expect(run).rejects.toThrow(expect.objectContaining({ name: 'AbortError' }));
  }, 120_000);

  test("NA's notes of method profile by the library's reasons: not reached, the guard's local minimum (its note), not evaluated", () => {
    const q = qnorm(0.975) ** 2 / 2;
    const rows = (position: number, par: string, values: [number, number][]) => values.map(([focal, value]) => ({ par, position, focal, value }));
    const note = "b: the upper end 9 is NA: the profile walk reached a worse local minimum of the other parameters' optimization, …";
    const m: TmbCiMsg = {
      request: { method: 'profile', level: 0.95, parm: '', full: false }, columns: ['2.5 %', '97.5 %'],
      rows: [
        { name: 'a', lower: null, upper: 1.5, estimate: NaN, naReason: { lower: 'not-reached', upper: null } },
        { name: 'b', lower: -1, upper: null, estimate: NaN, naReason: { lower: null, upper: 'local-minimum' } },
      ],
      print: '', profileEvaluations: 0, notes: [note], intervalError: null, elapsedMs: 0,
      profile: {
        levelMax: 0.95, parameters: [{ name: 'a', position: 1 }, { name: 'b', position: 2 }], csv: '',
        // a: below the least point the values stay under q (0.5 at −9); b: above, past q (guard's NA)
        rows: [...rows(1, 'a', [[-9, 0.5], [-3, 0.4], [0, 0], [1, 1], [2, q + 1]]), ...rows(2, 'b', [[-2, q + 1], [0, 0], [3, q + 2]])],
      },
    };
    expect(tmbCiNa(m)).toEqual([{ name: 'a', side: 'lower', reason: 'not-reached' }, { name: 'b', side: 'upper', reason: 'local-minimum' }]);
    const notes = tmbCiNotes(m);
    expect(notes.slice(1)).toEqual([expect.stringMatching(/^NA \(a lower\): on that side the profile did not rise by χ²₁\(level\)\/2 before tmbprofile's walk ended/), note]);
    // every walk point's optimization failed: no least point, both ends not evaluated
    const failed: TmbCiMsg = { ...m, rows: [{ name: 'c', lower: null, upper: null, estimate: NaN, naReason: { lower: 'not-evaluated', upper: 'not-evaluated' } }], notes: [] };
    expect(tmbCiNotes(failed).slice(1)).toEqual(["NA (c lower, c upper): the profile's optimization failed at every point of that parameter's walk."]);
    // a point whose optimization failed (NA) is left out of the line and counted
    const withNa: TmbCiMsg = { ...m, profile: { ...m.profile!, rows: [...m.profile!.rows, { par: 'b', position: 2, focal: 4, value: null }] } };
    const [, sb] = tmbProfileSeries(withNa);
    expect(sb!.naPoints).toBe(1);
    expect(sb!.points.map((p) => [p.focal, p.zeta])).toEqual([[-2, -Math.sqrt(2 * (q + 1))], [0, 0], [3, Math.sqrt(2 * (q + 2))]]);
    expect([sb!.lower, sb!.upper]).toEqual([-1, null]);
  });

  test('bad fields are named; a REML fit\'s profile refused with glmmTMB\'s reason', async () => {
    const bad = (f: Partial<Parameters<typeof tmbCiRequest>[0]>, method: 'wald' | 'uniroot' | 'profile' = 'wald', s = setup) => {
      try {
        tmbCiRequest({ parm: '', level: '0.95', full: false, ...f }, method, s);
      } catch (e) {
        expect(e).toBeInstanceOf(TmbCiFieldError);
        return [(e as TmbCiFieldError).field, (e as Error).message];
      }
      return null;
    };
    expect(bad({ level: '1.2' })).toEqual(['level', 'level must be a number between 0 and 1 (exclusive), e.g. 0.95, not "1.2"']);
    expect(bad({ level: '' })?.[0]).toBe('level');
    expect(bad({ level: 'abc' })?.[0]).toBe('level');
    expect(bad({ parm: '12' })?.[0]).toBe('parm');
    expect(bad({ parm: '12' })?.[1]).toMatch(/^parameters: "12" is none of this fit's \(beta_, theta_, disp_, 1, 2, 3, 4, 5, 6\)/);
    expect(bad({ level: '0.8' })).toBeNull();
    const sleep = readCsv(readFileSync(`${ROOT}test/fixtures/data/sleepstudy.csv`, 'utf8'), { factors: ['Subject'] }).table;
    const reml = await zeroInflated('Reaction ~ Days + (1 | Subject)', sleep, { family: 'gaussian', ziformula: '~ 0', factors: ['Subject'], REML: true });
    const rs = tmbCiSetup(reml);
    expect(rs.profileRefusal).toMatch(/can't compute profiles for REML models/);
    expect(bad({}, 'uniroot', rs)).toEqual(['method', `Profile intervals: ${rs.profileRefusal}`]);
    expect(bad({}, 'wald', rs)).toBeNull();
    expect(bad({}, 'profile', rs)).toEqual(['method', `Profile intervals: ${rs.profileRefusal}`]);
    expect(bad({}, 'spline' as 'profile')).toEqual(['method', 'method must be "wald", "uniroot" or "profile" (glmmTMB\'s confint), not "spline"']);
    // a Poisson fit: no dispersion parameter, so no disp_ and full changes nothing; the same term in both
    // models (glmmTMB names both theta_1|site.1): told apart by position
    const zip = await runZeroInflated(salamanders, request({ family: 'zi_poisson', ziformula: '~ mined + (1 | site)' }), signal);
    const ps = tmbCiSetup(zip);
    expect(ps.fullApplies).toBe(false);
    expect(ps.parms.map((p) => p.value)).toEqual(['beta_', 'theta_', '1', '2', '3', '4', '5', '6']);
    expect(ps.parms.slice(-2).map((p) => p.label)).toEqual(['theta_1|site.1 (parameter 5)', 'theta_1|site.1 (parameter 6)']);
  }, 120_000);

  test("the address: the card's fields and the profile shown round trip; defaults left out; a parm the fit has not is every row's", () => {
    const state = tmbCiUrlOf({ parm: 'theta_', level: '0.9', full: true }, 'uniroot')!;
    expect(state).toEqual({ parm: 'theta_', level: 0.9, full: true, method: 'uniroot' });
    const q = writeUrlState({ example: 'salamanders', family: 'zi_nbinom2', fit: true, tmbci: state });
    expect(q).toContain('tcip=theta_');
    expect(q).toContain('tcil=0.9');
    expect(q).toContain('tcif=1');
    expect(q).toContain('tcim=uniroot');
    expect(readUrlState(q).tmbci).toEqual(state);
    expect(tmbCiUrlOf({ parm: '', level: '0.95', full: false }, 'wald')).toBeUndefined();
    expect(readUrlState(writeUrlState({ example: 'salamanders' })).tmbci).toBeUndefined();
    expect(readUrlState('?tcip=zz&tcil=2&tcim=spline').tmbci).toBeUndefined();
    const prof = tmbCiUrlOf({ parm: '3', level: '0.95', full: false }, 'profile')!;
    expect(prof).toEqual({ parm: '3', method: 'profile' });
    expect(writeUrlState({ example: 'salamanders', tmbci: prof })).toContain('tcim=profile');
    expect(readUrlState(writeUrlState({ example: 'salamanders', tmbci: prof })).tmbci).toEqual(prof);
    expect(tmbCiFieldsOf({ parm: '4', level: 0.9 }, setup)).toEqual({ parm: '4', level: '0.9', full: false });
    expect(tmbCiFieldsOf({ parm: '40' }, setup)).toEqual({ parm: '', level: '0.95', full: false });
  });
});
