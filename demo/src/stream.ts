/**
 * Worker side: files larger than the tab. A Parquet file is read one row group at a time through
 * the streaming Gram source (src/gram/stream: ParquetBatchSource → gramFromStream → lmerFromGram),
 * so neither the worker nor the page ever holds the table: only the file handle, one batch of the
 * used columns, the evaluated batches the stream keeps between passes (its default cacheBytes,
 * 256 MiB at most: src/gram/stream/batchCache.ts), and the Gram matrix. The byte source counts what it reads, for the page's "bytes
 * read" and rows per second.
 *
 * After the fit, what needs the rows is read in further passes: the summary's exact scaled-residual
 * quantiles (three passes, the library's), and the diagnostics (one pass): the fitted value and
 * scaled residual of an evenly spread sample of at most MAX_POINTS rows (by their position among
 * the complete rows, known from the first pass), with the count, mean and SD of every row's scaled
 * residual. The conditional modes' QQ plots need no rows, nor do lmerTest's Satterthwaite df and
 * p-values: they come from the Gram matrix the stream formed, which the fit keeps. The fit itself is
 * returned for the worker to keep (the Model tests card's drop1, joint tests and R² run on it).
 */
import { ParquetBatchSource, coefficientTable, lmerStream } from '../../src/index.js';
import type { LmmFit } from '../../src/lmm/lmmFit.js';
import type { ByteSource } from '../../src/gram/stream/batch.js';
import type { StreamResiduals } from '../../src/gram/stream/residuals.js';
import { modelChecksSetup } from './modelChecksRun.js';
import { MAX_POINTS, binnedMeansOf, qqPoints, transferOf } from './diagnostics.js';
import { emmVariables } from './inference.js';
import { robustSetup } from './robustRun.js';
import { allFitSetup } from './allFitRun.js';
import { ggSetup } from './ggeffectsRun.js';
import { augmentRefusal } from './tidyRun.js';
import { wald95 } from './fitting.js';
import type { DiagnosticsMsg, StreamProgressMsg, StreamRequest, StreamResultMsg } from './protocol.js';

/** A Blob (a File) as a byte source that counts the bytes it hands out. */
export function countingSource(blob: Blob): ByteSource & { bytesRead: number } {
  const src = {
    byteLength: blob.size,
    bytesRead: 0,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const buf = await blob.slice(start, end).arrayBuffer();
      src.bytesRead += buf.byteLength;
      return buf;
    },
  };
  return src;
}

interface Progress { pass: number; rows: number; stage?: string }

