/**
 * The checks of test/nlme3.test.ts and test/nlme6.test.ts on nlme_common.R's nestedCase records (an lme fit
 * with Q ≥ 1 levels of grouping against nlme 3.1-162): the criterion at nlme's estimates (to 1e-8 relative;
 * a fitted(.) covariate set to the one nlme's fit was fitted at), our fit (logLik, β, SEs, DF, p, σ, each
 * level's SDs, correlations and ranef, the structures, fitted values, residuals, predictions, the
 * printout's lines) and intervals() for every level, at the tolerances test/nlme3.test.ts's header states.
 */
import { describe, expect, it } from 'vitest';
import type * as arrow from 'apache-arrow';
import { expectIntervalsStable, expectNlmeFixedFit, expectRel, expectVec, nlmeFixture, yieldTurn } from './nlmeChecks.js';
import { buildLme, lme } from '../../src/nlme/lme.js';
import { evaluateLme, modelRows } from '../../src/nlme/objective.js';
import { formatIntervals } from '../../src/nlme/summary.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const fixture = nlmeFixture;
const arr = (x: number | number[]): number[] => ([] as number[]).concat(x);
function psiOf(f: { varStruct: { unconstrained: number[] | number } | null; corStruct: { unconstrained: number[] | number } | null }): Float64Array {
  return Float64Array.from([...arr(f.varStruct?.unconstrained ?? []), ...arr(f.corStruct?.unconstrained ?? [])]);
}
export const nestedOptions = (f: any) => ({ random: f.ours.random, weights: f.ours.weights, correlation: f.ours.correlation, method: f.method, dataName: 'd' });

/** lme4's θ of the model from nlme's Ψ/σ² per level: each level's lower Cholesky factor at its block's θ indices. */
function thetaOf(f: any, built: ReturnType<typeof buildLme>): Float64Array {
  const theta = new Float64Array(built.model.theta.length);
  built.levels.forEach((l, k) => {
    const blk = built.model.blocks[l.block];
    const M: number[][] = fixture(f.name).levels[k].relPsi.map((r: number[] | number) => arr(r));
    const q = blk.q;
    expect(M.length).toBe(q);
    const L = M.map((r) => r.map(() => 0));
    for (let j = 0; j < q; j++) {
      let d = M[j][j];
      for (let t = 0; t < j; t++) d -= L[j][t] ** 2;
      L[j][j] = Math.sqrt(d);
      for (let i = j + 1; i < q; i++) {
        let v = M[i][j];
        for (let t = 0; t < j; t++) v -= L[i][t] * L[j][t];
        L[i][j] = v / L[j][j];
      }
    }
    for (let i = 0; i < q; i++) for (let j = 0; j <= i; j++) {
      const at = blk.thetaIndex[i * q + j];
      if (at >= 0) theta[at] = L[i][j];
      else expect(Math.abs(L[i][j]), `Ψ's zero at (${i}, ${j})`).toBeLessThan(1e-12);
    }
  });
  return theta;
}

/**
 * The three suites (criterion, fit, intervals) for the cases' fixtures, with the data sets of `data`;
 * `intervalsOurs`: the cases whose intervals() are checked by their stability (and their names and parts
 * against nlme's) instead of nlme's ends, where nlme's fdHess depends on its step (the caller says how much).
 */
