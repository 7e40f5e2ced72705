/**
 * The result plots, drawn with Observable Plot: the share of variance per level, a caterpillar plot
 * of conditional modes with ±1.96 conditional-SD intervals, and the shrinkage plot (each level's own
 * OLS estimate against its partially pooled estimate β + b̂_g).
 */
import * as Plot from '@observablehq/plot';
import type { BinnedMsg, DiagnosticsMsg, QqMsg, RanefMsg, ShrinkageMsg } from './protocol.js';
import { fmt } from './dom.js';

const Z975 = 1.959963984540054;
/** most levels drawn in one caterpillar or shrinkage plot (evenly spread over the sorted levels) */
export const MAX_CATERPILLAR = 40;
export const MAX_SHRINKAGE = 1500;
/** beyond this many levels the shrinkage plot draws points without arrows */
export const MAX_ARROWS = 300;
/** the axis labels' font size in px: plots are drawn at their container's width, never scaled */
const FONT = 11;

export function sharePlot(shares: { group: string; variance: number; share: number }[], width: number): Element {
  return Plot.plot({
    width,
    style: { fontSize: `${FONT}px` },
    height: 36 + 26 * shares.length,
    marginLeft: 110,
    marginRight: 60,
    marginBottom: 24,
    x: { label: null, domain: [0, 1], tickFormat: '%', grid: true },
    y: { label: null, domain: shares.map((s) => s.group) },
    marks: [
      Plot.barX(shares, { x: 'share', y: 'group', fill: (d: { group: string }) => (d.group === 'Residual' ? '#b9c2cc' : '#4269d0') }),
      Plot.text(shares, { x: 'share', y: 'group', text: (d: { share: number }) => `${(d.share * 100).toFixed(1)}%`, dx: 6, textAnchor: 'start' }),
      Plot.ruleX([0]),
    ],
  });
}

interface CaterpillarRow {
  level: string;
  mode: number;
  lo: number;
  hi: number;
}

/** Rows of one column of one grouping factor, sorted by the conditional mode, thinned to `max`. */
export function caterpillarRows(g: RanefMsg, col: number, max = MAX_CATERPILLAR): { rows: CaterpillarRow[]; total: number } {
  const values = g.values[col]!;
  const sd = g.condsd[col]!;
  const order = Array.from(values.keys()).sort((a, b) => values[a]! - values[b]!);
  const total = order.length;
  const pick = total <= max ? order : Array.from({ length: max }, (_, k) => order[Math.round((k * (total - 1)) / (max - 1))]!);
  return {
    total,
    rows: pick.map((i) => ({ level: g.levels[i]!, mode: values[i]!, lo: values[i]! - Z975 * sd[i]!, hi: values[i]! + Z975 * sd[i]! })),
  };
}

export function caterpillarPlot(g: RanefMsg, col: number, width: number): Element {
  const { rows } = caterpillarRows(g, col);
  return Plot.plot({
    width,
    style: { fontSize: `${FONT}px` },
    height: 40 + 13 * rows.length,
    marginLeft: Math.min(160, 14 + 7 * Math.max(...rows.map((r) => r.level.length))),
    x: { label: `conditional mode of ${g.cnames[col]} (±1.96 conditional SD) →`, grid: true },
    y: { label: null, domain: rows.map((r) => r.level), tickSize: 0 },
    marks: [
      Plot.ruleX([0], { stroke: '#888', strokeDasharray: '4,3' }),
      Plot.ruleY(rows, { y: 'level', x1: 'lo', x2: 'hi', stroke: '#4269d0', strokeWidth: 1.5 }),
      Plot.dot(rows, { y: 'level', x: 'mode', fill: '#1a1a1a', r: 2.8 }),
      Plot.tip(rows, Plot.pointerY({ y: 'level', x: 'mode', title: (d: CaterpillarRow) => `${g.group} ${d.level}\nmode ${fmt(d.mode, 4)}\n95% [${fmt(d.lo, 4)}, ${fmt(d.hi, 4)}]` })),
    ],
  });
}

interface ShrinkRow {
  level: string;
  n: number;
  ols: number;
  pooled: number;
}

/** Levels with an own OLS estimate; a deterministic, evenly spread subset when there are many. */
export function shrinkageRows(s: ShrinkageMsg, levels: string[], col: number, max = MAX_SHRINKAGE): { rows: ShrinkRow[]; estimable: number; total: number } {
  const ols = s.ols[col]!;
  const pooled = s.pooled[col]!;
  const idx: number[] = [];
  for (let g = 0; g < ols.length; g++) if (Number.isFinite(ols[g]!)) idx.push(g);
  const estimable = idx.length;
  const pick = estimable <= max ? idx : Array.from({ length: max }, (_, k) => idx[Math.floor((k * estimable) / max)]!);
  return {
    estimable,
    total: ols.length,
    rows: pick.map((g) => ({ level: levels[g] ?? String(g), n: s.count[g]!, ols: ols[g]!, pooled: pooled[g]! })),
  };
}

