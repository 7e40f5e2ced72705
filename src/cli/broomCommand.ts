/**
 * `mixedgpu fit FILE FORMULA --tidy [effects] --glance --augment OUT.csv`: broom.mixed's tables of the
 * fit (src/broom) instead of its summary: tidy's and glance's as CSV on stdout (R's write.csv text;
 * tidy first, then a blank line, then glance), or one JSON object { tidy, glance } with --json;
 * augment's rows written to a new CSV file (never overwritten). Options of tidy: --conf-int [method]
 * (Wald, profile or boot), --conf-level, --scales, --ran-prefix, --exponentiate, --nsim and --seed (boot),
 * and the fit command's --ddf (lmerTest's df and p-values). `mixedgpu zeroinfl ... --tidy --glance` (tidy.glmmTMB:
 * effects fixed, ran_pars, ran_vals; --component cond,zi; Wald intervals only) and `mixedgpu lme ... --tidy
 * --glance` (tidy.lme: effects var_model, ran_pars, fixed, ran_vals, ran_coefs; --conf-int, --conf-level,
 * --scales) print the same way (BroomKind).
 */
import { existsSync, writeFileSync } from 'node:fs';
import type * as arrow from 'apache-arrow';
import { TIDY_CONF_METHODS, TIDY_EFFECTS, type TidyConfMethod, type TidyEffect, type TidyOptions, tidy } from '../broom/tidy.js';
import { glance } from '../broom/glance.js';
import { TIDY_TMB_COMPONENTS, TIDY_TMB_EFFECTS, type TidyTmbComponent, type TidyTmbOptions } from '../broom/tidyTmb.js';
import { TIDY_LME_EFFECTS, type TidyLmeOptions } from '../broom/tidyLme.js';
import type { ZeroInflatedFit } from '../zeroinfl/zeroInflatedFit.js';
import type { LmeFit } from '../nlme/lmeFit.js';
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
  /** glmmTMB's components of tidy's rows (cond, zi; comma-separated) */
  component?: string;
}

/** which broom.mixed methods: tidy.merMod (`fit`), tidy.glmmTMB (`zeroinfl`), tidy.lme (`lme`) */
export type BroomKind = 'merMod' | 'glmmTMB' | 'lme';

/** whether the arguments ask for any of broom.mixed's tables */
export function wantsBroom(args: BroomArgs): boolean {
  return args.tidy !== undefined || args.glance === true || args.augment !== undefined;
}

