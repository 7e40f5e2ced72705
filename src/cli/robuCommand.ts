/**
 * `mixedgpu robu FILE 'yi ~ x' --study COL --var COL [--modelweights CORR|HIER] [--rho 0.8]
 * [--small|--no-small] [--userweights COL] [--sensitivity] [--factors a,b] [--json]`: robumeta's robust
 * variance estimation meta-analysis (src/meta/robu.ts), printed as robumeta's print(robu(...)) and, with
 * --sensitivity, its sensitivity(fit); with --json one object with robumeta's names.
 */
import { readTableFileAsync } from '../io/node.js';
import { ROBU_MODELWEIGHTS, type RobuModelWeights, robu } from '../meta/robu.js';
import { type CliIO, CliError, type FitArgs, errorMessage, parseFactors, resolveCsv } from './fitCommand.js';

export interface RobuArgs extends Pick<FitArgs, 'factors' | 'json' | 'quiet' | 'delimiter' | 'encoding' | 'strayText'> {
  file: string;
  formula: string;
  /** the study identifiers (robu's studynum) */
  study?: string;
  /** the sampling variances (robu's var.eff.size) */
  var?: string;
  modelweights?: string;
  rho?: string | number;
  /** --small / --no-small (default true) */
  small?: boolean;
  userweights?: string;
  sensitivity?: boolean;
}

export async function runRobu(args: RobuArgs, io: CliIO): Promise<number> {
  try {
    if (!args.study) throw new CliError('--study is required: the column of study identifiers (the clusters of the robust variance)');
    if (!args.var) throw new CliError('--var is required: the column of sampling variances of the effect sizes');
    const modelweights = (args.modelweights ?? 'CORR').toUpperCase();
    if (!(ROBU_MODELWEIGHTS as readonly string[]).includes(modelweights)) throw new CliError(`--modelweights must be CORR or HIER (got '${args.modelweights}')`);
    let rho: number | undefined;
    if (args.rho !== undefined) {
      rho = Number(args.rho);
      if (String(args.rho).trim() === '' || !(rho >= 0 && rho <= 1)) throw new CliError(`--rho must be a number between 0 and 1 (got '${args.rho}')`);
    }
    if (args.sensitivity && (modelweights === 'HIER' || args.userweights !== undefined)) {
      throw new CliError(`--sensitivity varies rho of the correlated effects model; it is not available for ${args.userweights !== undefined ? 'user specified weights (--userweights)' : 'hierarchical effects (--modelweights HIER)'}`);
    }
    const factors = parseFactors(args.factors);
    const { table, warnings } = await readTableFileAsync(args.file, { factors, ...resolveCsv(args) });
    if (!args.quiet) for (const w of warnings) io.stderr(`mixedgpu: warning: ${w}\n`);
    const fit = robu(table, {
      formula: args.formula, studynum: args.study, var: args.var, modelweights: modelweights as RobuModelWeights,
      ...(rho !== undefined ? { rho } : {}), smallSample: args.small ?? true,
      ...(args.userweights !== undefined ? { userweights: args.userweights } : {}), ...(factors ? { factors } : {}),
    });
    if (!args.quiet) for (const m of fit.messages) io.stderr(`mixedgpu: note: ${m}\n`);
    const sens = args.sensitivity ? fit.sensitivity() : null;
    if (args.json) {
      const out = fit.toJSON();
      if (sens) out.sensitivity = sens.rows.map((r) => ({ rho: r.rho, b: Array.from(r.beta), SE: Array.from(r.SE), tau_sq: r.tau2 }));
      io.stdout(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      // robumeta's note ends without a line end; the command ends its lines
      const text = fit.summary();
      io.stdout(text.endsWith('\n') ? text : `${text}\n`);
      if (sens) io.stdout(`\n${sens.text}`);
    }
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
