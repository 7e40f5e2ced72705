/**
 * The page: data loading (file picker, drag and drop, examples), the column list with factor
 * toggles, the formula box validated as you type, options, the fit with progress and Cancel, and
 * the results. Everything heavy runs in ./worker.ts.
 */
import { FormulaError, parseFormula, type Formula } from '../../src/index.js';
import { MEASURE_INPUTS } from '../../src/meta/escalc.js';
import { FAMILY_LINKS } from '../../src/glmm/family.js';
import { CLMM_LINKS } from '../../src/ordinal/links.js';
import { structureNotes, varCorrDisplayRows } from './structures.js';
import { type CategoryOrder, type ClmmEls, categoryOrderOf, drawClmmCaterpillar, drawClmmProbabilities, moveLevel, reconcileLevels, renderClmm, renderClmmAnova, responseColumnOf } from './ordinalView.js';
import sleepstudyUrl from '../../test/fixtures/data/sleepstudy.csv?url';
import instevalUrl from '../../test/fixtures/data/insteval.csv?url';
import cbppUrl from '../../test/fixtures/data/cbpp.csv?url';
import wineUrl from '../../test/fixtures/data/wine.csv?url';
import salamandersUrl from '../../test/fixtures/data/salamanders.csv?url';
import tmbfamiliesUrl from '../../test/fixtures/data/tmbfamilies.csv?url';
import gamsimUrl from '../../test/fixtures/data/gamsim1.csv?url';
import orangeUrl from '../../test/fixtures/data/Orange.csv?url';
import studentratingsMiUrl from '../../test/fixtures/data/studentratings_mi.csv?url';
import { nlmeBoxProblem } from './nlme.js';
import { type NlmeEls, renderNlme } from './nlmeView.js';
import { isNlmerFormula, nlmerParameters, nlmerStartProblem, parseNlmerFormula } from './nlmer.js';
import { type NlmerEls, drawNlmerCurves, nlmeAnovaTable, parseStartText, renderNlmer, renderStartBoxes, startText } from './nlmerView.js';
import type { NlFormula } from '../../src/nlmer/formula.js';
import { defaultZiFormula, dispFormulaProblem, isBinomialChoice, isZiChoice, takesDispFormula, takesZiFormula, ziFormulaProblem, ziFormulaUnavailable } from './zeroinfl.js';
import { DISP_NOTE, ZI_FIT_NOTE, ZI_NOTES, type ZiEls, drawZiCaterpillar, drawZiFrequencies, renderZeroInflated } from './zeroinflView.js';
import { type TmbCiMethod, type TmbCiUrlState, TmbCiFieldError, tmbCiCsv, tmbCiFieldsOf, tmbCiRequest, tmbCiUrlOf } from './tmbConfint.js';
import { renderTmbCi, tmbCiEls, tmbCiFieldsOfEls } from './tmbConfintView.js';
import sleepstudyDayfUrl from '../../test/fixtures/data/sleepstudy_dayf.csv?url';
import { byId, clear, csv, download, downloadBlob, fmt, fmtFixed, fmtMs, fmtP, h } from './dom.js';
import {
  MAX_CATERPILLAR, binnedPlot, caterpillarPlot, caterpillarRows, denseCaterpillarPlot, pngBlob, qqPlot, residualPlot, sharePlot,
  shrinkageCaption, shrinkagePlot, shrinkageRows, svgText, forestPlot, funnelPlot, emmPlot, ggPlot, cooksPlot, powerCurvePlot, dharmaQqPlot, dharmaResidualPlot,
} from './plots.js';
import { POWER_METHODS, type PowerFields, lmListTable, parseBreaks, powerCurveRows, powerPValuesCsvRows, powerRequest, powerTable, sortRows } from './power.js';
import { powerInterval } from '../../src/inference/powerPrint.js';
import { type CellFormat, type ModelTestOption, type ModelTestSpec, type TestTable, cooksBars, modelTestTables, testSpec, testTableCsv, testsFor, testsForStream, MODEL_TESTS } from './modelTests.js';
import { confintForStream } from './confintMethods.js';
import { ADJUSTMENTS, contrastsCsv, defaultAdjustLabel, emmAxisLabel, emmPlotRows, meansCsv, requestAdjust } from './emm.js';
import type {
  LmListMsg, GgMsg, GgRequest, GgSetup, TmMsg, TmRequest, TidyRequest, PowerMethodChoice, PowerMsg, PowerRequest, PowerSetup, RobustMsg, RobustRequest, AllFitMsg, AllFitRequest, AfexMsg, DharmaMsg, DharmaRequest, ModelChecksSetup, PerformanceChecksMsg,
  DiagnosticsMsg, EmmContrastChoice, EmmMsg, EmmVariable, EmmRequest, ModelTestKind, ModelTestMsg, ModelTestRequest, RelmatInfo, BackendChoice, CompareRow, ConfintMsg, InferenceMsg, MetaResultMsg, StreamProgressMsg, StreamResultMsg, DataInfo, DataSource, ExampleName, FamilyChoice, FitRequest, FitResult, ClmmResultMsg, ZiResultMsg, NlmeResultMsg, NlmerResultMsg, GammResultMsg, FromWorker, GpuInfo, ToWorker,
} from './protocol.js';
import { readUrlState, writeUrlState, type AllFitUrlState, type ChecksUrlState, type EmmUrlState, type RobustUrlState, type UrlState } from './urlState.js';
import { allFitHeadline, allFitRequest, allFitTable } from './allFit.js';
import { TM_COSTLY_DF, TM_DF_METHODS, TM_SWITCHES, TmFieldError, type TmFields, type TmSwitch, type TmUrlState, sanitizeTableHtml, tmCsv, tmFieldsOf, tmFitName, tmOptions, tmRunsFromLink, tmUrlOf, toggleFit } from './tabModelCard.js';
import { GgFieldError, type GgFields, type GgUrlState, ggAxisLabel, ggCsv, ggFieldsOf, ggPlotRows, ggRequest, ggTable, ggUrlOf } from './ggeffects.js';
import { TIDY_EXPORT_EFFECTS, tidyFileName, tidyRequest } from './tidyExport.js';
import { type GammSplit, gammFormulaProblem, splitGammFormula } from './gammFormula.js';
import { FIT_REPLIES, RequestLedger, cardReply } from './requests.js';
import { CardRun, type CardRunEls } from './cardRun.js';
import { type GammEls, drawGammPlots, renderGamm, smoothPlotCsv } from './gammView.js';
import { AFEX_PER_PARAMETER_METHODS, type AfexUrlState, afexCsv, afexRefusal, afexFieldsOf, afexRequest, afexTable, afexUrlOf } from './afex.js';
import {
  DHARMA_NSIM, DHARMA_SEED, MAX_PLOT_POINTS, checksTable, collinearityTable, dharmaRequest, dharmaResidualsCsv, dharmaTestsTable, groupedResidualsCsv,
  performanceTable, qqLegends, qqPoints, residualPoints,
} from './modelChecks.js';
import { ROBUST_TESTS, ROBUST_TYPES, ROBUST_WALD_TESTS, type RobustFields, robustRequest, robustTables } from './robust.js';
import { type GlhtUrlState, GlhtFieldError, glhtCsv, glhtErrorText, glhtRequest, glhtUrlOf } from './glhtCard.js';
import { glhtEls, glhtFieldsOfEls, renderGlht, startGlhtCard, updateGlhtControls } from './glhtView.js';
import type { GlhtMsg } from './protocol.js';
import { type MerSimUrlState, MerSimFieldError, feSimCsv, merSimErrorText, merSimUrlOf, predictIntervalCsv, predictIntervalRequest, reSimCsv, reSimRequest } from './merToolsCard.js';
import { merSimEls, merSimFieldsOfEls, renderPredictInterval, renderReSim, startMerSimCard, updateMerSimControls } from './merToolsView.js';
import type { MerSimMsg, MerSimRequest } from './protocol.js';
import { type MiUrlState, MiFieldError, imputationColumns, isImputationName, miErrorText, miEstimatesCsv, miPoolCsv, miRequest, miTestCsv, miUrlOf } from './miCard.js';
import { miEls, miFieldsOfEls, renderMi, startMiCard } from './miView.js';
import type { MiMsg, MiRequest } from './protocol.js';
import { type LsmUrlState, LsmFieldError, lsmCsv, lsmErrorText, lsmRequest, lsmUrlOf } from './lsMeansCard.js';
import { lsmEls, lsmFieldsOfEls, renderLsm, showLsmDdf, startLsmCard } from './lsMeansView.js';
import type { LsmMsg } from './protocol.js';

const EXAMPLE_URLS: Partial<Record<ExampleName, string>> = { sleepstudy: sleepstudyUrl, insteval: instevalUrl, cbpp: cbppUrl, wine: wineUrl, sleepstudy_ar1: sleepstudyDayfUrl, salamanders: salamandersUrl, tmbfamilies: tmbfamiliesUrl, gamsim: gamsimUrl, orange: orangeUrl, studentratings_mi: studentratingsMiUrl };
/**
 * each family's links: the library's list (the first is the default, R's); the app's gaussian is lmer
 * (the identity link): the library's gaussian GLMM links (log, inverse) are not offered here
 */
const LINKS: Record<FamilyChoice, string[]> = {
  ...FAMILY_LINKS, gaussian: ['identity'], ordinal: [...CLMM_LINKS],
  // glmmTMB's zero-inflated and hurdle count models: the log link (the zero model's is the logit); beta_family's logit, gaussian's identity
  zi_poisson: ['log'], zi_nbinom1: ['log'], zi_nbinom2: ['log'], hurdle_poisson: ['log'], hurdle_nbinom1: ['log'], hurdle_nbinom2: ['log'],
  tmb_beta: ['logit'], tmb_gaussian: ['identity'],
  zi_genpois: ['log'], hurdle_genpois: ['log'], tmb_binomial: ['logit'], tmb_betabinomial: ['logit'], tmb_gamma: ['log'], tmb_tweedie: ['log'],
  zi_compois: ['log'], hurdle_compois: ['log'],
};
/** what the Options say under each GLMM family */
const FAMILY_NOTES: Partial<Record<FamilyChoice, string>> = {
  'negative.binomial': 'The negative binomial size θ is estimated as lme4\'s glmer.nb (a Poisson fit, then θ by Brent\'s search, each step a glmer fit); nAGQ is 1.',
  Gamma: 'A family with a scale: lme4\'s Laplace deviance with the dispersion; the response must be positive. nAGQ above 1, the bootstrap and profile intervals are refused (as the library explains).',
  'inverse.gaussian': 'A family with a scale: lme4\'s Laplace deviance with the dispersion; the response must be positive. nAGQ above 1, the bootstrap and profile intervals are refused (as the library explains).',
};

// ---------------------------------------------------------------------------------------------
// State

let worker: Worker;
let nextId = 1;
let source: DataSource | null = null;
let loadId = 0;
let data: DataInfo | null = null;
const factors = new Set<string>();
let gpu: GpuInfo | null = null;
let fitId = 0;
let fitStarted = 0;
let fitTimer: number | undefined;
let cancelTimer: number | undefined;
let result: FitResult | null = null;
let parsed: Formula | null = null;
const jsonWaiters = new Map<number, (text: string) => void>();
const textWaiters = new Map<number, { ok: (text: string) => void; fail: (message: string) => void }>();

/** every fit of this session, newest last; `loadId` ties a fit to the data it was fitted to */
interface HistoryEntry {
  id: number;
  loadId: number;
  dataName: string;
  request: FitRequest;
  result: FitResult;
  totalMs: number;
}
const history: HistoryEntry[] = [];
/** the fit whose results are shown */
let shown: HistoryEntry | null = null;
let fitRequest: FitRequest | null = null;
const compareSel: number[] = [];
let compareId = 0;
/** state read from the address, applied once its data have loaded */
let pendingUrl: UrlState | null = null;
/** the caterpillar's and the diagnostics panel's selections (kept in the address) */
const view = { cat: '0:0', diag: '', modes: '0' };

const el = {
  threshold: byId<HTMLSelectElement>('threshold'),
  thresholdLabel: byId('threshold-label'),
  ordinalLevels: byId('ordinal-levels'),
  clmmResults: byId('clmm-results'),
  ziRow: byId('zi-row'),
  ziformula: byId<HTMLInputElement>('ziformula'),
  ziformulaError: byId('ziformula-error'),
  ziformulaNone: byId('ziformula-none'),
  weightsRow: byId('weights-row'),
  nlmeRow: byId('nlme-row'),
  nlmeWeights: byId<HTMLInputElement>('nlme-weights'),
  nlmeCorrelation: byId<HTMLInputElement>('nlme-correlation'),
  nlmeError: byId('nlme-error'),
  nlmeNote: byId('nlme-note'),
  nlmeResults: byId('nlme-results'),
  nlmerRow: byId('nlmer-row'),
  nlmerStart: byId('nlmer-start'),
  nlmerNote: byId('nlmer-note'),
  nlmerError: byId('nlmer-error'),
  nlmerResults: byId('nlmer-results'),
  tmbWeights: byId<HTMLInputElement>('tmbweights'),
  tmbWeightsError: byId('tmbweights-error'),
  dispRow: byId('disp-row'),
  dispformula: byId<HTMLInputElement>('dispformula'),
  dispformulaError: byId('dispformula-error'),
  ziResults: byId('zi-results'),
  gammResults: byId('gamm-results'),
  drop: byId('drop'),
  file: byId<HTMLInputElement>('file'),
  dataStatus: byId('data-status'),
  dataError: byId('data-error'),
  columns: byId('columns'),
  formula: byId<HTMLInputElement>('formula'),
  formulaError: byId('formula-error'),
  family: byId<HTMLSelectElement>('family'),
  link: byId<HTMLSelectElement>('link'),
  nagq: byId<HTMLInputElement>('nagq'),
  criterion: byId('criterion'),
  backend: byId<HTMLSelectElement>('backend'),
  gpuNote: byId('gpu-note'),
  familyNote: byId('family-note'),
  optionsError: byId('options-error'),
  fit: byId<HTMLButtonElement>('fit'),
  cancel: byId<HTMLButtonElement>('cancel'),
  progress: byId('progress'),
  progressText: byId('progress-text'),
  fitError: byId('fit-error'),
  results: byId('results'),
  fitInfo: byId('fit-info'),
  fixef: byId('fixef'),
  varcorr: byId('varcorr'),
  icc: byId('icc'),
  catControls: byId('cat-controls'),
  caterpillar: byId('caterpillar'),
  shrinkControls: byId('shrink-controls'),
  shrinkage: byId('shrinkage'),
  predictForm: byId<HTMLFormElement>('predict-form'),
  predictOut: byId('predict-out'),
  predictError: byId('predict-error'),
  summary: byId('summary'),
  staleBanner: byId('stale-banner'),
  historyPanel: byId('history-panel'),
  history: byId('history'),
  compare: byId<HTMLButtonElement>('compare'),
  compareOut: byId('compare-out'),
  compareError: byId('compare-error'),
  diagControls: byId('diag-controls'),
  diagnostics: byId('diagnostics'),
  metaPanel: byId('meta-panel'),
  metaYi: byId<HTMLSelectElement>('meta-yi'),
  metaVi: byId<HTMLSelectElement>('meta-vi'),
  metaSlab: byId<HTMLSelectElement>('meta-slab'),
  metaMethod: byId<HTMLSelectElement>('meta-method'),
  metaFit: byId<HTMLButtonElement>('meta-fit'),
  metaError: byId('meta-error'),
  metaResults: byId('meta-results'),
  metaInfo: byId('meta-info'),
  forest: byId('forest'),
  funnel: byId('funnel'),
  metaSummary: byId('meta-summary'),
  metaSource: byId<HTMLSelectElement>('meta-source'),
  metaColumns: byId('meta-columns'),
  metaEscalc: byId('meta-escalc'),
  metaMeasure: byId<HTMLSelectElement>('meta-measure'),
  metaEscalcInputs: byId('meta-escalc-inputs'),
  metaMods: byId<HTMLInputElement>('meta-mods'),
  metaTest: byId<HTMLSelectElement>('meta-test'),
  metaCluster: byId<HTMLSelectElement>('meta-cluster'),
  metaRobustType: byId<HTMLSelectElement>('meta-robust-type'),
  metaRobustCluster: byId<HTMLSelectElement>('meta-robust-cluster'),
  metaRobustTest: byId<HTMLSelectElement>('meta-robust-test'),
  metaRobustLevel: byId<HTMLInputElement>('meta-robust-level'),
  metaRobustCard: byId('meta-robust-card'),
  metaRobustOut: byId('meta-robust-out'),
  metaInner: byId<HTMLSelectElement>('meta-inner'),
  metaCoef: byId('meta-coef'),
  prior: byId<HTMLSelectElement>('prior'),
  relmatFile: byId<HTMLInputElement>('relmat-file'),
  relmatKind: byId<HTMLSelectElement>('relmat-kind'),
  relmatGroup: byId<HTMLSelectElement>('relmat-group'),
  relmatRemove: byId<HTMLButtonElement>('relmat-remove'),
  relmatNote: byId('relmat-note'),
};
let metaId = 0;
/** the ordinal (clmm) fits of this session, numbered in the order fitted; the one shown */
interface ClmmEntry { id: number; loadId: number; number: number; request: FitRequest; result: ClmmResultMsg }
const clmmHistory: ClmmEntry[] = [];
let shownClmm: ClmmEntry | null = null;
let clmmProbId = 0;
let clmmAnovaId = 0;
/** the ordinal response's categories in the order the user gave (an unordered text response), and for which column */
let ordinalLevels: { column: string; levels: string[] } | null = null;
/** the caterpillar's choice in the clmm results */
let clmmCat = '0:0';
const clmmEls: ClmmEls = {
  info: byId('clmm-info'), thresholds: byId('clmm-thresholds'), coef: byId('clmm-coef'), varcorr: byId('clmm-varcorr'),
  probBy: byId<HTMLSelectElement>('clmm-prob-by'), probs: byId('clmm-probs'), probsError: byId('clmm-probs-error'),
  catSelect: byId<HTMLSelectElement>('clmm-cat-select'), caterpillar: byId('clmm-caterpillar'),
  compareWith: byId<HTMLSelectElement>('clmm-compare-with'), compareOut: byId('clmm-compare-out'), compareError: byId('clmm-compare-error'),
  notShown: byId('clmm-not-shown'), summary: byId('clmm-summary'),
};
/** the zero-inflated and hurdle fits of this session, numbered in the order fitted; the one shown */
interface ZiEntry { id: number; loadId: number; number: number; request: FitRequest; result: ZiResultMsg }
interface NlmeEntry { id: number; loadId: number; number: number; request: FitRequest; result: NlmeResultMsg }
const nlmeHistory: NlmeEntry[] = [];
let shownNlme: NlmeEntry | null = null;
const nlmeEls: NlmeEls = { info: byId('nlme-info'), fixed: byId('nlme-fixed'), struct: byId('nlme-struct'), summary: byId('nlme-summary') };
/** the nlmer fits of this session, numbered in the order fitted; the one shown */
interface NlmerEntry { id: number; loadId: number; number: number; request: FitRequest; result: NlmerResultMsg }
const nlmerHistory: NlmerEntry[] = [];
let shownNlmer: NlmerEntry | null = null;
const nlmerEls: NlmerEls = { info: byId('nlmer-info'), fixed: byId('nlmer-fixed'), varcorr: byId('nlmer-varcorr'), plot: byId('nlmer-plot'), summary: byId('nlmer-summary') };
/** an nlmer formula as the library reads it (null: the formula is not one, or not valid), its model's parameters, the start boxes' texts by parameter name (kept while the formula changes) */
let nlParsed: NlFormula | null = null;
let nlParams: { model: string; parameters: string[] } | null = null;
const nlmerValues: Record<string, string> = {};
const ziHistory: ZiEntry[] = [];
let shownZi: ZiEntry | null = null;
/** the caterpillar's choice in the zero-inflated results */
let ziCat = '0:0';
interface GammEntry { id: number; loadId: number; number: number; request: FitRequest; result: GammResultMsg }
const gammHistory: GammEntry[] = [];
let shownGamm: GammEntry | null = null;
const gammEls: GammEls = {
  info: byId('gamm-info'), parametric: byId('gamm-parametric'), smooths: byId('gamm-smooths'), plots: byId('gamm-plots'), varcorr: byId('gamm-varcorr'),
  notShown: byId('gamm-not-shown'), summary: byId('gamm-summary'), merSummary: byId('gamm-mer-summary'),
};
const ziEls: ZiEls = {
  info: byId('zi-info'), cond: byId('zi-cond'), zi: byId('zi-zi'), dispCard: byId('zi-disp-card'), disp: byId('zi-disp'), freqTitle: byId('zi-freq-title'), varcorr: byId('zi-varcorr'), freq: byId('zi-freq'),
  catSelect: byId<HTMLSelectElement>('zi-cat-select'), caterpillar: byId('zi-caterpillar'), notShown: byId('zi-not-shown'), summary: byId('zi-summary'),
};
/** the relatedness file read by the worker (id and what it holds), and the pending read */
let relmat: RelmatInfo | null = null;
let relmatId = 0;
/** the running streamed fit (0: none), and its file's name */
let streamId = 0;
let streamName = '';
const st = {
  file: byId<HTMLInputElement>('stream-file'),
  formula: byId<HTMLInputElement>('stream-formula'),
  factors: byId<HTMLInputElement>('stream-factors'),
  reml: byId<HTMLInputElement>('stream-reml'),
  batch: byId<HTMLInputElement>('stream-batch'),
  exact: byId<HTMLInputElement>('stream-exact'),
  quantiles: byId<HTMLInputElement>('stream-quantiles'),
  diag: byId<HTMLInputElement>('stream-diag'),
  diagControls: byId('stream-diag-controls'),
  diagnostics: byId('stream-diagnostics'),
  notShown: byId('stream-not-shown'),
  fit: byId<HTMLButtonElement>('stream-fit'),
  cancel: byId<HTMLButtonElement>('stream-cancel'),
  progress: byId('stream-progress'),
  error: byId('stream-error'),
  result: byId('stream-result'),
  info: byId('stream-info'),
  fixef: byId('stream-fixef'),
  summary: byId('stream-summary'),
};
/**
 * The inference of a fit — lmerTest's df and p-values in its fixed-effects table, the anova table (type
 * and ddf chosen) and lme4's intervals (Wald at once, profile and bootstrap on request, with progress and
 * Cancel) — for the fit shown (prefix '': #ddf, #anova-table, #confint-table, …) or the streamed fit
 * (prefix 'stream-': #stream-ddf, #stream-anova-table, …; no bootstrap controls: it is listed as
 * unavailable with the reason). One controller serves both, as TestsCard serves both Model tests cards.
 */
interface InferenceCard {
  prefix: string;
  /** the pending coefficient/anova request (0: none) */
  id: number;
  /** the intervals' run (profile or bootstrap): Profile and Bootstrap disabled, Cancel and the progress while it runs */
  ci: CardRun<'fit' | 'stream' | 'data', Extract<ToWorker, { id: number }>>;
  /** the fit its requests run on (the page's fit or stream id), or null */
  fitId: () => number | null;
  /** the coefficient table last received, and the fit id it belongs to */
  last: { fit: number; msg: InferenceMsg } | null;
  ddf: HTMLSelectElement;
  ddfControls: HTMLElement;
  status: HTMLElement;
  error: HTMLElement;
  anovaWrap: HTMLElement;
  anova: HTMLElement;
  anovaType: HTMLSelectElement;
  anovaHeading: HTMLElement;
  profile: HTMLButtonElement;
  boot: HTMLButtonElement | null;
  nsim: HTMLInputElement | null;
  cancel: HTMLButtonElement;
  progress: HTMLElement;
  bar: HTMLProgressElement;
  progressText: HTMLElement;
  cierror: HTMLElement;
  confint: HTMLElement;
  /** the intervals not offered, with the reason (the streamed card) */
  unavailable: HTMLElement | null;
}

function inferenceCard(prefix: string, fitId: () => number | null): InferenceCard {
  const opt = <T extends HTMLElement>(name: string) => document.getElementById(`${prefix}${name}`) as T | null;
  const req = <T extends HTMLElement>(name: string) => byId<T>(`${prefix}${name}`);
  const profile = req<HTMLButtonElement>('confint-profile'), boot = opt<HTMLButtonElement>('confint-boot'), cancel = req<HTMLButtonElement>('confint-cancel');
  const progress = req('confint-progress'), bar = req<HTMLProgressElement>('confint-bar'), progressText = req('confint-progress-text'), cierror = req('confint-error');
  return {
    prefix, id: 0, fitId, last: null,
    ci: cardRun(prefix === 'stream-' ? 'stream' : 'fit', { run: boot ? [profile, boot] : [profile], cancel, progress, bar, progressText, error: cierror }),
    ddf: req('ddf'), ddfControls: req('ddf-controls'), status: req('inference-status'), error: req('inference-error'),
    anovaWrap: req('anova-wrap'), anova: req('anova'), anovaType: req('anova-type'), anovaHeading: req('anova-heading'),
    profile, boot, nsim: opt('confint-nsim'), cancel, progress, bar, progressText, cierror,
    confint: req('confint'), unavailable: opt('confint-unavailable'),
  };
}

const inf = inferenceCard('', () => shown?.id ?? null);
/** the fit shown's intervals: the method last run (or a link's, shown as a hint and never run on opening it) */
let ciRun: { method: 'profile' | 'boot'; nsim: number } | null = null;
let ciFromLink = false;

/** the estimated-marginal-means card: the tables shown (its run: emmRun, below) */
let shownEmm: EmmMsg | null = null;
/** the Multiple comparisons card (multcomp's glht): its request running, the result shown */
const gh = glhtEls();
/** its run: no progress bar or Cancel (a status line says it computes); the button back and the status cleared when it ends */
const ghRun = cardRun('fit', { run: [gh.run], error: gh.error }, { fieldErrors: true, idle: () => { gh.run.disabled = false; gh.status.textContent = ''; } });
let shownGlht: GlhtMsg | null = null;
let pendingGlht: GlhtUrlState | null = null;
/** the Simulation intervals card (merTools): its request running, the results shown */
const ms = merSimEls();
const msRun = cardRun('fit', { run: [ms.reRun, ms.piRun], cancel: ms.cancel, progress: ms.progress, bar: ms.bar, progressText: ms.progressText, error: ms.error }, {
  fieldErrors: true,
  // both buttons back, and the status line cleared (this card's only: its status is cleared when a run ends)
  idle: () => { ms.reRun.disabled = false; ms.piRun.disabled = false; ms.status.textContent = ''; },
});
let shownReSim: Extract<MerSimMsg, { kind: 'resim' }> | null = null;
let shownPi: Extract<MerSimMsg, { kind: 'predict' }> | null = null;
let pendingMerSim: MerSimUrlState | null = null;
/** the Multiple imputation card (mitml, mice): its request running, the result shown, the address's settings for the next data */
const mi = miEls();
const miRun = cardRun('data', { run: [mi.run], cancel: mi.cancel, progress: mi.progress, bar: mi.bar, progressText: mi.progressText, error: mi.error }, { fieldErrors: true });
let shownMi: MiMsg | null = null;
let pendingMi: MiUrlState | null = null;
/** the Least-squares means card (lmerTest's ls_means): its request running, the result shown, the address's settings for the next fit */
const lsm = lsmEls();
/** its run: no progress bar or Cancel (a status line says it computes); the button back where the fit has a factor term, the status cleared */
const lsmRun = cardRun('fit', { run: [lsm.run], error: lsm.error }, { fieldErrors: true, idle: () => { lsm.run.disabled = !result?.lsmTerms?.length; lsm.status.textContent = ''; } });
let shownLsm: LsmMsg | null = null;
let pendingLsm: LsmUrlState | null = null;
const emm = {
  specs: byId<HTMLSelectElement>('emm-specs'),
  trend: byId<HTMLSelectElement>('emm-trend'),
  by: byId<HTMLSelectElement>('emm-by'),
  contrast: byId<HTMLSelectElement>('emm-contrast'),
  refLabel: byId('emm-ref-label'),
  ref: byId<HTMLSelectElement>('emm-ref'),
  adjust: byId<HTMLSelectElement>('emm-adjust'),
  typeLabel: byId('emm-type-label'),
  type: byId<HTMLSelectElement>('emm-type'),
  ddfLabel: byId('emm-ddf-label'),
  ddf: byId<HTMLSelectElement>('emm-ddf'),
  run: byId<HTMLButtonElement>('emm-run'),
  status: byId('emm-status'),
  error: byId('emm-error'),
  out: byId('emm-out'),
  means: byId('emm-means'),
  plot: byId('emm-plot'),
  contrasts: byId('emm-contrasts'),
  notes: byId('emm-notes'),
  text: byId('emm-text'),
};
/** its run: a status line, no progress bar or Cancel; the button back and the status cleared when it ends (a result then writes its own) */
const emmRun = cardRun('fit', { run: [emm.run], error: emm.error }, { idle: () => { emm.run.disabled = false; emm.status.textContent = ''; } });

/** the "Model tests" card's running test (0: none) */
/**
 * A Model tests card: the fit shown's (#tests-card, prefix 'tests') or the streamed fit's
 * (#stream-tests-card, prefix 'stream-tests'); its elements are named PREFIX-kind, PREFIX-run, …
 * (a control the card has not, e.g. the streamed card's influence groups, is null).
 */
interface TestsCard {
  prefix: string;
  /**
   * The card's test running: Cancel and the progress set by requestTest after `start` (this card's own: the
   * progress only for tests that refit, an indeterminate bar and no Cancel where the library reports no progress)
   */
  req: CardRun<'fit' | 'stream' | 'data', Extract<ToWorker, { id: number }>>;
  /** the fit its tests run on (the page's fit or stream id), or null */
  fitId: () => number | null;
  /** the downloads' base name */
  fileBase: () => string;
  /** the tests offered for the fit, and what each is computed from (shown as the hint), if not the fit's rows */
  offered: ModelTestSpec[];
  /** drop1's and step's df: the fixed-effects card's choice (ddfNote names it) or the card's own select */
  ddf: HTMLSelectElement;
  ddfNote: HTMLElement | null;
  kind: HTMLSelectElement;
  reduceLabel: HTMLElement | null;
  reduce: HTMLInputElement | null;
  ddfLabel: HTMLElement;
  byLabel: HTMLElement;
  by: HTMLSelectElement;
  typeLabel: HTMLElement | null;
  type: HTMLSelectElement | null;
  groupsLabel: HTMLElement | null;
  groups: HTMLSelectElement | null;
  run: HTMLButtonElement;
  cancel: HTMLButtonElement;
  progress: HTMLElement;
  bar: HTMLProgressElement;
  progressText: HTMLElement;
  status: HTMLElement;
  error: HTMLElement;
  hint: HTMLElement;
  out: HTMLElement;
  /** the tests not offered, with the reason (the streamed card) */
  unavailable: HTMLElement | null;
  /** the streamed fit's card: its hint says what each test is computed from */
  streamed: boolean;
}

function testsCard(prefix: string, c: Pick<TestsCard, 'fitId' | 'fileBase' | 'ddf' | 'streamed'> & { ddfNote: boolean }): TestsCard {
  const opt = <T extends HTMLElement>(name: string) => document.getElementById(`${prefix}-${name}`) as T | null;
  const req = <T extends HTMLElement>(name: string) => byId<T>(`${prefix}-${name}`);
  const run = req<HTMLButtonElement>('run'), cancel = req<HTMLButtonElement>('cancel'), progress = req('progress'), bar = req<HTMLProgressElement>('bar');
  const progressText = req('progress-text'), status = req('status'), error = req('error');
  const card: TestsCard = {
    prefix, offered: [], fitId: c.fitId, fileBase: c.fileBase, ddf: c.ddf, streamed: c.streamed, ddfNote: c.ddfNote ? req('ddf-label') : null,
    // idle again: the status cleared and the run button as the chosen test offers it
    req: cardRun(c.streamed ? 'stream' : 'fit', { run: [run], cancel, progress, bar, progressText, error }, { idle: () => { status.textContent = ''; updateTestsControls(card); } }),
    kind: req('kind'), reduceLabel: opt('reduce-label'), reduce: opt('reduce'), ddfLabel: req('ddf-label'), byLabel: req('by-label'), by: req('by'),
    typeLabel: opt('type-label'), type: opt('type'), groupsLabel: opt('groups-label'), groups: opt('groups'),
    run, cancel, progress, bar, progressText,
    status, error, hint: req('hint'), out: req('out'), unavailable: opt('unavailable'),
  };
  return card;
}

const tst = testsCard('tests', { fitId: () => shown?.id ?? null, fileBase: () => baseName(), ddf: inf.ddf, ddfNote: true, streamed: false });
/** the streamed fit shown (its stream id; 0: none) and its file's name */
let shownStream = { id: 0, name: '' };
const stt = testsCard('stream-tests', {
  fitId: () => shownStream.id || null,
  fileBase: () => shownStream.name.replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9_-]+/g, '_') || 'stream',
  ddf: byId<HTMLSelectElement>('stream-tests-ddf'), ddfNote: false, streamed: true,
});
const testsCards = [tst, stt];
/** the streamed fit's anova table and intervals */
const sinf = inferenceCard('stream-', () => shownStream.id || null);
const inferenceCards = [inf, sinf];

function setState(s: 'empty' | 'loading' | 'loaded' | 'fitting' | 'fitted' | 'error'): void {
  document.body.dataset.state = s;
}

// ---------------------------------------------------------------------------------------------
// Worker

function send(msg: ToWorker): void {
  worker.postMessage(msg);
}

/**
 * The cards' requests by the result they belong to (./requests.ts): 'fit' the fit shown (lmer, glmer, clmm,
 * glmmTMB or gamm4: its cards, predictions and model checks), 'stream' the streamed fit shown (its cards),
 * 'data' the data loaded (comparisons of its fits, the meta-analysis). A reply of an older generation is dropped.
 */
const ledger = new RequestLedger<'fit' | 'stream' | 'data'>();

/** sends a card's request, recorded under the scope's generation */
function sendFor(scope: 'fit' | 'stream' | 'data', msg: Extract<ToWorker, { id: number }>): void {
  ledger.issue(scope, msg.id);
  send(msg);
}

/**
 * A card's request controller (./cardRun.ts): its id from the page's counter, sent through the ledger under
 * the card's scope, cancelled in the worker by Cancel or when the card itself abandons it.
 */
function cardRun(scope: 'fit' | 'stream' | 'data', els: CardRunEls, options: { idle?: () => void; fieldErrors?: boolean } = {}): CardRun<'fit' | 'stream' | 'data', Extract<ToWorker, { id: number }>> {
  return new CardRun({ els, scope, ...options, host: { nextId: () => nextId++, sendFor, cancel: (id) => send({ type: 'cancel', id }) } });
}

/**
 * A new generation of the scope: its running requests are cancelled in the worker (the jobs that take a
 * signal stop; the others finish there and their replies are dropped here).
 */
function abandonRequests(scope: 'fit' | 'stream' | 'data'): void {
  for (const id of ledger.advance(scope)) send({ type: 'cancel', id });
  document.body.dataset.generation = String(ledger.generation('fit'));
}

/**
 * The fit shown changes (another fit's results, another family's section, new data): every card of the old
 * fit with a computation running is set back to idle, its request cancelled, its late reply dropped.
 */