export function shrinkagePlot(s: ShrinkageMsg, levels: string[], col: number, width: number): Element {
  const { rows } = shrinkageRows(s, levels, col);
  const beta = s.beta[col]!;
  const xs = rows.map((r) => r.ols);
  const ys = rows.map((r) => r.pooled);
  const lo = Math.min(...xs, ...ys, beta);
  const hi = Math.max(...xs, ...ys, beta);
  const pad = (hi - lo) * 0.04 || 1;
  const domain = [lo - pad, hi + pad];
  const counts = rows.map((r) => r.n);
  const varied = Math.min(...counts) !== Math.max(...counts);
  const many = rows.length > MAX_ARROWS;
  return Plot.plot({
    width,
    style: { fontSize: `${FONT}px` },
    height: Math.min(520, Math.max(320, width * 0.62)),
    grid: true,
    x: { label: `own OLS estimate of ${s.cnames[col]} per ${s.group} →`, domain },
    y: { label: `↑ partially pooled β + b̂ (${s.cnames[col]})`, domain },
    color: varied ? { type: 'log', scheme: 'viridis', label: `observations per ${s.group}`, legend: true } : undefined,
    marks: [
      Plot.link([{ a: domain[0], b: domain[1] }], { x1: 'a', y1: 'a', x2: 'b', y2: 'b', stroke: '#999', strokeDasharray: '5,4' }),
      Plot.ruleY([beta], { stroke: '#d03f3f', strokeWidth: 1.5 }),
      Plot.text([beta], { x: domain[0], y: beta, text: () => `β = ${fmt(beta, 4)}`, textAnchor: 'start', dy: -7, fill: '#d03f3f' }),
      many ? null : Plot.arrow(rows, { x1: 'ols', y1: 'ols', x2: 'ols', y2: 'pooled', stroke: varied ? 'n' : '#4269d0', strokeOpacity: 0.55, headLength: 6, insetEnd: 2.5 }),
      Plot.dot(rows, { x: 'ols', y: 'pooled', fill: varied ? 'n' : '#4269d0', r: many ? 1.8 : 3, fillOpacity: many ? 0.6 : 1 }),
      Plot.tip(rows, Plot.pointer({ x: 'ols', y: 'pooled', title: (d: ShrinkRow) => `${s.group} ${d.level} (${d.n} obs.)\nown OLS ${fmt(d.ols, 4)}\npooled ${fmt(d.pooled, 4)}` })),
    ],
  });
}

/** The shrinkage plot's caption: it describes the arrows only when they are drawn. */
export function shrinkageCaption(o: { group: string; cnames: string[]; adjustedFor: string[]; shown: number; estimable: number; total: number }): string {
  const adj = o.adjustedFor.length ? ` after subtracting ${o.adjustedFor.map((a) => `${a}·β`).join(', ')}` : '';
  const arrows = o.shown <= MAX_ARROWS;
  return `Each point is one ${o.group}: x is its own least-squares estimate of ${o.cnames.join(' and ')} from its rows alone${adj}; ` +
    `y is the mixed model's partially pooled estimate β + b̂. ` +
    (arrows
      ? 'Arrows point from the diagonal (no pooling) to the pooled value: '
      : `With ${o.shown.toLocaleString('en-US')} levels drawn, the arrows from the diagonal (no pooling) are left out (they are drawn for at most ${MAX_ARROWS}); the vertical distance of a point from the dashed diagonal is its shrinkage: `) +
    'levels with few or noisy observations are pulled furthest toward the population value β (red line).' +
    (o.estimable < o.total ? ` ${(o.total - o.estimable).toLocaleString('en-US')} of ${o.total.toLocaleString('en-US')} levels have too few rows for their own estimate.` : '') +
    (o.estimable > o.shown ? ` Showing ${o.shown.toLocaleString('en-US')} of ${o.estimable.toLocaleString('en-US')} levels.` : '');
}

/** All levels, sorted: rank, mode and interval (the dense caterpillar's rows). */
export function denseRows(g: RanefMsg, col: number): { rank: number; level: string; mode: number; lo: number; hi: number }[] {
  const values = g.values[col]!;
  const sd = g.condsd[col]!;
  const order = Array.from(values.keys()).sort((a, b) => values[a]! - values[b]!);
  return order.map((i, k) => ({ rank: k + 1, level: g.levels[i]!, mode: values[i]!, lo: values[i]! - Z975 * sd[i]!, hi: values[i]! + Z975 * sd[i]! }));
}

/** the ranks that get a label: as many as fit at `px` per label across `width`, evenly spaced */
export function labelledRanks(from: number, to: number, width: number, px = 13): number[] {
  const count = to - from + 1;
  const fit = Math.max(2, Math.floor(width / px));
  const step = Math.max(1, Math.ceil(count / fit));
  const out: number[] = [];
  for (let r = from; r <= to; r += step) out.push(r);
  return out;
}

/**
 * The dense caterpillar: every level (x = rank of its conditional mode) with its ±1.96 conditional
 * SD interval as a vertical line (a band beyond two levels per pixel); level names on
 * the axis only where they fit. `range` zooms to
 * ranks [from, to].
 */
export function denseCaterpillarPlot(g: RanefMsg, col: number, width: number, range?: [number, number]): { svg: Element; from: number; to: number; labels: number; band: boolean } {
  const all = denseRows(g, col);
  const from = Math.max(1, range?.[0] ?? 1);
  const to = Math.min(all.length, range?.[1] ?? all.length);
  const rows = all.slice(from - 1, to);
  const longest = Math.min(18, Math.max(...rows.map((r) => r.level.length)));
  const ticks = labelledRanks(from, to, width - 60);
  const names = new Map(rows.map((r) => [r.rank, r.level]));
  const thin = rows.length > 400;
  // beyond two levels per pixel: the intervals as one band and the modes as one line (two SVG paths,
  // not tens of thousands of lines and dots, which look the same at this density)
  const band = rows.length > 2 * width;
  const svg = Plot.plot({
    width,
    height: 280 + 6.5 * longest,
    marginBottom: 16 + 6.5 * longest,
    style: { fontSize: `${FONT}px` },
    x: { label: `${g.group}, levels sorted by conditional mode →`, domain: [from - 0.5, to + 0.5], ticks, tickFormat: (r: number) => (names.get(r) ?? '').slice(0, 18), tickRotate: -90 },
    y: { label: `↑ conditional mode of ${g.cnames[col]} (±1.96 conditional SD)`, grid: true },
    marks: [
      Plot.ruleY([0], { stroke: '#888', strokeDasharray: '4,3' }),
      band ? Plot.areaY(rows, { x: 'rank', y1: 'lo', y2: 'hi', fill: '#4269d0', fillOpacity: 0.35 }) : Plot.ruleX(rows, { x: 'rank', y1: 'lo', y2: 'hi', stroke: '#4269d0', strokeOpacity: thin ? 0.35 : 0.8, strokeWidth: thin ? 1 : 1.5 }),
      band ? Plot.lineY(rows, { x: 'rank', y: 'mode', stroke: '#1a1a1a', strokeWidth: 1 }) : Plot.dot(rows, { x: 'rank', y: 'mode', fill: '#1a1a1a', r: thin ? 0.9 : 2.2, stroke: null }),
      Plot.tip(rows, Plot.pointerX({ x: 'rank', y: 'mode', title: (d: { level: string; mode: number; lo: number; hi: number; rank: number }) => `${g.group} ${d.level} (rank ${d.rank})\nmode ${fmt(d.mode, 4)}\n95% [${fmt(d.lo, 4)}, ${fmt(d.hi, 4)}]` })),
    ],
  });
  return { svg, from, to, labels: ticks.length, band };
}

