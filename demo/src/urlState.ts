/**
 * The page's state in its address (the query string), so that a reload or a shared link shows the
 * same view: the data (an example's name, or a file's name, which the user chooses again), formula,
 * factor columns, options, the plots selected, whether a fit was shown (then it is fitted again), and
 * the cards' settings: the fixed-effects card's df method and anova type and the intervals' method
 * last run; the estimated marginal means card's (estimated again once the fit is back: a cheap,
 * deterministic table); the Cluster-robust card, open, with its settings (computed again, as cheap and
 * deterministic); and the Power, per-group fits and Optimizers (allFit) cards: open or not, with their
 * settings (they are not run again: a power simulation or allFit's refits, like a bootstrap or a
 * profile, are the user's to start); the Model checks card, open, with its simulations' settings
 * (performance's checks are computed again, deterministic and cheap; DHARMa's simulations never are:
 * its button runs them); an ordinal (clmm) fit's threshold structure and its response's categories in
 * the order the user gave; a glmmTMB fit's zero-inflation formula (the families that take one) and
 * dispersion formula (the families with a dispersion parameter); each left out at its default '~ 1';
 * the ANOVA (afex) card, open, with its method, type, test_intercept, expand_re and PB's nsim and seed
 * (never run on opening: LRT and PB refit the model, PB simulates); an nlmer formula's start values; the
 * Adjusted predictions (ggeffects) card, open, with its terms, method, type and level (computed again:
 * a cheap, deterministic table); the Regression table (tab_model) card, open, with its options (computed
 * again for the link's fit: the fits of a session are not in the address; never with df method profile, whose
 * intervals refit the model: its button makes that table); a glmmTMB fit's Intervals card: its parameters, level and full, and
 * whether the profile was the table shown (the Wald table computed again; the profile never run on opening);
 * the Least-squares means (lmerTest's ls_means) card, open, with its term, pairwise and level (computed again
 * with the page's ddf: a deterministic table); the Multiple comparisons (glht) card, open, with its fields and mcp's
 * interaction_average and covariate_average (not run on opening); the Simulation intervals (merTools) card, open,
 * with its fields (its simulations never run on opening: its buttons run them); the Multiple imputation (mitml, mice)
 * card, open, with its imputation column, extra.pars, df.com, null formula, method and use (its fits never run on opening).
 */
import type { BackendChoice, ExampleName, FamilyChoice } from './protocol.js';
import { ZI_FAMILY_CHOICES } from './fitting.js';
import { type AfexUrlState, readAfexUrl, writeAfexUrl } from './afex.js';
import { type GgUrlState, readGgUrl, writeGgUrl } from './ggeffects.js';
import { type TmbCiUrlState, readTmbCiUrl, writeTmbCiUrl } from './tmbConfint.js';
import { type TmUrlState, readTmUrl, writeTmUrl } from './tabModelCard.js';
import { type LsmUrlState, readLsmUrl, writeLsmUrl } from './lsMeansCard.js';
import { type GlhtUrlState, readGlhtUrl, writeGlhtUrl } from './glhtCard.js';
import { type MerSimUrlState, readMerSimUrl, writeMerSimUrl } from './merToolsCard.js';
import { type MiUrlState, readMiUrl, writeMiUrl } from './miCard.js';

