/**
 * R's self-starting nonlinear models (stats 4.2.2: SSlogis, SSfpl, SSasymp, SSasympOff, SSasympOrig,
 * SSbiexp, SSfol, SSgompertz, SSmicmen, SSweibull) with their analytic gradients — the `gradient`
 * attribute that R's `deriv` writes into each model's body, which lme4's nlmer uses as the Jacobian
 * of the model in its parameters (nlsResp::updateMu). Each model is a function of its covariates
 * (`input`, SSfol's `Dose`) and of one value per parameter, evaluated row by row.
 *
 * lme4's nlmer needs `start` and does not call the models' `initial` functions, so only the model
 * values and gradients are written here.
 */

/**
 * f and ∇f at one row without allocating: the row's covariates x0, x1 (x1: SSfol's second, `input`; 0 and
 * unused by the one-covariate models), its parameters phi[o], …, phi[o + P − 1] (the model's parameter
 * order), the gradient written to g[o], …, g[o + P − 1] (g[o + k] = ∂f/∂par_k); returns f.
 * The evaluations' hot path (pnls.ts) calls this with φ and G row-major n × P, o = i·P.
 */
export type ModelRow = (x0: number, x1: number, phi: Float64Array, o: number, g: Float64Array) => number;

/** A model's value and gradient at one row. */
export interface SelfStartModel {
  /** R's name, as in the formula */
  name: string;
  /** R's formal arguments in order: the covariates first (their positions in `covariates`), then the parameters */
  formals: string[];
  /** the formals that are covariates (data columns), in formals' order */
  covariates: string[];
  /** the formals that are parameters, in formals' order (the gradient's columns) */
  parameters: string[];
  /** f and ∇f at one row (allocation-free, at an offset: ModelRow) */
  row: ModelRow;
  /** f and ∇f at one row from arrays: writes the gradient into g (length = parameters.length), returns f (row's values) */
  eval(x: readonly number[], p: readonly number[], g: Float64Array): number;
}

/** A model from its row function; `eval` copies the parameters into one buffer of the model's and calls `row`. */
function selfStart(name: string, formals: string[], covariates: string[], parameters: string[], row: ModelRow): SelfStartModel {
  const phi = new Float64Array(parameters.length);
  return {
    name, formals, covariates, parameters, row,
    eval(x, p, g) {
  phi.set(p);
  return row(x[0], x.length > 1 ? x[1] : 0, phi, 0, g);
    },
  };
}

// Each eval mirrors the expression R's deriv() wrote for the model (the same operations in the same
// order, so the values agree with R's to rounding).

/** SSlogis: f = Asym / (1 + exp((xmid − input)/scal)) */
const SSlogis = selfStart('SSlogis', ['input', 'Asym', 'xmid', 'scal'], ['input'], ['Asym', 'xmid', 'scal'], (input, _x1, phi, o, g) => {
  const Asym = phi[o];
  const xmid = phi[o + 1];
  const scal = phi[o + 2];
  const e1 = xmid - input;
  const e2 = e1 / scal;
  const e3 = Math.exp(e2);
  const e4 = 1 + e3;
  const e10 = e4 * e4;
  g[o] = 1 / e4;
  const xm = (Asym * e3) / scal / e10;
  g[o + 1] = -xm;
  g[o + 2] = xm * e2;
  return Asym / e4;
});

/** SSfpl: f = A + (B − A) / (1 + exp((xmid − input)/scal)) */
const SSfpl = selfStart('SSfpl', ['input', 'A', 'B', 'xmid', 'scal'], ['input'], ['A', 'B', 'xmid', 'scal'], (input, _x1, phi, o, g) => {
  const A = phi[o];
  const B = phi[o + 1];
  const xmid = phi[o + 2];
  const scal = phi[o + 3];
  const e1 = B - A;
  const e2x = xmid - input;
  const e2 = e2x / scal;
  const e4 = Math.exp(e2);
  const e5 = 1 + e4;
  const e8 = 1 / e5;
  const e13 = e5 * e5;
  g[o] = 1 - e8;
  g[o + 1] = e8;
  const xm = (e1 * e4) / scal / e13;
  g[o + 2] = -xm;
  g[o + 3] = xm * e2;
  return A + e1 / e5;
});

/** SSasymp: f = Asym + (R0 − Asym) exp(−exp(lrc) input) */
const SSasymp = selfStart('SSasymp', ['input', 'Asym', 'R0', 'lrc'], ['input'], ['Asym', 'R0', 'lrc'], (input, _x1, phi, o, g) => {
  const Asym = phi[o];
  const R0 = phi[o + 1];
  const lrc = phi[o + 2];
  const e1 = R0 - Asym;
  const e2 = Math.exp(lrc);
  const e5 = Math.exp(-e2 * input);
  g[o] = 1 - e5;
  g[o + 1] = e5;
  g[o + 2] = -(e1 * (e5 * (e2 * input)));
  return Asym + e1 * e5;
});

/** SSasympOff: f = Asym (1 − exp(−exp(lrc) (input − c0))) */
const SSasympOff = selfStart('SSasympOff', ['input', 'Asym', 'lrc', 'c0'], ['input'], ['Asym', 'lrc', 'c0'], (input, _x1, phi, o, g) => {
  const Asym = phi[o];
  const lrc = phi[o + 1];
  const c0 = phi[o + 2];
  const e1 = Math.exp(lrc);
  const e3 = input - c0;
  const e5 = Math.exp(-e1 * e3);
  const e6 = 1 - e5;
  g[o] = e6;
  g[o + 1] = Asym * (e5 * (e1 * e3));
  g[o + 2] = -(Asym * (e5 * e1));
  return Asym * e6;
});

