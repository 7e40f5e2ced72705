/**
 * gamm4's setup (gamm4.setup and the model formula gamm4 hands lmer): each smooth's constrained basis
 * (src/smooth/smoothCon.ts) at the rows the model uses, reparametrized as a mixed model
 * (src/smooth/mixedForm.ts), and the data and formula of the lmer fit that estimates it:
 *
 *   y ~ parametric + s(x)Fx1 + … + homdiag(0 + s(x).1 + … + s(x).r | Xr) + … + random
 *
 * where the Fx columns are the penalty's null space (fixed effects, named as gamm4 names them) and
 * s(x).1 … s(x).r the penalized part Z = X U D^{−1/2}, on a grouping factor Xr of one level with one
 * variance for all r columns (Λ = θ I_r, src/model/covStructure.ts homdiag): gamm4's (1 | Xr), whose
 * Z gamm4 replaces by the same matrix. Column and factor names that the data already use get mgcv's
 * new.name suffixes (`Xr.0`, `Xr.1`, …).
 * `s(x, by = f)` with a factor f is one smooth per level of f (`s(x):fa`, mgcv's labels; its basis, scaling
 * and constraint those of s(x), its rows × the level's indicator), each its own term and variance;
 * `s(x, by = z)` with a numeric z is one unconstrained smooth z f(x) (`s(x):z`). A `t2(x, z)` smooth
 * (src/smooth/t2Smooth.ts) has one term per penalty (smooth2random.t2.smooth: its blocks `rr`, `nr`, `rn`),
 * each with its own variance; `t2(x, z, by = f)` one such smooth per level (`t2(x,z):fa`), `by = z` numeric one
 * unconstrained smooth z f(x, z).
 */
import * as arrow from 'apache-arrow';
import { parseFormula, parseRandomForm } from '../formula/parse.js';
import { parseSmoothFormula, type SmoothFormula } from '../formula/smooth.js';
import type { Formula } from '../formula/types.js';
import { buildModelFrame } from '../frame/modelFrame.js';
import { DataError, ModelError } from '../errors/errors.js';
import { makeFloat64Vector, makeUtf8Vector } from '../io/arrow.js';
import { type ConstructedSmooth, type SmoothBy, smoothCon } from '../smooth/smoothCon.js';
import { type SmoothMixedForm, smoothToRandom, t2ToRandom } from '../smooth/mixedForm.js';
import { type T2Smooth, t2Construct } from '../smooth/t2Smooth.js';
import type { SmoothTerm } from '../formula/smooth.js';

/** What the gam view reads of one smooth (an s() smooth, a by-level's, or a t2's). */
export interface SmoothBasis {
  kind: 's' | 't2';
  /** mgcv's label: `s(x)`, `s(x):fa`, `s(x):z`, `t2(x,z)` */
  label: string;
  /** the (first) covariate and all of them */
  term: string;
  terms: string[];
  bs: 'tp' | 'cr' | 'cc' | 'ps';
  /** the basis dimension (t2: the product of the margins') */
  k: number;
  /** a t2's margins: covariate, basis and dimension each (`bs` is then the first margin's) */
  margins?: { term: string; bs: 'tp' | 'cr' | 'cc' | 'ps'; k: number }[];
  /** the fit's basis at the data rows (n × p, row-major; × the by values) */
  X: Float64Array;
  p: number;
  /** the by variable: a factor's level, or a numeric by */
  by?: { column: string; level?: string };
  /** the basis at new covariate values (one array per covariate; × the by values where given): mgcv's PredictMat */
  predict(xs: ArrayLike<number>[], by?: ArrayLike<number>): Float64Array;
  /** a t2 smooth's basis at the data under mgcv's prediction constraint (gam.setup's Xp; see ../smooth/t2Smooth.ts) */
  Xp?: Float64Array;
}

