/**
 * pbkrtest's comparisons of nested lmer fits: KRmodcomp (the F test of the large model's fixed
 * effects restricted to the small model's, with Kenward–Roger's scaled statistic and ddf), SATmodcomp
 * (the same F with Satterthwaite's ddf) and PBmodcomp (the likelihood-ratio test against its
 * parametric-bootstrap reference distribution: pbModcomp.ts).
 *
 * The restriction (pbkrtest's modcomp_init, compare_column_space, model2restriction_matrix):
 *  - the small model is a fit: its X's columns must lie in the column space of the large model's X,
 *    with fewer of them (ranks of X_small, X_large and [X_small X_large]); where the large one lies in
 *    the small one's instead, the two are exchanged, as pbkrtest does; L's rows are a basis of
 *      { Xᵀ r : r ⊥ col(X_small), r ∈ col(X_large) }   (Lβ = 0 ⇔ Xβ ∈ col(X_small); designDifference.ts),
 *    orthonormal, so that its q = rank rows test what the small model drops;
 *  - or the small model is L itself (rows of p entries), reduced to a basis of its row space when its
 *    rank is below its number of rows (pbkrtest's force_full_rank).
 * pbkrtest reads only X of the small fit; here its random-effects terms must be the large model's
 * (the hypothesis is about the fixed effects of one covariance model: a small model with other
 * random effects is not the large model restricted by L), and both fits must use the same rows and
 * response. Both tests are computed on the large model's REML fit (pbkrtest refits an ML fit with
 * REML = TRUE).
 */
import { ModelError, OptionError } from '../errors/errors.js';
import { LmmFit } from '../lmm/lmmFit.js';
import { GlmmFit } from '../glmm/glmmFit.js';
import { type KrAux, checkContrast, contestMD, krFtest, rowBasis } from './contest.js';
import { columnsOutside, designDifference } from './designDifference.js';
import { checkLme4Criterion, ddfContext, remlFit } from './fitInference.js';
import { sameRows } from './lrt.js';

/**
 * pbkrtest's p-values are 1 − the lower tail (1 − pchisq(…), 1 − pgamma(…), 1 − pf(…)): the upper
 * tail through fl(1 − upper), R's correctly rounded lower tail, so that a p-value below ~1e-15 is
 * rounded to a multiple of 2⁻⁵³ as pbkrtest's is (e.g. 2.665e-15 where the upper tail is 2.640e-15).
 */
export function oneMinusLower(upper: number): number {
  return 1 - (1 - upper);
}

/** the small model: a fit, or a restriction matrix L (rows of the large model's p fixed effects; one row as a plain array) */
export type ModcompSmall = LmmFit | number[][] | number[];

/** the compared pair, oriented (large first) */
export interface ModcompPair {
  large: LmmFit;
  /** the small fit (null where L was given) */
  small: LmmFit | null;
  /** the restriction Lβ = 0, rows of p entries, of full row rank */
  L: number[][];
  /** the fits were given in the other order (pbkrtest exchanges them) */
  swapped: boolean;
}

const randomColumns = (fit: LmmFit): string[] => fit.model.frame.reTerms.flatMap((t) => t.cnames.map((cn) => `${cn} | ${t.group}`));

/** checks that `fit` is an lmer fit of lme4's criterion; `role` names it in errors */
export function checkLmerFit(fit: unknown, what: string, role: string): asserts fit is LmmFit {
  if (fit instanceof GlmmFit) throw new ModelError(`${what} is pbkrtest's for lmer fits: the ${role} model is a glmer fit`);
  if (!(fit instanceof LmmFit)) throw new OptionError(role, `${what}: the ${role} model must be an lmer fit${role === 'small' ? ' or a restriction matrix L' : ''}`);
  checkLme4Criterion(fit, what);
}

/** both fits of the same rows and response (else the comparison means nothing) */
export function checkSameData(a: LmmFit, b: LmmFit, what: string): void {
  const fa = a.model.frame, fb = b.model.frame;
  if (fa.n !== fb.n || !sameRows({ rows: fa.rows, nInput: fa.nInput }, { rows: fb.rows, nInput: fb.nInput })) {
    throw new ModelError(`${what}: the models were fitted to different rows of the data (${fa.n} and ${fb.n} rows; missing values in a variable one model uses drop rows from it only): compare models fitted to the same observations`);
  }
  if (fa.yname !== fb.yname || fa.y.some((v, i) => v !== fb.y[i])) {
    throw new ModelError(`${what}: the models have different responses ('${fa.yname}' and '${fb.yname}')`);
  }
  const differ = (a?: Float64Array | null, b?: Float64Array | null) => (!a || !b ? !a !== !b : a.length !== b.length || a.some((v, i) => v !== b[i]));
  if (differ(fa.weights, fb.weights)) throw new ModelError(`${what}: the models have different prior weights: compare models fitted with the same weights`);
  if (differ(fa.offset, fb.offset)) throw new ModelError(`${what}: the models have different offsets: an offset is part of the fixed effects the test compares (give both models the same offset)`);
}

