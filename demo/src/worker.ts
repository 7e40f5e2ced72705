/**
 * The Web Worker: reads and generates data, probes WebGPU, fits, predicts and exports, so that the
 * page never blocks. The Arrow table and the last fit stay here, and so does the last streamed fit
 * (its Gram matrix and per-cell summaries, never its rows); the page gets summaries and typed arrays
 * (transferred, not copied).
 */
import type * as arrow from 'apache-arrow';
import { acquireGpu, gpuUnavailableReason, releaseGpu } from '../../src/backend/webgpu/device.js';
import { type AnyFit, type StoredFit, compareFits, dataNameOf, describeFit, placeError, predictOne, runFit } from './fitting.js';
import { residualsCsv } from './diagnostics.js';
import { runMeta } from './meta.js';
import { emmTables, inferenceTables, runConfint } from './inference.js';
import { streamFit } from './stream.js';
import { runModelTest } from './modelTestsRun.js';
import { runLmList, runPower } from './powerRun.js';
import { runRobust } from './robustRun.js';
import { runAllFit } from './allFitRun.js';
import { runGgeffects } from './ggeffectsRun.js';
import { runTabModel } from './tabModelRun.js';
import { tidyExportCsv } from './tidyRun.js';
import { runAfex } from './afexRun.js';
import { describeGamm, runGamm, splitGammFormula } from './gamm.js';
import { type ChecksFit, runDharma, runPerformanceChecks } from './modelChecksRun.js';
import { loadSource } from './load.js';
import { readRelmat } from './relmat.js';
import { anovaOfFits, describeClmm, probabilitiesBy, probabilitiesCsv, runClmm } from './ordinal.js';
import { describeZeroInflated, isZiChoice, predictionsCsv, runZeroInflated } from './zeroinfl.js';
import { runTmbConfint } from './tmbConfintRun.js';
import { type NlmeFit, describeNlme, isNlmeRequest, runNlme } from './nlme.js';
import { describeNlmer, isNlmerFormula, runNlmer } from './nlmer.js';
import { type ClmmFit, type NlmerFit, type ZeroInflatedFit, anovaLme, anovaNlmer, formatLmeAnova } from '../../src/index.js';
import type { AnyGammFit } from './gamm.js';
import { glhtFieldOf, runGlht } from './glhtRun.js';
import { merSimFieldOf, runMerSim } from './merToolsRun.js';
import { lsmFieldOf, runLsMeans } from './lsMeansRun.js';
import { miFieldOf, runMi } from './miRun.js';
import type { AfexMsg, FromWorker, GpuInfo, MerSimField, MerSimMsg, MiField, MiMsg, ToWorker } from './protocol.js';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (ev: MessageEvent<ToWorker>) => void): void;
}
const scope = self as unknown as WorkerScope;
const post = (m: FromWorker, transfer: Transferable[] = []) => scope.postMessage(m, transfer);

let table: arrow.Table | null = null;
let fit: AnyFit | null = null;
let factorsOfFit: string[] = [];
/** every fit of the current data, by the page's fit id (for comparisons and exports); emptied when new data load */
const fits = new Map<number, StoredFit>();
/** the last streamed fit, under the page's stream id (its Model tests card runs on it); kept when new data load, dropped when a new stream starts */
let streamed: { id: number; fit: AnyFit } | null = null;
/** every ordinal (clmm) fit of the current data, by the page's fit id; emptied when new data load */
const clmmFits = new Map<number, ClmmFit>();
/** every glmmTMB fit (zero-inflated, hurdle, beta, gaussian) of the current data, by the page's fit id; emptied when new data load */
const ziFits = new Map<number, ZeroInflatedFit>();
/** the nlme fits (lme, gls), by the fit request's id: their JSON export */
const nlmeFits = new Map<number, NlmeFit>();
/** the nlmer fits of the current data, by the fit request's id: their JSON export; emptied when new data load */
const nlmerFits = new Map<number, NlmerFit>();
/** every gamm4 fit (a formula with smooth terms) of the current data, by the page's fit id; emptied when new data load */
const gammFits = new Map<number, AnyGammFit>();
let gpuProbe: Promise<GpuInfo> | null = null;
const NOT_KEPT = 'that fit is no longer kept (new data were loaded, or a new file streamed)';
const running = new Map<number, AbortController>();
/** how many times data were loaded: a fit that started on earlier data is neither kept nor posted as a result */
let dataGeneration = 0;