export interface UrlState {
  example?: ExampleName;
  file?: string;
  formula?: string;
  factors?: string[];
  family?: FamilyChoice;
  link?: string;
  nAGQ?: number;
  criterion?: 'reml' | 'ml';
  backend?: BackendChoice;
  /** blme's default priors */
  prior?: 'blme';
  /** ordinal (clmm): the thresholds' structure (absent: flexible) */
  threshold?: 'flexible' | 'equidistant' | 'symmetric';
  /** ordinal (clmm): the response's categories in the order the user gave (an unordered text response) */
  levels?: string[];
  /** zero-inflated and hurdle models: the zero-inflation formula (absent: '~ 1') */
  ziformula?: string;
  /** glmmTMB families with a dispersion parameter: the dispersion formula (absent: '~ 1') */
  dispformula?: string;
  /** glmmTMB's binomial and betabinomial: the trials column of a proportion response (`weights`) */
  weights?: string;
  /** gaussian: nlme's residual variance function and correlation structure (`varf`, `corr`) */
  nlmeWeights?: string;
  nlmeCorrelation?: string;
  /** nlmer (a three-part formula): the start boxes as `Asym=200,xmid=725,scal=350` (`nlstart`) */
  nlmerStart?: string;
  /** diagnostics plot kind, conditional-modes term (index), caterpillar group:column */
  diag?: string;
  modes?: string;
  cat?: string;
  fit?: boolean;
  /** the Power card, open, with its settings (simr's powerSim / powerCurve; never run on opening the link) */
  power?: PowerUrlState;
  /** the per-group fits (lmList) card, open, with its grouping factor ('' before one is chosen) */
  lmlist?: string;
  /** the fixed-effects card: lmerTest's df method and anova type */
  ddf?: 'satterthwaite' | 'kenward-roger';
  anova?: 'I' | 'II' | 'III';
  /** the intervals' method last run (profile, or the bootstrap with its replicates); never run on opening the link */
  ci?: 'profile' | 'boot';
  cinsim?: number;
  /** the estimated marginal means card's settings (estimated again once the fit is back) */
  emm?: EmmUrlState;
  /** the Cluster-robust card, open, with its settings (computed again once the fit is back) */
  robust?: RobustUrlState;
  /** the Adjusted predictions (ggeffects) card, open, with its terms, method, type and level (computed again once the fit is back) */
  gg?: GgUrlState;
  /** the Optimizers (allFit) card, open, with its settings (never run on opening the link) */
  allfit?: AllFitUrlState;
  /** the Model checks card, open, with the simulations' settings (performance's checks computed again; the simulations never run on opening the link) */
  checks?: ChecksUrlState;
  /** the ANOVA (afex) card, open, with its settings (never run on opening the link: LRT and PB refit the model) */
  afex?: AfexUrlState;
  /** a glmmTMB fit's Intervals card: parm, level, full and the profile last shown (tcip, tcil, tcif, tcim; the Wald table computed again, the profile never run on opening) */
  tmbci?: TmbCiUrlState;
  /** the Regression table (tab_model) card, open, with its options (computed again once the fit is back, for the link's fit) */
  tm?: TmUrlState;
  /** the Least-squares means (lmerTest's ls_means) card, open, with its term, pairwise and level (computed again once the fit is back, with the page's ddf) */
  lsm?: LsmUrlState;
  /** the Multiple comparisons (glht) card, open, with its fields, mcp's interaction_average and covariate_average included (not run on opening: its button compares) */
  glht?: GlhtUrlState;
  /** the Simulation intervals (merTools) card, open, with its fields (the simulations never run on opening the link) */
  mersim?: MerSimUrlState;
  /** the Multiple imputation (mitml, mice) card, open, with its fields (the imputations never fitted on opening the link) */
  mi?: MiUrlState;
}

/** the Model checks card's fields (absent: the default) */
export interface ChecksUrlState {
  /** DHARMa's simulations (default 250) */
  nsim?: number;
  /** their seed (default 123) */
  seed?: number;
  /** new random effects in each simulation (default: conditional on the fitted ones) */
  simulateREs?: 'unconditional';
  /** a grouping factor for recalculateResiduals */
  group?: string;
}

/** the Optimizers (allFit) card's fields */
export interface AllFitUrlState {
  /** the optimizers ticked; absent: all */
  optimizers?: string[];
  /** each refit's evaluation budget; absent: lme4's 1e5 */
  maxfun?: number;
}

const ALLFIT_OPTIMIZERS = ['bobyqa', 'nelderMead', 'quasiNewton'];

/** the emmeans card's fields ('' or absent: the card's default) */
export interface EmmUrlState {
  /** means of */
  specs?: string;
  /** slopes of (emtrends) */
  trend?: string;
  by?: string;
  contrast?: string;
  /** trt.vs.ctrl's control level */
  ref?: string;
  adjust?: string;
  /** glmer's scale: link or response */
  type?: string;
  /** lmer's df method */
  ddf?: string;
}

/** the Cluster-robust card's fields */
export interface RobustUrlState {
  type?: string;
  /** a grouping factor; absent: clubSandwich's default */
  cluster?: string;
  test?: string;
  level?: number;
  /** the Wald test's items ('term:NAME', 'coef:NAME'), each = 0 or all equal, and its tests */
  wald?: string[];
  waldKind?: 'zero' | 'equal';
  waldTests?: string[];
}

