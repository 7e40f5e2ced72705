/**
 * Worker side of the results' Tidy output exports: broom.mixed 0.2.9.4's tidy(), glance() and augment() of a
 * kept lmer or glmer fit (or the streamed fit), by the library's own methods (src/broom), written as the
 * CLI writes them (write.csv's text with broom's column names: tidyCsv). augment of a streamed fit is the
 * library's refusal (its rows are not in memory).
 */
import type * as arrow from 'apache-arrow';
import { tidy } from '../../src/broom/tidy.js';
import { glance } from '../../src/broom/glance.js';
import { augment } from '../../src/broom/augment.js';
import { tidyCsv } from '../../src/broom/table.js';
import type { AnyFit } from './fitting.js';
import type { TidyRequest } from './protocol.js';

/** The CSV of the request's table: tidy(fit, effects, conf.int, conf.level), glance(fit) or augment(fit, data). */
export async function tidyExportCsv(fit: AnyFit, data: arrow.Table | null, req: TidyRequest): Promise<string> {
  switch (req.what) {
    case 'tidy':
      return tidyCsv(await tidy(fit, { effects: req.effects, confInt: req.confInt, confLevel: req.confLevel }));
    case 'glance':
      return tidyCsv(glance(fit));
    case 'augment':
      // broom's augment(fit, data = ): the data's columns at the rows used, then augment's (a streamed fit: the library's refusal)
      return tidyCsv(augment(fit, data && !fit.model.source ? { data } : {}));
    default:
      throw new Error(`unknown tidy export ${JSON.stringify((req as { what: unknown }).what)}`);
  }
}

/** the library's refusal of augment for this fit (a streamed fit's rows are not in memory), or null */
export function augmentRefusal(fit: AnyFit): string | null {
  if (!fit.model.source) return null;
  try {
    augment(fit);
  } catch (e) {
    return (e as Error).message;
  }
  return null;
}
