/**
 * The GLMM links of the SQL engines' PIRLS passes (./glmmPass.ts), in float64 as src/glmm/family.ts
 * evaluates them, with lme4's clamps at machine ε:
 *   logit    μ = min(1 − ε, plogis(η)),           dμ/dη = max(ε, dlogis(η))
 *   probit   μ = min(1 − ε, Φ(η)),                dμ/dη = φ(η)
 *   cloglog  μ = max(ε, min(1 − ε, −expm1(−e^η))), dμ/dη = max(ε, exp(η − e^η))
 *   log      μ = dμ/dη = max(ε, e^η)
 *   sqrt     μ = η²,  dμ/dη = 2η
 *   identity μ = η,   dμ/dη = 1
 *   cauchit  μ = min(1 − ε, pcauchy(η)),         dμ/dη = dcauchy(η) = 1/(π(1 + η²))
 *            (R's pcauchy: 1/2 + atan(η)/π for |η| ≤ 1, else 1 − atan(1/η)/π or −atan(1/η)/π, whose
 *            tails keep their relative accuracy; atan is in both engines' SQL, no clamp below)
 * Neither DuckDB nor ClickHouse 18.16 has a float64-accurate Φ (DuckDB has no erf/erfc; an erfc of
 * −η/√2 would lose ~2η²ε relative in the tail to the rounding of its argument), nor expm1/log1p, so:
 *  - Φ(η) is Cody's algorithm, R's pnorm and src/glmm/rmath.ts pnormInto, written out in SQL with the
 *    same coefficients and the same operations in the same order (`pnormLayers`);
 *  - expm1(x) and log1p(x) by Kahan's formulas, accurate to a few ulps where the naive forms are not:
 *      expm1(x) = (u − 1) x / log u,  u = eˣ  (x where u = 1; −1 where u − 1 = −1),
 *      log1p(x) = x log u / (u − 1),  u = 1 + x  (x where u = 1);
 *  - Φ⁻¹ (only for the probit link's starting η from R's mustart) as family.ts qnormApprox: Acklam's
 *    rational approximation, then two Newton steps on the SQL Φ.
 * Each helper returns frame layers (alias, expression) that later layers read, since an expression
 * used several times is better computed once (DuckDB nests a subquery per layer, ClickHouse puts the
 * aliases in one WITH).
 */
import { ModelError } from '../../errors/errors.js';
import type { LinkName } from '../../glmm/family.js';
import { PNORM_COEFFICIENTS } from '../../glmm/rmath.js';
import type { Dialect, FrameLayer } from './dialect.js';

/** The links the SQL passes evaluate. */
export const SQL_LINKS: readonly LinkName[] = ['logit', 'probit', 'cloglog', 'cauchit', 'log', 'sqrt', 'identity'];

/** A value computed over frame layers: the layers to add, then the expression (over their aliases). */
export interface LayeredValue { layers: FrameLayer[]; value: string }

/** Horner's scheme as pnormInto loops: acc = c0 · t; acc = (acc + c_i) · t for i in `order` */
function horner(d: Dialect, start: string, t: string, coef: number[], order: number[]): string {
  let acc = start;
  for (const i of order) acc = `((${acc} + ${d.double(coef[i])}) * ${t})`;
  return acc;
}

/**
 * Φ(x) (lower tail) of an alias `x` by Cody's algorithm (src/glmm/rmath.ts pnormInto), into the alias
 * `${tag}p`. With y = |x|:
 *   y ≤ 0.67448975:  Φ = ½ + x · A(x²)/B(x²)
 *   y ≤ √32:         Φ(−y) = e^{−y²/2} · C(y)/D(y)
 *   y < 37.5193:     Φ(−y) = e^{−y²/2} · (1/√(2π) − y⁻² P(y⁻²)/Q(y⁻²)) / y
 *   else             Φ(−y) = 0
 * with e^{−y²/2} = e^{−s²/2} e^{−(y − s)(y + s)/2}, s = ⌊16y⌋/16 (pnormInto takes s = trunc(16X)/16 of
 * X = x in the last range: the same bits, as (−y − (−s))(−y + (−s)) = (y − s)(y + s)); Φ(x) = 1 − Φ(−y) for x > 0.
 */