const idx = (n: number) => ({ length: n });

/** residuals (or √|residuals|) against fitted values, with the binned means as the smoother */
export function residualPlot(d: DiagnosticsMsg, width: number, which: 'resid' | 'scale'): Element {
  const y = which === 'resid' ? d.resid : d.scaleLoc.y;
  const sm = which === 'resid' ? d.smooth : d.scaleLoc.smooth;
  const n = d.fitted.length;
  return Plot.plot({
    width,
    height: Math.round(Math.min(420, Math.max(260, width * 0.62))),
    grid: true,
    style: { fontSize: `${FONT}px` },
    x: { label: `${d.fittedLabel} →` },
    y: { label: which === 'resid' ? `↑ ${d.residualLabel}` : `↑ √|${d.residualLabel}|` },
    marks: [
      which === 'resid' ? Plot.ruleY([0], { stroke: '#888' }) : null,
      Plot.dot(idx(n), { x: d.fitted, y, r: n > 1000 ? 1.3 : 2.2, fill: '#4269d0', fillOpacity: n > 1000 ? 0.35 : 0.7, stroke: null }),
      Plot.line(idx(sm.x.length), { x: sm.x, y: sm.y, stroke: '#d03f3f', strokeWidth: 2 }),
    ],
  });
}

/** binned residuals (Gelman & Hill): mean response residual per bin with ±2 SE bands */
export function binnedPlot(b: BinnedMsg, d: DiagnosticsMsg, width: number): Element {
  const n = b.x.length;
  const lo = Float64Array.from(b.twoSe, (v) => -v);
  return Plot.plot({
    width,
    height: Math.round(Math.min(420, Math.max(260, width * 0.62))),
    grid: true,
    style: { fontSize: `${FONT}px` },
    x: { label: `mean ${d.fittedLabel} in the bin →` },
    y: { label: '↑ mean residual y − μ̂ in the bin' },
    marks: [
      Plot.ruleY([0], { stroke: '#888' }),
      Plot.line(idx(n), { x: b.x, y: b.twoSe, stroke: '#999', strokeDasharray: '4,3' }),
      Plot.line(idx(n), { x: b.x, y: lo, stroke: '#999', strokeDasharray: '4,3' }),
      Plot.dot(idx(n), { x: b.x, y: b.y, fill: '#4269d0', r: 3 }),
    ],
  });
}

/** a normal QQ plot with its reference line (y = x for standardized values, else R's qqline) */
export function qqPlot(q: QqMsg, label: string, width: number, reference: 'identity' | 'qqline'): Element {
  const m = q.theoretical.length;
  const t0 = m ? q.theoretical[0]! : -3;
  const t1 = m ? q.theoretical[m - 1]! : 3;
  const slope = reference === 'identity' ? 1 : q.slope;
  const intercept = reference === 'identity' ? 0 : q.intercept;
  return Plot.plot({
    width,
    height: Math.round(Math.min(420, Math.max(260, width * 0.62))),
    grid: true,
    style: { fontSize: `${FONT}px` },
    x: { label: 'standard normal quantile →' },
    y: { label: `↑ ${label}` },
    marks: [
      Plot.link([0], { x1: t0, y1: intercept + slope * t0, x2: t1, y2: intercept + slope * t1, stroke: '#d03f3f', strokeWidth: 1.5 }),
      Plot.dot(idx(m), { x: q.theoretical, y: q.sample, r: m > 500 ? 1.5 : 2.5, fill: '#4269d0', fillOpacity: 0.7, stroke: null }),
    ],
  });
}

/** The plot's SVG as a standalone file (the largest SVG of a figure: the plot, not its legend). */
export function svgText(container: Element): string | null {
  const svgs = Array.from(container.querySelectorAll('svg'));
  if (svgs.length === 0) return null;
  const main = svgs.reduce((a, b) => (b.clientWidth * b.clientHeight > a.clientWidth * a.clientHeight ? b : a));
  const clone = main.cloneNode(true) as SVGSVGElement;
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('xmlns:xlink', 'http://www.w3.org/1999/xlink');
  clone.style.background = '#fff';
  return new XMLSerializer().serializeToString(clone);
}

/** The SVG drawn on a canvas at `scale` × its size, as PNG bytes. */
export async function pngBlob(svg: string, width: number, height: number, scale = 2): Promise<Blob> {
  const img = new Image();
  img.width = width;
  img.height = height;
  await new Promise<void>((res, rej) => {
    img.onload = () => res();
    img.onerror = () => rej(new Error('the plot could not be drawn as an image'));
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  });
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
  return new Promise((res, rej) => canvas.toBlob((b) => (b ? res(b) : rej(new Error('PNG encoding failed'))), 'image/png'));
}

interface StudyMsg { label: string; yi: number; sei: number; lo: number; hi: number; weight: number | null; fitted?: number }

