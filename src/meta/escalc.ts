/**
 * Effect sizes and their sampling variances from raw study data (metafor's escalc), with metafor's
 * conventions:
 *
 *   2×2 tables (ai, bi events/non-events in group 1; ci, di in group 2; bi = n1i − ai, di = n2i − ci):
 *     RR  log risk ratio       yi = log(p1/p2),             vi = 1/ai − 1/n1i + 1/ci − 1/n2i
 *     OR  log odds ratio       yi = log(p1/(1−p1)) − log(p2/(1−p2)),  vi = 1/ai + 1/bi + 1/ci + 1/di
 *     RD  risk difference      yi = p1 − p2,  vi = p1(1−p1)/n1i + p2(1−p2)/n2i   (UB: n − 1)
 *     with `add` (½) added to every cell of the studies with a zero cell (to = 'only0', default),
 *     of all studies ('all'), of all studies if any has a zero ('if0all') or none; drop00 drops
 *     studies with no events (or only events) in both groups;
 *   means and SDs (m1i, sd1i, n1i; m2i, sd2i, n2i):
 *     MD  mean difference      yi = m1 − m2,  vi = sd1²/n1 + sd2²/n2   (HO: s_p²(1/n1 + 1/n2))
 *     SMD Hedges' g            yi = c(m) d,  d = (m1 − m2)/s_p,  m = n1 + n2 − 2,
 *                              c(m) = Γ(m/2) / (√(m/2) Γ((m−1)/2)) (exact bias correction),
 *                              vi = 1/n1 + 1/n2 + yi²/(2(n1 + n2))   (UB: 1/n1 + 1/n2 + (1 − (m−2)/(m c²)) yi²)
 *     ROM log ratio of means   yi = log(m1/m2),  vi = sd1²/(n1 m1²) + sd2²/(n2 m2²)
 *   correlations (ri, ni):
 *     COR raw correlation      yi = ri,  vi = (1 − ri²)²/(ni − 1)
 *     ZCOR Fisher's z          yi = atanh(ri),  vi = 1/(ni − 3)   (missing for ni ≤ 3)
 *   proportions (xi events of ni; mi = ni − xi), with add/to as for 2×2 tables:
 *     PR  raw proportion       yi = xi/ni,  vi = p(1 − p)/ni   (UB: ni − 1)
 *     PLO logit                yi = log(p/(1 − p)),  vi = 1/xi + 1/mi
 * Missing inputs (NaN) give missing outcomes; invalid inputs are errors naming the study.
 */
import { lgamma } from '../glmm/rmath.js';

export type EffectMeasure = 'RR' | 'OR' | 'RD' | 'MD' | 'SMD' | 'ROM' | 'COR' | 'ZCOR' | 'PR' | 'PLO';
export const EFFECT_MEASURES: readonly EffectMeasure[] = ['RR', 'OR', 'RD', 'MD', 'SMD', 'ROM', 'COR', 'ZCOR', 'PR', 'PLO'];

/** The columns each measure reads (metafor's argument names); alternatives separated by '|'. */
export const MEASURE_INPUTS: Record<EffectMeasure, string[]> = {
  RR: ['ai', 'bi|n1i', 'ci', 'di|n2i'],
  OR: ['ai', 'bi|n1i', 'ci', 'di|n2i'],
  RD: ['ai', 'bi|n1i', 'ci', 'di|n2i'],
  MD: ['m1i', 'sd1i', 'n1i', 'm2i', 'sd2i', 'n2i'],
  SMD: ['m1i', 'sd1i', 'n1i', 'm2i', 'sd2i', 'n2i'],
  ROM: ['m1i', 'sd1i', 'n1i', 'm2i', 'sd2i', 'n2i'],
  COR: ['ri', 'ni'],
  ZCOR: ['ri', 'ni'],
  PR: ['xi', 'mi|ni'],
  PLO: ['xi', 'mi|ni'],
};

export type EscalcInput = Partial<Record<'ai' | 'bi' | 'ci' | 'di' | 'n1i' | 'n2i' | 'm1i' | 'm2i' | 'sd1i' | 'sd2i' | 'ri' | 'ni' | 'xi' | 'mi', ArrayLike<number>>>;

