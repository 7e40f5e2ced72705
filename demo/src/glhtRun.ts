/**
 * Worker side of the Multiple comparisons card (multcomp 1.4-22's glht) of a kept lmer or glmer fit: the
 * library's own glht (src/inference/glht.ts) of mcp(factor = type) — Dunnett against another base as R's
 * mcp(factor = contrMat(table(model.frame(fit)$factor), "Dunnett", base)) — with the card's alternative, then
 * summary(g, test) and the simultaneous intervals confint(g, level) (adjusted_calpha), with multcomp's
 * printouts. A refusal of the library is returned with the card's field it is about (glhtFieldOf).
 * The page's logic is ./glhtCard.ts.
 */
import { LmmFit } from '../../src/lmm/lmmFit.js';
import { GlmmFit } from '../../src/glmm/glmmFit.js';
import { type GlhtTestResult, type Linfct, glht, mcp } from '../../src/inference/glht.js';
import { contrMat } from '../../src/inference/contrMat.js';
import { printGlhtConfint, printGlhtSummary } from '../../src/inference/glhtPrint.js';
import { deparseNumber } from '../../src/inference/glhtLinfct.js';
import type { AnyFit } from './fitting.js';
import type { GlhtField, GlhtMsg, GlhtRequest } from './protocol.js';

/**
 * mcp's linfct of the request: mcp({ f: type }), or for Dunnett against base b > 1 the levels' matrix
 * contrMat(n, levels, 'Dunnett', b) with its row names (n the levels' counts in the model frame, as R's table())
 */
export function glhtLinfct(fit: AnyFit, r: GlhtRequest): Linfct {
  // mcp's interaction_average and covariate_average (src/inference/mcpAverage.ts)
  const average = { interactionAverage: r.interactionAverage === true, covariateAverage: r.covariateAverage === true };
  if (r.type !== 'Dunnett' || r.base === 1) return mcp({ [r.factor]: r.type }, average);
  const col = fit.model.frame.columns.get(r.factor);
  if (!col || col.kind !== 'factor') return mcp({ [r.factor]: r.type }, average); // the library names the problem
  const n = col.levels.map(() => 0);
  for (const c of col.codes) if (c >= 0) n[c]++;
  const cm = contrMat(n, col.levels, 'Dunnett', r.base);
  return mcp({ [r.factor]: { K: cm.K, rowNames: cm.names } }, average);
}

/**
 * The card's field a refusal of the library is about (null: none): contrMat's "less than two groups" is the
 * factor's, "need at least three groups" the contrast type's, Shaffer's and Westfall's limit the test's, mcp's
 * averaging refusals (an interaction of three variables, another coding, covariate_average alone) the checkbox's.
 */
export function glhtFieldOf(message: string): GlhtField | null {
  // mcp's averaging refusals (src/inference/mcpAverage.ts) first: some of them name a rank-deficient column too
  if (/covariate_average without|mcp's covariate_average:|cannot be put at a value of/.test(message)) return 'covariateAverage';
  if (/interaction_average|cannot be averaged over the levels/.test(message)) return 'interactionAverage';
  if (/less than two groups|is not contained as a factor|not in the model's fixed effects|no main-effect term|rank-deficient column/.test(message)) return 'factor';
  if (/contrasts need at least three groups|contrast types/.test(message)) return 'type';
  if (/base is not between/.test(message)) return 'base';
  if (/logical constraints|test must be/.test(message)) return 'test';
  if (/alternative/.test(message)) return 'alternative';
  if (/level must be/.test(message)) return 'level';
  return null;
}

/** summary(glht(fit, linfct, alternative), test) and confint(…, level) of the card's request */
export function runGlht(fit: AnyFit | undefined, r: GlhtRequest): GlhtMsg {
  const t0 = performance.now();
  if (!fit) throw new Error('that fit is no longer kept (new data were loaded)');
  if (!(fit instanceof LmmFit || fit instanceof GlmmFit)) throw new Error('multcomp\'s glht is implemented here for lmer and glmer fits');
  const g = glht(fit, glhtLinfct(fit, r), { alternative: r.alternative });
  const s = g.summary({ test: r.test });
  // the hypotheses' estimates, SEs and statistics (univariate's: the same for every test of each hypothesis)
  const u = ('estimate' in s ? s : g.summary({ test: 'univariate' })) as GlhtTestResult;
  const ci = g.confint({ level: r.level, calpha: 'adjusted' });
  const z = g.df === 0 ? 'z' : 't';
  const sym = g.alternative === 'two.sided' ? '==' : g.alternative === 'less' ? '>=' : '<=';
  return {
    request: { ...r },
    type: g.type,
    stat: z,
    pName: g.alternative === 'less' ? `Pr(<${z})` : g.alternative === 'greater' ? `Pr(>${z})` : `Pr(>|${z}|)`,
    rows: g.rowNames.map((name, i) => ({
      name: `${name} ${sym} ${deparseNumber(g.rhs[i]!)}`, label: name,
      estimate: u.estimate[i]!, se: u.se[i]!, statistic: u.statistic[i]!,
      p: 'estimate' in s ? s.pValue[i]! : null,
      lower: ci.lower[i]!, upper: ci.upper[i]!,
    })),
    global: 'estimate' in s ? null : { test: s.test, statistic: s.statistic, df: [...s.df], p: s.pValue },
    error: 'estimate' in s ? s.error : 0,
    quantile: ci.quantile,
    summaryText: printGlhtSummary(g, s).join('\n'),
    confintText: printGlhtConfint(g, ci).join('\n'),
    messages: [...g.messages],
    elapsedMs: performance.now() - t0,
  };
}