/**
 * Whether X_small's columns lie in col(X_large) (pbkrtest's compare_column_space): 'nested' (fewer
 * columns, all inside), 'reversed' (X_large inside X_small, which has more), 'equal' (the same
 * column space) or the columns of each outside the other (not nested).
 */
export function compareColumnSpace(large: LmmFit, small: LmmFit): { relation: 'nested' | 'reversed' | 'equal' | 'none'; smallOutside: string[]; largeOutside: string[] } {
  const fl = large.model.frame, fs = small.model.frame;
  const n = fl.n;
  const smallOutside = columnsOutside(fl.X, fl.p, fs.X, fs.p, n).map((j) => fs.xnames[j]);
  const largeOutside = columnsOutside(fs.X, fs.p, fl.X, fl.p, n).map((j) => fl.xnames[j]);
  // lme4's X has full column rank: its rank is p
  const relation = smallOutside.length === 0 && largeOutside.length === 0 ? 'equal'
    : smallOutside.length === 0 ? 'nested'
      : largeOutside.length === 0 ? 'reversed' : 'none';
  return { relation, smallOutside, largeOutside };
}

/**
 * pbkrtest's modcomp_init and model2restriction_matrix for KRmodcomp and SATmodcomp: the pair
 * oriented (large first) and L (see the header). Refused: glmer fits, different rows or responses,
 * different random-effects terms, equal fixed-effects column spaces, fixed effects not nested (the
 * columns of each outside the other named), an L of the wrong width or with no rank.
 */
export function modcompPair(large: LmmFit, small: ModcompSmall, what: string): ModcompPair {
  checkLmerFit(large, what, 'large');
  if (Array.isArray(small)) {
    const rows = (small.length > 0 && Array.isArray(small[0]) ? small : [small]) as number[][];
    const p = large.model.frame.p;
    checkContrast(rows, p, 'the restriction matrix L');
    // force_full_rank: a basis of L's row space where L has fewer independent rows than rows
    const basis = rowBasis(rows.map((r) => Array.from(r)), p);
    if (basis.length === 0 || rows.every((r) => r.every((v) => v === 0))) throw new ModelError(`${what}: the restriction matrix L is zero: it restricts nothing`);
    return { large, small: null, L: basis.length < rows.length ? basis : rows.map((r) => Array.from(r)), swapped: false };
  }
  checkLmerFit(small, what, 'small');
  checkSameData(large, small, what);
  const rl = randomColumns(large), rs = randomColumns(small);
  if (rl.length !== rs.length || rl.some((c) => !rs.includes(c))) {
    throw new ModelError(`${what}: the models' random effects differ (large: ${rl.join(', ')}; small: ${rs.join(', ')}): the test restricts the fixed effects of one covariance model; compare models with the same random-effects terms (a test of random effects: the parametric bootstrap, method pb)`);
  }
  const cmp = compareColumnSpace(large, small);
  if (cmp.relation === 'equal') throw new ModelError(`${what}: the models have the same fixed-effects column space (pbkrtest: "Models have equal mean stucture or are not nested"): there is nothing to test`);
  if (cmp.relation === 'none') {
    throw new ModelError(`${what}: the models' fixed effects are not nested: the small model's column${cmp.smallOutside.length > 1 ? 's' : ''} ${cmp.smallOutside.map((c) => `'${c}'`).join(', ')} ${cmp.smallOutside.length > 1 ? 'are' : 'is'} outside the large model's column space and the large model's ${cmp.largeOutside.map((c) => `'${c}'`).join(', ')} outside the small one's`);
  }
  const [lg, sm] = cmp.relation === 'reversed' ? [small, large] : [large, small];
  const fl = lg.model.frame, fs = sm.model.frame;
  const L = designDifference(fl.X, fl.p, fs.X, fs.p, fl.n);
  if (L.length === 0) throw new ModelError(`${what}: the small model's fixed effects span the large model's: there is nothing to test`);
  return { large: lg, small: sm, L, swapped: cmp.relation === 'reversed' };
}