/** The forest plot: each study's estimate and CI (square sized by its weight), the pooled diamond and its prediction interval. */
export function forestPlot(studies: StudyMsg[], pooled: { mu: number; ci: [number, number]; pi: [number, number] } | null, width: number, level: number): Element {
  // rows by position (study labels may repeat, e.g. two trials of one author)
  const labels = [...studies.map((s) => s.label), ...(pooled ? ['RE model'] : [])];
  const rows = studies.map((s, i) => ({ ...s, row: i }));
  const pooledRow = studies.length;
  // with moderators: no pooled row; each study's fitted value instead
  const pooledMarks = pooled ? [
    Plot.ruleY([{ y: pooledRow, x1: pooled.pi[0], x2: pooled.pi[1] }], { y: 'y', x1: 'x1', x2: 'x2', stroke: '#d03f3f', strokeDasharray: '5,3' }),
    Plot.ruleY([{ y: pooledRow, x1: pooled.ci[0], x2: pooled.ci[1] }], { y: 'y', x1: 'x1', x2: 'x2', stroke: '#d03f3f', strokeWidth: 5 }),
    Plot.dot([{ y: pooledRow, x: pooled.mu }], { x: 'x', y: 'y', symbol: 'diamond', r: 7, fill: '#d03f3f' }),
  ] : [Plot.dot(rows, { y: 'row', x: 'fitted', symbol: 'diamond', r: 4, fill: '#d03f3f' })];
  const longest = Math.min(28, Math.max(...labels.map((l) => l.length)));
  return Plot.plot({
    width,
    height: 50 + 20 * labels.length,
    marginLeft: Math.min(200, 12 + 6.5 * longest),
    style: { fontSize: `${FONT}px` },
    x: { label: `effect size (${level}% CI) →`, grid: true },
    y: { label: null, type: 'band', domain: labels.map((_, i) => i), tickFormat: (i: number) => labels[i]!.slice(0, 28) },
    marks: [
      Plot.ruleX([0], { stroke: '#888', strokeDasharray: '4,3' }),
      Plot.ruleY(rows, { y: 'row', x1: 'lo', x2: 'hi', stroke: '#333' }),
      Plot.dot(rows, { y: 'row', x: 'yi', symbol: 'square', fill: '#4269d0', r: (s: StudyMsg) => 2 + Math.sqrt(s.weight ?? 4) }),
      ...pooledMarks,
      Plot.tip(rows, Plot.pointerY({ y: 'row', x: 'yi', title: (s: StudyMsg) => `${s.label}\n${fmt(s.yi, 4)} [${fmt(s.lo, 4)}, ${fmt(s.hi, 4)}]${s.weight === null ? '' : `\nweight ${s.weight.toFixed(1)}%`}` })),
    ],
  });
}

/** The funnel plot: effect size against its standard error (reversed), around the pooled estimate with ±1.96 SE lines. */
export function funnelPlot(studies: StudyMsg[], mu: number, width: number, xLabel = 'effect size →'): Element {
  const maxSe = Math.max(...studies.map((s) => s.sei)) * 1.05;
  return Plot.plot({
    width,
    height: Math.round(Math.min(420, Math.max(260, width * 0.62))),
    grid: true,
    style: { fontSize: `${FONT}px` },
    x: { label: xLabel },
    y: { label: '↑ standard error', domain: [maxSe, 0] },
    marks: [
      Plot.link([0], { x1: mu, y1: 0, x2: mu - Z975 * maxSe, y2: maxSe, stroke: '#999', strokeDasharray: '4,3' }),
      Plot.link([0], { x1: mu, y1: 0, x2: mu + Z975 * maxSe, y2: maxSe, stroke: '#999', strokeDasharray: '4,3' }),
      Plot.ruleX([mu], { stroke: '#d03f3f' }),
      Plot.dot(studies, { x: 'yi', y: 'sei', fill: '#4269d0', r: 3.5 }),
    ],
  });
}

/**
 * The estimated marginal means: each level's mean (point) and confidence interval (bar), one
 * panel per by group (stacked, so that it fits a phone's width).
 */
export function emmPlot(rows: { level: string; group: string; estimate: number; lower: number; upper: number }[], xLabel: string, level: number, width: number): Element {
  const levels = [...new Set(rows.map((r) => r.level))];
  const groups = [...new Set(rows.map((r) => r.group))];
  const faceted = groups.length > 1 || groups[0] !== '';
  const longest = Math.min(24, Math.max(4, ...levels.map((l) => l.length)));
  const perPanel = 20 * levels.length + 10;
  return Plot.plot({
    width,
    height: 50 + perPanel * groups.length,
    marginLeft: Math.min(170, 14 + 6.5 * longest),
    marginRight: faceted ? Math.min(130, 14 + 6 * Math.max(...groups.map((g) => g.length))) : 20,
    style: { fontSize: `${FONT}px` },
    x: { label: `${xLabel} (${Math.round(level * 1000) / 10}% CI) →`, grid: true },
    y: { label: null, domain: levels, tickFormat: (l: string) => l.slice(0, 24) },
    fy: faceted ? { label: null, domain: groups } : undefined,
    marks: [
      Plot.ruleY(rows, { y: 'level', x1: 'lower', x2: 'upper', fy: faceted ? 'group' : undefined, stroke: '#4269d0', strokeWidth: 2 }),
      Plot.dot(rows, { y: 'level', x: 'estimate', fy: faceted ? 'group' : undefined, fill: '#1a1a1a', r: 3.5 }),
      Plot.tip(rows, Plot.pointerY({ y: 'level', x: 'estimate', fy: faceted ? 'group' : undefined, title: (d: { level: string; group: string; estimate: number; lower: number; upper: number }) => `${d.level}${d.group ? ` (${d.group})` : ''}\n${fmt(d.estimate, 5)} [${fmt(d.lower, 5)}, ${fmt(d.upper, 5)}]` })),
    ],
  });
}

/**
 * multcomp's plot.confint.glht: one horizontal interval per hypothesis (the first at the top), its estimate a
 * point, a dashed line at 0; an open end (a one-sided interval) drawn to the domain's edge with an arrow.
 */
