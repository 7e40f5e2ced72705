/**
 * lmerTest's ranova(fit, reduce.terms): likelihood-ratio tests of the random-effects terms. Each
 * reduced structure (ranovaTerms.ts) is refitted with the fit's criterion (REML stays REML: the tests
 * are then REML likelihood-ratio tests, as lmerTest's), on the fit's rows; a structure with no
 * random-effects term left is the linear model (lmLogLik.ts). The table is lmerTest's mk_LRtab:
 *   npar_k (lme4's df: p + length(θ) + 1), ℓ_k, AIC_k = −2ℓ_k + 2 npar_k,
 *   LRT_k = 2 (ℓ_0 − ℓ_k), Df_k = npar_0 − npar_k, Pr(>Chisq) = P(χ²_{Df_k} > LRT_k) (none for Df_k ≤ 0),
 * row 0 (`<none>`) being the fit itself.
 *
 * The reduced models are built from the fit's model frame (its columns, rows and fixed part) with the
 * changed random-effects terms, not from the data again: nothing here re-reads data. They are fitted
 * on the CPU in float64 (the fit driver's reference), whatever backend fitted the model
 * (src/inference/refitFrame.ts).
 */
import { ModelError } from '../errors/errors.js';
import type { Formula, RandomTerm } from '../formula/types.js';
import { LmmFit } from '../lmm/lmmFit.js';
import { workingResponse } from '../lmm/model.js';
import { pchisqUpper } from '../stats/distributions.js';
import { checkLme4Criterion } from './fitInference.js';
import { refuseEngineRows, refuseKnownCovariance } from './knownCovariance.js';
import { lmLogLik } from './lmLogLik.js';
import { reducedStructures, writtenText } from './ranovaTerms.js';
import { refitWithFormula } from './refitFrame.js';

export interface RanovaOptions {
  /** lmerTest's reduce.terms (default true): reduce (x | g) to (1 | g); false: remove each term whole */
  reduceTerms?: boolean;
}

export interface RanovaRow {
  /** `<none>`, `(1 | g)` or `x in (x | g)` */
  name: string;
  npar: number;
  logLik: number;
  AIC: number;
  /** null on the `<none>` row */
  LRT: number | null;
  Df: number | null;
  p: number | null;
  /** the reduced model's formula (the fit's on `<none>`; a linear model's has no random-effects term) */
  formula: string;
}

export interface RanovaTable {
  rows: RanovaRow[];
  /** the model as lmerTest's heading writes it: the fixed part and the random-effects terms after expansion */
  model: string;
  messages: string[];
}

const WHAT = 'ranova (likelihood-ratio tests of the random-effects terms)';

export async function ranovaTable(fit: LmmFit, options: RanovaOptions = {}): Promise<RanovaTable> {
  return (await ranovaRefits(fit, options)).table;
}

/**
 * ranova's table with its reduced models: refits[k] is the fit of row k's model (null on the
 * `<none>` row and for a linear model, which is not refitted as a mixed model: lmLogLik.ts), for
 * step's backward elimination (src/inference/step.ts), which continues from the reduced model.
 */
export async function ranovaRefits(fit: LmmFit, options: RanovaOptions = {}): Promise<{ table: RanovaTable; refits: (LmmFit | null)[] }> {
  if (!(fit instanceof LmmFit)) throw new ModelError(`${WHAT}: only for linear mixed models (lmer fits), as lmerTest's ranova; for a glmer fit compare the models with anova([m0, m1]) (likelihood-ratio tests of ML fits)`);
  const reduceTerms = options.reduceTerms ?? true;
  if (typeof reduceTerms !== 'boolean') throw new ModelError(`${WHAT}: reduceTerms must be true or false, not ${String(reduceTerms)}`);
  checkLme4Criterion(fit, WHAT);
  const model = fit.model;
  refuseEngineRows(model, WHAT);
  refuseKnownCovariance(model, WHAT, "its reduced models would need the known covariance matrices again (the relmat option); compare the fits with anova([m0, m1]) instead");
  const frame = model.frame;
  if (frame.nDropped > 0) {
    throw new ModelError(`${WHAT}: the model dropped ${frame.nDropped} row${frame.nDropped > 1 ? 's' : ''} with missing values; a reduced model without some variable could use more rows, which lmerTest refuses ("number of rows in use has changed: remove missing values?"): remove the rows with missing values from the data first`);
  }
  const formula = frame.formula;
  const structures = reducedStructures(formula.random, reduceTerms);
  const full = { npar: fit.df, logLik: fit.logLik };
  const rows: RanovaRow[] = [{ name: '<none>', ...full, AIC: -2 * full.logLik + 2 * full.npar, LRT: null, Df: null, p: null, formula: formula.text }];
  const messages: string[] = [];
  const refits: (LmmFit | null)[] = [null];
  for (const s of structures) {
    const text = updatedFormulaText(formula, s.random);
    let reduced: { npar: number; logLik: number };
    if (s.random.length === 0) {
      const lm = lmLogLik(frame.X, frame.n, frame.p, workingResponse(frame), frame.weights ?? null, fit.reml);
      reduced = { npar: lm.df, logLik: lm.logLik };
      refits.push(null);
    } else {
      const refit = await refitWithFormula(fit, { ...formula, random: s.random, text }, WHAT);
      refits.push(refit);
      reduced = { npar: refit.df, logLik: refit.logLik };
      for (const m of refit.messages) if (!frame.messages.includes(m)) messages.push(`${s.name}: ${m}`);
    }
    const LRT = 2 * (full.logLik - reduced.logLik);
    const Df = full.npar - reduced.npar;
    // pchisq(q, df, lower.tail = FALSE): 1 for q ≤ 0; no p-value for Df ≤ 0 (mk_LRtab's NA)
    const p = Df > 0 ? (LRT > 0 ? pchisqUpper(LRT, Df) : 1) : null;
    rows.push({ name: s.name, ...reduced, AIC: -2 * reduced.logLik + 2 * reduced.npar, LRT, Df, p, formula: text });
  }
  return { table: { rows, model: updatedFormulaText(formula), messages }, refits };
}

/**
 * The model as lmerTest's heading writes it and update.formula leaves it (its simplified terms):
 * the fixed main effects and offsets, the random-effects terms (each a term of degree 1 there),
 * then the fixed interactions by degree; "- 1" for a model without intercept. `random`: other
 * random-effects terms than the formula's.
 */
export function updatedFormulaText(formula: Formula, random: RandomTerm[] = formula.random): string {
  const main = formula.fixed.terms.filter((t) => t.vars.length === 1).map((t) => t.label);
  const higher = formula.fixed.terms.filter((t) => t.vars.length > 1).map((t) => t.label);
  const parts = [...main, ...offsetTexts(formula.text), ...random.map(writtenText), ...higher];
  const rhs = parts.length ? parts.join(' + ') : '1';
  return `${formula.response.label} ~ ${rhs}${formula.fixed.intercept ? '' : ' - 1'}`;
}

/** the `offset(…)` calls of a formula's text, their parentheses balanced */
function offsetTexts(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\boffset\s*\(/g)) {
    let depth = 0;
    for (let i = m.index + m[0].length - 1; i < text.length; i++) {
      if (text[i] === '(') depth++;
      else if (text[i] === ')' && --depth === 0) { out.push(text.slice(m.index, i + 1)); break; }
    }
  }
  return out;
}
