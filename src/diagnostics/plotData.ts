/**
 * The data of DHARMa's plot(simulationOutput) (plotQQunif and plotResiduals), without drawing:
 *   QQ plot (gap::qqunif(res, logscale = FALSE)): the sorted residuals res₍ᵢ₎ against the expected
 *     uniform quantiles i/(n + 1);
 *   residuals against predictions (plotResiduals, rank = TRUE): the fitted population-level response ŷ
 *     rank-transformed, rank(ŷ, ties = "average") / max(rank), each with its residual and whether it is a
 *     simulation outlier (0 or 1); `asFactor` where DHARMa would draw boxplots per value instead
 *     (one distinct value, or fewer than 10 with more than 10 observations per value).
 * DHARMa's quantile lines (0.25, 0.5, 0.75) come from qgam's quantile GAMs; they are not computed here.
 */
export interface QqPoint { expected: number; observed: number }
export interface ResidualPoint { index: number; prediction: number; rankPrediction: number; residual: number; outlier: boolean }

export interface DharmaPlotData {
  qq: QqPoint[];
  residualsVsPredicted: ResidualPoint[];
  asFactor: boolean;
}

/** R's rank(x, ties.method = "average") */
export function rankAverage(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const r = new Float64Array(n);
  for (let s = 0; s < n;) {
    let e = s;
    while (e + 1 < n && x[order[e + 1]] === x[order[s]]) e++;
    const avg = (s + e + 2) / 2;
    for (let k = s; k <= e; k++) r[order[k]] = avg;
    s = e + 1;
  }
  return r;
}

/** DHARMa's rankTransform: rank(x, "average") / max(rank) */
export function rankTransform(x: ArrayLike<number>): Float64Array {
  const r = rankAverage(x);
  let m = -Infinity;
  for (const v of r) if (v > m) m = v;
  return r.map((v) => v / m);
}

export function dharmaPlotData(scaledResiduals: ArrayLike<number>, fittedPredictedResponse: ArrayLike<number>): DharmaPlotData {
  const n = scaledResiduals.length;
  const sorted = Float64Array.from(scaledResiduals).sort();
  const qq = Array.from(sorted, (observed, i) => ({ expected: (i + 1) / (n + 1), observed }));
  const ranks = rankTransform(fittedPredictedResponse);
  const residualsVsPredicted = Array.from({ length: n }, (_, i) => ({
    index: i, prediction: fittedPredictedResponse[i], rankPrediction: ranks[i], residual: scaledResiduals[i],
    outlier: scaledResiduals[i] === 0 || scaledResiduals[i] === 1,
  }));
  const nuniq = new Set(Array.from(ranks)).size;
  const asFactor = nuniq === 1 || (nuniq < 10 && n / nuniq > 10);
  return { qq, residualsVsPredicted, asFactor };
}
