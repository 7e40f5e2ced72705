/**
 * The page's side of the results' Tidy output exports (broom.mixed's tidy, glance and augment as CSV), no DOM:
 * the request of the ticked effects and the conf.int box, each bad field named, and the downloaded file's
 * name. The tables are written in the worker by the library (./tidyRun.ts).
 */
import type { TidyRequest } from './protocol.js';

/** the effects the exports offer (broom.mixed's tidy.merMod effects; ran_coefs is left to the library and CLI) */
export const TIDY_EXPORT_EFFECTS = ['fixed', 'ran_pars', 'ran_vals'] as const;

export interface TidyFields {
  /** the effects ticked */
  effects: string[];
  /** broom's conf.int */
  confInt: boolean;
}

/** tidy(fit, effects, conf.int)'s request: the ticked effects in broom.mixed's order; none ticked is an error naming the field */
export function tidyRequest(f: TidyFields): TidyRequest {
  const bad = f.effects.find((e) => !(TIDY_EXPORT_EFFECTS as readonly string[]).includes(e));
  if (bad !== undefined) throw new Error(`effects: '${bad}' is not one of ${TIDY_EXPORT_EFFECTS.join(', ')}`);
  const effects = TIDY_EXPORT_EFFECTS.filter((e) => f.effects.includes(e));
  if (effects.length === 0) throw new Error(`effects: tick at least one of ${TIDY_EXPORT_EFFECTS.join(', ')} for tidy()`);
  return { what: 'tidy', effects, confInt: f.confInt };
}

/** the file's name: BASE_tidy.csv, BASE_glance.csv, BASE_augment.csv */
export function tidyFileName(base: string, req: TidyRequest): string {
  return `${base}_${req.what}.csv`;
}
