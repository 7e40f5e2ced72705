/**
 * `mixedgpu tabmodel FILE FORMULA [FORMULA2 …] [--family F] [--df-method M] [--show-se] … [--html OUT]`:
 * sjPlot's tab_model() of one or several lmer or glmer (--family, for every formula) fits of one data
 * file side by side (src/tabmodel/tabModel.ts). Text on stdout; --html OUT also writes sjPlot's
 * complete page (its CSS and the table); --json prints the structured table instead of the text (columns, rows, summary rows, the
 * HTML table).
 */
import { existsSync, writeFileSync } from 'node:fs';
import type * as arrow from 'apache-arrow';
import { type CliIO, CliError, type FitArgs, errorMessage, fitFromArgs } from './fitCommand.js';
import { LmmFit } from '../lmm/lmmFit.js';
import { GlmmFit } from '../glmm/glmmFit.js';
import { P_STYLES, TAB_DF_METHODS, type TabModelOptions, tabModel } from '../tabmodel/tabModel.js';

export interface TabmodelArgs extends Omit<FitArgs, 'formula'> {
  formulas: string[];
  dfMethod?: string;
  pStyle?: string;
  transform?: string;
  ci?: string | false;
  showSe?: boolean;
  showStat?: boolean;
  showDf?: boolean;
  showAic?: boolean;
  showLoglik?: boolean;
  showDev?: boolean;
  showIcc?: boolean;
  showR2?: boolean;
  showReVar?: boolean;
  showNgroups?: boolean;
  showObs?: boolean;
  showIntercept?: boolean;
  showP?: boolean;
  digits?: string;
  digitsP?: string;
  digitsRe?: string;
  digitsRsq?: string;
  dvLabels?: string;
  predLabels?: string;
  title?: string;
  collapseCi?: boolean;
  collapseSe?: boolean;
  stringEst?: string;
  stringCi?: string;
  stringP?: string;
  stringSe?: string;
  stringStat?: string;
  stringDf?: string;
  stringPred?: string;
  html?: string;
}

function whole(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 0 && n <= 15)) throw new CliError(`${name} must be a whole number from 0 to 15, got '${v}'`);
  return n;
}

/** --pred-labels: 'label1;label2;…' (one per row) or 'term=label;…' (by term) */
function parsePredLabels(s: string): string[] | Record<string, string> {
  const parts = s.split(';').map((x) => x.trim());
  if (parts.every((p) => p.includes('='))) return Object.fromEntries(parts.map((p) => { const k = p.indexOf('='); return [p.slice(0, k).trim(), p.slice(k + 1).trim()]; }));
  if (parts.some((p) => p.includes('='))) throw new CliError(`--pred-labels: give every label as term=label or none (one label per row, separated by ';'), got '${s}'`);
  return parts;
}

/** the tabModel options of the command line */
export function tabmodelOptions(args: TabmodelArgs): TabModelOptions {
  if (args.dfMethod !== undefined && !(TAB_DF_METHODS as readonly string[]).includes(args.dfMethod)) throw new CliError(`--df-method: unknown method '${args.dfMethod}'; one of ${TAB_DF_METHODS.join(', ')}`);
  if (args.pStyle !== undefined && !(P_STYLES as readonly string[]).includes(args.pStyle)) throw new CliError(`--p-style: unknown style '${args.pStyle}'; one of ${P_STYLES.join(', ')}`);
  if (args.transform !== undefined && args.transform !== 'exp' && args.transform !== 'none') throw new CliError(`--transform must be exp or none, got '${args.transform}'`);
  let showCi: number | false | undefined;
  if (args.ci === false) showCi = false;
  else if (args.ci !== undefined) {
    showCi = Number(args.ci);
    if (!(showCi > 0 && showCi < 1)) throw new CliError(`--ci must be a level between 0 and 1 such as 0.9, got '${args.ci}'`);
  }
  const o: TabModelOptions = {};
  const set = <K extends keyof TabModelOptions>(k: K, v: TabModelOptions[K] | undefined) => { if (v !== undefined) o[k] = v; };
  set('dfMethod', args.dfMethod as TabModelOptions['dfMethod']);
  set('pStyle', args.pStyle as TabModelOptions['pStyle']);
  set('transform', args.transform === undefined ? undefined : args.transform === 'none' ? null : 'exp');
  set('showCi', showCi);
  for (const k of ['showSe', 'showStat', 'showDf', 'showAic', 'showLoglik', 'showDev', 'showIcc', 'showR2', 'showReVar', 'showNgroups', 'showObs', 'showIntercept', 'showP', 'collapseCi', 'collapseSe'] as const) set(k, args[k]);
  set('digits', whole(args.digits, '--digits'));
  set('digitsP', whole(args.digitsP, '--digits-p'));
  set('digitsRe', whole(args.digitsRe, '--digits-re'));
  set('digitsRsq', whole(args.digitsRsq, '--digits-rsq'));
  if (o.digitsP === 0) throw new CliError('--digits-p must be at least 1');
  set('dvLabels', args.dvLabels?.split(';').map((x) => x.trim()));
  set('predLabels', args.predLabels === undefined ? undefined : parsePredLabels(args.predLabels));
  for (const k of ['title', 'stringEst', 'stringCi', 'stringP', 'stringSe', 'stringStat', 'stringDf', 'stringPred'] as const) set(k, args[k]);
  return o;
}

/** Runs `mixedgpu tabmodel`; returns the exit code. */
export async function runTabmodel(args: TabmodelArgs, io: CliIO): Promise<number> {
  try {
    if (args.formulas.length === 0) throw new CliError('missing model formula');
    const options = tabmodelOptions(args);
    if (args.html !== undefined && existsSync(args.html)) throw new CliError(`--html: ${args.html} exists (not overwritten)`);
    const fits: (LmmFit | GlmmFit)[] = [];
    let table: arrow.Table | undefined;
    for (const formula of args.formulas) {
      const r = await fitFromArgs({ ...args, formula } as FitArgs, io, table);
      table = r.table ?? table;
      if (!(r.fit instanceof LmmFit || r.fit instanceof GlmmFit)) throw new CliError('tabmodel is for lmer and glmer fits');
      fits.push(r.fit);
    }
    const t = await tabModel(fits, options);
    if (!args.quiet) for (const m of t.messages) io.stderr(`mixedgpu: note: ${m}\n`);
    if (args.html !== undefined) {
      // 'wx': an existing file is not overwritten
      writeFileSync(args.html, t.page(), { flag: 'wx' });
      if (!args.quiet) io.stderr(`mixedgpu: note: wrote sjPlot's tab_model page to ${args.html}\n`);
    }
    if (args.json) {
      const { columns, rows, summary, dvLabels, title, footnote, predictorsHeader } = t;
      io.stdout(`${JSON.stringify({ tab_model: { title, dv_labels: dvLabels, predictors_header: predictorsHeader, columns, rows, summary, footnote, html: t.html() } }, null, 2)}\n`);
    } else {
      io.stdout(t.text());
    }
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
