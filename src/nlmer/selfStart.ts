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

/** A model's value and gradient at one row: value(cov, par) and grad(cov, par, out) (out[k] = ∂f/∂par_k). */
export interface SelfStartModel {
  /** R's name, as in the formula */
  name: string;
  /** R's formal arguments in order: the covariates first (their positions in `covariates`), then the parameters */
  formals: string[];
  /** the formals that are covariates (data columns), in formals' order */
  covariates: string[];
  /** the formals that are parameters, in formals' order (the gradient's columns) */
  parameters: string[];
  /** f and ∇f at one row: writes the gradient into g (length = parameters.length), returns f */
  eval(x: readonly number[], p: readonly number[], g: Float64Array): number;
}

// Each eval mirrors the expression R's deriv() wrote for the model (the same operations in the same
// order, so the values agree with R's to rounding).

/** SSlogis: f = Asym / (1 + exp((xmid − input)/scal)) */
const SSlogis: SelfStartModel = {
  name: 'SSlogis', formals: ['input', 'Asym', 'xmid', 'scal'], covariates: ['input'], parameters: ['Asym', 'xmid', 'scal'],
  eval([input], [Asym, xmid, scal], g) {
    const e1 = xmid - input;
    const e2 = e1 / scal;
    const e3 = Math.exp(e2);
    const e4 = 1 + e3;
    const e10 = e4 * e4;
    g[0] = 1 / e4;
    const xm = (Asym * e3) / scal / e10;
    g[1] = -xm;
    g[2] = xm * e2;
    return Asym / e4;
  },
};

/** SSfpl: f = A + (B − A) / (1 + exp((xmid − input)/scal)) */
const SSfpl: SelfStartModel = {
  name: 'SSfpl', formals: ['input', 'A', 'B', 'xmid', 'scal'], covariates: ['input'], parameters: ['A', 'B', 'xmid', 'scal'],
  eval([input], [A, B, xmid, scal], g) {
    const e1 = B - A;
    const e2x = xmid - input;
    const e2 = e2x / scal;
    const e4 = Math.exp(e2);
    const e5 = 1 + e4;
    const e8 = 1 / e5;
    const e13 = e5 * e5;
    g[0] = 1 - e8;
    g[1] = e8;
    const xm = (e1 * e4) / scal / e13;
    g[2] = -xm;
    g[3] = xm * e2;
    return A + e1 / e5;
  },
};

/** SSasymp: f = Asym + (R0 − Asym) exp(−exp(lrc) input) */
const SSasymp: SelfStartModel = {
  name: 'SSasymp', formals: ['input', 'Asym', 'R0', 'lrc'], covariates: ['input'], parameters: ['Asym', 'R0', 'lrc'],
  eval([input], [Asym, R0, lrc], g) {
    const e1 = R0 - Asym;
    const e2 = Math.exp(lrc);
    const e5 = Math.exp(-e2 * input);
    g[0] = 1 - e5;
    g[1] = e5;
    g[2] = -(e1 * (e5 * (e2 * input)));
    return Asym + e1 * e5;
  },
};

/** SSasympOff: f = Asym (1 − exp(−exp(lrc) (input − c0))) */
const SSasympOff: SelfStartModel = {
  name: 'SSasympOff', formals: ['input', 'Asym', 'lrc', 'c0'], covariates: ['input'], parameters: ['Asym', 'lrc', 'c0'],
  eval([input], [Asym, lrc, c0], g) {
    const e1 = Math.exp(lrc);
    const e3 = input - c0;
    const e5 = Math.exp(-e1 * e3);
    const e6 = 1 - e5;
    g[0] = e6;
    g[1] = Asym * (e5 * (e1 * e3));
    g[2] = -(Asym * (e5 * e1));
    return Asym * e6;
  },
};

/** SSasympOrig: f = Asym (1 − exp(−exp(lrc) input)) */
const SSasympOrig: SelfStartModel = {
  name: 'SSasympOrig', formals: ['input', 'Asym', 'lrc'], covariates: ['input'], parameters: ['Asym', 'lrc'],
  eval([input], [Asym, lrc], g) {
    const e1 = Math.exp(lrc);
    const e4 = Math.exp(-e1 * input);
    const e5 = 1 - e4;
    g[0] = e5;
    g[1] = Asym * (e4 * (e1 * input));
    return Asym * e5;
  },
};