function abandonFitCards(): void {
  inf.ci.drop();
  if (inf.id) { inf.id = 0; inf.status.textContent = ''; }
  tst.req.drop();
  emmRun.drop();
  ghRun.drop();
  msRun.drop();
  lsmRun.drop();
  pwRun.drop();
  llRun.drop();
  rbRun.drop();
  afRun.drop();
  gg.req.drop();
  if (tciId) endTci();
  axRun.drop();
  ckRun.drop();
  if (perfId && ledger.isLive(perfId)) ck.perfStatus.textContent = '';
  perfId = 0;
  perfFit = 0;
  clmmProbId = 0;
  clmmAnovaId = 0;
  abandonRequests('fit');
}

function startWorker(): void {
  worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  worker.addEventListener('message', (ev: MessageEvent<FromWorker>) => onMessage(ev.data));
  worker.addEventListener('error', (ev) => {
    showError(el.fitError, `The background worker failed: ${ev.message || 'unknown error'}. Reload the page to start again.`);
  });
  send({ type: 'probeGpu' });
}

function onMessage(m: FromWorker): void {
  // a card's reply of a fit no longer shown (or of data no longer loaded) is dropped, never drawn
  const card = cardReply(m.type);
  let stale = false;
  if (card) stale = 'id' in m && !ledger.admit(m.id, card === 'final');
  else if (FIT_REPLIES.has(m.type) && 'id' in m && m.id !== fitId) {
    // a fit's reply after it was cancelled (new data were loaded, or Cancel)
    ledger.drop();
    stale = true;
  }
  if (stale) {
    document.body.dataset.staleDropped = String(ledger.dropped);
    return;
  }
  switch (m.type) {
    case 'gpu':
      gpu = m.info;
      showGpu();
      break;
    case 'loadProgress':
      if (m.id === loadId) el.dataStatus.textContent = m.stage;
      break;
    case 'loaded':
      if (m.id === loadId) onLoaded(m.info);
      break;
    case 'loadError':
      if (m.id !== loadId) break;
      data = null;
      setState('error');
      el.dataStatus.textContent = '';
      el.drop.classList.add('invalid');
      showError(el.dataError, m.message);
      renderColumns();
      updateFitButton();
      break;
    case 'progress':
      if (m.id === fitId) showProgress(m);
      break;
    case 'fitted': {
      if (m.id !== fitId) break;
      const id = fitId;
      const started = fitStarted;
      endFit();
      result = m.result;
      const entry: HistoryEntry = { id, loadId, dataName: data?.name ?? '', request: fitRequest!, result: m.result, totalMs: 0 };
      history.push(entry);
      setState('fitted');
      const tr = performance.now();
      renderResults(entry);
      renderMs = performance.now() - tr;
      // click to result: the fit in the worker, the messages both ways and drawing the results
      entry.totalMs = performance.now() - started;
      renderTiming(entry);
      renderHistory();
      syncUrl();
      break;
    }
    case 'clmmFitted': {
      if (m.id !== fitId) break;
      const id = fitId;
      endFit();
      const entry: ClmmEntry = { id, loadId, number: clmmHistory.length + 1, request: fitRequest!, result: m.result };
      clmmHistory.push(entry);
      setState('fitted');
      showClmm(entry);
      syncUrl();
      break;
    }
    case 'gammFitted': {
      if (m.id !== fitId) break;
      const id = fitId;
      endFit();
      const entry: GammEntry = { id, loadId, number: gammHistory.length + 1, request: fitRequest!, result: m.result };
      gammHistory.push(entry);
      setState('fitted');
      showGamm(entry);
      syncUrl();
      break;
    }
    case 'nlmeFitted': {
      if (m.id !== fitId) break;
      const id = fitId;
      endFit();
      const entry: NlmeEntry = { id, loadId, number: nlmeHistory.length + 1, request: fitRequest!, result: m.result };
      nlmeHistory.push(entry);
      setState('fitted');
      showNlme(entry);
      renderHistory();
      syncUrl();
      break;
    }
    case 'nlmerFitted': {
      if (m.id !== fitId) break;
      const id = fitId;
      endFit();
      const entry: NlmerEntry = { id, loadId, number: nlmerHistory.length + 1, request: fitRequest!, result: m.result };
      nlmerHistory.push(entry);
      setState('fitted');
      showNlmer(entry);
      syncUrl();
      break;
    }
    case 'tmbConfintProgress':
    case 'tmbConfinted':
    case 'tmbConfintError':
      onTciMessage(m);
      break;
    case 'ziFitted': {
      if (m.id !== fitId) break;
      const id = fitId;
      endFit();
      const entry: ZiEntry = { id, loadId, number: ziHistory.length + 1, request: fitRequest!, result: m.result };
      ziHistory.push(entry);
      setState('fitted');
      showZi(entry);
      syncUrl();
      break;
    }
    case 'clmmProbabilities':
      if (m.id !== clmmProbId || !shownClmm) break;
      clmmProbId = 0;
      drawClmmProbabilities(clmmEls, m.groups, m.levels, m.by, plotWidth(clmmEls.probs));
      break;
    case 'clmmAnova':
      if (m.id !== clmmAnovaId) break;
      clmmAnovaId = 0;
      renderClmmAnova(clmmEls, m.rows, (fit) => clmmHistory.find((e) => e.id === fit)?.number ?? 0);
      break;
    case 'clmmError':
      if (m.id === clmmProbId) { clmmProbId = 0; showError(clmmEls.probsError, m.message); }
      if (m.id === clmmAnovaId) { clmmAnovaId = 0; showError(clmmEls.compareError, m.message); }
      break;
    case 'fitError': {
      if (m.id !== fitId) break;
      endFit();
      setState('error');
      markStale('The fit failed: the results below are from the previous fit');
      if (m.where === 'formula') showFormulaError(m.message, m.position);
      else showError(m.where === 'options' ? el.optionsError : m.where === 'data' ? el.dataError : el.fitError, m.message);
      break;
    }
    case 'cancelled':
      if (m.id !== fitId) break;
      endFit();
      setState(data ? 'loaded' : 'empty');
      el.fitError.textContent = '';
      el.progress.hidden = false;
      el.progressText.textContent = 'Cancelled.';
      markStale('Cancelled: the results below are from the previous fit');
      break;
    case 'predicted': {
      el.predictError.textContent = '';
      const r = m.result;
      const glmm = result?.kind === 'glmer';
      const resp = (v: number | undefined) => (glmm && v !== undefined ? ` (response scale ${fmt(v, 5)})` : '');
      clear(el.predictOut,
        h('div', {}, 'Population level (new groups, random effects 0): ', h('b', { id: 'pred-population' }, fmt(r.population, 6)), glmm ? ' on the link scale' : '', resp(r.populationResponse)),
        h('div', {}, `With ${r.groups}: `, h('b', { id: 'pred-conditional' }, fmt(r.conditional, 6)), glmm ? ' on the link scale' : '', resp(r.conditionalResponse)),
      );
      break;
    }
    case 'predictError':
      el.predictOut.textContent = '';
      showError(el.predictError, m.message);
      break;
    case 'json':
      jsonWaiters.get(m.id)?.(m.text);
      jsonWaiters.delete(m.id);
      break;
    case 'text':
      textWaiters.get(m.id)?.ok(m.text);
      textWaiters.delete(m.id);
      break;
    case 'textError':
      textWaiters.get(m.id)?.fail(m.message);
      textWaiters.delete(m.id);
      break;
    case 'metaFitted':
      if (m.id !== metaId) break;
      metaId = 0;
      el.metaFit.disabled = false;
      renderMeta(m.result);
      break;
    case 'metaError':
      if (m.id !== metaId) break;
      metaId = 0;
      el.metaFit.disabled = false;
      el.metaResults.hidden = true;
      showError(el.metaError, m.message);
      break;
    case 'inferred': {
      const c = inferenceCards.find((x) => x.id === m.id);
      if (!c) break;
      c.id = 0;
      c.last = { fit: c.fitId() ?? 0, msg: m.result };
      renderInference(c, m.result);
      break;
    }
    case 'inferenceError': {
      const c = inferenceCards.find((x) => x.id === m.id);
      if (!c) break;
      c.id = 0;
      c.status.textContent = '';
      showError(c.error, `No p-values: ${m.message}`);
      break;
    }
    case 'emmeansDone':
      if (!emmRun.accepts(m)) break;
      emmRun.end();
      renderEmm(m.result);
      break;
    case 'emmeansError':
      if (emmRun.accepts(m)) emmRun.fail(m);
      break;
    case 'glhtDone':
      if (!ghRun.accepts(m)) break;
      ghRun.end();
      drawGlht(m.result);
      break;
    case 'miProgress':
      if (miRun.accepts(m)) miRun.progress(m.done, m.total, `${m.done} of ${m.total} fits · ${m.label}`);
      break;
    case 'miDone':
      if (!miRun.accepts(m)) break;
      miRun.end();
      drawMi(m.result);
      break;
    case 'miError':
      if (miRun.accepts(m)) miRun.fail(m, miErrorText(m.message, m.field));
      break;
    case 'merSimProgress':
      if (msRun.accepts(m)) msRun.progress(m.done, m.total, `${m.done.toLocaleString('en-US')} of ${m.total.toLocaleString('en-US')} ${m.label}`);
      break;
    case 'merSimDone':
      if (!msRun.accepts(m)) break;
      msRun.end();
      drawMerSim(m.result);
      break;
    case 'merSimError':
      if (msRun.accepts(m)) msRun.fail(m, merSimErrorText(m.message, m.field));
      break;
    case 'glhtError':
      if (ghRun.accepts(m)) ghRun.fail(m, glhtErrorText(m.message, m.field));
      break;
    case 'lsMeansDone':
      if (!lsmRun.accepts(m)) break;
      lsmRun.end();
      drawLsm(m.result);
      break;
    case 'lsMeansError':
      if (lsmRun.accepts(m)) lsmRun.fail(m, lsmErrorText(m.message, m.field));
      break;
    case 'modelTestProgress':
      testsCards.find((t) => t.req.accepts(m))?.req.progress(m.done, m.total, `${m.done} of ${m.total} refits${m.label ? ` (last: without ${m.label})` : ''}`);
      break;
    case 'modelTestDone': {
      const c = testsCards.find((t) => t.req.accepts(m));
      if (!c) break;
      c.req.end();
      renderTest(c, m.result);
      break;
    }
    case 'modelTestError':
      testsCards.find((t) => t.req.accepts(m))?.req.fail(m);
      break;
    case 'powerProgress':
      if (pwRun.accepts(m)) pwRun.progress(m.done, m.total, m.label === 'simulations' ? `${m.done} of ${m.total} simulations` : `${m.label}…`);
      break;
    case 'powerDone':
      if (!pwRun.accepts(m)) break;
      pwRun.end();
      renderPower(m.result);
      break;
    case 'powerError':
      if (pwRun.accepts(m)) pwRun.fail(m);
      break;
    case 'lmListDone':
      if (!llRun.accepts(m)) break;
      llRun.end();
      renderLmList(m.result);
      break;
    case 'robustDone':
      if (!rbRun.accepts(m)) break;
      rbRun.end();
      renderRobust(m.result);
      break;
    case 'robustError':
      if (rbRun.accepts(m)) rbRun.fail(m);
      break;
    case 'allFitProgress':
      if (afRun.accepts(m)) afRun.progress(m.done, m.total, m.label ? `${m.done} of ${m.total} refits done; refitting with ${m.label}…` : `${m.done} of ${m.total} refits done`);
      break;
    case 'tabModelDone':
      if (m.id !== tmId) break;
      tmId = 0;
      renderTm(m.result);
      break;
    case 'tabModelError':
      if (m.id !== tmId) break;
      tmId = 0;
      tm.status.textContent = '';
      showError(tm.error, m.message);
      break;
    case 'ggeffectsDone': {
      const c = [gg, sgg].find((x) => x.req.accepts(m));
      if (!c) break;
      c.req.end();
      renderGg(m.result, c);
      break;
    }
    case 'ggeffectsError':
      [gg, sgg].find((x) => x.req.accepts(m))?.req.fail(m);
      break;
    case 'allFitDone':
      if (!afRun.accepts(m)) break;
      afRun.end();
      renderAllFit(m.result);
      break;
    case 'dharmaProgress':
      if (ckRun.accepts(m)) ckRun.progress(m.done, m.total, m.label ? `${m.label}…` : 'done');
      break;
    case 'dharmaDone':
      if (!ckRun.accepts(m)) break;
      ckRun.end();
      renderDharma(m.result);
      break;
    case 'dharmaError':
      if (ckRun.accepts(m)) ckRun.fail(m);
      break;
    case 'perfChecksDone':
      if (m.id === perfId) renderPerfChecks(m.result);
      else if (m.id === streamPerfId) renderPerfChecks(m.result, byId('stream-checks-out'), 'stream-checks', byId('stream-checks-status'));
      break;
    case 'perfChecksError':
      if (m.id === perfId) { ck.perfStatus.textContent = ''; showError(ck.perfError, m.message); }
      else if (m.id === streamPerfId) { byId('stream-checks-status').textContent = ''; showError(byId('stream-checks-error'), m.message); }
      break;
    case 'afexProgress':
      if (axRun.accepts(m)) axRun.progress(m.done, m.total, `${m.done} of ${m.total} fits and tests done (last: ${m.label})`);
      break;
    case 'afexDone':
      if (!axRun.accepts(m)) break;
      axRun.end();
      renderAfex(m.result);
      break;
    case 'afexError':
      if (axRun.accepts(m)) axRun.fail(m);
      break;
    case 'allFitError':
      if (afRun.accepts(m)) afRun.fail(m);
      break;
    case 'lmListError':
      if (llRun.accepts(m)) llRun.fail(m);
      break;
    case 'confintProgress': {
      const c = inferenceCards.find((x) => x.ci.accepts(m));
      if (c) c.ci.progress(m.done, m.total, m.label === 'replicates' ? `${m.done} of ${m.total} replicates` : m.done < m.total ? `profiling ${m.label} (${m.done + 1} of ${m.total})` : 'done');
      break;
    }
    case 'confinted': {
      const c = inferenceCards.find((x) => x.ci.accepts(m));
      if (!c) break;
      c.ci.end();
      renderConfint(c, m.result);
      break;
    }
    case 'confintError':
      inferenceCards.find((x) => x.ci.accepts(m))?.ci.fail(m);
      break;
    case 'streamProgress':
      if (m.id === streamId) showStreamProgress(m);
      break;
    case 'streamFitted':
      if (m.id !== streamId) break;
      endStream();
      renderStream(m.id, m.result);
      break;
    case 'streamError':
      if (m.id !== streamId) break;
      endStream();
      if (m.cancelled) { st.progress.hidden = false; st.progress.textContent = 'Cancelled.'; } else showError(st.error, m.message);
      break;
    case 'relmatLoaded':
      if (m.id !== relmatId) break;
      relmat = m.info;
      renderRelmat();
      break;
    case 'relmatError':
      if (m.id !== relmatId) break;
      relmat = null;
      renderRelmat();
      el.relmatNote.className = 'note warn';
      el.relmatNote.textContent = `Could not read the relatedness file: ${m.message}`;
      break;
    case 'compared':
      if (m.id !== compareId) break;
      compareId = 0;
      renderComparison(m.rows, m.refitted, m.notes);
      updateCompareButton();
      break;
    case 'nlmerCompared':
      if (m.id !== compareId) break;
      compareId = 0;
      renderComparison(m.rows, [], ['nlmer fits are maximum-likelihood fits (none is refitted); the test assumes the smaller model is nested in the larger one.'], { names: m.names, print: m.print });
      updateCompareButton();
      break;
    case 'nlmeCompared':
      if (m.id !== compareId) break;
      compareId = 0;
      clear(el.compareOut, nlmeAnovaTable(m.rows, m.print));
      updateCompareButton();
      break;
    case 'compareError':
      if (m.id !== compareId) break;
      compareId = 0;
      el.compareOut.textContent = '';
      showError(el.compareError, `No comparison: ${m.message}.`);
      updateCompareButton();
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// Data

/** the data's comparison of two fits and meta-analysis: cancelled, their late replies dropped */
function abandonDataRequests(): void {
  abandonRequests('data');
  if (metaId) { metaId = 0; el.metaFit.disabled = false; }
  miRun.drop();
  if (compareId) { compareId = 0; el.compareOut.textContent = ''; updateCompareButton(); }
  // the Regression table of the previous data's fits: its request dropped, its table removed
  tmId = 0;
  shownTm = null;
  tm.status.textContent = '';
  tm.error.textContent = '';
  clear(tm.out);
}

function load(src: DataSource): void {
  // a fit of the previous data still running is cancelled (its result would be drawn as these data's),
  // and so is every card's computation on the previous data's fits, a comparison and a meta-analysis
  if (fitId) {
    send({ type: 'cancel', id: fitId });
    endFit();
  }
  abandonFitCards();
  abandonDataRequests();
  source = src;
  loadId = nextId++;
  data = null;
  hideFitSections();
  el.metaResults.hidden = true;
  el.metaPanel.hidden = true;
  el.metaError.textContent = '';
  mi.panel.hidden = true;
  shownMi = null;
  clearStale();
  compareSel.length = 0;
  el.compareOut.textContent = '';
  el.compareError.textContent = '';
  renderHistory();
  setState('loading');
  el.dataError.textContent = '';
  el.fitError.textContent = '';
  el.drop.classList.remove('invalid');
  el.dataStatus.textContent = src.kind === 'file' ? `reading ${src.file.name}…` : `loading ${src.name}…`;
  renderColumns();
  updateFitButton();
  send({ type: 'load', id: loadId, source: src });
}

function onLoaded(info: DataInfo): void {
  data = info;
  setState('loaded');
  el.dataError.textContent = '';
  const size = !info.bytes ? '' : info.bytes < 1048576 ? `, ${(info.bytes / 1024).toFixed(1)} KB` : `, ${(info.bytes / 1048576).toFixed(1)} MB`;
  el.dataStatus.textContent = `${info.name}: ${info.rows.toLocaleString('en-US')} rows × ${info.columns.length} columns${size}, read in ${fmtMs(info.loadMs)}`;
  if (info.warnings.length) showError(el.dataError, info.warnings.join('\n'));
  factors.clear();
  // a formula for these data: the example's, or one suggested from the columns, or none (never the
  // previous data's formula)
  const url = pendingUrl && ((source?.kind === 'example' && pendingUrl.example === source.name) || (source?.kind === 'file' && pendingUrl.file === source.file.name)) ? pendingUrl : null;
  pendingUrl = null;
  const sug = info.suggestion;
  el.formula.value = url?.formula ?? sug?.formula ?? '';
  for (const f of url?.factors ?? sug?.factors ?? []) if (info.columns.some((c) => c.name === f)) factors.add(f);
  el.family.value = url?.family ?? sug?.family ?? 'gaussian';
  el.ziformula.value = sug?.ziformula ?? '~ 1';
  el.dispformula.value = sug?.dispformula ?? '~ 1';
  // an nlmer example's start values (lme4's): the boxes are drawn with them by the formula's check below
  if (sug?.nlmerStart) {
    Object.assign(nlmerValues, parseStartText(sug.nlmerStart));
    delete el.nlmerStart.dataset.params;
  }
  onFamilyChange(url?.link ?? sug?.link);
  if (url) applyOptions(url);
  renderMiStart(info);
  if (source?.kind === 'file' && !url) {
    el.dataStatus.append(sug ? ' · formula suggested from the columns: edit it as you need' : ' · write a formula for these data (no numeric response with a repeated grouping column was found to suggest one)');
  }
  validateFormula();
  renderColumns();
  renderMetaPanel(info);
  updateFitButton();
  syncUrl();
  if (url?.fit && !el.fit.disabled) startFit();
}


function renderColumns(): void {
  if (!data) {
    el.columns.replaceChildren();
    return;
  }
  const roles = new Map<string, string>();
  if (parsed) {
    const resp = parsed.response.kind === 'expr' ? varsOf(parsed.response.expr) : [...varsOf(parsed.response.successes), ...varsOf(parsed.response.failures)];
    for (const r of parsed.random) for (const g of r.group) roles.set(g, 'grouping');
    for (const v of resp) roles.set(v, 'response');
  }
  if (nlParsed) {
    for (const r of nlParsed.random) for (const g of r.group) roles.set(g, 'grouping');
    roles.set(nlParsed.response, 'response');
  }
  const rows = data.columns.map((c) => {
    const role = roles.get(c.name);
    const isFactor = c.kind === 'factor' || factors.has(c.name);
    const num = (x: number | undefined) => (x !== undefined && Number.isInteger(x) && Math.abs(x) < 1e9 ? x.toLocaleString('en-US') : fmt(x, 4));
    const summary = c.kind === 'numeric'
      ? `${num(c.min)} – ${num(c.max)}${c.integer ? `, ${c.distinct > 10_000 ? '>10,000' : c.distinct.toLocaleString('en-US')} distinct` : ''}`
      : c.kind === 'factor' ? `${c.distinct.toLocaleString('en-US')} level${c.distinct === 1 ? '' : 's'}` : 'not usable in a model';
    const toggle = c.kind === 'numeric'
      ? h('input', {
          type: 'checkbox', checked: factors.has(c.name), 'data-factor': c.name, 'aria-label': `treat ${c.name} as a factor`,
          onchange: (ev: Event) => {
            const on = (ev.target as HTMLInputElement).checked;
            if (on) factors.add(c.name); else factors.delete(c.name);
            renderColumns();
            validateFormula();
          },
        })
      : c.kind === 'factor' ? h('input', { type: 'checkbox', checked: true, disabled: true, 'aria-label': `${c.name} is a factor` }) : null;
    return h('tr', { 'data-column': c.name },
      h('td', {}, h('code', {}, c.name), role ? h('span', { class: 'badge' }, role) : null),
      h('td', { title: c.arrowType }, h('span', { class: `kind ${isFactor ? 'factor' : c.kind}` }, isFactor ? 'factor' : c.kind === 'numeric' ? 'numeric' : c.arrowType)),
      h('td', {}, summary, c.nulls ? h('span', { class: 'badge' }, `${c.nulls.toLocaleString('en-US')} missing`) : null),
      h('td', { class: 'sample', title: c.sample.join(', ') }, c.sample.join(', ')),
      h('td', {}, toggle ? h('label', { title: 'treat as a factor (categorical)' }, toggle, ' factor') : null),
    );
  });
  clear(el.columns, h('div', { class: 'columns-wrap' },
    h('table', { class: 'columns', id: 'columns-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Column'), h('th', {}, 'Type'), h('th', {}, 'Values'), h('th', {}, 'First rows'), h('th', {}, ''))),
      h('tbody', {}, rows),
    ),
  ));
}