/** SSasympOrig: f = Asym (1 − exp(−exp(lrc) input)) */
const SSasympOrig = selfStart('SSasympOrig', ['input', 'Asym', 'lrc'], ['input'], ['Asym', 'lrc'], (input, _x1, phi, o, g) => {
  const Asym = phi[o];
  const lrc = phi[o + 1];
  const e1 = Math.exp(lrc);
  const e4 = Math.exp(-e1 * input);
  const e5 = 1 - e4;
  g[o] = e5;
  g[o + 1] = Asym * (e4 * (e1 * input));
  return Asym * e5;
});

/** SSbiexp: f = A1 exp(−exp(lrc1) input) + A2 exp(−exp(lrc2) input) */
const SSbiexp = selfStart('SSbiexp', ['input', 'A1', 'lrc1', 'A2', 'lrc2'], ['input'], ['A1', 'lrc1', 'A2', 'lrc2'], (input, _x1, phi, o, g) => {
  const A1 = phi[o];
  const lrc1 = phi[o + 1];
  const A2 = phi[o + 2];
  const lrc2 = phi[o + 3];
  const e1 = Math.exp(lrc1);
  const e4 = Math.exp(-e1 * input);
  const e6 = Math.exp(lrc2);
  const e9 = Math.exp(-e6 * input);
  g[o] = e4;
  g[o + 1] = -(A1 * (e4 * (e1 * input)));
  g[o + 2] = e9;
  g[o + 3] = -(A2 * (e9 * (e6 * input)));
  return A1 * e4 + A2 * e9;
});

/** SSfol: f = Dose exp(lKe + lKa − lCl) (exp(−exp(lKe) input) − exp(−exp(lKa) input)) / (exp(lKa) − exp(lKe)) */
const SSfol = selfStart('SSfol', ['Dose', 'input', 'lKe', 'lKa', 'lCl'], ['Dose', 'input'], ['lKe', 'lKa', 'lCl'], (Dose, input, phi, o, g) => {
  const lKe = phi[o];
  const lKa = phi[o + 1];
  const lCl = phi[o + 2];
  const e4 = Dose * Math.exp(lKe + lKa - lCl);
  const e5 = Math.exp(lKe);
  const e8 = Math.exp(-e5 * input);
  const e9 = Math.exp(lKa);
  const e12 = Math.exp(-e9 * input);
  const e14 = e4 * (e8 - e12);
  const e15 = e9 - e5;
  const e16 = e14 / e15;
  const e23 = e15 * e15;
  g[o] = (e14 - e4 * (e8 * (e5 * input))) / e15 + (e14 * e5) / e23;
  g[o + 1] = (e14 + e4 * (e12 * (e9 * input))) / e15 - (e14 * e9) / e23;
  g[o + 2] = -e16;
  return e16;
});

/** SSgompertz: f = Asym exp(−b2 b3^x) */
const SSgompertz = selfStart('SSgompertz', ['x', 'Asym', 'b2', 'b3'], ['x'], ['Asym', 'b2', 'b3'], (x, _x1, phi, o, g) => {
  const Asym = phi[o];
  const b2 = phi[o + 1];
  const b3 = phi[o + 2];
  const e2 = b3 ** x;
  const e4 = Math.exp(-b2 * e2);
  g[o] = e4;
  g[o + 1] = -Asym * (e4 * e2);
  g[o + 2] = -Asym * (e4 * (b2 * (b3 ** (x - 1) * x)));
  return Asym * e4;
});

/** SSmicmen: f = Vm input / (K + input) */
const SSmicmen = selfStart('SSmicmen', ['input', 'Vm', 'K'], ['input'], ['Vm', 'K'], (input, _x1, phi, o, g) => {
  const Vm = phi[o];
  const K = phi[o + 1];
  const e1 = Vm * input;
  const e2 = K + input;
  g[o] = input / e2;
  g[o + 1] = -(e1 / (e2 * e2));
  return e1 / e2;
});

/** SSweibull: f = Asym − Drop exp(−exp(lrc) x^pwr) */
const SSweibull = selfStart('SSweibull', ['x', 'Asym', 'Drop', 'lrc', 'pwr'], ['x'], ['Asym', 'Drop', 'lrc', 'pwr'], (x, _x1, phi, o, g) => {
  const Asym = phi[o];
  const Drop = phi[o + 1];
  const lrc = phi[o + 2];
  const pwr = phi[o + 3];
  const e1 = Math.exp(lrc);
  const e3 = x ** pwr;
  const ee = e1 * e3;
  const e5 = Math.exp(-ee);
  const De = Drop * e5;
  g[o] = 1;
  g[o + 1] = -e5;
  const glrc = De * ee;
  g[o + 2] = glrc;
  g[o + 3] = glrc * Math.log(x);
  return Asym - De;
});

/** The models by name. */
export const SELF_START_MODELS: ReadonlyMap<string, SelfStartModel> = new Map(
  [SSlogis, SSfpl, SSasymp, SSasympOff, SSasympOrig, SSbiexp, SSfol, SSgompertz, SSmicmen, SSweibull].map((m) => [m.name, m]),
);
