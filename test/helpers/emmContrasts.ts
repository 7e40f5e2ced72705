/**
 * The contrast checks test/clmmEmmeans.test.ts and test/zeroinflEmmeans.test.ts make of an emmeans grid
 * against emmeans 1.8.4's fixtures (the same layout from both oracle scripts): each contrast family's rows,
 * `by` columns, estimates (or ratios and their back-transformed intervals), SEs, df, interval ends, the
 * z/t ratio (relative to 1), p-values, notes and, where `printed`, the printout line for line. Each test
 * file passes its own comparison (`close`, with its NA rule and worst-difference record) and notes filter.
 */
import { expect } from 'vitest';
import type { EmmGrid } from '../../src/inference/emmeans.js';

export type Cell = string | number | null;
export interface EmmTable { columns: string[]; rows: Cell[][]; mesg: string[] | string }
export interface EmmContrastRef { args: { method: string; by?: string; adjust?: string }; result: EmmTable; printed: string }
export type Close = (ours: number, theirs: Cell, tol: number, what: string, kind: 'p' | 'value', scale?: number) => void;

const list = (x: string[] | string) => (Array.isArray(x) ? x : [x]);

export function expectEmmContrasts(
  g: EmmGrid, contrasts: EmmContrastRef[], name: string,
  { est: etol, tol, p: ptol, printed }: { est: number; tol: number; p: number; printed?: boolean },
  close: Close, notes: (m: string[]) => string[],
): void {
  for (const k of contrasts) {
    const what = `${name} ${k.args.method}${k.args.by ? ` by ${k.args.by}` : ''}${k.args.adjust ? ` ${k.args.adjust}` : ''}`;
    const res = g.contrast(k.args.method as 'pairwise', { ...(k.args.by ? { by: k.args.by } : {}), ...(k.args.adjust ? { adjust: k.args.adjust as 'holm' } : {}) });
    expect(res.rows.length, what).toBe(k.result.rows.length);
    const nb = res.by.length;
    expect(res.by, what).toEqual(k.result.columns.slice(1, 1 + nb));
    res.rows.forEach((r, i) => {
      const exp = k.result.rows[i];
      expect(r.contrast, what).toBe(exp[0]);
      res.by.forEach((b, j) => expect(String(r.by[b])).toBe(String(exp[1 + j])));
      const ratio = res.ratioLabel !== null;
      const ours = ratio ? [r.response!, r.responseSE!, r.df, r.responseLower!, r.responseUpper!, 1, r.ratio, r.p] : [r.estimate, r.SE, r.df, r.lower, r.upper, r.ratio, r.p];
      const se = ratio ? r.responseSE! : r.SE;
      ours.forEach((v, kk) => {
        const isP = kk === ours.length - 1;
        // the z or t ratio relative to 1; SE and ratio estimates relative to themselves
        const scale = kk === ours.length - 2 ? 1 : kk === 1 ? 0 : se;
        close(v, exp[1 + nb + kk], isP ? ptol : kk === 0 ? etol : tol, `${what} ${r.contrast} ${k.result.columns[1 + nb + kk]}`, isP ? 'p' : 'value', scale);
      });
    });
    if (res.ratioLabel) expect(k.result.columns).toContain(res.ratioLabel);
    expect(notes(res.messages), what).toEqual(notes(list(k.result.mesg)));
    if (printed) expect(res.toString().split('\n'), `${what}: print(contrast)`).toEqual(`${k.printed}\n`.split('\n'));
  }
}