function setupDrop(): void {
  el.file.addEventListener('change', () => {
    const f = el.file.files?.[0];
    if (f) load({ kind: 'file', file: f });
    el.file.value = '';
  });
  const d = el.drop;
  d.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    d.classList.add('over');
  });
  d.addEventListener('dragleave', () => d.classList.remove('over'));
  d.addEventListener('drop', (ev) => {
    ev.preventDefault();
    d.classList.remove('over');
    const files = ev.dataTransfer?.files;
    if (!files || files.length === 0) {
      showError(el.dataError, 'Nothing to read: drop a file (CSV, TSV, Parquet or Arrow IPC).');
      return;
    }
    if (files.length > 1) showError(el.dataError, `${files.length} files dropped: reading the first, ${files[0]!.name}.`);
    load({ kind: 'file', file: files[0]! });
  });
  // a file dropped elsewhere on the page should not navigate away
  window.addEventListener('dragover', (ev) => ev.preventDefault());
  window.addEventListener('drop', (ev) => ev.preventDefault());
  for (const b of document.querySelectorAll<HTMLButtonElement>('[data-example]')) {
    b.addEventListener('click', () => {
      const name = b.dataset.example as ExampleName;
      load({ kind: 'example', name, url: EXAMPLE_URLS[name] ? new URL(EXAMPLE_URLS[name]!, location.href).href : undefined });
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Formula

function varsOf(e: import('../../src/index.js').Expr, out: string[] = []): string[] {
  switch (e.type) {
    case 'var': out.push(e.name); break;
    case 'neg': varsOf(e.arg, out); break;
    case 'binop': case 'compare': case 'and': varsOf(e.left, out); varsOf(e.right, out); break;
    case 'not': varsOf(e.arg, out); break;
    case 'call': for (const a of e.args) varsOf(a, out); break;
  }
  return out;
}

function formulaVars(f: Formula): string[] {
  const out: string[] = [];
  if (f.response.kind === 'expr') varsOf(f.response.expr, out);
  else { varsOf(f.response.successes, out); varsOf(f.response.failures, out); }
  for (const t of f.fixed.terms) for (const v of t.vars) varsOf(v.expr, out);
  for (const o of f.offsets) varsOf(o, out);
  for (const r of f.random) {
    for (const t of r.lhs.terms) for (const v of t.vars) varsOf(v.expr, out);
    out.push(...r.group);
  }
  return [...new Set(out)];
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = t;
    }
  }
  return d[b.length]!;
}

/** The extent of the token at `pos`: an identifier or number, else one character. */
function tokenAt(text: string, pos: number): [number, number] {
  if (pos >= text.length) return [text.length, text.length];
  const m = /^(?:[A-Za-z_.][A-Za-z0-9_.]*|\d+(?:\.\d*)?(?:e[+-]?\d+)?|\|\||\S)/.exec(text.slice(pos));
  return [pos, pos + (m ? m[0].length : 1)];
}

function showFormulaError(message: string, position?: number): void {
  const text = el.formula.value;
  el.formula.setAttribute('aria-invalid', 'true');
  const parts: (Node | string)[] = [message];
  if (position !== undefined && position >= 0) {
    const [a, b] = tokenAt(text, position);
    const token = text.slice(a, b);
    // two lines in one monospaced block: the formula with the token marked, and the caret under it
    const where = h('span', { class: 'where' },
      h('span', { class: 'where-line' }, text.slice(0, a), h('mark', { id: 'formula-token', 'data-position': String(position) }, token || ' '), text.slice(b)),
      h('span', { class: 'where-line caret', id: 'formula-caret' }, ' '.repeat(a) + '^'.repeat(Math.max(1, b - a))),
    );
    parts.push(where);
  }
  el.formulaError.dataset.position = position === undefined ? '' : String(position);
  clear(el.formulaError, parts);
}

function clearFormulaError(): void {
  el.formula.removeAttribute('aria-invalid');
  el.formulaError.replaceChildren();
  delete el.formulaError.dataset.position;
}

/** Parses the formula and checks it against the columns; shows the first problem at its token. */
function validateFormula(): boolean {
  const ok = checkFormula();
  renderRelmatGroups();
  return ok;
}

function checkFormula(): boolean {
  const text = el.formula.value;
  // the text the messages below belong to (typing is debounced: tests wait for this to catch up)
  el.formula.dataset.validated = text;
  parsed = null;
  nlParsed = null;
  // lme4's nlmer: a three-part formula, read by the library's nlmer parser, with its start boxes
  const nl = isNlmerFormula(text);
  el.nlmerRow.hidden = !nl;
  if (nl) return checkNlmerFormula(text);
  nlParams = null;
  if (text.trim() === '') {
    clearFormulaError();
    return false;
  }
  let f: Formula;
  // smooth terms s(x) (gamm4): the library's refusals at their token; the rest parsed with each smooth blanked out (positions kept)
  let split: GammSplit | null = null;
  try {
    split = splitGammFormula(text);
    let rest = text;
    for (const sm of split?.smooths ?? []) rest = `${rest.slice(0, sm.pos)}1${' '.repeat(sm.text.length - 1)}${rest.slice(sm.pos + sm.text.length)}`;
    f = parseFormula(rest);
  } catch (e) {
    if (e instanceof FormulaError) {
      showFormulaError(`Formula error: ${e.message.split('\n')[0]!.replace(/ at position \d+:?$/, '')}`, e.position);
    } else showFormulaError(`Formula error: ${(e as Error).message}`);
    return false;
  }
  parsed = f;
  if (data) {
    const cols = data.columns.map((c) => c.name);
    const colSet = new Set(cols);
    const unknown = [...formulaVars(f), ...(split?.smooths.map((sm) => sm.term) ?? [])].filter((v) => !colSet.has(v));
    if (unknown.length > 0) {
      const u = unknown[0]!;
      const best = cols.map((c) => [c, editDistance(u, c)] as const).sort((a, b) => a[1] - b[1])[0];
      const hint = best && best[1] <= Math.max(2, Math.floor(u.length / 3)) ? ` Did you mean '${best[0]}'?` : '';
      const pos = text.search(new RegExp(`(?<![A-Za-z0-9_.])${u.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_.])`));
      showFormulaError(
        `Unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((x) => `'${x}'`).join(', ')}: not in ${data.name}.${hint}\nColumns: ${cols.join(', ')}`,
        pos >= 0 ? pos : undefined,
      );
      renderColumns();
      return false;
    }
    const unusable = formulaVars(f).filter((v) => data!.columns.find((c) => c.name === v)?.kind === 'other');
    if (unusable.length > 0) {
      showFormulaError(`Column '${unusable[0]}' (${data.columns.find((c) => c.name === unusable[0])!.arrowType}) is neither numeric nor text: it cannot be used in a model.`);
      return false;
    }
  }
  if (split) {
    const problem = gammFormulaProblem(split, el.family.value, el.family.value === 'gaussian' ? undefined : el.link.value, data?.columns, factors);
    if (problem) {
      showFormulaError(problem.message, problem.position);
      return false;
    }
    clearFormulaError();
    return true;
  }
  // nlme's gls: a model without random effects, when a residual variance or correlation is given (Gaussian)
  if (f.random.length === 0 && !(el.family.value === 'gaussian' && nlmeAsked())) {
    showFormulaError('A mixed model needs at least one random-effects term, such as (1 | group): add one at the end.', text.length);
    return false;
  }
  const family = el.family.value as FamilyChoice;
  if (family === 'ordinal') renderOrdinalLevels();
  if (family === 'ordinal' && !responseColumnOf(f)) {
    showFormulaError('An ordinal (clmm) response is one column of ordered categories, such as rating ~ temp + (1 | judge).', 0);
    return false;
  }
  // glmmTMB's families: one numeric response column (counts; beta: in (0, 1); gaussian: numbers)
  const ziResponse = family === 'tmb_beta' ? 'a beta model\'s response is one column of proportions strictly between 0 and 1, such as yb ~ x + (1 | g)'
    : family === 'tmb_gaussian' ? 'a gaussian glmmTMB model\'s response is one numeric column, such as yg ~ x + (1 | g)'
    : family === 'tmb_gamma' ? 'a Gamma model\'s response is one numeric column of positive values'
    : family === 'tmb_tweedie' ? 'a tweedie model\'s response is one numeric column of values ≥ 0'
    : isBinomialChoice(family) ? 'a binomial glmmTMB model\'s response is cbind(successes, failures), a 0/1 column, or a proportion with its trials as weights'
    : 'a zero-inflated or hurdle model\'s response is one column of counts (whole numbers ≥ 0), such as count ~ mined + (1 | site)';
  if (isZiChoice(family) && !responseColumnOf(f) && !(isBinomialChoice(family) && f.response.kind === 'cbind')) {
    showFormulaError(`${ziResponse[0]!.toUpperCase()}${ziResponse.slice(1)}.`, 0);
    return false;
  }
  if (data && isZiChoice(family) && responseColumnOf(f)) {
    const name = responseColumnOf(f)!;
    const col = data.columns.find((c) => c.name === name);
    if (col && (col.kind !== 'numeric' || factors.has(name))) {
      showFormulaError(`The response '${name}' is ${col.kind === 'numeric' ? 'marked as a factor' : 'not numeric'}: ${ziResponse}.`, text.indexOf(name));
      return false;
    }
  }
  if (f.response.kind === 'cbind' && family !== 'binomial' && !isBinomialChoice(family)) {
    showFormulaError(`cbind(successes, failures) is a binomial response: choose the family binomial under Options.`, text.indexOf('cbind'));
    return false;
  }
  if (data && family === 'gaussian' && f.response.kind === 'expr' && f.response.expr.type === 'var') {
    const name = f.response.expr.name;
    const col = data.columns.find((c) => c.name === name);
    if (col && (col.kind === 'factor' || factors.has(name))) {
      showFormulaError(`The response '${name}' is a factor; a Gaussian model needs a numeric response (for 0/1 or two-level outcomes choose the family binomial).`, text.indexOf(name));
      return false;
    }
  }
  clearFormulaError();
  return true;
}

/**
 * An nlmer formula: its start boxes (one per parameter of the self-starting model), the library's parser's
 * verdict at its token, then the columns it names (the response and the covariates numeric).
 */
function checkNlmerFormula(text: string): boolean {
  nlParams = nlmerParameters(text);
  renderNlmerStart();
  let nf: NlFormula;
  try {
    nf = parseNlmerFormula(text, nlParams?.parameters ?? []);
  } catch (e) {
    if (e instanceof FormulaError) showFormulaError(`Formula error: ${e.message.split('\n')[0]!.replace(/ at position \d+:?$/, '')}`, e.position);
    else showFormulaError(`Formula error: ${(e as Error).message}`);
    return false;
  }
  if (data) {
    const cols = data.columns.map((c) => c.name);
    const colSet = new Set(cols);
    const named = [...new Set([nf.response, ...nf.covariates, ...nf.random.flatMap((r) => r.group)])];
    const unknown = named.filter((v) => !colSet.has(v));
    const at = (v: string) => { const i = text.search(new RegExp(`(?<![A-Za-z0-9_.])${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_.])`)); return i >= 0 ? i : undefined; };
    if (unknown.length > 0) {
      showFormulaError(`Unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((x) => `'${x}'`).join(', ')}: not in ${data.name}.\nColumns: ${cols.join(', ')}`, at(unknown[0]!));
      renderColumns();
      return false;
    }
    const notNumeric = [nf.response, ...nf.covariates].find((v) => data!.columns.find((c) => c.name === v)?.kind !== 'numeric' || factors.has(v));
    if (notNumeric) {
      showFormulaError(`Column '${notNumeric}' is ${notNumeric === nf.response ? 'the response' : `a covariate of ${nf.model.name}`} and must be numeric (not a factor) in an nlmer model.`, at(notNumeric));
      return false;
    }
  }
  if (el.family.value !== 'gaussian') {
    showFormulaError(`A three-part formula is lme4's nlmer, a Gaussian nonlinear mixed model: choose the family gaussian under Options (not ${el.family.value}).`, 0);
    return false;
  }
  nlParsed = nf;
  clearFormulaError();
  return true;
}

/** the start boxes of the formula's parameters (drawn again only when the parameters change, so typing keeps its box) */
function renderNlmerStart(): void {
  const p = nlParams;
  const key = p ? `${p.model}:${p.parameters.join(',')}` : '';
  if (el.nlmerStart.dataset.params !== key) {
    el.nlmerStart.dataset.params = key;
    if (p) {
      renderStartBoxes(el.nlmerStart, p.model, p.parameters, nlmerValues, (name, v) => {
        nlmerValues[name] = v;
        checkNlmerStart();
        syncUrl();
      });
    } else el.nlmerStart.replaceChildren();
  }
  checkNlmerStart();
}

/** the note under the start boxes, and the boxes' problem (an empty box, not a number); true when they are fine */
function checkNlmerStart(): boolean {
  const p = nlParams;
  el.nlmerNote.textContent = p
    ? `${p.model}: give each parameter a starting value near its estimate — lme4's nlmer, and this library, do not call the model's self-start function, so there is no default. Fitted by maximum likelihood (Laplace, lme4's two Nelder–Mead stages) on the CPU in float64; the Criterion's REML does not apply.`
    : 'An nlmer formula is response ~ SelfStartModel(covariates, parameters) ~ random-effects part, such as circumference ~ SSlogis(age, Asym, xmid, scal) ~ Asym | Tree: a box per parameter appears here.';
  const problem = p ? nlmerStartProblem(p.parameters, nlmerValues) : null;
  el.nlmerError.textContent = problem ?? '';
  return !!p && problem === null;
}

// ---------------------------------------------------------------------------------------------
// Options

/** the grouping factors of the formula with a single grouping variable: where a relatedness file can apply */
function renderRelmatGroups(fileLoaded = false): void {
  const groups = parsed ? [...new Set(parsed.random.filter((r) => r.group.length === 1).map((r) => r.group[0]!))] : [];
  const keep = el.relmatGroup.value;
  // the only grouping factor is chosen for a file just read, or when the chosen one left the formula;
  // never over the user's own "none"
  const pick = !!relmat && groups.length === 1 && (fileLoaded || (keep !== '' && !groups.includes(keep)));
  clear(el.relmatGroup, h('option', { value: '' }, relmat ? '(choose a grouping factor)' : '(no file)'),
    groups.map((g) => h('option', { value: g, selected: g === keep || pick }, g)));
}

function renderRelmat(): void {
  el.relmatRemove.hidden = !relmat;
  el.relmatNote.className = 'note';
  el.relmatNote.textContent = relmat ? `${relmat.name}: ${relmat.note} (levels ${relmat.sample.join(', ')}${relmat.levels > relmat.sample.length ? ', …' : ''}). The data's levels of the chosen grouping factor are matched to it by name.` : '';
  renderRelmatGroups(true);
}

function setupRelmat(): void {
  const read = () => {
    const f = el.relmatFile.files?.[0];
    if (!f) return;
    relmatId = nextId++;
    el.relmatNote.className = 'note';
    el.relmatNote.textContent = `reading ${f.name}…`;
    send({ type: 'relmat', id: relmatId, file: f, kind: el.relmatKind.value as 'auto' });
  };
  el.relmatFile.addEventListener('change', read);
  el.relmatKind.addEventListener('change', read);
  el.relmatRemove.addEventListener('click', () => {
    relmat = null;
    relmatId = 0;
    el.relmatFile.value = '';
    renderRelmat();
  });
}

let gaussianCriterion = 'reml';
/** the Criterion last chosen for a glmmTMB family (glmmTMB's default: ML) */
let tmbCriterion = 'ml';
/** which choice the Criterion's radios hold now: lmer's, glmmTMB's, or none (glmer, ML only) */
let criterionKind: 'gaussian' | 'tmb' | 'none' = 'gaussian';
/** the page's drawing time of the last results (the timing header's breakdown) */
let renderMs = 0;

function onFamilyChange(link?: string): void {
  const fam = el.family.value as FamilyChoice;
  clear(el.link, LINKS[fam].map((l) => h('option', { value: l }, l)));
  if (link && LINKS[fam].includes(link)) el.link.value = link;
  el.link.disabled = fam === 'gaussian';
  el.nagq.disabled = fam === 'gaussian';
  el.thresholdLabel.hidden = fam !== 'ordinal';
  if (fam !== 'ordinal') el.ordinalLevels.hidden = true;
  // glmmTMB's models: the zero-inflation formula (disabled, with the reason, for beta and gaussian), the
  // dispersion formula (not for the Poisson families); the Laplace approximation only (no nAGQ)
  el.ziRow.hidden = !isZiChoice(fam);
  const noZi = ziFormulaUnavailable(fam);
  el.ziformula.disabled = noZi !== null;
  el.ziformulaNone.hidden = noZi === null;
  el.ziformulaNone.textContent = noZi ?? '';
  el.dispRow.hidden = !takesDispFormula(fam);
  // binomial and betabinomial: '~ 0' (glmmTMB's default: no zero model) where the box had the count families' '~ 1'
  if (isBinomialChoice(fam) && el.ziformula.value.trim() === '~ 1') el.ziformula.value = defaultZiFormula(fam);
  el.weightsRow.hidden = !isBinomialChoice(fam);
  // nlme's residual variance and correlation: Gaussian models only (lme, or gls without random effects)
  el.nlmeRow.hidden = fam !== 'gaussian';
  if (isZiChoice(fam)) el.nagq.disabled = true;
  checkZiFormula();
  checkDispFormula();
  // glmer is fit by maximum likelihood: ML checked (and greyed); the Gaussian choice (REML by default) and
  // the glmmTMB families' (glmmTMB's REML = TRUE; ML by default) come back
  const radios = [...el.criterion.querySelectorAll<HTMLInputElement>('input')];
  const chosen = radios.find((r) => r.checked)?.value;
  if (!radios[0]!.disabled && chosen) {
    if (criterionKind === 'gaussian') gaussianCriterion = chosen;
    else if (criterionKind === 'tmb') tmbCriterion = chosen;
  }
  criterionKind = fam === 'gaussian' ? 'gaussian' : isZiChoice(fam) ? 'tmb' : 'none';
  for (const r of radios) {
    r.disabled = criterionKind === 'none';
    r.checked = r.value === (criterionKind === 'gaussian' ? gaussianCriterion : criterionKind === 'tmb' ? tmbCriterion : 'ml');
  }
  el.familyNote.textContent = fam === 'gaussian'
    ? ''
    : isZiChoice(fam)
    ? `${ZI_NOTES[fam] ?? ''}${takesDispFormula(fam) ? ` ${DISP_NOTE}` : ''} ${ZI_FIT_NOTE}`
    : fam === 'ordinal'
    ? 'A cumulative link mixed model (ordinal\'s clmm): P(Y ≤ j) = F(Θ_j − xᵀβ − zᵀb) for an ordered response, fit by maximum likelihood (Laplace, or adaptive Gauss–Hermite with nAGQ > 1 for one scalar random-effects term) on the CPU in float64. Priors and relatedness files are for lmer and glmer.'
    : `GLMMs (glmer) are fit by maximum likelihood (Laplace, or adaptive Gauss–Hermite with nAGQ > 1).${FAMILY_NOTES[fam] ? ` ${FAMILY_NOTES[fam]}` : ''}`;
  el.optionsError.textContent = '';
  validateFormula();
  updateFitButton();
}

function showGpu(): void {
  const webgpuOption = el.backend.querySelector<HTMLOptionElement>('option[value="webgpu"]')!;
  if (!gpu) return;
  document.body.dataset.gpu = gpu.available ? 'available' : 'unavailable';
  if (gpu.available) {
    webgpuOption.disabled = false;
    clear(el.gpuNote, 'WebGPU adapter: ', h('b', { id: 'gpu-adapter' }, gpu.adapter ?? 'unknown'),
      gpu.isSoftware ? ' — a software (CPU) implementation: expect CPU speed, not GPU speed; auto uses the CPU backend.' : '');
    el.gpuNote.className = 'note';
  } else {
    webgpuOption.disabled = true;
    if (el.backend.value === 'webgpu') el.backend.value = 'auto';
    clear(el.gpuNote, h('b', {}, 'WebGPU is not available in this browser'), ` (${gpu.reason ?? 'no adapter'}). Fits run on the CPU backend (float64).`);
    el.gpuNote.className = 'note warn';
  }
}

// ---------------------------------------------------------------------------------------------
// Fit

/** a residual variance or correlation typed: the Gaussian fit is nlme's lme (gls without random effects) */
function nlmeAsked(): boolean {
  return el.nlmeWeights.value.trim() !== '' || el.nlmeCorrelation.value.trim() !== '';
}

/** the nlme boxes' check: each must name one of the library's structures; the note says which function fits */
function checkNlmeBoxes(): void {
  const problem = nlmeBoxProblem('weights', el.nlmeWeights.value) ?? nlmeBoxProblem('correlation', el.nlmeCorrelation.value);
  el.nlmeWeights.setAttribute('aria-invalid', problem ? 'true' : 'false');
  el.nlmeError.textContent = problem ?? '';
  el.nlmeNote.hidden = !nlmeAsked();
  el.nlmeNote.textContent = nlmeAsked() ? 'Fitted by nlme\'s lme (gls without a random-effects term) on the CPU: one grouping factor, (1 | g) or (x | g); the Criterion\'s REML or ML.' : '';
}

function updateFitButton(): void {
  const busy = fitId !== 0;
  el.fit.disabled = busy || !data || !(parsed || nlParsed) || el.formula.getAttribute('aria-invalid') === 'true'
    || (el.family.value === 'gaussian' && el.nlmeWeights.getAttribute('aria-invalid') === 'true')
    || (isZiChoice(el.family.value) && (el.ziformula.getAttribute('aria-invalid') === 'true' || el.dispformula.getAttribute('aria-invalid') === 'true' || el.tmbWeights.getAttribute('aria-invalid') === 'true'));
  el.cancel.disabled = !busy;
}

function startFit(): void {
  if (!data || !validateFormula()) return;
  const family = el.family.value as FamilyChoice;
  const nAGQ = Number(el.nagq.value);
  el.optionsError.textContent = '';
  el.fitError.textContent = '';
  if (nlParsed && !checkNlmerStart()) {
    showError(el.nlmerError, el.nlmerError.textContent || 'nlmer needs a starting value for each parameter.');
    return;
  }
  if (relmat && !el.relmatGroup.value) {
    showError(el.optionsError, `Choose the grouping factor that ${relmat.name} is for (or remove the relatedness file).`);
    return;
  }
  if (isZiChoice(family)) {
    if (!checkZiFormula() || !checkDispFormula()) return;
    if (el.prior.value) { showError(el.optionsError, 'blme\'s priors are for lmer and glmer fits: choose Priors: none for a glmmTMB fit.'); return; }
    if (relmat) { showError(el.optionsError, 'A relatedness file is for lmer and glmer fits: remove it for a glmmTMB fit.'); return; }
  }
  if (family !== 'gaussian' && !isZiChoice(family) && !(Number.isInteger(nAGQ) && nAGQ >= 0 && nAGQ <= 25)) {
    showError(el.optionsError, 'nAGQ must be a whole number from 0 to 25 (1 = Laplace).');
    return;
  }
  if (family === 'ordinal') {
    if (nAGQ < 1) { showError(el.optionsError, 'nAGQ for an ordinal (clmm) fit is a whole number from 1 (Laplace) to 25.'); return; }
    if (el.prior.value) { showError(el.optionsError, 'blme\'s priors are for lmer and glmer fits: choose Priors: none for an ordinal (clmm) fit.'); return; }
    if (relmat) { showError(el.optionsError, 'A relatedness file is for lmer and glmer fits: remove it for an ordinal (clmm) fit.'); return; }
  }
  const req: FitRequest = {
    formula: el.formula.value,
    factors: [...factors],
    reml: (document.querySelector<HTMLInputElement>('input[name="crit"]:checked')?.value ?? 'reml') === 'reml',
    backend: el.backend.value as BackendChoice,
    family,
    link: family === 'gaussian' ? undefined : el.link.value,
    nAGQ: family === 'gaussian' || isZiChoice(family) ? undefined : nAGQ,
    ...(takesZiFormula(family) ? { ziformula: el.ziformula.value.trim() } : {}),
    ...(takesDispFormula(family) ? { dispformula: el.dispformula.value.trim() } : {}),
    ...(isBinomialChoice(family) && el.tmbWeights.value.trim() ? { weights: el.tmbWeights.value.trim() } : {}),
    ...(family === 'gaussian' && el.nlmeWeights.value.trim() ? { nlmeWeights: el.nlmeWeights.value.trim() } : {}),
    ...(family === 'gaussian' && el.nlmeCorrelation.value.trim() ? { nlmeCorrelation: el.nlmeCorrelation.value.trim() } : {}),
    ...(family === 'ordinal' ? { threshold: el.threshold.value as FitRequest['threshold'], levels: ordinalLevelsToSend() } : {}),
    dataName: data.name,
    prior: el.prior.value === 'blme' ? 'blme' : undefined,
    relmat: relmat && el.relmatGroup.value ? { group: el.relmatGroup.value, id: relmat.id } : undefined,
    ...(nlParsed && nlParams ? { nlmerStart: Object.fromEntries(nlParams.parameters.map((p) => [p, Number(nlmerValues[p]!.trim())])) } : {}),
  };
  fitId = nextId++;
  fitStarted = performance.now();
  fitRequest = req;
  markStale('Fitting: the results below are from the previous fit');
  if (shownClmm) el.clmmResults.classList.add('stale');
  if (shownZi) el.ziResults.classList.add('stale');
  if (shownGamm) el.gammResults.classList.add('stale');
  if (shownNlmer) el.nlmerResults.classList.add('stale');
  setState('fitting');
  el.progress.hidden = false;
  el.progress.querySelector<HTMLElement>('.bar')!.hidden = false;
  el.progressText.textContent = 'starting…';
  fitTimer = window.setInterval(() => tick(), 100);
  updateFitButton();
  send({ type: 'fit', id: fitId, request: req });
}

let lastProgress: { feval: number; deviance: number; best: number; stage?: number; criterion?: string } | null = null;

function tick(): void {
  const elapsed = performance.now() - fitStarted;
  const p = lastProgress;
  // clmm and zeroInflated report −log L per evaluation (criterion), lmer, glmer and nlmer the deviance (glmer and nlmer with their stage)
  el.progressText.textContent = p
    ? `${p.stage ? `stage ${p.stage} · ` : ''}evaluations ${p.feval} · ${p.criterion ?? 'deviance'} ${fmt(p.deviance, 8)} · best ${fmt(p.best, 8)} · ${fmtMs(elapsed)}`
    : `preparing the model… ${fmtMs(elapsed)}`;
}

function showProgress(p: { feval: number; deviance: number; best: number; stage?: number; criterion?: string }): void {
  lastProgress = p;
  tick();
}

function endFit(): void {
  fitId = 0;
  // a clmm fit's results stay as they were (a failed or cancelled fit's message is under the Fit button)
  el.clmmResults.classList.remove('stale');
  el.ziResults.classList.remove('stale');
  el.gammResults.classList.remove('stale');
  el.nlmerResults.classList.remove('stale');
  lastProgress = null;
  window.clearInterval(fitTimer);
  window.clearTimeout(cancelTimer);
  el.progress.hidden = true;
  updateFitButton();
}

function cancelFit(): void {
  if (!fitId) return;
  const id = fitId;
  send({ type: 'cancel', id });
  el.progressText.textContent = 'cancelling…';
  // lmer and glmer give the worker's event loop a turn every ~50 ms, so the AbortSignal stops them;
  // a single step that takes longer (a pass over very large data) cannot see it: restart the worker
  cancelTimer = window.setTimeout(() => {
    if (fitId !== id) return;
    worker.terminate();
    endFit();
    el.progress.hidden = false;
    el.progress.querySelector<HTMLElement>('.bar')!.hidden = true;
    el.progressText.textContent = 'Cancelled (the worker was restarted; the data are read again).';
    // every computation of the old worker is gone with it: the cards are set back to idle
    abandonFitCards();
    abandonDataRequests();
    stt.req.drop();
    sinf.ci.drop();
    sinf.id = 0;
    sgg.req.drop();
    abandonRequests('stream');
    if (streamId) { endStream(); showError(st.error, 'The worker was restarted (Cancel of the fit above): stream the file again.'); }
    startWorker();
    if (source) {
      const keepFormula = el.formula.value;
      const keepFactors = [...factors];
      const keepFamily = el.family.value;
      const keepLink = el.link.value;
      loadId = nextId++;
      setState('loading');
      const id2 = loadId;
      const restore = (ev: MessageEvent<FromWorker>) => {
        if (ev.data.type === 'loaded' && ev.data.id === id2) {
          el.formula.value = keepFormula;
          factors.clear();
          for (const f of keepFactors) factors.add(f);
          el.family.value = keepFamily;
          onFamilyChange(keepLink);
          renderColumns();
          worker.removeEventListener('message', restore);
        }
      };
      worker.addEventListener('message', restore);
      send({ type: 'load', id: loadId, source });
    }
  }, 1500);
}

// ---------------------------------------------------------------------------------------------
// Ordinal responses (clmm)

/** the response's category order under Options: the library's where it takes one from the data, else an editable list */
function renderOrdinalLevels(): void {
  const column = parsed ? responseColumnOf(parsed) : null;
  const col = column ? data?.columns.find((c) => c.name === column) : undefined;
  const order: CategoryOrder = column ? categoryOrderOf(col) : { kind: 'unknown', reason: 'write the formula\'s response first' };
  el.ordinalLevels.hidden = el.family.value !== 'ordinal' || !data;
  const label = h('span', {}, 'Categories');
  if (order.kind === 'numeric') {
    clear(el.ordinalLevels, label, h('span', { class: 'hint', id: 'ordinal-order' }, `${column} is numeric: its values in increasing order are the categories (at most 50).`));
  } else if (order.kind === 'ordered' || order.kind === 'numeric-levels') {
    clear(el.ordinalLevels, label, h('span', { class: 'hint', id: 'ordinal-order' },
      `${order.levels.join(' < ')} (${order.kind === 'ordered' ? 'the data\'s ordered factor' : 'its levels are numbers: in increasing order'}).`));
  } else if (order.kind === 'editable') {
    ordinalLevels = { column: column!, levels: reconcileLevels(ordinalLevels?.column === column ? ordinalLevels.levels : null, order.levels) };
    const lv = ordinalLevels.levels;
    const move = (i: number, d: -1 | 1) => {
      ordinalLevels = { column: column!, levels: moveLevel(lv, i, d) };
      renderOrdinalLevels();
      syncUrl();
    };
    clear(el.ordinalLevels, label,
      h('ol', { class: 'level-list', id: 'ordinal-level-list', 'aria-label': `the categories of ${column}, lowest first` }, lv.map((l, i) => h('li', { 'data-level': l },
        h('span', {}, l),
        h('button', { type: 'button', title: `move ${l} down the order`, 'aria-label': `${l} lower`, disabled: i === 0, onclick: () => move(i, -1) }, '↑'),
        h('button', { type: 'button', title: `move ${l} up the order`, 'aria-label': `${l} higher`, disabled: i === lv.length - 1, onclick: () => move(i, 1) }, '↓'),
      ))),
      h('span', { class: 'hint' }, `${column} is text without an order: put its categories in order, lowest first (sent as clmm's levels).`));
  } else {
    clear(el.ordinalLevels, label, h('span', { class: 'hint' }, `${order.reason}.`));
  }
}

/** the `levels` of an ordinal request: the user's order for an unordered text response, else none (the library's) */
function ordinalLevelsToSend(): string[] | undefined {
  const column = parsed ? responseColumnOf(parsed) : null;
  const col = column ? data?.columns.find((c) => c.name === column) : undefined;
  return categoryOrderOf(col).kind === 'editable' && ordinalLevels?.column === column ? [...ordinalLevels.levels] : undefined;
}

function showClmm(entry: ClmmEntry): void {
  abandonFitCards();
  hideFitSections();
  shownClmm = entry;
  clearStale();
  el.metaResults.hidden = true;
  el.clmmResults.hidden = false;
  el.clmmResults.classList.remove('stale');
  clmmCat = renderClmm(clmmEls, entry.result, entry.number, plotWidth, clmmCat);
  clear(clmmEls.compareWith, clmmHistory.filter((e) => e !== entry && e.loadId === entry.loadId).map((e) =>
    h('option', { value: String(e.id) }, `ordinal fit ${e.number}: ${e.result.formula} (${e.result.link}, ${e.result.threshold})`)));
  byId<HTMLButtonElement>('clmm-compare').disabled = clmmEls.compareWith.options.length === 0;
  if (!clmmEls.compareWith.options.length) clear(clmmEls.compareOut, h('p', { class: 'caption' }, 'Fit another clmm model of these data to compare the two here.'));
  requestClmmProbabilities();
}

function requestClmmProbabilities(): void {
  if (!shownClmm || !clmmEls.probBy.value) return;
  clmmProbId = nextId++;
  sendFor('fit', { type: 'clmmProbabilities', id: clmmProbId, fit: shownClmm.id, by: clmmEls.probBy.value });
}

function startClmmCompare(): void {
  const other = Number(clmmEls.compareWith.value);
  if (!shownClmm || !other) return;
  clmmAnovaId = nextId++;
  clmmEls.compareError.textContent = '';
  sendFor('fit', { type: 'clmmAnova', id: clmmAnovaId, fits: [shownClmm.id, other] });
}

function setupClmm(): void {
  el.threshold.addEventListener('change', () => syncUrl());
  clmmEls.probBy.addEventListener('change', requestClmmProbabilities);
  clmmEls.catSelect.addEventListener('change', () => {
    clmmCat = clmmEls.catSelect.value;
    if (shownClmm) drawClmmCaterpillar(clmmEls, shownClmm.result, clmmCat, plotWidth(clmmEls.caterpillar));
  });
  byId('clmm-compare').addEventListener('click', startClmmCompare);
  byId('clmm-export-json').addEventListener('click', () => {
    if (!shownClmm) return;
    const id = nextId++;
    jsonWaiters.set(id, (text) => download(`${baseName()}_clmm.json`, text, 'application/json'));
    send({ type: 'exportJson', id, fit: shownClmm.id });
  });
  byId('clmm-export-probs').addEventListener('click', () => {
    if (!shownClmm) return;
    const id = nextId++;
    textWaiters.set(id, {
      ok: (text) => download(`${baseName()}_probabilities.csv`, text, 'text/csv'),
      fail: (message) => showError(clmmEls.probsError, message),
    });
    send({ type: 'exportClmmProbabilities', id, fit: shownClmm.id });
  });
}

// ---------------------------------------------------------------------------------------------
// Zero-inflated and hurdle count GLMMs (glmmTMB)

/** shows a one-sided formula box's problem (or none) under it */
function showBoxProblem(input: HTMLInputElement, error: HTMLElement, problem: { message: string; position: number } | null): boolean {
  if (!problem) {
    input.removeAttribute('aria-invalid');
    error.textContent = '';
    delete error.dataset.position;
    return true;
  }
  input.setAttribute('aria-invalid', 'true');
  error.dataset.position = String(problem.position);
  error.textContent = problem.message;
  return false;
}

/** checks the zero-inflation formula with the library's parser (the families that take one); shows the problem under its box */
function checkZiFormula(): boolean {
  const on = takesZiFormula(el.family.value);
  return showBoxProblem(el.ziformula, el.ziformulaError, on ? ziFormulaProblem(el.ziformula.value, data?.columns.map((c) => c.name)) : null);
}

/** checks the dispersion formula with the library's parser (the families with a dispersion parameter); shows the problem under its box */
function checkDispFormula(): boolean {
  const on = takesDispFormula(el.family.value);
  return showBoxProblem(el.dispformula, el.dispformulaError, on ? dispFormulaProblem(el.dispformula.value, data?.columns.map((c) => c.name)) : null);
}

function showZi(entry: ZiEntry): void {
  abandonFitCards();
  hideFitSections();
  shownZi = entry;
  clearStale();
  el.metaResults.hidden = true;
  el.ziResults.hidden = false;
  el.ziResults.classList.remove('stale');
  byId('zi-export-error').textContent = '';
  ziCat = renderZeroInflated(ziEls, entry.result, entry.number, plotWidth, ziCat);
  // the Model checks card, moved into this section: DHARMa's residuals and performance's checks of this fit
  placeChecksCard(true);
  renderChecksStart(entry.result.checks);
  renderTciStart(entry);
}

// ---------------------------------------------------------------------------------------------
// A glmmTMB fit's Intervals card (glmmTMB's confint): Wald at once, the profiles (uniroot; profile with its plot) in the worker

const tci = tmbCiEls();
/** the card's pending request (0: none) and its method */
let tciId = 0;
let tciMethod: TmbCiMethod = 'wald';
/** the method of the table shown (the address keeps 'uniroot' or 'profile'; a link's is shown as a note and never run) */
let tciShown: TmbCiMethod = 'wald';
/** the card's settings read from the address, applied to the next glmmTMB fit shown */
let pendingTci: TmbCiUrlState | null = null;

/** a new glmmTMB fit shown: its parameter choices, the address's settings, the Wald table computed (the profile never: a note says so) */
function renderTciStart(entry: ZiEntry): void {
  if (tciId) { send({ type: 'cancel', id: tciId }); endTci(); }
  const setup = entry.result.confint;
  const url = pendingTci;
  pendingTci = null;
  // the fields kept from the fit before, its parameter only where this fit has the same (position and name)
  const label = tci.parm.selectedOptions[0]?.textContent ?? '';
  const before = url ? tmbCiFieldsOf(url, setup) : { ...tmbCiFieldsOfEls(tci), parm: setup.parms.some((p) => p.value === tci.parm.value && p.label === label) ? tci.parm.value : '' };
  fillOptions(tci.parm, [{ value: '', text: 'every row' }, ...setup.parms.map((p) => ({ value: p.value, text: p.label }))], false);
  tci.parm.value = before.parm;
  tci.level.value = before.level;
  tci.full.checked = before.full;
  tci.full.disabled = !setup.fullApplies;
  tci.profile.disabled = !!setup.profileRefusal;
  tci.profile.title = setup.profileRefusal ?? 'the profile likelihood\'s ends (TMB\'s tmbroot), each parameter\'s in turn';
  tci.spline.disabled = !!setup.profileRefusal;
  tci.spline.title = setup.profileRefusal ?? 'glmmTMB\'s method = "profile": profile(fit) of each parameter (TMB\'s tmbprofile), its plot and CSV, and the interval\'s ends from a spline through its points';
  tci.error.textContent = '';
  tci.progress.hidden = true;
  clear(tci.out);
  tciShown = 'wald';
  requestTci('wald');
  if (url?.method) {
    tciShown = url.method;
    tci.out.dataset.linkHint = url.method;
  }
}

/** the card's request for the method: a bad field's message under the controls, its box marked */
function requestTci(method: TmbCiMethod): void {
  if (!shownZi) return;
  if (tciId) { send({ type: 'cancel', id: tciId }); endTci(); }
  tci.error.textContent = '';
  tci.level.removeAttribute('aria-invalid');
  let request;
  try {
    request = tmbCiRequest(tmbCiFieldsOfEls(tci), method, shownZi.result.confint);
  } catch (e) {
    if (e instanceof TmbCiFieldError && e.field === 'level') tci.level.setAttribute('aria-invalid', 'true');
    showError(tci.error, (e as Error).message);
    return;
  }
  tciId = nextId++;
  tciMethod = method;
  if (method !== 'wald') {
    tciShown = method;
    syncUrl();
    tci.progress.hidden = false;
    tci.bar.hidden = false;
    tci.bar.value = 0;
    tci.progressText.textContent = 'starting…';
    for (const c of [tci.profile, tci.spline, tci.parm, tci.level, tci.full]) c.disabled = true;
    tci.cancel.disabled = false;
  }
  sendFor('fit', { type: 'tmbConfint', id: tciId, fit: shownZi.id, request });
}

function endTci(): void {
  tciId = 0;
  tci.progress.hidden = true;
  tci.cancel.disabled = true;
  const setup = shownZi?.result.confint;
  tci.profile.disabled = !setup || !!setup.profileRefusal;
  tci.spline.disabled = tci.profile.disabled;
  tci.parm.disabled = false;
  tci.level.disabled = false;
  tci.full.disabled = !setup?.fullApplies;
}

/** the worker's replies to the card's requests (progress, the table, an error or Cancel) */
function onTciMessage(m: Extract<FromWorker, { type: 'tmbConfintProgress' | 'tmbConfinted' | 'tmbConfintError' }>): void {
  if (m.id !== tciId) return;
  if (m.type === 'tmbConfintProgress') {
    tci.bar.max = Math.max(1, m.total);
    tci.bar.value = m.done;
    tci.progressText.textContent = m.done < m.total ? `profiling ${m.label} (${m.done + 1} of ${m.total}; ${m.done} done)` : `${m.total} of ${m.total} done`;
    return;
  }
  const method = tciMethod;
  endTci();
  if (m.type === 'tmbConfintError') {
    delete tci.out.dataset.linkHint;
    // Cancel keeps the table shown (the fields' Wald table); an error clears it (it is not the fields' table)
    if (m.cancelled) { tci.progress.hidden = false; tci.bar.hidden = true; tci.progressText.textContent = 'Cancelled.'; } else { clear(tci.out); showError(tci.error, m.message); }
    if (method !== 'wald') { tciShown = 'wald'; syncUrl(); }
    return;
  }
  const result = m.result;
  const profileCsv = result.profile?.csv;
  renderTmbCi(tci, result, () => download(`${baseName()}_confint_${result.request.method}.csv`, tmbCiCsv(result), 'text/csv'),
    profileCsv === undefined ? undefined : { width: plotWidth(tci.out), onCsv: () => download(`${baseName()}_profile.csv`, profileCsv, 'text/csv') });
  const hint = tci.out.dataset.linkHint;
  if (method === 'wald' && (hint === 'uniroot' || hint === 'profile')) {
    // a link's profile: the Wald table shown, with the note (as the lmer card's profile and bootstrap)
    tci.out.prepend(h('p', { class: 'hint', id: 'zi-ci-link-hint', 'data-method': hint },
      `This view's intervals were profile intervals (method "${hint}"): press ${hint === 'uniroot' ? 'Profile intervals' : 'Profile + plot'} to compute them again (a link never starts a profile); below, the Wald intervals.`));
  }
  delete tci.out.dataset.linkHint;
}

/** the card's state for the address (a glmmTMB fit shown) */
function tciUrlState(): TmbCiUrlState | undefined {
  if (pendingTci) return pendingTci;
  if (!shownZi || el.ziResults.hidden) return undefined;
  return tmbCiUrlOf(tmbCiFieldsOfEls(tci), tciShown);
}

function setupTci(): void {
  for (const c of [tci.parm, tci.level, tci.full]) {
    c.addEventListener('change', () => {
      // new settings: the Wald table at once (the profile is the button's)
      tciShown = 'wald';
      requestTci('wald');
      syncUrl();
    });
  }
  tci.profile.addEventListener('click', () => requestTci('uniroot'));
  tci.spline.addEventListener('click', () => requestTci('profile'));
  tci.cancel.addEventListener('click', () => { if (tciId) { send({ type: 'cancel', id: tciId }); tci.progressText.textContent = 'cancelling…'; } });
}

function showNlme(entry: NlmeEntry): void {
  abandonFitCards();
  hideFitSections();
  shownNlme = entry;
  clearStale();
  el.metaResults.hidden = true;
  el.nlmeResults.hidden = false;
  el.nlmeResults.classList.remove('stale');
  renderNlme(nlmeEls, entry.result, entry.number);
}

function showNlmer(entry: NlmerEntry): void {
  abandonFitCards();
  hideFitSections();
  shownNlmer = entry;
  clearStale();
  el.metaResults.hidden = true;
  el.nlmerResults.hidden = false;
  el.nlmerResults.classList.remove('stale');
  renderNlmer(nlmerEls, entry.result, entry.number, plotWidth(nlmerEls.plot));
  renderHistory();
}

function setupNlmer(): void {
  window.addEventListener('resize', () => { if (shownNlmer && !el.nlmerResults.hidden) drawNlmerCurves(nlmerEls, shownNlmer.result, plotWidth(nlmerEls.plot)); });
  byId('nlmer-export-json').addEventListener('click', () => {
    if (!shownNlmer) return;
    const id = nextId++;
    jsonWaiters.set(id, (text) => download(`${baseName()}_nlmer.json`, text, 'application/json'));
    send({ type: 'exportJson', id, fit: shownNlmer.id });
  });
}

function showGamm(entry: GammEntry): void {
  abandonFitCards();
  hideFitSections();
  shownGamm = entry;
  clearStale();
  el.metaResults.hidden = true;
  el.gammResults.hidden = false;
  el.gammResults.classList.remove('stale');
  renderGamm(gammEls, entry.result, entry.number, plotWidth, (name, text) => download(`${baseName()}_${name}`, text, 'text/csv'));
}

function setupGamm(): void {
  window.addEventListener('resize', () => { if (shownGamm && !el.gammResults.hidden) drawGammPlots(gammEls, shownGamm.result, plotWidth); });
  byId('gamm-export-json').addEventListener('click', () => {
    if (!shownGamm) return;
    const id = nextId++;
    jsonWaiters.set(id, (text) => download(`${baseName()}_gamm4.json`, text, 'application/json'));
    send({ type: 'exportJson', id, fit: shownGamm.id });
  });
  byId('gamm-export-plots').addEventListener('click', () => {
    if (shownGamm) download(`${baseName()}_smooths_plot.csv`, smoothPlotCsv(shownGamm.result), 'text/csv');
  });
}

function setupZi(): void {
  el.ziformula.addEventListener('input', () => {
    checkZiFormula();
    updateFitButton();
    syncUrl();
  });
  el.dispformula.addEventListener('input', () => {
    checkDispFormula();
    updateFitButton();
    syncUrl();
  });
  el.tmbWeights.addEventListener('input', () => {
    // the trials column must be one of the data's (the library checks its values)
    const w = el.tmbWeights.value.trim();
    const bad = w !== '' && data !== null && !data.columns.some((c) => c.name === w);
    el.tmbWeights.setAttribute('aria-invalid', bad ? 'true' : 'false');
    el.tmbWeightsError.textContent = bad ? `Trials (weights): unknown column '${w}': not in the data.` : '';
    updateFitButton();
    syncUrl();
  });
  for (const box of [el.nlmeWeights, el.nlmeCorrelation]) {
    box.addEventListener('input', () => {
      checkNlmeBoxes();
      validateFormula();
      updateFitButton();
      syncUrl();
    });
  }
  byId('nlme-export-json').addEventListener('click', () => {
    if (!shownNlme) return;
    const id = nextId++;
    jsonWaiters.set(id, (text) => download(`${baseName()}_${shownNlme!.result.fn}.json`, text, 'application/json'));
    send({ type: 'exportJson', id, fit: shownNlme.id });
  });
  ziEls.catSelect.addEventListener('change', () => {
    ziCat = ziEls.catSelect.value;
    if (shownZi) drawZiCaterpillar(ziEls, shownZi.result, ziCat, plotWidth(ziEls.caterpillar));
  });
  window.addEventListener('resize', () => { if (shownZi && !el.ziResults.hidden) drawZiFrequencies(ziEls, shownZi.result, plotWidth(ziEls.freq)); });
  byId('zi-export-json').addEventListener('click', () => {
    if (!shownZi) return;
    const id = nextId++;
    jsonWaiters.set(id, (text) => download(`${baseName()}_zeroinfl.json`, text, 'application/json'));
    send({ type: 'exportJson', id, fit: shownZi.id });
  });
  byId('zi-export-predictions').addEventListener('click', () => {
    if (!shownZi) return;
    const id = nextId++;
    textWaiters.set(id, {
      ok: (text) => download(`${baseName()}_predictions.csv`, text, 'text/csv'),
      fail: (message) => showError(byId('zi-export-error'), message),
    });
    send({ type: 'exportZiPredictions', id, fit: shownZi.id });
  });
}

// ---------------------------------------------------------------------------------------------
// Results

function showError(target: HTMLElement, message: string): void {
  target.textContent = message;
}

/** the width a plot gets: its container's, so that it is drawn at 1:1 and never scaled down */
function plotWidth(container: HTMLElement): number {
  return Math.max(240, Math.floor(container.clientWidth || container.parentElement?.clientWidth || 480));
}

function markStale(why: string): void {
  if (el.results.hidden || !shown) return;
  el.results.classList.add('stale');
  el.results.dataset.stale = 'true';
  el.staleBanner.hidden = false;
  el.staleBanner.textContent = `${why}: ${shown.result.formula} (fit ${history.indexOf(shown) + 1}).`;
}

/**
 * No fit's results shown: every model family's section hidden and no entry shown (the meta-analysis
 * results are the caller's); a show function then reveals its own section.
 */
function hideFitSections(): void {
  shown = null;
  result = null;
  shownClmm = null;
  shownZi = null;
  shownGamm = null;
  shownNlme = null;
  shownNlmer = null;
  for (const section of [el.results, el.clmmResults, el.ziResults, el.gammResults, el.nlmeResults, el.nlmerResults]) section.hidden = true;
}

function clearStale(): void {
  el.results.classList.remove('stale');
  delete el.results.dataset.stale;
  el.staleBanner.hidden = true;
  el.staleBanner.textContent = '';
}

function renderTiming(entry: HistoryEntry): void {
  const r = entry.result;
  const t = byId('timing');
  const optimize = Math.max(0, r.elapsedMs - r.setupMs);
  const results = Math.max(0, entry.totalMs - r.elapsedMs);
  t.dataset.totalMs = String(entry.totalMs);
  t.dataset.fitMs = String(r.elapsedMs);
  t.dataset.describeMs = String(r.describeMs);
  t.dataset.renderMs = String(renderMs);
  clear(t, 'Click to result ', h('b', { id: 'timing-total' }, fmtMs(entry.totalMs)), ': model setup ', h('span', { id: 'timing-setup' }, fmtMs(r.setupMs)),
    ' · optimize ', h('span', { id: 'timing-optimize' }, fmtMs(optimize)),
    ' · results ', h('span', { id: 'timing-results' }, fmtMs(results)), ` (tables, diagnostics, messages and drawing)`,
    data ? ` · the data were read before, in ${fmtMs(data.loadMs)}` : '');
}

function renderResults(entry: HistoryEntry): void {
  const r = entry.result;
  abandonFitCards();
  hideFitSections();
  shown = entry;
  result = r;
  clearStale();
  el.results.hidden = false;
  // header: backend, size, criterion, time, messages
  const groups = Object.entries(r.ngroups).map(([g, n]) => `${g}: ${n.toLocaleString('en-US')} levels`).join(', ');
  const crit = r.kind === 'lmer' ? (r.reml ? 'REML criterion' : 'deviance (ML)') : 'deviance (Laplace)';
  clear(el.fitInfo,
    h('div', {},
      `Fit ${history.indexOf(entry) + 1} on `, h('span', { class: 'backend', id: 'backend-name' }, r.backend.name),
      ' — ', h('span', { id: 'backend-device' }, r.backend.device),
      ' · ', h('span', { id: 'backend-precision' }, r.backend.precision),
      ` · ${r.feval} evaluations`,
    ),
    h('div', { class: 'timing', id: 'timing' }),
    h('div', {},
      `${r.kind === 'lmer' ? 'Linear mixed model' : `GLMM, ${r.family} (${r.link})`}: `, h('code', {}, r.formula),
      ` · ${r.nobs.toLocaleString('en-US')} observations · ${groups}`,
    ),
    h('div', {},
      `${crit} ${fmt(r.objective, 8)} · logLik ${fmt(r.logLik, 8)} · AIC ${fmt(r.AIC, 7)} · BIC ${fmt(r.BIC, 7)}`,
      r.sigma !== null ? [' · residual SD σ = ', h('b', { id: 'sigma', 'data-value': String(r.sigma) }, fmt(r.sigma))] : null,
    ),
    r.priors.length ? h('div', { id: 'fit-priors' }, `Posterior mode under blme's priors: ${r.priors.join(' · ').replace(/\s+/g, ' ')}`) : null,
    r.heritability.map((x) => h('div', {}, `Heritability of ${x.group}: h² = `, h('b', { id: `heritability-${x.group}`, 'data-value': String(x.heritability) }, fmtFixed(x.heritability, 4)),
      ` (σ²_${x.group} = ${fmt(x.variance)} over σ²_${x.group} + σ², with ${x.group}'s known relatedness)`)),
    r.converged ? null : h('div', { class: 'msg' }, 'The optimizer did not report convergence.', allFitLink(r)),
    r.messages.map((m) => h('div', { class: 'msg' }, m, r.converged && r.allFit.convergenceMessages.includes(m) ? allFitLink(r) : null)),
  );
  if (entry.totalMs > 0) renderTiming(entry);
  // fixed effects
  const statName = r.kind === 'lmer' ? 't value' : 'z value';
  const lmm = r.kind === 'lmer';
  clear(el.fixef,
    h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'fixef-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Term'), h('th', {}, 'Estimate'), h('th', {}, 'Std. Error'), lmm ? h('th', {}, 'df') : null, h('th', {}, statName),
        h('th', {}, lmm ? 'Pr(>|t|)' : 'Pr(>|z|)'), h('th', {}, '2.5 %'), h('th', {}, '97.5 %'))),
      h('tbody', {}, r.fixef.map((f) => h('tr', { 'data-term': f.name, 'data-estimate': String(f.estimate), 'data-se': String(f.se) },
        h('td', { class: 'name' }, f.name),
        h('td', { 'data-col': 'estimate' }, fmt(f.estimate)),
        h('td', { 'data-col': 'se' }, fmt(f.se)),
        lmm ? h('td', { 'data-col': 'df' }, '…') : null,
        h('td', { 'data-col': 'stat' }, fmtFixed(f.stat, 3)),
        h('td', { 'data-col': 'p' }, lmm ? '…' : fmtP(f.p)),
        h('td', { 'data-col': 'lower' }, fmt(f.lower)),
        h('td', { 'data-col': 'upper' }, fmt(f.upper)),
      ))),
    )),
    h('p', { class: 'caption' }, `95% Wald intervals (2.5 %, 97.5 %): estimate ± 1.96 × standard error${r.kind === 'lmer' ? ' (lme4\'s confint(method = "Wald"))' : ''}.`),
    lmm ? h('p', { class: 'caption', id: `${inf.prefix}fixef-ddf-caption` }, 'df, t and p: lmerTest\'s summary, computing…') : null,
  );
  startInferenceCard(inf, { lmm, fixef: r.fixef });
  renderEmmStart(r);
  applyPendingEmm(r);
  renderGlhtStart(r);
  renderMerSimStart(r);
  renderLsmStart(r);
  renderGgStart(r);
  clear(byId('tidy-export'), tidyExportGroup('', () => shown?.id ?? null, baseName, null, el.fitError));
  renderTestsStart(r);
  renderPowerStart(r);
  renderRobustStart(r);
  renderAllFitStart(r);
  renderTmStart(entry);
  renderAfexStart(r);
  placeChecksCard(false);
  renderChecksStart(r.checks);
  // variance components, lme4's layout
  // variance components, lme4's layout (a structured term's lines as the library prints them)
  const vrows = varCorrDisplayRows(r.varCorr, r.structures);
  const hasCorr = vrows.some((row) => row.corr !== '');
  clear(el.varcorr,
    h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'varcorr-table' },
      h('thead', {}, h('tr', {}, h('th', { class: 'text' }, 'Groups'), h('th', { class: 'text' }, 'Name'), h('th', {}, 'Variance'), h('th', {}, 'Std.Dev.'), hasCorr ? h('th', {}, 'Corr') : null)),
      h('tbody', {}, vrows.map((row) => h('tr', { 'data-group': row.group, 'data-name': row.name, ...(row.structure ? { 'data-structure': row.structure } : {}) },
        h('td', { class: 'text' }, row.group),
        h('td', { class: 'text name' }, row.name),
        h('td', { 'data-col': 'variance' }, fmt(row.variance)),
        h('td', { 'data-col': 'sd' }, fmt(row.sd)),
        hasCorr ? h('td', row.rho !== undefined ? { 'data-col': 'rho', 'data-rho': String(row.rho) } : {}, row.corr) : null,
      ))),
    )),
    structureNotes(r.structures).map((n) => h('p', { class: 'caption structure-note' }, n)),
  );
  if (r.varianceShares) {
    clear(el.icc, h('h3', {}, 'Share of variance per level ', h('span', { class: 'hint' }, 'intercept variances and σ²: the intraclass correlation')));
    el.icc.append(sharePlot(r.varianceShares, plotWidth(el.icc)));
  } else {
    clear(el.icc, h('p', { class: 'caption' }, 'A GLMM has no residual variance on the data scale, so the share of variance per level is not shown (latent-scale ICCs depend on the link).'));
  }
  renderCaterpillarControls(r);
  renderShrinkageControls(r);
  renderDiagnostics(r);
  renderPredictForm(r);
  el.summary.textContent = r.summary;
}