export interface EscalcOptions {
  /** added to cells (default ½) */
  add?: number;
  /** which studies get `add` (default 'only0') */
  to?: 'all' | 'only0' | 'if0all' | 'none';
  /** drop studies with no events (or only events) in both groups (default false) */
  drop00?: boolean;
  /** sampling-variance type: 'LS' (default), 'UB' (RD, SMD, PR), 'HO' (MD, ROM) */
  vtype?: 'LS' | 'UB' | 'HO';
  /** study labels for error messages (default: row numbers) */
  labels?: readonly string[];
}

export interface EscalcResult {
  measure: EffectMeasure;
  yi: Float64Array;
  vi: Float64Array;
  /** notes such as missing variances (metafor's warnings) */
  messages: string[];
}

/** c(m) = Γ(m/2) / (√(m/2) Γ((m − 1)/2)), Hedges' exact small-sample correction (metafor's .cmicalc). */
export function hedgesCorrection(m: number): number {
  return m <= 1 ? NaN : Math.exp(lgamma(m / 2) - Math.log(Math.sqrt(m / 2)) - lgamma((m - 1) / 2));
}

export function isEffectMeasure(m: string): m is EffectMeasure {
  return (EFFECT_MEASURES as readonly string[]).includes(m);
}

/** metafor's escalc for one measure. */
export function escalc(measure: EffectMeasure, input: EscalcInput, options: EscalcOptions = {}): EscalcResult {
  if (!isEffectMeasure(measure)) throw new Error(`unknown effect-size measure '${measure}' (one of ${EFFECT_MEASURES.join(', ')})`);
  const k = studyCount(measure, input);
  const label = (i: number) => (options.labels ? `study ${i + 1} ('${options.labels[i]}')` : `study ${i + 1}`);
  const get = (name: keyof EscalcInput): Float64Array | null => {
    const col = input[name];
    return col ? Float64Array.from(col as ArrayLike<number>, (x) => (x === null || x === undefined ? NaN : Number(x))) : null;
  };
  const vtype = options.vtype ?? 'LS';
  const allowed: Record<EffectMeasure, string[]> = {
    RR: ['LS'], OR: ['LS'], RD: ['LS', 'UB'], MD: ['LS', 'UB', 'HO'], SMD: ['LS', 'UB'], ROM: ['LS', 'HO'],
    COR: ['LS'], ZCOR: ['LS'], PR: ['LS', 'UB'], PLO: ['LS'],
  };
  if (!allowed[measure].includes(vtype)) throw new Error(`vtype '${vtype}' is not available for measure ${measure} (one of ${allowed[measure].join(', ')})`);
  const yi = new Float64Array(k).fill(NaN);
  const vi = new Float64Array(k).fill(NaN);
  const messages: string[] = [];
  switch (measure) {
    case 'RR': case 'OR': case 'RD':
      twoByTwo(measure, k, get, options, vtype, label, yi, vi);
      break;
    case 'MD': case 'SMD': case 'ROM':
      means(measure, k, get, vtype, label, yi, vi);
      break;
    case 'COR': case 'ZCOR': {
      const ri = need(get, 'ri', measure), ni = need(get, 'ni', measure);
      for (let i = 0; i < k; i++) {
        const r = ri[i], n = ni[i];
        if (Number.isNaN(r) || Number.isNaN(n)) continue;
        if (Math.abs(r) > 1) throw new Error(`${label(i)}: correlation ri = ${r} is not in [−1, 1]`);
        if (!(n > 0)) throw new Error(`${label(i)}: sample size ni = ${n} is not positive`);
        if (measure === 'COR') {
          yi[i] = r;
          vi[i] = (1 - r * r) ** 2 / (n - 1);
        } else {
          yi[i] = 0.5 * Math.log((1 + r) / (1 - r));
          vi[i] = n <= 3 ? NaN : 1 / (n - 3);
        }
      }
      if (measure === 'ZCOR' && Array.from(ni).some((n) => n <= 3)) messages.push('cannot estimate the sampling variance when ni <= 3 (vi missing)');
      break;
    }
    case 'PR': case 'PLO':
      proportions(measure, k, get, options, vtype, label, yi, vi);
      break;
  }
  return { measure, yi, vi, messages };
}

