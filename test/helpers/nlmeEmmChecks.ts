/**
 * The emmeans checks of nlme and glmmPQL fits (test/nlmeAnova.test.ts, test/nlmeEmmeansResponse.test.ts)
 * against emmeans 1.8.4's records (as.data.frame(summary(e)) and print(e), written by
 * test/oracle/nlme_anova.R and nlme_emmeans_response.R): the means (emmean, or on the response scale prob,
 * rate or response), their SEs, df and interval ends, or the contrasts (estimate, or ratio and odds.ratio),
 * SEs, df, t or z ratios and p-values, and the printout line for line.
 * Tolerances (the fits agree with nlme's tight-control fits to ~1e-5 relative in β and SE): the numbers
 * 1e-4 relative; df exactly, or 1e-3 relative for Satterthwaite's (nlme's apVar from fdHess against
 * ours by Richardson's extrapolation); p-values 1e-3 relative (or 1e-8 absolute); the printout exactly.
 */
import { expect } from 'vitest';
import type { EmmGrid } from '../../src/inference/emmeans.js';
import { expectRel } from './nlmeChecks.js';

/**
 * one emmeans call: its specs and options as ours takes them, and whether its record is pairs() of the grid
 * (true; 'reverse': pairs(reverse = TRUE); another string: contrast(grid, method))
 */
export interface NlmeEmmCall { specs: string; options?: Record<string, unknown>; pairs?: boolean | string }

/** one record: summary()'s rows and print()'s lines */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface NlmeEmmRecord { table: Record<string, any>[]; print: string[] }

export function expectNlmeEmm(g: EmmGrid, call: NlmeEmmCall, e: NlmeEmmRecord, what: string): void {
  const sat = g.ddf === 'satterthwaite' || g.ddf === 'inherited from satterthwaite when re-gridding';
  const dfTol = (ours: number, theirs: number | string | null, w: string) => {
    if (theirs === null || theirs === undefined || theirs === 'Inf') expect(ours, w).toBe(Infinity);
    else if (sat) expectRel(ours, theirs as number, 1e-3, w);
    else expect(ours, w).toBe(theirs);
  };
  if (call.pairs) {
    const c = call.pairs === true ? g.pairs() : call.pairs === 'reverse' ? g.pairs({ reverse: true }) : g.contrast(call.pairs as 'pairwise');
    expect(c.rows.length, what).toBe(e.table.length);
    const ratio = c.ratioLabel;
    // a ratio table's columns are the back-transformed ones (emmeans's ratio or odds.ratio), and null = 1
    expect(Object.keys(e.table[0]), `${what}: columns`).toContain(ratio ?? 'estimate');
    c.rows.forEach((r, i) => {
      const R = e.table[i];
      expect(r.contrast, what).toBe(R.contrast);
      expectRel(ratio ? r.response! : r.estimate, R[ratio ?? 'estimate'], 1e-4, `${what}: ${ratio ?? 'estimate'}`);
      expectRel(ratio ? r.responseSE! : r.SE, R.SE, 1e-4, `${what}: SE`);
      dfTol(r.df, R.df, `${what}: df`);
      if (ratio) expect(R.null, what).toBe(1);
      expectRel(r.ratio, R['t.ratio'] ?? R['z.ratio'], 1e-4, `${what}: t ratio`);
      expectRel(r.p, R['p.value'], 1e-3, `${what}: p value`, 1e-8);
    });
    expect(c.toString().split('\n'), `${what}: printout`).toEqual([...e.print, '']);
  } else {
    expect(g.rows.length, what).toBe(e.table.length);
    const resp = g.backTransformed;
    const est = resp ? g.responseLabel : g.estimateName;
    expect(Object.keys(e.table[0]), `${what}: columns`).toContain(est);
    g.rows.forEach((r, i) => {
      const R = e.table[i];
      expectRel(resp ? r.response! : r.emmean, R[est], 1e-4, `${what}: ${est}`);
      expectRel(resp ? r.responseSE! : r.SE, R.SE, 1e-4, `${what}: SE`);
      dfTol(r.df, R.df, `${what}: df`);
      expectRel(resp ? r.responseLower! : r.lower, R['lower.CL'] ?? R['asymp.LCL'], 1e-4, `${what}: lower`);
      expectRel(resp ? r.responseUpper! : r.upper, R['upper.CL'] ?? R['asymp.UCL'], 1e-4, `${what}: upper`);
    });
    expect(g.toString().split('\n'), `${what}: printout`).toEqual([...e.print, '']);
  }
}