const EMM_KEYS: [keyof EmmUrlState, string][] = [['specs', 'especs'], ['trend', 'etrend'], ['by', 'eby'], ['contrast', 'econtrast'], ['ref', 'eref'], ['adjust', 'eadjust'], ['type', 'etype'], ['ddf', 'eddf']];
const EMM_CONTRASTS = ['none', 'pairwise', 'trt.vs.ctrl', 'eff', 'consec', 'poly'];
const CR_TYPES = ['CR0', 'CR1', 'CR1p', 'CR1S', 'CR2', 'CR3'];
const ROBUST_TESTS = ['Satterthwaite', 'naive-t', 'naive-tp', 'z', 'saddlepoint'];
const WALD_TESTS = ['HTZ', 'HTA', 'HTB', 'chi-sq', 'Naive-F', 'Naive-Fp', 'EDF', 'EDT'];

export interface PowerUrlState {
  test?: string;
  method?: string;
  nsim?: number;
  seed?: number;
  alpha?: number;
  /** effect sizes changed from the fitted values, by coefficient */
  effects?: Record<string, number>;
  /** the curve's variable and breaks */
  along?: string;
  breaks?: number[];
}

const EXAMPLES: ExampleName[] = ['sleepstudy', 'insteval', 'cbpp', 'synthetic', 'wine', 'sleepstudy_ar1', 'salamanders', 'tmbfamilies', 'gamsim', 'orange', 'studentratings_mi'];
const FAMILIES: FamilyChoice[] = ['gaussian', 'binomial', 'poisson', 'negative.binomial', 'Gamma', 'inverse.gaussian', 'ordinal', ...ZI_FAMILY_CHOICES];
/** the glmmTMB families that take a zero-inflation formula, and those that take a dispersion formula */
const ZI_FAMILIES: FamilyChoice[] = ZI_FAMILY_CHOICES.filter((f) => !['tmb_beta', 'tmb_gaussian', 'tmb_gamma', 'tmb_tweedie'].includes(f));
const DISP_FAMILIES: FamilyChoice[] = ZI_FAMILY_CHOICES.filter((f) => f !== 'zi_poisson' && f !== 'hurdle_poisson' && f !== 'tmb_binomial');
/** the glmmTMB families whose proportion response takes trials as weights */
const WEIGHT_FAMILIES: FamilyChoice[] = ['tmb_binomial', 'tmb_betabinomial'];
const THRESHOLDS = ['flexible', 'equidistant', 'symmetric'] as const;
const BACKENDS: BackendChoice[] = ['webgpu', 'cpu', 'auto'];