/** what both F tests report of the compared models */
export interface ModcompModels {
  /** the large model's formula */
  large: string;
  /** the small model's formula (null where L was given) */
  small: string | null;
  /** the restriction tested (pbkrtest's L): a basis of its row space */
  L: number[][];
  /** the fits were given in the other order and exchanged */
  swapped: boolean;
  messages: string[];
}

/** pbkrtest's KRmodcomp: the scaled F test (Ftest) and the unscaled one (FtestU) */
export interface KrModcomp extends ModcompModels {
  /** F.scaling · the Wald statistic over ndf, on F(ndf, ddf) */
  Ftest: { stat: number; ndf: number; ddf: number; Fscaling: number; p: number };
  /** the Wald statistic with Φ_A over ndf, on F(ndf, ddf) */
  FtestU: { stat: number; ndf: number; ddf: number; p: number };
  aux: KrAux;
}

/** pbkrtest's SATmodcomp */
export interface SatModcomp extends ModcompModels {
  test: { stat: number; ndf: number; ddf: number; p: number };
}

/** the large model's REML fit (pbkrtest: update(largeModel, REML = TRUE)), with the note */
async function remlOf(pair: ModcompPair, messages: string[]): Promise<LmmFit> {
  if (pair.large.reml) return pair.large;
  messages.push('the large model was fitted by ML: refitted with REML, as pbkrtest does (its tests use the REML fit)');
  return remlFit(pair.large);
}

function modelsOf(pair: ModcompPair, messages: string[]): ModcompModels {
  if (pair.swapped) messages.push('the models were given small first: exchanged, as pbkrtest does');
  return { large: pair.large.formula, small: pair.small ? pair.small.formula : null, L: pair.L, swapped: pair.swapped, messages };
}

/**
 * pbkrtest's KRmodcomp(large, small): Kenward–Roger's F test of the restriction (contest.ts krFtest
 * at the large model's REML fit: Φ_A, the Wald statistic, ddf and F.scaling from A1, A2). Refused
 * where Kenward–Roger cannot be computed (prior weights, which pbkrtest ignores; an information
 * matrix pbkrtest cannot invert): lmerTest's fallback to Satterthwaite is not pbkrtest's KRmodcomp.
 */
export async function krModcomp(large: LmmFit, small: ModcompSmall): Promise<KrModcomp> {
  const what = 'KRmodcomp';
  const pair = modcompPair(large, small, what);
  const messages: string[] = [];
  const fit = await remlOf(pair, messages);
  const { ctx, messages: notes } = ddfContext(fit, 'kenward-roger');
  if (ctx.method !== 'kenward-roger') throw new ModelError(`${what}: Kenward–Roger's method cannot be computed for this model (${notes.join('; ')}); SATmodcomp (method sat) gives Satterthwaite's F test`);
  const kr = krFtest(ctx, pair.L);
  return {
    ...modelsOf(pair, messages),
    Ftest: { stat: kr.Fstat, ndf: kr.ndf, ddf: kr.ddf, Fscaling: kr.Fscaling, p: kr.p },
    FtestU: { stat: kr.FstatU, ndf: kr.ndf, ddf: kr.ddf, p: kr.pU },
    aux: kr.aux,
  };
}

/**
 * pbkrtest's SATmodcomp(large, small): the F test of the restriction with Satterthwaite's ddf at the
 * large model's REML fit (lmerTest's contestMD: Var(Lβ̂) diagonalized, one ν per rotated row, combined
 * by get_Fstat_ddf; pbkrtest's SATmodcomp_internal is the same computation).
 */
export async function satModcomp(large: LmmFit, small: ModcompSmall): Promise<SatModcomp> {
  const pair = modcompPair(large, small, 'SATmodcomp');
  const messages: string[] = [];
  const fit = await remlOf(pair, messages);
  const { ctx, messages: notes } = ddfContext(fit, 'satterthwaite');
  const F = contestMD(ctx, pair.L);
  // pbkrtest's p-value: 1 − pf(F, ndf, ddf) (oneMinusLower)
  return { ...modelsOf(pair, [...messages, ...notes]), test: { stat: F.F, ndf: F.numdf, ddf: F.dendf, p: oneMinusLower(F.p) } };
}