export function pnormLayers(d: Dialect, x: string, tag: string): LayeredValue {
  const { ONE_SQRT_2PI, PA, PB, PC, PD, PP, PQ } = PNORM_COEFFICIENTS;
  const y = `${tag}y`, xx = `${tag}xx`, ix = `${tag}ix`, tc = `${tag}tc`, tm = `${tag}tm`, tt = `${tag}tt`, temp = `${tag}t`, s = `${tag}s`, cum = `${tag}c`;
  const first: FrameLayer = [[y, `abs(${x})`], [xx, `(${x} * ${x})`], [ix, `(${d.double(1)} / (${x} * ${x}))`]];
  // the central range: x (A₄x² + …)/(x² + …)
  const cnum = horner(d, `(${d.double(PA[4])} * ${xx})`, xx, PA, [0, 1, 2]);
  const cden = horner(d, xx, xx, PB, [0, 1, 2]);
  // the middle range: C(y)/D(y)
  const mnum = horner(d, `(${d.double(PC[8])} * ${y})`, y, PC, [0, 1, 2, 3, 4, 5, 6]);
  const mden = horner(d, y, y, PD, [0, 1, 2, 3, 4, 5, 6]);
  // the asymptotic range in 1/y²
  const tnum = horner(d, `(${d.double(PP[5])} * ${ix})`, ix, PP, [0, 1, 2, 3]);
  const tden = horner(d, ix, ix, PQ, [0, 1, 2, 3]);
  const second: FrameLayer = [
    [tc, `((${x} * (${cnum} + ${d.double(PA[3])})) / (${cden} + ${d.double(PB[3])}))`],
    [tm, `((${mnum} + ${d.double(PC[7])}) / (${mden} + ${d.double(PD[7])}))`],
    [tt, `((${d.double(ONE_SQRT_2PI)} - ((${ix} * (${tnum} + ${d.double(PP[4])})) / (${tden} + ${d.double(PQ[4])}))) / ${y})`],
  ];
  const third: FrameLayer = [
    [temp, d.ifThen(`${y} <= ${d.double(5.656854249492380195206754896838)}`, tm, d.ifThen(`${y} < ${d.double(37.5193)}`, tt, d.double(0)))],
    [s, `(floor((${y} * ${d.double(16)})) / ${d.double(16)})`],
  ];
  const del = `((${y} - ${s}) * (${y} + ${s}))`;
  const fourth: FrameLayer = [[cum, d.ifThen(`${temp} = ${d.double(0)}`, d.double(0), `((exp((((-${s}) * ${s}) * ${d.double(0.5)})) * exp((-${del} * ${d.double(0.5)}))) * ${temp})`)]];
  const value = d.ifThen(`${y} <= ${d.double(0.67448975)}`, `(${d.double(0.5)} + ${tc})`, d.ifThen(`${x} > ${d.double(0)}`, `(${d.double(1)} - ${cum})`, cum));
  return { layers: [first, second, third, fourth], value };
}

/** φ(x) = (1/√(2π)) e^{(−x/2)·x}, as src/glmm/rmath.ts dnorm */
export function dnormSql(d: Dialect, x: string): string {
  return `(${d.double(PNORM_COEFFICIENTS.ONE_SQRT_2PI)} * exp(((${d.double(-0.5)} * ${x}) * ${x})))`;
}

/** expm1 of an alias `x` by Kahan's formula (header), u = eˣ in the alias `${tag}u` */
export function expm1Layers(d: Dialect, x: string, tag: string): LayeredValue {
  const u = `${tag}u`;
  return {
    layers: [[[u, `exp(${x})`]]],
    value: d.ifThen(`${u} = ${d.double(1)}`, x, d.ifThen(`(${u} - ${d.double(1)}) = ${d.double(-1)}`, d.double(-1), `(((${u} - ${d.double(1)}) * ${x}) / ${d.call('log', u, 'expm1')})`)),
  };
}

