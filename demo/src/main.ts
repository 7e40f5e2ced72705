/**
 * The page: data loading (file picker, drag and drop, examples), the column list with factor
 * toggles, the formula box validated as you type, options, the fit with progress and Cancel, and
 * the results. Everything heavy runs in ./worker.ts.
 */
import { FormulaError, parseFormula, type Formula } from '../../src/index.js';
import sleepstudyUrl from '../../test/fixtures/data/sleepstudy.csv?url';
import instevalUrl from '../../test/fixtures/data/insteval.csv?url';
import cbppUrl from '../../test/fixtures/data/cbpp.csv?url';
import { byId, clear, csv, download, fmt, fmtFixed, fmtMs, fmtP, h } from './dom.js';
import { MAX_CATERPILLAR, MAX_SHRINKAGE, caterpillarPlot, caterpillarRows, sharePlot, shrinkagePlot, shrinkageRows } from './plots.js';
import type {
  BackendChoice, DataInfo, DataSource, ExampleName, FamilyChoice, FitRequest, FitResult, FromWorker, GpuInfo, ToWorker,
} from './protocol.js';

const EXAMPLE_URLS: Partial<Record<ExampleName, string>> = { sleepstudy: sleepstudyUrl, insteval: instevalUrl, cbpp: cbppUrl };
const LINKS: Record<FamilyChoice, string[]> = { gaussian: ['identity'], binomial: ['logit', 'probit', 'cloglog'], poisson: ['log'] };

// ---------------------------------------------------------------------------------------------
// State

let worker: Worker;
let nextId = 1;
let source: DataSource | null = null;
let loadId = 0;
let data: DataInfo | null = null;
const factors = new Set<string>();
let gpu: GpuInfo | null = null;
let fitId = 0;
let fitStarted = 0;
let fitTimer: number | undefined;
let cancelTimer: number | undefined;
let result: FitResult | null = null;
let parsed: Formula | null = null;
const jsonWaiters = new Map<number, (text: string) => void>();

const el = {
  drop: byId('drop'),
  file: byId<HTMLInputElement>('file'),
  dataStatus: byId('data-status'),
  dataError: byId('data-error'),
  columns: byId('columns'),
  formula: byId<HTMLInputElement>('formula'),
  formulaError: byId('formula-error'),
  family: byId<HTMLSelectElement>('family'),
  link: byId<HTMLSelectElement>('link'),
  nagq: byId<HTMLInputElement>('nagq'),
  criterion: byId('criterion'),
  backend: byId<HTMLSelectElement>('backend'),
  gpuNote: byId('gpu-note'),
  familyNote: byId('family-note'),
  optionsError: byId('options-error'),
  fit: byId<HTMLButtonElement>('fit'),
  cancel: byId<HTMLButtonElement>('cancel'),
  progress: byId('progress'),
  progressText: byId('progress-text'),
  fitError: byId('fit-error'),
  results: byId('results'),
  fitInfo: byId('fit-info'),
  fixef: byId('fixef'),
  varcorr: byId('varcorr'),
  icc: byId('icc'),
  catControls: byId('cat-controls'),
  caterpillar: byId('caterpillar'),
  shrinkControls: byId('shrink-controls'),
  shrinkage: byId('shrinkage'),
  predictForm: byId<HTMLFormElement>('predict-form'),
  predictOut: byId('predict-out'),
  predictError: byId('predict-error'),
  summary: byId('summary'),
};

function setState(s: 'empty' | 'loading' | 'loaded' | 'fitting' | 'fitted' | 'error'): void {
  document.body.dataset.state = s;
}

// ---------------------------------------------------------------------------------------------
// Worker

function send(msg: ToWorker): void {
  worker.postMessage(msg);
}

function startWorker(): void {
  worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  worker.addEventListener('message', (ev: MessageEvent<FromWorker>) => onMessage(ev.data));
  worker.addEventListener('error', (ev) => {
    showError(el.fitError, `The background worker failed: ${ev.message || 'unknown error'}. Reload the page to start again.`);
  });
  send({ type: 'probeGpu' });
}

