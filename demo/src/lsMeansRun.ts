/**
 * Worker side of the Least-squares means card (lmerTest 3.1-3's ls_means / difflsmeans) of a kept lmer
 * fit: the library's own fit.lsMeans({ which, level, ddf, pairwise }) (src/inference/lsMeans.ts), printed
 * by its printLsMeans, with show_tests's contrast matrices (printShowTests). A refusal of the library is
 * returned with the card's field it is about (lsmFieldOf). The page's logic is ./lsMeansCard.ts.
 */
import { OptionError } from '../../src/errors/errors.js';
import { LmmFit } from '../../src/lmm/lmmFit.js';
import { printLsMeans } from '../../src/inference/lsMeans.js';
import { printShowTests } from '../../src/inference/showTests.js';
import '../../src/inference/methods.js';
import type { AnyFit } from './fitting.js';
import type { LsmField, LsmMsg, LsmRequest } from './protocol.js';

const FIELDS: readonly LsmField[] = ['which', 'pairwise', 'ddf', 'level'];

/** the card's field a refusal of the library is about: an OptionError's option where it is one of the card's, else by its words */
export function lsmFieldOf(e: unknown): LsmField | null {
  if (e instanceof OptionError && (FIELDS as readonly string[]).includes(e.option)) return e.option as LsmField;
  const message = (e as Error)?.message ?? String(e);
  if (/factor term|which/.test(message)) return 'which';
  if (/level must be/.test(message)) return 'level';
  if (/ddf|Kenward|Satterthwaite/.test(message)) return 'ddf';
  return null;
}

/** ls_means(fit, which, level, ddf, pairwise) of the card's request, with lmerTest's printout and show_tests */
export function runLsMeans(fit: AnyFit | undefined, r: LsmRequest): LsmMsg {
  const t0 = performance.now();
  if (!fit) throw new Error('that fit is no longer kept (new data were loaded)');
  if (!(fit instanceof LmmFit)) throw new Error("lmerTest's ls_means is for lmer fits (for a glmer fit use the estimated marginal means card: emmeans)");
  const res = fit.lsMeans({ ...(r.which ? { which: r.which } : {}), level: r.level, ddf: r.ddf, pairwise: r.pairwise });
  return {
    request: { ...r, which: r.which ? [...r.which] : null },
    ddf: res.ddf,
    rows: res.rows.map((x) => ({ ...x })),
    text: printLsMeans(res).join('\n'),
    showTestsText: printShowTests(res).join('\n'),
    messages: [...res.messages],
    elapsedMs: performance.now() - t0,
  };
}