/** log1p of an alias `x` by Kahan's formula (header), u = 1 + x in the alias `${tag}u` */
export function log1pLayers(d: Dialect, x: string, tag: string): LayeredValue {
  const u = `${tag}u`;
  return {
    layers: [[[u, `(${d.double(1)} + ${x})`]]],
    value: d.ifThen(`${u} = ${d.double(1)}`, x, `((${x} * ${d.call('log', u, 'log1p')}) / (${u} - ${d.double(1)}))`),
  };
}

/** family.ts qnormApprox: Acklam's starting value for p (an alias in (0, 1)), then two Newton steps on Φ */
function qnormLayers(d: Dialect, p: string, tag: string): LayeredValue {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const e = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = `${tag}ql`, hi = `${tag}qh`, q = `${tag}qq`, r = `${tag}qr`;
  const poly = (coef: number[], t: string) => coef.slice(1).reduce((acc, k) => `((${acc} * ${t}) + ${d.double(k)})`, d.double(coef[0]));
  const tail = (t: string) => `(${poly(c, t)} / ((${poly(e, t)} * ${t}) + ${d.double(1)}))`;
  const l1p = log1pLayers(d, `(-${p})`, `${tag}q1`);
  const layers: FrameLayer[] = [
    ...l1p.layers,
    [[lo, d.call('sqrt', `(${d.double(-2)} * ${d.call('log', p, 'qnorm')})`, 'qnorm')], [hi, d.call('sqrt', `(${d.double(-2)} * ${l1p.value})`, 'qnorm')], [q, `(${p} - ${d.double(0.5)})`]],
    [[r, `(${q} * ${q})`]],
  ];
  const central = `((${poly(a, r)} * ${q}) / ((${poly(b, r)} * ${r}) + ${d.double(1)}))`;
  let x = `${tag}x0`;
  layers.push([[x, d.ifThen(`${p} < ${d.double(0.02425)}`, tail(lo), d.ifThen(`${p} > ${d.double(1 - 0.02425)}`, `(-${tail(hi)})`, central))]]);
  for (let k = 1; k <= 2; k++) {
    const P = pnormLayers(d, x, `${tag}n${k}`);
    const dn = `${tag}d${k}`, next = `${tag}x${k}`;
    layers.push(...P.layers, [[dn, dnormSql(d, x)]]);
    layers.push([[next, d.ifThen(`${dn} > ${d.double(0)}`, `(${x} - ((${P.value} - ${p}) / ${dn}))`, x)]]);
    x = next;
  }
  return { layers, value: x };
}