/** The state in a query string; values that are not valid are left out (never an error). */
export function readUrlState(search: string): UrlState {
  const q = new URLSearchParams(search);
  const out: UrlState = {};
  const ex = q.get('example');
  if (ex && (EXAMPLES as string[]).includes(ex)) out.example = ex as ExampleName;
  else if (q.get('file')) out.file = q.get('file')!;
  if (q.has('formula')) out.formula = q.get('formula')!;
  if (q.has('factors')) out.factors = q.get('factors')!.split(',').filter((f) => f !== '');
  const fam = q.get('family');
  if (fam && (FAMILIES as string[]).includes(fam)) out.family = fam as FamilyChoice;
  if (q.get('link')) out.link = q.get('link')!;
  const nagq = Number(q.get('nAGQ'));
  if (q.has('nAGQ') && Number.isInteger(nagq) && nagq >= 0 && nagq <= 25) out.nAGQ = nagq;
  const crit = q.get('criterion');
  if (crit === 'reml' || crit === 'ml') out.criterion = crit;
  const be = q.get('backend');
  if (be && (BACKENDS as string[]).includes(be)) out.backend = be as BackendChoice;
  if (q.get('prior') === 'blme') out.prior = 'blme';
  const th = q.get('threshold');
  if (th && (THRESHOLDS as readonly string[]).includes(th)) out.threshold = th as UrlState['threshold'];
  if (q.get('levels')) {
    // a JSON array of strings (a category may hold a comma)
    try {
      const lv: unknown = JSON.parse(q.get('levels')!);
      if (Array.isArray(lv) && lv.length > 0 && lv.every((l) => typeof l === 'string') && new Set(lv).size === lv.length) out.levels = lv as string[];
    } catch {
      // not JSON: left out
    }
  }
  // a one-sided formula (the page checks it with the parser as it checks the main formula)
  const zf = q.get('zi');
  if (zf && zf.trim().startsWith('~') && zf.length <= 500) out.ziformula = zf;
  const df = q.get('disp');
  if (df && df.trim().startsWith('~') && df.length <= 500) out.dispformula = df;
  const vf = q.get('varf');
  if (vf && vf.trim() !== '' && vf.length <= 500) out.nlmeWeights = vf;
  const cr = q.get('corr');
  if (cr && cr.trim() !== '' && cr.length <= 500) out.nlmeCorrelation = cr;
  const ns = q.get('nlstart');
  if (ns && ns.trim() !== '' && ns.length <= 500) out.nlmerStart = ns;
  const wt = q.get('weights');
  if (wt && wt.length <= 200 && out.family && WEIGHT_FAMILIES.includes(out.family)) out.weights = wt;
  for (const k of ['diag', 'modes', 'cat'] as const) if (q.get(k)) out[k] = q.get(k)!;
  if (q.get('fit') === '1') out.fit = true;
  if (q.get('power') === '1') out.power = readPower(q);
  if (q.has('lmlist')) out.lmlist = q.get('lmlist')!;
  const ddf = q.get('ddf');
  if (ddf === 'satterthwaite' || ddf === 'kenward-roger') out.ddf = ddf;
  const anova = q.get('anova');
  if (anova === 'I' || anova === 'II' || anova === 'III') out.anova = anova;
  const ci = q.get('ci');
  if (ci === 'profile' || ci === 'boot') out.ci = ci;
  const cinsim = Number(q.get('cinsim'));
  if (q.has('cinsim') && Number.isInteger(cinsim) && cinsim >= 10 && cinsim <= 100_000) out.cinsim = cinsim;
  if (q.get('emm') === '1') out.emm = readEmm(q);
  if (q.get('robust') === '1') out.robust = readRobust(q);
  if (q.get('allfit') === '1') out.allfit = readAllFit(q);
  if (q.get('checks') === '1') out.checks = readChecks(q);
  if (q.get('afex') === '1') out.afex = readAfexUrl(q);
  if (q.get('gg') === '1') out.gg = readGgUrl(q);
  if (q.get('tm') === '1') out.tm = readTmUrl(q);
  const lsm = readLsmUrl(q);
  if (lsm) out.lsm = lsm;
  const glht = readGlhtUrl(q);
  if (glht) out.glht = glht;
  const mersim = readMerSimUrl(q);
  if (mersim) out.mersim = mersim;
  const mi = readMiUrl(q);
  if (mi) out.mi = mi;
  const tmbci = readTmbCiUrl(q);
  if (tmbci) out.tmbci = tmbci;
  return out;
}

function readChecks(q: URLSearchParams): ChecksUrlState {
  const c: ChecksUrlState = {};
  const nsim = Number(q.get('cknsim'));
  if (q.get('cknsim') && Number.isInteger(nsim) && nsim >= 2) c.nsim = nsim;
  const seed = Number(q.get('ckseed'));
  if (q.get('ckseed') && Number.isSafeInteger(seed)) c.seed = seed;
  if (q.get('ckre') === 'unconditional') c.simulateREs = 'unconditional';
  if (q.get('ckgroup')) c.group = q.get('ckgroup')!;
  return c;
}

function readAllFit(q: URLSearchParams): AllFitUrlState {
  const a: AllFitUrlState = {};
  if (q.has('aopt')) {
    const opts = q.get('aopt')!.split(',').filter((o) => ALLFIT_OPTIMIZERS.includes(o));
    if (opts.length) a.optimizers = [...new Set(opts)];
  }
  const maxfun = Number(q.get('amaxfun'));
  if (q.get('amaxfun') && Number.isInteger(maxfun) && maxfun >= 1) a.maxfun = maxfun;
  return a;
}

function readEmm(q: URLSearchParams): EmmUrlState {
  const e: EmmUrlState = {};
  for (const [k, key] of EMM_KEYS) if (q.get(key)) e[k] = q.get(key)!;
  if (e.contrast !== undefined && !EMM_CONTRASTS.includes(e.contrast)) delete e.contrast;
  if (e.type !== undefined && e.type !== 'link' && e.type !== 'response') delete e.type;
  if (e.ddf !== undefined && !['kenward-roger', 'satterthwaite', 'asymptotic'].includes(e.ddf)) delete e.ddf;
  return e;
}

