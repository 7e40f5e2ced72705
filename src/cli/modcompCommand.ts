/**
 * `mixedgpu modcomp FILE LARGE SMALL [--method kr|sat|pb] [--nsim N] [--seed S] [--summary] [--json]`:
 * pbkrtest's KRmodcomp (default), SATmodcomp or PBmodcomp of two nested lmer fits of one data file
 * (src/inference/modcomp.ts, pbModcomp.ts). SMALL is the small model's formula or, where it has no
 * `~`, a restriction matrix L: rows of the large model's fixed effects separated by `;`, entries by
 * commas or spaces (`'0 0 1 0; 0 0 0 1'`; KR and SAT only). Text: pbkrtest's print (with --summary:
 * its summary, KR's both rows and PB's Gamma, Bartlett and F); JSON: every number.
 */
import { type CliIO, CliError, type FitArgs, errorMessage, fitFromArgs } from './fitCommand.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import { GlmmFit } from '../glmm/glmmFit.js';
import { type KrModcomp, type SatModcomp, krModcomp, satModcomp } from '../inference/modcomp.js';
import { type PbModcomp, pbModcomp } from '../inference/pbModcomp.js';
import { printKrModcomp, printPbModcomp, printSatModcomp } from '../inference/format.js';

export interface ModcompArgs extends Omit<FitArgs, 'formula' | 'ddf'> {
  large: string;
  small: string;
  /** kr (default), sat or pb */
  method?: string;
  nsim?: string | number;
  seed?: string | number;
  /** pbkrtest's summary layout instead of its print */
  summary?: boolean;
}

/** SMALL as a restriction matrix: rows separated by ';', entries by commas or spaces; null where it is a formula */
export function parseRestriction(text: string): number[][] | null {
  if (text.includes('~')) return null;
  const rows = text.split(';').map((r) => r.trim()).filter((r) => r !== '').map((r) => r.split(/[\s,]+/).filter((v) => v !== ''));
  if (rows.length === 0) throw new CliError(`SMALL must be the small model's formula or a restriction matrix ('0 1 0; 0 0 1'), got '${text}'`);
  return rows.map((r, i) => r.map((v, j) => {
    const x = Number(v);
    if (!Number.isFinite(x)) throw new CliError(`the restriction matrix's entry [${i + 1}, ${j + 1}] is '${v}', not a number`);
    return x;
  }));
}

function wholeNumber(v: string | number | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const x = typeof v === 'number' ? v : Number(String(v).trim());
  if (!(Number.isInteger(x) && x >= min)) throw new CliError(`--${name} must be a whole number${min > -Infinity ? ` ≥ ${min}` : ''}, got '${v}'`);
  return x;
}

const num = (v: number | null) => (v === null || Number.isNaN(v) ? null : v);

/** the JSON of a comparison: pbkrtest's numbers under its names */
export function modcompJson(method: 'kr' | 'sat' | 'pb', r: KrModcomp | SatModcomp | PbModcomp): object {
  if (method === 'kr') {
    const k = r as KrModcomp;
    return {
      method: 'KRmodcomp', large: k.large, small: k.small, L: k.L, swapped: k.swapped,
      Ftest: { stat: k.Ftest.stat, ndf: k.Ftest.ndf, ddf: k.Ftest.ddf, F_scaling: k.Ftest.Fscaling, p_value: k.Ftest.p },
      FtestU: { stat: k.FtestU.stat, ndf: k.FtestU.ndf, ddf: k.FtestU.ddf, p_value: k.FtestU.p },
      aux: k.aux, messages: k.messages,
    };
  }
  if (method === 'sat') {
    const s = r as SatModcomp;
    return { method: 'SATmodcomp', large: s.large, small: s.small, L: s.L, swapped: s.swapped, test: { statistic: s.test.stat, ndf: s.test.ndf, ddf: s.test.ddf, p_value: s.test.p }, messages: s.messages };
  }
  const b = r as PbModcomp;
  return {
    method: 'PBmodcomp', large: b.large, small: b.small, nsim: b.nsim, seed: b.seed,
    test: b.summary.rows.map((row) => ({ name: row.name, stat: row.stat, df: row.df, ddf: num(row.ddf), p_value: num(row.p) })),
    moment: b.summary.moment, samples: b.summary.samples, n_extreme: b.summary.nExtreme, gamma: b.summary.gamma,
    se: b.summary.se, ci: b.summary.ci, failed: b.failed, ref: Array.from(b.ref, (t) => num(t)), time_ms: b.timeMs, messages: b.messages,
  };
}

/** Runs `mixedgpu modcomp`; returns the exit code. */
export async function runModcomp(args: ModcompArgs, io: CliIO): Promise<number> {
  try {
    const method = (args.method ?? 'kr').toLowerCase();
    if (method !== 'kr' && method !== 'sat' && method !== 'pb') throw new CliError(`unknown --method '${args.method}' (choose kr, sat or pb)`);
    if (method !== 'pb' && (args.nsim !== undefined || args.seed !== undefined)) throw new CliError('--nsim and --seed are for --method pb (the parametric bootstrap)');
    const nsim = wholeNumber(args.nsim, 'nsim', 2);
    const seed = wholeNumber(args.seed, 'seed', -Infinity);
    if (!args.large || !args.small) throw new CliError('modcomp needs the large model\'s formula and the small model\'s (or a restriction matrix)');
    const L = parseRestriction(args.small);
    if (L && method === 'pb') throw new CliError("--method pb needs the small model's formula: a restriction matrix is refused (pbkrtest 0.5.2's restriction_matrix2model fails on it, so there is no reference to match)");
    const { large: largeFormula, small: smallFormula, method: _m, nsim: _n, seed: _s, summary: _u, ...fitArgs } = args;
    if (fitArgs.family !== undefined) throw new CliError("modcomp is pbkrtest's for lmer fits: --family (a glmer fit) is not available");
    const first = await fitFromArgs({ ...fitArgs, formula: largeFormula }, io);
    const large = first.fit as LmmFit;
    if (large instanceof GlmmFit) throw new CliError('modcomp is for lmer fits');
    const small = L ?? ((await fitFromArgs({ ...fitArgs, formula: smallFormula }, io, first.table)).fit as LmmFit);
    let res: KrModcomp | SatModcomp | PbModcomp;
    if (method === 'pb') {
      const showProgress = !args.quiet && io.stderrIsTTY === true;
      res = await pbModcomp(large, small as LmmFit, {
        nsim, seed,
        onProgress: showProgress ? (p) => io.stderr(`\r\x1b[KPBmodcomp: ${p.done}/${p.nsim} simulations`) : undefined,
      });
      if (showProgress) io.stderr('\r\x1b[K');
    } else {
      res = await (method === 'kr' ? krModcomp(large, small) : satModcomp(large, small));
    }
    if (!args.quiet) for (const m of res.messages) io.stderr(`mixedgpu: note: ${m}\n`);
    if (args.json) {
      io.stdout(`${JSON.stringify(modcompJson(method, res), null, 2)}\n`);
      return 0;
    }
    const lines = method === 'kr' ? printKrModcomp(res as KrModcomp, { summary: args.summary })
      : method === 'sat' ? printSatModcomp(res as SatModcomp)
        : printPbModcomp(res as PbModcomp, { summary: args.summary });
    io.stdout(`${lines.join('\n')}\n`);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