export function glhtPlot(rows: { name: string; estimate: number; lower: number; upper: number; lowerOpen: boolean; upperOpen: boolean }[], domain: [number, number], level: number, width: number): Element {
  const longest = Math.min(40, Math.max(4, ...rows.map((r) => r.name.length)));
  return Plot.plot({
    width,
    height: 50 + 24 * rows.length,
    marginLeft: Math.min(260, 14 + 6.5 * longest),
    marginRight: 20,
    style: { fontSize: `${FONT}px` },
    x: { label: `${Math.round(level * 1000) / 10}% family-wise confidence level →`, grid: true, domain },
    y: { label: null, domain: rows.map((r) => r.name), tickFormat: (l: string) => l.slice(0, 40) },
    marks: [
      Plot.ruleX([0], { strokeDasharray: '4,3', stroke: '#555' }),
      Plot.ruleY(rows, { y: 'name', x1: 'lower', x2: 'upper', stroke: '#1a1a1a', strokeWidth: 1.5 }),
      Plot.tickX(rows.filter((r) => !r.lowerOpen), { y: 'name', x: 'lower', stroke: '#1a1a1a' }),
      Plot.tickX(rows.filter((r) => !r.upperOpen), { y: 'name', x: 'upper', stroke: '#1a1a1a' }),
      Plot.text(rows.filter((r) => r.lowerOpen), { y: 'name', x: 'lower', text: () => '◀', textAnchor: 'start' }),
      Plot.text(rows.filter((r) => r.upperOpen), { y: 'name', x: 'upper', text: () => '▶', textAnchor: 'end' }),
      Plot.dot(rows, { y: 'name', x: 'estimate', fill: '#1a1a1a', r: 3 }),
      Plot.tip(rows, Plot.pointerY({ y: 'name', x: 'estimate', title: (d: { name: string; estimate: number; lower: number; upper: number; lowerOpen: boolean; upperOpen: boolean }) => `${d.name}\n${fmt(d.estimate, 5)} [${d.lowerOpen ? '-Inf' : fmt(d.lower, 5)}, ${d.upperOpen ? 'Inf' : fmt(d.upper, 5)}]` })),
    ],
  });
}

/**
 * Cook's distances of case-deletion influence (lme4's cooks.distance(influence(fit))): one bar per
 * unit, largest first (the caller passes the largest few; the table's heading names the units).
 */
export function cooksPlot(bars: { unit: string; cooks: number }[], width: number): Element {
  const longest = Math.min(24, Math.max(3, ...bars.map((b) => b.unit.length)));
  return Plot.plot({
    width,
    style: { fontSize: `${FONT}px` },
    height: 44 + 16 * bars.length,
    marginLeft: Math.min(170, 14 + 6.5 * longest),
    marginRight: 56,
    x: { label: "Cook's distance →", grid: true },
    y: { label: null, domain: bars.map((b) => b.unit), tickFormat: (u: string) => u.slice(0, 24) },
    marks: [
      Plot.barX(bars, { x: 'cooks', y: 'unit', fill: '#4269d0' }),
      Plot.text(bars, { x: 'cooks', y: 'unit', text: (d: { cooks: number }) => fmt(d.cooks, 3), dx: 4, textAnchor: 'start' }),
      Plot.ruleX([0]),
    ],
  });
}

/**
 * simr's plot of a powerCurve: the power (%) at each break with its 95% Clopper–Pearson interval as an
 * error bar, joined by a line, with the target power of 80% (simr's dashed line) and the axis 0–100 %.
 */
export function powerCurvePlot(points: { x: number; power: number; lower: number; upper: number; label: string }[], xLabel: string, width: number): Element {
  // the error bars' caps (x is continuous): a fifth of the closest breaks' distance, at most 1/80 of the axis
  const xs = points.map((p) => p.x).sort((a, b) => a - b);
  const gaps = xs.slice(1).map((x, i) => x - xs[i]!).filter((d) => d > 0);
  const range = xs.length > 1 ? xs[xs.length - 1]! - xs[0]! : 1;
  const cap = Math.min((gaps.length ? Math.min(...gaps) : 1) / 5, range / 80);
  return Plot.plot({
    width,
    height: 300,
    marginLeft: 48,
    marginRight: 20,
    style: { fontSize: `${FONT}px` },
    x: { label: `${xLabel} →`, ticks: points.length <= 12 ? points.map((p) => p.x) : undefined, tickFormat: 'd' },
    y: { label: '↑ power (%)', domain: [0, 100], grid: true },
    marks: [
      Plot.ruleY([80], { stroke: '#c44', strokeDasharray: '4,3' }),
      Plot.line(points, { x: 'x', y: 'power', stroke: '#4269d0' }),
      Plot.ruleX(points, { x: 'x', y1: 'lower', y2: 'upper', stroke: '#1a1a1a', strokeWidth: 1.5 }),
      Plot.ruleY(points, { y: 'lower', x1: (d: { x: number }) => d.x - cap, x2: (d: { x: number }) => d.x + cap, stroke: '#1a1a1a' }),
      Plot.ruleY(points, { y: 'upper', x1: (d: { x: number }) => d.x - cap, x2: (d: { x: number }) => d.x + cap, stroke: '#1a1a1a' }),
      Plot.dot(points, { x: 'x', y: 'power', fill: '#4269d0', r: 3.5 }),
      Plot.tip(points, Plot.pointerX({ x: 'x', y: 'power', title: (d: { x: number; power: number; lower: number; upper: number; label: string }) => `${d.x}: ${d.power.toFixed(2)}% (${d.lower.toFixed(2)}, ${d.upper.toFixed(2)})\n${d.label} successes` })),
    ],
  });
}

/**
 * DHARMa's QQ plot of the scaled residuals (plotQQunif: gap::qqunif, the sorted residuals against the
 * expected uniform quantiles i/(n + 1)) with the y = x line and its three legends (the KS, dispersion
 * and outlier tests' p-values; red where p < 0.05, DHARMa's signal colour).
 */