function readRobust(q: URLSearchParams): RobustUrlState {
  const r: RobustUrlState = {};
  const type = q.get('rtype');
  if (type && CR_TYPES.includes(type)) r.type = type;
  if (q.get('rcluster')) r.cluster = q.get('rcluster')!;
  const test = q.get('rtest');
  if (test && ROBUST_TESTS.includes(test)) r.test = test;
  const level = Number(q.get('rlevel'));
  if (q.get('rlevel') && level > 0 && level < 1) r.level = level;
  const wald = (q.get('rwald') ?? '').split(';').filter((w) => /^(term|coef):./.test(w));
  if (wald.length) r.wald = wald;
  const kind = q.get('rwaldkind');
  if (kind === 'zero' || kind === 'equal') r.waldKind = kind;
  if (q.get('rwtests')) {
    const tests = q.get('rwtests')!.split(',').filter((t) => WALD_TESTS.includes(t));
    if (tests.length) r.waldTests = tests;
  }
  return r;
}

function readPower(q: URLSearchParams): PowerUrlState {
  const p: PowerUrlState = {};
  if (q.get('ptest')) p.test = q.get('ptest')!;
  const m = q.get('pmethod');
  if (m && ['kr', 't', 'z', 'lr', 'f', 'anova', 'chisq'].includes(m)) p.method = m;
  const nsim = Number(q.get('pnsim'));
  if (q.has('pnsim') && Number.isInteger(nsim) && nsim >= 1) p.nsim = nsim;
  const seed = Number(q.get('pseed'));
  if (q.get('pseed') && Number.isSafeInteger(seed)) p.seed = seed;
  const alpha = Number(q.get('palpha'));
  if (q.has('palpha') && alpha > 0 && alpha < 1) p.alpha = alpha;
  if (q.get('peffect')) {
    const effects: Record<string, number> = {};
    for (const part of q.get('peffect')!.split(';')) {
      const eq = part.lastIndexOf('=');
      const v = Number(part.slice(eq + 1));
      if (eq > 0 && part.slice(eq + 1) !== '' && Number.isFinite(v)) effects[part.slice(0, eq)] = v;
    }
    if (Object.keys(effects).length) p.effects = effects;
  }
  if (q.get('palong')) p.along = q.get('palong')!;
  if (q.get('pbreaks')) {
    const b = q.get('pbreaks')!.split(',').map(Number);
    if (b.every((x) => Number.isInteger(x) && x >= 1)) p.breaks = b;
  }
  return p;
}