/**
 * A card's new fit: the p-values (lmer: asked of the worker after the fit, with the card's ddf and anova
 * type), the anova table, and Wald intervals at once; a running interval of the previous fit dropped.
 * The streamed card lists the intervals it does not offer (the bootstrap) with the reason.
 */
function startInferenceCard(c: InferenceCard, f: { lmm: boolean; fixef: { name: string; lower: number; upper: number }[]; unavailable?: { method: string; r: string; reason: string }[] }): void {
  c.ddfControls.hidden = !f.lmm;
  c.anovaWrap.hidden = true;
  c.error.textContent = '';
  c.last = null;
  c.ci.abandon();
  c.progress.hidden = true;
  c.cierror.textContent = '';
  if (c.unavailable) {
    clear(c.unavailable, f.unavailable?.length ? [
      h('p', { class: 'hint' }, 'Not available for a streamed fit (the rows are never held):'),
      h('ul', { class: 'emm-notes' }, f.unavailable.map((u) => h('li', { 'data-method': u.method }, h('b', {}, u.r), `: ${u.reason}.`))),
    ] : []);
  }
  // Wald at once: the fixed effects (lme4 reports NA for the variance parameters)
  renderConfint(c, {
    method: 'wald', level: 0.95, messages: ['Wald intervals for the fixed effects; the variance parameters need the profile or the bootstrap (lme4 reports NA).'], elapsedMs: 0,
    rows: f.fixef.map((x) => ({ name: x.name, lower: x.lower, upper: x.upper })),
  });
  if (f.lmm) requestInference(c);
  if (c === inf && ciRun && !ciFromLink) ciRun = null;
  if (c === inf && ciRun) {
    ciFromLink = false;
    c.confint.append(h('p', { class: 'hint', id: 'confint-link-hint', 'data-method': ciRun.method },
      `This view's intervals were ${ciRun.method === 'profile' ? 'profile intervals' : `bootstrap intervals (${ciRun.nsim} replicates)`}: press ${ciRun.method === 'profile' ? 'Profile intervals' : 'Bootstrap intervals'} to compute them again (a link never starts a profile or a bootstrap).`));
  }
}

function requestInference(c: InferenceCard): void {
  const fitId = c.fitId();
  if (fitId === null || c.ddfControls.hidden) return;
  c.id = nextId++;
  c.status.textContent = 'computing…';
  c.error.textContent = '';
  sendFor(c.prefix === 'stream-' ? 'stream' : 'fit', { type: 'inference', id: c.id, fit: fitId, ddf: c.ddf.value as InferenceMsg['ddf'], anovaType: c.anovaType.value as InferenceMsg['anovaType'] });
}

function renderInference(c: InferenceCard, m: InferenceMsg): void {
  const name = m.ddf === 'satterthwaite' ? 'Satterthwaite' : 'Kenward–Roger';
  c.status.textContent = `${name}'s method, ${fmtMs(m.elapsedMs)}`;
  const table = byId(`${c.prefix}fixef-table`);
  for (const x of m.coefficients) {
    const row = table.querySelector<HTMLElement>(`tr[data-term="${CSS.escape(x.name)}"]`);
    if (!row) continue;
    const set = (col: string, v: string) => { row.querySelector(`[data-col="${col}"]`)!.textContent = v; };
    // Kenward–Roger's table has the adjusted SE and t (lmerTest's summary(ddf = "Kenward-Roger"))
    set('se', fmt(x.se));
    set('df', fmt(x.df, 4));
    set('stat', fmtFixed(x.t, 3));
    set('p', fmtP(x.p));
    row.dataset.p = String(x.p);
    row.dataset.df = String(x.df);
  }
  const cap = document.getElementById(`${c.prefix}fixef-ddf-caption`);
  const from = c.prefix === 'stream-' ? ', from the Gram matrix A the stream formed (no rows needed)' : '';
  if (cap) cap.textContent = `df, t and p: lmerTest's summary with ${name}'s denominator degrees of freedom${m.ddf === 'kenward-roger' ? ' (and its adjusted standard errors)' : ''}${from}.${m.messages.length ? ` ${m.messages.join(' ')}` : ''}`;
  c.anovaWrap.hidden = m.anova.length === 0;
  c.anovaHeading.textContent = `Type ${m.anovaType} anova`;
  clear(c.anova, h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: `${c.prefix}anova-table` },
    h('thead', {}, h('tr', {}, h('th', {}, 'Term'), h('th', {}, 'Sum Sq'), h('th', {}, 'Mean Sq'), h('th', {}, 'NumDF'), h('th', {}, 'DenDF'), h('th', {}, 'F value'), h('th', {}, 'Pr(>F)'))),
    h('tbody', {}, m.anova.map((a) => h('tr', { 'data-term': a.term, 'data-p': String(a.p), 'data-dendf': String(a.dendf), 'data-f': String(a.F), 'data-sumsq': String(a.sumsq), 'data-meansq': String(a.meansq), 'data-numdf': String(a.numdf) },
      h('td', { class: 'name' }, a.term), h('td', {}, fmt(a.sumsq)), h('td', {}, fmt(a.meansq)), h('td', {}, String(a.numdf)),
      h('td', {}, fmt(a.dendf, 4)), h('td', {}, fmt(a.F, 5)), h('td', {}, fmtP(a.p))))),
  )));
}

function startConfint(c: InferenceCard, method: 'profile' | 'boot'): void {
  const fitId = c.fitId();
  if (fitId === null || c.ci.busy) return;
  const nsim = Number(c.nsim?.value);
  c.ci.clearError();
  if (method === 'boot' && !(Number.isInteger(nsim) && nsim >= 10 && nsim <= 100_000)) {
    c.ci.showFieldError('Replicates must be a whole number from 10 to 100,000.');
    return;
  }
  if (c === inf) { ciRun = { method, nsim }; syncUrl(); }
  // the bar's max is left as it was: the first progress report sets it
  c.ci.start({ text: method === 'profile' ? 'refitting by ML…' : 'starting…' }, (id) => ({ type: 'confint', id, fit: fitId, request: method === 'boot' ? { method, nsim, seed: 1 } : { method } }));
}

function renderConfint(c: InferenceCard, m: ConfintMsg): void {
  const label = m.method === 'wald' ? 'Wald' : m.method === 'profile' ? 'Profile' : 'Parametric bootstrap (percentile)';
  clear(c.confint,
    h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: `${c.prefix}confint-table`, 'data-method': m.method },
      h('thead', {}, h('tr', {}, h('th', { class: 'text' }, 'Parameter'), h('th', {}, '2.5 %'), h('th', {}, '97.5 %'))),
      h('tbody', {}, m.rows.map((r) => h('tr', { 'data-name': r.name, 'data-lower': String(r.lower), 'data-upper': String(r.upper) },
        h('td', { class: 'text name' }, r.name), h('td', {}, r.lower === null ? 'NA' : fmt(r.lower)), h('td', {}, r.upper === null ? 'NA' : fmt(r.upper))))),
    )),
    h('p', { class: 'caption', id: `${c.prefix}confint-caption` }, `${label} intervals${m.elapsedMs ? ` (${fmtMs(m.elapsedMs)})` : ''}. ${m.messages.join(' ')}`),
  );
}

// ---------------------------------------------------------------------------------------------
// Estimated marginal means (emmeans, emtrends), computed in the worker

function fillOptions(sel: HTMLSelectElement, options: { value: string; text: string }[], keep = true): void {
  const before = sel.value;
  clear(sel, options.map((o) => h('option', { value: o.value }, o.text)));
  if (keep && options.some((o) => o.value === before)) sel.value = before;
}

/** a new fit shown: the card's choices from its fixed part; the tables of the fit before are cleared */
function renderEmmStart(r: FitResult): void {
  // idle already (abandonFitCards ran before the new fit's cards)
  emmRun.drop();
  shownEmm = null;
  emm.run.disabled = false;
  emm.error.textContent = '';
  emm.status.textContent = '';
  emm.out.hidden = true;
  const vars = r.emmVariables;
  const fac = vars.filter((v) => v.kind === 'factor');
  const cov = vars.filter((v) => v.kind === 'covariate');
  // the previous fit's factor stays chosen where this fit has it; else this fit's first factor
  const before = emm.specs.value;
  fillOptions(emm.specs, [...fac.map((v) => ({ value: v.name, text: v.name })), ...cov.map((v) => ({ value: v.name, text: `${v.name} (covariate)` }))], false);
  if (fac.some((v) => v.name === before)) emm.specs.value = before;
  fillOptions(emm.trend, [{ value: '', text: '— (means)' }, ...cov.map((v) => ({ value: v.name, text: v.name }))]);
  const lmm = r.kind === 'lmer';
  emm.typeLabel.hidden = lmm;
  emm.ddfLabel.hidden = !lmm;
  const own = r.priors.length ? 'asymptotic' : r.reml ? 'Kenward–Roger' : 'Kenward–Roger, from the REML refit';
  fillOptions(emm.ddf, [{ value: '', text: `default (${own})` }, { value: 'kenward-roger', text: 'Kenward–Roger' }, { value: 'satterthwaite', text: 'Satterthwaite' }, { value: 'asymptotic', text: 'asymptotic (z)' }]);
  if (vars.length === 0) {
    emm.run.disabled = true;
    emm.status.textContent = 'The fixed part has no variables (an intercept-only model): there are no marginal means to estimate.';
  }
  updateEmmControls();
}

/** the choices that depend on others: by without the means' variable, the control's levels, the adjustment's default */
function updateEmmControls(): void {
  const vars = result?.emmVariables ?? [];
  const specs = vars.find((v) => v.name === emm.specs.value);
  fillOptions(emm.by, [{ value: '', text: 'none' }, ...vars.filter((v) => v.kind === 'factor' && v.name !== emm.specs.value).map((v) => ({ value: v.name, text: v.name }))]);
  const method = emm.contrast.value as EmmContrastChoice;
  emm.refLabel.hidden = method !== 'trt.vs.ctrl' || !specs?.levels.length;
  fillOptions(emm.ref, (specs?.levels ?? []).map((l) => ({ value: l, text: l })));
  fillOptions(emm.adjust, [{ value: '', text: defaultAdjustLabel(method) }, ...ADJUSTMENTS.map((a) => ({ value: a, text: a }))]);
  emm.adjust.disabled = method === 'none';
  // emtrends's slopes are on the link scale
  emm.type.disabled = emm.trend.value !== '';
}

function emmRequest(): { request: EmmRequest; note: string | null } {
  const method = emm.contrast.value as EmmContrastChoice;
  const { adjust, note } = requestAdjust(method, emm.adjust.value);
  const request: EmmRequest = { specs: emm.specs.value, contrast: method };
  if (emm.by.value) request.by = emm.by.value;
  if (emm.trend.value) request.trend = emm.trend.value;
  if (method === 'trt.vs.ctrl' && !emm.refLabel.hidden && emm.ref.value) request.ref = emm.ref.value;
  if (adjust) request.adjust = adjust;
  if (result?.kind === 'glmer' && !emm.trend.value) request.type = emm.type.value as 'link' | 'response';
  if (result?.kind === 'lmer' && emm.ddf.value) request.ddf = emm.ddf.value as EmmRequest['ddf'];
  return { request, note };
}

let emmNote: string | null = null;

function requestEmm(): void {
  if (!shown || emm.run.disabled) return;
  const { request, note } = emmRequest();
  emmNote = note;
  emmRun.clearError();
  emm.status.textContent = 'computing…';
  const fit = shown.id;
  emmRun.start(null, (id) => ({ type: 'emmeans', id, fit, request }));
}

const emmNum = (x: number | undefined) => (x === undefined ? '' : fmt(x));

function renderEmm(m: EmmMsg): void {
  shownEmm = m;
  syncUrl();
  emm.status.textContent = `${m.kind}, ${fmtMs(m.elapsedMs)}`;
  byId('emm-means-heading').textContent = m.kind === 'emtrends' ? `Slopes of ${m.request.trend}` : `Means${m.responseLabel ? ' (response scale)' : ''}`;
  emm.out.hidden = false;
  const vars = [...m.specs, ...m.by];
  const resp = m.responseLabel !== null;
  const z = m.ddf === 'asymptotic';
  const lcl = z ? 'asymp.LCL' : 'lower.CL';
  const ucl = z ? 'asymp.UCL' : 'upper.CL';
  clear(emm.means, h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'emm-means-table', 'data-kind': m.kind, 'data-type': m.type },
    h('thead', {}, h('tr', {}, vars.map((v) => h('th', { class: 'text' }, v)), h('th', {}, resp ? m.responseLabel! : m.estimateName), h('th', {}, 'SE'), h('th', {}, 'df'), h('th', {}, lcl), h('th', {}, ucl))),
    h('tbody', {}, m.means.map((r) => h('tr', {
      'data-levels': vars.map((v) => r.levels[v]).join('|'), 'data-emmean': String(r.emmean), 'data-se': String(r.SE), 'data-df': String(r.df),
      'data-lower': String(r.lower), 'data-upper': String(r.upper),
      'data-response': r.response === undefined ? null : String(r.response), 'data-response-se': r.responseSE === undefined ? null : String(r.responseSE),
      'data-response-lower': r.responseLower === undefined ? null : String(r.responseLower), 'data-response-upper': r.responseUpper === undefined ? null : String(r.responseUpper),
    },
    vars.map((v) => h('td', { class: 'text name' }, r.levels[v] ?? '')),
    h('td', {}, emmNum(resp ? r.response : r.emmean)), h('td', {}, emmNum(resp ? r.responseSE : r.SE)), h('td', {}, fmt(r.df, 4)),
    h('td', {}, emmNum(resp ? r.responseLower : r.lower)), h('td', {}, emmNum(resp ? r.responseUpper : r.upper))))),
  )));
  clear(emm.plot);
  const rows = emmPlotRows(m);
  if (rows.length) emm.plot.append(emmPlot(rows, emmAxisLabel(m), m.level, plotWidth(emm.plot)));
  const c = m.contrasts;
  if (c) {
    const ratio = c.ratioLabel;
    clear(emm.contrasts, h('h4', {}, `Contrasts (${c.method}), ${c.adjust === 'none' ? 'unadjusted' : `${c.adjust} adjustment`}`),
      h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'emm-contrasts-table', 'data-method': c.method, 'data-adjust': c.adjust, 'data-ratio-label': ratio ?? '' },
        h('thead', {}, h('tr', {}, h('th', { class: 'text' }, 'contrast'), m.by.map((b) => h('th', { class: 'text' }, b)), h('th', {}, ratio ?? 'estimate'), h('th', {}, 'SE'), h('th', {}, 'df'),
          h('th', {}, lcl), h('th', {}, ucl), h('th', {}, z ? 'z.ratio' : 't.ratio'), h('th', {}, 'p.value'))),
        h('tbody', {}, c.rows.map((r) => h('tr', {
          'data-contrast': r.contrast, 'data-estimate': String(r.estimate), 'data-se': String(r.SE), 'data-df': String(r.df), 'data-lower': String(r.lower), 'data-upper': String(r.upper),
          'data-ratio': String(r.ratio), 'data-p': String(r.p), 'data-response': r.response === undefined ? null : String(r.response),
        },
        h('td', { class: 'text name' }, r.contrast), m.by.map((b) => h('td', { class: 'text name' }, r.by[b] ?? '')),
        h('td', {}, emmNum(ratio ? r.response : r.estimate)), h('td', {}, emmNum(ratio ? r.responseSE : r.SE)), h('td', {}, fmt(r.df, 4)),
        h('td', {}, emmNum(ratio ? r.responseLower : r.lower)), h('td', {}, emmNum(ratio ? r.responseUpper : r.upper)),
        h('td', {}, fmtFixed(r.ratio, 3)), h('td', {}, fmtP(r.p))))),
      )));
  } else clear(emm.contrasts);
  byId('export-emm-contrasts').hidden = !c;
  // emmeans's notes under each table: the means', then the contrasts' (and the page's own, if any)
  const cnotes = c ? [...c.notes, ...(emmNote ? [emmNote] : [])] : [];
  clear(emm.notes,
    h('h4', {}, 'Notes'),
    h('ul', { class: 'emm-notes', 'data-of': 'means' }, m.meansNotes.map((n) => h('li', {}, n))),
    c ? h('ul', { class: 'emm-notes', 'data-of': 'contrasts' }, cnotes.map((n) => h('li', {}, n))) : null);
  emm.text.textContent = c ? `${m.meansText}\n\n${c.text}` : m.meansText;
}

// ---------------------------------------------------------------------------------------------
// Multiple comparisons (multcomp's glht), computed in the worker (./glhtRun.ts)

/** a new fit shown: its factors offered; the comparisons of the fit before are cleared */
function renderGlhtStart(r: FitResult): void {
  // idle already (abandonFitCards ran before the new fit's cards)
  ghRun.drop();
  shownGlht = null;
  startGlhtCard(gh, r.emmVariables);
  // the address's settings: the card opened with them (not run on opening: its button compares)
  const url = pendingGlht;
  pendingGlht = null;
  if (!url) return;
  if (url.factor && [...gh.factor.options].some((o) => o.value === url.factor)) gh.factor.value = url.factor;
  if (url.type) gh.type.value = url.type;
  updateGlhtControls(gh, r.emmVariables);
  if (url.base && [...gh.base.options].some((o) => o.value === url.base)) gh.base.value = url.base;
  if (url.alternative) gh.alternative.value = url.alternative;
  if (url.test) gh.test.value = url.test;
  gh.level.value = String(url.level ?? 0.95);
  gh.interactionAverage.checked = url.interactionAverage === true;
  gh.covariateAverage.checked = url.covariateAverage === true;
  gh.card.open = true;
}

/** the card in the address: open, with its fields */
function glhtUrlState(): GlhtUrlState | undefined {
  if (pendingGlht) return pendingGlht;
  if (!shown || !gh.card.open) return undefined;
  return glhtUrlOf(glhtFieldsOfEls(gh));
}

function requestGlht(): void {
  if (!shown || gh.run.disabled || !result) return;
  ghRun.clearError();
  let request;
  try {
    request = glhtRequest(glhtFieldsOfEls(gh), result.emmVariables);
  } catch (e) {
    if (!(e instanceof GlhtFieldError)) throw e;
    ghRun.showFieldError(e.message, e.field);
    return;
  }
  gh.status.textContent = 'computing…';
  const fit = shown.id;
  ghRun.start(null, (id) => ({ type: 'glht', id, fit, request }));
}

function drawGlht(m: GlhtMsg): void {
  shownGlht = m;
  renderGlht(gh, m, {
    onCsv: () => { if (shownGlht) download(`${baseName()}_glht.csv`, glhtCsv(shownGlht), 'text/csv'); },
    plotWidth: plotWidth(gh.out),
    plotButtons: (target) => plotExportButtons('glht-plot', target),
  });
}

// ---------------------------------------------------------------------------------------------
// Simulation intervals (merTools's REsim, FEsim, plotREsim, predictInterval), computed in the worker (./merToolsRun.ts)

/** a new fit shown: the CSV box filled with its data's first rows; the address's settings applied (never run on opening) */
function renderMerSimStart(r: FitResult): void {
  // idle already (abandonFitCards ran before the new fit's cards)
  msRun.drop();
  shownReSim = null;
  shownPi = null;
  startMerSimCard(ms, { glmm: r.kind === 'glmer', newdata: r.simNewdata });
  const url = pendingMerSim;
  pendingMerSim = null;
  if (!url) return;
  ms.reNsims.value = String(url.reNsims ?? 1000);
  ms.reSeed.value = String(url.reSeed ?? 1);
  ms.reLevel.value = String(url.reLevel ?? 0.95);
  ms.piWhich.value = url.piWhich ?? 'full';
  ms.piLevel.value = String(url.piLevel ?? 0.8);
  ms.piNsims.value = String(url.piNsims ?? 1000);
  ms.piSeed.value = String(url.piSeed ?? 1);
  ms.piType.value = url.piType === 'probability' && r.kind === 'glmer' ? 'probability' : 'linear.prediction';
  ms.piResid.checked = url.piNoResid !== true;
  ms.piRows.value = url.piRows ?? 'edit';
  updateMerSimControls(ms);
  ms.card.open = true;
}

function requestMerSim(kind: 'resim' | 'predict'): void {
  if (!shown || !result || msRun.busy) return;
  msRun.clearError();
  let request: MerSimRequest;
  try {
    const f = merSimFieldsOfEls(ms);
    request = kind === 'resim' ? reSimRequest(f) : predictIntervalRequest(f, result.kind === 'glmer');
  } catch (e) {
    if (!(e instanceof MerSimFieldError)) throw e;
    msRun.showFieldError(e.message, e.field);
    return;
  }
  const fit = shown.id;
  msRun.start({ max: request.nsims, text: `starting ${request.nsims.toLocaleString('en-US')} draws…` }, (id) => ({ type: 'merSim', id, fit, request }));
}

function drawMerSim(m: MerSimMsg): void {
  if (m.kind === 'resim') {
    shownReSim = m;
    renderReSim(ms, m, {
      onReCsv: () => { if (shownReSim) download(`${baseName()}_REsim.csv`, reSimCsv(shownReSim), 'text/csv'); },
      onFeCsv: () => { if (shownReSim) download(`${baseName()}_FEsim.csv`, feSimCsv(shownReSim), 'text/csv'); },
      plotWidth: plotWidth(ms.reOut),
      plotButtons: (target) => plotExportButtons('mersim-plot', target),
    });
  } else {
    shownPi = m;
    renderPredictInterval(ms, m, { onCsv: () => { if (shownPi) download(`${baseName()}_predictInterval.csv`, predictIntervalCsv(shownPi), 'text/csv'); } });
  }
}

/** the card in the address: open, with its fields */
function merSimUrlState(): MerSimUrlState | undefined {
  if (pendingMerSim) return pendingMerSim;
  if (!shown || !ms.card.open) return undefined;
  return merSimUrlOf(merSimFieldsOfEls(ms));
}

// ---------------------------------------------------------------------------------------------
// Multiple imputation (mitml's testEstimates and testModels, mice's pool): the model above fitted to each
// imputation of the data loaded, in the worker (./miRun.ts)

/** new data loaded: the imputation columns offered; the address's settings applied (never fitted on opening) */
function renderMiStart(info: DataInfo): void {
  // idle already (abandonDataRequests ran when the data were asked for, and no imputation runs without data)
  miRun.drop();
  shownMi = null;
  const cols = imputationColumns(info.columns);
  const url = pendingMi;
  pendingMi = null;
  // the panel for data with a column named as imputations (or a link's column); the card then offers every whole-number column
  const named = cols.find(isImputationName);
  const show = named !== undefined || (url?.imp !== undefined && cols.includes(url.imp));
  startMiCard(mi, show ? cols : [], url?.imp ?? named, !!url || named !== undefined);
  mi.extra.checked = url?.extraPars === true;
  mi.dfCom.value = url?.dfCom !== undefined ? String(url.dfCom) : '';
  mi.nullFormula.value = url?.nullFormula ?? '';
  mi.method.value = url?.method ?? 'D1';
  mi.use.value = url?.use ?? 'wald';
}

/** the model of the Model panel as the Fit button sends it (formula, family, link, nAGQ, REML, factors, backend) */
function miModelRequest(): FitRequest {
  const family = el.family.value as FamilyChoice;
  const nAGQ = Number(el.nagq.value);
  return {
    formula: el.formula.value,
    factors: [...factors],
    reml: (document.querySelector<HTMLInputElement>('input[name="crit"]:checked')?.value ?? 'reml') === 'reml',
    backend: el.backend.value as BackendChoice,
    family,
    link: family === 'gaussian' ? undefined : el.link.value,
    nAGQ: family === 'gaussian' ? undefined : nAGQ,
    dataName: data?.name,
  };
}

function requestMi(): void {
  if (!data || miRun.busy) return;
  miRun.clearError();
  let request: MiRequest;
  try {
    if (el.formula.value.trim() === '') throw new MiFieldError('formula', 'write the model\'s formula in the Model panel first');
    request = miRequest(miFieldsOfEls(mi), miModelRequest());
  } catch (e) {
    if (!(e instanceof MiFieldError)) throw e;
    miRun.showFieldError(e.message, e.field);
    return;
  }
  // the bar's max is left as it was: the first progress report sets it
  miRun.start({ text: 'splitting the imputations…' }, (id) => ({ type: 'miPool', id, request }));
}

function drawMi(m: MiMsg): void {
  shownMi = m;
  renderMi(mi, m, {
    onEstimatesCsv: () => { if (shownMi) download(`${baseName()}_testEstimates.csv`, miEstimatesCsv(shownMi), 'text/csv'); },
    onPoolCsv: () => { if (shownMi) download(`${baseName()}_pool.csv`, miPoolCsv(shownMi), 'text/csv'); },
    onTestCsv: () => { if (shownMi) download(`${baseName()}_testModels.csv`, miTestCsv(shownMi), 'text/csv'); },
  });
}

/** the card in the address: open, with its fields */
function miUrlState(): MiUrlState | undefined {
  if (pendingMi) return pendingMi;
  if (!data || mi.panel.hidden || !mi.card.open) return undefined;
  return miUrlOf(miFieldsOfEls(mi));
}

// ---------------------------------------------------------------------------------------------
// Least-squares means (lmerTest's ls_means / difflsmeans), computed in the worker (./lsMeansRun.ts)

/** a new fit shown: its factor terms offered (or lmerTest's refusal); the address's settings applied and computed again */
function renderLsmStart(r: FitResult): void {
  // idle already (abandonFitCards ran before the new fit's cards)
  lsmRun.drop();
  shownLsm = null;
  const url = pendingLsm;
  pendingLsm = null;
  startLsmCard(lsm, r.lsmTerms, url?.which);
  showLsmDdf(lsm, inf.ddf.value);
  if (!url) return;
  lsm.pairwise.checked = url.pairwise === true;
  lsm.level.value = String(url.level ?? 0.95);
  lsm.card.open = true;
  // a deterministic table: computed again for the link's fit (as the emmeans card's)
  if (!lsm.run.disabled) requestLsm();
}

function requestLsm(): void {
  if (!shown || lsm.run.disabled || !result) return;
  lsmRun.clearError();
  let request;
  try {
    request = lsmRequest(lsmFieldsOfEls(lsm, inf.ddf.value), result.lsmTerms);
  } catch (e) {
    if (!(e instanceof LsmFieldError)) throw e;
    lsmRun.showFieldError(e.message, e.field);
    return;
  }
  lsm.status.textContent = request.ddf === 'kenward-roger' ? 'computing (Kenward–Roger)…' : 'computing…';
  const fit = shown.id;
  lsmRun.start(null, (id) => ({ type: 'lsMeans', id, fit, request }));
}

function drawLsm(m: LsmMsg): void {
  shownLsm = m;
  renderLsm(lsm, m, { onCsv: () => { if (shownLsm) download(`${baseName()}_ls_means.csv`, lsmCsv(shownLsm), 'text/csv'); } });
}

