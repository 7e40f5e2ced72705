/**
 * `mixedgpu clmm FILE FORMULA [--link logit] [--threshold flexible] [--nagq 1] [--levels a,b,c]
 * [--factors a,b] [--weights COL] [--json]`: a cumulative link mixed model (ordinal's clmm, src/ordinal) on the
 * CPU; prints ordinal's summary(clmm), or the fit's JSON. With `--emmeans SPECS [--mode prob] [--by B]
 * [--at …] [--emm-weights …] [--rescale 0,1] [--type response] [--level 0.95] [--contrast pairwise]
 * [--ref LEVEL] [--adjust METHOD]`: the fit's estimated marginal means (emmeans on clmm,
 * src/ordinal/emmeans.ts) and their contrasts instead, as `mixedgpu emmeans` prints them.
 */
import { basename, extname } from 'node:path';
import { type CliIO, CliError, errorMessage } from './fitCommand.js';
import { readTableFileAsync } from '../io/node.js';
import { clmm } from '../ordinal/clmm.js';
import type { ClmmLink } from '../ordinal/links.js';
import type { ClmmThreshold } from '../ordinal/thresholds.js';
import type { ClmmFit } from '../ordinal/clmmFit.js';
import { CLMM_EMM_MODES, type ClmmEmmMode } from '../ordinal/emmBasis.js';
import type { ClmmEmmeansOptions } from '../ordinal/emmeans.js';
import { printEmmGrid, sharedEmmOptions } from './emmeansOutput.js';

export interface ClmmArgs {
  file?: string;
  formula?: string;
  link?: string;
  threshold?: string;
  nagq?: string;
  levels?: string;
  factors?: string;
  weights?: string;
  backend?: string;
  json?: boolean;
  quiet?: boolean;
  /** the means' specs ('~ temp', '~ rating | temp', temp,contact): print emmeans instead of the summary */
  emmeans?: string;
  mode?: string;
  by?: string;
  at?: string;
  emmWeights?: string;
  rescale?: string;
  type?: string;
  level?: string;
  contrast?: string;
  ref?: string;
  adjust?: string;
}

const EMM_ONLY = ['mode', 'by', 'at', 'emmWeights', 'rescale', 'type', 'level', 'contrast', 'ref', 'adjust'] as const;
const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

const list = (s: string | undefined) => (s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter((x) => x.length > 0));

/** Runs `mixedgpu clmm`; returns the exit code. */
export async function runClmm(args: ClmmArgs, io: CliIO): Promise<number> {
  try {
    if (!args.file) throw new CliError('missing data file');
    if (!args.formula || !args.formula.trim()) throw new CliError('missing model formula');
    if (args.emmeans === undefined) {
      const stray = EMM_ONLY.find((k) => args[k] !== undefined);
      if (stray) throw new CliError(`${flag(stray)} is an option of the means: give --emmeans SPECS (e.g. --emmeans '~ rating | temp' --mode prob)`);
    }
    const emm = args.emmeans === undefined ? null : emmOptions(args);
    const nAGQ = args.nagq === undefined ? undefined : Number(args.nagq);
    if (nAGQ !== undefined && !(Number.isInteger(nAGQ) && nAGQ >= 1 && nAGQ <= 25)) throw new CliError(`--nagq must be a whole number from 1 to 25, got '${args.nagq}'`);
    const factors = list(args.factors);
    const { table } = await readTableFileAsync(args.file, factors ? { factors } : {});
    const fit = await clmm(args.formula, table, {
      ...(args.link !== undefined ? { link: args.link as ClmmLink } : {}),
      ...(args.threshold !== undefined ? { threshold: args.threshold as ClmmThreshold } : {}),
      ...(nAGQ !== undefined ? { nAGQ } : {}),
      ...(args.levels !== undefined ? { levels: list(args.levels) } : {}),
      ...(factors ? { factors } : {}),
      ...(args.weights !== undefined ? { weights: args.weights } : {}),
      ...(args.backend !== undefined ? { backend: args.backend as 'cpu' } : {}),
      dataName: basename(args.file, extname(args.file)),
    });
    if (!args.quiet && !args.json) for (const m of fit.messages) io.stderr(`mixedgpu: note: ${m}\n`);
    if (emm) {
      printMeans(fit, args, emm, io);
      return 0;
    }
    io.stdout(args.json ? `${JSON.stringify(fit.toJSON(), null, 2)}\n` : fit.summary());
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}

/** --emmeans's options, checked before the fit */
function emmOptions(args: ClmmArgs): { specs: string | string[]; options: ClmmEmmeansOptions } {
  if (args.mode !== undefined && !(CLMM_EMM_MODES as readonly string[]).includes(args.mode)) throw new CliError(`--mode must be one of ${CLMM_EMM_MODES.join(', ')}, got '${args.mode}'`);
  let rescale: [number, number] | undefined;
  if (args.rescale !== undefined) {
    const v = args.rescale.split(',').map((x) => Number(x.trim()));
    if (v.length !== 2 || !v.every(Number.isFinite)) throw new CliError(`--rescale must be two numbers SHIFT,SCALE (e.g. 0,1), got '${args.rescale}'`);
    rescale = [v[0], v[1]];
  }
  const { specs, options } = sharedEmmOptions(args);
  return {
    specs,
    options: {
      ...(args.mode !== undefined ? { mode: args.mode as ClmmEmmMode } : {}),
      ...options,
      ...(rescale ? { rescale } : {}),
      ...(args.type !== undefined ? { type: args.type as 'link' | 'response' } : {}),
    },
  };
}

/** the means and their contrasts, as `mixedgpu emmeans` prints them (or their JSON) */
function printMeans(fit: ClmmFit, args: ClmmArgs, emm: { specs: string | string[]; options: ClmmEmmeansOptions }, io: CliIO): void {
  const grid = fit.emmeans(emm.specs, emm.options);
  printEmmGrid(grid, args, io);
}