/** μ = g⁻¹(η) and dμ/dη of an alias `eta` (the header's table) */
export function linkInverseSql(d: Dialect, link: LinkName, eta: string, tag: string): { layers: FrameLayer[]; mu: string; muEta: string } {
  const eps = d.double(Number.EPSILON), one = d.double(1);
  switch (link) {
    case 'logit': {
      const e = `exp(-abs(${eta}))`;
      return {
        layers: [],
        mu: `least((${one} - ${eps}), ${d.ifThen(`${eta} >= ${d.double(0)}`, `(${one} / (${one} + ${e}))`, `(${e} / (${one} + ${e}))`)})`,
        muEta: `greatest(${eps}, (${e} / ((${one} + ${e}) * (${one} + ${e}))))`,
      };
    }
    case 'probit': {
      const P = pnormLayers(d, eta, tag);
      return { layers: P.layers, mu: `least((${one} - ${eps}), ${P.value})`, muEta: dnormSql(d, eta) };
    }
    case 'cloglog': {
      const x = `${tag}ne`;
      const E = expm1Layers(d, x, tag);
      return {
        layers: [[[x, `(-exp(${eta}))`]], ...E.layers],
        mu: `greatest(${eps}, least((${one} - ${eps}), (-${E.value})))`,
        muEta: `greatest(${eps}, exp((${eta} - exp(${eta}))))`,
      };
    }
    case 'cauchit': {
      // family.ts pcauchy, the same operations: y = atan(1/η)/π in the tails, μ = (1/2 − y) + 1/2 (η > 1), −y (η < −1)
      const pi = d.double(Math.PI), half = d.double(0.5);
      const y = `(atan((${one} / ${eta})) / ${pi})`;
      const p = d.ifThen(`abs(${eta}) > ${one}`, d.ifThen(`${eta} > ${d.double(0)}`, `((${half} - ${y}) + ${half})`, `(-${y})`), `(${half} + (atan(${eta}) / ${pi}))`);
      return { layers: [], mu: `least((${one} - ${eps}), ${p})`, muEta: `(${one} / (${pi} * (${one} + (${eta} * ${eta}))))` };
    }
    case 'log': return { layers: [], mu: `greatest(${eps}, exp(${eta}))`, muEta: `greatest(${eps}, exp(${eta}))` };
    case 'sqrt': return { layers: [], mu: `(${eta} * ${eta})`, muEta: `(${d.double(2)} * ${eta})` };
    case 'identity': return { layers: [], mu: eta, muEta: one };
    default: throw new ModelError(`${d.name}: the ${link} link is not evaluated in SQL (the engines evaluate ${SQL_LINKS.join(', ')})`);
  }
}

/** η = g(μ) of an alias `mu` (the starting η from R's mustart) */
export function linkFunSql(d: Dialect, link: LinkName, mu: string, tag: string): LayeredValue {
  const one = d.double(1);
  switch (link) {
    case 'logit': return { layers: [], value: d.call('log', `(${mu} / (${one} - ${mu}))`, 'the link') };
    case 'probit': return qnormLayers(d, mu, tag);
    case 'cloglog': {
      // log(−log1p(−μ))
      const L = log1pLayers(d, `(-${mu})`, tag);
      return { layers: L.layers, value: d.call('log', `(-${L.value})`, 'the link') };
    }
    // tan(π(μ − 1/2)), as family.ts
    case 'cauchit': return { layers: [], value: `tan((${d.double(Math.PI)} * (${mu} - ${d.double(0.5)})))` };
    case 'log': return { layers: [], value: d.call('log', mu, 'the link') };
    case 'sqrt': return { layers: [], value: d.call('sqrt', mu, 'the link') };
    case 'identity': return { layers: [], value: mu };
    default: throw new ModelError(`${d.name}: the ${link} link is not evaluated in SQL (the engines evaluate ${SQL_LINKS.join(', ')})`);
  }
}

/**
 * The observed information over the expected one, f (src/glmm/family.ts BINOMIAL_OBSERVED,
 * POISSON_OBSERVED), of y, η, μ, dμ/dη (aliases) for a non-canonical link; null for a canonical one:
 *   probit   f = 1 + (y − μ)(η + (dμ/dη / max(ε, μ(1 − μ)))(1 − 2μ))/(dμ/dη)
 *   cloglog  f = 1 − (y − μ)(1 − (dμ/dη)/μ)/(dμ/dη)
 *   sqrt     f = (y/μ + 1)/2
 *   identity f = y/μ
 */
export function observedFactorSql(d: Dialect, link: LinkName, y: string, eta: string, mu: string, me: string): string | null {
  const one = d.double(1), eps = d.double(Number.EPSILON);
  switch (link) {
    case 'probit': return `(${one} + ((${y} - ${mu}) * (${eta} + ((${me} / greatest(${eps}, (${mu} * (${one} - ${mu})))) * (${one} - (${d.double(2)} * ${mu}))))) / ${me})`;
    case 'cloglog': return `(${one} - (((${y} - ${mu}) * (${one} - (${me} / ${mu}))) / ${me}))`;
    case 'sqrt': return `(${d.double(0.5)} * ((${y} / ${mu}) + ${one}))`;
    case 'identity': return `(${y} / ${mu})`;
    default: return null;
  }
}