/** the card's state for the address: open, with its settings */
function lsmUrlState(): LsmUrlState | undefined {
  if (pendingLsm) return pendingLsm;
  if (!shown || !lsm.card.open) return undefined;
  return lsmUrlOf(lsmFieldsOfEls(lsm, inf.ddf.value));
}

// ---------------------------------------------------------------------------------------------
// Model tests (ranova, drop1, step, joint tests, car's Wald anova, R² and ICC, influence), computed in the worker

/** a new fit shown: the tests that apply to it offered, the previous fit's results and a running test dropped */
function renderTestsStart(r: FitResult): void {
  startTestsCard(tst, { offered: testsFor(r.kind), unavailable: [], variables: r.emmVariables, ngroups: r.ngroups, nobs: r.nobs });
}

/**
 * A card's new fit: the tests offered (and, on the streamed card, those not offered with the reason),
 * its choices (by: the fixed part's factors; influence: the grouping factors, then each observation),
 * the previous fit's results and a running test dropped.
 */
function startTestsCard(c: TestsCard, f: { offered: ModelTestSpec[]; unavailable: { spec: ModelTestSpec; reason: string }[]; variables: EmmVariable[]; ngroups: Record<string, number>; nobs: number }): void {
  c.req.abandon();
  clear(c.out);
  c.error.textContent = '';
  c.status.textContent = '';
  c.progress.hidden = true;
  c.offered = f.offered;
  const before = c.kind.value;
  fillOptions(c.kind, f.offered.map((s) => ({ value: s.kind, text: s.label })), false);
  if (f.offered.some((s) => s.kind === before)) c.kind.value = before;
  fillOptions(c.by, [{ value: '', text: 'none' }, ...f.variables.filter((v) => v.kind === 'factor').map((v) => ({ value: v.name, text: v.name }))]);
  if (c.groups) {
    // the first grouping factor by default (each observation, '', is the last choice: n refits)
    const groupsBefore = c.groups.value;
    fillOptions(c.groups, [
      ...Object.entries(f.ngroups).map(([g, n]) => ({ value: g, text: `level of ${g} (${n.toLocaleString('en-US')} refits)` })),
      { value: '', text: `observation (${f.nobs.toLocaleString('en-US')} refits)` },
    ], false);
    if (groupsBefore !== '' && groupsBefore in f.ngroups) c.groups.value = groupsBefore;
  }
  if (c.unavailable) {
    clear(c.unavailable, f.unavailable.length ? [
      h('p', { class: 'hint' }, 'Not available for a streamed fit (the rows are never held):'),
      h('ul', { class: 'emm-notes' }, f.unavailable.map((u) => h('li', { 'data-kind': u.spec.kind }, h('b', {}, u.spec.r), `: ${u.reason}.`))),
    ] : []);
  }
  updateTestsControls(c);
}

/** the controls of the chosen test only; drop1's df named as the fixed-effects card's choice */
function updateTestsControls(c: TestsCard): void {
  const kind = c.kind.value as ModelTestKind;
  const spec = c.offered.find((s) => s.kind === kind);
  const has = (o: ModelTestOption) => !!spec?.options.includes(o);
  if (c.reduceLabel) c.reduceLabel.hidden = !has('reduceTerms');
  c.ddfLabel.hidden = !has('ddf');
  if (c.ddfNote) c.ddfNote.textContent = `df: ${c.ddf.value === 'kenward-roger' ? 'Kenward–Roger' : 'Satterthwaite'} (the fixed effects' choice)`;
  c.byLabel.hidden = !has('by');
  if (c.typeLabel) c.typeLabel.hidden = !has('type');
  if (c.groupsLabel) c.groupsLabel.hidden = !has('groups');
  c.run.disabled = !spec || c.req.busy;
  // Cancel only where the library takes a signal (influence); ranova shows a busy state
  if (!c.req.busy) c.cancel.hidden = !spec?.progress;
  const from = spec && c.streamed && 'from' in spec.streamed ? `, from ${spec.streamed.from}` : '';
  c.hint.textContent = spec ? `${spec.r}${spec.refits ? ' (refits the model)' : ''}${from}` : 'no test applies to this fit';
}

function testRequest(c: TestsCard, kind: ModelTestKind): ModelTestRequest {
  const req: ModelTestRequest = { kind };
  const spec = testSpec(kind);
  if (spec.options.includes('reduceTerms') && c.reduce) req.reduceTerms = c.reduce.checked;
  if (spec.options.includes('ddf')) req.ddf = c.ddf.value as ModelTestRequest['ddf'];
  if (spec.options.includes('by') && c.by.value) req.by = c.by.value;
  if (spec.options.includes('type') && c.type) req.type = c.type.value as ModelTestRequest['type'];
  if (spec.options.includes('groups') && c.groups?.value) req.groups = c.groups.value;
  return req;
}

function requestTest(c: TestsCard): void {
  const fitId = c.fitId();
  if (fitId === null || c.req.busy || c.run.disabled) return;
  const kind = c.kind.value as ModelTestKind;
  const spec = testSpec(kind);
  c.req.clearError();
  c.status.textContent = spec.refits ? '' : 'computing…';
  const request = testRequest(c, kind);
  c.req.start(null, (id) => ({ type: 'modelTest', id, fit: fitId, request }));
  // this card's progress: shown only for a test that refits
  c.progress.hidden = !spec.refits;
  c.bar.hidden = false;
  // a test that refits without progress reports (ranova, step, R²'s null model): an indeterminate bar, and no Cancel (the library takes no signal there)
  if (spec.progress) { c.bar.value = 0; c.progressText.textContent = 'starting…'; } else { c.bar.removeAttribute('value'); c.progressText.textContent = `refitting… (${spec.r} reports no progress and cannot be cancelled)`; }
  c.cancel.disabled = !spec.progress;
}

function cell(v: string | number | null, f: CellFormat): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  switch (f) {
    case 'int': return Number.isFinite(v) ? String(v) : fmt(v);
    case 'stat': return fmtFixed(v, 3);
    case 'df': return fmt(v, 4);
    case 'p': return fmtP(v);
    default: return fmt(v);
  }
}

function testTable(prefix: string, t: TestTable): HTMLElement {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: `${prefix}-${t.id}-table` },
    h('thead', {}, h('tr', {}, t.columns.map((c) => h('th', { class: c.format === 'text' ? 'text' : null }, c.head)))),
    h('tbody', {}, t.rows.map((r) => {
      const attrs: Record<string, string | null> = { 'data-key': r.key };
      t.columns.forEach((c, j) => { if (c.format !== 'text') attrs[`data-${c.key}`] = r.cells[j] === null ? null : String(r.cells[j]); });
      return h('tr', attrs, t.columns.map((c, j) => h('td', { class: c.format === 'text' ? 'text name' : null }, cell(r.cells[j] ?? null, c.format))));
    })),
  ));
}

/** a result's section in the card (one per test kind, in the list's order): its tables with CSV, notes, the chart and R's printout */
function renderTest(c: TestsCard, m: ModelTestMsg): void {
  const spec = testSpec(m.kind);
  c.status.textContent = `${spec.r}, ${fmtMs(m.elapsedMs)}`;
  const tables = modelTestTables(m);
  const section = h('section', { id: `${c.prefix}-sec-${m.kind}`, 'data-kind': m.kind },
    tables.flatMap((t) => [
      h('h4', {}, t.title, ' ', h('button', { type: 'button', id: `export-${c.prefix}-${t.id}`, title: 'download the table as CSV', onclick: () => download(`${c.fileBase()}_${t.id}.csv`, testTableCsv(t), 'text/csv') }, 'CSV')),
      testTable(c.prefix, t),
      t.caption ? h('p', { class: 'caption' }, t.caption) : null,
    ]),
    m.notes.length ? h('ul', { class: 'emm-notes' }, m.notes.map((n) => h('li', {}, n))) : null,
    h('details', {}, h('summary', {}, `as R prints it (${spec.r})`), h('pre', { class: 'summary' }, m.text)),
  );
  // sections in MODEL_TESTS's order: before the first shown one that comes after this kind
  const order = MODEL_TESTS.map((s) => s.kind);
  c.out.querySelector(`[data-kind="${m.kind}"]`)?.remove();
  const next = [...c.out.children].find((e) => order.indexOf((e as HTMLElement).dataset.kind as ModelTestKind) > order.indexOf(m.kind));
  c.out.insertBefore(section, next ?? null);
  if (m.kind === 'influence') {
    const bars = cooksBars(m);
    const plot = h('div', { id: `${c.prefix}-cooks`, class: 'plot' });
    section.insertBefore(h('div', {}, h('span', { class: 'plot-export' }, plotExportButtons(`${c.prefix}-cooks`, plot)), plot), section.querySelector('details'));
    if (bars.length) plot.append(cooksPlot(bars, plotWidth(plot)));
  }
}

// ---------------------------------------------------------------------------------------------
// Power analysis (simr's powerSim, extend, powerCurve) and per-group fits (lme4's lmList), computed in the worker

/** the Power card's result shown (its run: pwRun, below) */
let shownPower: PowerMsg | null = null;
const pw = {
  card: byId<HTMLDetailsElement>('power-card'),
  test: byId<HTMLSelectElement>('power-test'),
  method: byId<HTMLSelectElement>('power-method'),
  effects: byId('power-effects'),
  nsim: byId<HTMLInputElement>('power-nsim'),
  seed: byId<HTMLInputElement>('power-seed'),
  alpha: byId<HTMLInputElement>('power-alpha'),
  along: byId<HTMLSelectElement>('power-along'),
  breaks: byId<HTMLInputElement>('power-breaks'),
  run: byId<HTMLButtonElement>('power-run'),
  curveRun: byId<HTMLButtonElement>('power-curve-run'),
  cancel: byId<HTMLButtonElement>('power-cancel'),
  hint: byId('power-hint'),
  progress: byId('power-progress'),
  bar: byId<HTMLProgressElement>('power-bar'),
  progressText: byId('power-progress-text'),
  status: byId('power-status'),
  error: byId('power-error'),
  out: byId('power-out'),
};
/** the Power card's run: its two buttons come back as updatePowerControls offers them (a refusal, no term, no curve variable) */
const pwRun = cardRun('fit', { run: [pw.run, pw.curveRun], cancel: pw.cancel, progress: pw.progress, bar: pw.bar, progressText: pw.progressText, error: pw.error }, {
  idle: () => updatePowerControls(pw.method.value, currentEffects()),
});
/** the per-group fits card's result shown and its sort (its run: llRun, below) */
let shownLmList: LmListMsg | null = null;
let lmListSort: { column: number; dir: 'asc' | 'desc' } = { column: 0, dir: 'asc' };
const ll = {
  card: byId<HTMLDetailsElement>('lmlist-card'),
  group: byId<HTMLSelectElement>('lmlist-group'),
  run: byId<HTMLButtonElement>('lmlist-run'),
  hint: byId('lmlist-hint'),
  status: byId('lmlist-status'),
  error: byId('lmlist-error'),
  out: byId('lmlist-out'),
};
/** its run: a status line, no progress bar or Cancel; the button back and the status cleared when it ends (a result then writes its own) */
const llRun = cardRun('fit', { run: [ll.run], error: ll.error }, { idle: () => { ll.run.disabled = false; ll.status.textContent = ''; } });
/** the two cards' state read from the address, applied to the next fit shown */
let pendingCards: Pick<UrlState, 'power' | 'lmlist'> | null = null;

const setupOfShown = (): PowerSetup | null => (shown ? shown.result.power : null);

/** a new fit shown: the tests, effect sizes and curve variables it offers; the previous fit's results and a running simulation dropped */
function renderPowerStart(r: FitResult): void {
  pwRun.abandon();
  shownPower = null;
  clear(pw.out);
  pw.error.textContent = '';
  pw.status.textContent = '';
  pw.progress.hidden = true;
  const s = r.power;
  const url = pendingCards?.power;
  const before = url?.test ?? pw.test.value;
  fillOptions(pw.test, s.terms.map((t) => ({ value: t.name, text: t.kind === 'term' ? t.name : `${t.name} (coefficient)` })), false);
  if (s.terms.some((t) => t.name === before)) pw.test.value = before;
  const alongBefore = url?.along ?? pw.along.value;
  fillOptions(pw.along, s.along.map((a) => ({ value: a.name, text: `${a.name} (${a.values} ${a.kind === 'factor' ? 'levels' : 'values'})` })), false);
  if (s.along.some((a) => a.name === alongBefore)) pw.along.value = alongBefore;
  if (url) {
    if (url.nsim !== undefined) pw.nsim.value = String(url.nsim);
    if (url.seed !== undefined) pw.seed.value = String(url.seed);
    if (url.alpha !== undefined) pw.alpha.value = String(url.alpha);
    pw.breaks.value = url.breaks?.join(', ') ?? '';
    pw.card.open = true;
  }
  updatePowerControls(url?.method, url?.effects);
  renderLmListStart(r);
}

/** the chosen predictor's tests (its default first selected) and effect-size fields (the fitted values) */
function updatePowerControls(method?: string, effects?: Record<string, number>): void {
  const s = setupOfShown();
  const term = s?.terms.find((t) => t.name === pw.test.value);
  fillOptions(pw.method, (term?.methods ?? []).map((m) => ({ value: m, text: `${POWER_METHODS[m]}${m === term!.defaultMethod ? ' — simr\'s default' : ''}` })), false);
  if (term) pw.method.value = method && term.methods.includes(method as PowerMethodChoice) ? method : term.defaultMethod;
  clear(pw.effects, (term?.columns ?? []).map((name) => {
    const fitted = s!.coefficients.find((c) => c.name === name)!.estimate;
    const v = effects?.[name] ?? fitted;
    return h('label', { title: `simr's fixef(fit)['${name}'] <- value; the fitted value is ${fmt(fitted, 8)}` }, `effect of ${name} `,
      h('input', { type: 'number', step: 'any', 'data-effect': name, 'data-fitted': String(fitted), value: String(v), size: 10, onchange: () => syncUrl() }));
  }));
  const refused = s?.refusal ?? null;
  const curveRefused = s?.curveRefusal ?? null;
  pw.run.disabled = !!refused || !term || pwRun.busy;
  pw.curveRun.disabled = !!curveRefused || !term || !s?.along.length || pwRun.busy;
  pw.along.disabled = !!curveRefused;
  pw.breaks.disabled = !!curveRefused;
  const along = s?.along.find((a) => a.name === pw.along.value);
  pw.hint.textContent = refused ? `Not available for this fit: ${refused}.`
    : [
      'Each simulation draws a response from the fit (its β, θ, σ, with the effect sizes above) and refits the model; nsim 1000 is simr\'s default.',
      curveRefused ? `Power curve: ${curveRefused}.` : along ? `Breaks: numbers of ${along.kind === 'factor' ? 'levels' : 'values'} of ${along.name} (it has ${along.values}; more extend the design first, as simr's extend).` : '',
    ].filter(Boolean).join(' ');
}

function powerFields(): PowerFields {
  const effects: Record<string, string> = {};
  for (const input of pw.effects.querySelectorAll<HTMLInputElement>('input[data-effect]')) effects[input.dataset.effect!] = input.value;
  return { test: pw.test.value, method: pw.method.value, nsim: pw.nsim.value, seed: pw.seed.value, alpha: pw.alpha.value, effects, along: pw.along.value, breaks: pw.breaks.value };
}

function startPower(curve: boolean): void {
  const s = setupOfShown();
  if (!shown || !s || pwRun.busy) return;
  pwRun.clearError();
  // the address records the settings of each run
  syncUrl();
  let request: PowerRequest;
  try {
    request = powerRequest(s, powerFields(), curve);
  } catch (e) {
    pwRun.showFieldError((e as Error).message);
    return;
  }
  pw.status.textContent = '';
  const fit = shown.id;
  pwRun.start({ max: request.nsim, text: `starting ${request.nsim} simulations…` }, (id) => ({ type: 'power', id, fit, request }));
}

/** the effect-size fields' values (numbers only) */
function currentEffects(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const input of pw.effects.querySelectorAll<HTMLInputElement>('input[data-effect]')) {
    const v = Number(input.value);
    if (input.value.trim() !== '' && Number.isFinite(v)) out[input.dataset.effect!] = v;
  }
  return out;
}

function renderPower(m: PowerMsg): void {
  shownPower = m;
  pw.status.textContent = `${m.curve ? 'powerCurve' : 'powerSim'}, ${fmtMs(m.elapsedMs)}`;
  const t = powerTable(m);
  const pv = powerPValuesCsvRows(m);
  const headline = m.sim
    ? h('p', { class: 'power-headline', id: 'power-headline', 'data-power': String(m.sim.power), 'data-lower': String(m.sim.ci[0]), 'data-upper': String(m.sim.ci[1]) },
      `${m.sim.text}: `, h('b', {}, `${powerInterval(m.sim).trim()}`), ` — ${m.sim.successes} of ${m.sim.trials} simulations with p < ${m.sim.alpha} (95% Clopper–Pearson interval)`)
    : null;
  const plot = m.curve ? h('div', { id: 'power-plot', class: 'plot' }) : null;
  clear(pw.out,
    headline,
    h('h4', {}, t.title, ' ',
      h('button', { type: 'button', id: 'export-power-table', title: 'download the table as CSV', onclick: () => download(`${baseName()}_${t.id}.csv`, testTableCsv(t), 'text/csv') }, 'CSV'), ' ',
      h('button', { type: 'button', id: 'export-power-pvalues', title: 'download each simulation\'s p-value as CSV', onclick: () => download(`${baseName()}_${t.id}_pvalues.csv`, csv(pv.header, pv.rows), 'text/csv') }, 'p-values CSV')),
    testTable('power', t),
    h('p', { class: 'caption' }, t.caption),
    plot ? h('div', {}, h('span', { class: 'plot-export' }, plotExportButtons('power-plot', plot)), plot) : null,
    m.notes.length ? h('ul', { class: 'emm-notes' }, m.notes.map((n) => h('li', {}, n))) : null,
    h('details', {}, h('summary', {}, 'as simr prints it'), h('pre', { class: 'summary', id: 'power-text' }, m.text)),
  );
  if (plot && m.curve) plot.append(powerCurvePlot(powerCurveRows(m), m.curve.xlab, plotWidth(plot)));
}

/** the per-group fits card of a new fit: its grouping factors, or why it is not offered */
function renderLmListStart(r: FitResult): void {
  // idle already (abandonFitCards ran before the new fit's cards)
  llRun.drop();
  shownLmList = null;
  clear(ll.out);
  ll.error.textContent = '';
  ll.status.textContent = '';
  const s = r.power.lmList;
  const before = pendingCards?.lmlist || ll.group.value;
  fillOptions(ll.group, s.groups.map((g) => ({ value: g, text: g })), false);
  if (s.groups.includes(before)) ll.group.value = before;
  if (pendingCards?.lmlist !== undefined) ll.card.open = true;
  pendingCards = null;
  ll.run.disabled = !!s.refusal || !s.groups.length;
  ll.hint.textContent = s.refusal ? `Not available for this fit: ${s.refusal}.` : s.groups.length ? `lmList(${s.model} | group): lm in each level; the pooled residual SD as lme4's default (pool = TRUE).` : 'The fit has no grouping factor to split by.';
}

function requestLmList(): void {
  if (!shown || ll.run.disabled) return;
  llRun.clearError();
  ll.status.textContent = 'fitting each group…';
  const fit = shown.id;
  llRun.start(null, (id) => ({ type: 'lmList', id, fit, request: { group: ll.group.value } }));
}

function renderLmList(m: LmListMsg): void {
  shownLmList = m;
  ll.status.textContent = `lmList, ${m.groups.length} groups, ${fmtMs(m.elapsedMs)}`;
  const t = lmListTable(m);
  const rows = sortRows(t, lmListSort.column, lmListSort.dir);
  const table = testTable('lmlist', { ...t, rows });
  table.querySelectorAll('th').forEach((th, j) => {
    th.dataset.sort = String(j);
    th.title = 'sort by this column';
    if (j === lmListSort.column) th.setAttribute('aria-sort', lmListSort.dir === 'asc' ? 'ascending' : 'descending');
    th.addEventListener('click', () => {
      lmListSort = { column: j, dir: lmListSort.column === j && lmListSort.dir === 'asc' ? 'desc' : 'asc' };
      renderLmList(m);
    });
  });
  clear(ll.out,
    h('h4', {}, t.title, ' ', h('button', { type: 'button', id: 'export-lmlist', title: 'download the table as CSV (the groups in level order)', onclick: () => download(`${baseName()}_lmlist_${m.request.group}.csv`, testTableCsv(t), 'text/csv') }, 'CSV')),
    table,
    h('p', { class: 'caption', id: 'lmlist-caption' }, t.caption),
    m.messages.length ? h('ul', { class: 'emm-notes' }, m.messages.map((n) => h('li', {}, n))) : null,
    h('details', {}, h('summary', {}, 'as R prints it (lme4\'s lmList and its summary)'), h('pre', { class: 'summary', id: 'lmlist-text' }, m.text)),
  );
}