/** SSbiexp: f = A1 exp(−exp(lrc1) input) + A2 exp(−exp(lrc2) input) */
const SSbiexp: SelfStartModel = {
  name: 'SSbiexp', formals: ['input', 'A1', 'lrc1', 'A2', 'lrc2'], covariates: ['input'], parameters: ['A1', 'lrc1', 'A2', 'lrc2'],
  eval([input], [A1, lrc1, A2, lrc2], g) {
    const e1 = Math.exp(lrc1);
    const e4 = Math.exp(-e1 * input);
    const e6 = Math.exp(lrc2);
    const e9 = Math.exp(-e6 * input);
    g[0] = e4;
    g[1] = -(A1 * (e4 * (e1 * input)));
    g[2] = e9;
    g[3] = -(A2 * (e9 * (e6 * input)));
    return A1 * e4 + A2 * e9;
  },
};

/** SSfol: f = Dose exp(lKe + lKa − lCl) (exp(−exp(lKe) input) − exp(−exp(lKa) input)) / (exp(lKa) − exp(lKe)) */
const SSfol: SelfStartModel = {
  name: 'SSfol', formals: ['Dose', 'input', 'lKe', 'lKa', 'lCl'], covariates: ['Dose', 'input'], parameters: ['lKe', 'lKa', 'lCl'],
  eval([Dose, input], [lKe, lKa, lCl], g) {
    const e4 = Dose * Math.exp(lKe + lKa - lCl);
    const e5 = Math.exp(lKe);
    const e8 = Math.exp(-e5 * input);
    const e9 = Math.exp(lKa);
    const e12 = Math.exp(-e9 * input);
    const e14 = e4 * (e8 - e12);
    const e15 = e9 - e5;
    const e16 = e14 / e15;
    const e23 = e15 * e15;
    g[0] = (e14 - e4 * (e8 * (e5 * input))) / e15 + (e14 * e5) / e23;
    g[1] = (e14 + e4 * (e12 * (e9 * input))) / e15 - (e14 * e9) / e23;
    g[2] = -e16;
    return e16;
  },
};

/** SSgompertz: f = Asym exp(−b2 b3^x) */
const SSgompertz: SelfStartModel = {
  name: 'SSgompertz', formals: ['x', 'Asym', 'b2', 'b3'], covariates: ['x'], parameters: ['Asym', 'b2', 'b3'],
  eval([x], [Asym, b2, b3], g) {
    const e2 = b3 ** x;
    const e4 = Math.exp(-b2 * e2);
    g[0] = e4;
    g[1] = -Asym * (e4 * e2);
    g[2] = -Asym * (e4 * (b2 * (b3 ** (x - 1) * x)));
    return Asym * e4;
  },
};

/** SSmicmen: f = Vm input / (K + input) */
const SSmicmen: SelfStartModel = {
  name: 'SSmicmen', formals: ['input', 'Vm', 'K'], covariates: ['input'], parameters: ['Vm', 'K'],
  eval([input], [Vm, K], g) {
    const e1 = Vm * input;
    const e2 = K + input;
    g[0] = input / e2;
    g[1] = -(e1 / (e2 * e2));
    return e1 / e2;
  },
};

/** SSweibull: f = Asym − Drop exp(−exp(lrc) x^pwr) */
const SSweibull: SelfStartModel = {
  name: 'SSweibull', formals: ['x', 'Asym', 'Drop', 'lrc', 'pwr'], covariates: ['x'], parameters: ['Asym', 'Drop', 'lrc', 'pwr'],
  eval([x], [Asym, Drop, lrc, pwr], g) {
    const e1 = Math.exp(lrc);
    const e3 = x ** pwr;
    const ee = e1 * e3;
    const e5 = Math.exp(-ee);
    const De = Drop * e5;
    g[0] = 1;
    g[1] = -e5;
    const glrc = De * ee;
    g[2] = glrc;
    g[3] = glrc * Math.log(x);
    return Asym - De;
  },
};

/** The models by name. */
export const SELF_START_MODELS: ReadonlyMap<string, SelfStartModel> = new Map(
  [SSlogis, SSfpl, SSasymp, SSasympOff, SSasympOrig, SSbiexp, SSfol, SSgompertz, SSmicmen, SSweibull].map((m) => [m.name, m]),
);