function onMessage(m: FromWorker): void {
  switch (m.type) {
    case 'gpu':
      gpu = m.info;
      showGpu();
      break;
    case 'loadProgress':
      if (m.id === loadId) el.dataStatus.textContent = m.stage;
      break;
    case 'loaded':
      if (m.id === loadId) onLoaded(m.info);
      break;
    case 'loadError':
      if (m.id !== loadId) break;
      data = null;
      setState('error');
      el.dataStatus.textContent = '';
      el.drop.classList.add('invalid');
      showError(el.dataError, m.message);
      renderColumns();
      updateFitButton();
      break;
    case 'progress':
      if (m.id === fitId) showProgress(m);
      break;
    case 'fitted':
      if (m.id !== fitId) break;
      endFit();
      result = m.result;
      setState('fitted');
      renderResults(m.result);
      break;
    case 'fitError': {
      if (m.id !== fitId) break;
      endFit();
      setState('error');
      if (m.where === 'formula') showFormulaError(m.message, m.position);
      else showError(m.where === 'options' ? el.optionsError : m.where === 'data' ? el.dataError : el.fitError, m.message);
      break;
    }
    case 'cancelled':
      if (m.id !== fitId) break;
      endFit();
      setState(data ? 'loaded' : 'empty');
      el.fitError.textContent = '';
      el.progress.hidden = false;
      el.progressText.textContent = 'Cancelled.';
      break;
    case 'predicted': {
      el.predictError.textContent = '';
      const r = m.result;
      const glmm = result?.kind === 'glmer';
      const resp = (v: number | undefined) => (glmm && v !== undefined ? ` (response scale ${fmt(v, 5)})` : '');
      clear(el.predictOut,
        h('div', {}, 'Population level (new groups, random effects 0): ', h('b', { id: 'pred-population' }, fmt(r.population, 6)), glmm ? ' on the link scale' : '', resp(r.populationResponse)),
        h('div', {}, `With ${r.groups}: `, h('b', { id: 'pred-conditional' }, fmt(r.conditional, 6)), glmm ? ' on the link scale' : '', resp(r.conditionalResponse)),
      );
      break;
    }
    case 'predictError':
      el.predictOut.textContent = '';
      showError(el.predictError, m.message);
      break;
    case 'json':
      jsonWaiters.get(m.id)?.(m.text);
      jsonWaiters.delete(m.id);
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// Data

function load(src: DataSource): void {
  source = src;
  loadId = nextId++;
  data = null;
  result = null;
  el.results.hidden = true;
  setState('loading');
  el.dataError.textContent = '';
  el.fitError.textContent = '';
  el.drop.classList.remove('invalid');
  el.dataStatus.textContent = src.kind === 'file' ? `reading ${src.file.name}…` : `loading ${src.name}…`;
  renderColumns();
  updateFitButton();
  send({ type: 'load', id: loadId, source: src });
}

function onLoaded(info: DataInfo): void {
  data = info;
  setState('loaded');
  el.dataError.textContent = '';
  const size = !info.bytes ? '' : info.bytes < 1048576 ? `, ${(info.bytes / 1024).toFixed(1)} KB` : `, ${(info.bytes / 1048576).toFixed(1)} MB`;
  el.dataStatus.textContent = `${info.name}: ${info.rows.toLocaleString('en-US')} rows × ${info.columns.length} columns${size}, read in ${fmtMs(info.loadMs)}`;
  if (info.warnings.length) showError(el.dataError, info.warnings.join('\n'));
  factors.clear();
  if (info.suggestion) {
    el.formula.value = info.suggestion.formula;
    for (const f of info.suggestion.factors) factors.add(f);
    el.family.value = info.suggestion.family ?? 'gaussian';
    onFamilyChange(info.suggestion.link);
  }
  validateFormula();
  renderColumns();
  updateFitButton();
}

function renderColumns(): void {
  if (!data) {
    el.columns.replaceChildren();
    return;
  }
  const roles = new Map<string, string>();
  if (parsed) {
    const resp = parsed.response.kind === 'expr' ? varsOf(parsed.response.expr) : [...varsOf(parsed.response.successes), ...varsOf(parsed.response.failures)];
    for (const r of parsed.random) for (const g of r.group) roles.set(g, 'grouping');
    for (const v of resp) roles.set(v, 'response');
  }
  const rows = data.columns.map((c) => {
    const role = roles.get(c.name);
    const isFactor = c.kind === 'factor' || factors.has(c.name);
    const num = (x: number | undefined) => (x !== undefined && Number.isInteger(x) && Math.abs(x) < 1e9 ? x.toLocaleString('en-US') : fmt(x, 4));
    const summary = c.kind === 'numeric'
      ? `${num(c.min)} – ${num(c.max)}${c.integer ? `, ${c.distinct > 10_000 ? '>10,000' : c.distinct.toLocaleString('en-US')} distinct` : ''}`
      : c.kind === 'factor' ? `${c.distinct.toLocaleString('en-US')} level${c.distinct === 1 ? '' : 's'}` : 'not usable in a model';
    const toggle = c.kind === 'numeric'
      ? h('input', {
          type: 'checkbox', checked: factors.has(c.name), 'data-factor': c.name, 'aria-label': `treat ${c.name} as a factor`,
          onchange: (ev: Event) => {
            const on = (ev.target as HTMLInputElement).checked;
            if (on) factors.add(c.name); else factors.delete(c.name);
            renderColumns();
            validateFormula();
          },
        })
      : c.kind === 'factor' ? h('input', { type: 'checkbox', checked: true, disabled: true, 'aria-label': `${c.name} is a factor` }) : null;
    return h('tr', { 'data-column': c.name },
      h('td', {}, h('code', {}, c.name), role ? h('span', { class: 'badge' }, role) : null),
      h('td', { title: c.arrowType }, h('span', { class: `kind ${isFactor ? 'factor' : c.kind}` }, isFactor ? 'factor' : c.kind === 'numeric' ? 'numeric' : c.arrowType)),
      h('td', {}, summary, c.nulls ? h('span', { class: 'badge' }, `${c.nulls.toLocaleString('en-US')} missing`) : null),
      h('td', { class: 'sample', title: c.sample.join(', ') }, c.sample.join(', ')),
      h('td', {}, toggle ? h('label', { title: 'treat as a factor (categorical)' }, toggle, ' factor') : null),
    );
  });
  clear(el.columns,
    h('table', { class: 'columns', id: 'columns-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Column'), h('th', {}, 'Type'), h('th', {}, 'Values'), h('th', {}, 'First rows'), h('th', {}, ''))),
      h('tbody', {}, rows),
    ),
  );
}

