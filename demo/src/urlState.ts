/**
 * The page's state in its address (the query string), so that a reload or a shared link shows the
 * same view: the data (an example's name, or a file's name, which the user chooses again), formula,
 * factor columns, options, the plots selected, and whether a fit was shown (then it is fitted again).
 */
import type { BackendChoice, ExampleName, FamilyChoice } from './protocol.js';

export interface UrlState {
  example?: ExampleName;
  file?: string;
  formula?: string;
  factors?: string[];
  family?: FamilyChoice;
  link?: string;
  nAGQ?: number;
  criterion?: 'reml' | 'ml';
  backend?: BackendChoice;
  /** blme's default priors */
  prior?: 'blme';
  /** diagnostics plot kind, conditional-modes term (index), caterpillar group:column */
  diag?: string;
  modes?: string;
  cat?: string;
  fit?: boolean;
}

const EXAMPLES: ExampleName[] = ['sleepstudy', 'insteval', 'cbpp', 'synthetic'];
const FAMILIES: FamilyChoice[] = ['gaussian', 'binomial', 'poisson', 'negative.binomial', 'Gamma', 'inverse.gaussian'];
const BACKENDS: BackendChoice[] = ['webgpu', 'cpu', 'auto'];

/** The state in a query string; values that are not valid are left out (never an error). */
export function readUrlState(search: string): UrlState {
  const q = new URLSearchParams(search);
  const out: UrlState = {};
  const ex = q.get('example');
  if (ex && (EXAMPLES as string[]).includes(ex)) out.example = ex as ExampleName;
  else if (q.get('file')) out.file = q.get('file')!;
  if (q.has('formula')) out.formula = q.get('formula')!;
  if (q.has('factors')) out.factors = q.get('factors')!.split(',').filter((f) => f !== '');
  const fam = q.get('family');
  if (fam && (FAMILIES as string[]).includes(fam)) out.family = fam as FamilyChoice;
  if (q.get('link')) out.link = q.get('link')!;
  const nagq = Number(q.get('nAGQ'));
  if (q.has('nAGQ') && Number.isInteger(nagq) && nagq >= 0 && nagq <= 25) out.nAGQ = nagq;
  const crit = q.get('criterion');
  if (crit === 'reml' || crit === 'ml') out.criterion = crit;
  const be = q.get('backend');
  if (be && (BACKENDS as string[]).includes(be)) out.backend = be as BackendChoice;
  if (q.get('prior') === 'blme') out.prior = 'blme';
  for (const k of ['diag', 'modes', 'cat'] as const) if (q.get(k)) out[k] = q.get(k)!;
  if (q.get('fit') === '1') out.fit = true;
  return out;
}

/** The query string of a state (keys in a fixed order; empty values left out). */
export function writeUrlState(s: UrlState): string {
  const q = new URLSearchParams();
  if (s.example) q.set('example', s.example);
  else if (s.file) q.set('file', s.file);
  if (s.formula) q.set('formula', s.formula);
  if (s.factors?.length) q.set('factors', s.factors.join(','));
  if (s.family) q.set('family', s.family);
  if (s.link && s.family !== 'gaussian') q.set('link', s.link);
  if (s.nAGQ !== undefined && s.family !== 'gaussian') q.set('nAGQ', String(s.nAGQ));
  if (s.criterion && s.family === 'gaussian') q.set('criterion', s.criterion);
  if (s.backend) q.set('backend', s.backend);
  if (s.prior) q.set('prior', s.prior);
  if (s.diag) q.set('diag', s.diag);
  if (s.modes && s.modes !== '0') q.set('modes', s.modes);
  if (s.cat && s.cat !== '0:0') q.set('cat', s.cat);
  if (s.fit) q.set('fit', '1');
  const text = q.toString();
  return text ? `?${text}` : '';
}