/** The query string of a state (keys in a fixed order; empty values left out). */
export function writeUrlState(s: UrlState): string {
  const q = new URLSearchParams();
  if (s.example) q.set('example', s.example);
  else if (s.file) q.set('file', s.file);
  if (s.formula) q.set('formula', s.formula);
  if (s.factors?.length) q.set('factors', s.factors.join(','));
  if (s.family) q.set('family', s.family);
  if (s.link && s.family !== 'gaussian') q.set('link', s.link);
  if (s.nAGQ !== undefined && s.family !== 'gaussian') q.set('nAGQ', String(s.nAGQ));
  // lmer's criterion; glmmTMB's REML = TRUE (its default ML left out); glmer's is ML only
  if (s.criterion && s.family === 'gaussian') q.set('criterion', s.criterion);
  if (s.criterion === 'reml' && (ZI_FAMILY_CHOICES as readonly string[]).includes(s.family ?? '')) q.set('criterion', 'reml');
  if (s.backend) q.set('backend', s.backend);
  if (s.prior) q.set('prior', s.prior);
  if (s.family === 'ordinal' && s.threshold && s.threshold !== 'flexible') q.set('threshold', s.threshold);
  if (s.family === 'ordinal' && s.levels?.length) q.set('levels', JSON.stringify(s.levels));
  // the zero model's default: '~ 1' for the count families, '~ 0' for binomial and betabinomial (left out)
  const ziDefault = s.family && WEIGHT_FAMILIES.includes(s.family) ? '~ 0' : '~ 1';
  if (s.family && ZI_FAMILIES.includes(s.family) && s.ziformula && s.ziformula.trim() !== ziDefault) q.set('zi', s.ziformula);
  if (s.family && DISP_FAMILIES.includes(s.family) && s.dispformula && s.dispformula.trim() !== '~ 1') q.set('disp', s.dispformula);
  if (s.family && WEIGHT_FAMILIES.includes(s.family) && s.weights && s.weights.trim() !== '') q.set('weights', s.weights.trim());
  // nlme's boxes: Gaussian models only
  if ((s.family ?? 'gaussian') === 'gaussian' && s.nlmeWeights?.trim()) q.set('varf', s.nlmeWeights.trim());
  if ((s.family ?? 'gaussian') === 'gaussian' && s.nlmeCorrelation?.trim()) q.set('corr', s.nlmeCorrelation.trim());
  // nlmer's start values (the page writes them only for a three-part formula)
  if (s.nlmerStart?.trim()) q.set('nlstart', s.nlmerStart.trim());
  if (s.diag) q.set('diag', s.diag);
  if (s.modes && s.modes !== '0') q.set('modes', s.modes);
  if (s.cat && s.cat !== '0:0') q.set('cat', s.cat);
  if (s.fit) q.set('fit', '1');
  if (s.power) {
    const p = s.power;
    q.set('power', '1');
    if (p.test) q.set('ptest', p.test);
    if (p.method) q.set('pmethod', p.method);
    if (p.nsim !== undefined) q.set('pnsim', String(p.nsim));
    if (p.seed !== undefined) q.set('pseed', String(p.seed));
    if (p.alpha !== undefined) q.set('palpha', String(p.alpha));
    if (p.effects && Object.keys(p.effects).length) q.set('peffect', Object.entries(p.effects).map(([k, v]) => `${k}=${v}`).join(';'));
    if (p.along) q.set('palong', p.along);
    if (p.breaks?.length) q.set('pbreaks', p.breaks.join(','));
  }
  if (s.lmlist !== undefined) q.set('lmlist', s.lmlist);
  if (s.ddf) q.set('ddf', s.ddf);
  if (s.anova) q.set('anova', s.anova);
  if (s.ci) q.set('ci', s.ci);
  if (s.ci === 'boot' && s.cinsim !== undefined) q.set('cinsim', String(s.cinsim));
  if (s.emm) {
    q.set('emm', '1');
    for (const [k, key] of EMM_KEYS) if (s.emm[k]) q.set(key, s.emm[k]!);
  }
  if (s.robust) {
    const r = s.robust;
    q.set('robust', '1');
    if (r.type) q.set('rtype', r.type);
    if (r.cluster) q.set('rcluster', r.cluster);
    if (r.test) q.set('rtest', r.test);
    if (r.level !== undefined) q.set('rlevel', String(r.level));
    if (r.wald?.length) {
      q.set('rwald', r.wald.join(';'));
      if (r.waldKind) q.set('rwaldkind', r.waldKind);
      if (r.waldTests?.length) q.set('rwtests', r.waldTests.join(','));
    }
  }
  if (s.allfit) {
    q.set('allfit', '1');
    if (s.allfit.optimizers?.length) q.set('aopt', s.allfit.optimizers.join(','));
    if (s.allfit.maxfun !== undefined) q.set('amaxfun', String(s.allfit.maxfun));
  }
  if (s.checks) {
    q.set('checks', '1');
    if (s.checks.nsim !== undefined) q.set('cknsim', String(s.checks.nsim));
    if (s.checks.seed !== undefined) q.set('ckseed', String(s.checks.seed));
    if (s.checks.simulateREs) q.set('ckre', s.checks.simulateREs);
    if (s.checks.group) q.set('ckgroup', s.checks.group);
  }
  if (s.afex) writeAfexUrl(q, s.afex);
  if (s.gg) writeGgUrl(q, s.gg);
  if (s.tm) writeTmUrl(q, s.tm);
  if (s.tmbci) writeTmbCiUrl(q, s.tmbci);
  if (s.lsm) writeLsmUrl(q, s.lsm);
  if (s.glht) writeGlhtUrl(q, s.glht);
  if (s.mersim) writeMerSimUrl(q, s.mersim);
  if (s.mi) writeMiUrl(q, s.mi);
  const text = q.toString();
  return text ? `?${text}` : '';
}