function studyCount(measure: EffectMeasure, input: EscalcInput): number {
  let k = -1;
  for (const [name, col] of Object.entries(input)) {
    if (!col) continue;
    if (k >= 0 && col.length !== k) throw new Error(`escalc ${measure}: column '${name}' has ${col.length} values, the others ${k}`);
    k = col.length;
  }
  if (k < 0) throw new Error(`escalc ${measure}: no input columns (it needs ${MEASURE_INPUTS[measure].join(', ')})`);
  return k;
}

type Getter = (name: keyof EscalcInput) => Float64Array | null;

function need(get: Getter, name: keyof EscalcInput, measure: EffectMeasure): Float64Array {
  const x = get(name);
  if (!x) throw new Error(`escalc ${measure} needs '${name}' (it reads ${MEASURE_INPUTS[measure].join(', ')})`);
  return x;
}

/** One of two columns: `a`, or `total − b` from a group size. */
function complement(get: Getter, a: keyof EscalcInput, total: keyof EscalcInput, events: Float64Array, measure: EffectMeasure): Float64Array {
  const x = get(a);
  if (x) return x;
  const n = get(total);
  if (!n) throw new Error(`escalc ${measure} needs '${a}' or '${total}' (it reads ${MEASURE_INPUTS[measure].join(', ')})`);
  return Float64Array.from(n, (ni, i) => ni - events[i]);
}

function twoByTwo(measure: 'RR' | 'OR' | 'RD', k: number, get: Getter, options: EscalcOptions, vtype: string,
  label: (i: number) => string, yi: Float64Array, vi: Float64Array): void {
  const ai = need(get, 'ai', measure), ci = need(get, 'ci', measure);
  const bi = complement(get, 'bi', 'n1i', ai, measure), di = complement(get, 'di', 'n2i', ci, measure);
  const n1 = get('n1i'), n2 = get('n2i');
  for (let i = 0; i < k; i++) {
    if (get('bi') && n1 && !Number.isNaN(n1[i]) && n1[i] !== ai[i] + bi[i]) throw new Error(`${label(i)}: n1i = ${n1[i]} is not ai + bi = ${ai[i] + bi[i]}`);
    if (get('di') && n2 && !Number.isNaN(n2[i]) && n2[i] !== ci[i] + di[i]) throw new Error(`${label(i)}: n2i = ${n2[i]} is not ci + di = ${ci[i] + di[i]}`);
    for (const [nm, x] of [['ai', ai[i]], ['bi', bi[i]], ['ci', ci[i]], ['di', di[i]]] as const) {
      if (x < 0) throw new Error(`${label(i)}: ${nm} = ${x} is negative${nm === 'bi' || nm === 'di' ? ' (more events than the group size?)' : ''}`);
    }
  }
  const cells = [ai, bi, ci, di].map((c) => Float64Array.from(c));
  const missing = (i: number) => cells.some((c) => Number.isNaN(c[i]));
  if (options.drop00) {
    for (let i = 0; i < k; i++) {
      if ((ai[i] === 0 && ci[i] === 0) || (bi[i] === 0 && di[i] === 0)) for (const c of cells) c[i] = NaN;
    }
  }
  addToCells(cells, k, options, missing);
  const [a, b, c, d] = cells;
  for (let i = 0; i < k; i++) {
    if (missing(i)) continue;
    const n1i = a[i] + b[i], n2i = c[i] + d[i];
    const p1 = a[i] / n1i, p2 = c[i] / n2i;
    if (measure === 'RR') {
      yi[i] = Math.log(p1) - Math.log(p2);
      vi[i] = 1 / a[i] - 1 / n1i + 1 / c[i] - 1 / n2i;
    } else if (measure === 'OR') {
      yi[i] = Math.log(p1 / (1 - p1)) - Math.log(p2 / (1 - p2));
      vi[i] = 1 / a[i] + 1 / b[i] + 1 / c[i] + 1 / d[i];
    } else {
      yi[i] = p1 - p2;
      const m = vtype === 'UB' ? 1 : 0;
      vi[i] = (p1 * (1 - p1)) / (n1i - m) + (p2 * (1 - p2)) / (n2i - m);
    }
  }
}