export async function streamFit(
  file: Blob, name: string, req: StreamRequest,
  ctx: { signal: AbortSignal; onProgress: (p: StreamProgressMsg) => void },
): Promise<{ result: StreamResultMsg; transfer: Transferable[]; fit: LmmFit }> {
  if (!/\.(parquet|pq)$/i.test(name)) throw new Error(`${name}: streaming reads Parquet files (.parquet); load other formats whole with the file picker above`);
  if (/^\s*cbind\s*\(/.test(req.formula)) throw new Error('a GLMM (cbind response) cannot be fitted from a stream: PIRLS needs the rows at every iteration; streaming fits linear mixed models (lmer) only');
  const batchSize = req.batchSize ?? 65_536;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new Error(`rows per batch must be a whole number ≥ 1, got ${req.batchSize}`);
  const bytes = countingSource(file);
  const source = new ParquetBatchSource(bytes, name);
  const t0 = performance.now();
  let scanned = 0;
  let lastRows = 0;
  const report = (p: Progress) => {
    // rows counts up within a pass; a new pass starts again from its first batch
    scanned += p.rows >= lastRows ? p.rows - lastRows : p.rows;
    lastRows = p.rows;
    ctx.onProgress({ pass: p.pass, stage: p.stage, rows: p.rows, rowsScanned: scanned, bytesRead: bytes.bytesRead, fileBytes: file.size, elapsedMs: performance.now() - t0 });
  };
  const { fit, residuals } = await lmerStream(source, req.formula, {
    factors: req.factors, REML: req.reml, backend: 'cpu', batchSize, signal: ctx.signal, dataName: name,
    exact: req.exact ?? true, residualQuantiles: req.residualQuantiles ?? true,
    onBatch: (pass, rows) => report({ pass, rows }),
  });
  // lmerTest's table (Satterthwaite) from the fit's A: no rows, no pass; where it cannot be computed
  // the fit is still shown, without p-values, with the reason
  let coef: { rows: { df: number; p: number }[]; messages: string[] };
  try {
    coef = coefficientTable(fit, { ddf: 'satterthwaite' });
  } catch (e) {
    coef = { rows: fit.model.frame.xnames.map(() => ({ df: NaN, p: NaN })), messages: [`No p-values: ${(e as Error).message}`] };
  }
  const fitMs = performance.now() - t0;
  const src = fit.model.source;
  const passes = src?.queries.map((q) => q.stage) ?? [];
  let diagnostics: DiagnosticsMsg | null = null;
  const transfer: Transferable[] = [];
  let diagnosticsMs = 0;
  let residualStats: StreamResultMsg['residualStats'] = null;
  if (req.diagnostics ?? true) {
    const td = performance.now();
    const pass = passes.length + 1;
    lastRows = 0;
    const d = await diagnosticsPass(source, residuals, fit.nobs, batchSize, ctx.signal, (rows) => report({ pass, rows, stage: 'diagnostics' }));
    residualStats = d.stats;
    // the conditional modes need no rows
    for (const g of fit.ranef) for (const [cname, values] of Object.entries(g.values)) d.msg.modesQQ.push({ group: g.group, cname, ...qqPoints(values) });
    diagnostics = d.msg;
    diagnosticsMs = performance.now() - td;
    passes.push('diagnostics (1 pass)');
    transfer.push(...transferOf(d.msg));
  }
  const elapsedMs = performance.now() - t0;
  // rows read from the file (the fit's passes: the file once where its cache of evaluated batches
  // holds every batch; the diagnostics pass) and those the passes replayed from that cache instead
  const rowsScanned = (src?.rowsScanned ?? scanned) + (diagnostics ? fit.nobs : 0);
  const rowsReplayed = src?.rowsReplayed ?? 0;
  return {
    result: {
      formula: fit.formula,
      reml: fit.reml,
      nobs: fit.nobs,
      sigma: fit.sigma,
      objective: fit.objective,
      logLik: fit.logLik,
      fixef: fit.model.frame.xnames.map((n, j) => ({ name: n, estimate: fit.fixef[n]!, se: fit.se[n]!, stat: fit.fixef[n]! / fit.se[n]!, df: coef.rows[j]!.df, p: coef.rows[j]!.p, ...wald95(fit.fixef[n]!, fit.se[n]!) })),
      ddfMessages: coef.messages,
      varCorr: fit.varCorr,
      summary: fit.summary(),
      bytesRead: bytes.bytesRead,
      fileBytes: file.size,
      rowsScanned,
      rowsReplayed,
      passes,
      // the rows the passes processed (read or replayed) per second
      rowsPerSecond: (rowsScanned + rowsReplayed) / (elapsedMs / 1000),
      bytesPerSecond: bytes.bytesRead / (elapsedMs / 1000),
      elapsedMs,
      fitMs,
      diagnosticsMs,
      diagnostics,
      residualStats,
      emmVariables: emmVariables(fit),
      robustRefusal: robustSetup(fit).refusal,
      allFitRefusal: allFitSetup(fit).refusal,
      dharmaRefusal: modelChecksSetup(fit).dharmaRefusal,
      gg: ggSetup(fit),
      augmentRefusal: augmentRefusal(fit),
    },
    transfer,
    fit,
  };
}

/**
 * One pass over the rows: the fitted value and scaled residual of the complete rows at evenly
 * spread positions floor(k n / m), k = 0 … m − 1 (m = min(n, MAX_POINTS), as the in-memory
 * diagnostics pick their points), and Welford's running mean and variance of every scaled residual.
 * The smoothers are binned means of the sample (30 equal-count bins), the QQ plot the sample's.
 */
export async function diagnosticsPass(
  source: ParquetBatchSource, sr: StreamResiduals, nobs: number, batchSize: number, signal: AbortSignal, onBatch: (rows: number) => void,
): Promise<{ msg: DiagnosticsMsg; stats: { n: number; mean: number; sd: number } }> {
  const m = Math.min(nobs, MAX_POINTS);
  const fitted = new Float64Array(m);
  const scaled = new Float64Array(m);
  let k = 0;
  let next = 0;
  let j = 0;
  let rows = 0;
  let mean = 0, m2 = 0;
  for await (const batch of source.batches(sr.result.spec.columns, batchSize)) {
    if (signal.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
    const r = sr.compute(batch);
    for (let i = 0; i < batch.n; i++) {
      if (!r.ok[i]) continue;
      const s = r.scaled[i]!;
      j++;
      const dlt = s - mean;
      mean += dlt / j;
      m2 += dlt * (s - mean);
      if (k < m && j - 1 === next) {
        fitted[k] = r.fitted[i]!;
        scaled[k] = s;
        k++;
        next = Math.floor((k * nobs) / m);
      }
    }
    rows += batch.n;
    onBatch(rows);
    // a turn for the event loop, so that Cancel is seen
    await new Promise((res) => setTimeout(res, 0));
  }
  if (j !== nobs) throw new Error(`the diagnostics pass read ${j.toLocaleString('en-US')} complete rows, the fit ${nobs.toLocaleString('en-US')}: was the file changed?`);
  const root = scaled.map((v) => Math.sqrt(Math.abs(v)));
  const [smooth, rootSmooth] = binnedMeansOf(fitted, [scaled, root], 30);
  const msg: DiagnosticsMsg = {
    kind: 'lmer', n: nobs, fittedLabel: 'fitted value', residualLabel: 'scaled residual (Pearson / σ)',
    fitted, resid: scaled, smooth: smooth!, scaleLoc: { y: root, smooth: rootSmooth! },
    qq: qqPoints(scaled), modesQQ: [], binned: null, quantileQQ: null,
    sample: { rows: m, of: nobs },
  };
  return { msg, stats: { n: j, mean, sd: j > 1 ? Math.sqrt(m2 / (j - 1)) : NaN } };
}