/** the two cards' state for the address: open, with their settings */
function cardsUrlState(): Pick<UrlState, 'power' | 'lmlist'> {
  if (pendingCards) return pendingCards;
  if (!shown) return {};
  const out: Pick<UrlState, 'power' | 'lmlist'> = {};
  if (pw.card.open) {
    const fitted = new Map(shown.result.power.coefficients.map((c) => [c.name, c.estimate]));
    const effects = Object.fromEntries(Object.entries(currentEffects()).filter(([k, v]) => fitted.get(k) !== v));
    let breaks: number[] | undefined;
    try { breaks = parseBreaks(pw.breaks.value); } catch { breaks = undefined; }
    const num = (s: string) => (s.trim() === '' ? undefined : Number(s));
    out.power = {
      test: pw.test.value || undefined, method: pw.method.value || undefined, nsim: num(pw.nsim.value), seed: num(pw.seed.value), alpha: num(pw.alpha.value),
      ...(Object.keys(effects).length ? { effects } : {}), along: pw.along.value || undefined, ...(breaks ? { breaks } : {}),
    };
  }
  if (ll.card.open) out.lmlist = ll.group.value;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Cluster-robust inference (clubSandwich's vcovCR, coef_test, conf_int, Wald_test), computed in the worker

/** the card's result shown (its run: rbRun, below) */
let shownRobust: RobustMsg | null = null;
const rb = {
  card: byId<HTMLDetailsElement>('robust-card'),
  type: byId<HTMLSelectElement>('robust-type'),
  cluster: byId<HTMLSelectElement>('robust-cluster'),
  test: byId<HTMLSelectElement>('robust-test'),
  level: byId<HTMLInputElement>('robust-level'),
  wald: byId<HTMLSelectElement>('robust-wald'),
  waldKind: byId<HTMLSelectElement>('robust-wald-kind'),
  waldTests: byId<HTMLSelectElement>('robust-wald-tests'),
  run: byId<HTMLButtonElement>('robust-run'),
  hint: byId('robust-hint'),
  status: byId('robust-status'),
  error: byId('robust-error'),
  out: byId('robust-out'),
};
/** its run: a status line, no progress bar or Cancel; the button back and the status cleared when it ends (a result then writes its own) */
const rbRun = cardRun('fit', { run: [rb.run], error: rb.error }, { idle: () => { rb.run.disabled = false; rb.status.textContent = ''; } });
/** the card's settings read from the address, applied to the next fit shown (then computed once) */
let pendingRobust: RobustUrlState | null = null;

const selected = (sel: HTMLSelectElement) => [...sel.selectedOptions].map((o) => o.value);
function selectValues(sel: HTMLSelectElement, values: string[]): void {
  for (const o of sel.options) o.selected = values.includes(o.value);
}

/** the choices that do not depend on the fit (the types, tests and Wald tests: the library's lists) */
function fillRobustChoices(type: HTMLSelectElement, test: HTMLSelectElement, waldTests: HTMLSelectElement | null): void {
  fillOptions(type, Object.entries(ROBUST_TYPES).map(([value, text]) => ({ value, text: value === 'CR2' ? `${text} — default` : text })));
  if (!type.value || type.value === 'CR0') type.value = 'CR2';
  fillOptions(test, Object.entries(ROBUST_TESTS).map(([value, text]) => ({ value, text: value === 'Satterthwaite' ? `${text} — default` : text })));
  if (waldTests) {
    fillOptions(waldTests, ROBUST_WALD_TESTS.map((t) => ({ value: t, text: t === 'HTZ' ? 'HTZ — default' : t })));
    if (!selected(waldTests).length) selectValues(waldTests, ['HTZ']);
  }
}

/** a new fit shown: its clusters, terms and coefficients, or the library's refusal as a note */
function renderRobustStart(r: FitResult): void {
  // idle already (abandonFitCards ran before the new fit's cards)
  rbRun.drop();
  shownRobust = null;
  clear(rb.out);
  rb.error.textContent = '';
  rb.status.textContent = '';
  const s = r.robust;
  const url = pendingRobust;
  pendingRobust = null;
  fillRobustChoices(rb.type, rb.test, rb.waldTests);
  const before = url ? url.cluster ?? '' : rb.cluster.value;
  fillOptions(rb.cluster, s.clusters.map((g) => ({ value: g === s.defaultCluster ? '' : g, text: g === s.defaultCluster ? `${g} — clubSandwich's default` : g })), false);
  if ([...rb.cluster.options].some((o) => o.value === before)) rb.cluster.value = before;
  const waldBefore = url ? url.wald ?? [] : selected(rb.wald);
  fillOptions(rb.wald, [
    ...s.terms.map((t) => ({ value: `term:${t.name}`, text: t.columns.length > 1 || t.columns[0] !== t.name ? `${t.name} (term: ${t.columns.length} coefficient${t.columns.length > 1 ? 's' : ''})` : `${t.name} (term)` })),
    ...s.coefficients.filter((c) => !s.terms.some((t) => t.name === c && t.columns.length === 1 && t.columns[0] === c)).map((c) => ({ value: `coef:${c}`, text: c })),
  ], false);
  selectValues(rb.wald, waldBefore);
  if (url) {
    if (url.type) rb.type.value = url.type;
    if (url.test) rb.test.value = url.test;
    if (url.level !== undefined) rb.level.value = String(url.level);
    if (url.waldKind) rb.waldKind.value = url.waldKind;
    if (url.waldTests) selectValues(rb.waldTests, url.waldTests);
    rb.card.open = true;
  }
  rb.run.disabled = !!s.refusal;
  for (const c of [rb.type, rb.cluster, rb.test, rb.level, rb.wald, rb.waldKind, rb.waldTests]) c.disabled = !!s.refusal;
  rb.hint.textContent = s.refusal
    ? `Not available for this fit: ${s.refusal}.`
    : [`Clusters: the grouping factors in which every other grouping factor is nested (clubSandwich's default: the one with the fewest levels).`,
      ...s.unavailable.map((u) => `${u.cluster}: ${u.reason}.`)].join(' ');
  if (url && !s.refusal) requestRobust();
}

function robustFields(): RobustFields {
  return {
    type: rb.type.value, cluster: rb.cluster.value, test: rb.test.value, level: rb.level.value,
    waldItems: selected(rb.wald), waldKind: rb.waldKind.value, waldTests: selected(rb.waldTests),
  };
}

function requestRobust(): void {
  if (!shown || rbRun.busy) return;
  rbRun.clearError();
  syncUrl();
  let request: RobustRequest;
  try {
    request = robustRequest(robustFields(), shown.result.robust);
  } catch (e) {
    rbRun.showFieldError((e as Error).message);
    return;
  }
  rb.status.textContent = 'computing…';
  const fit = shown.id;
  rbRun.start(null, (id) => ({ type: 'robust', id, fit, request }));
}

/** the tables (with CSV), the Wald test's notes and clubSandwich's printout, into `out` */
function robustSection(m: RobustMsg, prefix: string, out: HTMLElement): void {
  const tables = robustTables(m);
  clear(out,
    tables.flatMap((t) => [
      h('h4', {}, t.title, ' ', h('button', { type: 'button', id: `export-${prefix}-${t.id}`, title: 'download the table as CSV', onclick: () => download(`${baseName()}_${prefix === 'robust' ? '' : 'meta_'}${t.id}.csv`, testTableCsv(t), 'text/csv') }, 'CSV')),
      testTable(prefix, t),
      t.caption ? h('p', { class: 'caption' }, t.caption) : null,
    ]),
    m.wald?.notes.length ? h('ul', { class: 'emm-notes' }, m.wald.notes.map((n) => h('li', {}, n))) : null,
    h('details', {}, h('summary', {}, "as R prints it (clubSandwich's coef_test, conf_int, Wald_test)"), h('pre', { class: 'summary', id: `${prefix}-text` }, m.text)),
  );
}

function renderRobust(m: RobustMsg): void {
  shownRobust = m;
  rb.status.textContent = `${m.type}, ${m.J} clusters of ${m.cluster}, ${fmtMs(m.elapsedMs)}`;
  robustSection(m, 'robust', rb.out);
}

/** the card's state for the address: open, with its settings */
function robustUrlState(): RobustUrlState | undefined {
  if (pendingRobust) return pendingRobust;
  if (!shown || !rb.card.open) return undefined;
  const level = Number(rb.level.value);
  const wald = selected(rb.wald);
  return {
    type: rb.type.value || undefined, cluster: rb.cluster.value || undefined, test: rb.test.value || undefined,
    level: rb.level.value.trim() !== '' && Number.isFinite(level) ? level : undefined,
    ...(wald.length ? { wald, waldKind: rb.waldKind.value as 'zero' | 'equal', waldTests: selected(rb.waldTests) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Refits by several optimizers (lme4's allFit), computed in the worker

/** the card's result shown (its run: afRun, below) */
let shownAllFit: AllFitMsg | null = null;
const af = {
  card: byId<HTMLDetailsElement>('allfit-card'),
  optimizers: byId('allfit-optimizers'),
  maxfun: byId<HTMLInputElement>('allfit-maxfun'),
  run: byId<HTMLButtonElement>('allfit-run'),
  cancel: byId<HTMLButtonElement>('allfit-cancel'),
  hint: byId('allfit-hint'),
  progress: byId('allfit-progress'),
  bar: byId<HTMLProgressElement>('allfit-bar'),
  progressText: byId('allfit-progress-text'),
  status: byId('allfit-status'),
  error: byId('allfit-error'),
  out: byId('allfit-out'),
};
/** the card's run: its button back unless the library refuses allFit for the fit shown */
const afRun = cardRun('fit', { run: [af.run], cancel: af.cancel, progress: af.progress, bar: af.bar, progressText: af.progressText, error: af.error }, {
  idle: () => { af.run.disabled = !!shown?.result.allFit.refusal; },
});
/** the card's settings read from the address, applied to the next fit shown (never run: refits are the user's to start) */
let pendingAllFit: AllFitUrlState | null = null;

/** beside a convergence warning of the fit shown: opens the Optimizers card at its button (where the library offers allFit) */
function allFitLink(r: FitResult): HTMLElement | null {
  if (r.allFit.refusal) return null;
  return h('button', { type: 'button', class: 'link allfit-link', title: 'refit the model with each optimizer from lme4\'s start (lme4\'s allFit)', onclick: () => {
    af.card.open = true;
    af.card.scrollIntoView({ block: 'start', behavior: 'smooth' });
    af.run.focus({ preventScroll: true });
    syncUrl();
  } }, 'check with other optimizers');
}

const tickedOptimizers = (): string[] => [...af.optimizers.querySelectorAll<HTMLInputElement>('input[data-optimizer]')].filter((i) => i.checked).map((i) => i.dataset.optimizer!);

/** a new fit shown: the library's optimizers as ticks, or its refusal as a note; the previous fit's result and a running allFit dropped */
function renderAllFitStart(r: FitResult): void {
  afRun.abandon();
  shownAllFit = null;
  clear(af.out);
  af.error.textContent = '';
  af.status.textContent = '';
  af.progress.hidden = true;
  const s = r.allFit;
  const url = pendingAllFit;
  pendingAllFit = null;
  const before = url ? url.optimizers ?? s.optimizers.map((o) => o.method) : af.optimizers.childElementCount ? tickedOptimizers() : s.optimizers.map((o) => o.method);
  clear(af.optimizers, s.optimizers.map((o) => h('label', {}, h('input', { type: 'checkbox', 'data-optimizer': o.method, checked: before.includes(o.method), onchange: () => syncUrl() }), ` ${o.label}`)));
  if (url) {
    af.maxfun.value = String(url.maxfun ?? s.maxfun);
    af.card.open = true;
  }
  af.run.disabled = !!s.refusal;
  af.maxfun.disabled = !!s.refusal;
  for (const i of af.optimizers.querySelectorAll('input')) i.disabled = !!s.refusal;
  af.hint.textContent = s.refusal
    ? `Not available for this fit: ${s.refusal}.`
    : [
      'Each optimizer refits the model from lme4\'s start with its own stopping rule (our implementations, named for what ran; lme4\'s nlminbwrap, nmkbw, optimx and nloptwrap are not reproduced).',
      s.convergenceMessages.length ? 'lme4 warned about this fit\'s convergence: if the optimizers agree, the warning is likely a false positive.' : '',
      s.backend === 'webgpu' ? 'On WebGPU every refit ends with the same float64 polish: compare optimizers on the CPU backend.' : '',
    ].filter(Boolean).join(' ');
}

function startAllFit(): void {
  if (!shown || afRun.busy) return;
  afRun.clearError();
  syncUrl();
  let request: AllFitRequest;
  try {
    request = allFitRequest({ optimizers: tickedOptimizers(), maxfun: af.maxfun.value }, shown.result.allFit);
  } catch (e) {
    afRun.showFieldError((e as Error).message);
    return;
  }
  af.status.textContent = '';
  const fit = shown.id;
  afRun.start({ max: request.optimizers.length, text: `starting ${request.optimizers.length} refits…` }, (id) => ({ type: 'allFit', id, fit, request }));
}

function renderAllFit(m: AllFitMsg): void {
  shownAllFit = m;
  af.status.textContent = `allFit, ${m.rows.length} optimizer${m.rows.length === 1 ? '' : 's'}, ${fmtMs(m.elapsedMs)}`;
  const t = allFitTable(m);
  const head = allFitHeadline(m);
  clear(af.out,
    h('p', { class: `power-headline allfit-headline${head.agree === false ? ' warn' : ''}`, id: 'allfit-headline', 'data-agree': head.agree === null ? '' : String(head.agree) },
      head.agree === null ? head.text : h('b', {}, head.text)),
    h('h4', {}, t.title, ' ', h('button', { type: 'button', id: 'export-allfit', title: 'download the table as CSV', onclick: () => download(`${baseName()}_allfit.csv`, testTableCsv(t), 'text/csv') }, 'CSV')),
    testTable('allfit', t),
    h('p', { class: 'caption' }, t.caption),
    h('details', {}, h('summary', {}, 'as R prints it (lme4\'s summary(allFit))'), h('pre', { class: 'summary', id: 'allfit-text' }, m.text)),
  );
}

/** the card's state for the address: open, with its settings other than the defaults */
function allFitUrlState(): AllFitUrlState | undefined {
  if (pendingAllFit) return pendingAllFit;
  if (!shown || !af.card.open) return undefined;
  const all = shown.result.allFit.optimizers.map((o) => o.method as string);
  const ticked = tickedOptimizers();
  const maxfun = Number(af.maxfun.value);
  return {
    ...(ticked.length && ticked.length < all.length ? { optimizers: ticked } : {}),
    ...(Number.isInteger(maxfun) && maxfun >= 1 && maxfun !== shown.result.allFit.maxfun ? { maxfun } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// ANOVA (afex's mixed()), computed in the worker on the fit's formula and data

const ax = {
  card: byId<HTMLDetailsElement>('afex-card'),
  method: byId<HTMLSelectElement>('afex-method'),
  type: byId<HTMLSelectElement>('afex-type'),
  intercept: byId<HTMLInputElement>('afex-intercept'),
  expandRe: byId<HTMLInputElement>('afex-expandre'),
  nsim: byId<HTMLInputElement>('afex-nsim'),
  seed: byId<HTMLInputElement>('afex-seed'),
  perParam: byId<HTMLInputElement>('afex-perparam'),
  run: byId<HTMLButtonElement>('afex-run'),
  cancel: byId<HTMLButtonElement>('afex-cancel'),
  hint: byId('afex-hint'),
  progress: byId('afex-progress'),
  bar: byId<HTMLProgressElement>('afex-bar'),
  progressText: byId('afex-progress-text'),
  status: byId('afex-status'),
  error: byId('afex-error'),
  out: byId('afex-out'),
};
/** the card's run (afex's mixed()): its button back unless the fit is refused or none is shown */
const axRun = cardRun('fit', { run: [ax.run], cancel: ax.cancel, progress: ax.progress, bar: ax.bar, progressText: ax.progressText, error: ax.error }, {
  idle: () => { ax.run.disabled = !!ax.run.dataset.refused || !shown; },
});
/** the card's settings read from the address, applied to the next fit shown (never run: refits and simulations are the user's to start) */
let pendingAfex: AfexUrlState | null = null;

const afexFields = () => ({ method: ax.method.value, type: ax.type.value, testIntercept: ax.intercept.checked, expandRe: ax.expandRe.checked, nsim: ax.nsim.value, seed: ax.seed.value, perParameter: ax.perParam.value });

/** PB's nsim and seed only for PB */
function afexMethodChanged(): void {
  const pb = ax.method.value === 'PB';
  ax.nsim.disabled = !pb || !!ax.run.dataset.refused;
  ax.seed.disabled = !pb || !!ax.run.dataset.refused;
  // afex's per_parameter: the nested-model methods only
  ax.perParam.disabled = !AFEX_PER_PARAMETER_METHODS.includes(ax.method.value) || !!ax.run.dataset.refused;
}

/** a new fit shown: the card's result of the previous fit dropped (a running mixed() cancelled), the address's settings applied */
function renderAfexStart(r: FitResult): void {
  axRun.abandon();
  clear(ax.out);
  ax.error.textContent = '';
  ax.status.textContent = '';
  ax.progress.hidden = true;
  const url = pendingAfex;
  pendingAfex = null;
  if (url) {
    const f = afexFieldsOf(url);
    ax.method.value = f.method; ax.type.value = f.type; ax.intercept.checked = f.testIntercept; ax.expandRe.checked = f.expandRe; ax.nsim.value = f.nsim; ax.seed.value = f.seed; ax.perParam.value = f.perParameter ?? '';
    ax.card.open = true;
  }
  const why = shown ? afexRefusal(shown.request) : null;
  if (why) ax.run.dataset.refused = '1'; else delete ax.run.dataset.refused;
  ax.run.disabled = !!why;
  for (const c of [ax.method, ax.type, ax.intercept, ax.expandRe]) c.disabled = !!why;
  afexMethodChanged();
  ax.hint.textContent = why ? `Not available for this fit: ${why}.` : [
    `afex's mixed() on this fit's formula and data${r.kind === 'glmer' ? ` (${r.family}, ${r.link}; afex offers LRT and PB for a GLMM)` : ''}: every factor of the formula is set to contr.sum (afex's check_contrasts), and the models are refitted — LRT and PB fit nested models by ML, one per effect; nested-KR fits them by REML and compares each pair by Kenward–Roger (pbkrtest's KRmodcomp, with its F.scaling).`,
    'PB simulates nsim responses per effect and refits both models to each (the time grows with nsim).',
  ].join(' ');
}

function startAfex(): void {
  if (!shown || axRun.busy) return;
  axRun.clearError();
  syncUrl();
  let request;
  try {
    request = afexRequest(afexFields());
  } catch (e) {
    axRun.showFieldError((e as Error).message);
    return;
  }
  ax.status.textContent = '';
  const fit = shown.id;
  axRun.start({ max: 1, text: `running afex's mixed(method = "${request.method}")…` }, (id) => ({ type: 'afex', id, fit, request }));
}

function renderAfex(m: AfexMsg): void {
  ax.status.textContent = `afex's mixed(method = "${m.request.method}", type = ${m.request.type}), ${fmtMs(m.elapsedMs)}`;
  const t = afexTable(m);
  clear(ax.out,
    m.messages.length ? h('ul', { class: 'emm-notes', id: 'afex-messages' }, m.messages.map((n) => h('li', {}, n))) : null,
    h('h4', {}, t.title, ' ', h('button', { type: 'button', id: 'export-afex', title: 'download the table as CSV (nice()\'s text and anova()\'s numbers)', onclick: () => download(`${baseName()}_afex.csv`, afexCsv(m), 'text/csv') }, 'CSV')),
    testTable('afex', t),
    h('p', { class: 'caption' }, t.caption, '. df: numerator, denominator (F tests) or the χ² df; the statistic with afex\'s symbols (+ p < .1, * < .05, ** < .01, *** < .001); p as afex rounds it.'),
    h('details', {}, h('summary', {}, 'as R prints it (afex\'s print(mixed))'), h('pre', { class: 'summary', id: 'afex-text' }, m.text)),
  );
}

/** the card's state for the address: open, with its settings other than the defaults */
function afexUrlState(): AfexUrlState | undefined {
  if (pendingAfex) return pendingAfex;
  if (!shown || !ax.card.open) return undefined;
  return afexUrlOf(afexFields());
}

// ---------------------------------------------------------------------------------------------
// Adjusted predictions (ggeffects's ggpredict and ggemmeans), computed in the worker

/**
 * One Adjusted predictions card: the fit panel's (ids gg-…) or the streamed fit's (stream-gg-…), with its
 * pending request (0: none), the result shown and how it reaches its fit (the worker's kept fit, its setup).
 */
interface GgCard {
  prefix: string;
  scope: 'fit' | 'stream';
  /** the worker's id of the card's fit, or null when none is shown */
  fitId(): number | null;
  /** the card's offer for that fit */
  setup(): GgSetup | null;
  /** whether the card is on screen (its panel shown) */
  visible(): boolean;
  /** the card's request: a status line, no progress bar or Cancel; its button back where the fit is shown and not refused, the status cleared (a result then writes its own) */
  req: CardRun<'fit' | 'stream' | 'data', Extract<ToWorker, { id: number }>>;
  shown: GgMsg | null;
  card: HTMLDetailsElement;
  slots: { role: 'x' | 'group' | 'facet'; variable: HTMLSelectElement; values: HTMLInputElement }[];
  method: HTMLSelectElement;
  type: HTMLSelectElement;
  level: HTMLInputElement;
  run: HTMLButtonElement;
  hint: HTMLElement;
  status: HTMLElement;
  error: HTMLElement;
  out: HTMLElement;
  plot: HTMLElement;
  table: HTMLElement;
  notes: HTMLElement;
  text: HTMLElement;
}

function ggCardOf(prefix: string, scope: GgCard['scope'], fitId: GgCard['fitId'], setup: GgCard['setup'], visible: GgCard['visible']): GgCard {
  const p = `${prefix}gg`;
  const run = byId<HTMLButtonElement>(`${p}-run`), status = byId(`${p}-status`), error = byId(`${p}-error`);
  const req = cardRun(scope, { run: [run], error }, { idle: () => { run.disabled = !!setup()?.refusal || fitId() === null; status.textContent = ''; } });
  return {
    prefix, scope, fitId, setup, visible, req, shown: null,
    card: byId<HTMLDetailsElement>(`${p}-card`),
    slots: (['x', 'group', 'facet'] as const).map((role) => ({ role, variable: byId<HTMLSelectElement>(`${p}-${role}`), values: byId<HTMLInputElement>(`${p}-${role}-values`) })),
    method: byId<HTMLSelectElement>(`${p}-method`),
    type: byId<HTMLSelectElement>(`${p}-type`),
    level: byId<HTMLInputElement>(`${p}-level`),
    run,
    hint: byId(`${p}-hint`),
    status,
    error,
    out: byId(`${p}-out`),
    plot: byId(`${p}-plot`),
    table: byId(`${p}-table`),
    notes: byId(`${p}-notes`),
    text: byId(`${p}-text`),
  };
}

/** the fit panel's card and the streamed fit's */
const gg = ggCardOf('', 'fit', () => shown?.id ?? null, () => shown?.result.gg ?? null, () => !el.results.hidden);
const sgg = ggCardOf('stream-', 'stream', () => shownStream.id || null, () => shownStreamGg, () => !st.result.hidden);
/** the streamed fit's setup (from its result) */
let shownStreamGg: GgSetup | null = null;
/** the fit panel card's settings read from the address, applied to the next fit shown (and computed again: a cheap, deterministic table) */
let pendingGg: GgUrlState | null = null;

function ggFields(c: GgCard = gg): GgFields {
  return {
    method: c.method.value, type: c.type.value, level: c.level.value,
    terms: c.slots.map((s) => ({ variable: s.variable.value, values: s.values.value })),
  };
}

/** the fields checked as they are typed: the first bad one's message under the card's controls, its box marked */
function checkGgFields(c: GgCard = gg): boolean {
  for (const s of c.slots) { s.values.removeAttribute('aria-invalid'); s.variable.removeAttribute('aria-invalid'); }
  c.level.removeAttribute('aria-invalid');
  c.error.removeAttribute('data-field');
  const setup = c.setup();
  if (!setup) return false;
  try {
    ggRequest(ggFields(c), setup);
    c.error.textContent = '';
    return true;
  } catch (e) {
    const field = e instanceof GgFieldError ? e.field : '';
    const slot = c.slots.find((s) => s.role === field);
    if (slot) (innerValues(slot.values.value) ? slot.values : slot.variable).setAttribute('aria-invalid', 'true');
    if (field === 'level') c.level.setAttribute('aria-invalid', 'true');
    c.error.dataset.field = field;
    showError(c.error, (e as Error).message);
    return false;
  }
}
const innerValues = (v: string) => v.trim().replace(/^\[|\]$/g, '').trim() !== '';

/** a new fit shown: the card's choices from its fixed part (and grouping factors), or the library's refusal as a note; the address's settings applied */
function renderGgStart(r: FitResult): void {
  startGgCard(gg, r.gg, r.kind === 'glmer');
}

function startGgCard(c: GgCard, s: GgSetup, glmm: boolean): void {
  // idle already (abandonFitCards ran before the fit's cards; startStream abandoned the streamed card's and hid it)
  c.req.drop();
  c.shown = null;
  c.out.hidden = true;
  c.error.textContent = '';
  c.status.textContent = '';
  const url = c === gg ? pendingGg : null;
  if (c === gg) pendingGg = null;
  const before = url ? ggFieldsOf(url) : ggFields(c);
  const kindText = { covariate: 'covariate', factor: 'factor', grouping: 'grouping factor: type random' } as const;
  const options = s.variables.map((v) => ({ value: v.name, text: `${v.name} (${kindText[v.kind]})` }));
  c.slots.forEach((slot, k) => {
    fillOptions(slot.variable, [...(k > 0 ? [{ value: '', text: 'none' }] : []), ...options], false);
    const want = before.terms[k]!;
    if (options.some((o) => o.value === want.variable) || (k > 0 && want.variable === '')) {
      slot.variable.value = want.variable;
      slot.values.value = want.values;
    } else {
      // this fit has not the variable: x is the first covariate (else the first variable), the others none
      slot.variable.value = k > 0 ? '' : (s.variables.find((v) => v.kind === 'covariate') ?? s.variables[0])?.name ?? '';
      slot.values.value = '';
    }
  });
  if (url) {
    c.method.value = before.method;
    c.type.value = before.type;
    c.level.value = before.level;
    c.card.open = true;
  }
  const why = s.refusal ?? (s.variables.length === 0 ? 'the fixed part has no variables (an intercept-only model)' : null);
  c.run.disabled = !!why;
  for (const x of [...c.slots.flatMap((y) => [y.variable, y.values]), c.method, c.type, c.level]) x.disabled = !!why;
  c.hint.textContent = why ? `Not available for this fit: ${why}.`
    : 'Values in brackets as ggeffects writes them: numbers (0, 5, 9), a range (0:9 by = 3), levels (a, b), or one of pretty, n = 5, minmax, meansd, zeromax, quart, quart2, fivenum, terciles, terciles2, all; empty: ggeffects\'s default values. '
      + `ggpredict holds the other covariates at their mean and the other factors at their reference level; ggemmeans averages over the other factors.${glmm ? ' Predictions are on the response scale; the SE is on the link scale.' : ''}`
      + (c.scope === 'stream' ? ' Default values (and mean ± sd, quartiles, fivenum) take passes over the file: its distinct values, sd and exact quantiles.' : '');
  if (!why) checkGgFields(c);
  if (url && !why) requestGg(c);
}

function requestGg(c: GgCard = gg): void {
  const fit = c.fitId();
  const setup = c.setup();
  if (fit === null || !setup || c.req.busy) return;
  c.req.clearError();
  if (c === gg) syncUrl();
  let request: GgRequest;
  try {
    request = ggRequest(ggFields(c), setup);
  } catch (e) {
    checkGgFields(c);
    return;
  }
  c.status.textContent = c.scope === 'stream' ? 'computing (passes over the file where the values need them)…' : 'computing…';
  c.req.start(null, (id) => ({ type: 'ggeffects', id, fit, request }));
}

function renderGg(m: GgMsg, c: GgCard = gg): void {
  c.shown = m;
  c.status.textContent = `${m.method}(fit, terms = c(${m.request.terms.map((t) => `"${t}"`).join(', ')})${m.type === 'random' ? ', type = "re"' : ''}${m.level !== 0.95 ? `, ci.lvl = ${m.level}` : ''}): ${m.rows.length} predictions, ${fmtMs(m.elapsedMs)}`;
  c.out.hidden = false;
  const t = ggTable(m);
  drawGgPlot(m, c);
  const base = () => (c.scope === 'stream' ? shownStream.name.replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9_-]+/g, '_') || 'stream' : baseName());
  clear(c.table,
    h('h4', {}, t.title, ' ', h('button', { type: 'button', id: `${c.prefix}export-gg`, title: "download ggeffects's data frame as CSV", onclick: () => download(`${base()}_${m.method}.csv`, ggCsv(m), 'text/csv') }, 'CSV')),
    testTable(`${c.prefix}ggeffects`, t),
    h('p', { class: 'caption' }, t.caption),
  );
  clear(c.notes,
    m.adjustedFor.length ? h('p', { class: 'caption', id: `${c.prefix}gg-adjusted` }, 'Adjusted for: ', m.adjustedFor.flatMap((a, i) => [i ? ', ' : '', h('code', {}, `${a.name} = ${a.value}`)])) : null,
    m.messages.length ? h('ul', { class: 'emm-notes', id: `${c.prefix}gg-messages` }, m.messages.map((n) => h('li', {}, n))) : null,
  );
  c.text.textContent = m.text;
}

/** the plot at the card's width (drawn again when the window or the card's width changes) */
function drawGgPlot(m: GgMsg, c: GgCard = gg): void {
  clear(c.plot);
  const rows = ggPlotRows(m);
  if (!rows.length) return;
  c.plot.append(ggPlot(rows, {
    xKind: m.xKind, xLabel: m.terms[0]!, yLabel: ggAxisLabel(m), groupLabel: m.terms[1] ?? '',
    intervalLabel: `${Math.round(m.level * 1000) / 10}% ${m.predictionInterval ? 'prediction' : 'confidence'} interval`,
  }, plotWidth(c.plot)));
}

/** the card's state for the address: open, with its settings */
function ggUrlState(): GgUrlState | undefined {
  if (pendingGg) return pendingGg;
  if (!shown || !gg.card.open) return undefined;
  return ggUrlOf(ggFields());
}

// ---------------------------------------------------------------------------------------------
// Tidy output: broom.mixed's tidy, glance and augment as CSV, written in the worker

/** the export group of a fit's results: effects and conf.int for tidy, the three downloads (augment, or the library's refusal of it) */
function tidyExportGroup(prefix: string, fitId: () => number | null, fileBase: () => string, augmentRefusal: string | null, error: HTMLElement): HTMLElement[] {
  const ticks = TIDY_EXPORT_EFFECTS.map((e) => h('input', { type: 'checkbox', id: `${prefix}tidy-${e}`, value: e, checked: e !== 'ran_vals' }));
  const confInt = h('input', { type: 'checkbox', id: `${prefix}tidy-confint` });
  const get = (request: TidyRequest) => {
    const fit = fitId();
    if (fit === null) return;
    error.textContent = '';
    const id = nextId++;
    textWaiters.set(id, {
      ok: (text) => download(tidyFileName(fileBase(), request), text, 'text/csv'),
      fail: (message) => showError(error, `No ${request.what} export: ${message}.`),
    });
    send({ type: 'exportTidy', id, fit, request });
  };
  return [
    h('span', { title: "broom.mixed's tables, with broom's column names" }, 'Tidy output'),
    ...ticks.map((t) => h('label', { title: `tidy(fit, effects = ...): the ${t.value} rows` }, t, ` ${t.value}`)),
    h('label', { title: "tidy's conf.int: Wald intervals at 95% (NA for ran_pars, as lme4's Wald intervals of the variance parameters)" }, confInt, ' conf.int'),
    h('button', { type: 'button', id: `${prefix}export-tidy`, onclick: () => {
      try {
        get(tidyRequest({ effects: ticks.filter((t) => t.checked).map((t) => t.value), confInt: confInt.checked }));
      } catch (e) {
        showError(error, (e as Error).message);
      }
    } }, 'tidy CSV'),
    h('button', { type: 'button', id: `${prefix}export-glance`, onclick: () => get({ what: 'glance' }) }, 'glance CSV'),
    augmentRefusal
      ? h('span', { class: 'hint', id: `${prefix}augment-refusal` }, augmentRefusal)
      : h('button', { type: 'button', id: `${prefix}export-augment`, title: "augment(fit, data): the data's columns at the rows used, then .fitted, .resid, .hat, .cooksd, …", onclick: () => get({ what: 'augment' }) }, 'augment CSV'),
  ];
}

// ---------------------------------------------------------------------------------------------
// Model checks: DHARMa's simulated residuals and performance's checks, computed in the worker

/** the card's pending performance checks (0: none; the simulations' run: ckRun, below) and the results shown */
let perfId = 0;
let shownDharma: DharmaMsg | null = null;
/** the fit whose performance checks are shown or asked for (0: none) */
let perfFit = 0;
/** the streamed fit's performance checks asked for (0: none) */
let streamPerfId = 0;
const ck = {
  card: byId<HTMLDetailsElement>('checks-card'),
  perfStatus: byId('checks-perf-status'),
  perfError: byId('checks-perf-error'),
  perfOut: byId('checks-perf-out'),
  nsim: byId<HTMLInputElement>('checks-nsim'),
  seed: byId<HTMLInputElement>('checks-seed'),
  re: byId<HTMLSelectElement>('checks-re'),
  group: byId<HTMLSelectElement>('checks-group'),
  run: byId<HTMLButtonElement>('checks-run'),
  cancel: byId<HTMLButtonElement>('checks-cancel'),
  hint: byId('checks-hint'),
  progress: byId('checks-progress'),
  bar: byId<HTMLProgressElement>('checks-bar'),
  progressText: byId('checks-progress-text'),
  status: byId('checks-status'),
  error: byId('checks-error'),
  out: byId('checks-out'),
};
/** the card's DHARMa simulations: its button back unless the library refuses them for the fit checked */
const ckRun = cardRun('fit', { run: [ck.run], cancel: ck.cancel, progress: ck.progress, bar: ck.bar, progressText: ck.progressText, error: ck.error }, {
  idle: () => { ck.run.disabled = !!checksFit()?.checks.dharmaRefusal; },
});
/** the card's settings read from the address, applied to the next fit shown (performance's checks computed, the simulations never run) */
let pendingChecks: ChecksUrlState | null = null;
/**
 * The card's place among the lmer/glmer results; a zero-inflated fit's results section gets the same card
 * (one card, its ids and handlers, its address state) moved into its slot while that fit is shown.
 */
const checksHome = { parent: ck.card.parentElement!, next: ck.card.nextSibling };
/** the fit the card checks: the lmer/glmer fit shown, or the zero-inflated fit shown */
function checksFit(): { id: number; checks: ModelChecksSetup } | null {
  if (shown) return { id: shown.id, checks: shown.result.checks };
  if (shownZi) return { id: shownZi.id, checks: shownZi.result.checks };
  return null;
}
/** puts the card among the results of the fit it checks */
function placeChecksCard(zeroInflated: boolean): void {
  if (zeroInflated) byId('zi-checks-slot').append(ck.card);
  else if (ck.card.parentElement !== checksHome.parent) checksHome.parent.insertBefore(ck.card, checksHome.next);
}

/** a new fit shown: its grouping factors, the library's refusal of the simulations as a note; the previous results dropped (performance's checks computed again where the card is open) */
function renderChecksStart(s: ModelChecksSetup): void {
  ckRun.abandon();
  shownDharma = null;
  perfId = 0;
  perfFit = 0;
  clear(ck.out);
  clear(ck.perfOut);
  for (const e of [ck.error, ck.status, ck.perfError, ck.perfStatus]) e.textContent = '';
  ck.progress.hidden = true;
  const url = pendingChecks;
  pendingChecks = null;
  const groupBefore = url ? url.group ?? '' : ck.group.value;
  fillOptions(ck.group, [{ value: '', text: 'none' }, ...s.groups.map((g) => ({ value: g, text: g }))], false);
  if ([...ck.group.options].some((o) => o.value === groupBefore)) ck.group.value = groupBefore;
  if (url) {
    ck.nsim.value = String(url.nsim ?? DHARMA_NSIM);
    ck.seed.value = String(url.seed ?? DHARMA_SEED);
    ck.re.value = url.simulateREs ?? 'conditional';
    ck.card.open = true;
  }
  ck.run.disabled = !!s.dharmaRefusal;
  for (const c of [ck.nsim, ck.seed, ck.re, ck.group]) c.disabled = !!s.dharmaRefusal;
  ck.hint.textContent = s.dharmaRefusal
    ? `Simulated residuals are not available for this fit: ${s.dharmaRefusal}.`
    : `Each simulation draws a response of the ${s.nobs.toLocaleString('en-US')} observations from the fitted model (${s.model === 'glmmTMB'
      ? "glmmTMB's simulate, the library's: conditional on the fitted random effects, DHARMa 0.5.0's default, or with new ones, glmmTMB 1.1.5's own"
      : "lme4's simulate"}); the scaled residual of an observation is its quantile among its simulations (DHARMa's PIT, randomized for integer responses). Links never run the simulations.`;
  if (ck.card.open) requestPerfChecks();
}

function requestPerfChecks(): void {
  const f = checksFit();
  if (!f || perfFit === f.id) return;
  perfFit = f.id;
  perfId = nextId++;
  ck.perfError.textContent = '';
  ck.perfStatus.textContent = 'checking…';
  sendFor('fit', { type: 'perfChecks', id: perfId, fit: f.id });
}

/** performance's checks into `out` (the card's, or the streamed fit's panel): the tables with CSV, performance's notes and the library's refusals, the printout */
function renderPerfChecks(m: PerformanceChecksMsg, out: HTMLElement = ck.perfOut, prefix = 'checks', status: HTMLElement = ck.perfStatus): void {
  status.textContent = `performance's checks, ${fmtMs(m.elapsedMs)}`;
  const tables = [collinearityTable(m), checksTable(m), performanceTable(m)].filter((t): t is TestTable => t !== null);
  clear(out,
    tables.flatMap((t) => [
      h('h4', {}, t.title, ' ', h('button', { type: 'button', id: `export-${prefix}-${t.id}`, title: 'download the table as CSV', onclick: () => download(`${prefix === 'checks' ? baseName() : stt.fileBase()}_${t.id}.csv`, testTableCsv(t), 'text/csv') }, 'CSV')),
      testTable(prefix, t),
      t.caption ? h('p', { class: 'caption' }, t.caption) : null,
    ]),
    m.notes.length || m.refusals.length ? h('ul', { class: 'emm-notes', id: `${prefix}-notes` },
      m.notes.map((n) => h('li', {}, n)),
      m.refusals.map((r) => h('li', { 'data-check': r.check }, `${r.check} is not available for this fit: ${r.reason.replace(/^[A-Za-z_]+: /, '')}`))) : null,
    h('details', {}, h('summary', {}, "as R prints it (performance's checks)"), h('pre', { class: 'summary', id: `${prefix}-perf-text` }, m.text)),
  );
  // the VIF groups highlighted as performance's printout groups them
  for (const row of out.querySelectorAll<HTMLTableRowElement>(`#${prefix}-collinearity-table tbody tr`)) {
    const group = row.lastElementChild?.textContent ?? '';
    row.classList.add(`vif-${group.toLowerCase()}`);
  }
}

function startDharma(): void {
  const f = checksFit();
  if (!f || ckRun.busy) return;
  ckRun.clearError();
  syncUrl();
  let request: DharmaRequest;
  try {
    request = dharmaRequest({ nsim: ck.nsim.value, seed: ck.seed.value, simulateREs: ck.re.value, group: ck.group.value }, f.checks);
  } catch (e) {
    ckRun.showFieldError((e as Error).message);
    return;
  }
  ck.status.textContent = '';
  ckRun.start({ max: 1, text: `simulating ${request.nsim} responses…` }, (id) => ({ type: 'dharma', id, fit: f.id, request }));
}

function renderDharma(m: DharmaMsg): void {
  shownDharma = m;
  ck.status.textContent = `DHARMa, ${m.nSim} simulations (seed ${m.seed}, ${m.request.simulateREs}), ${fmtMs(m.elapsedMs)}`;
  const t = dharmaTestsTable(m.tests, 'dharma-tests', `Tests of the ${m.nObs} scaled residuals`);
  const qq = h('div', { id: 'checks-qq', class: 'plot' });
  const res = h('div', { id: 'checks-resid', class: 'plot' });
  const thinned = m.nObs > MAX_PLOT_POINTS;
  const grouped = m.grouped;
  const gt = grouped ? dharmaTestsTable(grouped.tests, 'dharma-grouped', `Tests of the residuals summed per ${grouped.group} (${grouped.labels.length} groups; recalculateResiduals)`) : null;
  clear(ck.out,
    h('div', { class: 'cards' },
      h('div', {}, h('h4', {}, 'QQ plot residuals', ' ', h('span', { class: 'plot-export' }, plotExportButtons('dharma_qq', qq))), qq),
      h('div', {}, h('h4', {}, 'Residual vs. predicted', ' ', h('span', { class: 'plot-export' }, plotExportButtons('dharma_residuals', res))), res)),
    h('p', { class: 'caption', id: 'checks-plot-note' },
      'As DHARMa\'s plot(simulationOutput): the legend\'s p-values are testUniformity\'s (KS), testDispersion\'s and testOutliers\'s. ',
      'DHARMa\'s quantile regressions of the residuals on the predictions (qgam\'s lines at 0.25, 0.5, 0.75) are not computed by the library: the dashed lines are only the uniform\'s quartiles. ',
      m.asFactor ? 'The predictions take few values: DHARMa would draw boxplots per value here. ' : '',
      thinned ? `The plots show ${MAX_PLOT_POINTS.toLocaleString('en-US')} of the ${m.nObs.toLocaleString('en-US')} residuals, evenly spread (the CSV has every one).` : ''),
    h('h4', {}, t.title, ' ', h('button', { type: 'button', id: 'export-dharma-residuals', title: 'download every scaled residual as CSV', onclick: () => download(`${baseName()}_dharma_residuals.csv`, dharmaResidualsCsv(m), 'text/csv') }, 'residuals CSV'),
      ' ', h('button', { type: 'button', id: 'export-dharma-tests', title: 'download the table as CSV', onclick: () => download(`${baseName()}_dharma_tests.csv`, testTableCsv(t), 'text/csv') }, 'CSV')),
    testTable('checks', t),
    gt && grouped ? [
      h('h4', {}, gt.title, ' ', h('button', { type: 'button', id: 'export-dharma-grouped', title: 'download the per-group residuals as CSV', onclick: () => download(`${baseName()}_dharma_${grouped.group}.csv`, groupedResidualsCsv(grouped), 'text/csv') }, 'residuals CSV')),
      testTable('checks', gt),
    ] : null,
    m.messages.length || grouped?.messages.length ? h('ul', { class: 'emm-notes' }, [...new Set([...m.messages, ...(grouped?.messages ?? [])])].map((n) => h('li', {}, n))) : null,
    h('details', {}, h('summary', {}, "as R prints it (DHARMa's print and tests)"), h('pre', { class: 'summary', id: 'checks-dharma-text' }, [m.text, grouped?.text ?? ''].filter(Boolean).join('\n'))),
  );
  qq.append(dharmaQqPlot(qqPoints(m), qqLegends(m.tests), plotWidth(qq)));
  res.append(dharmaResidualPlot(residualPoints(m), plotWidth(res)));
}

/** the card's state for the address: open, with the simulations' settings other than the defaults */
function checksUrlState(): ChecksUrlState | undefined {
  if (pendingChecks) return pendingChecks;
  if (!checksFit() || !ck.card.open) return undefined;
  const nsim = Number(ck.nsim.value);
  const seed = Number(ck.seed.value);
  return {
    ...(ck.nsim.value.trim() !== '' && Number.isInteger(nsim) && nsim >= 2 && nsim !== DHARMA_NSIM ? { nsim } : {}),
    ...(ck.seed.value.trim() !== '' && Number.isSafeInteger(seed) && seed !== DHARMA_SEED ? { seed } : {}),
    ...(ck.re.value === 'unconditional' ? { simulateREs: 'unconditional' as const } : {}),
    ...(ck.group.value ? { group: ck.group.value } : {}),
  };
}

/** the emmeans card's settings for the address, once it has estimated (then a link estimates them again) */
let pendingEmm: EmmUrlState | null = null;
function emmUrlState(): EmmUrlState | undefined {
  if (pendingEmm) return pendingEmm;
  if (!shown || !shownEmm) return undefined;
  const v = (sel: HTMLSelectElement) => (sel.hidden || sel.disabled || (sel.parentElement?.hidden ?? false) ? undefined : sel.value || undefined);
  return {
    specs: emm.specs.value || undefined, trend: emm.trend.value || undefined, by: emm.by.value || undefined, contrast: emm.contrast.value || undefined,
    ref: v(emm.ref), adjust: v(emm.adjust), type: v(emm.type), ddf: v(emm.ddf),
  };
}

/** a link's emmeans settings on the fit shown: the fields set, then estimated once */
function applyPendingEmm(r: FitResult): void {
  const e = pendingEmm;
  pendingEmm = null;
  if (!e || emm.run.disabled) return;
  const set = (sel: HTMLSelectElement, value: string | undefined) => {
    if (value !== undefined && [...sel.options].some((o) => o.value === value)) sel.value = value;
  };
  set(emm.specs, e.specs);
  set(emm.trend, e.trend ?? '');
  set(emm.contrast, e.contrast);
  updateEmmControls();
  set(emm.by, e.by ?? '');
  set(emm.ref, e.ref);
  set(emm.adjust, e.adjust ?? '');
  if (r.kind === 'glmer') set(emm.type, e.type);
  else set(emm.ddf, e.ddf ?? '');
  requestEmm();
}

function fmtBytes(b: number): string {
  return b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : b >= 1e3 ? `${(b / 1e3).toFixed(1)} kB` : `${b} B`;
}

function startStream(): void {
  const file = st.file.files?.[0];
  st.error.textContent = '';
  if (!file) { showError(st.error, 'Choose a Parquet file first.'); return; }
  if (!st.formula.value.trim()) { showError(st.error, 'Enter a formula.'); return; }
  const batchSize = Number(st.batch.value);
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) { showError(st.error, 'Rows per batch must be a whole number ≥ 1.'); return; }
  streamId = nextId++;
  streamName = file.name;
  // the worker drops the streamed fit shown: its card's running test with it
  stt.req.abandon();
  sinf.ci.abandon();
  sinf.id = 0;
  // the streamed fit's cards, performance's checks included: their late replies are dropped
  streamPerfId = 0;
  sgg.req.abandon();
  shownStreamGg = null;
  abandonRequests('stream');
  shownStream = { id: 0, name: '' };
  tmStream = null;
  renderTmFits();
  st.fit.disabled = true;
  st.cancel.disabled = false;
  st.progress.hidden = false;
  st.progress.textContent = `reading ${file.name} (${fmtBytes(file.size)})…`;
  const factorList = st.factors.value.split(',').map((x) => x.trim()).filter((x) => x !== '');
  st.result.hidden = true;
  send({ type: 'streamFit', id: streamId, file, request: {
    formula: st.formula.value, factors: factorList, reml: st.reml.checked, batchSize,
    exact: st.exact.checked, residualQuantiles: st.quantiles.checked, diagnostics: st.diag.checked,
  } });
}

function showStreamProgress(p: StreamProgressMsg): void {
  const rate = p.rowsScanned / Math.max(1e-3, p.elapsedMs / 1000);
  st.progress.dataset.bytesRead = String(p.bytesRead);
  st.progress.textContent = `pass ${p.pass}${p.stage ? ` (${p.stage})` : ''} · ${p.rows.toLocaleString('en-US')} rows · ${fmtBytes(p.bytesRead)} read of a ${fmtBytes(p.fileBytes)} file · ${Math.round(rate).toLocaleString('en-US')} rows/s · ${fmtMs(p.elapsedMs)}`;
}

function endStream(): void {
  streamId = 0;
  st.fit.disabled = false;
  st.cancel.disabled = true;
  st.progress.hidden = true;
}

function renderStream(id: number, r: StreamResultMsg): void {
  st.result.hidden = false;
  shownStream = { id, name: streamName };
  tmStream = { id, formula: r.formula };
  renderTmFits();
  // the streamed fit's Adjusted predictions card (its default values: the library's scans over the file)
  shownStreamGg = r.gg;
  startGgCard(sgg, r.gg, false);
  const { offered, unavailable } = testsForStream();
  // performance's checks of the streamed fit (those that need no rows; the others are the library's refusals, as notes)
  streamPerfId = nextId++;
  clear(byId('stream-checks-out'));
  byId('stream-checks-error').textContent = '';
  byId('stream-checks-status').textContent = 'checking…';
  sendFor('stream', { type: 'perfChecks', id: streamPerfId, fit: id });
  startTestsCard(stt, { offered, unavailable, variables: r.emmVariables, ngroups: {}, nobs: r.nobs });
  clear(st.info,
    h('div', { id: 'stream-stats', 'data-bytes-read': String(r.bytesRead), 'data-rows-per-second': String(r.rowsPerSecond), 'data-bytes-per-second': String(r.bytesPerSecond), 'data-rows-scanned': String(r.rowsScanned), 'data-rows-replayed': String(r.rowsReplayed), 'data-elapsed-ms': String(r.elapsedMs) },
      `${r.nobs.toLocaleString('en-US')} observations streamed in ${r.passes.length} passes (${r.rowsScanned.toLocaleString('en-US')} rows read from the file${r.rowsReplayed > 0 ? `, ${r.rowsReplayed.toLocaleString('en-US')} replayed from memory` : ''}): `,
      h('b', {}, `${fmtBytes(r.bytesRead)} read`), ` of a ${fmtBytes(r.fileBytes)} file · `,
      h('b', {}, `${Math.round(r.rowsPerSecond).toLocaleString('en-US')} rows/s`), ` (${fmtBytes(r.bytesPerSecond)}/s) · ${fmtMs(r.elapsedMs)} on the CPU`,
      r.diagnostics ? ` (diagnostics pass ${fmtMs(r.diagnosticsMs)})` : ''),
    h('div', { class: 'hint' }, `Passes: ${r.passes.join(' · ')}`),
    r.robustRefusal ? h('div', { class: 'hint', id: 'stream-robust-refusal' }, `Cluster-robust inference (clubSandwich) is not available: ${r.robustRefusal}.`) : null,
    r.allFitRefusal ? h('div', { class: 'hint', id: 'stream-allfit-refusal' }, `Refits by other optimizers (lme4's allFit) are not offered: ${r.allFitRefusal}.`) : null,
    r.dharmaRefusal ? h('div', { class: 'hint', id: 'stream-dharma-refusal' }, `Simulated residuals (DHARMa) are not offered: ${r.dharmaRefusal}.`) : null,
    h('div', { class: 'export tidy-export', role: 'group', 'aria-label': 'Tidy output (broom.mixed)', id: 'stream-tidy-export' },
      tidyExportGroup('stream-', () => shownStream.id || null, () => shownStream.name.replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9_-]+/g, '_') || 'stream', r.augmentRefusal, st.error)),
    h('div', {}, `${r.reml ? 'REML criterion' : 'deviance (ML)'} `, h('span', { id: 'stream-objective', 'data-value': String(r.objective) }, fmt(r.objective, 8)),
      ' · residual SD σ = ', h('b', { id: 'stream-sigma', 'data-value': String(r.sigma) }, fmt(r.sigma))),
  );
  clear(st.fixef, h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'stream-fixef-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Term'), h('th', {}, 'Estimate'), h('th', {}, 'Std. Error'), h('th', {}, 'df'), h('th', {}, 't value'), h('th', {}, 'Pr(>|t|)'))),
    h('tbody', {}, r.fixef.map((f) => h('tr', { 'data-term': f.name, 'data-estimate': String(f.estimate), 'data-se': String(f.se), 'data-df': String(f.df), 'data-p': String(f.p) },
      h('td', { class: 'name' }, f.name), h('td', { 'data-col': 'estimate' }, fmt(f.estimate)), h('td', { 'data-col': 'se' }, fmt(f.se)), h('td', { 'data-col': 'df' }, fmt(f.df, 4)),
      h('td', { 'data-col': 'stat' }, fmtFixed(f.stat, 3)), h('td', { 'data-col': 'p' }, fmtP(f.p))))),
  )), h('div', { class: 'hint', id: `${sinf.prefix}fixef-ddf-caption` }, ["df and p-values: lmerTest's Satterthwaite method, from the Gram matrix the stream formed (no rows needed).", ...r.ddfMessages].join(' ')));
  // the anova table and intervals: the in-memory card's code on the kept streamed fit (after its fixed-effects table, whose df and p it sets)
  const intervals = confintForStream();
  for (const m of intervals.offered) if (m.method === 'profile' && 'from' in m.streamed) sinf.profile.title = `${m.r}, from ${m.streamed.from}`;
  startInferenceCard(sinf, { lmm: true, fixef: r.fixef, unavailable: intervals.unavailable.map((u) => ({ method: u.spec.method, r: u.spec.r, reason: u.reason })) });
  st.summary.textContent = r.summary;
  if (r.diagnostics) {
    const s = r.residualStats!;
    drawDiagnostics(r.diagnostics, streamView, { controls: st.diagControls, plot: st.diagnostics, prefix: 'stream-diag' }, () => {});
    st.notShown.textContent = `Every row's scaled residual (${s.n.toLocaleString('en-US')}): mean ${fmt(s.mean, 4)}, SD ${fmt(s.sd, 4)}. ` + STREAM_NOT_SHOWN;
  } else {
    clear(st.diagControls);
    clear(st.diagnostics);
    st.notShown.textContent = `No diagnostics: they were not asked for (they take one more pass over the file). ${STREAM_NOT_SHOWN}`;
  }
}