function probeGpu(): Promise<GpuInfo> {
  gpuProbe ??= (async () => {
    try {
      const ctx = await acquireGpu();
      if (!ctx) return { available: false, adapter: null, isSoftware: null, reason: gpuUnavailableReason() ?? 'no WebGPU adapter' };
      const info = { available: true, adapter: ctx.adapterName, isSoftware: ctx.isSoftware, reason: null };
      releaseGpu(ctx);
      return info;
    } catch (e) {
      return { available: false, adapter: null, isSoftware: null, reason: (e as Error).message };
    }
  })();
  return gpuProbe;
}

/**
 * A comparison of two kept fits of one kind (nlme's or lme4's anova): `run` posts its reply; a fit that is not
 * of the data loaded now, or the library's refusal, is a compareError.
 */
function comparePair<F>(id: number, pair: (F | undefined)[], kind: string, run: (pair: F[]) => void): void {
  if (pair.some((f) => !f)) {
    post({ type: 'compareError', id, message: `both ${kind} fits must be of the data loaded now` });
    return;
  }
  try {
    run(pair as F[]);
  } catch (e) {
    post({ type: 'compareError', id, message: (e as Error).message ?? String(e) });
  }
}

/** a fit kept in the worker by the page's id: an in-memory fit of the data loaded now, or the last streamed fit */
function keptFit(fitId: number): AnyFit | undefined {
  return fits.get(fitId)?.fit ?? (streamed?.id === fitId ? streamed.fit : undefined);
}

/** a fit the Model checks card takes: a kept lmer or glmer fit, or a zero-inflated or hurdle fit of the data loaded now */
function checkedFit(fitId: number): ChecksFit | undefined {
  return keptFit(fitId) ?? ziFits.get(fitId);
}

/**
 * A cancellable job on a fit kept in the worker (a model test, an interval): its AbortController kept
 * under the request's id (Cancel aborts it), its progress posted at most every 100 ms (always the last
 * report, and the reports before the `firstAlways`-th), then its result, or its error (Cancel's as
 * cancelled).
 */
function keptFitJob<P extends { done: number; total: number; label: string }, R, F = AnyFit>(
  id: number, fitId: number, firstAlways: number,
  job: (fit: F, signal: AbortSignal, onProgress: (p: P) => void) => Promise<R>,
  progress: (p: P) => void, done: (result: R) => void, fail: (message: string, cancelled: boolean) => void,
  lookup: (fitId: number) => F | undefined = keptFit as unknown as (fitId: number) => F | undefined,
): void {
  void (async () => {
    const f = lookup(fitId);
    const ac = new AbortController();
    running.set(id, ac);
    let lastPost = 0;
    try {
      if (!f) throw new Error(NOT_KEPT);
      done(await job(f, ac.signal, (p) => {
        const now = performance.now();
        if (now - lastPost < 100 && p.done < p.total && p.done >= firstAlways) return;
        lastPost = now;
        progress(p);
      }));
    } catch (e) {
      const cancelled = (e as Error).name === 'AbortError' || ac.signal.aborted;
      fail(cancelled ? 'cancelled' : (e as Error).message ?? String(e), cancelled);
    } finally {
      running.delete(id);
    }
  })();
}

