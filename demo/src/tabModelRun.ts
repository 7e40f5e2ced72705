/**
 * Worker side of the Regression table card (sjPlot 2.8.12's tab_model): the library's own `tabModel`
 * (src/tabmodel/tabModel.ts) of kept lmer/glmer fits — in memory or the streamed fit, whose numbers the
 * library takes from the Gram matrix its stream formed — side by side in the order the page chose; its HTML
 * (sjPlot's page.content), page (page.complete) and text, and its cells as plain text for a CSV. A refusal of
 * the library about a model (a singular fit with a slope, a term it does not port, glmer with a df method it
 * refuses) is returned naming the fit that causes it: the library's message says what, the card says which.
 */
import { ModelError, OptionError } from '../../src/errors/errors.js';
import { LmmFit } from '../../src/lmm/lmmFit.js';
import { GlmmFit } from '../../src/glmm/glmmFit.js';
import { type TabModel, type TabModelOptions, tabModel } from '../../src/tabmodel/tabModel.js';
import { htmlToText } from '../../src/tabmodel/text.js';
import type { AnyFit } from './fitting.js';
import type { TmMsg, TmRequest } from './protocol.js';

const message = (e: unknown) => (e as Error)?.message ?? String(e);

/**
 * The table's cells as plain text (the library's htmlToText of each cell, as its text rendering): the
 * dependent variables' row (each label in its model's first column), the column headers, the predictors'
 * rows, then the summary rows (each model's cell in its first column, as the HTML's colspan).
 */
export function tableCells(t: TabModel): string[][] {
  const width = t.columns.length;
  const firstOf = (model: number) => t.columns.findIndex((c) => c.model === model);
  const out: string[][] = [];
  if (t.dvLabels.length > 0) {
    const row = Array<string>(width + 1).fill('');
    t.dvLabels.forEach((label, i) => { const j = firstOf(i + 1); if (j >= 0) row[j + 1] = htmlToText(label); });
    out.push(row);
  }
  out.push([htmlToText(t.predictorsHeader), ...t.columns.map((c) => htmlToText(c.header))]);
  for (const r of t.rows) out.push([htmlToText(r.label), ...r.cells.map(htmlToText)]);
  for (const s of t.summary) {
    const row = Array<string>(width + 1).fill('');
    row[0] = htmlToText(s.label);
    // a summary cell spans its model's columns (one model: all of them): its text goes in the first
    let j = 1;
    for (const c of s.cells) {
      row[j] = htmlToText(c.text);
      j += c.colspan;
    }
    out.push(row);
  }
  return out;
}

/** the options without those of the whole table (labels by row or by model), to try one fit alone */
function perFitOptions(o: TabModelOptions): TabModelOptions {
  const { dvLabels: _d, predLabels: _p, ...rest } = o;
  return rest;
}

/** the options that concern the table as a whole (labels by model or by row): their refusals name no fit */
const TABLE_OPTIONS = new Set(['dvLabels', 'predLabels']);

/**
 * The library's refusal of the table, naming the fit it is about: with several fits, the first fit the
 * library refuses alone with the same options (less the table's labels) is named with its message; a refusal
 * no fit causes alone (a label count) is the library's message as it is. One fit: named, unless the refusal
 * is of a table's option.
 */
async function namedRefusal(e: unknown, fits: AnyFit[], req: TmRequest): Promise<Error> {
  const err = e instanceof Error ? e : new Error(message(e));
  if (!(err instanceof ModelError || err instanceof OptionError)) return err;
  if (fits.length === 1) return err instanceof OptionError && TABLE_OPTIONS.has(err.option) ? err : new Error(`${req.names[0]}: ${err.message}`);
  for (let k = 0; k < fits.length; k++) {
    try {
      await tabModel([fits[k]!], perFitOptions(req.options));
    } catch (one) {
      if (one instanceof ModelError || one instanceof OptionError) return new Error(`${req.names[k]}: ${one.message}`);
    }
  }
  return err;
}

/** tab_model(m1, m2, …) of the kept fits in the request's order; throws the library's refusal, naming the fit */
export async function runTabModel(fits: (AnyFit | undefined)[], req: TmRequest): Promise<TmMsg> {
  const t0 = performance.now();
  if (fits.length === 0) throw new Error('choose one or more fits for the table');
  if (fits.length !== req.names.length) throw new Error(`the request names ${req.names.length} fits for ${fits.length} ids`);
  fits.forEach((f, k) => {
    if (!f) throw new Error(`${req.names[k]}: that fit is no longer kept (new data were loaded, or a new file streamed)`);
    if (!(f instanceof LmmFit || f instanceof GlmmFit)) throw new Error(`${req.names[k]}: not an lmer or glmer fit (sjPlot's tab_model is implemented for mixed models fitted by lmer and glmer)`);
  });
  const kept = fits as AnyFit[];
  let t: TabModel;
  try {
    t = await tabModel(kept, req.options);
  } catch (e) {
    throw await namedRefusal(e, kept, req);
  }
  return {
    request: req,
    html: t.html(),
    page: t.page(),
    text: t.text(),
    cells: tableCells(t),
    messages: t.messages,
    elapsedMs: performance.now() - t0,
  };
}
