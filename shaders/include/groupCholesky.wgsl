// The per-group factor of the blocked Cholesky, shared by blockdiag.wgsl and glmmGroups.wgsl (the
// shader build pastes this file where a shader says `// #include "groupCholesky.wgsl"`). The
// including shader declares the template `T` (q × q row-major, lower triangular: Λ_g = T) and the
// read_write f32 arrays `perGroup` and `factorOut` that schurShare and writeGroupFactor fill.
// A is the group's Gram matrix as a packed lower triangle over its columns [Z (q), then others].
// The sizes MAXQ, MAXE, MAXQQ and MAXLX come from limits.wgsl, which the including shader includes first.

fn packed(a: u32, b: u32) -> u32 {
  // entry (a, b) of a symmetric matrix stored as its packed lower triangle
  if (a >= b) { return a * (a + 1u) / 2u + b; }
  return b * (b + 1u) / 2u + a;
}

// L L^T = T^T A_zz T + I (rows MAXQ apart in L; eigenvalues ≥ 1, well conditioned in f32); returns
// log|L|²
fn groupCholesky(A: ptr<function, array<f32, MAXE>>, q: u32, L: ptr<function, array<f32, MAXQQ>>) -> f32 {
  // AT = A_zz T, then M = T^T AT + I
  var AT: array<f32, MAXQQ>;
  for (var s = 0u; s < q; s++) {
    for (var t = 0u; t < q; t++) {
      var acc = 0.0;
      for (var v = t; v < q; v++) { acc += (*A)[packed(s, v)] * T[v * q + t]; }
      AT[s * MAXQ + t] = acc;
    }
  }
  for (var s = 0u; s < q; s++) {
    for (var t = 0u; t <= s; t++) {
      var acc = 0.0;
      for (var v = s; v < q; v++) { acc += T[v * q + s] * AT[v * MAXQ + t]; }
      if (s == t) { acc += 1.0; }
      (*L)[s * MAXQ + t] = acc;
    }
  }
  var logdet = 0.0;
  for (var j = 0u; j < q; j++) {
    var d = (*L)[j * MAXQ + j];
    for (var k = 0u; k < j; k++) { d -= (*L)[j * MAXQ + k] * (*L)[j * MAXQ + k]; }
    d = sqrt(max(d, 1e-30));
    (*L)[j * MAXQ + j] = d;
    logdet += 2.0 * log(d);
    for (var i = j + 1u; i < q; i++) {
      var t = (*L)[i * MAXQ + j];
      for (var k = 0u; k < j; k++) { t -= (*L)[i * MAXQ + k] * (*L)[j * MAXQ + k]; }
      (*L)[i * MAXQ + j] = t / d;
    }
  }
  return logdet;
}

// L_X = (A_Xz T) L^-T for the `nrows` columns after Z (row r solves L x^T = (A_Xz T)[r]^T; rows
// MAXQ apart in LX)
fn groupLX(A: ptr<function, array<f32, MAXE>>, q: u32, nrows: u32, L: ptr<function, array<f32, MAXQQ>>, LX: ptr<function, array<f32, MAXLX>>) {
  for (var r = 0u; r < nrows; r++) {
    for (var t = 0u; t < q; t++) {
      var acc = 0.0;
      for (var v = t; v < q; v++) { acc += (*A)[packed(q + r, v)] * T[v * q + t]; }
      for (var v = 0u; v < t; v++) { acc -= (*L)[t * MAXQ + v] * (*LX)[r * MAXQ + v]; }
      (*LX)[r * MAXQ + t] = acc / (*L)[t * MAXQ + t];
    }
  }
}

// The group's share of the Schur complement over the `nrows` columns after Z,
// S_g = A_XX,g − L_X,g L_X,gᵀ (packed lower triangle; positive semi-definite, so summing the shares
// over groups has no cancellation), into perGroup from `at`; returns the next position.
fn schurShare(A: ptr<function, array<f32, MAXE>>, q: u32, nrows: u32, LX: ptr<function, array<f32, MAXLX>>, at: u32) -> u32 {
  var e = at;
  for (var r = 0u; r < nrows; r++) {
    for (var s = 0u; s <= r; s++) {
      var acc = (*A)[packed(q + r, q + s)];
      for (var t = 0u; t < q; t++) { acc -= (*LX)[r * MAXQ + t] * (*LX)[s * MAXQ + t]; }
      perGroup[e] = acc;
      e++;
    }
  }
  return e;
}

// L_g (packed lower triangle) then the `nrows` rows of L_X,g into factorOut from `at`; returns the
// next position.
fn writeGroupFactor(L: ptr<function, array<f32, MAXQQ>>, LX: ptr<function, array<f32, MAXLX>>, q: u32, nrows: u32, at: u32) -> u32 {
  var f = at;
  for (var s = 0u; s < q; s++) {
    for (var t = 0u; t <= s; t++) { factorOut[f] = (*L)[s * MAXQ + t]; f++; }
  }
  for (var r = 0u; r < nrows; r++) {
    for (var t = 0u; t < q; t++) { factorOut[f] = (*LX)[r * MAXQ + t]; f++; }
  }
  return f;
}