/** the streamed fit's state of the diagnostics chooser */
const streamView = { diag: 'resid', modes: '0' };
const STREAM_NOT_SHOWN = 'Not shown for a streamed fit: the shrinkage plot (each level\'s own fit needs its rows), predictions, the fits list and bootstrap intervals — the rows are never held in the tab; load a file that fits in memory with the file picker above for those.';

function selectFor(label: string, options: { value: string; text: string }[], onChange: (v: string) => void, id: string, value?: string): HTMLElement {
  const s = h('select', { id }, options.map((o) => h('option', { value: o.value, selected: o.value === value }, o.text)));
  s.addEventListener('change', () => onChange(s.value));
  return h('label', {}, `${label} `, s);
}

function renderCaterpillarControls(r: FitResult): void {
  let [g, c] = view.cat.split(':').map(Number) as [number, number];
  if (!(g < r.ranef.length)) g = 0;
  if (!(c < r.ranef[g]!.cnames.length)) c = 0;
  let zoom: [number, number] | undefined;
  const draw = () => {
    view.cat = `${g}:${c}`;
    const grp = r.ranef[g]!;
    const width = plotWidth(el.caterpillar);
    const { total } = caterpillarRows(grp, c);
    if (total <= MAX_CATERPILLAR) {
      clear(el.caterpillar, caterpillarPlot(grp, c, width),
        h('p', { class: 'caption' }, `Conditional modes b̂ of ${grp.group}, sorted, with ±1.96 conditional SDs.`));
      return;
    }
    // thousands of levels: all of them, dense, with a brush to zoom
    const plot = denseCaterpillarPlot(grp, c, width, zoom);
    const wrap = h('div', { class: 'dense-wrap', id: 'dense-caterpillar', 'data-from': plot.from, 'data-to': plot.to, 'data-total': total, 'data-labels': plot.labels, 'data-band': String(plot.band) }, plot.svg);
    const reset = h('button', { type: 'button', id: 'cat-reset', disabled: !zoom, onclick: () => { zoom = undefined; draw(); } }, 'Show all levels');
    clear(el.caterpillar, wrap,
      h('p', { class: 'caption' },
        `All ${total.toLocaleString('en-US')} levels of ${grp.group}, sorted by conditional mode b̂, each with its ±1.96 conditional SD interval${plot.band ? ' (more than two levels per pixel: the intervals form the blue band, the modes the black line)' : ''}` +
        (zoom ? ` — ranks ${plot.from.toLocaleString('en-US')} to ${plot.to.toLocaleString('en-US')} shown` : '') +
        `; ${plot.labels} level names are written where they fit. Drag across the plot to zoom. `, reset));
    brush(wrap, plot.svg as SVGSVGElement, (lo, hi) => {
      const a = Math.max(plot.from, Math.ceil(lo));
      const b = Math.min(plot.to, Math.floor(hi));
      if (b - a >= 1) {
        zoom = [a, b];
        draw();
      }
    });
  };
  const colSelect = () => selectFor('term', r.ranef[g]!.cnames.map((n, k) => ({ value: String(k), text: n })), (v) => { c = Number(v); zoom = undefined; draw(); syncUrl(); }, 'cat-col', String(c));
  clear(el.catControls,
    selectFor('grouping factor', r.ranef.map((x, k) => ({ value: String(k), text: x.group })), (v) => {
      g = Number(v);
      c = 0;
      zoom = undefined;
      el.catControls.lastElementChild?.replaceWith(colSelect());
      draw();
      syncUrl();
    }, 'cat-group', String(g)),
    colSelect(),
  );
  draw();
}

/** A horizontal brush over a plot: drag to select an x range (in the plot's x scale's units). */
function brush(wrap: HTMLElement, svg: SVGSVGElement, done: (lo: number, hi: number) => void): void {
  const scale = (svg as unknown as { scale(n: 'x'): { invert?: (px: number) => number; domain: number[]; range: number[] } }).scale('x');
  const invert = scale.invert ?? ((px: number) => scale.domain[0]! + ((px - scale.range[0]!) / (scale.range[1]! - scale.range[0]!)) * (scale.domain[1]! - scale.domain[0]!));
  let start: number | null = null;
  const box = h('div', { class: 'brush', hidden: true });
  wrap.append(box);
  const x = (ev: PointerEvent) => ev.clientX - svg.getBoundingClientRect().left;
  // in the capture phase: Plot's pointer (the tip) stops the event's propagation at the svg
  wrap.addEventListener('pointerdown', (ev) => {
    ev.stopPropagation();
    start = x(ev);
    box.hidden = false;
    box.style.left = `${start}px`;
    box.style.width = '0px';
    wrap.setPointerCapture(ev.pointerId);
  }, { capture: true });
  wrap.addEventListener('pointermove', (ev) => {
    if (start === null) return;
    const now = x(ev);
    box.style.left = `${Math.min(start, now)}px`;
    box.style.width = `${Math.abs(now - start)}px`;
  });
  wrap.addEventListener('pointerup', (ev) => {
    if (start === null) return;
    const end = x(ev);
    const a = start;
    start = null;
    box.hidden = true;
    if (Math.abs(end - a) < 5) return;
    const [lo, hi] = [invert(Math.min(a, end)), invert(Math.max(a, end))];
    done(lo, hi);
  });
}

function renderShrinkageControls(r: FitResult): void {
  if (r.shrinkage.length === 0) {
    clear(el.shrinkControls);
    clear(el.shrinkage, h('p', { class: 'caption' }, r.kind === 'glmer'
      ? 'The shrinkage plot compares each level\'s own least-squares fit with the mixed model: it is drawn for Gaussian models.'
      : 'No grouping factor with at most 3 random-effects columns.'));
    return;
  }
  let s = 0;
  let c = 0;
  const draw = () => {
    const sh = r.shrinkage[s]!;
    const levels = r.ranef.find((x) => x.group === sh.group)?.levels ?? [];
    const width = plotWidth(el.shrinkage);
    const { rows, estimable, total } = shrinkageRows(sh, levels, c);
    clear(el.shrinkage, shrinkagePlot(sh, levels, c, width),
      h('p', { class: 'caption', id: 'shrink-caption' }, shrinkageCaption({ group: sh.group, cnames: sh.cnames, adjustedFor: sh.adjustedFor, shown: rows.length, estimable, total })),
    );
  };
  const colSelect = () => selectFor('coefficient', r.shrinkage[s]!.cnames.map((n, k) => ({ value: String(k), text: n })), (v) => { c = Number(v); draw(); }, 'shrink-col');
  clear(el.shrinkControls,
    selectFor('grouping factor', r.shrinkage.map((x, k) => ({ value: String(k), text: x.group })), (v) => {
      s = Number(v);
      c = 0;
      el.shrinkControls.lastElementChild?.replaceWith(colSelect());
      draw();
    }, 'shrink-group'),
    colSelect(),
  );
  draw();
}

const DIAG_KINDS: Record<'lmer' | 'glmer', { value: string; text: string }[]> = {
  lmer: [
    { value: 'resid', text: 'residuals vs fitted' },
    { value: 'qq', text: 'normal QQ of scaled residuals' },
    { value: 'scale', text: 'scale–location' },
    { value: 'modes', text: 'normal QQ of conditional modes' },
  ],
  glmer: [
    { value: 'binned', text: 'binned residuals' },
    { value: 'rqr', text: 'QQ of randomized quantile residuals' },
    { value: 'resid', text: 'Pearson residuals vs fitted' },
    { value: 'scale', text: 'scale–location' },
    { value: 'modes', text: 'normal QQ of conditional modes' },
  ],
};

function renderDiagnostics(r: FitResult): void {
  drawDiagnostics(r.diagnostics, view, { controls: el.diagControls, plot: el.diagnostics, prefix: 'diag' }, syncUrl);
}

/**
 * The diagnostics panel into `into`: a plot chooser (and the term's chooser for the modes' QQ
 * plot), the plot and its caption; `state` keeps the choice (the results' is in the address).
 * A streamed fit's message says its points, smoothers and residual QQ plot are of a sample.
 */
function drawDiagnostics(d: DiagnosticsMsg, state: { diag: string; modes: string }, into: { controls: HTMLElement; plot: HTMLElement; prefix: string }, onChange: () => void): void {
  const kinds = DIAG_KINDS[d.kind];
  if (!kinds.some((k) => k.value === state.diag)) state.diag = kinds[0]!.value;
  if (!(Number(state.modes) < d.modesQQ.length)) state.modes = '0';
  const n = d.n.toLocaleString('en-US');
  const sampled = d.sample ? `an evenly spread ${d.sample.rows.toLocaleString('en-US')} of the ${d.sample.of.toLocaleString('en-US')} rows, read in one more pass over the file` : null;
  const subset = sampled
    ? ` Points and smoother: ${sampled} (the rows are not kept in the tab).`
    : d.fitted.length < d.n ? ` Points: an evenly spread ${d.fitted.length.toLocaleString('en-US')} of the ${n} observations; the smoother uses all of them.` : '';
  const draw = () => {
    const width = plotWidth(into.plot);
    let plot: Element;
    let caption: string;
    switch (state.diag) {
      case 'qq':
        plot = qqPlot(d.qq, d.kind === 'lmer' ? 'scaled residual (sample quantile)' : 'deviance residual (sample quantile)', width, d.kind === 'lmer' ? 'identity' : 'qqline');
        caption = d.kind === 'lmer'
          ? `Normal QQ plot of ${sampled ? `the scaled residuals of ${sampled}` : `the ${n} scaled residuals`} (Pearson residual / σ, as lme4's summary) against standard normal quantiles (R's ppoints); the red line is y = x. Points off the line in the tails: heavier (or lighter) tails than the model assumes.`
          : `Normal QQ plot of the deviance residuals with R's qqline (through the quartiles). For binary or small-count data they are not normal even under a right model: the randomized quantile residuals are.`;
        if (d.qq.theoretical.length < d.qq.n) caption += ` ${d.qq.theoretical.length.toLocaleString('en-US')} of the ${d.qq.n.toLocaleString('en-US')} sorted values are drawn, at evenly spread ranks.`;
        break;
      case 'scale':
        plot = residualPlot(d, width, 'scale');
        caption = `Scale–location: √|${d.residualLabel}| against the ${d.fittedLabel}, with the means in 30 equal-count bins of the fitted values (red). A trend: the residual spread changes with the mean.${subset}`;
        break;
      case 'modes': {
        const m = d.modesQQ[Number(state.modes)]!;
        plot = qqPlot(m, `conditional mode of ${m.cname} (${m.group})`, width, 'qqline');
        caption = `Normal QQ plot of the ${m.n.toLocaleString('en-US')} conditional modes b̂ of ${m.cname} per ${m.group}, with R's qqline (through the quartiles). The model assumes the random effects are normal; conditional modes are shrunken, so the line is flatter than their SD.`;
        break;
      }
      case 'binned':
        plot = binnedPlot(d.binned!, d, width);
        caption = `Binned residuals (Gelman & Hill): the ${n} observations in ${d.binned!.x.length} equal-count bins of the fitted ${d.fittedLabel}; each point is a bin's mean response residual y − μ̂, the dashed lines ±2 standard errors. About 95% of the bins should fall inside.`;
        break;
      case 'rqr':
        if (d.quantileQQ) {
          plot = qqPlot(d.quantileQQ, 'randomized quantile residual', width, 'identity');
          caption = `Randomized quantile residuals (Dunn & Smyth) of ${d.quantileQQ.n.toLocaleString('en-US')} observations: Φ⁻¹(u), u uniform between the fitted distribution's CDF just below and at the observed value (seeded). Under the model they are standard normal: the red line is y = x.`;
        } else {
          plot = h('p', {}, 'Randomized quantile residuals need whole counts (binomial: successes = proportion × trials).');
          caption = '';
        }
        break;
      default:
        plot = residualPlot(d, width, 'resid');
        caption = `${d.residualLabel[0]!.toUpperCase()}${d.residualLabel.slice(1)} against the ${d.fittedLabel}; the red line is the smoother: residual means in 30 equal-count bins of the fitted values. A curve means a missing nonlinearity; a funnel, a variance that changes with the mean.${subset}`;
    }
    clear(into.plot, plot, caption ? h('p', { class: 'caption', id: `${into.prefix}-caption` }, caption) : null);
  };
  const modesSelect = () => selectFor('term', d.modesQQ.map((m, k) => ({ value: String(k), text: `${m.group}: ${m.cname}` })), (v) => { state.modes = v; draw(); onChange(); }, `${into.prefix}-modes`, state.modes);
  const controls = () => {
    clear(into.controls,
      selectFor('plot', kinds, (v) => { state.diag = v; controls(); draw(); onChange(); }, `${into.prefix}-kind`, state.diag),
      state.diag === 'modes' ? modesSelect() : null);
  };
  controls();
  draw();
}

// ---------------------------------------------------------------------------------------------
// Meta-analysis mode (the library's meta(), metafor's rma)

function renderMetaPanel(info: DataInfo): void {
  const numeric = info.columns.filter((c) => c.kind === 'numeric').map((c) => c.name);
  el.metaPanel.hidden = numeric.length < 2;
  const find = (re: RegExp) => numeric.find((n) => re.test(n));
  const yi = find(/^(yi|effect|es|lnor|logor|smd)$/i);
  const vi = find(/^(vi|var|variance)$/i);
  // open when the data look like a meta-analysis (columns named like yi and vi, or escalc's inputs)
  const escalcLike = numeric.filter((n) => ESCALC_ARGS.includes(n)).length >= 2;
  byId<HTMLDetailsElement>('meta-details').open = !!(yi && vi) || escalcLike;
  fillSelect(el.metaYi, numeric, yi ?? numeric[0]);
  fillSelect(el.metaVi, numeric, vi ?? numeric.find((n) => n !== (yi ?? numeric[0])));
  const all = info.columns.map((c) => c.name);
  fillSelect(el.metaSlab, all, info.columns.find((c) => /^(author|authors|study|slab|label|name|source|trial)$/i.test(c.name) && c.kind !== 'numeric')?.name
    ?? info.columns.find((c) => /^(author|authors|study|slab|label|name|source|trial)$/i.test(c.name))?.name, '(row numbers)');
  fillSelect(el.metaCluster, all.filter((n) => n !== yi && n !== vi), undefined, '(none: two levels)');
  fillSelect(el.metaInner, all.filter((n) => n !== yi && n !== vi), undefined, '(each row)');
  fillSelect(el.metaRobustCluster, all.filter((n) => n !== yi && n !== vi), undefined, '(rma.mv: the outermost level)');
  el.metaMods.value = '';
  el.metaSource.value = yi && vi ? 'columns' : escalcLike ? 'escalc' : 'columns';
  // the measure whose inputs the columns name (metafor's argument names), else the first
  const fits = (m: string) => MEASURE_ARGS[m]!.every((slot) => slot.split('|').some((a) => numeric.includes(a)));
  el.metaMeasure.value = [...el.metaMeasure.options].map((o) => o.value).find(fits) ?? el.metaMeasure.options[0]!.value;
  onMetaSource();
}

/** escalc's inputs per measure (alternatives separated by '|') */
const MEASURE_ARGS: Record<string, string[]> = MEASURE_INPUTS;
const ESCALC_ARGS = [...new Set(Object.values(MEASURE_ARGS).flatMap((a) => a.flatMap((s) => s.split('|'))))];
const ESCALC_HELP: Record<string, string> = {
  ai: 'events, group 1', bi: 'non-events, group 1', n1i: 'size of group 1', ci: 'events, group 2', di: 'non-events, group 2', n2i: 'size of group 2',
  m1i: 'mean, group 1', sd1i: 'SD, group 1', m2i: 'mean, group 2', sd2i: 'SD, group 2', ri: 'correlation', ni: 'sample size', xi: 'events', mi: 'non-events',
};

function fillSelect(sel: HTMLSelectElement, names: string[], pick: string | undefined, empty?: string): void {
  clear(sel, empty ? h('option', { value: '' }, empty) : null, names.map((n) => h('option', { value: n, selected: n === pick }, n)));
}

function onMetaSource(): void {
  const escalc = el.metaSource.value === 'escalc';
  el.metaColumns.hidden = escalc;
  el.metaEscalc.hidden = !escalc;
  if (escalc) renderEscalcInputs();
}

/** one column chooser per input of the measure; of two alternatives (bi or n1i) the user fills one */
function renderEscalcInputs(): void {
  if (!data) return;
  const numeric = data.columns.filter((c) => c.kind === 'numeric').map((c) => c.name);
  const slots = MEASURE_ARGS[el.metaMeasure.value]!;
  clear(el.metaEscalcInputs, slots.flatMap((slot) => {
    const alts = slot.split('|');
    const firstFound = alts.find((a) => numeric.includes(a));
    return alts.map((arg, k) => {
      const sel = h('select', { 'data-escalc-arg': arg, id: `escalc-${arg}` }) as HTMLSelectElement;
      fillSelect(sel, numeric, arg === firstFound ? arg : undefined, alts.length > 1 ? '(none)' : '—');
      return h('label', { title: ESCALC_HELP[arg] ?? arg }, k > 0 ? `or ${arg} ` : `${arg} `, h('span', { class: 'hint' }, `(${ESCALC_HELP[arg]}) `), sel);
    });
  }));
}

function startMeta(): void {
  if (!data) return;
  el.metaError.textContent = '';
  let escalc: { measure: string; columns: Record<string, string> } | undefined;
  if (el.metaSource.value === 'escalc') {
    const columns: Record<string, string> = {};
    for (const sel of el.metaEscalcInputs.querySelectorAll<HTMLSelectElement>('select[data-escalc-arg]')) if (sel.value) columns[sel.dataset.escalcArg!] = sel.value;
    escalc = { measure: el.metaMeasure.value, columns };
  }
  // clubSandwich's robust variance estimation with the fit, when a type is chosen
  let robust: RobustRequest | undefined;
  if (el.metaRobustType.value) {
    try {
      robust = robustRequest({
        type: el.metaRobustType.value, cluster: el.metaRobustCluster.value, test: el.metaRobustTest.value, level: el.metaRobustLevel.value,
        waldItems: [], waldKind: 'zero', waldTests: [],
      }, null, !el.metaCluster.value);
    } catch (e) {
      showError(el.metaError, (e as Error).message);
      return;
    }
  }
  metaId = nextId++;
  el.metaFit.disabled = true;
  sendFor('data', { type: 'meta', id: metaId, request: {
    robust,
    yi: el.metaYi.value, vi: el.metaVi.value, escalc, slab: el.metaSlab.value || undefined, method: el.metaMethod.value, test: el.metaTest.value,
    mods: el.metaMods.value.trim() || undefined, cluster: el.metaCluster.value || undefined, inner: el.metaInner.value || undefined,
    factors: [...factors], dataName: data.name,
  } });
}

function renderMeta(r: MetaResultMsg): void {
  el.metaResults.hidden = false;
  const pct = `${r.level}%`;
  const what = r.model === 'rma.mv'
    ? `Multilevel model (rma.mv, random ${r.random}, ${r.method})`
    : r.intOnly ? `Random-effects model (${r.method})` : `Mixed-effects meta-regression (${r.method})`;
  const p = r.pooled;
  const u = r.tau2 !== null;
  clear(el.metaInfo,
    h('div', { id: 'meta-model' }, `${what}, k = ${r.k} studies`, r.intOnly ? '' : ` · moderators ${r.mods}`,
      r.escalc ? ` · effect sizes by escalc ${r.escalc.measure} (columns ${r.escalc.yi}, ${r.escalc.vi} added)` : ''),
    p ? h('div', {}, 'Pooled estimate ', h('b', { id: 'meta-mu' }, fmt(p.mu)),
      ` (SE ${fmt(p.se)}), ${pct} CI [`, h('span', { id: 'meta-ci' }, `${fmt(p.ci[0])}, ${fmt(p.ci[1])}`), `], ${pct} prediction interval [`,
      h('span', { id: 'meta-pi' }, `${fmt(p.pi[0])}, ${fmt(p.pi[1])}`), ']') : null,
    u
      ? h('div', {}, `${r.intOnly ? 'Heterogeneity' : 'Residual heterogeneity'}: τ² = `, h('b', { id: 'meta-tau2' }, fmt(r.tau2!)), ' · I² = ', h('b', { id: 'meta-i2' }, `${fmtFixed(r.I2!, 2)}%`),
        ` · H² = ${fmtFixed(r.H2!, 2)}`, r.R2 !== null ? [' · R² = ', h('b', { id: 'meta-r2' }, `${fmtFixed(r.R2, 2)}%`)] : '',
        ` · Q${r.intOnly ? '' : 'E'}(df = ${r.QEdf}) = `, h('span', { id: 'meta-q' }, fmtFixed(r.QE, 4)), `, p ${fmtP(r.QEp)}`)
      : h('div', {}, 'Variance components: ', ...r.sigma2!.flatMap((s, l) => [l ? ' · ' : '', `σ²(${s.name}, ${s.levels} levels) = `, h('b', { id: `meta-sigma2-${l}`, 'data-value': String(s.value) }, fmt(s.value))]),
        ` · Q${r.intOnly ? '' : 'E'}(df = ${r.QEdf}) = `, h('span', { id: 'meta-q' }, fmtFixed(r.QE, 4)), `, p ${fmtP(r.QEp)}`),
    r.QM ? h('div', {}, `Test of moderators: ${r.QM.df[1] === null ? `QM(df = ${r.QM.df[0]})` : `F(df1 = ${r.QM.df[0]}, df2 = ${r.QM.df[1]})`} = `, h('b', { id: 'meta-qm', 'data-value': String(r.QM.QM) }, fmtFixed(r.QM.QM, 4)), `, p ${fmtP(r.QM.p)}`) : null,
    r.messages.map((m) => h('div', { class: 'msg' }, m)),
    h('div', { class: 'timing' }, `fitted in ${fmtMs(r.elapsedMs)}`),
  );
  const stat = r.test === 'z' ? 'z' : 't';
  clear(el.metaCoef, h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'meta-coef-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Term'), h('th', {}, 'Estimate'), h('th', {}, 'SE'), h('th', {}, `${stat} value`), h('th', {}, `Pr(>|${stat}|)`), h('th', {}, 'CI lower'), h('th', {}, 'CI upper'))),
    h('tbody', {}, r.coef.map((c) => h('tr', { 'data-term': c.name, 'data-estimate': String(c.estimate), 'data-se': String(c.se), 'data-p': String(c.p) },
      h('td', { class: 'name' }, c.name), h('td', {}, fmt(c.estimate)), h('td', {}, fmt(c.se)), h('td', {}, fmtFixed(c.stat, 4)), h('td', {}, fmtP(c.p)), h('td', {}, fmt(c.lo)), h('td', {}, fmt(c.hi))))))));
  if (p) {
    clear(el.forest, forestPlot(r.studies, p, plotWidth(el.forest), r.level),
      h('p', { class: 'caption' }, `Each study's effect size with its ${pct} confidence interval (square area ∝ weight); the red diamond is the pooled estimate with its ${pct} CI (thick) and the ${pct} prediction interval for a new study (dashed).`));
    clear(el.funnel, funnelPlot(r.studies, p.mu, plotWidth(el.funnel)),
      h('p', { class: 'caption' }, 'Effect size against its standard error (small studies at the bottom), with the pooled estimate and its ±1.96 SE funnel: an asymmetric funnel hints at small-study effects or publication bias.'));
  } else {
    clear(el.forest, forestPlot(r.studies, null, plotWidth(el.forest), r.level),
      h('p', { class: 'caption' }, `Each study's effect size with its ${pct} confidence interval (square area ∝ weight) and, in red, its fitted value from the moderators (metafor's forest of a meta-regression); there is no single pooled estimate.`));
    clear(el.funnel, funnelPlot(r.studies.map((s) => ({ ...s, yi: s.yi - s.fitted })), 0, plotWidth(el.funnel), 'residual (yi − fitted) →'),
      h('p', { class: 'caption' }, 'Residuals (effect size minus its fitted value from the moderators) against their standard error, around 0 with ±1.96 SE lines (metafor\'s funnel of a meta-regression).'));
  }
  el.metaSummary.textContent = r.summary;
  el.metaRobustCard.hidden = !r.robust && !r.robustError;
  if (r.robust) robustSection(r.robust, 'meta-robust', el.metaRobustOut);
  else if (r.robustError) clear(el.metaRobustOut, h('p', { class: 'error', id: 'meta-robust-error' }, `Not available: ${r.robustError}`));
}

// ---------------------------------------------------------------------------------------------
// Regression table (sjPlot's tab_model of kept fits), computed in the worker

/** the card's pending request (0: none), the fits ticked in order (kept fits' ids), the table shown */
let tmId = 0;
let tmChosen: number[] = [];
let shownTm: TmMsg | null = null;
/** the card's settings read from the address: applied to the link's fit once it is shown, and computed */
let pendingTm: TmUrlState | null = null;
/** the streamed fit the card offers (kept in the worker across data loads until a new stream) */
let tmStream: { id: number; formula: string } | null = null;
const tm = {
  card: byId<HTMLDetailsElement>('tm-card'),
  fits: byId('tm-fits'),
  df: byId<HTMLSelectElement>('tm-df'),
  pStyle: byId<HTMLSelectElement>('tm-pstyle'),
  ci: byId<HTMLInputElement>('tm-ci'),
  level: byId<HTMLInputElement>('tm-level'),
  transform: byId<HTMLSelectElement>('tm-transform'),
  digits: byId<HTMLInputElement>('tm-digits'),
  digitsP: byId<HTMLInputElement>('tm-digitsp'),
  switches: byId('tm-switches'),
  dv: byId<HTMLInputElement>('tm-dv'),
  title: byId<HTMLInputElement>('tm-title'),
  run: byId<HTMLButtonElement>('tm-run'),
  hint: byId('tm-hint'),
  status: byId('tm-status'),
  error: byId('tm-error'),
  out: byId('tm-out'),
};
/** each switch's label on the card (sjPlot's option in its title) */
const TM_SWITCH_LABELS: Record<TmSwitch, [string, string]> = {
  showIntercept: ['intercept', 'show.intercept'], showSe: ['SE', 'show.se'], showStat: ['statistic', 'show.stat'], showDf: ['df', 'show.df'],
  showP: ['p', 'show.p'], showIcc: ['ICC', 'show.icc'], showR2: ['R²', 'show.r2'], showReVar: ['variances', 'show.re.var'],
  showNgroups: ['N groups', 'show.ngroups'], showObs: ['observations', 'show.obs'], showAic: ['AIC', 'show.aic'],
  showLoglik: ['log-lik', 'show.loglik'], showDev: ['deviance', 'show.dev'], collapseCi: ['CI under the estimate', 'collapse.ci'],
};

/** the kept fits the card offers: the lmer/glmer fits of the data loaded now, numbered as in Fits, and the streamed fit */
function tmOffered(): { id: number; name: string }[] {
  const out = history.filter((e) => e.loadId === loadId && !!data).map((e) => ({ id: e.id, name: tmFitName(history.indexOf(e) + 1, e.result.formula) }));
  if (tmStream) out.push({ id: tmStream.id, name: tmFitName('stream', tmStream.formula) });
  return out;
}

/** the fits' ticks, each with its place in the table (the order ticked) */
function renderTmFits(): void {
  const offered = tmOffered();
  tmChosen = tmChosen.filter((id) => offered.some((o) => o.id === id));
  clear(tm.fits, offered.length === 0 ? h('span', { class: 'hint' }, 'No lmer or glmer fit of these data is kept yet.') : offered.map((o) => {
    const k = tmChosen.indexOf(o.id);
    return h('label', { class: 'tm-fit' },
      h('input', { type: 'checkbox', 'data-tm-fit': String(o.id), checked: k >= 0, onchange: (ev: Event) => {
        tmChosen = toggleFit(tmChosen, o.id, (ev.target as HTMLInputElement).checked);
        renderTmFits();
        checkTmFields();
      } }),
      ' ', k >= 0 ? h('b', { class: 'tm-order' }, `${k + 1}.`) : null, ' ', o.name);
  }));
}

function tmFields(): TmFields {
  const switches = { ...TM_SWITCHES } as Record<TmSwitch, boolean>;
  for (const b of tm.switches.querySelectorAll<HTMLInputElement>('input[data-tm-switch]')) switches[b.dataset.tmSwitch as TmSwitch] = b.checked;
  return {
    dfMethod: tm.df.value, pStyle: tm.pStyle.value, showCi: tm.ci.checked, level: tm.level.value, transform: tm.transform.value,
    switches, digits: tm.digits.value, digitsP: tm.digitsP.value, dvLabels: tm.dv.value, title: tm.title.value,
  };
}

function setTmFields(f: TmFields): void {
  tm.df.value = f.dfMethod;
  tm.pStyle.value = f.pStyle;
  tm.ci.checked = f.showCi;
  tm.level.value = f.level;
  tm.transform.value = f.transform;
  tm.digits.value = f.digits;
  tm.digitsP.value = f.digitsP;
  tm.dv.value = f.dvLabels;
  tm.title.value = f.title;
  for (const b of tm.switches.querySelectorAll<HTMLInputElement>('input[data-tm-switch]')) b.checked = f.switches[b.dataset.tmSwitch as TmSwitch];
}

/** the fields checked as they change: a bad one named under the card and marked */
function checkTmFields(): boolean {
  const boxes: Record<string, HTMLElement> = { level: tm.level, digits: tm.digits, digitsP: tm.digitsP, dvLabels: tm.dv };
  for (const b of Object.values(boxes)) b.removeAttribute('aria-invalid');
  tm.hint.textContent = TM_COSTLY_DF.includes(tm.df.value)
    ? `df method ${tm.df.value}: ${tm.df.value === 'profile' ? 'profile intervals re-optimize the model along each parameter' : "Kenward–Roger's adjusted covariance"} — it takes longer (computed in the worker).`
    : '';
  try {
    tmOptions(tmFields(), tmChosen.length);
    tm.error.textContent = '';
    return true;
  } catch (e) {
    showError(tm.error, (e as Error).message);
    const box = e instanceof TmFieldError ? boxes[e.field] : undefined;
    box?.setAttribute('aria-invalid', 'true');
    return false;
  }
}

/** a new fit shown: the card offers it (ticked when nothing of these data is); a link's settings computed for it */
function renderTmStart(e: HistoryEntry): void {
  renderTmFits();
  if (tmChosen.length === 0) { tmChosen = [e.id]; renderTmFits(); }
  const url = pendingTm;
  pendingTm = null;
  if (url) {
    setTmFields(tmFieldsOf(url));
    tmChosen = [e.id];
    renderTmFits();
    tm.card.open = true;
    if (tmRunsFromLink(url)) requestTm();
    else if (checkTmFields()) tm.status.textContent = `df method ${url.dfMethod}: profile intervals refit the model along each parameter, so a link does not run them — Make the table does.`;
  } else {
    checkTmFields();
  }
}

function requestTm(): void {
  if (!checkTmFields()) return;
  syncUrl();
  const offered = tmOffered();
  const names = tmChosen.map((id) => offered.find((o) => o.id === id)!.name);
  const request: TmRequest = { fits: [...tmChosen], names, options: tmOptions(tmFields(), tmChosen.length) };
  if (tmId) send({ type: 'cancel', id: tmId });
  tmId = nextId++;
  tm.status.textContent = `making the table of ${names.length} fit${names.length === 1 ? '' : 's'}…`;
  tm.error.textContent = '';
  sendFor('data', { type: 'tabModel', id: tmId, request });
}