function setupDrop(): void {
  el.file.addEventListener('change', () => {
    const f = el.file.files?.[0];
    if (f) load({ kind: 'file', file: f });
    el.file.value = '';
  });
  const d = el.drop;
  d.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    d.classList.add('over');
  });
  d.addEventListener('dragleave', () => d.classList.remove('over'));
  d.addEventListener('drop', (ev) => {
    ev.preventDefault();
    d.classList.remove('over');
    const files = ev.dataTransfer?.files;
    if (!files || files.length === 0) {
      showError(el.dataError, 'Nothing to read: drop a file (CSV, TSV, Parquet or Arrow IPC).');
      return;
    }
    if (files.length > 1) showError(el.dataError, `${files.length} files dropped: reading the first, ${files[0]!.name}.`);
    load({ kind: 'file', file: files[0]! });
  });
  // a file dropped elsewhere on the page should not navigate away
  window.addEventListener('dragover', (ev) => ev.preventDefault());
  window.addEventListener('drop', (ev) => ev.preventDefault());
  for (const b of document.querySelectorAll<HTMLButtonElement>('[data-example]')) {
    b.addEventListener('click', () => {
      const name = b.dataset.example as ExampleName;
      load({ kind: 'example', name, url: EXAMPLE_URLS[name] ? new URL(EXAMPLE_URLS[name]!, location.href).href : undefined });
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Formula

function varsOf(e: import('../../src/index.js').Expr, out: string[] = []): string[] {
  switch (e.type) {
    case 'var': out.push(e.name); break;
    case 'neg': varsOf(e.arg, out); break;
    case 'binop': varsOf(e.left, out); varsOf(e.right, out); break;
    case 'call': for (const a of e.args) varsOf(a, out); break;
  }
  return out;
}

function formulaVars(f: Formula): string[] {
  const out: string[] = [];
  if (f.response.kind === 'expr') varsOf(f.response.expr, out);
  else { varsOf(f.response.successes, out); varsOf(f.response.failures, out); }
  for (const t of f.fixed.terms) for (const v of t.vars) varsOf(v.expr, out);
  for (const o of f.offsets) varsOf(o, out);
  for (const r of f.random) {
    for (const t of r.lhs.terms) for (const v of t.vars) varsOf(v.expr, out);
    out.push(...r.group);
  }
  return [...new Set(out)];
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = t;
    }
  }
  return d[b.length]!;
}

/** The extent of the token at `pos`: an identifier or number, else one character. */
function tokenAt(text: string, pos: number): [number, number] {
  if (pos >= text.length) return [text.length, text.length];
  const m = /^(?:[A-Za-z_.][A-Za-z0-9_.]*|\d+(?:\.\d*)?(?:e[+-]?\d+)?|\|\||\S)/.exec(text.slice(pos));
  return [pos, pos + (m ? m[0].length : 1)];
}

function showFormulaError(message: string, position?: number): void {
  const text = el.formula.value;
  el.formula.setAttribute('aria-invalid', 'true');
  const parts: (Node | string)[] = [message];
  if (position !== undefined && position >= 0) {
    const [a, b] = tokenAt(text, position);
    const token = text.slice(a, b);
    const where = h('span', { class: 'where' },
      text.slice(0, a),
      h('mark', { id: 'formula-token', 'data-position': String(position) }, token || ' '),
      text.slice(b),
      '\n',
      h('span', { class: 'caret' }, ' '.repeat(a) + '^'.repeat(Math.max(1, b - a))),
    );
    parts.push(where);
  }
  el.formulaError.dataset.position = position === undefined ? '' : String(position);
  clear(el.formulaError, parts);
}

function clearFormulaError(): void {
  el.formula.removeAttribute('aria-invalid');
  el.formulaError.replaceChildren();
  delete el.formulaError.dataset.position;
}

/** Parses the formula and checks it against the columns; shows the first problem at its token. */
function validateFormula(): boolean {
  const text = el.formula.value;
  parsed = null;
  if (text.trim() === '') {
    clearFormulaError();
    return false;
  }
  let f: Formula;
  try {
    f = parseFormula(text);
  } catch (e) {
    if (e instanceof FormulaError) {
      showFormulaError(`Formula error: ${e.message.split('\n')[0]!.replace(/ at position \d+:?$/, '')}`, e.position);
    } else showFormulaError(`Formula error: ${(e as Error).message}`);
    return false;
  }
  parsed = f;
  if (data) {
    const cols = data.columns.map((c) => c.name);
    const colSet = new Set(cols);
    const unknown = formulaVars(f).filter((v) => !colSet.has(v));
    if (unknown.length > 0) {
      const u = unknown[0]!;
      const best = cols.map((c) => [c, editDistance(u, c)] as const).sort((a, b) => a[1] - b[1])[0];
      const hint = best && best[1] <= Math.max(2, Math.floor(u.length / 3)) ? ` Did you mean '${best[0]}'?` : '';
      const pos = text.search(new RegExp(`(?<![A-Za-z0-9_.])${u.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_.])`));
      showFormulaError(
        `Unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((x) => `'${x}'`).join(', ')}: not in ${data.name}.${hint}\nColumns: ${cols.join(', ')}`,
        pos >= 0 ? pos : undefined,
      );
      renderColumns();
      return false;
    }
    const unusable = formulaVars(f).filter((v) => data!.columns.find((c) => c.name === v)?.kind === 'other');
    if (unusable.length > 0) {
      showFormulaError(`Column '${unusable[0]}' (${data.columns.find((c) => c.name === unusable[0])!.arrowType}) is neither numeric nor text: it cannot be used in a model.`);
      return false;
    }
  }
  if (f.random.length === 0) {
    showFormulaError('A mixed model needs at least one random-effects term, such as (1 | group): add one at the end.', text.length);
    return false;
  }
  const family = el.family.value as FamilyChoice;
  if (f.response.kind === 'cbind' && family !== 'binomial') {
    showFormulaError(`cbind(successes, failures) is a binomial response: choose the family binomial under Options.`, text.indexOf('cbind'));
    return false;
  }
  if (data && family === 'gaussian' && f.response.kind === 'expr' && f.response.expr.type === 'var') {
    const name = f.response.expr.name;
    const col = data.columns.find((c) => c.name === name);
    if (col && (col.kind === 'factor' || factors.has(name))) {
      showFormulaError(`The response '${name}' is a factor; a Gaussian model needs a numeric response (for 0/1 or two-level outcomes choose the family binomial).`, text.indexOf(name));
      return false;
    }
  }
  clearFormulaError();
  return true;
}

// ---------------------------------------------------------------------------------------------
// Options

function onFamilyChange(link?: string): void {
  const fam = el.family.value as FamilyChoice;
  clear(el.link, LINKS[fam].map((l) => h('option', { value: l }, l)));
  if (link && LINKS[fam].includes(link)) el.link.value = link;
  el.link.disabled = fam === 'gaussian';
  el.nagq.disabled = fam === 'gaussian';
  for (const r of el.criterion.querySelectorAll('input')) r.disabled = fam !== 'gaussian';
  el.familyNote.textContent = fam === 'gaussian'
    ? ''
    : 'GLMMs (glmer) are fit by maximum likelihood (Laplace, or adaptive Gauss–Hermite with nAGQ > 1).';
  el.optionsError.textContent = '';
  validateFormula();
  updateFitButton();
}

function showGpu(): void {
  const webgpuOption = el.backend.querySelector<HTMLOptionElement>('option[value="webgpu"]')!;
  if (!gpu) return;
  document.body.dataset.gpu = gpu.available ? 'available' : 'unavailable';
  if (gpu.available) {
    webgpuOption.disabled = false;
    clear(el.gpuNote, 'WebGPU adapter: ', h('b', { id: 'gpu-adapter' }, gpu.adapter ?? 'unknown'),
      gpu.isSoftware ? ' — a software (CPU) implementation: expect CPU speed, not GPU speed; auto uses the CPU backend.' : '');
    el.gpuNote.className = 'note';
  } else {
    webgpuOption.disabled = true;
    if (el.backend.value === 'webgpu') el.backend.value = 'auto';
    clear(el.gpuNote, h('b', {}, 'WebGPU is not available in this browser'), ` (${gpu.reason ?? 'no adapter'}). Fits run on the CPU backend (float64).`);
    el.gpuNote.className = 'note warn';
  }
}

// ---------------------------------------------------------------------------------------------
// Fit

function updateFitButton(): void {
  const busy = fitId !== 0;
  el.fit.disabled = busy || !data || !parsed || el.formula.getAttribute('aria-invalid') === 'true';
  el.cancel.disabled = !busy;
}

function startFit(): void {
  if (!data || !validateFormula()) return;
  const family = el.family.value as FamilyChoice;
  const nAGQ = Number(el.nagq.value);
  el.optionsError.textContent = '';
  el.fitError.textContent = '';
  if (family !== 'gaussian' && !(Number.isInteger(nAGQ) && nAGQ >= 0 && nAGQ <= 25)) {
    showError(el.optionsError, 'nAGQ must be a whole number from 0 to 25 (1 = Laplace).');
    return;
  }
  const req: FitRequest = {
    formula: el.formula.value,
    factors: [...factors],
    reml: (document.querySelector<HTMLInputElement>('input[name="crit"]:checked')?.value ?? 'reml') === 'reml',
    backend: el.backend.value as BackendChoice,
    family,
    link: family === 'gaussian' ? undefined : el.link.value,
    nAGQ: family === 'gaussian' ? undefined : nAGQ,
    dataName: data.name,
  };
  fitId = nextId++;
  fitStarted = performance.now();
  setState('fitting');
  el.progress.hidden = false;
  el.progress.querySelector<HTMLElement>('.bar')!.hidden = false;
  el.progressText.textContent = 'starting…';
  fitTimer = window.setInterval(() => tick(), 100);
  updateFitButton();
  send({ type: 'fit', id: fitId, request: req });
}

let lastProgress: { feval: number; deviance: number; best: number; stage?: number } | null = null;

function tick(): void {
  const elapsed = performance.now() - fitStarted;
  const p = lastProgress;
  el.progressText.textContent = p
    ? `${p.stage ? `stage ${p.stage} · ` : ''}evaluations ${p.feval} · deviance ${fmt(p.deviance, 8)} · best ${fmt(p.best, 8)} · ${fmtMs(elapsed)}`
    : `preparing the model… ${fmtMs(elapsed)}`;
}

function showProgress(p: { feval: number; deviance: number; best: number; stage?: number }): void {
  lastProgress = p;
  tick();
}

function endFit(): void {
  fitId = 0;
  lastProgress = null;
  window.clearInterval(fitTimer);
  window.clearTimeout(cancelTimer);
  el.progress.hidden = true;
  updateFitButton();
}

function cancelFit(): void {
  if (!fitId) return;
  const id = fitId;
  send({ type: 'cancel', id });
  el.progressText.textContent = 'cancelling…';
  // lmer and glmer give the worker's event loop a turn every ~50 ms, so the AbortSignal stops them;
  // a single step that takes longer (a pass over very large data) cannot see it: restart the worker
  cancelTimer = window.setTimeout(() => {
    if (fitId !== id) return;
    worker.terminate();
    endFit();
    el.progress.hidden = false;
    el.progress.querySelector<HTMLElement>('.bar')!.hidden = true;
    el.progressText.textContent = 'Cancelled (the worker was restarted; the data are read again).';
    startWorker();
    if (source) {
      const keepFormula = el.formula.value;
      const keepFactors = [...factors];
      const keepFamily = el.family.value;
      const keepLink = el.link.value;
      loadId = nextId++;
      setState('loading');
      const id2 = loadId;
      const restore = (ev: MessageEvent<FromWorker>) => {
        if (ev.data.type === 'loaded' && ev.data.id === id2) {
          el.formula.value = keepFormula;
          factors.clear();
          for (const f of keepFactors) factors.add(f);
          el.family.value = keepFamily;
          onFamilyChange(keepLink);
          renderColumns();
          worker.removeEventListener('message', restore);
        }
      };
      worker.addEventListener('message', restore);
      send({ type: 'load', id: loadId, source });
    }
  }, 1500);
}

// ---------------------------------------------------------------------------------------------
// Results

function showError(target: HTMLElement, message: string): void {
  target.textContent = message;
}

function renderResults(r: FitResult): void {
  el.results.hidden = false;
  // header: backend, size, criterion, time, messages
  const groups = Object.entries(r.ngroups).map(([g, n]) => `${g}: ${n.toLocaleString('en-US')} levels`).join(', ');
  const crit = r.kind === 'lmer' ? (r.reml ? 'REML criterion' : 'deviance (ML)') : 'deviance (Laplace)';
  clear(el.fitInfo,
    h('div', {},
      'Fitted on ', h('span', { class: 'backend', id: 'backend-name' }, r.backend.name),
      ' — ', h('span', { id: 'backend-device' }, r.backend.device),
      ' · ', h('span', { id: 'backend-precision' }, r.backend.precision),
      ` · ${fmtMs(r.elapsedMs)} · ${r.feval} evaluations`,
    ),
    h('div', {},
      `${r.kind === 'lmer' ? 'Linear mixed model' : `GLMM, ${r.family} (${r.link})`}: `, h('code', {}, r.formula),
      ` · ${r.nobs.toLocaleString('en-US')} observations · ${groups}`,
    ),
    h('div', {},
      `${crit} ${fmt(r.objective, 8)} · logLik ${fmt(r.logLik, 8)} · AIC ${fmt(r.AIC, 7)} · BIC ${fmt(r.BIC, 7)}`,
      r.sigma !== null ? [' · residual SD σ = ', h('b', { id: 'sigma' }, fmt(r.sigma))] : null,
    ),
    r.converged ? null : h('div', { class: 'msg' }, 'The optimizer did not report convergence.'),
    r.messages.map((m) => h('div', { class: 'msg' }, m)),
  );
  // fixed effects
  const statName = r.kind === 'lmer' ? 't value' : 'z value';
  clear(el.fixef,
    h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'fixef-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Term'), h('th', {}, 'Estimate'), h('th', {}, 'Std. Error'), h('th', {}, statName),
        r.kind === 'glmer' ? h('th', {}, 'Pr(>|z|)') : null, h('th', {}, '2.5 %'), h('th', {}, '97.5 %'))),
      h('tbody', {}, r.fixef.map((f) => h('tr', { 'data-term': f.name },
        h('td', { class: 'name' }, f.name),
        h('td', { 'data-col': 'estimate' }, fmt(f.estimate)),
        h('td', { 'data-col': 'se' }, fmt(f.se)),
        h('td', { 'data-col': 'stat' }, fmtFixed(f.stat, 3)),
        r.kind === 'glmer' ? h('td', { 'data-col': 'p' }, fmtP(f.p)) : null,
        h('td', { 'data-col': 'lower' }, fmt(f.lower)),
        h('td', { 'data-col': 'upper' }, fmt(f.upper)),
      ))),
    )),
    h('p', { class: 'caption' }, `95% Wald intervals (2.5 %, 97.5 %): estimate ± 1.96 × standard error${r.kind === 'lmer' ? ' (lme4\'s confint(method = "Wald"))' : ''}.`),
  );
  // variance components, lme4's layout
  const vc = r.varCorr;
  const hasCorr = vc.some((row) => row.var2 !== null);
  clear(el.varcorr,
    h('div', { class: 'table-wrap' }, h('table', { class: 'stats', id: 'varcorr-table' },
      h('thead', {}, h('tr', {}, h('th', { class: 'text' }, 'Groups'), h('th', { class: 'text' }, 'Name'), h('th', {}, 'Variance'), h('th', {}, 'Std.Dev.'), hasCorr ? h('th', {}, 'Corr') : null)),
      h('tbody', {}, vc.filter((row) => row.var2 === null).map((row) => {
        const corrs = vc.filter((c) => c.group === row.group && c.var2 !== null && c.var2 === row.var1);
        return h('tr', { 'data-group': row.group, 'data-name': row.var1 ?? '' },
          h('td', { class: 'text' }, row.group),
          h('td', { class: 'text name' }, row.var1 ?? ''),
          h('td', { 'data-col': 'variance' }, fmt(row.vcov)),
          h('td', { 'data-col': 'sd' }, fmt(row.sdcor)),
          hasCorr ? h('td', {}, corrs.map((c) => fmtFixed(c.sdcor, 3)).join(' ')) : null,
        );
      })),
    )),
  );
  if (r.varianceShares) {
    clear(el.icc, h('h3', {}, 'Share of variance per level ', h('span', { class: 'hint' }, 'intercept variances and σ²: the intraclass correlation')),
      sharePlot(r.varianceShares, Math.max(320, el.icc.clientWidth || 420)));
  } else {
    clear(el.icc, h('p', { class: 'caption' }, 'A GLMM has no residual variance on the data scale, so the share of variance per level is not shown (latent-scale ICCs depend on the link).'));
  }
  renderCaterpillarControls(r);
  renderShrinkageControls(r);
  renderPredictForm(r);
  el.summary.textContent = r.summary;
}