export function dharmaQqPlot(points: { expected: number; observed: number }[], legends: { anchor: 'top-left' | 'middle' | 'bottom-right'; lines: [string, string]; significant: boolean }[], width: number): Element {
  const size = Math.round(Math.min(440, Math.max(200, width)));
  return Plot.plot({
    width: size,
    height: size,
    grid: true,
    style: { fontSize: `${FONT}px` },
    x: { label: 'Expected →', domain: [0, 1] },
    y: { label: '↑ Observed', domain: [0, 1] },
    marks: [
      Plot.link([0], { x1: 0, y1: 0, x2: 1, y2: 1, stroke: '#d03f3f', strokeWidth: 1.5 }),
      Plot.dot(points, { x: 'expected', y: 'observed', r: points.length > 500 ? 1.5 : 2.5, symbol: 'triangle', stroke: '#1a1a1a', strokeWidth: 0.8 }),
      ...legends.map((l) => Plot.text([l.lines.join('\n')], {
        frameAnchor: l.anchor === 'middle' ? 'middle' : l.anchor, dx: l.anchor === 'top-left' ? 6 : l.anchor === 'bottom-right' ? -6 : 0, dy: l.anchor === 'top-left' ? 6 : l.anchor === 'bottom-right' ? -6 : 0,
        fill: l.significant ? '#d03f3f' : '#1a1a1a', lineAnchor: l.anchor === 'bottom-right' ? 'bottom' : l.anchor === 'top-left' ? 'top' : 'middle',
        textAnchor: l.anchor === 'top-left' ? 'start' : l.anchor === 'bottom-right' ? 'end' : 'middle',
      })),
    ],
  });
}

/**
 * DHARMa's residuals against the rank-transformed predictions (plotResiduals, rank = TRUE): each
 * scaled residual at rank(ŷ)/max rank, the simulation outliers (0 or 1) in red, dashed lines at the
 * uniform's quartiles 0.25, 0.5, 0.75. DHARMa's quantile regressions (qgam) are not drawn.
 */
export function dharmaResidualPlot(points: { x: number; residual: number; outlier: boolean }[], width: number): Element {
  const size = Math.round(Math.min(440, Math.max(200, width)));
  return Plot.plot({
    width: size,
    height: size,
    grid: true,
    style: { fontSize: `${FONT}px` },
    x: { label: 'Model predictions (rank transformed) →', domain: [0, 1] },
    y: { label: '↑ DHARMa residual', domain: [0, 1] },
    marks: [
      Plot.ruleY([0.25, 0.5, 0.75], { stroke: '#1a1a1a', strokeDasharray: '4,3', strokeWidth: 0.8 }),
      Plot.dot(points, { x: 'x', y: 'residual', r: points.length > 500 ? 1.5 : 2.5, symbol: (d: { outlier: boolean }) => (d.outlier ? 'asterisk' : 'triangle'),
        stroke: (d: { outlier: boolean }) => (d.outlier ? '#d03f3f' : '#1a1a1a'), strokeWidth: 0.8 }),
    ],
  });
}

/** one bar segment of the fitted category probabilities: a level of the variable, a category, its mean probability */
export interface ProbabilitySegment { level: string; category: string; order: number; probability: number; n: number }

/** The stacked bars' segments: per level of the variable, each category's mean fitted probability, in the categories' order. */
export function probabilitySegments(groups: { level: string; n: number; probs: number[] }[], categories: string[]): ProbabilitySegment[] {
  return groups.flatMap((g) => g.probs.map((probability, j) => ({ level: g.level, category: categories[j]!, order: j, probability, n: g.n })));
}

/** Stacked bars: the mean fitted probability of each ordered category per level of a variable (an ordinal fit's P(Y = j | x, b̃)). */
export function probabilityBarsPlot(groups: { level: string; n: number; probs: number[] }[], categories: string[], by: string, width: number): Element {
  const segs = probabilitySegments(groups, categories);
  return Plot.plot({
    width,
    style: { fontSize: `${FONT}px` },
    height: 60 + 22 * groups.length,
    marginLeft: Math.min(160, 24 + 7 * Math.max(...groups.map((g) => g.level.length), by.length)),
    marginRight: 20,
    x: { label: 'probability →', domain: [0, 1], tickFormat: '%', grid: true },
    // a numeric variable's values with 4 significant digits (0.3333 rather than 0.3333333333333333)
    y: { label: by, domain: groups.map((g) => g.level), tickFormat: (l: string) => (l.trim() !== '' && Number.isFinite(Number(l)) ? fmt(Number(l), 4) : l) },
    // an ordered scheme whose lowest category is not white
    color: { type: 'ordinal', scheme: 'viridis', domain: categories, legend: true },
    marks: [
      Plot.barX(segs, Plot.stackX({ x: 'probability', y: 'level', fill: 'category', order: 'order' })),
      Plot.tip(segs, Plot.pointer(Plot.stackX({ x: 'probability', y: 'level', order: 'order',
        title: (d: ProbabilitySegment) => `${by} = ${d.level} (${d.n} rows)\nP(${d.category}) = ${fmt(d.probability, 4)}` }))),
      Plot.ruleX([0]),
    ],
  });
}

/**
 * Observed and expected frequencies of the counts 0 … K (and "> K") of a zero-inflated or hurdle fit, on a
 * square-root scale (a rootogram's scale, where a count's sampling variation is about the same size at
 * every height): the observed as bars, the expected (Σ_i P(y_i = k)) as points joined by a line.
 */
export function countFrequencyPlot(rows: { count: string; observed: number; expected: number }[], width: number): Element {
  const domain = rows.map((r) => r.count);
  return Plot.plot({
    width,
    style: { fontSize: `${FONT}px` },
    height: 280,
    marginLeft: 50,
    x: { label: 'count →', domain, padding: 0.15 },
    y: { label: '↑ rows (square-root scale)', type: 'sqrt', grid: true },
    color: { legend: true, domain: ['observed', 'expected'], range: ['#9ecae1', '#d6604d'] },
    marks: [
      Plot.barY(rows, { x: 'count', y: 'observed', fill: () => 'observed', title: (r: { count: string; observed: number; expected: number }) => `count ${r.count}: observed ${r.observed}, expected ${fmt(r.expected, 4)}` }),
      Plot.line(rows, { x: 'count', y: 'expected', stroke: () => 'expected', strokeWidth: 1.5 }),
      Plot.dot(rows, { x: 'count', y: 'expected', fill: () => 'expected', r: 3 }),
      Plot.ruleY([0]),
    ],
  });
}

/**
 * A beta or gaussian glmmTMB fit's response histogram: the rows in each bin [lo, hi) as bars, and the fitted
 * model's expected number per bin (Σ_i F_i(hi) − F_i(lo)) as points at the bins' middles joined by a line.
 */