/** the library's table, sanitized (sjPlot's tags only: labels of the data that look like markup are text), with its downloads */
function renderTm(m: TmMsg): void {
  shownTm = m;
  tm.status.textContent = `tab_model of ${m.request.names.join(', ')} · ${fmtMs(m.elapsedMs)}`;
  const table = h('div', { class: 'table-wrap tm-table', id: 'tm-table' });
  table.innerHTML = sanitizeTableHtml(m.html);
  const file = `${baseName()}_tab_model`;
  clear(tm.out,
    h('div', { class: 'actions' },
      h('button', { type: 'button', id: 'tm-export-html', title: "sjPlot's complete page (page.complete): the table with its CSS", onclick: () => download(`${file}.html`, m.page, 'text/html') }, 'HTML page'),
      h('button', { type: 'button', id: 'tm-export-text', title: 'the table as text in columns', onclick: () => download(`${file}.txt`, m.text, 'text/plain') }, 'Text'),
      h('button', { type: 'button', id: 'tm-export-csv', title: "the table's cells as CSV", onclick: () => download(`${file}.csv`, tmCsv(m), 'text/csv') }, 'CSV')),
    table,
    m.messages.length ? h('ul', { class: 'emm-notes', id: 'tm-messages' }, m.messages.map((n) => h('li', {}, n))) : null,
    h('details', {}, h('summary', {}, 'as text'), h('pre', { class: 'summary', id: 'tm-text' }, m.text)),
  );
}

function tmUrlState(): TmUrlState | undefined {
  if (pendingTm) return pendingTm;
  if (!shown || !tm.card.open) return undefined;
  return tmUrlOf(tmFields());
}

function setupTm(): void {
  clear(tm.df, TM_DF_METHODS.map((m) => h('option', { value: m }, m)));
  clear(tm.switches, (Object.keys(TM_SWITCHES) as TmSwitch[]).map((k) => h('label', { title: `sjPlot's ${TM_SWITCH_LABELS[k][1]}` },
    h('input', { type: 'checkbox', 'data-tm-switch': k, checked: TM_SWITCHES[k], onchange: () => { checkTmFields(); syncUrl(); } }), ` ${TM_SWITCH_LABELS[k][0]}`)));
  for (const x of [tm.df, tm.pStyle, tm.ci, tm.transform]) x.addEventListener('change', () => { checkTmFields(); syncUrl(); });
  for (const x of [tm.level, tm.digits, tm.digitsP, tm.dv, tm.title]) {
    x.addEventListener('input', () => checkTmFields());
    x.addEventListener('change', () => syncUrl());
    x.addEventListener('keydown', (ev) => { if ((ev as KeyboardEvent).key === 'Enter') requestTm(); });
  }
  tm.run.addEventListener('click', requestTm);
  tm.card.addEventListener('toggle', () => syncUrl());
}

// ---------------------------------------------------------------------------------------------
// Fits: the history and the likelihood-ratio comparison

/** a row of the Fits history: an lmer or glmer fit, an nlme (lme, gls) fit or an nlmer fit */
type HistoryRow = { kind: 'mer'; e: HistoryEntry } | { kind: 'nlme'; e: NlmeEntry } | { kind: 'nlmer'; e: NlmerEntry };

/** every lmer, glmer, nlme and nlmer fit of the session in the order fitted (the request ids grow) */
function historyRows(): HistoryRow[] {
  return [
    ...history.map((e) => ({ kind: 'mer' as const, e })), ...nlmeHistory.map((e) => ({ kind: 'nlme' as const, e })),
    ...nlmerHistory.map((e) => ({ kind: 'nlmer' as const, e })),
  ].sort((a, b) => a.e.id - b.e.id);
}

function renderHistory(): void {
  const all = historyRows();
  el.historyPanel.hidden = all.length === 0;
  if (all.length === 0) {
    el.history.replaceChildren();
    return;
  }
  const rows = all.map((row) => {
    const current = row.e.loadId === loadId && !!data;
    const id = row.e.id;
    // lmer and glmer fits are numbered 1, 2, … (their results say "Fit k"); nlme fits "nlme k" (their results say "nlme fit k"),
    // nlmer fits "nlmer k"
    const label = row.kind === 'mer' ? String(history.indexOf(row.e) + 1) : `${row.kind} ${row.e.number}`;
    const box = h('input', {
      type: 'checkbox', 'data-compare': String(id), checked: compareSel.includes(id), disabled: !current,
      'aria-label': `compare fit ${label}`, title: current ? 'select for a comparison' : 'fitted to other data: reload those data to compare',
      onchange: (ev: Event) => {
        const on = (ev.target as HTMLInputElement).checked;
        const i = compareSel.indexOf(id);
        if (on && i < 0) compareSel.push(id);
        if (!on && i >= 0) compareSel.splice(i, 1);
        while (compareSel.length > 2) compareSel.shift();
        renderHistory();
      },
    });
    if (row.kind === 'nlme') {
      const e = row.e;
      const r = e.result;
      const isShown = e === shownNlme;
      const opts = [`${r.fn}, ${r.method}`, r.weights ? `weights = ${r.weights}` : null, r.correlation ? `correlation = ${r.correlation}` : null].filter((x) => x !== null).join(', ');
      return h('tr', { 'data-fit': String(id), 'data-kind': 'nlme', class: isShown ? 'selected' : '' },
        h('td', {}, box),
        h('td', {}, label),
        h('td', { class: 'text name' }, h('code', {}, r.formula)),
        h('td', { class: 'text' }, e.request.dataName ?? ''),
        h('td', { class: 'text' }, opts),
        h('td', { class: 'text' }, 'cpu'),
        h('td', { 'data-col': 'logLik' }, fmt(r.logLik, 7)),
        h('td', { 'data-col': 'AIC' }, fmt(r.AIC, 7)),
        h('td', { 'data-col': 'BIC' }, fmt(r.BIC, 7)),
        h('td', {}, fmtMs(r.elapsedMs)),
        h('td', {}, h('button', { type: 'button', 'data-show': String(id), disabled: isShown || !current, onclick: () => { showNlme(e); renderHistory(); syncUrl(); } }, isShown ? 'shown' : 'show')),
      );
    }
    if (row.kind === 'nlmer') {
      const e = row.e;
      const r = e.result;
      const isShown = e === shownNlmer;
      return h('tr', { 'data-fit': String(id), 'data-kind': 'nlmer', class: isShown ? 'selected' : '' },
        h('td', {}, box),
        h('td', {}, label),
        h('td', { class: 'text name' }, h('code', {}, r.formula)),
        h('td', { class: 'text' }, e.request.dataName ?? ''),
        h('td', { class: 'text' }, `nlmer, ${r.feval[1] === null ? 'nAGQ 0' : 'Laplace'}`),
        h('td', { class: 'text' }, 'cpu'),
        h('td', { 'data-col': 'logLik' }, fmt(r.logLik, 7)),
        h('td', { 'data-col': 'AIC' }, fmt(r.AIC, 7)),
        h('td', { 'data-col': 'BIC' }, fmt(r.BIC, 7)),
        h('td', {}, fmtMs(r.elapsedMs)),
        h('td', {}, h('button', { type: 'button', 'data-show': String(id), disabled: isShown || !current, onclick: () => { showNlmer(e); syncUrl(); } }, isShown ? 'shown' : 'show')),
      );
    }
    const e = row.e;
    const r = e.result;
    const opts = (r.kind === 'lmer' ? (r.reml ? 'REML' : 'ML') : `${r.family}(${r.link}), nAGQ ${e.request.nAGQ ?? 1}`)
      + (e.request.prior ? ', blme priors' : '') + (e.request.relmat ? `, relatedness of ${e.request.relmat.group}` : '');
    return h('tr', { 'data-fit': String(e.id), class: e === shown ? 'selected' : '' },
      h('td', {}, box),
      h('td', {}, label),
      h('td', { class: 'text name' }, h('code', {}, r.formula)),
      h('td', { class: 'text' }, e.dataName),
      h('td', { class: 'text' }, opts),
      h('td', { class: 'text' }, r.backend.name),
      h('td', { 'data-col': 'logLik' }, fmt(r.logLik, 7)),
      h('td', { 'data-col': 'AIC' }, fmt(r.AIC, 7)),
      h('td', { 'data-col': 'BIC' }, fmt(r.BIC, 7)),
      h('td', {}, fmtMs(e.totalMs)),
      h('td', {}, h('button', { type: 'button', 'data-show': String(e.id), disabled: e === shown || !current, onclick: () => showFit(e) }, e === shown ? 'shown' : 'show')),
    );
  });
  clear(el.history, h('table', { class: 'stats history-table', id: 'history-table' },
    h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, '#'), h('th', { class: 'text' }, 'Formula'), h('th', { class: 'text' }, 'Data'), h('th', { class: 'text' }, 'Options'),
      h('th', { class: 'text' }, 'Backend'), h('th', {}, 'logLik'), h('th', {}, 'AIC'), h('th', {}, 'BIC'), h('th', {}, 'Time'), h('th', {}, ''))),
    h('tbody', {}, rows)));
  updateCompareButton();
  renderTmFits();
}

function showFit(e: HistoryEntry): void {
  renderResults(e);
  renderHistory();
}

function updateCompareButton(): void {
  el.compare.disabled = compareSel.length !== 2 || compareId !== 0 || fitId !== 0;
}

function startCompare(): void {
  if (compareSel.length !== 2) return;
  el.compareError.textContent = '';
  const nlme = compareSel.map((id) => nlmeHistory.find((e) => e.id === id) ?? null);
  const nlmer = compareSel.map((id) => nlmerHistory.find((e) => e.id === id) ?? null);
  if ((nlme.some((e) => e) && !nlme.every((e) => e)) || (nlmer.some((e) => e) && !nlmer.every((e) => e))) {
    el.compareOut.textContent = '';
    showError(el.compareError, 'No comparison: an nlme fit (lme or gls) is compared with another nlme fit (nlme\'s anova), an nlmer fit with another nlmer fit, an lmer or glmer fit with another lmer or glmer fit (lme4\'s anova). Tick two of the same kind.');
    return;
  }
  if (nlmer[0] && nlmer[1]) {
    // lme4's anova(fit1, fit2) of two nlmer fits, named as the history names them
    compareId = nextId++;
    el.compareOut.textContent = 'comparing… (lme4\'s anova)';
    updateCompareButton();
    sendFor('data', { type: 'nlmerCompare', id: compareId, fits: [nlmer[0].id, nlmer[1].id], names: [`nlmer${nlmer[0].number}`, `nlmer${nlmer[1].number}`] });
    return;
  }
  if (nlme[0] && nlme[1]) {
    // nlme's anova(fit1, fit2): the fits in the order fitted, named as the history names them
    const pair = [nlme[0], nlme[1]].sort((a, b) => a.id - b.id);
    compareId = nextId++;
    el.compareOut.textContent = 'comparing… (nlme\'s anova)';
    updateCompareButton();
    sendFor('data', { type: 'nlmeCompare', id: compareId, fits: [pair[0]!.id, pair[1]!.id], names: [`nlme${pair[0]!.number}`, `nlme${pair[1]!.number}`] });
    return;
  }
  compareId = nextId++;
  el.compareError.textContent = '';
  el.compareOut.textContent = 'comparing… (REML fits are refitted by ML first, as lme4\'s anova does)';
  updateCompareButton();
  sendFor('data', { type: 'compare', id: compareId, fits: [compareSel[0]!, compareSel[1]!] });
}

/**
 * lme4's anova(m0, m1) table of two lmer/glmer fits (named by their number in the history), or of two nlmer fits
 * (`names`: nlmer1, …; with lme4's printout)
 */
function renderComparison(rows: CompareRow[], refitted: string[], notes: string[], nlmer?: { names: string[]; print: string }): void {
  const num = (k: number) => nlmer ? nlmer.names[k]! : history.findIndex((e) => e.id === rows[k]!.fit) + 1;
  clear(el.compareOut,
    h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'compare-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Fit'), h('th', {}, 'npar'), h('th', {}, 'AIC'), h('th', {}, 'BIC'), h('th', {}, 'logLik'), h('th', {}, 'deviance'),
        h('th', {}, 'Chisq'), h('th', {}, 'Df'), h('th', {}, 'Pr(>Chisq)'))),
      h('tbody', {}, rows.map((r, k) => h('tr', { 'data-fit': String(r.fit) },
        h('td', { title: r.formula }, `${num(k)}: `, h('code', {}, r.formula)),
        h('td', { 'data-col': 'npar' }, String(r.npar)),
        h('td', { 'data-col': 'AIC' }, fmt(r.AIC, 7)),
        h('td', { 'data-col': 'BIC' }, fmt(r.BIC, 7)),
        h('td', { 'data-col': 'logLik' }, fmt(r.logLik, 7)),
        h('td', { 'data-col': 'deviance' }, fmt(r.deviance, 7)),
        h('td', { 'data-col': 'Chisq' }, r.Chisq === null ? '' : fmtFixed(r.Chisq, 4)),
        h('td', { 'data-col': 'Df' }, r.Df === null ? '' : String(r.Df)),
        h('td', { 'data-col': 'p' }, r.p === null ? '' : fmtP(r.p)),
      ))))),
    h('p', { class: 'caption' }, `Likelihood-ratio test as lme4's anova(m0, m1): models ordered by their number of parameters; Chisq = 2 (logLik₁ − logLik₀) on Df = npar₁ − npar₀.` +
      (refitted.length ? ` Refitted by ML (REML likelihoods of models with different fixed effects are not comparable): ${refitted.join('; ')}.` : '') + ` ${notes.join(' ')}`),
    nlmer ? h('pre', { class: 'summary', id: 'compare-print' }, nlmer.print) : null,
  );
}

// ---------------------------------------------------------------------------------------------
// State in the address

function applyOptions(u: UrlState): void {
  if (u.nAGQ !== undefined) el.nagq.value = String(u.nAGQ);
  if (u.backend && !el.backend.querySelector<HTMLOptionElement>(`option[value="${u.backend}"]`)?.disabled) el.backend.value = u.backend;
  if (u.criterion && (el.family.value === 'gaussian' || isZiChoice(el.family.value))) {
    if (el.family.value === 'gaussian') gaussianCriterion = u.criterion;
    else tmbCriterion = u.criterion;
    for (const r of el.criterion.querySelectorAll<HTMLInputElement>('input')) r.checked = r.value === u.criterion;
  }
  el.prior.value = u.prior ?? '';
  el.threshold.value = u.threshold ?? 'flexible';
  // the address leaves the default '~ 1' out
  if (isZiChoice(u.family)) el.ziformula.value = u.ziformula ?? defaultZiFormula(u.family);
  el.tmbWeights.value = isBinomialChoice(u.family) ? u.weights ?? '' : '';
  el.nlmeWeights.value = u.nlmeWeights ?? '';
  el.nlmeCorrelation.value = u.nlmeCorrelation ?? '';
  if (u.nlmerStart) {
    Object.assign(nlmerValues, parseStartText(u.nlmerStart));
    // the boxes are drawn again with these values by the next check of the formula
    delete el.nlmerStart.dataset.params;
    if (isNlmerFormula(el.formula.value)) validateFormula();
  }
  checkNlmeBoxes();
  if (isZiChoice(u.family)) el.dispformula.value = u.dispformula ?? '~ 1';
  checkZiFormula();
  checkDispFormula();
  if (u.levels && u.formula) {
    let column: string | null = null;
    try { column = responseColumnOf(parseFormula(u.formula)); } catch { column = null; }
    if (column) ordinalLevels = { column, levels: [...u.levels] };
  }
  if (u.diag) view.diag = u.diag;
  if (u.modes) view.modes = u.modes;
  if (u.cat) view.cat = u.cat;
  pendingCards = u.power || u.lmlist !== undefined ? { power: u.power, lmlist: u.lmlist } : null;
  if (u.ddf) inf.ddf.value = u.ddf;
  if (u.anova) inf.anovaType.value = u.anova;
  if (u.cinsim !== undefined && inf.nsim) inf.nsim.value = String(u.cinsim);
  ciRun = u.ci ? { method: u.ci, nsim: u.cinsim ?? Number(inf.nsim?.value ?? 200) } : null;
  ciFromLink = !!ciRun;
  pendingEmm = u.emm ?? null;
  pendingGg = u.gg ?? null;
  pendingLsm = u.lsm ?? null;
  pendingGlht = u.glht ?? null;
  pendingMerSim = u.mersim ?? null;
  pendingMi = u.mi ?? null;
  pendingTm = u.tm ?? null;
  pendingRobust = u.robust ?? null;
  pendingAllFit = u.allfit ?? null;
  pendingAfex = u.afex ?? null;
  pendingChecks = u.checks ?? null;
  pendingTci = u.tmbci ?? null;
}

function currentUrlState(): UrlState {
  const fam = el.family.value as FamilyChoice;
  return {
    example: source?.kind === 'example' ? source.name : undefined,
    file: source?.kind === 'file' ? source.file.name : undefined,
    formula: el.formula.value || undefined,
    factors: [...factors],
    family: fam,
    link: el.link.value,
    nAGQ: Number(el.nagq.value),
    criterion: (document.querySelector<HTMLInputElement>('input[name="crit"]:checked')?.value ?? 'reml') as 'reml' | 'ml',
    backend: el.backend.value as BackendChoice,
    prior: el.prior.value === 'blme' ? 'blme' : undefined,
    threshold: fam === 'ordinal' ? el.threshold.value as UrlState['threshold'] : undefined,
    levels: fam === 'ordinal' ? ordinalLevelsToSend() : undefined,
    ziformula: takesZiFormula(fam) ? el.ziformula.value : undefined,
    dispformula: takesDispFormula(fam) ? el.dispformula.value : undefined,
    weights: isBinomialChoice(fam) && el.tmbWeights.value.trim() ? el.tmbWeights.value.trim() : undefined,
    nlmeWeights: fam === 'gaussian' && el.nlmeWeights.value.trim() ? el.nlmeWeights.value.trim() : undefined,
    nlmeCorrelation: fam === 'gaussian' && el.nlmeCorrelation.value.trim() ? el.nlmeCorrelation.value.trim() : undefined,
    nlmerStart: nlParams && isNlmerFormula(el.formula.value) ? startText(nlParams.parameters, nlmerValues) || undefined : undefined,
    diag: shown ? view.diag : undefined,
    modes: shown ? view.modes : undefined,
    cat: shown ? view.cat : undefined,
    fit: (!!shown && shown.result.formula === el.formula.value) || (!!shownClmm && shownClmm.request.formula === el.formula.value)
      || (!!shownNlme && shownNlme.request.formula === el.formula.value && fam === 'gaussian'
        && (shownNlme.request.nlmeWeights ?? '') === el.nlmeWeights.value.trim() && (shownNlme.request.nlmeCorrelation ?? '') === el.nlmeCorrelation.value.trim())
      || (!!shownGamm && shownGamm.request.formula === el.formula.value)
      || (!!shownNlmer && shownNlmer.request.formula === el.formula.value)
      || (!!shownZi && shownZi.request.formula === el.formula.value && shownZi.request.family === fam
        && shownZi.request.ziformula === (takesZiFormula(fam) ? el.ziformula.value.trim() : undefined)
        && shownZi.request.dispformula === (takesDispFormula(fam) ? el.dispformula.value.trim() : undefined)
        && shownZi.request.weights === (isBinomialChoice(fam) && el.tmbWeights.value.trim() ? el.tmbWeights.value.trim() : undefined)),
    ...cardsUrlState(),
    // the fixed-effects card's choices other than its defaults (Satterthwaite, type III)
    ddf: shown && inf.ddf.value !== 'satterthwaite' ? inf.ddf.value as UrlState['ddf'] : undefined,
    anova: shown && inf.anovaType.value !== 'III' ? inf.anovaType.value as UrlState['anova'] : undefined,
    ci: shown && ciRun ? ciRun.method : undefined,
    cinsim: shown && ciRun?.method === 'boot' ? ciRun.nsim : undefined,
    emm: emmUrlState(),
    gg: ggUrlState(),
    lsm: lsmUrlState(),
    glht: glhtUrlState(),
    mersim: merSimUrlState(),
    mi: miUrlState(),
    tm: tmUrlState(),
    robust: robustUrlState(),
    allfit: allFitUrlState(),
    afex: afexUrlState(),
    checks: checksUrlState(),
    tmbci: tciUrlState(),
  };
}

function syncUrl(): void {
  if (pendingUrl) return;
  const q = writeUrlState(currentUrlState());
  if (q !== location.search) history_.replaceState(null, '', `${location.pathname}${q}${location.hash}`);
}
const history_ = window.history;

/** The state in the address at start: load its example (then apply the rest), or ask for its file. */
function restoreFromUrl(): void {
  const u = readUrlState(location.search);
  if (u.example) {
    pendingUrl = u;
    const b = document.querySelector<HTMLButtonElement>(`[data-example="${u.example}"]`);
    b?.click();
  } else if (u.file) {
    pendingUrl = u;
    el.dataStatus.textContent = `This link was made with the file ${u.file}: choose it to see the same model (the data never left that computer).`;
  }
}

// ---------------------------------------------------------------------------------------------
// Plot exports

function setupPlotExports(): void {
  for (const span of document.querySelectorAll<HTMLElement>('.plot-export')) {
    if (span.dataset.plot) clear(span, plotExportButtons(span.dataset.plot, byId(span.dataset.plot)));
  }
}

/** the SVG and PNG buttons of the plot drawn in `target` */
function plotExportButtons(plot: string, target: HTMLElement): HTMLElement[] {
  const name = () => `${baseName()}_${plot}${plot === 'diagnostics' ? `_${view.diag}` : ''}`;
  return [
    h('button', { type: 'button', 'data-export-svg': plot, title: 'download the plot as SVG', onclick: () => {
      const svg = svgText(target);
      if (svg) download(`${name()}.svg`, svg, 'image/svg+xml');
    } }, 'SVG'),
    h('button', { type: 'button', 'data-export-png': plot, title: 'download the plot as PNG (2× resolution)', onclick: () => {
      const svg = svgText(target);
      const main = [...target.querySelectorAll('svg')].reduce<SVGSVGElement | null>((a, b) => (!a || b.clientWidth * b.clientHeight > a.clientWidth * a.clientHeight ? b : a), null);
      if (!svg || !main) return;
      void pngBlob(svg, main.clientWidth, main.clientHeight).then((blob) => downloadBlob(`${name()}.png`, blob));
    } }, 'PNG'),
  ];
}


const NEW_LEVEL = '__new__';

function renderPredictForm(r: FitResult): void {
  el.predictOut.replaceChildren();
  el.predictError.textContent = '';
  const fields = r.predictors.map((p) => {
    let input: HTMLElement;
    if (p.kind === 'numeric') {
      input = h('input', { type: 'number', step: 'any', name: p.name, value: p.initial, required: true });
    } else if ((p.nlevels ?? 0) <= 2000) {
      input = h('select', { name: p.name },
        p.grouping ? h('option', { value: NEW_LEVEL }, '(a new level)') : null,
        (p.levels ?? []).map((l) => h('option', { value: l, selected: l === p.initial }, l)));
    } else {
      const listId = `levels-${p.name}`;
      input = h('span', {},
        h('input', { name: p.name, list: listId, value: p.initial, placeholder: p.grouping ? 'a level, or empty for a new one' : '' }),
        h('datalist', { id: listId }, (p.levels ?? []).map((l) => h('option', { value: l }))));
    }
    return h('label', {}, h('span', {}, p.name, p.grouping ? h('span', { class: 'badge' }, 'group') : null), input);
  });
  clear(el.predictForm, fields, h('button', { type: 'submit', class: 'primary', id: 'predict' }, 'Predict'));
}

function onPredict(ev: Event): void {
  ev.preventDefault();
  if (!result) return;
  const values: Record<string, string> = {};
  const newGroups: string[] = [];
  for (const p of result.predictors) {
    const input = el.predictForm.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${CSS.escape(p.name)}"]`);
    const v = input?.value ?? '';
    if (p.grouping && (v === NEW_LEVEL || v.trim() === '')) newGroups.push(p.name);
    else values[p.name] = v;
  }
  sendFor('fit', { type: 'predict', id: nextId++, values, newGroups, fit: shown?.id });
}

// ---------------------------------------------------------------------------------------------
// Export

function baseName(): string {
  return (data?.name ?? 'fit').replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9_-]+/g, '_');
}

function setupExport(): void {
  byId('export-json').addEventListener('click', () => {
    const id = nextId++;
    jsonWaiters.set(id, (text) => download(`${baseName()}_fit.json`, text, 'application/json'));
    send({ type: 'exportJson', id, fit: shown?.id });
  });
  byId('export-fixef').addEventListener('click', () => {
    if (!result) return;
    const glmm = result.kind === 'glmer';
    // lmer: lmerTest's columns once the worker has sent them (the ddf method chosen now)
    const inferred = !glmm && shown && inf.last?.fit === shown.id ? inf.last.msg : null;
    if (inferred) {
      download(`${baseName()}_fixef.csv`, csv(
        ['term', 'estimate', 'std_error', 'df', 't_value', 'p_value', 'ddf_method', 'wald_lower_95', 'wald_upper_95'],
        result.fixef.map((f, j) => { const c = inferred.coefficients[j]!; return [f.name, f.estimate, c.se, c.df, c.t, c.p, inferred.ddf, f.lower, f.upper]; }),
      ), 'text/csv');
      return;
    }
    download(`${baseName()}_fixef.csv`, csv(
      ['term', 'estimate', 'std_error', glmm ? 'z_value' : 't_value', ...(glmm ? ['p_value'] : []), 'wald_lower_95', 'wald_upper_95'],
      result.fixef.map((f) => [f.name, f.estimate, f.se, f.stat, ...(glmm ? [f.p ?? NaN] : []), f.lower, f.upper]),
    ), 'text/csv');
  });
  byId('export-varcorr').addEventListener('click', () => {
    if (!result) return;
    download(`${baseName()}_varcorr.csv`, csv(['group', 'var1', 'var2', 'vcov', 'sdcor'],
      result.varCorr.map((v) => [v.group, v.var1, v.var2, v.vcov, v.sdcor])), 'text/csv');
  });
  byId('export-residuals').addEventListener('click', () => {
    if (!shown) return;
    const id = nextId++;
    textWaiters.set(id, {
      ok: (text) => download(`${baseName()}_residuals.csv`, text, 'text/csv'),
      fail: (message) => showError(el.fitError, `No export: ${message}.`),
    });
    send({ type: 'exportResiduals', id, fit: shown.id });
  });
  byId('export-emm-means').addEventListener('click', () => {
    if (shownEmm) download(`${baseName()}_${shownEmm.kind}.csv`, meansCsv(shownEmm), 'text/csv');
  });
  byId('export-emm-contrasts').addEventListener('click', () => {
    const text = shownEmm ? contrastsCsv(shownEmm) : null;
    if (text) download(`${baseName()}_${shownEmm!.kind}_contrasts.csv`, text, 'text/csv');
  });
  byId('export-ranef').addEventListener('click', () => {
    if (!result) return;
    const rows: (string | number)[][] = [];
    for (const g of result.ranef) {
      g.levels.forEach((lvl, i) => {
        g.cnames.forEach((c, k) => rows.push([g.group, lvl, c, g.values[k]![i]!, g.condsd[k]![i]!]));
      });
    }
    download(`${baseName()}_ranef.csv`, csv(['group', 'level', 'term', 'condval', 'condsd'], rows), 'text/csv');
  });
}

// ---------------------------------------------------------------------------------------------

function init(): void {
  startWorker();
  setupDrop();
  setupExport();
  setupTm();
  setupPlotExports();
  setupRelmat();
  setupClmm();
  setupZi();
  setupTci();
  setupGamm();
  setupNlmer();
  onFamilyChange();
  let debounce: number | undefined;
  el.formula.addEventListener('input', () => {
    window.clearTimeout(debounce);
    debounce = window.setTimeout(() => {
      validateFormula();
      renderColumns();
      updateFitButton();
      syncUrl();
    }, 120);
  });
  el.formula.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !el.fit.disabled) startFit();
  });
  el.family.addEventListener('change', () => { onFamilyChange(); syncUrl(); });
  el.backend.addEventListener('change', () => { el.optionsError.textContent = ''; syncUrl(); });
  el.link.addEventListener('change', () => syncUrl());
  el.prior.addEventListener('change', () => syncUrl());
  el.nagq.addEventListener('change', () => syncUrl());
  el.criterion.addEventListener('change', () => syncUrl());
  el.compare.addEventListener('click', startCompare);
  el.metaFit.addEventListener('click', startMeta);
  el.metaSource.addEventListener('change', onMetaSource);
  el.metaMeasure.addEventListener('change', renderEscalcInputs);
  el.fit.addEventListener('click', startFit);
  el.cancel.addEventListener('click', cancelFit);
  for (const c of inferenceCards) {
    c.ddf.addEventListener('change', () => { requestInference(c); syncUrl(); });
    c.anovaType.addEventListener('change', () => { requestInference(c); syncUrl(); });
    c.profile.addEventListener('click', () => startConfint(c, 'profile'));
    c.boot?.addEventListener('click', () => startConfint(c, 'boot'));
    c.cancel.addEventListener('click', () => c.ci.cancel());
  }
  st.fit.addEventListener('click', startStream);
  st.cancel.addEventListener('click', () => { if (streamId) { send({ type: 'cancel', id: streamId }); st.progress.textContent = 'cancelling…'; } });
  el.predictForm.addEventListener('submit', onPredict);
  for (const sel of [emm.specs, emm.trend, emm.contrast]) sel.addEventListener('change', updateEmmControls);
  // once estimated, the address follows the card's fields
  for (const sel of [emm.specs, emm.trend, emm.by, emm.contrast, emm.ref, emm.adjust, emm.type, emm.ddf]) sel.addEventListener('change', () => syncUrl());
  emm.run.addEventListener('click', requestEmm);
  for (const sel of [gh.factor, gh.type]) sel.addEventListener('change', () => updateGlhtControls(gh, result?.emmVariables ?? []));
  gh.run.addEventListener('click', requestGlht);
  for (const input of [gh.factor, gh.type, gh.base, gh.alternative, gh.test, gh.level, gh.interactionAverage, gh.covariateAverage]) input.addEventListener('change', () => syncUrl());
  gh.card.addEventListener('toggle', () => syncUrl());
  ms.reRun.addEventListener('click', () => requestMerSim('resim'));
  ms.piRun.addEventListener('click', () => requestMerSim('predict'));
  ms.cancel.addEventListener('click', () => msRun.cancel());
  ms.piRows.addEventListener('change', () => updateMerSimControls(ms));
  for (const input of [ms.reNsims, ms.reSeed, ms.reLevel, ms.piRows, ms.piWhich, ms.piLevel, ms.piNsims, ms.piSeed, ms.piType, ms.piResid]) input.addEventListener('change', () => syncUrl());
  ms.card.addEventListener('toggle', () => syncUrl());
  mi.run.addEventListener('click', requestMi);
  mi.cancel.addEventListener('click', () => miRun.cancel());
  for (const input of [mi.imp, mi.extra, mi.dfCom, mi.nullFormula, mi.method, mi.use]) input.addEventListener('change', () => syncUrl());
  mi.card.addEventListener('toggle', () => syncUrl());
  lsm.run.addEventListener('click', requestLsm);
  for (const input of [lsm.which, lsm.pairwise, lsm.level]) input.addEventListener('change', () => syncUrl());
  lsm.card.addEventListener('toggle', () => syncUrl());
  inf.ddf.addEventListener('change', () => {
    showLsmDdf(lsm, inf.ddf.value);
    // a table shown of the other df method says so until it is computed again
    if (shownLsm && !lsmRun.busy) lsm.status.textContent = shownLsm.request.ddf === inf.ddf.value ? '' : 'The table is of the df method chosen before: Compute again for this one.';
  });
  for (const c of testsCards) {
    c.kind.addEventListener('change', () => updateTestsControls(c));
    c.ddf.addEventListener('change', () => updateTestsControls(c));
    c.run.addEventListener('click', () => requestTest(c));
    c.cancel.addEventListener('click', () => c.req.cancel());
  }
  pw.test.addEventListener('change', () => { updatePowerControls(); syncUrl(); });
  pw.along.addEventListener('change', () => { updatePowerControls(pw.method.value, currentEffects()); syncUrl(); });
  for (const input of [pw.method, pw.nsim, pw.seed, pw.alpha, pw.breaks]) input.addEventListener('change', () => syncUrl());
  pw.run.addEventListener('click', () => startPower(false));
  pw.curveRun.addEventListener('click', () => startPower(true));
  pw.cancel.addEventListener('click', () => pwRun.cancel());
  ll.run.addEventListener('click', requestLmList);
  ll.group.addEventListener('change', () => syncUrl());
  for (const card of [pw.card, ll.card, rb.card, af.card, ax.card, gg.card]) card.addEventListener('toggle', () => syncUrl());
  for (const c of [gg, sgg]) {
    // the fit panel's card is in the address; the streamed fit's is not
    const sync = () => { if (c === gg) syncUrl(); };
    c.run.addEventListener('click', () => requestGg(c));
    // the plot at the card's width: drawn again on opening the card (a closed card has no width) and on resizing
    c.card.addEventListener('toggle', () => { if (c.card.open && c.shown) drawGgPlot(c.shown, c); });
    window.addEventListener('resize', () => { if (c.card.open && c.shown && c.visible()) drawGgPlot(c.shown, c); });
    for (const s of c.slots) {
      s.variable.addEventListener('change', () => { s.values.value = ''; checkGgFields(c); sync(); });
      s.values.addEventListener('input', () => checkGgFields(c));
      s.values.addEventListener('change', () => sync());
      s.values.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') requestGg(c); });
    }
    for (const x of [c.method, c.type, c.level]) x.addEventListener('change', () => { checkGgFields(c); sync(); });
  }
  ax.run.addEventListener('click', startAfex);
  ax.cancel.addEventListener('click', () => axRun.cancel());
  ax.method.addEventListener('change', () => { afexMethodChanged(); syncUrl(); });
  afexMethodChanged();
  for (const c of [ax.type, ax.intercept, ax.expandRe, ax.nsim, ax.seed, ax.perParam]) c.addEventListener('change', () => syncUrl());
  af.run.addEventListener('click', startAllFit);
  af.cancel.addEventListener('click', () => afRun.cancel());
  af.maxfun.addEventListener('change', () => syncUrl());
  ck.card.addEventListener('toggle', () => { if (ck.card.open) requestPerfChecks(); syncUrl(); });
  ck.run.addEventListener('click', startDharma);
  ck.cancel.addEventListener('click', () => ckRun.cancel());
  for (const c of [ck.nsim, ck.seed, ck.re, ck.group]) c.addEventListener('change', () => syncUrl());
  fillRobustChoices(rb.type, rb.test, rb.waldTests);
  rb.run.addEventListener('click', requestRobust);
  for (const c of [rb.type, rb.cluster, rb.test, rb.level, rb.wald, rb.waldKind, rb.waldTests]) c.addEventListener('change', () => syncUrl());
  fillRobustChoices(el.metaRobustType, el.metaRobustTest, null);
  el.metaRobustType.insertBefore(h('option', { value: '' }, 'none'), el.metaRobustType.firstChild);
  el.metaRobustType.value = '';
  updateFitButton();
  restoreFromUrl();
}

init();
