/**
 * Worker side of a glmmTMB fit's Intervals card: what the card offers for the fit (glmmTMB's parm choices:
 * 'beta_', 'theta_', 'disp_' and each parameter of vcov(fit, full = TRUE) by position; the profile's refusal
 * for a REML fit) and the run of the library's confintGlmmTmb (glmmTMB's confint) for the card's request,
 * with its progress (parameters done / total) and Cancel through the signal; method 'profile' also sends
 * glmmTMB's profile data frame (its plot and CSV). The page's logic is
 * ./tmbConfint.ts.
 */
import { ModelError, type TmbConfintOptions, type TmbProfile, type ZeroInflatedFit, confintGlmmTmb, fullParameterNames } from '../../src/index.js';
import type { TmbCiMsg, TmbCiProfileMsg, TmbCiRequest, TmbCiSetup } from './protocol.js';

/** glmmTMB's parm choices for the fit: the groups its getParms knows, then each parameter by its 1-based position */
export function tmbCiSetup(fit: ZeroInflatedFit): TmbCiSetup {
  const m = fit.model;
  const names = fullParameterNames(fit);
  const seen = new Map<string, number>();
  for (const n of names) seen.set(n, (seen.get(n) ?? 0) + 1);
  return {
    parms: [
      { value: 'beta_', label: 'beta_ (the fixed effects)' },
      ...(m.nTheta > 0 ? [{ value: 'theta_', label: 'theta_ (the random effects\' parameters)' }] : []),
      ...(m.pd > 0 ? [{ value: 'disp_', label: 'disp_ (the dispersion parameters)' }] : []),
      // a name twice (the same term in both models: theta_1|site.1) is told apart by its position
      ...names.map((n, k) => ({ value: String(k + 1), label: seen.get(n)! > 1 ? `${n} (parameter ${k + 1})` : n })),
    ],
    profileRefusal: fit.REML ? 'glmmTMB computes no profiles of a REML fit ("can\'t compute profiles for REML models at the moment"); refit with the ML criterion' : null,
    fullApplies: m.pd > 0 && m.dispConstant,
  };
}

/** glmmTMB's parm of the card's choice: '' none (every row), a group's name, or a position */
export function parmOf(parm: string): string | number | undefined {
  if (parm === '') return undefined;
  return /^[1-9][0-9]*$/.test(parm) ? Number(parm) : parm;
}

/** glmmTMB's profile data frame as the message carries it: NaN values (NA) as null, the CSV by the library's writer */
export function tmbCiProfileMsg(pr: TmbProfile): TmbCiProfileMsg {
  return {
    levelMax: pr.levelMax,
    parameters: pr.parameters.map((p) => ({ name: p.name, position: p.position })),
    rows: pr.rows.map((r) => ({ par: r.par, position: r.position, focal: r.focal, value: Number.isNaN(r.value) ? null : r.value })),
    csv: pr.toCsv(),
  };
}

/**
 * glmmTMB's confint(fit, parm, level, method, full) of the card's request; NaN ends (NA) as null. Method
 * 'profile': the profile the intervals come from goes with them (onProfile); where no interval can be taken
 * from it (glmmTMB's error: a half not monotone, too few points) the message has no rows, the error, and the
 * profile (its plot shows why)
 */
export async function runTmbConfint(fit: ZeroInflatedFit, request: TmbCiRequest, o: { signal?: AbortSignal; onProgress?: (p: { done: number; total: number; label: string }) => void } = {}): Promise<TmbCiMsg> {
  const t0 = performance.now();
  const parm = parmOf(request.parm);
  let profile: TmbProfile | null = null;
  const options: TmbConfintOptions = {
    method: request.method, level: request.level, full: request.full, ...(parm !== undefined ? { parm } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onProgress ? { onProgress: (p: { done: number; total: number; name: string }) => o.onProgress!({ done: p.done, total: p.total, label: p.name }) } : {}),
    ...(request.method === 'profile' ? { onProfile: (pr: TmbProfile) => { profile = pr; } } : {}),
  };
  let r;
  try {
    r = await confintGlmmTmb(fit, options);
  } catch (e) {
    // the intervals' error after the profile was computed (never the profile's own: a REML fit, Cancel)
    if (profile === null || !(e instanceof ModelError)) throw e;
    const pr: TmbProfile = profile;
    return {
      request: { ...request }, columns: [], rows: [], print: '', profileEvaluations: pr.evaluations, notes: [],
      profile: tmbCiProfileMsg(pr), intervalError: e.message, elapsedMs: performance.now() - t0,
    };
  }
  const na = (v: number) => (Number.isNaN(v) ? null : v);
  const pr: TmbProfile | null = profile;
  return {
    request: { ...request },
    columns: [...r.columns],
    rows: r.rows.map((x) => ({ name: x.name, lower: na(x.lower), upper: na(x.upper), estimate: x.estimate, naReason: { ...x.naReason } })),
    print: r.print(),
    profileEvaluations: r.profileEvaluations,
    notes: [...r.notes],
    profile: pr === null ? null : tmbCiProfileMsg(pr),
    intervalError: null,
    elapsedMs: performance.now() - t0,
  };
}
