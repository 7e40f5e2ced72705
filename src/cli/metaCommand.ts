/**
 * `mixedgpu meta FILE --yi yi --vi vi [--method REML|ML|DL|PM|HE|SJ|EB|EE] [--test z|knha|t]
 * [--mods a,b | --mods "~ a * b"] [--random "~ 1 | district/school"] [--slab COL] [--json]`:
 * a random-effects meta-analysis (metafor's rma, or rma.mv with --random); metafor's printout, or
 * with --json one object with metafor's names. `--robust [CR2] [--cluster COL]`: clubSandwich's robust
 * variance estimation after it (vcovCR, coef_test with Satterthwaite's df, conf_int; src/meta/robustMeta.ts).
 */
import { basename, extname } from 'node:path';
import { readTableFileAsync } from '../io/node.js';
import { META_METHODS, type MetaOptions, meta } from '../meta/meta.js';
import { CliError, type CliIO, errorMessage } from './fitCommand.js';
import { checkCrType } from '../inference/robust/vcovCR.js';
import { printCoefTest, printConfInt } from '../inference/robust/print.js';

export interface MetaArgs {
  file: string;
  yi?: string;
  vi?: string;
  sei?: string;
  method?: string;
  test?: string;
  /** comma-separated columns, or an R right-hand side ("~ ablat + alloc") */
  mods?: string;
  random?: string;
  slab?: string;
  factors?: string;
  level?: string;
  json?: boolean;
  quiet?: boolean;
  /** clubSandwich's robust variance after the fit: its type (true: CR2) */
  robust?: string | boolean;
  /** the robust variance's clusters: a column (rma.uni needs it; rma.mv: default the outermost level) */
  cluster?: string;
}

/** --mods: a formula's right-hand side as it is, or a comma-separated list of columns */
function parseMods(mods: string | undefined): string | string[] | undefined {
  if (mods === undefined) return undefined;
  const t = mods.trim();
  if (!t) throw new CliError('--mods needs moderators: columns separated by commas, or a formula such as "~ ablat + alloc"');
  return /[~+*:()^]/.test(t) ? t : t.split(',').map((m) => m.trim()).filter(Boolean);
}

export async function runMeta(args: MetaArgs, io: CliIO): Promise<number> {
  try {
    if (!args.yi) throw new CliError('--yi is required: the column of effect sizes (mixedgpu escalc computes them from raw data)');
    if (!args.vi && !args.sei) throw new CliError('--vi (sampling variances) or --sei (standard errors) is required');
    const method = args.method?.toUpperCase();
    if (method !== undefined && !(META_METHODS as readonly string[]).includes(method)) throw new CliError(`--method must be one of ${META_METHODS.join(', ')} (got '${args.method}')`);
    let level: number | undefined;
    if (args.level !== undefined) {
      level = Number(args.level);
      if (!(level > 0 && level < 100)) throw new CliError(`--level must be a percentage between 0 and 100, got '${args.level}'`);
    }
    const factors = args.factors?.split(',').map((f) => f.trim()).filter(Boolean);
    const { table, warnings } = await readTableFileAsync(args.file, { factors });
    if (!args.quiet) for (const w of warnings) io.stderr(`mixedgpu: warning: ${w}\n`);
    const options: MetaOptions = {
      yi: args.yi, vi: args.vi, sei: args.sei, method: method as MetaOptions['method'], test: args.test as MetaOptions['test'],
      mods: parseMods(args.mods), random: args.random, slab: args.slab, factors, level,
      dataName: basename(args.file, extname(args.file)),
    };
    if (args.cluster !== undefined && args.robust === undefined) throw new CliError('--cluster goes with --robust (the robust variance\'s clusters)');
    const type = args.robust === undefined ? null : checkCrType(args.robust === true ? 'CR2' : args.robust);
    const fit = await meta(table, options);
    const robust = type === null ? null : (() => {
      const v = fit.vcovCR({ type, ...(args.cluster !== undefined ? { cluster: args.cluster } : {}) });
      return { v, ct: fit.coefTest({ vcov: v }), ci: fit.confIntCR({ vcov: v }) };
    })();
    if (args.json) {
      const out = fit.toJSON();
      if (robust) {
        out.robust = {
          type: robust.v.type, cluster: robust.v.cluster, clusters: robust.v.J, vcov: robust.v.vcov,
          coef_test: robust.ct.rows, conf_int: robust.ci.rows,
        };
      }
      io.stdout(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      const lines = [fit.summary()];
      if (robust) {
        lines.push('', `Robust variance estimation (clubSandwich): ${robust.v.type}, clustered by ${robust.v.cluster} (${robust.v.J} clusters)`,
          ...printCoefTest(robust.ct), '', ...printConfInt(robust.ci));
      }
      io.stdout(`${lines.join('\n')}\n`);
    }
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