function selectFor(label: string, options: { value: string; text: string }[], onChange: (v: string) => void, id: string): HTMLElement {
  const s = h('select', { id }, options.map((o) => h('option', { value: o.value }, o.text)));
  s.addEventListener('change', () => onChange(s.value));
  return h('label', {}, `${label} `, s);
}

function renderCaterpillarControls(r: FitResult): void {
  let g = 0;
  let c = 0;
  const draw = () => {
    const grp = r.ranef[g]!;
    const width = Math.max(360, el.caterpillar.clientWidth || 480);
    const { total } = caterpillarRows(grp, c);
    clear(el.caterpillar, caterpillarPlot(grp, c, width),
      h('p', { class: 'caption' }, `Conditional modes b̂ of ${grp.group}, sorted, with ±1.96 conditional SDs.` +
        (total > MAX_CATERPILLAR ? ` Showing ${MAX_CATERPILLAR} of ${total.toLocaleString('en-US')} levels, evenly spaced in the sorted order; the export has all.` : '')));
  };
  const colSelect = () => selectFor('term', r.ranef[g]!.cnames.map((n, k) => ({ value: String(k), text: n })), (v) => { c = Number(v); draw(); }, 'cat-col');
  clear(el.catControls,
    selectFor('grouping factor', r.ranef.map((x, k) => ({ value: String(k), text: x.group })), (v) => {
      g = Number(v);
      c = 0;
      el.catControls.lastElementChild?.replaceWith(colSelect());
      draw();
    }, 'cat-group'),
    colSelect(),
  );
  draw();
}

