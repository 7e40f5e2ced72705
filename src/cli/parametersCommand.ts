/**
 * `mixedgpu parameters FILE FORMULA [--ci-method M] [--ci p] [--effects fixed|random|all]
 * [--exponentiate] [--standardize METHOD] [--json]`: parameters's model_parameters() of an lmer or
 * glmer (--family) fit (src/parameters/modelParameters.ts), printed as parameters prints it with its
 * footer; with --standardize, effectsize's standardize_parameters(fit, method) in its place
 * (src/parameters/standardize.ts). --json writes the rows.
 * The table's options and its printout are shared with `mixedgpu zeroinfl … --parameters` and
 * `mixedgpu lme|gls … --parameters` (parametersTableOptions, printParameters).
 */
import { type CliIO, CliError, type FitArgs, errorMessage, fitFromArgs } from './fitCommand.js';
import { CI_METHODS, type CiMethod, type ModelParameters, type ModelParametersOptions, PARAMETER_EFFECTS, type ParameterEffects, modelParameters } from '../parameters/modelParameters.js';
import { TMB_PARAMETER_COMPONENTS, type TmbParameterComponent } from '../parameters/tmb.js';
import { STANDARDIZE_METHODS, type StandardizeMethod, standardizeParameters } from '../parameters/standardize.js';
import { printModelParameters, printStandardized } from '../parameters/print.js';
import { LmmFit } from '../lmm/lmmFit.js';
import { GlmmFit } from '../glmm/glmmFit.js';

export interface ParametersArgs extends FitArgs {
  ciMethod?: string;
  ci?: string;
  effects?: string;
  exponentiate?: boolean;
  standardize?: string;
}

/** JSON of a row: an infinite df as the string "Inf" (R's) */
const jsonCell = (_k: string, v: unknown) => (v === Infinity ? 'Inf' : v);

/** the table's arguments of the commands that print parameters's table */
export interface ParametersTableArgs {
  ciMethod?: string;
  ci?: string;
  effects?: string;
  exponentiate?: boolean;
  /** glmmTMB: the component's rows (all, conditional, zi, zero_inflated, dispersion) */
  component?: string;
}

/** model_parameters's options from the arguments, checked before the fit (a usage error names the flag) */
export function parametersTableOptions(args: ParametersTableArgs, withComponent = false): ModelParametersOptions {
  if (args.ciMethod !== undefined && !(CI_METHODS as readonly string[]).includes(args.ciMethod)) {
    throw new CliError(`--ci-method: unknown ci_method '${args.ciMethod}'; one of ${CI_METHODS.join(', ')}`);
  }
  if (args.effects !== undefined && !(PARAMETER_EFFECTS as readonly string[]).includes(args.effects)) {
    throw new CliError(`--effects: '${args.effects}' is not one of ${PARAMETER_EFFECTS.join(', ')}`);
  }
  if (withComponent && args.component !== undefined && !(TMB_PARAMETER_COMPONENTS as readonly string[]).includes(args.component)) {
    throw new CliError(`--component: '${args.component}' is not one of ${TMB_PARAMETER_COMPONENTS.join(', ')} (parameters's components of a glmmTMB fit)`);
  }
  const ci = args.ci === undefined ? undefined : Number(args.ci);
  if (ci !== undefined && !(ci > 0 && ci < 1)) throw new CliError(`--ci must be a level between 0 and 1 such as 0.9, got '${args.ci}'`);
  return {
    ...(args.ciMethod !== undefined ? { ciMethod: args.ciMethod as CiMethod } : {}),
    ...(args.effects !== undefined ? { effects: args.effects as ParameterEffects } : {}),
    ...(ci !== undefined ? { ci } : {}),
    ...(args.exponentiate ? { exponentiate: true } : {}),
    ...(withComponent && args.component !== undefined ? { component: args.component as TmbParameterComponent } : {}),
  };
}

/** the table as parameters prints it (with its footer), or its rows as JSON (an infinite df as "Inf") */
export function printParameters(mp: ModelParameters, json: boolean | undefined, io: CliIO): void {
  for (const m of mp.messages) io.stderr(`mixedgpu: note: ${m}\n`);
  if (json) {
    const rows = mp.rows.map(({ statistic, ...r }) => {
      const { df_error, p, Effects, Group, Component, ...head } = r;
      return { ...head, [mp.statistic]: statistic, df_error, p, Effects, Group, ...(Component !== undefined ? { Component } : {}) };
    });
    io.stdout(`${JSON.stringify({ model_parameters: { ci_method: mp.ciMethod, coefficient_name: mp.coefficientName, ...(mp.ziCoefficientName ? { zi_coefficient_name: mp.ziCoefficientName } : {}), rows } }, jsonCell, 2)}\n`);
  } else {
    const printed = printModelParameters(mp);
    io.stdout(`${[...printed.lines, ...printed.footer].join('\n')}\n`);
  }
}

/** Runs `mixedgpu parameters`; returns the exit code. */
export async function runParameters(args: ParametersArgs, io: CliIO): Promise<number> {
  try {
    const options = parametersTableOptions(args);
    if (args.standardize !== undefined && !(STANDARDIZE_METHODS as readonly string[]).includes(args.standardize)) {
      throw new CliError(`--standardize: unknown method '${args.standardize}'; one of ${STANDARDIZE_METHODS.join(', ')}`);
    }
    const ci = options.ci;
    if (args.standardize !== undefined && (args.ciMethod !== undefined || args.effects !== undefined)) {
      throw new CliError('--standardize gives the standardized fixed effects with Wald intervals (effectsize): --ci-method and --effects do not apply to it');
    }
    const { fit } = await fitFromArgs(args, io);
    if (!(fit instanceof LmmFit || fit instanceof GlmmFit)) throw new CliError('parameters is for lmer and glmer fits');
    if (args.standardize !== undefined) {
      const sp = await standardizeParameters(fit, { method: args.standardize as StandardizeMethod, ...(ci !== undefined ? { ci } : {}), ...(args.exponentiate ? { exponentiate: true } : {}) });
      for (const m of sp.messages) io.stderr(`mixedgpu: note: ${m}\n`);
      if (args.json) io.stdout(`${JSON.stringify({ standardize_parameters: { method: sp.method, include_response: sp.includeResponse, rows: sp.rows.map((r) => ({ Parameter: r.Parameter, [sp.coefficientColumn]: r.Std_Coefficient, CI: r.CI, CI_low: r.CI_low, CI_high: r.CI_high })) } }, jsonCell, 2)}\n`);
      else io.stdout(`${printStandardized(sp).join('\n')}\n`);
      return 0;
    }
    printParameters(await modelParameters(fit, options), args.json, io);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