export function nestedCaseSuites(cases: string[], data: (name: string) => arrow.Table, intervalsOurs: string[] = []): void {
  describe('nested lme: the criterion at nlme 3.1-162 estimates', () => {
    for (const name of cases) {
      it(`${name}: logLik to 1e-8 relative`, async () => {
        const f = fixture(name);
        const built = buildLme(f.ours.fixed, data(f.data), nestedOptions(f));
        expect(built.levels.map((l) => l.name)).toEqual(f.levels.map((l: { name: string }) => l.name));
        // a fitted(.) covariate (nlme_common.R's fixedPoint): the one nlme's fit was fitted at
        if (f.fittedCheck) built.rc.vf!.setCovariate!(Float64Array.from(f.fittedCheck.covariate));
        const ev = evaluateLme(built.model, built.rc, modelRows(built.model), thetaOf(f, built), psiOf(f));
        expectRel(-ev.criterion / 2, f.logLik, 1e-8, 'logLik at nlme\'s estimates');
        await yieldTurn();
      });
    }
  });

  describe('nested lme: the fit against nlme 3.1-162', () => {
    for (const name of cases) {
      it(name, async () => {
        const f = fixture(name);
        const fit = await lme(f.ours.fixed, data(f.data), nestedOptions(f));
        expectNlmeFixedFit(fit, f, { df: true, p: true });
        expectRel(fit.sigma, f.sigma, 1e-3, 'σ');
        const lv = fit.varCorrLevels;
        expect(lv.map((l) => l.level)).toEqual(f.levels.map((l: any) => l.name));
        lv.forEach((l, k) => {
          const ref = f.levels[k];
          expect(l.names).toEqual(arr(ref.names));
          expect(l.pd).toBe(ref.class);
          l.stdDev.forEach((s, i) => expectRel(s, arr(ref.stdDev)[i], 1e-3, `${l.level} StdDev ${l.names[i]}`, 1e-3 * f.sigma));
          const C = ref.corr.map((r: number[] | number) => arr(r));
          l.corr.forEach((r, i) => r.forEach((v, j) => expectRel(v, C[i][j], 0, `${l.level} corr (${i}, ${j})`, 1e-3)));
          expect(fit.groupCounts[k].count).toBe(ref.ngroups);
          // ranef: nlme's group names (`I/Golden Rain`), matched by name
          const rf = fit.ranefLevels[k];
          const at = (arr(ref.ranef.groups) as unknown as string[]).map((g) => rf.levels.indexOf(g));
          expect(at, `${l.level}'s groups`).not.toContain(-1);
          expect(Object.keys(rf.values)).toEqual(arr(ref.ranef.names));
          Object.keys(rf.values).forEach((nm) => expectVec(at.map((i: number) => rf.values[nm][i]), arr(ref.ranef.values[nm]), 1e-3, `ranef ${l.level} ${nm}`));
        });
        if (f.corStruct) arr(f.corStruct.constrained).forEach((v, k) => expectRel(fit.corStruct!.values[k], v, 1e-3, 'correlation', 1e-3));
        if (f.varStruct) fit.varStruct!.names.forEach((nm, k) => expectRel(fit.varStruct!.values[k], f.varStruct.constrained[nm], 1e-3, `varStruct ${nm}`, 1e-3));
        const Q = fit.Q;
        expect(f.fittedLevels.length).toBe(Q + 1);
        const ys = Math.max(...f.fittedLevels[Q].map(Math.abs));
        for (let k = 0; k <= Q; k++) {
          expectVec(fit.fitted(k), f.fittedLevels[k], 1e-4, `fitted level ${k}`);
          expectVec(fit.residuals({ level: k }).map((v) => v / ys), f.residLevels[k].map((v: number) => v / ys), k === Q ? 1e-3 : 1e-4, `residuals level ${k}`);
        }
        expectVec(fit.residuals({ type: 'pearson' }), f.pearson, 1e-3, 'pearson residuals');
        expectVec(fit.residuals({ type: 'normalized' }), f.normalized, 1e-3, 'normalized residuals');
        if (f.newdata) {
          for (let k = 0; k <= Q; k++) expectVec(fit.predict(f.newdata, k), f.predictLevels[k], 1e-4, `predict level ${k}`);
        }
        const mine = fit.summary().split('\n');
        const theirs = (f.print as string).split('\n');
        for (const l of theirs.filter((x) => /^( Formula:| Structure:| Composite Structure:| Block \d+:|Linear mixed|Number of|Fixed effects:|Correlation Structure:|Variance function:|Combination of|Random effects:| Parameter estimate)/.test(x))) {
          expect(mine, `printout line '${l}'`).toContain(l);
        }
        // (nlme 3.1-162's printout of a corNatural fit stops with an error after the structure's first lines)
        if (f.printError) return;
        // the numbers of groups (several levels: nlme's named vector) and the correlation of the fixed effects
        const tail = (lines: string[]) => lines.slice(lines.findIndex((x) => x.startsWith('Number of Groups:')));
        expect(tail(mine)).toEqual(tail(theirs));
        const corrAt = (lines: string[]) => lines.slice(lines.indexOf(' Correlation: '), lines.indexOf('Standardized Within-Group Residuals:') - 1);
        expect(corrAt(mine)).toEqual(corrAt(theirs));
        const json = JSON.parse(JSON.stringify(fit.toJSON()));
        expect(json.groups).toEqual(Object.fromEntries(f.levels.map((l: any) => [l.name, l.ngroups])));
      });
    }
  });

  describe('nested lme: intervals (nlme\'s approximate confidence intervals, every level)', () => {
    for (const name of cases) {
      it(name, async () => {
        const f = fixture(name);
        const fit = await lme(f.ours.fixed, data(f.data), nestedOptions(f));
        const iv = fit.intervals();
        // nlme's intervals with its Hessian's step at 1e-4 (test/oracle/nlme3.R: its default, ε^(1/3) relative,
        // is round-off-bound: 0.2–0.9% off on Pixel's correlation, pdDiag's SD and corAR1's φ)
        const r = f.intervalsStep4;
        // (where nlme's fdHess depends on its step beyond 1e-3 (`intervalsOurs`): ours stable when our step is doubled)
        if (intervalsOurs.includes(name)) expectIntervalsStable(iv, fit.intervals(0.95, 2e-3));
        const parts: [string, { lower: number[]; upper: number[] } | null, any][] = [
          ['fixed', iv.fixed, r.fixed], ['corStruct', iv.corStruct, r.corStruct ?? null], ['varStruct', iv.varStruct, r.varStruct ?? null],
          ['sigma', { lower: [iv.sigma[0]], upper: [iv.sigma[2]] }, { lower: r.sigma[0], upper: r.sigma[2] }],
          ...iv.reStructLevels!.map((l, k): [string, { lower: number[]; upper: number[] }, any] => [`reStruct ${l.level}`, l.table, r.reStruct[k]]),
        ];
        expect(iv.reStructLevels!.map((l) => l.level)).toEqual(r.reStruct.map((l: any) => l.level));
        for (const [what, a, b] of parts) {
          expect(a === null, what).toBe(b === null);
          if (!a || !b || (intervalsOurs.includes(name) && what !== 'fixed')) continue;
          arr(b.lower).forEach((v, i) => expectRel(a.lower[i], v, 1e-3, `${what} lower ${i}`));
          arr(b.upper).forEach((v, i) => expectRel(a.upper[i], v, 1e-3, `${what} upper ${i}`));
        }
        iv.reStructLevels!.forEach((l, k) => expect(l.table.names).toEqual(arr(r.reStruct[k].names)));
        // the printout's structure lines as nlme's
        const mine = formatIntervals(iv, fit.group).split('\n');
        for (const l of (f.intervalsPrint as string).split('\n').filter((x) => /^( Random Effects:|  Level:| Fixed effects:| Within-group)/.test(x))) {
          expect(mine, `intervals line '${l}'`).toContain(l);
        }
      });
    }
  });
}