/** metafor's add/to rule for count data (cells: the counts of each study; a zero in any triggers 'only0'). */
function addToCells(cells: Float64Array[], k: number, options: EscalcOptions, missing: (i: number) => boolean): void {
  const add = options.add ?? 0.5;
  const to = options.to ?? 'only0';
  if (to === 'none' || add === 0) return;
  const hasZero = (i: number) => !missing(i) && cells.some((c) => c[i] === 0);
  const anyZero = Array.from({ length: k }, (_, i) => hasZero(i)).some(Boolean);
  for (let i = 0; i < k; i++) {
    if (to === 'all' || (to === 'only0' && hasZero(i)) || (to === 'if0all' && anyZero)) for (const c of cells) c[i] += add;
  }
}

function means(measure: 'MD' | 'SMD' | 'ROM', k: number, get: Getter, vtype: string, label: (i: number) => string,
  yi: Float64Array, vi: Float64Array): void {
  const m1 = need(get, 'm1i', measure), sd1 = need(get, 'sd1i', measure), n1 = need(get, 'n1i', measure);
  const m2 = need(get, 'm2i', measure), sd2 = need(get, 'sd2i', measure), n2 = need(get, 'n2i', measure);
  for (let i = 0; i < k; i++) {
    if ([m1, sd1, n1, m2, sd2, n2].some((c) => Number.isNaN(c[i]))) continue;
    if (sd1[i] < 0 || sd2[i] < 0) throw new Error(`${label(i)}: a standard deviation is negative (sd1i = ${sd1[i]}, sd2i = ${sd2[i]})`);
    if (!(n1[i] > 0) || !(n2[i] > 0)) throw new Error(`${label(i)}: a group size is not positive (n1i = ${n1[i]}, n2i = ${n2[i]})`);
    const m = n1[i] + n2[i] - 2;
    const sp2 = ((n1[i] - 1) * sd1[i] ** 2 + (n2[i] - 1) * sd2[i] ** 2) / m;
    if (measure === 'MD') {
      yi[i] = m1[i] - m2[i];
      vi[i] = vtype === 'HO' ? sp2 * (1 / n1[i] + 1 / n2[i]) : sd1[i] ** 2 / n1[i] + sd2[i] ** 2 / n2[i];
    } else if (measure === 'SMD') {
      const c = hedgesCorrection(m);
      const g = (c * (m1[i] - m2[i])) / Math.sqrt(sp2);
      yi[i] = g;
      vi[i] = vtype === 'UB'
        ? 1 / n1[i] + 1 / n2[i] + (1 - (m - 2) / (m * c * c)) * g * g
        : 1 / n1[i] + 1 / n2[i] + (g * g) / (2 * (n1[i] + n2[i]));
    } else {
      if (!(m1[i] > 0 && m2[i] > 0) && !(m1[i] < 0 && m2[i] < 0)) throw new Error(`${label(i)}: the ratio of means needs means of one sign (m1i = ${m1[i]}, m2i = ${m2[i]})`);
      yi[i] = Math.log(m1[i] / m2[i]);
      const s1 = vtype === 'HO' ? sp2 : sd1[i] ** 2, s2 = vtype === 'HO' ? sp2 : sd2[i] ** 2;
      vi[i] = s1 / (n1[i] * m1[i] ** 2) + s2 / (n2[i] * m2[i] ** 2);
    }
  }
}

function proportions(measure: 'PR' | 'PLO', k: number, get: Getter, options: EscalcOptions, vtype: string,
  label: (i: number) => string, yi: Float64Array, vi: Float64Array): void {
  const xi = need(get, 'xi', measure);
  const mi = complement(get, 'mi', 'ni', xi, measure);
  for (let i = 0; i < k; i++) {
    if (xi[i] < 0 || mi[i] < 0) throw new Error(`${label(i)}: negative count (xi = ${xi[i]}, mi = ${mi[i]}; more events than the sample size?)`);
  }
  const cells = [Float64Array.from(xi), Float64Array.from(mi)];
  const missing = (i: number) => cells.some((c) => Number.isNaN(c[i]));
  addToCells(cells, k, options, missing);
  const [x, mm] = cells;
  for (let i = 0; i < k; i++) {
    if (missing(i)) continue;
    const n = x[i] + mm[i];
    const p = x[i] / n;
    if (measure === 'PR') {
      yi[i] = p;
      vi[i] = (p * (1 - p)) / (vtype === 'UB' ? n - 1 : n);
    } else {
      yi[i] = Math.log(p / (1 - p));
      vi[i] = 1 / x[i] + 1 / mm[i];
    }
  }
}