function renderShrinkageControls(r: FitResult): void {
  if (r.shrinkage.length === 0) {
    clear(el.shrinkControls);
    clear(el.shrinkage, h('p', { class: 'caption' }, r.kind === 'glmer'
      ? 'The shrinkage plot compares each level\'s own least-squares fit with the mixed model: it is drawn for Gaussian models.'
      : 'No grouping factor with at most 3 random-effects columns.'));
    return;
  }
  let s = 0;
  let c = 0;
  const draw = () => {
    const sh = r.shrinkage[s]!;
    const levels = r.ranef.find((x) => x.group === sh.group)?.levels ?? [];
    const width = Math.max(360, el.shrinkage.clientWidth || 480);
    const { estimable, total } = shrinkageRows(sh, levels, c);
    const adj = sh.adjustedFor.length ? ` after subtracting ${sh.adjustedFor.map((a) => `${a}·β`).join(', ')}` : '';
    clear(el.shrinkage, shrinkagePlot(sh, levels, c, width),
      h('p', { class: 'caption' },
        `Each point is one ${sh.group}: x is its own least-squares estimate of ${sh.cnames.join(' and ')} from its rows alone${adj}; ` +
        `y is the mixed model's partially pooled estimate β + b̂. Arrows point from the diagonal (no pooling) to the pooled value: ` +
        `levels with few or noisy observations are pulled furthest toward the population value β (red line).` +
        (estimable < total ? ` ${(total - estimable).toLocaleString('en-US')} of ${total.toLocaleString('en-US')} levels have too few rows for their own estimate.` : '') +
        (estimable > MAX_SHRINKAGE ? ` Showing ${MAX_SHRINKAGE.toLocaleString('en-US')} of ${estimable.toLocaleString('en-US')} levels.` : '')),
    );
  };
  const colSelect = () => selectFor('coefficient', r.shrinkage[s]!.cnames.map((n, k) => ({ value: String(k), text: n })), (v) => { c = Number(v); draw(); }, 'shrink-col');
  clear(el.shrinkControls,
    selectFor('grouping factor', r.shrinkage.map((x, k) => ({ value: String(k), text: x.group })), (v) => {
      s = Number(v);
      c = 0;
      el.shrinkControls.lastElementChild?.replaceWith(colSelect());
      draw();
    }, 'shrink-group'),
    colSelect(),
  );
  draw();
}