/** One smooth of the model, set up. */
export interface SmoothSetup {
  basis: SmoothBasis;
  /** an s() smooth's construction (null for t2) */
  con: ConstructedSmooth | null;
  t2: T2Smooth | null;
  form: SmoothMixedForm;
  /** the fixed effects' column names (gamm4's `s(x)Fx1`) */
  fxNames: string[];
  /** the (first) covariate at the rows used, and all of them */
  x: Float64Array;
  xs: Float64Array[];
  /** the random effects' column names and grouping factors (gamm4's `Xr`, `Xr.0`, …), one per penalty */
  zNames: string[];
  group: string;
  groups: string[];
}

export interface GammSetup {
  smooth: SmoothFormula;
  smooths: SmoothSetup[];
  /** the lmer formula (parsed, the smooths' terms marked) and the data with the smooths' columns */
  formula: Formula;
  data: arrow.Table;
  /** the random-effects formula's terms' text (`(1 | g)`), as given */
  random: string | null;
  /** rows of the input used (null: all) and their number */
  rows: Int32Array | null;
  n: number;
}

/** mgcv's new.name: `name`, or `name.0`, `name.1`, … the first not in `used`. */
export function newName(name: string, used: Set<string>): string {
  if (!used.has(name)) return name;
  for (let k = 0; ; k++) if (!used.has(`${name}.${k}`)) return `${name}.${k}`;
}

const backtick = (name: string) => (/^[A-Za-z.][A-Za-z0-9._]*$/.test(name) && !/^\.\d/.test(name) ? name : `\`${name}\``);