/** the tidy options of the arguments, checked before the fit (a usage error names the option) */
export function broomTidyOptions(args: BroomArgs): TidyOptions | null;
export function broomTidyOptions(args: BroomArgs, kind: 'glmmTMB'): TidyTmbOptions | null;
export function broomTidyOptions(args: BroomArgs, kind: 'lme'): TidyLmeOptions | null;
export function broomTidyOptions(args: BroomArgs, kind?: BroomKind): TidyOptions | TidyTmbOptions | TidyLmeOptions | null;
export function broomTidyOptions(args: BroomArgs, kind: BroomKind = 'merMod'): TidyOptions | TidyTmbOptions | TidyLmeOptions | null {
  // the options of tidy each kind takes (the commands define only theirs; --nsim and --seed of zeroinfl are --dharma's)
  const own: Record<BroomKind, readonly (keyof BroomArgs)[]> = {
    merMod: ['confInt', 'confLevel', 'scales', 'ranPrefix', 'exponentiate', 'nsim', 'seed'],
    glmmTMB: ['confInt', 'confLevel', 'scales', 'ranPrefix', 'exponentiate'],
    lme: ['confInt', 'confLevel', 'scales'],
  };
  const tidyOnly = own[kind].filter((k) => args[k] !== undefined && args[k] !== false);
  if (args.tidy === undefined) {
    if (tidyOnly.length) throw new CliError(`${tidyOnly.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} ${tidyOnly.length > 1 ? 'are' : 'is'} for --tidy: give --tidy too`);
    return null;
  }
  const allowed: readonly string[] = kind === 'glmmTMB' ? TIDY_TMB_EFFECTS : kind === 'lme' ? TIDY_LME_EFFECTS : TIDY_EFFECTS;
  const byDefault = kind === 'lme' ? 'var_model,ran_pars,fixed' : 'ran_pars,fixed';
  const methods: readonly string[] = kind === 'merMod' ? TIDY_CONF_METHODS : ['Wald'];
  const o: TidyOptions & TidyTmbOptions & TidyLmeOptions = {};
  if (typeof args.tidy === 'string') {
    const effects = args.tidy.split(',').map((e) => e.trim()).filter((e) => e.length > 0);
    for (const e of effects) if (!allowed.includes(e)) throw new CliError(`--tidy: unknown effect '${e}' (choose from ${allowed.join(', ')}, comma-separated)`);
    if (effects.length === 0) throw new CliError(`--tidy takes effects from ${allowed.join(', ')}, comma-separated (or none: ${byDefault})`);
    o.effects = effects as never;
  }
  if (args.confInt !== undefined && args.confInt !== false) {
    o.confInt = true;
    if (typeof args.confInt === 'string') {
      if (kind === 'lme') throw new CliError(`--conf-int takes no method for an lme fit (nlme's intervals(): the t intervals of the fixed effects, the normal approximation's of the variance parameters), got '${args.confInt}'`);
      const m = methods.find((x) => x.toLowerCase() === (args.confInt as string).toLowerCase());
      if (!m) throw new CliError(`--conf-int: unknown method '${args.confInt}' (choose ${methods.join(', ')}${kind === 'glmmTMB' ? ': only Wald intervals for a glmmTMB fit' : ''})`);
      (o as TidyOptions).confMethod = m as TidyConfMethod;
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
  if (kind === 'merMod' && (args.nsim !== undefined || args.seed !== undefined)) {
    if ((o as TidyOptions).confMethod !== 'boot') throw new CliError('--nsim and --seed are for the bootstrap\'s intervals: give --conf-int boot');
    const int = (v: string | number | undefined, name: string, lo: number) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!/^\d+$/.test(String(v).trim()) || n < lo) throw new CliError(`${name} must be a whole number ≥ ${lo}, got '${v}'`);
      return n;
    };
    o.boot = { nsim: int(args.nsim, '--nsim', 1), seed: int(args.seed, '--seed', 0) };
  }
  if (kind === 'merMod' && args.ddf !== undefined) o.ddf = args.ddf;
  if (kind === 'glmmTMB' && args.component !== undefined) {
    const comps = args.component.split(',').map((c) => c.trim()).filter((c) => c.length > 0);
    for (const c of comps) if (!(TIDY_TMB_COMPONENTS as readonly string[]).includes(c)) throw new CliError(`--component with --tidy: unknown component '${c}' (choose from ${TIDY_TMB_COMPONENTS.join(', ')}, comma-separated: broom.mixed's tidy.glmmTMB shows no disp rows)`);
    if (comps.length === 0) throw new CliError(`--component takes ${TIDY_TMB_COMPONENTS.join(', ')}, comma-separated`);
    o.component = comps as TidyTmbComponent[];
  }
  return o;
}

/** tidy's and glance's tables on stdout, augment's written to its file; returns the exit code. */
export async function printBroom(fit: CliFit | ZeroInflatedFit | LmeFit, args: BroomArgs, io: CliIO, data: arrow.Table | undefined, kind: BroomKind = 'merMod'): Promise<number> {
  const tidyOptions = broomTidyOptions(args, kind);
  if (args.augment !== undefined) {
    if (!args.augment.trim()) throw new CliError('--augment needs a file name (the CSV it writes)');
    if (existsSync(args.augment)) throw new CliError(`--augment: ${args.augment} exists (not overwritten)`);
  }
  const out: Record<string, unknown> = {};
  const texts: string[] = [];
  const messages: string[] = [];
  if (tidyOptions) {
    const t = await tidy(fit as CliFit, tidyOptions as TidyOptions);
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