const NEW_LEVEL = '__new__';

function renderPredictForm(r: FitResult): void {
  el.predictOut.replaceChildren();
  el.predictError.textContent = '';
  const fields = r.predictors.map((p) => {
    let input: HTMLElement;
    if (p.kind === 'numeric') {
      input = h('input', { type: 'number', step: 'any', name: p.name, value: p.initial, required: true });
    } else if ((p.nlevels ?? 0) <= 2000) {
      input = h('select', { name: p.name },
        p.grouping ? h('option', { value: NEW_LEVEL }, '(a new level)') : null,
        (p.levels ?? []).map((l) => h('option', { value: l, selected: l === p.initial }, l)));
    } else {
      const listId = `levels-${p.name}`;
      input = h('span', {},
        h('input', { name: p.name, list: listId, value: p.initial, placeholder: p.grouping ? 'a level, or empty for a new one' : '' }),
        h('datalist', { id: listId }, (p.levels ?? []).map((l) => h('option', { value: l }))));
    }
    return h('label', {}, h('span', {}, p.name, p.grouping ? h('span', { class: 'badge' }, 'group') : null), input);
  });
  clear(el.predictForm, fields, h('button', { type: 'submit', class: 'primary', id: 'predict' }, 'Predict'));
}

function onPredict(ev: Event): void {
  ev.preventDefault();
  if (!result) return;
  const values: Record<string, string> = {};
  const newGroups: string[] = [];
  for (const p of result.predictors) {
    const input = el.predictForm.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${CSS.escape(p.name)}"]`);
    const v = input?.value ?? '';
    if (p.grouping && (v === NEW_LEVEL || v.trim() === '')) newGroups.push(p.name);
    else values[p.name] = v;
  }
  send({ type: 'predict', id: nextId++, values, newGroups });
}

