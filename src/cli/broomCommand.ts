/**
 * `mixedgpu fit FILE FORMULA --tidy [effects] --glance --augment OUT.csv`: broom.mixed's tables of the
 * fit (src/broom) instead of its summary: tidy's and glance's as CSV on stdout (R's write.csv text;
 * tidy first, then a blank line, then glance), or one JSON object { tidy, glance } with --json;
 * augment's rows written to a new CSV file (never overwritten). Options of tidy: --conf-int [method]
 * (Wald, profile or boot), --conf-level, --scales, --ran-prefix, --exponentiate, --nsim and --seed (boot),
 * and the fit command's --ddf (lmerTest's df and p-values).
 */
import { existsSync, writeFileSync } from 'node:fs';
import type * as arrow from 'apache-arrow';
import { TIDY_CONF_METHODS, TIDY_EFFECTS, type TidyConfMethod, type TidyEffect, type TidyOptions, tidy } from '../broom/tidy.js';
import { glance } from '../broom/glance.js';
import { augment } from '../broom/augment.js';
import { tidyCsv, tidyJson } from '../broom/table.js';
import type { CliFit, CliIO } from './fitCommand.js';
import { CliError } from './fitCommand.js';

/** The fit command's arguments for broom.mixed's tables. */
export interface BroomArgs {
  /** tidy's effects, comma-separated (true: broom.mixed's default, ran_pars and fixed) */
  tidy?: string | boolean;
  glance?: boolean;
  /** the CSV file augment's rows are written to */
  augment?: string;
  /** tidy's conf.int: true (Wald) or the method */
  confInt?: string | boolean;
  confLevel?: string;
  scales?: string;
  ranPrefix?: string;
  exponentiate?: boolean;
  nsim?: string | number;
  seed?: string | number;
  ddf?: string;
  json?: boolean;
  quiet?: boolean;
}

/** whether the arguments ask for any of broom.mixed's tables */
export function wantsBroom(args: BroomArgs): boolean {
  return args.tidy !== undefined || args.glance === true || args.augment !== undefined;
}

/** the tidy options of the arguments, checked before the fit (a usage error names the option) */
export function broomTidyOptions(args: BroomArgs): TidyOptions | null {
  const tidyOnly = (['confInt', 'confLevel', 'scales', 'ranPrefix', 'exponentiate', 'nsim', 'seed'] as const).filter((k) => args[k] !== undefined && args[k] !== false);
  if (args.tidy === undefined) {
    if (tidyOnly.length) throw new CliError(`${tidyOnly.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} ${tidyOnly.length > 1 ? 'are' : 'is'} for --tidy: give --tidy too`);
    return null;
  }
  const o: TidyOptions = {};
  if (typeof args.tidy === 'string') {
    const effects = args.tidy.split(',').map((e) => e.trim()).filter((e) => e.length > 0);
    for (const e of effects) if (!(TIDY_EFFECTS as readonly string[]).includes(e)) throw new CliError(`--tidy: unknown effect '${e}' (choose from ${TIDY_EFFECTS.join(', ')}, comma-separated)`);
    if (effects.length === 0) throw new CliError(`--tidy takes effects from ${TIDY_EFFECTS.join(', ')}, comma-separated (or none: ran_pars,fixed)`);
    o.effects = effects as TidyEffect[];
  }
  if (args.confInt !== undefined && args.confInt !== false) {
    o.confInt = true;
    if (typeof args.confInt === 'string') {
      const m = TIDY_CONF_METHODS.find((x) => x.toLowerCase() === (args.confInt as string).toLowerCase());
      if (!m) throw new CliError(`--conf-int: unknown method '${args.confInt}' (choose ${TIDY_CONF_METHODS.join(', ')})`);
      o.confMethod = m as TidyConfMethod;
    }
  }
  if (args.confLevel !== undefined) {
    const level = Number(args.confLevel);
    if (!(level > 0 && level < 1) || args.confLevel.trim() === '') throw new CliError(`--conf-level must be a number between 0 and 1 (such as 0.95), got '${args.confLevel}'`);
    o.confInt = true;
    o.confLevel = level;
  }
  if (args.scales !== undefined) {
    if (args.scales !== 'sdcor' && args.scales !== 'vcov') throw new CliError(`--scales must be sdcor or vcov, got '${args.scales}'`);
    o.scales = args.scales;
  }
  if (args.ranPrefix !== undefined) {
    const p = args.ranPrefix.split(',').map((s) => s.trim());
    if (args.ranPrefix.trim().toUpperCase() === 'NA') o.ranPrefix = null;
    else if (p.length !== 2 || p.some((s) => !s)) throw new CliError(`--ran-prefix takes two prefixes, for one variable and for two (e.g. sd,cor), or NA for none; got '${args.ranPrefix}'`);
    else o.ranPrefix = [p[0], p[1]];
  }
  if (args.exponentiate) o.exponentiate = true;
  if (args.nsim !== undefined || args.seed !== undefined) {
    if (o.confMethod !== 'boot') throw new CliError('--nsim and --seed are for the bootstrap\'s intervals: give --conf-int boot');
    const int = (v: string | number | undefined, name: string, lo: number) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!/^\d+$/.test(String(v).trim()) || n < lo) throw new CliError(`${name} must be a whole number ≥ ${lo}, got '${v}'`);
      return n;
    };
    o.boot = { nsim: int(args.nsim, '--nsim', 1), seed: int(args.seed, '--seed', 0) };
  }
  if (args.ddf !== undefined) o.ddf = args.ddf;
  return o;
}

/** tidy's and glance's tables on stdout, augment's written to its file; returns the exit code. */
export async function printBroom(fit: CliFit, args: BroomArgs, io: CliIO, data: arrow.Table | undefined): Promise<number> {
  const tidyOptions = broomTidyOptions(args);
  if (args.augment !== undefined) {
    if (!args.augment.trim()) throw new CliError('--augment needs a file name (the CSV it writes)');
    if (existsSync(args.augment)) throw new CliError(`--augment: ${args.augment} exists (not overwritten)`);
  }
  const out: Record<string, unknown> = {};
  const texts: string[] = [];
  const messages: string[] = [];
  if (tidyOptions) {
    const t = await tidy(fit, tidyOptions);
    messages.push(...t.messages);
    out.tidy = tidyJson(t);
    texts.push(tidyCsv(t));
  }
  if (args.glance) {
    const g = glance(fit);
    out.glance = tidyJson(g);
    texts.push(tidyCsv(g));
  }
  if (args.augment !== undefined) {
    const a = augment(fit, { data });
    // 'wx': a file that appeared since the check is not overwritten either
    writeFileSync(args.augment, tidyCsv(a), { flag: 'wx' });
    if (!args.quiet) io.stderr(`mixedgpu: note: wrote ${a.rows.length} rows with ${a.columns.filter((c) => c.startsWith('.')).join(', ')} to ${args.augment}\n`);
  }
  if (!args.quiet) for (const m of new Set(messages)) io.stderr(`mixedgpu: warning: ${m}\n`);
  if (args.json) {
    if (Object.keys(out).length) io.stdout(`${JSON.stringify({ ...out, messages }, null, 2)}\n`);
  } else if (texts.length) {
    io.stdout(texts.join('\n'));
  }
  return 0;
}
