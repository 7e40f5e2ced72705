/**
 * The result plots, drawn with Observable Plot: the share of variance per level, a caterpillar plot
 * of conditional modes with ±1.96 conditional-SD intervals, and the shrinkage plot (each level's own
 * OLS estimate against its partially pooled estimate β + b̂_g).
 */
import * as Plot from '@observablehq/plot';
import type { RanefMsg, ShrinkageMsg } from './protocol.js';
import { fmt } from './dom.js';

const Z975 = 1.959963984540054;
/** most levels drawn in one caterpillar or shrinkage plot (evenly spread over the sorted levels) */
export const MAX_CATERPILLAR = 40;
export const MAX_SHRINKAGE = 1500;

export function sharePlot(shares: { group: string; variance: number; share: number }[], width: number): Element {
  return Plot.plot({
    width,
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
  const many = rows.length > 300;
  return Plot.plot({
    width,
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
