/**
 * afex 1.2-1's printout of a mixed() result (`print.mixed` → `nice.mixed` → `print.nice_table`):
 *  - df: KR, S and nested-KR "num, den", each a whole number when within √ε of one, else formatC(…, 2, "f");
 *    LRT and PB the χ² df; nested-KR's F.scaling is not printed (nice.mixed's test for it,
 *    `"F.scaling" %in% anova_table`, looks for the name among the table's values, never true);
 *  - F or Chisq: formatC(x, digits = 2, format = "f") with afex's significance symbol appended
 *    (" +" p < .1, " *" < .05, " **" < .01, " ***" < .001; `make.stat`), PB by its bootstrap p;
 *  - p.value: afex_options("round_ps"): "<.001", ">.999" where round(p, 3) is 1, else formatC(p, 3, "f")
 *    without its leading 0;
 *  - R's print.data.frame of the character table (row numbers, columns right-justified), after the
 *    heading, then the legend of the symbols.
 */
import { printMatrix } from '../results/rFormat.js';

/** the significance symbols afex appends (afex_options("sig_symbols")) */
export const SIG_SYMBOLS = [' +', ' *', ' **', ' ***'] as const;

/**
 * C's sprintf("%.df", x), as R's formatC(x, digits = d, format = "f"): the binary value rounded to
 * d decimals, an exact tie to the even digit (JavaScript's toFixed takes the larger one there).
 */
export function formatCFixed(x: number, d: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Inf' : '-Inf';
  const s = x.toFixed(d);
  // the exact decimal expansion of |x| (toFixed is exact; 70 more digits hold any double of the sizes printed here)
  const exact = Math.abs(x).toFixed(Math.min(100, d + 70));
  const [ip, fp = ''] = exact.split('.');
  if (/^50*$/.test(fp.slice(d))) {
    // an exact tie: keep the truncation where its last digit is even
    const truncated = d > 0 ? `${ip}.${fp.slice(0, d)}` : ip;
    const last = Number(truncated[truncated.length - 1]);
    if (last % 2 === 0) return (x < 0 ? '-' : '') + truncated;
  }
  return s;
}

/** afex_options("round_ps") of afex 1.2-1: p with 3 decimals and no leading 0; "<.001"; ">.999" */
export function roundPs(p: number | null): string {
  if (p === null || Number.isNaN(p)) return 'NA';
  const s = p < 0.001 ? ' <.001' : Math.round(p * 1000) / 1000 === 1 ? ' >.999' : formatCFixed(p, 3);
  // substr(…, 2, 7)
  return s.slice(1, 7);
}

/** afex's make.stat: the statistic with 2 decimals and the symbol of its p-value */
export function makeStat(stat: number, p: number | null): string {
  const x = formatCFixed(stat, 2);
  if (p === null || Number.isNaN(p)) return x;
  return p < 0.001 ? x + SIG_SYMBOLS[3] : p < 0.01 ? x + SIG_SYMBOLS[2] : p < 0.05 ? x + SIG_SYMBOLS[1] : p < 0.1 ? x + SIG_SYMBOLS[0] : x;
}

/** afex's is.wholenumber: within √ε of a whole number */
const isWhole = (x: number) => Math.abs(x - Math.round(x)) < Math.sqrt(Number.EPSILON);
const dfText = (x: number) => (isWhole(x) ? String(Math.round(x)) : formatCFixed(x, 2));

/** one row of the table as nice.mixed writes it */
export interface NiceRow {
  Effect: string;
  df: string;
  /** F for KR, S and nested-KR, Chisq for LRT and PB */
  stat: string;
  'p.value': string;
}

/** the rows afex's nice() needs of each effect */
export interface NiceInput {
  method: 'KR' | 'S' | 'LRT' | 'PB' | 'nested-KR';
  rows: { effect: string; numDf?: number; denDf?: number; F?: number; chiDf?: number; Chisq?: number; p: number | null; pPB?: number | null }[];
}

/** afex's nice(mixed): the character table (Effect, df, F or Chisq, p.value) */
export function niceMixed(x: NiceInput): { columns: [string, string, string, string]; rows: NiceRow[] } {
  if (x.method === 'KR' || x.method === 'S' || x.method === 'nested-KR') {
    return {
      columns: ['Effect', 'df', 'F', 'p.value'],
      rows: x.rows.map((r) => ({
        Effect: r.effect, df: `${dfText(r.numDf!)}, ${r.denDf === undefined || Number.isNaN(r.denDf) ? 'NA' : dfText(r.denDf)}`,
        stat: makeStat(r.F!, r.p), 'p.value': roundPs(r.p),
      })),
    };
  }
  // LRT: Chisq with its χ² p; PB: Chisq with the bootstrap's p (nice.mixed copies Pr(>PB) into Pr(>Chisq))
  return {
    columns: ['Effect', 'df', 'Chisq', 'p.value'],
    rows: x.rows.map((r) => {
      const p = x.method === 'PB' ? (r.pPB ?? null) : r.p;
      return { Effect: r.effect, df: String(r.chiDf), stat: makeStat(r.Chisq!, p), 'p.value': roundPs(p) };
    }),
  };
}

/** afex's print.mixed: the heading, the nice table as print.data.frame prints it, the legend */
export function printMixed(x: NiceInput & { heading: string[] }): string[] {
  const nice = niceMixed(x);
  const cols = [nice.rows.map((r) => r.Effect), nice.rows.map((r) => r.df), nice.rows.map((r) => r.stat), nice.rows.map((r) => r['p.value'])];
  // cat(heading, sep = "\n"): the first element ends with its own "\n" (a blank line)
  const heading = x.heading.join('\n').split('\n');
  return [
    ...heading,
    ...printMatrix(cols, nice.rows.map((_, i) => String(i + 1)), nice.columns, true),
    '---',
    `Signif. codes:  0 ‘***’ 0.001 ‘**’ 0.01 ‘*’ 0.05 ‘+’ 0.1 ‘ ’ 1`,
  ];
}