export function responseHistogramPlot(bins: { lo: number; hi: number; observed: number; expected: number }[], width: number, response = 'response'): Element {
  const mid = bins.map((b) => ({ ...b, x: (b.lo + b.hi) / 2 }));
  return Plot.plot({
    width,
    style: { fontSize: `${FONT}px` },
    height: 280,
    marginLeft: 50,
    marginRight: 24,
    x: { label: `${response} →`, domain: [bins[0]?.lo ?? 0, bins.at(-1)?.hi ?? 1] },
    y: { label: '↑ rows', grid: true },
    color: { legend: true, domain: ['observed', 'expected'], range: ['#9ecae1', '#d6604d'] },
    marks: [
      Plot.rectY(mid, { x1: 'lo', x2: 'hi', y: 'observed', fill: () => 'observed', inset: 0.5, title: (b: { lo: number; hi: number; observed: number; expected: number }) => `[${fmt(b.lo, 4)}, ${fmt(b.hi, 4)}): observed ${b.observed}, expected ${fmt(b.expected, 4)}` }),
      Plot.line(mid, { x: 'x', y: 'expected', stroke: () => 'expected', strokeWidth: 1.5 }),
      Plot.dot(mid, { x: 'x', y: 'expected', fill: () => 'expected', r: 3 }),
      Plot.ruleY([0]),
    ],
  });
}

/**
 * A smooth's plot as mgcv's plot.gam draws it: the smooth's value against its covariate with ± 2 SE
 * (the band), and the data's covariate values as a rug along the bottom.
 */
export function smoothPlot(p: { label: string; term: string; x: number[]; fit: number[]; lower: number[]; upper: number[]; rug: number[] }, width: number): Element {
  const rows = p.x.map((x, i) => ({ x, fit: p.fit[i]!, lower: p.lower[i]!, upper: p.upper[i]! }));
  const lo = Math.min(...p.lower);
  const hi = Math.max(...p.upper);
  const tick = (hi - lo) * 0.04 || 0.04;
  return Plot.plot({
    width,
    height: 280,
    marginLeft: 56,
    marginRight: 20,
    style: { fontSize: `${FONT}px` },
    x: { label: `${p.term} →` },
    y: { label: `↑ ${p.label}`, domain: [lo - tick, hi], grid: true },
    marks: [
      Plot.ruleY([0], { stroke: '#888', strokeDasharray: '4,3' }),
      Plot.areaY(rows, { x: 'x', y1: 'lower', y2: 'upper', fill: '#4269d0', fillOpacity: 0.2 }),
      Plot.line(rows, { x: 'x', y: 'lower', stroke: '#4269d0', strokeDasharray: '4,3' }),
      Plot.line(rows, { x: 'x', y: 'upper', stroke: '#4269d0', strokeDasharray: '4,3' }),
      Plot.line(rows, { x: 'x', y: 'fit', stroke: '#1a1a1a', strokeWidth: 1.5 }),
      Plot.ruleX(p.rug, { x: (d: number) => d, y1: lo - tick, y2: lo - tick * 0.2, stroke: '#1a1a1a', strokeOpacity: 0.5 }),
      Plot.tip(rows, Plot.pointerX({ x: 'x', y: 'fit', title: (d: { x: number; fit: number; lower: number; upper: number }) => `${p.term} = ${d.x.toPrecision(4)}\n${p.label} = ${d.fit.toPrecision(4)} (± 2 SE: ${d.lower.toPrecision(4)}, ${d.upper.toPrecision(4)})` })),
    ],
  });
}

/**
 * nlmer's fitted curves: each level's conditional model curve (the library's predict on a grid of the
 * covariate) over that level's data points, one colour per level (at most MAX_NLMER_CURVES levels).
 */
export function nlmerCurvesPlot(c: { x: string; y: string; group: string; points: { x: number; y: number; group: string }[]; lines: { x: number; fit: number; group: string }[]; levels: string[] }, width: number): Element {
  return Plot.plot({
    width,
    height: 320,
    marginLeft: 56,
    marginRight: 20,
    style: { fontSize: `${FONT}px` },
    x: { label: `${c.x} →` },
    y: { label: `↑ ${c.y}`, grid: true },
    color: { type: 'categorical', domain: c.levels, legend: true, label: c.group },
    marks: [
      Plot.line(c.lines, { x: 'x', y: 'fit', z: 'group', stroke: 'group', strokeWidth: 1.5 }),
      Plot.dot(c.points, { x: 'x', y: 'y', fill: 'group', r: 3 }),
      Plot.tip(c.points, Plot.pointer({ x: 'x', y: 'y', title: (d: { x: number; y: number; group: string }) => `${c.group} ${d.group}\n${c.x} = ${fmt(d.x, 4)}, ${c.y} = ${fmt(d.y, 4)}` })),
    ],
  });
}

/**
 * ggeffects's plot of adjusted predictions: over a numeric x the predicted line with its interval as a
 * ribbon, over a factor x points with error bars (dodged by group); one colour per group level (with a
 * legend), one panel per facet value.
 */