/** Stage: formula, data and random formula → the smooths and the lmer (or, with `family`, glmer) model that fits them. */
export function gammSetup(formulaText: string, table: arrow.Table, random: string | undefined, factors: string[] | undefined, family?: 'binomial' | 'poisson'): GammSetup {
  const smooth = parseSmoothFormula(formulaText);
  let randomRhs: string | null = null;
  if (random !== undefined) {
    if (typeof random !== 'string') throw new ModelError(`random: a one-sided formula of random-effects terms such as '~ (1 | g)', not ${typeof random}`);
    parseRandomForm(random);
    const t = random.indexOf('~');
    randomRhs = random.slice(t + 1).trim();
    if (randomRhs === '' || randomRhs === '0' || randomRhs === '1') randomRhs = null;
  }
  if (smooth.smooths.length === 0 && randomRhs === null) {
    throw new ModelError('gamm4 models must have at least 1 smooth with unknown smoothing parameter or at least one other random effect');
  }
  // the rows the model uses: na.omit over the parametric part, the smooths' covariates and the random part
  const covariates = [...new Set(smooth.smooths.flatMap((s) => [...s.terms, ...(s.by !== undefined ? [s.by] : [])]))].map(backtick);
  const probeText = `${smooth.parametric}${covariates.length ? ` + ${covariates.join(' + ')}` : ''}${randomRhs ? ` + ${randomRhs}` : ''}`;
  const probe = parseFormula(probeText);
  for (const s of smooth.smooths) {
    for (const term of s.terms) {
      const c = table.getChild(term);
      if (!c) throw new DataError(`${s.label}: column '${term}' not found in the data (columns: ${table.schema.fields.map((f) => f.name).join(', ')})`, { column: term });
      if ((factors ?? []).includes(term) || !arrow.DataType.isFloat(c.type) && !arrow.DataType.isInt(c.type)) {
        throw new DataError(`${s.label}: '${term}' is not numeric (a smooth needs a numeric covariate${s.kind === 't2' ? '; t2() of a factor is not a tensor product smooth' : ''})`, { column: term });
      }
    }
    if (s.by !== undefined && !table.getChild(s.by)) {
      throw new DataError(`${s.label}: by column '${s.by}' not found in the data (columns: ${table.schema.fields.map((f) => f.name).join(', ')})`, { column: s.by });
    }
  }
  // without random terms the probe is an ordinary linear model's frame: buildModelFrame takes it
  // (a binomial or Poisson response, cbind(s, f) included, checked as glmer checks it)
  const frame = buildModelFrame(probe, table, { factors }, family ? { family } : undefined);
  const n = frame.n, nInput = table.numRows, rows = frame.rows;
  const used = new Set(table.schema.fields.map((f) => f.name));
  const extra: Record<string, arrow.Vector> = {};
  const fixedTerms: string[] = [];
  const randomTerms: string[] = [];
  const full = (values: Float64Array, q: number, j: number) => {
    const out = new Float64Array(nInput).fill(NaN);
    for (let i = 0; i < n; i++) out[rows ? rows[i] : i] = values[i * q + j];
    return makeFloat64Vector(out);
  };
  const numericColumn = (spec: SmoothTerm, term: string) => {
    const col = frame.columns.get(term);
    if (!col || col.kind !== 'numeric') throw new DataError(`${spec.label}: '${term}' is not numeric (a smooth needs a numeric covariate)`, { column: term });
    return col.values;
  };
  /** gamm4.setup's columns and terms of one constructed smooth */
  const place = (basis: SmoothBasis, con: ConstructedSmooth | null, t2: T2Smooth | null, form: SmoothMixedForm, xs: Float64Array[]): SmoothSetup => {
    const fxNames: string[] = [];
    for (let j = 0; j < form.nf; j++) {
      const name = newName(`${basis.label}Fx${j + 1}`, used);
      used.add(name);
      fxNames.push(name);
      extra[name] = full(form.Xf, form.nf, j);
      fixedTerms.push(backtick(name));
    }
    const groups: string[] = [], zNames: string[] = [];
    let col = 0;
    for (const size of form.blocks) {
      const group = newName('Xr', used);
      used.add(group);
      groups.push(group);
      const names: string[] = [];
      for (let j = 0; j < size; j++) {
        const name = newName(`${basis.label}.${col + j + 1}`, used);
        used.add(name);
        names.push(name);
        extra[name] = full(form.Zr, form.r, col + j);
      }
      col += size;
      zNames.push(...names);
      extra[group] = makeUtf8Vector(new Array<string>(nInput).fill('1'));
      randomTerms.push(`(0 + ${names.map(backtick).join(' + ')} | ${backtick(group)})`);
    }
    return { basis, con, t2, form, fxNames, zNames, group: groups[0], groups, x: xs[0], xs };
  };
  /**
   * smoothCon's `by` handling of one smooth: the variants it makes — none (one smooth), a factor's levels (one
   * smooth per level present, an ordered factor's first level left out: labels `s(x):fa`, `t2(x,z):fa`, the
   * basis × the level's indicator, constrained) or a numeric by (one smooth, the basis × z, the constraint
   * dropped unless z is constant: mgcv's sd(z) > mean(z) ε 1000).
   */
  const byVariants = (spec: SmoothTerm): { label: string; by?: SmoothBy; byInfo?: SmoothBasis['by'] }[] => {
    if (spec.by === undefined) return [{ label: spec.label }];
    const base = spec.kind === 't2' ? spec.label.slice(0, spec.label.lastIndexOf(':')) : `s(${spec.term})`;
    const byCol = frame.columns.get(spec.by);
    if (!byCol) throw new DataError(`${spec.label}: by column '${spec.by}' not found in the data`, { column: spec.by });
    if (spec.byOrdered && byCol.kind !== 'factor') throw new DataError(`${spec.label}: ordered(${spec.by}) needs a factor ('${spec.by}' is numeric: list it in factors)`, { column: spec.by });
    if (byCol.kind === 'factor') {
      const present = new Set<number>();
      for (let i = 0; i < n; i++) present.add(byCol.codes[i]);
      const levels = byCol.levels.filter((_, l) => present.has(l));
      if (levels.length < 2) {
        const call = spec.kind === 't2' ? `t2(${spec.terms.join(', ')}, by = ${spec.by})` : `s(${spec.term}, by = ${spec.by})`;
        const alone = spec.kind === 't2' ? `t2(${spec.terms.join(', ')})` : `s(${spec.term})`;
        throw new DataError(`${call}: the factor '${spec.by}' has ${levels.length} level${levels.length === 1 ? ` ('${levels[0]}')` : 's'} in the rows used; a factor by needs at least 2 (one level: write ${alone})`, { column: spec.by });
      }
      const first = byCol.levels.findIndex((_, l) => present.has(l));
      const name = spec.byOrdered ? `ordered(${spec.by})` : spec.by;
      return byCol.levels.flatMap((level, l) => {
        if (!present.has(l) || (spec.byOrdered && l === first)) return [];
        const ind = new Float64Array(n);
        for (let i = 0; i < n; i++) ind[i] = byCol.codes[i] === l ? 1 : 0;
        return [{ label: `${base}:${name}${level}`, by: { values: ind, constrain: true }, byInfo: { column: spec.by!, level } }];
      });
    }
    if (byCol.kind !== 'numeric') throw new DataError(`${spec.label}: by variable '${spec.by}' is neither a factor nor numeric`, { column: spec.by });
    const z = byCol.values;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += z[i];
    mean /= n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (z[i] - mean) ** 2;
    const sd = Math.sqrt(ss / (n - 1));
    return [{ label: spec.label, by: { values: Float64Array.from(z), constrain: !(sd > mean * 2.220446049250313e-16 * 1000) }, byInfo: { column: spec.by } }];
  };
  const times = (A: Float64Array, p: number, m: ArrayLike<number> | undefined) => {
    if (!m) return A;
    const out = new Float64Array(A.length);
    for (let i = 0; i < A.length / p; i++) for (let c = 0; c < p; c++) out[i * p + c] = A[i * p + c] * m[i];
    return out;
  };
  const smooths: SmoothSetup[] = smooth.smooths.flatMap((spec): SmoothSetup[] => {
    const variants = byVariants(spec);
    if (spec.kind === 't2') {
      const xs = spec.terms.map((t) => numericColumn(spec, t));
      // the construction, its scaling and constraints those of the covariates alone; a numeric by's drops them
      const constrain = variants[0].by?.constrain ?? true;
      const t2 = t2Construct({ label: spec.label, margins: spec.margins!.map((m) => ({ term: m.term, k: m.k, bs: m.bs })) }, xs, constrain);
      return variants.map(({ label, by, byInfo }) => {
        const X = times(t2.X, t2.p, by?.values);
        const sm: T2Smooth = { ...t2, X, Xp: times(t2.Xp, t2.p, by?.values) };
        const basis: SmoothBasis = {
          kind: 't2', label, term: spec.term, terms: spec.terms, bs: spec.bs, k: spec.k, X, p: t2.p,
          margins: spec.margins!.map((m) => ({ ...m })), ...(byInfo ? { by: byInfo } : {}),
          predict: (cols, m) => times(t2.predict(cols), t2.p, m), ...(t2.constrained ? { Xp: sm.Xp } : {}),
        };
        return place(basis, null, sm, t2ToRandom(sm), xs);
      });
    }
    const x = numericColumn(spec, spec.term);
    const base = { term: spec.term, bs: spec.bs, k: spec.k };
    return variants.map(({ label, by, byInfo }) => {
      const con = smoothCon({ ...base, label }, x, by);
      const basis: SmoothBasis = {
        kind: 's', label, term: spec.term, terms: [spec.term], bs: spec.bs, k: spec.k, X: con.X, p: con.p,
        ...(byInfo ? { by: byInfo } : {}), predict: (cols, m) => con.predict(cols[0], m),
      };
      return place(basis, con, null, smoothToRandom(con), [x]);
    });
  });
  const tilde = smooth.parametric.indexOf('~');
  const parametricRhs = smooth.parametric.slice(tilde + 1).trim();
  const text = `${smooth.parametric.slice(0, tilde + 1)} ${[parametricRhs, ...fixedTerms, ...randomTerms, ...(randomRhs ? [randomRhs] : [])].join(' + ')}`;
  const formula = parseFormula(text);
  formula.random = formula.random.map((r) => {
    const s = smooths.find((sm) => sm.groups.includes(r.groupLabel));
    // the smooth's penalized part (one of a t2's): one variance for its columns, a grouping factor of one level
    return s ? { ...r, structure: 'homdiag' as const, smooth: s.basis.label, text: `${s.basis.label} (${r.text})` } : r;
  });
  const data = table.assign(new arrow.Table(extra));
  return { smooth, smooths, formula, data, random: randomRhs, rows, n };
}