scope.addEventListener('message', (ev) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'probeGpu':
      void probeGpu().then((info) => post({ type: 'gpu', info }));
      break;
    case 'load':
      void (async () => {
        try {
          dataGeneration++;
          table = null;
          fit = null;
          fits.clear();
          clmmFits.clear();
          ziFits.clear();
          nlmeFits.clear();
          nlmerFits.clear();
          gammFits.clear();
          const loaded = await loadSource(msg.source, (stage) => post({ type: 'loadProgress', id: msg.id, stage }));
          table = loaded.table;
          post({ type: 'loaded', id: msg.id, info: loaded.info });
        } catch (e) {
          post({ type: 'loadError', id: msg.id, message: (e as Error).message ?? String(e) });
        }
      })();
      break;
    case 'fit':
      void (async () => {
        if (!table) {
          post({ type: 'fitError', id: msg.id, message: 'load data first', where: 'data' });
          return;
        }
        const ac = new AbortController();
        running.set(msg.id, ac);
        const t0 = performance.now();
        // new data loaded while this fit ran: the fit is of the old data, so it is dropped as cancelled (the page cancels it too)
        const generation = dataGeneration;
        const dataChanged = () => {
          if (generation === dataGeneration) return false;
          post({ type: 'cancelled', id: msg.id });
          return true;
        };
        let lastPost = 0;
        // clmm's and zeroInflated's progress: −log L per evaluation, posted at most every 100 ms
        const progress = (p: { feval: number; objective: number; best: number; elapsedMs: number }) => {
          const now = performance.now();
          if (now - lastPost < 100) return;
          lastPost = now;
          post({ type: 'progress', id: msg.id, feval: p.feval, deviance: p.objective, best: p.best, elapsedMs: p.elapsedMs, criterion: '−log L' });
        };
        // one of the three kinds of fit; its error placed in the formula, or its cancellation
        try {
          if (isNlmerFormula(msg.request.formula)) {
            // lme4's nlmer (a three-part formula): the CPU; its progress (the stage, the evaluations, the deviance)
            // at most every 100 ms; Cancel through the signal (the worker and its data stay)
            const nm = await runNlmer(table, msg.request, ac.signal, (p) => {
              const now = performance.now();
              if (now - lastPost < 100) return;
              lastPost = now;
              post({ type: 'progress', id: msg.id, stage: p.stage, feval: p.feval, deviance: p.deviance, best: p.best, elapsedMs: p.elapsedMs });
            });
            if (dataChanged()) return;
            // an abort after the fit's last turn of the event loop: the fit is dropped all the same
            if (ac.signal.aborted) { post({ type: 'cancelled', id: msg.id }); return; }
            nlmerFits.set(msg.id, nm);
            post({ type: 'nlmerFitted', id: msg.id, result: describeNlmer(nm, table, msg.request.nlmerStart ?? {}, performance.now() - t0) });
          } else if (isNlmeRequest(msg.request)) {
            // nlme's lme (a random-effects term) or gls (none) with the boxes' residual variance and correlation: the CPU
            const { fit: nf, fn } = await runNlme(table, msg.request, ac.signal);
            if (dataChanged()) return;
            if (ac.signal.aborted) { post({ type: 'cancelled', id: msg.id }); return; }
            nlmeFits.set(msg.id, nf);
            post({ type: 'nlmeFitted', id: msg.id, result: describeNlme(nf, fn, msg.request, performance.now() - t0) });
          } else if (isZiChoice(msg.request.family)) {
            // a glmmTMB model (zero-inflated or hurdle counts, beta, gaussian): the CPU; Cancel through the signal
            const zf = await runZeroInflated(table, msg.request, ac.signal, progress);
            if (dataChanged()) return;
            ziFits.set(msg.id, zf);
            post({ type: 'ziFitted', id: msg.id, result: describeZeroInflated(zf, performance.now() - t0, msg.request.family) });
          } else if (hasSmooth(msg.request.formula)) {
            // gamm4: the smooths written as a mixed model and fitted by lmer (no progress in the library: the page shows the elapsed time); Cancel through the signal
            const { fit: gf, split } = await runGamm(table, msg.request, ac.signal);
            if (dataChanged()) return;
            gammFits.set(msg.id, gf);
            post({ type: 'gammFitted', id: msg.id, result: describeGamm(gf, split, table, performance.now() - t0) });
          } else if (msg.request.family === 'ordinal') {
            // ordinal's clmm: its progress as −log L per evaluation; Cancel through the signal
            const cf = await runClmm(table, msg.request, ac.signal, progress);
            if (dataChanged()) return;
            clmmFits.set(msg.id, cf);
            post({ type: 'clmmFitted', id: msg.id, result: describeClmm(cf, table, performance.now() - t0) });
          } else {
            const result = await runFit(table, msg.request, {
              signal: ac.signal,
              onProgress: (p) => {
                const now = performance.now();
                if (now - lastPost < 100) return;
                lastPost = now;
                post({ type: 'progress', id: msg.id, ...p });
              },
            });
            if (dataChanged()) return;
            fit = result;
            factorsOfFit = msg.request.factors;
            fits.set(msg.id, { id: msg.id, fit: result, request: msg.request });
            const { result: described, transfer } = describeFit(result, table, factorsOfFit, performance.now() - t0);
            post({ type: 'fitted', id: msg.id, result: described }, transfer);
          }
        } catch (e) {
          if ((e as Error).name === 'AbortError' || ac.signal.aborted) post({ type: 'cancelled', id: msg.id });
          else {
            const placed = placeError(e);
            post({ type: 'fitError', id: msg.id, message: placed.message, where: placed.where, position: placed.position });
          }
        } finally {
          running.delete(msg.id);
        }
      })();
      break;
    case 'cancel':
      running.get(msg.id)?.abort();
      break;
    case 'clmmProbabilities': {
      const cf = clmmFits.get(msg.fit);
      try {
        if (!cf || !table) throw new Error(NOT_KEPT);
        post({ type: 'clmmProbabilities', id: msg.id, by: msg.by, groups: probabilitiesBy(cf, table, msg.by), levels: cf.levels });
      } catch (e) {
        post({ type: 'clmmError', id: msg.id, message: (e as Error).message ?? String(e) });
      }
      break;
    }
    case 'exportClmmProbabilities': {
      const cf = clmmFits.get(msg.fit);
      if (!cf || !table) post({ type: 'textError', id: msg.id, message: NOT_KEPT });
      else post({ type: 'text', id: msg.id, text: probabilitiesCsv(cf, table) });
      break;
    }
    case 'exportZiPredictions': {
      const zf = ziFits.get(msg.fit);
      if (!zf) post({ type: 'textError', id: msg.id, message: NOT_KEPT });
      else post({ type: 'text', id: msg.id, text: predictionsCsv(zf) });
      break;
    }
    case 'clmmAnova': {
      const [a, b] = msg.fits.map((k) => clmmFits.get(k));
      try {
        if (!a || !b) throw new Error('both fits must be ordinal (clmm) fits of the data loaded now');
        post({ type: 'clmmAnova', id: msg.id, rows: anovaOfFits({ id: msg.fits[0], fit: a }, { id: msg.fits[1], fit: b }) });
      } catch (e) {
        post({ type: 'clmmError', id: msg.id, message: (e as Error).message ?? String(e) });
      }
      break;
    }
    case 'predict':
      try {
        const f = (msg.fit !== undefined ? fits.get(msg.fit)?.fit : undefined) ?? fit;
        if (!f || !table) throw new Error('fit a model first');
        post({ type: 'predicted', id: msg.id, result: predictOne(f, table, msg.values, msg.newGroups) });
      } catch (e) {
        post({ type: 'predictError', id: msg.id, message: (e as Error).message });
      }
      break;
    case 'exportJson': {
      const f = (msg.fit !== undefined ? fits.get(msg.fit)?.fit ?? clmmFits.get(msg.fit) ?? ziFits.get(msg.fit) ?? gammFits.get(msg.fit) ?? nlmeFits.get(msg.fit) ?? nlmerFits.get(msg.fit) : fit);
      post({ type: 'json', id: msg.id, text: f ? JSON.stringify(f.toJSON(), jsonReplacer, 1) : '{}' });
      break;
    }
    case 'exportResiduals': {
      const s = fits.get(msg.fit);
      if (!s) post({ type: 'textError', id: msg.id, message: 'that fit is no longer kept (new data were loaded)' });
      else post({ type: 'text', id: msg.id, text: residualsCsv(s.fit, 'nAGQ' in s.fit) });
      break;
    }
    case 'meta':
      void (async () => {
        try {
          if (!table) throw new Error('load data first');
          post({ type: 'metaFitted', id: msg.id, result: await runMeta(table, msg.request) });
        } catch (e) {
          post({ type: 'metaError', id: msg.id, message: (e as Error).message ?? String(e) });
        }
      })();
      break;
    case 'inference': {
      // the fit shown's card or the streamed fit's: lmerTest's tables from the fit's A either way
      const f = keptFit(msg.fit);
      try {
        if (!f) throw new Error(NOT_KEPT);
        post({ type: 'inferred', id: msg.id, result: inferenceTables(f, msg.ddf, msg.anovaType) });
      } catch (e) {
        post({ type: 'inferenceError', id: msg.id, message: (e as Error).message ?? String(e) });
      }
      break;
    }
    case 'emmeans': {
      const s = fits.get(msg.fit);
      // async: an ML fit's default df need its REML refit
      void (async () => {
        try {
          if (!s) throw new Error('that fit is no longer kept (new data were loaded)');
          post({ type: 'emmeansDone', id: msg.id, result: await emmTables(s.fit, msg.request) });
        } catch (e) {
          post({ type: 'emmeansError', id: msg.id, message: (e as Error).message ?? String(e) });
        }
      })();
      break;
    }
    case 'glht': {
      // multcomp's glht of the fit shown: summary(glht(fit, mcp(f = type)), test) and its simultaneous intervals
      try {
        post({ type: 'glhtDone', id: msg.id, result: runGlht(fits.get(msg.fit)?.fit, msg.request) });
      } catch (e) {
        const message = (e as Error)?.message ?? String(e);
        post({ type: 'glhtError', id: msg.id, message, field: glhtFieldOf(message) });
      }
      break;
    }
    case 'lsMeans': {
      // lmerTest's ls_means (difflsmeans with pairwise) of the lmer fit shown, with the page's ddf
      try {
        post({ type: 'lsMeansDone', id: msg.id, result: runLsMeans(fits.get(msg.fit)?.fit, msg.request) });
      } catch (e) {
        post({ type: 'lsMeansError', id: msg.id, message: (e as Error)?.message ?? String(e), field: lsmFieldOf(e) });
      }
      break;
    }
    case 'modelTest':
      keptFitJob(msg.id, msg.fit, 0, (fit, signal, onProgress) => runModelTest(fit, msg.request, { signal, onProgress }),
        (p) => post({ type: 'modelTestProgress', id: msg.id, ...p }),
        (result) => post({ type: 'modelTestDone', id: msg.id, result }),
        (message, cancelled) => post({ type: 'modelTestError', id: msg.id, message, cancelled }));
      break;
    case 'merSim': {
      // merTools's REsim/FEsim or predictInterval: progress per chunk of draws, Cancel through the library's signal
      let field: MerSimField | null = null;
      keptFitJob<{ done: number; total: number; label: string }, MerSimMsg, StoredFit>(msg.id, msg.fit, 1, async (stored, signal, onProgress) => {
        try {
          return await runMerSim(stored, table, msg.request, { signal, onProgress });
        } catch (e) {
          field = merSimFieldOf(e, msg.request);
          throw e;
        }
      },
      (p) => post({ type: 'merSimProgress', id: msg.id, done: p.done, total: p.total, label: p.label }),
      (result) => post({ type: 'merSimDone', id: msg.id, result }),
      (message, cancelled) => post({ type: 'merSimError', id: msg.id, message, field: cancelled ? null : field, cancelled }), (fitId) => fits.get(fitId));
      break;
    }
    case 'miPool': {
      // the page's model fitted to each imputation of the data loaded now (a job on the data, not on a kept fit)
      let field: MiField | null = null;
      const generation = dataGeneration;
      keptFitJob<{ done: number; total: number; label: string }, MiMsg, { data: arrow.Table | null }>(msg.id, 0, 1, async ({ data }, signal, onProgress) => {
        try {
          const res = await runMi(data, msg.request, { signal, onProgress });
          if (generation !== dataGeneration) throw new Error('new data were loaded while the imputations were fitted');
          return res;
        } catch (e) {
          field = miFieldOf(e);
          throw e;
        }
      },
      (p) => post({ type: 'miProgress', id: msg.id, done: p.done, total: p.total, label: p.label }),
      (result) => post({ type: 'miDone', id: msg.id, result }),
      (message, cancelled) => post({ type: 'miError', id: msg.id, message, field: cancelled ? null : field, cancelled }), () => ({ data: table }));
      break;
    }
    case 'power':
      // simr's powerSim or powerCurve: progress per batch of simulations, Cancel through the library's signal
      keptFitJob(msg.id, msg.fit, 1, (fit, signal, onProgress) => runPower(fit, table, msg.request, { signal, onProgress }),
        (p) => post({ type: 'powerProgress', id: msg.id, done: p.done, total: p.total, label: p.label }),
        (result) => post({ type: 'powerDone', id: msg.id, result }),
        (message, cancelled) => post({ type: 'powerError', id: msg.id, message, cancelled }));
      break;
    case 'lmList': {
      const s = fits.get(msg.fit);
      try {
        if (!s) throw new Error('that fit is no longer kept (new data were loaded)');
        post({ type: 'lmListDone', id: msg.id, result: runLmList(s.fit, table, msg.request, s.request.factors, dataNameOf(s.request.dataName)) });
      } catch (e) {
        post({ type: 'lmListError', id: msg.id, message: (e as Error).message ?? String(e) });
      }
      break;
    }
    case 'robust': {
      // clubSandwich's tables of the fit shown or the streamed fit (whose refusal is the library's)
      const f = keptFit(msg.fit);
      try {
        if (!f) throw new Error(NOT_KEPT);
        post({ type: 'robustDone', id: msg.id, result: runRobust(f, msg.request) });
      } catch (e) {
        post({ type: 'robustError', id: msg.id, message: (e as Error).message ?? String(e) });
      }
      break;
    }
    case 'allFit':
      // lme4's allFit: every report goes (one per optimizer), Cancel through the library's signal
      keptFitJob(msg.id, msg.fit, Number.MAX_SAFE_INTEGER, (fit, signal, onProgress) => runAllFit(fit, msg.request, { signal, onProgress }),
        (p) => post({ type: 'allFitProgress', id: msg.id, done: p.done, total: p.total, label: p.label }),
        (result) => post({ type: 'allFitDone', id: msg.id, result }),
        (message, cancelled) => post({ type: 'allFitError', id: msg.id, message, cancelled }));
      break;
    case 'ggeffects': {
      // ggeffects's ggpredict or ggemmeans of the fit shown or the streamed fit (whose default values take passes over its file)
      const f = keptFit(msg.fit);
      const fail = (e: unknown) => post({ type: 'ggeffectsError', id: msg.id, message: (e as Error)?.message ?? String(e) });
      if (!f) { fail(new Error(NOT_KEPT)); break; }
      runGgeffects(f, msg.request).then((result) => post({ type: 'ggeffectsDone', id: msg.id, result }), fail);
      break;
    }
    case 'tabModel':
      // sjPlot's tab_model of kept fits (in memory or the streamed fit), in the page's order; a refusal names its fit
      runTabModel(msg.request.fits.map(keptFit), msg.request).then(
        (result) => post({ type: 'tabModelDone', id: msg.id, result }),
        (e: unknown) => post({ type: 'tabModelError', id: msg.id, message: (e as Error)?.message ?? String(e) }));
      break;
    case 'exportTidy': {
      // broom.mixed's tidy, glance or augment of the fit shown or the streamed fit (augment's data: the table loaded now)
      const f = keptFit(msg.fit);
      void (async () => {
        try {
          if (!f) throw new Error(NOT_KEPT);
          post({ type: 'text', id: msg.id, text: await tidyExportCsv(f, fits.has(msg.fit) ? table : null, msg.request) });
        } catch (e) {
          post({ type: 'textError', id: msg.id, message: (e as Error).message ?? String(e) });
        }
      })();
      break;
    }
    case 'dharma':
      // DHARMa's simulated residuals: a report per stage (every one goes), Cancel between the stages
      keptFitJob(msg.id, msg.fit, Number.MAX_SAFE_INTEGER, (fit, signal, onProgress) => runDharma(fit, msg.request, { signal, onProgress }),
        (p) => post({ type: 'dharmaProgress', id: msg.id, done: p.done, total: p.total, label: p.label }),
        (result) => post({ type: 'dharmaDone', id: msg.id, result }),
        (message, cancelled) => post({ type: 'dharmaError', id: msg.id, message, cancelled }), checkedFit);
      break;
    case 'afex':
      // afex's mixed() on the fit's formula and data: a report per fit and test (every one goes), Cancel through the library's signal
      keptFitJob<{ done: number; total: number; label: string }, AfexMsg, StoredFit>(msg.id, msg.fit, Number.MAX_SAFE_INTEGER, (stored, signal, onProgress) => runAfex(stored, table, msg.request, { signal, onProgress }),
        (p) => post({ type: 'afexProgress', id: msg.id, done: p.done, total: p.total, label: p.label }),
        (result) => post({ type: 'afexDone', id: msg.id, result }),
        (message, cancelled) => post({ type: 'afexError', id: msg.id, message, cancelled }), (fitId) => fits.get(fitId));
      break;
    case 'perfChecks': {
      // performance's checks of the fit shown (a zero-inflated one too) or the streamed fit (the library's refusals are notes)
      const f = checkedFit(msg.fit);
      void (async () => {
        try {
          if (!f) throw new Error(NOT_KEPT);
          post({ type: 'perfChecksDone', id: msg.id, result: await runPerformanceChecks(f) });
        } catch (e) {
          post({ type: 'perfChecksError', id: msg.id, message: (e as Error).message ?? String(e) });
        }
      })();
      break;
    }
    case 'confint':
      // its first report always goes (the page shows what is being profiled)
      keptFitJob(msg.id, msg.fit, 1, (fit, signal, onProgress) => runConfint(fit, msg.request, { signal, onProgress }),
        (p) => post({ type: 'confintProgress', id: msg.id, ...p }),
        (result) => post({ type: 'confinted', id: msg.id, result }),
        (message, cancelled) => post({ type: 'confintError', id: msg.id, message, cancelled }));
      break;
    case 'tmbConfint':
      // glmmTMB's confint of a glmmTMB fit (the Intervals card): Wald at once; the profile's first report always goes (the page shows what is being profiled)
      keptFitJob(msg.id, msg.fit, 1, (zf: ZeroInflatedFit, signal, onProgress) => runTmbConfint(zf, msg.request, { signal, onProgress }),
        (p) => post({ type: 'tmbConfintProgress', id: msg.id, ...p }),
        (result) => post({ type: 'tmbConfinted', id: msg.id, result }),
        (message, cancelled) => post({ type: 'tmbConfintError', id: msg.id, message, cancelled }), (fitId) => ziFits.get(fitId));
      break;
    case 'streamFit':
      void (async () => {
        const ac = new AbortController();
        running.set(msg.id, ac);
        streamed = null;
        let lastPost = 0;
        try {
          const { result, transfer, fit: sfit } = await streamFit(msg.file, msg.file.name, msg.request, {
            signal: ac.signal,
            onProgress: (p) => {
              const now = performance.now();
              if (now - lastPost < 100) return;
              lastPost = now;
              post({ type: 'streamProgress', id: msg.id, ...p });
            },
          });
          streamed = { id: msg.id, fit: sfit };
          post({ type: 'streamFitted', id: msg.id, result }, transfer);
        } catch (e) {
          const cancelled = (e as Error).name === 'AbortError' || ac.signal.aborted;
          post({ type: 'streamError', id: msg.id, message: cancelled ? 'cancelled' : (e as Error).message ?? String(e), cancelled });
        } finally {
          running.delete(msg.id);
        }
      })();
      break;
    case 'relmat':
      void (async () => {
        try {
          post({ type: 'relmatLoaded', id: msg.id, info: await readRelmat(msg.id, msg.file, msg.file.name, msg.kind) });
        } catch (e) {
          post({ type: 'relmatError', id: msg.id, message: (e as Error).message ?? String(e) });
        }
      })();
      break;
    case 'nlmeCompare': {
      // nlme's anova(fit1, fit2) of two lme/gls fits of the data loaded now, in the page's order, named as the page
      // names them (the library's rules: the same method and observations; REML fits need the same fixed effects)
      const ids = msg.fits;
      comparePair(msg.id, ids.map((k) => nlmeFits.get(k)), 'nlme', (pair) => {
        const rows = anovaLme(pair, [...msg.names]);
        post({ type: 'nlmeCompared', id: msg.id, rows: rows.map((r, j) => ({ ...r, fit: ids[j]! })), print: formatLmeAnova(rows) });
      });
      break;
    }
    case 'nlmerCompare': {
      // lme4's anova(fit1, fit2) of two nlmer fits of the data loaded now (the library's anovaNlmer: the same rows
      // and response), the models named as the page names them
      const ids = msg.fits;
      comparePair(msg.id, ids.map((k) => nlmerFits.get(k)), 'nlmer', (pair) => {
        const a = anovaNlmer(pair, [...msg.names]);
        const rows = a.models.map((m, k) => ({
          fit: ids[msg.names.indexOf(a.names[k]!)]!, formula: m.formula, npar: m.npar, AIC: m.aic, BIC: m.bic, logLik: m.loglik, deviance: m.deviance,
          Chisq: a.tests[k]?.chisq ?? null, Df: a.tests[k]?.df ?? null, p: a.tests[k]?.p ?? null,
        }));
        post({ type: 'nlmerCompared', id: msg.id, rows, names: a.names, print: a.print.join('\n') });
      });
      break;
    }
    case 'compare':
      void (async () => {
        const [a, b] = msg.fits.map((k) => fits.get(k));
        if (!a || !b || !table) {
          post({ type: 'compareError', id: msg.id, message: 'both fits must be of the data loaded now' });
          return;
        }
        const ac = new AbortController();
        running.set(msg.id, ac);
        try {
          const out = await compareFits(a, b, table, { signal: ac.signal, onProgress: () => {} });
          post({ type: 'compared', id: msg.id, ...out });
        } catch (e) {
          post({ type: 'compareError', id: msg.id, message: (e as Error).message ?? String(e) });
        } finally {
          running.delete(msg.id);
        }
      })();
      break;
  }
});

/** the formula has a smooth term s(…) (a refused one too: runGamm places the library's error at its token) */
function hasSmooth(formula: string): boolean {
  try {
    return splitGammFormula(formula) !== null;
  } catch {
    return true;
  }
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}
