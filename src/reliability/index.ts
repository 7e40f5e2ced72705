/** Reliability and agreement: psych's ICC, multilevel's ICC1/ICC2, mult.icc, rwg, rwg.j, rwg.j.lindell, awg, ad.m. */
export { iccRaters, ratingsLayout, type IccRatersOptions, type IccRatersResult, type RatingsLayout, type VarianceRow, type TwoWayColumn } from './iccRaters.js';
export { meanSquares, shroutFleiss, type IccRow, type MeanSquares } from './shroutFleiss.js';
export { printIccRaters } from './print.js';
export { icc12, multIcc, type Icc12Options, type Icc12Result, type MultIccRow } from './icc12.js';
export {
  adM, awg, awgItems, nullVariance, ratingGroups, rwg, rwgJ, rwgLindell,
  type AdMRow, type AgreementOptions, type AwgItemsRow, type AwgRow, type NullVarianceOptions, type RatingGroups, type RwgJRow, type RwgLindellRow, type RwgRow,
} from './agreement.js';
