/**
 * The page's side of the Optimizers (allFit) card (lme4's allFit and summary(allFit)), no DOM and no
 * library math: the request of the card's fields (a bad field named) and the result as one table of
 * cells, a row per optimizer, with its CSV (the Model tests card's TestTable). The refits run in the
 * worker (./allFitRun.ts), by the library's allFit.
 */
import type { AllFitMsg, AllFitRequest, AllFitSetup } from './protocol.js';
import type { CellFormat, TestColumn, TestTable } from './modelTests.js';
import type { OptimizerMethod } from '../../src/optim/minimizers.js';

/** the card's fields, as chosen or typed */
export interface AllFitFields {
  /** the optimizers ticked (methods), in any order */
  optimizers: string[];
  /** each refit's evaluation budget, as typed */
  maxfun: string;
}

/** a field the card refuses, named */
export class AllFitFieldError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'AllFitFieldError';
  }
}

/** The request of the card's fields: the ticked optimizers in allFit's order (the setup's), and the budget. */
export function allFitRequest(f: AllFitFields, setup: Pick<AllFitSetup, 'refusal' | 'optimizers'>): AllFitRequest {
  if (setup.refusal) throw new AllFitFieldError('fit', `allFit is not available for this fit: ${setup.refusal}`);
  const known = setup.optimizers.map((o) => o.method as string);
  const bad = f.optimizers.find((m) => !known.includes(m));
  if (bad !== undefined) throw new AllFitFieldError('optimizers', `optimizers: '${bad}' is not one of ${known.join(', ')}`);
  if (f.optimizers.length === 0) throw new AllFitFieldError('optimizers', `optimizers: tick at least one of ${setup.optimizers.map((o) => o.label).join(', ')}`);
  const text = f.maxfun.trim();
  const maxfun = Number(text);
  if (text === '' || !Number.isInteger(maxfun) || maxfun < 1) {
    throw new AllFitFieldError('maxfun', `maxfun: each refit's evaluation budget must be a whole number ≥ 1 (lme4's allFit: 100000), got '${f.maxfun}'`);
  }
  return { optimizers: known.filter((m) => f.optimizers.includes(m)) as OptimizerMethod[], maxfun };
}

const col = (key: string, head: string, csvName: string, format: CellFormat): TestColumn => ({ key, head, csv: csvName, format });

/** the names of a result's columns: the fixed effects, θ and sdcor entries of the first refit that ran */
function namesOf(m: AllFitMsg): { fixef: string[]; theta: number; sdcor: string[] } {
  const ok = m.rows.find((r) => r.ok);
  return { fixef: ok ? Object.keys(ok.fixef) : [], theta: ok ? ok.theta.length : 0, sdcor: ok ? Object.keys(ok.sdcor) : [] };
}

/** the best logLik of the refits that ran (NaN when none ran) */
export function bestLogLik(m: AllFitMsg): number {
  const ok = m.rows.filter((r) => r.ok && Number.isFinite(r.logLik));
  return ok.length ? Math.max(...ok.map((r) => r.logLik)) : NaN;
}

/**
 * One row per optimizer: ok or its error, converged (the optimizer's own verdict), lme4's messages,
 * logLik and its difference from the best refit's, the fixed effects, θ, the SDs and correlations
 * (as.data.frame(VarCorr)'s sdcor), evaluations and time. A failed refit's numbers are empty (NA).
 */
export function allFitTable(m: AllFitMsg): TestTable {
  const n = namesOf(m);
  const best = bestLogLik(m);
  const columns = [
    col('optimizer', 'optimizer', 'optimizer', 'text'), col('ok', 'ran', 'ok', 'text'), col('converged', 'converged', 'converged', 'text'),
    col('messages', 'messages', 'messages', 'text'),
    col('loglik', 'logLik', 'loglik', 'num'), col('dloglik', 'logLik − best', 'loglik_minus_best', 'num'),
    ...n.fixef.map((name, j) => col(`fixef-${j}`, name, `fixef_${name}`, 'num')),
    ...Array.from({ length: n.theta }, (_, k) => col(`theta-${k}`, `θ${k + 1}`, `theta${k + 1}`, 'num')),
    ...n.sdcor.map((name, j) => col(`sdcor-${j}`, name, `sdcor_${name}`, 'num')),
    col('feval', 'evaluations', 'feval', 'int'), col('time', 'time (ms)', 'time_ms', 'int'),
  ];
  const rows = m.rows.map((r) => {
    const messages = [...r.messages, ...(r.ok && !r.converged ? [`optimizer did not converge: ${r.optimizerMessage}`] : [])].map((x) => x.replace(/\s*\n\s*/g, ' '));
    const num = (v: number | undefined) => (r.ok && v !== undefined && Number.isFinite(v) ? v : null);
    return {
      key: r.method,
      cells: [
        r.optimizer, r.ok ? 'ok' : `error: ${r.error ?? ''}`, r.ok ? (r.converged ? 'yes' : 'no') : '', messages.join(' | '),
        num(r.logLik), num(r.logLik - best),
        ...n.fixef.map((name) => num(r.fixef[name])),
        ...Array.from({ length: n.theta }, (_, k) => num(r.theta[k])),
        ...n.sdcor.map((name) => num(r.sdcor[name])),
        r.ok ? r.feval : null, Math.round(r.timeMs),
      ],
    };
  });
  return {
    id: 'allfit', title: `Refits by ${m.rows.length} optimizer${m.rows.length === 1 ? '' : 's'} from lme4's start (maxfun ${m.request.maxfun})`,
    columns, rows,
    caption: `The fit shown has logLik ${m.fitLogLik.toFixed(6)}. Each row is the model refitted from lme4's start by one optimizer (our implementations, named for what ran); `
      + 'messages: lme4\'s convergence checks and the singular-fit message; sdcor: as.data.frame(VarCorr)\'s column (per term its SDs, then its correlations, then σ).',
  };
}

/** the card's headline: the library's verdict, and whether the optimizers agree (null: fewer than two ran) */
export function allFitHeadline(m: AllFitMsg): { text: string; agree: boolean | null } {
  const ran = m.rows.filter((r) => r.ok).length;
  return { text: m.verdict, agree: ran < 2 ? null : /\bagree:/.test(m.verdict) && !/\bdisagree:/.test(m.verdict) };
}
