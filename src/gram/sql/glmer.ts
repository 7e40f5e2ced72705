/**
 * glmer through an SQL engine: the model's shapes by the LMM's first passes (./sqlSource.ts: levels,
 * X's columns, the pattern of crossed factors), the response checked and PIRLS's row summaries by one
 * query, then the core's fit with PIRLS on the engine's passes (../glmm.ts, ./glmmPass.ts).
 */
import { ModelError, OptionError } from '../../errors/errors.js';
import { parseFormula } from '../../formula/parse.js';
import type { Formula } from '../../formula/types.js';
import type { GlmmFit } from '../../glmm/glmmFit.js';
import { type GramGlmerOptions, engineFamily, glmerFromGram } from '../glmm.js';
import { refuseRelmatOption } from '../fit.js';
import type { SqlEngine } from './engine.js';
import { type GlmmResponseSql, SqlGlmmPasses } from './glmmPass.js';
import { type SqlGramOptions, type SqlSourceRef, gramFromSql } from './sqlSource.js';

export interface SqlGlmerOptions extends Omit<SqlGramOptions, 'weights'>, GramGlmerOptions {}

/**
 * The formula the LMM's first passes read (a cbind response as its successes, the failures in
 * na.omit's marks as a variable of no column) and the response as the GLMM's passes read it.
 */
export function engineGlmmFormula(f: Formula, family: string): { formula: Formula; response: GlmmResponseSql } {
  const r = f.response;
  if (r.kind !== 'cbind') return { formula: f, response: { kind: 'numeric', label: r.label } };
  if (family !== 'binomial') throw new ModelError(`the response '${r.label}' (cbind) is for the binomial family, not ${family}`);
  const failuresLabel = `${r.label} (failures)`;
  return {
    formula: { ...f, response: { kind: 'expr', label: r.label, expr: r.successes }, removedVars: [...(f.removedVars ?? []), { label: failuresLabel, expr: r.failures }] },
    response: { kind: 'cbind', label: r.label, failures: r.failures, failuresLabel },
  };
}

/** Options an engine's glmer does not take, refused by name (not ignored). */
export function refuseEngineGlmerOptions(options: object, engine: string): void {
  refuseRelmatOption(options, `${engine} glmer`);
  for (const name of ['weights', 'prior', 'theta', 'contrasts'] as const) {
    if ((options as Record<string, unknown>)[name] !== undefined) {
      throw new OptionError(name, `${engine}: glmer's ${name} is not available on the engines yet (a GLMM's prior weights, priors, the negative binomial and contrasts other than treatment are fitted with the rows in memory: the CLI's --engine memory)`);
    }
  }
}

export async function glmerSql(engine: SqlEngine, source: SqlSourceRef, formula: string | Formula, options: SqlGlmerOptions): Promise<GlmmFit> {
  refuseEngineGlmerOptions(options, engine.name);
  const family = engineFamily(engine.name, options.family, options.link);
  const parsed = typeof formula === 'string' ? parseFormula(formula) : formula;
  const { formula: f, response } = engineGlmmFormula(parsed, family.family);
  const gram = await gramFromSql(engine, source, f, options);
  const passes = new SqlGlmmPasses(engine, gram, source.from, response, family);
  const rows = await passes.rowSummary();
  return glmerFromGram(gram, family, rows, passes, response.label, options, source.name);
}
