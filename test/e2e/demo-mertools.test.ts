/**
 * The browser app's Simulation intervals card (merTools 0.5.2's REsim, FEsim, plotREsim, predictInterval), in
 * Node (no browser): the worker's results (demo/src/merToolsRun.ts) equal the library's exactly — the same
 * draws (counter-based: draw r a pure function of (seed, r), so the worker's chunked, cancellable run gives
 * the numbers of fit.REsim, fit.FEsim and fit.predictIntervalSim to the last bit) and the same printouts (the
 * CLI's `mixedgpu resim` and `predictinterval` tables). The library's numbers are tested against merTools in
 * test/predictIntervalSim.test.ts. Then the page's logic: each bad field named (and the library's refusals
 * named by merSimFieldOf), the R calls, the CSVs, plotREsim's panels, Cancel and progress, the address.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import type * as arrow from 'apache-arrow';
import { readCsv } from '../../src/io/csv.js';
import { lmer } from '../../src/fit/lmer.js';
import { glmer } from '../../src/fit/glmer.js';
import type { LmmFit } from '../../src/lmm/lmmFit.js';
import type { GlmmFit } from '../../src/glmm/glmmFit.js';
import { reSimIntervals } from '../../src/inference/reSim.js';
import { feSimTable, predictIntervalTable, printSimTable, reSimTable } from '../../src/inference/merToolsTables.js';
import { MAX_DRAW_VALUES, MerSimRunError, merSimFieldOf, newdataHead, runMerSim } from '../../demo/src/merToolsRun.js';
import {
  MerSimFieldError, type MerSimFields, defaultMerSimFields, feSimCsv, merSimErrorText, merSimUrlOf, predictIntervalCall, predictIntervalCsv,
  predictIntervalRequest, reSimCalls, reSimCsv, reSimPanels, reSimRequest,
} from '../../demo/src/merToolsCard.js';
import type { MerSimMsg, MerSimRequest } from '../../demo/src/protocol.js';
import type { StoredFit } from '../../demo/src/fitting.js';
import { cardReply } from '../../demo/src/requests.js';
import { readUrlState, writeUrlState } from '../../demo/src/urlState.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const data = (f: string) => readCsv(readFileSync(join(ROOT, 'test/fixtures/data', f))).table;

type ReMsg = Extract<MerSimMsg, { kind: 'resim' }>;
type PiMsg = Extract<MerSimMsg, { kind: 'predict' }>;

describe('Simulation intervals (merTools) card: worker and page logic', () => {
  let sleep: arrow.Table, cbpp: arrow.Table;
  let lm: LmmFit, gm: GlmmFit;
  let slm: StoredFit, sgm: StoredFit;
  beforeAll(async () => {
    sleep = data('sleepstudy.csv');
    cbpp = data('cbpp.csv');
    lm = await lmer('Reaction ~ Days + (Days | Subject)', sleep, { factors: ['Subject'] });
    gm = await glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', cbpp, { family: 'binomial', factors: ['herd', 'period'] });
    slm = { id: 1, fit: lm, request: { factors: ['Subject'] } } as unknown as StoredFit;
    sgm = { id: 2, fit: gm, request: { factors: ['herd', 'period'] } } as unknown as StoredFit;
  }, 120_000);

  const fields = (over: Partial<MerSimFields>): MerSimFields => ({ ...defaultMerSimFields(), ...over });

  test("REsim and FEsim: the worker's tables are fit.REsim's and fit.FEsim's to the last bit, with plotREsim's intervals; the printouts the CLI's", async () => {
    const req = reSimRequest(fields({ reNsims: '300', reSeed: '7', reLevel: '0.9' }));
    expect(req).toEqual({ kind: 'resim', nsims: 300, seed: 7, level: 0.9 });
    const progress: { done: number; total: number; label: string }[] = [];
    const m = await runMerSim(slm, sleep, req, { onProgress: (p) => progress.push(p) }) as ReMsg;
    const re = lm.REsim({ nsims: 300, seed: 7 });
    const fe = lm.FEsim({ nsims: 300, seed: 7 });
    const iv = reSimIntervals(re, { level: 0.9 });
    expect(m.re).toEqual(iv.map((x) => ({ groupFctr: x.groupFctr, groupID: x.groupID, term: x.term, mean: x.mean, median: x.median, sd: x.sd, ymin: x.ymin, ymax: x.ymax, sig: x.sig })));
    expect(m.fe).toEqual(fe);
    expect(m.re).toHaveLength(36); // 18 subjects × 2 terms, merTools's order: per term, the levels
    expect(m.re.slice(0, 18).every((r) => r.term === '(Intercept)') && m.re.slice(18).every((r) => r.term === 'Days')).toBe(true);
    expect(m.reText).toBe(printSimTable(reSimTable(re)));
    expect(m.feText).toBe(printSimTable(feSimTable(fe)));
    expect(m.reText.split('\n')[0]).toMatch(/^groupFctr\s+groupID\s+term\s+mean\s+median\s+sd$/);
    // progress after each chunk of draws, the last at the total
    expect(progress.length).toBeGreaterThan(1);
    expect(progress[progress.length - 1]).toEqual({ done: 300, total: 300, label: 'draws' });
    expect(progress.every((p, i) => i === 0 || p.done >= progress[i - 1]!.done)).toBe(true);
    // the same seed gives the same table; the glmer fit's too
    const g = await runMerSim(sgm, cbpp, reSimRequest(fields({ reNsims: '200' })), {}) as ReMsg;
    expect(g.re.map((r) => r.median)).toEqual(gm.REsim({ nsims: 200, seed: 1 }).map((r) => r.median));
    expect(g.fe.map((r) => r.sd)).toEqual(gm.FEsim({ nsims: 200, seed: 1 }).map((r) => r.sd));
  });

  test("plotREsim's panels, the R calls and the CSVs", async () => {
    const m = await runMerSim(slm, sleep, reSimRequest(fields({ reNsims: '200' })), {}) as ReMsg;
    const panels = reSimPanels(m.re);
    expect(panels.map((p) => [p.groupFctr, p.term, p.rows.length])).toEqual([['Subject', '(Intercept)', 18], ['Subject', 'Days', 18]]);
    for (const p of panels) {
      // the levels ranked by the median (plotREsim's x), the intervals that exclude 0 counted
      expect(p.rows.map((r) => r.rank)).toEqual(Array.from({ length: 18 }, (_, i) => i + 1));
      expect(p.rows.every((r, i) => i === 0 || r.median >= p.rows[i - 1]!.median)).toBe(true);
      expect(p.sig).toBe(p.rows.filter((r) => r.ymin > 0 || r.ymax < 0).length);
    }
    // sleepstudy's subjects differ: some intervals exclude 0
    expect(panels[0]!.sig).toBeGreaterThan(0);
    expect(reSimCalls(m.request)).toEqual({ re: 'REsim(fit, n.sims = 200, seed = 1)', fe: 'FEsim(fit, n.sims = 200, seed = 1)', plot: 'plotREsim(REsim(fit, n.sims = 200, seed = 1))' });
    expect(reSimCalls({ kind: 'resim', nsims: 1000, seed: 1, level: 0.9 }).plot).toBe('plotREsim(REsim(fit, n.sims = 1000, seed = 1), level = 0.9)');
    const lines = reSimCsv(m).trim().split('\n');
    expect(lines[0]).toBe('groupFctr,groupID,term,mean,median,sd,ymin,ymax,sig');
    expect(lines).toHaveLength(37);
    expect(lines[1]!.split(',').slice(0, 5)).toEqual(['Subject', m.re[0]!.groupID, '(Intercept)', String(m.re[0]!.mean), String(m.re[0]!.median)]);
    expect(feSimCsv(m).split('\n')[0]).toBe('term,mean,median,sd');
  });

  test("predictInterval of the CSV box's rows: the library's numbers and printout; the box is the data's first rows; a new level's note", async () => {
    const head = newdataHead(lm, sleep);
    expect(head.split('\n')[0]).toBe('Days,Subject');
    expect(head.trim().split('\n')).toHaveLength(7);
    const box = `${head.trim()}\n4,999\n`;
    const req = predictIntervalRequest(fields({ piNewdata: box, piNsims: '400', piLevel: '0.9', piSeed: '3' }), false);
    expect(req).toMatchObject({ kind: 'predict', rows: 'edit', which: 'full', level: 0.9, nsims: 400, seed: 3, type: 'linear.prediction', includeResidVar: true });
    const m = await runMerSim(slm, sleep, req, {}) as PiMsg;
    const nd = readCsv(box, { factors: ['Subject'] }).table;
    const lib = lm.predictIntervalSim(nd, { level: 0.9, nsims: 400, seed: 3 });
    expect(m.fit).toEqual([...lib.fit]);
    expect(m.upr).toEqual([...lib.upr]);
    expect(m.lwr).toEqual([...lib.lwr]);
    expect(m.text).toBe(printSimTable(predictIntervalTable(lib)));
    expect(m.columns).toEqual(['Days', 'Subject']);
    expect(m.cells[6]).toEqual(['4', '999']);
    expect(m.messages).toEqual(lib.messages);
    expect(m.messages.join(' ')).toMatch(/level of 'Subject' not in the fit/);
    expect(predictIntervalCall(req)).toBe('predictInterval(fit, newdata = nd, level = 0.9, n.sims = 400, seed = 3)');
    const csv = predictIntervalCsv(m).trim().split('\n');
    expect(csv[0]).toBe('row,Days,Subject,fit,upr,lwr');
    expect(csv[7]).toBe(`7,4,999,${m.fit[6]},${m.upr[6]},${m.lwr[6]}`);
  });

  test("predictInterval of the data's rows, which fixed, no residual; glmer's probability", async () => {
    const req = predictIntervalRequest(fields({ piRows: 'data', piWhich: 'fixed', piResid: false, piNsims: '100' }), false);
    const m = await runMerSim(slm, sleep, req, {}) as PiMsg;
    const lib = lm.predictIntervalSim(sleep, { which: 'fixed', includeResidVar: false, nsims: 100 });
    expect(m.fit).toEqual([...lib.fit]);
    expect(m.fit).toHaveLength(180);
    expect(m.columns).toEqual(['Days', 'Subject']);
    expect(predictIntervalCall(req)).toBe('predictInterval(fit, which = "fixed", n.sims = 100, include.resid.var = FALSE, seed = 1)');
    const g = predictIntervalRequest(fields({ piNewdata: newdataHead(gm, cbpp), piType: 'probability', piNsims: '200' }), true);
    const gmsg = await runMerSim(sgm, cbpp, g, {}) as PiMsg;
    const nd = readCsv(newdataHead(gm, cbpp), { factors: ['herd', 'period'] }).table;
    const glib = gm.predictIntervalSim(nd, { type: 'probability', nsims: 200 });
    expect(gmsg.fit).toEqual([...glib.fit]);
    expect(gmsg.fit.every((p) => p > 0 && p < 1)).toBe(true);
    expect(predictIntervalCall(g)).toBe('predictInterval(fit, newdata = nd, n.sims = 200, type = "probability", seed = 1)');
  });

  test('Cancel: the run rejects with the library\'s AbortError between chunks of draws', async () => {
    const ac = new AbortController();
    let reports = 0;
    const run = runMerSim(slm, sleep, reSimRequest(fields({ reNsims: '5000' })), { signal: ac.signal, onProgress: () => { if (++reports === 2) ac.abort(); } });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(reports).toBe(2);
    const ac2 = new AbortController();
    ac2.abort();
    await expect(runMerSim(slm, sleep, predictIntervalRequest(fields({ piRows: 'data' }), false), { signal: ac2.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  test("bad fields are named: the page's checks, and the library's refusals (merSimFieldOf)", async () => {
    const refuse = (fn: () => unknown) => { try { fn(); } catch (e) { expect(e).toBeInstanceOf(MerSimFieldError); return [(e as MerSimFieldError).field, (e as Error).message]; } throw new Error('not refused'); };
    expect(refuse(() => reSimRequest(fields({ reNsims: '1' })))).toEqual(['nsims', "n.sims: a whole number of draws from 2 to 100,000, not '1'"]);
    expect(refuse(() => reSimRequest(fields({ reNsims: '2.5' })))[0]).toBe('nsims');
    expect(refuse(() => reSimRequest(fields({ reSeed: 'x' })))).toEqual(['seed', "seed: a whole number, not 'x'"]);
    expect(refuse(() => reSimRequest(fields({ reLevel: '95' })))).toEqual(['level', "level: a number between 0 and 1 (exclusive), e.g. 0.95, not '95'"]);
    expect(refuse(() => predictIntervalRequest(fields({ piLevel: '', piNewdata: 'a\n1' }), false))[0]).toBe('level');
    expect(refuse(() => predictIntervalRequest(fields({ piWhich: 'all', piNewdata: 'a\n1' }), false))[0]).toBe('which');
    expect(refuse(() => predictIntervalRequest(fields({ piType: 'probability', piNewdata: 'a\n1' }), false))).toEqual(['type', "type: 'probability' is for glmer fits (the inverse link of the linear predictor); an lmer fit's predictions are 'linear.prediction'"]);
    expect(refuse(() => predictIntervalRequest(fields({ piNewdata: 'Days,Subject\n' }), false))[0]).toBe('newdata');
    // the data's rows need no box
    expect(predictIntervalRequest(fields({ piRows: 'data', piNewdata: '' }), false).newdata).toBe('');
    // the library's refusals, named by the worker
    const libraryRefusal = async (r: MerSimRequest, stored = slm): Promise<[string | null, string]> => {
      try { await runMerSim(stored, sleep, r, {}); } catch (e) { const f = merSimFieldOf(e, r); return [f, merSimErrorText((e as Error).message, f)]; }
      throw new Error('not refused');
    };
    const missing = await libraryRefusal(predictIntervalRequest(fields({ piNewdata: 'Subject\n308\n' }), false));
    expect(missing[0]).toBe('newdata');
    expect(missing[1]).toMatch(/^newdata: .*Days/);
    const kind = await libraryRefusal(predictIntervalRequest(fields({ piNewdata: 'Days,Subject\nx,308\n' }), false));
    expect(kind[0]).toBe('newdata');
    expect(merSimFieldOf(new MerSimRunError('rows', 'no data'), { kind: 'resim', nsims: 2, seed: 1, level: 0.9 })).toBe('rows');
    // rows × n.sims beyond what the page keeps: the n.sims field, before any draw
    const big = await libraryRefusal(predictIntervalRequest(fields({ piRows: 'data', piNsims: '100000' }), false));
    expect(big[0]).toBe('nsims');
    expect(big[1]).toMatch(/^n\.sims: 180 rows × 100,000 draws keep 412 MB of draws in the page, more than its 381 MB: take fewer draws or fewer rows/);
    expect(MAX_DRAW_VALUES).toBe(5e7);
    // a fit no longer kept; a fit of another kind
    await expect(runMerSim(undefined, sleep, reSimRequest(fields({})))).rejects.toThrow(/no longer kept/);
  });

  test("the card's replies go through the page's ledger; the card in the address (mersim=1&…), defaults and bad values left out", () => {
    expect(cardReply('merSimProgress')).toBe('progress');
    expect(cardReply('merSimDone')).toBe('final');
    expect(cardReply('merSimError')).toBe('final');
    const s = merSimUrlOf(fields({ reNsims: '500', reSeed: '2', reLevel: '0.9', piWhich: 'random', piLevel: '0.95', piNsims: '300', piSeed: '4', piType: 'probability', piResid: false, piRows: 'data' }));
    expect(s).toEqual({ reNsims: 500, reSeed: 2, reLevel: 0.9, piWhich: 'random', piLevel: 0.95, piNsims: 300, piSeed: 4, piType: 'probability', piNoResid: true, piRows: 'data' });
    const text = writeUrlState({ example: 'sleepstudy', mersim: s });
    expect(text).toBe('?example=sleepstudy&mersim=1&msn=500&mss=2&msl=0.9&mpw=random&mpl=0.95&mpn=300&mps=4&mpt=probability&mpr=0&mpd=data');
    expect(readUrlState(text).mersim).toEqual(s);
    expect(writeUrlState({ mersim: merSimUrlOf(fields({})) })).toBe('?mersim=1');
    expect(readUrlState('?mersim=1&msn=1&mss=x&msl=2&mpw=all&mpt=link&mpd=box').mersim).toEqual({});
    expect(readUrlState('?msn=500').mersim).toBeUndefined();
  });
});