export function ggPlot(rows: { x: number | string; predicted: number; low: number; high: number; group: string; facet: string }[],
  o: { xKind: 'numeric' | 'factor'; xLabel: string; yLabel: string; groupLabel: string; intervalLabel: string }, width: number): Element {
  type R = (typeof rows)[number];
  const groups = [...new Set(rows.map((r) => r.group))];
  const facets = [...new Set(rows.map((r) => r.facet))];
  const grouped = groups.length > 1 || groups[0] !== '';
  const faceted = facets.length > 1 || facets[0] !== '';
  const fy = faceted ? 'facet' : undefined;
  const color = grouped ? { legend: true, label: o.groupLabel, domain: groups } : undefined;
  const stroke = grouped ? 'group' : '#4269d0';
  const title = (d: R) => `${o.xLabel} = ${d.x}${d.group ? `, ${o.groupLabel} = ${d.group}` : ''}${d.facet ? `, ${d.facet}` : ''}\n${fmt(d.predicted, 5)} [${fmt(d.low, 5)}, ${fmt(d.high, 5)}]`;
  const panel = 240;
  const common = {
    width,
    height: 40 + panel * facets.length,
    marginLeft: 56,
    marginRight: faceted ? 110 : 20,
    style: { fontSize: `${FONT}px` },
    y: { label: `↑ ${o.yLabel} (${o.intervalLabel})`, grid: true },
    fy: faceted ? { label: null, domain: facets } : undefined,
    color,
  };
  if (o.xKind === 'numeric') {
    const line = rows.map((r) => ({ ...r, x: r.x as number }));
    return Plot.plot({
      ...common,
      x: { label: `${o.xLabel} →` },
      marks: [
        Plot.areaY(line, { x: 'x', y1: 'low', y2: 'high', z: grouped ? 'group' : undefined, fill: stroke, fillOpacity: 0.18, fy }),
        Plot.line(line, { x: 'x', y: 'predicted', z: grouped ? 'group' : undefined, stroke, strokeWidth: 2, fy }),
        Plot.dot(line, { x: 'x', y: 'predicted', fill: stroke, r: 2.5, fy }),
        Plot.tip(line, Plot.pointer({ x: 'x', y: 'predicted', fy, title })),
      ],
    });
  }
  // a factor x: its levels as panels of the x axis (fx), the groups dodged within each
  const levels = [...new Set(rows.map((r) => String(r.x)))];
  const pts = rows.map((r) => ({ ...r, x: String(r.x) }));
  return Plot.plot({
    ...common,
    marginBottom: 40,
    fx: { label: `${o.xLabel} →`, domain: levels, padding: 0.1 },
    x: grouped ? { axis: null, domain: groups, padding: 0.3 } : { axis: null, domain: [''] },
    marks: [
      Plot.ruleX(pts, { fx: 'x', x: grouped ? 'group' : () => '', y1: 'low', y2: 'high', stroke, strokeWidth: 2, fy }),
      Plot.dot(pts, { fx: 'x', x: grouped ? 'group' : () => '', y: 'predicted', fill: stroke, r: 3.5, fy }),
      Plot.tip(pts, Plot.pointer({ fx: 'x', x: grouped ? 'group' : () => '', y: 'predicted', fy, title })),
    ],
  });
}

/**
 * One parameter's likelihood profile of a glmmTMB fit (the Intervals card, method "profile"), as lme4's
 * xyplot of a profile: ζ = sign(x − x̂) √(deviance difference) against the parameter x (glmmTMB's .focal),
 * the points of tmbprofile's walk joined, dashed lines at ζ = ±z and the interval's ends (red) where ζ
 * crosses them; an NA end is not drawn.
 */
export function tmbProfilePlot(s: { name: string; points: { focal: number; value: number; zeta: number }[]; lower: number | null; upper: number | null; z: number }, width: number): Element {
  const ends = [s.lower, s.upper].filter((v): v is number => v !== null);
  return Plot.plot({
    width,
    height: 220,
    marginLeft: 44,
    marginRight: 16,
    style: { fontSize: `${FONT}px` },
    x: { label: `${s.name} →`, grid: true },
    y: { label: '↑ ζ', grid: true },
    marks: [
      Plot.ruleY([0], { stroke: '#888' }),
      Plot.ruleY([-s.z, s.z], { stroke: '#888', strokeDasharray: '4,3' }),
      Plot.ruleX(ends, { stroke: '#d03f3f', strokeWidth: 1.5 }),
      Plot.dot(ends.map((x, i) => ({ x, y: (s.lower !== null && i === 0 ? -1 : 1) * s.z })), { x: 'x', y: 'y', fill: '#d03f3f', r: 3.5 }),
      Plot.line(s.points, { x: 'focal', y: 'zeta', stroke: '#4269d0' }),
      Plot.dot(s.points, { x: 'focal', y: 'zeta', fill: '#4269d0', r: 2.5 }),
      Plot.tip(s.points, Plot.pointerX({ x: 'focal', y: 'zeta', title: (d: { focal: number; value: number; zeta: number }) => `${s.name} = ${fmt(d.focal, 5)}\nζ = ${fmt(d.zeta, 4)}\n−log L − min = ${fmt(d.value, 4)}` })),
    ],
  });
}

/**
 * merTools's plotREsim, one panel (a grouping factor's term): the levels ranked by the median on the x axis
 * (plotREsim leaves their labels out), each level's median with its interval median ± z·sd, a line at 0, and
 * the intervals that exclude 0 marked (plotREsim's black against grey).
 */
export function reSimPlot(p: { groupFctr: string; term: string; rows: { rank: number; groupID: string; median: number; ymin: number; ymax: number; sig: boolean }[] }, level: number, width: number): Element {
  return Plot.plot({
    width,
    height: 240,
    marginLeft: 56,
    marginRight: 16,
    style: { fontSize: `${FONT}px` },
    x: { label: `${p.groupFctr} (levels ranked by the median) →`, ticks: [] },
    y: { label: `↑ ${p.term} (${Math.round(level * 1000) / 10}% interval)`, grid: true },
    marks: [
      Plot.ruleY([0], { strokeDasharray: '4,3', stroke: '#555' }),
      Plot.ruleX(p.rows, { x: 'rank', y1: 'ymin', y2: 'ymax', stroke: (d: { sig: boolean }) => (d.sig ? '#1a1a1a' : '#b0b0b0'), strokeWidth: 1.2 }),
      Plot.dot(p.rows, { x: 'rank', y: 'median', fill: (d: { sig: boolean }) => (d.sig ? '#c0392b' : '#808080'), r: 2.2 }),
      Plot.tip(p.rows, Plot.pointerX({ x: 'rank', y: 'median', title: (d: { groupID: string; median: number; ymin: number; ymax: number; sig: boolean }) => `${p.groupFctr} ${d.groupID}\nmedian ${fmt(d.median, 5)} [${fmt(d.ymin, 5)}, ${fmt(d.ymax, 5)}]${d.sig ? '\nexcludes 0' : ''}` })),
    ],
  });
}