// ---------------------------------------------------------------------------------------------
// Export

function baseName(): string {
  return (data?.name ?? 'fit').replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9_-]+/g, '_');
}

function setupExport(): void {
  byId('export-json').addEventListener('click', () => {
    const id = nextId++;
    jsonWaiters.set(id, (text) => download(`${baseName()}_fit.json`, text, 'application/json'));
    send({ type: 'exportJson', id });
  });
  byId('export-fixef').addEventListener('click', () => {
    if (!result) return;
    const glmm = result.kind === 'glmer';
    download(`${baseName()}_fixef.csv`, csv(
      ['term', 'estimate', 'std_error', glmm ? 'z_value' : 't_value', ...(glmm ? ['p_value'] : []), 'wald_lower_95', 'wald_upper_95'],
      result.fixef.map((f) => [f.name, f.estimate, f.se, f.stat, ...(glmm ? [f.p ?? NaN] : []), f.lower, f.upper]),
    ), 'text/csv');
  });
  byId('export-varcorr').addEventListener('click', () => {
    if (!result) return;
    download(`${baseName()}_varcorr.csv`, csv(['group', 'var1', 'var2', 'vcov', 'sdcor'],
      result.varCorr.map((v) => [v.group, v.var1, v.var2, v.vcov, v.sdcor])), 'text/csv');
  });
  byId('export-ranef').addEventListener('click', () => {
    if (!result) return;
    const rows: (string | number)[][] = [];
    for (const g of result.ranef) {
      g.levels.forEach((lvl, i) => {
        g.cnames.forEach((c, k) => rows.push([g.group, lvl, c, g.values[k]![i]!, g.condsd[k]![i]!]));
      });
    }
    download(`${baseName()}_ranef.csv`, csv(['group', 'level', 'term', 'condval', 'condsd'], rows), 'text/csv');
  });
}

// ---------------------------------------------------------------------------------------------

function init(): void {
  startWorker();
  setupDrop();
  setupExport();
  onFamilyChange();
  let debounce: number | undefined;
  el.formula.addEventListener('input', () => {
    window.clearTimeout(debounce);
    debounce = window.setTimeout(() => {
      validateFormula();
      renderColumns();
      updateFitButton();
    }, 120);
  });
  el.formula.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !el.fit.disabled) startFit();
  });
  el.family.addEventListener('change', () => onFamilyChange());
  el.backend.addEventListener('change', () => { el.optionsError.textContent = ''; });
  el.fit.addEventListener('click', startFit);
  el.cancel.addEventListener('click', cancelFit);
  el.predictForm.addEventListener('submit', onPredict);
  updateFitButton();
}

init();
