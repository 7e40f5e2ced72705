// AssemblyScript source of the WebAssembly (SIMD, f64x2) dense kernels of the CPU backend.
// Built by `npm run build:wasm` into src/linalg/denseWasm.generated.ts (base64), which the CPU backend
// loads; src/linalg/dense.ts holds the same kernels in JavaScript (the fallback and the reference the
// tests compare these with). Matrices are row-major (lower triangle used) at byte addresses in the
// module's imported memory; `ld` arguments are row strides in bytes.

/** Width of the panels of the blocked Cholesky: a panel of 1,000 rows is 0.5 MB, well inside L2. */
const NB: i32 = 64;

@inline
function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** Σ_k x[k]·y[k] over k < len, two lanes at a time. */
@inline
function dot(x: usize, y: usize, len: i32): f64 {
  let s = f64x2.splat(0);
  let k = 0;
  for (; k + 1 < len; k += 2) {
    const o = <usize>k << 3;
    s = f64x2.add(s, f64x2.mul(v128.load(x + o), v128.load(y + o)));
  }
  let t = hsum(s);
  for (; k < len; k++) t += load<f64>(x + (<usize>k << 3)) * load<f64>(y + (<usize>k << 3));
  return t;
}

/**
 * Unblocked in-place Cholesky of the n × n matrix at a (row stride ld bytes), row-oriented (Crout):
 *   L[i][j] = (A[i][j] − Σ_{k<j} L[i][k] L[j][k]) / L[j][j],  L[j][j] = √(A[j][j] − Σ_{k<j} L[j][k]²)
 * four rows × two columns at a time, inner products two lanes wide. Returns log det L², or NaN when
 * a pivot is not positive, with the pivot's index (plus `base`) stored at address 0 (reserved).
 */
function crout(a: usize, n: i32, ld: usize, base: i32): f64 {
  let logdet: f64 = 0;
  for (let i0 = 0; i0 < n; i0 += 4) {
    const m = min(4, n - i0);
    let j = 0;
    if (m == 4) {
      const r0 = a + <usize>i0 * ld, r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld;
      for (; j + 1 < i0; j += 2) {
        const rj = a + <usize>j * ld, rk = rj + ld;
        let s00 = f64x2.splat(0), s10 = f64x2.splat(0), s20 = f64x2.splat(0), s30 = f64x2.splat(0);
        let s01 = f64x2.splat(0), s11 = f64x2.splat(0), s21 = f64x2.splat(0), s31 = f64x2.splat(0);
        let k = 0;
        for (; k + 1 < j; k += 2) {
          const o = <usize>k << 3;
          const l = v128.load(rj + o), h = v128.load(rk + o);
          const x0 = v128.load(r0 + o), x1 = v128.load(r1 + o), x2 = v128.load(r2 + o), x3 = v128.load(r3 + o);
          s00 = f64x2.add(s00, f64x2.mul(x0, l)); s10 = f64x2.add(s10, f64x2.mul(x1, l));
          s20 = f64x2.add(s20, f64x2.mul(x2, l)); s30 = f64x2.add(s30, f64x2.mul(x3, l));
          s01 = f64x2.add(s01, f64x2.mul(x0, h)); s11 = f64x2.add(s11, f64x2.mul(x1, h));
          s21 = f64x2.add(s21, f64x2.mul(x2, h)); s31 = f64x2.add(s31, f64x2.mul(x3, h));
        }
        let t00 = hsum(s00), t10 = hsum(s10), t20 = hsum(s20), t30 = hsum(s30);
        let t01 = hsum(s01), t11 = hsum(s11), t21 = hsum(s21), t31 = hsum(s31);
        for (; k < j; k++) {
          const o = <usize>k << 3;
          const l = load<f64>(rj + o), h = load<f64>(rk + o);
          const x0 = load<f64>(r0 + o), x1 = load<f64>(r1 + o), x2 = load<f64>(r2 + o), x3 = load<f64>(r3 + o);
          t00 += x0 * l; t10 += x1 * l; t20 += x2 * l; t30 += x3 * l;
          t01 += x0 * h; t11 += x1 * h; t21 += x2 * h; t31 += x3 * h;
        }
        const oj = <usize>j << 3;
        const d = load<f64>(rj + oj);
        const a00 = (load<f64>(r0 + oj) - t00) / d, a10 = (load<f64>(r1 + oj) - t10) / d;
        const a20 = (load<f64>(r2 + oj) - t20) / d, a30 = (load<f64>(r3 + oj) - t30) / d;
        store<f64>(r0 + oj, a00); store<f64>(r1 + oj, a10); store<f64>(r2 + oj, a20); store<f64>(r3 + oj, a30);
        const lkj = load<f64>(rk + oj), d1 = load<f64>(rk + oj + 8);
        store<f64>(r0 + oj + 8, (load<f64>(r0 + oj + 8) - t01 - a00 * lkj) / d1);
        store<f64>(r1 + oj + 8, (load<f64>(r1 + oj + 8) - t11 - a10 * lkj) / d1);
        store<f64>(r2 + oj + 8, (load<f64>(r2 + oj + 8) - t21 - a20 * lkj) / d1);
        store<f64>(r3 + oj + 8, (load<f64>(r3 + oj + 8) - t31 - a30 * lkj) / d1);
      }
    }
    for (; j < i0; j++) {
      const rj = a + <usize>j * ld;
      const oj = <usize>j << 3;
      const djj = load<f64>(rj + oj);
      for (let t = 0; t < m; t++) {
        const ri = a + <usize>(i0 + t) * ld;
        store<f64>(ri + oj, (load<f64>(ri + oj) - dot(ri, rj, j)) / djj);
      }
    }
    // the diagonal block
    for (let jj = i0; jj < i0 + m; jj++) {
      const rj = a + <usize>jj * ld;
      const oj = <usize>jj << 3;
      const s = load<f64>(rj + oj) - dot(rj, rj, jj);
      if (!(s > 0)) { store<i32>(0, base + jj); return NaN; }
      const d = Math.sqrt(s);
      store<f64>(rj + oj, d);
      logdet += 2 * Math.log(d);
      for (let ii = jj + 1; ii < i0 + m; ii++) {
        const ri = a + <usize>ii * ld;
        store<f64>(ri + oj, (load<f64>(ri + oj) - dot(ri, rj, jj)) / d);
      }
    }
  }
  return logdet;
}

/** Rows of S solved together in `trsm`: each row of L is read once per chunk (a chunk of 1,000 columns is 0.5 MB). */
const CHUNK: i32 = 64;

/**
 * S ← S L⁻ᵀ for S rows × m (row stride lds bytes) and L m × m lower (row stride ldl bytes): each row x
 * solves L xᵀ = rowᵀ, x[t] = (s[t] − Σ_{u<t} L[t][u] x[u]) / L[t][t]. In chunks of CHUNK rows, two
 * columns at a time (rows t and t + 1 of L read once per chunk), four rows at a time.
 */
function trsm(s: usize, rows: i32, l: usize, m: i32, lds: usize, ldl: usize): void {
  for (let c0 = 0; c0 < rows; c0 += CHUNK) {
    const c1 = min(rows, c0 + CHUNK);
    let t = 0;
    // columns t and t + 1 (t even) together, each row of S read once for both: the same operations in
    // the same order as one column at a time (column t's pairs of terms run over k < t, and so do
    // column t + 1's; its last term, k = t, is added after x[t] is known, as the one-column loop's
    // leftover term), so the result is the same bit for bit
    for (; t + 1 < m; t += 2) {
      const lt = l + <usize>t * ldl, lu = lt + ldl;
      const ot = <usize>t << 3, ou = ot + 8;
      const d = load<f64>(lt + ot), e = load<f64>(lu + ou), lut = load<f64>(lu + ot);
      let r = c0;
      for (; r + 3 < c1; r += 4) {
        const o0 = s + <usize>r * lds, o1 = o0 + lds, o2 = o1 + lds, o3 = o2 + lds;
        let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
        let b0 = f64x2.splat(0), b1 = f64x2.splat(0), b2 = f64x2.splat(0), b3 = f64x2.splat(0);
        for (let k = 0; k + 1 < t; k += 2) {
          const o = <usize>k << 3;
          const lv = v128.load(lt + o), lw = v128.load(lu + o);
          const x0 = v128.load(o0 + o), x1 = v128.load(o1 + o), x2 = v128.load(o2 + o), x3 = v128.load(o3 + o);
          a0 = f64x2.add(a0, f64x2.mul(lv, x0)); a1 = f64x2.add(a1, f64x2.mul(lv, x1));
          a2 = f64x2.add(a2, f64x2.mul(lv, x2)); a3 = f64x2.add(a3, f64x2.mul(lv, x3));
          b0 = f64x2.add(b0, f64x2.mul(lw, x0)); b1 = f64x2.add(b1, f64x2.mul(lw, x1));
          b2 = f64x2.add(b2, f64x2.mul(lw, x2)); b3 = f64x2.add(b3, f64x2.mul(lw, x3));
        }
        const y0 = (load<f64>(o0 + ot) - hsum(a0)) / d, y1 = (load<f64>(o1 + ot) - hsum(a1)) / d;
        const y2 = (load<f64>(o2 + ot) - hsum(a2)) / d, y3 = (load<f64>(o3 + ot) - hsum(a3)) / d;
        store<f64>(o0 + ot, y0); store<f64>(o1 + ot, y1); store<f64>(o2 + ot, y2); store<f64>(o3 + ot, y3);
        let u0 = hsum(b0), u1 = hsum(b1), u2 = hsum(b2), u3 = hsum(b3);
        u0 += lut * y0; u1 += lut * y1; u2 += lut * y2; u3 += lut * y3;
        store<f64>(o0 + ou, (load<f64>(o0 + ou) - u0) / e);
        store<f64>(o1 + ou, (load<f64>(o1 + ou) - u1) / e);
        store<f64>(o2 + ou, (load<f64>(o2 + ou) - u2) / e);
        store<f64>(o3 + ou, (load<f64>(o3 + ou) - u3) / e);
      }
      for (; r < c1; r++) {
        const ro = s + <usize>r * lds;
        store<f64>(ro + ot, (load<f64>(ro + ot) - dot(lt, ro, t)) / d);
        store<f64>(ro + ou, (load<f64>(ro + ou) - dot(lu, ro, t + 1)) / e);
      }
    }
    // the last column when m is odd: four rows at a time (t even: no leftover term)
    if (t < m) {
      const lt = l + <usize>t * ldl;
      const ot = <usize>t << 3;
      const d = load<f64>(lt + ot);
      let r = c0;
      for (; r + 3 < c1; r += 4) {
        const o0 = s + <usize>r * lds, o1 = o0 + lds, o2 = o1 + lds, o3 = o2 + lds;
        let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
        for (let k = 0; k + 1 < t; k += 2) {
          const o = <usize>k << 3;
          const lv = v128.load(lt + o);
          a0 = f64x2.add(a0, f64x2.mul(lv, v128.load(o0 + o)));
          a1 = f64x2.add(a1, f64x2.mul(lv, v128.load(o1 + o)));
          a2 = f64x2.add(a2, f64x2.mul(lv, v128.load(o2 + o)));
          a3 = f64x2.add(a3, f64x2.mul(lv, v128.load(o3 + o)));
        }
        store<f64>(o0 + ot, (load<f64>(o0 + ot) - hsum(a0)) / d);
        store<f64>(o1 + ot, (load<f64>(o1 + ot) - hsum(a1)) / d);
        store<f64>(o2 + ot, (load<f64>(o2 + ot) - hsum(a2)) / d);
        store<f64>(o3 + ot, (load<f64>(o3 + ot) - hsum(a3)) / d);
      }
      for (; r < c1; r++) {
        const ro = s + <usize>r * lds;
        store<f64>(ro + ot, (load<f64>(ro + ot) - dot(lt, ro, t)) / d);
      }
    }
  }
}

/**
 * The trailing update of the blocked Cholesky, rows [i0, i1):
 *   C[i][j] −= Σ_{u<kb} P[i][u] P[j][u]   for j ≤ i,
 * C the trailing lower triangle at c, P the panel (its rows beside C's) at p, both with row stride ld
 * bytes: subtractABtRows with A = B = P (tiles of 4 rows × 2 columns, eight two-lane accumulators; the
 * inner dimension is the panel's).
 */
export function syrkRows(c: usize, p: usize, kb: i32, ld: usize, i0: i32, i1: i32): void {
  const ldd = <i32>(ld >> 3);
  subtractABtRows(c, ldd, p, ldd, p, ldd, i1, kb, 1, i0, i1);
}

/**
 * In-place Cholesky A = L Lᵀ of the n × n matrix at a (row-major, lower triangle read and written,
 * the strict upper triangle untouched), right-looking by panels of NB columns: factor the diagonal
 * block (panelDiag: crout), solve the panel below it (L₂₁ = A₂₁ L₁₁⁻ᵀ, panelSolve: trsm), update the
 * trailing lower triangle (A₂₂ −= L₂₁ L₂₁ᵀ, panelUpdate: syrkRows). Returns log det L² = 2 Σ log L[j][j],
 * or NaN when a pivot is not positive, with the pivot's index stored at address 0 (reserved).
 *
 * The threaded factorization (src/linalg/denseThreads.ts) runs the same three steps per panel, the
 * last two split by rows over the threads: every entry is computed by the same operations in the same
 * order whichever thread computes it and however the rows are split, so the factor is bit-identical.
 */
export function cholesky(a: usize, n: i32): f64 {
  let logdet: f64 = 0;
  for (let k0 = 0; k0 < n; k0 += NB) {
    const r = panelDiag(a, n, k0);
    if (isNaN(r)) return NaN;
    logdet += r;
    const m = panelRows(n, k0);
    if (m == 0) break;
    panelSolve(a, n, k0, 0, m);
    panelUpdate(a, n, k0, 0, m);
  }
  return logdet;
}

/** Width of the panels (NB), for the threaded driver. */
export function panelWidth(): i32 {
  return NB;
}

/** Rows below the diagonal block of the panel at column k0. */
@inline
function panelRows(n: i32, k0: i32): i32 {
  return n - k0 - min(NB, n - k0);
}

/** Factors the diagonal block of the panel at column k0 (crout); log det of its factor², or NaN (see cholesky). */
export function panelDiag(a: usize, n: i32, k0: i32): f64 {
  const ld = <usize>n << 3;
  return crout(a + <usize>k0 * ld + (<usize>k0 << 3), min(NB, n - k0), ld, k0);
}

/** Rows [r0, r1) (counted from the first row below the diagonal block) of L₂₁ = A₂₁ L₁₁⁻ᵀ for the panel at k0. */
export function panelSolve(a: usize, n: i32, k0: i32, r0: i32, r1: i32): void {
  const ld = <usize>n << 3;
  const kb = min(NB, n - k0);
  const d = a + <usize>k0 * ld + (<usize>k0 << 3);
  trsm(d + <usize>(kb + r0) * ld, r1 - r0, d, kb, ld, ld);
}

/** Rows [r0, r1) (r0 a multiple of 4, counted as in panelSolve) of the trailing update A₂₂ −= L₂₁ L₂₁ᵀ after the panel at k0. */
export function panelUpdate(a: usize, n: i32, k0: i32, r0: i32, r1: i32): void {
  const ld = <usize>n << 3;
  const kb = min(NB, n - k0);
  const panel = a + <usize>(k0 + kb) * ld + (<usize>k0 << 3);
  syrkRows(panel + (<usize>kb << 3), panel, kb, ld, r0, r1);
}

/** S ← S L⁻ᵀ for S rows × m (row-major) and L dense m × m lower (both packed, row stride m). */
export function rightSolve(s: usize, rows: i32, l: usize, m: i32): void {
  const ld = <usize>m << 3;
  trsm(s, rows, l, m, ld, ld);
}

/** C[r][s] −= Σ_u A[r][u] B[s][u] for C ra × rb (row stride ldc), A ra × k, B rb × k (packed); lower only when lower ≠ 0. */
export function subtractABt(c: usize, ldc: i32, a: usize, ra: i32, b: usize, rb: i32, k: i32, lower: i32): void {
  subtractABtRows(c, ldc, a, k, b, k, rb, k, lower, 0, ra);
}

/**
 * Rows [r0, r1) (level blocks of q_j rows, row stride ldx in doubles) of a dense block X less the
 * products of the sparse blocks to its left through a common sparse block i (the factor's updates of
 * a dense block from the sparse ones): X[a][b] −= Σ_c Vj[a,c] Vk[b,c]ᵀ, Vj = L_ji and Vk = L_ki by
 * columns (colPtr, rowIdx: src/linalg/gram.ts's BlockPattern; ncol columns, the levels of i), q_i
 * columns per level of i; int arrays of i32, value arrays of f64. `lower` ≠ 0 (Vj = Vk, X diagonal):
 * only b ≤ a, and within the diagonal q × q block only its lower triangle (the entries b ≤ a of column
 * c are those up to entry e itself: rows are sorted within a column). Column c by column c of the
 * sparse blocks, each column's entries in rows [r0, r1) found by bisection: X[a][b] gets its
 * subtractions by c ascending, each an inner product over its q_i terms ascending — the JavaScript
 * kernels' order (src/linalg/blockedCholesky.ts: subtractSparseRow, subtractSparseColumns) — and the
 * rows are independent, so any split of the rows over threads gives the same X bit for bit; a chunk
 * of rows keeps its part of X in cache.
 */
export function sparseColumns(
  x: usize, ldx: i32, qj: i32, qk: i32, qi: i32, vj: usize, colPtrJ: usize, rowIdxJ: usize,
  vk: usize, colPtrK: usize, rowIdxK: usize, ncol: i32, lower: i32, r0: i32, r1: i32,
): void {
  const ldb = <usize>ldx << 3;
  const qjqi = qj * qi, qkqi = qk * qi;
  for (let c = 0; c < ncol; c++) {
    const e0 = load<i32>(colPtrJ + (<usize>c << 2)), e1 = load<i32>(colPtrJ + (<usize>(c + 1) << 2));
    if (e0 == e1 || load<i32>(rowIdxJ + (<usize>(e1 - 1) << 2)) < r0 || load<i32>(rowIdxJ + (<usize>e0 << 2)) >= r1) continue;
    // the first entry of column c in a row ≥ r0
    let lo = e0, hi = e1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (load<i32>(rowIdxJ + (<usize>mid << 2)) < r0) lo = mid + 1; else hi = mid;
    }
    const b0 = load<i32>(colPtrK + (<usize>c << 2));
    const b1 = load<i32>(colPtrK + (<usize>(c + 1) << 2));
    for (let e = lo; e < e1; e++) {
      const a = load<i32>(rowIdxJ + (<usize>e << 2));
      if (a >= r1) break;
      const end = lower != 0 ? e + 1 : b1;
      if (qj == 1 && qk == 1) {
        const xo = x + <usize>a * ldb;
        if (qi == 1) {
          const va = load<f64>(vj + (<usize>e << 3));
          for (let eb = b0; eb < end; eb++) {
            const xp = xo + (<usize>load<i32>(rowIdxK + (<usize>eb << 2)) << 3);
            store<f64>(xp, load<f64>(xp) - va * load<f64>(vk + (<usize>eb << 3)));
          }
          continue;
        }
        const vo = vj + (<usize>(e * qi) << 3);
        for (let eb = b0; eb < end; eb++) {
          const wo = vk + (<usize>(eb * qi) << 3);
          let acc: f64 = 0;
          for (let u = 0; u < qi; u++) acc += load<f64>(vo + (<usize>u << 3)) * load<f64>(wo + (<usize>u << 3));
          const xp = xo + (<usize>load<i32>(rowIdxK + (<usize>eb << 2)) << 3);
          store<f64>(xp, load<f64>(xp) - acc);
        }
        continue;
      }
      const vo = vj + (<usize>(e * qjqi) << 3);
      for (let eb = b0; eb < end; eb++) {
        const wo = vk + (<usize>(eb * qkqi) << 3);
        const diag = lower != 0 && eb == e;
        const xo = x + <usize>(a * qj) * ldb + (<usize>(load<i32>(rowIdxK + (<usize>eb << 2)) * qk) << 3);
        for (let s = 0; s < qj; s++) {
          const tEnd = diag ? s + 1 : qk;
          for (let u = 0; u < tEnd; u++) {
            let acc: f64 = 0;
            for (let w = 0; w < qi; w++) acc += load<f64>(vo + (<usize>(s * qi + w) << 3)) * load<f64>(wo + (<usize>(u * qi + w) << 3));
            const xp = xo + <usize>s * ldb + (<usize>u << 3);
            store<f64>(xp, load<f64>(xp) - acc);
          }
        }
      }
    }
  }
}

/** Rows [r0, r1) of S ← S L⁻ᵀ (S rows × m, row stride lds doubles; L m × m lower, row stride ldl): rightSolve split by rows. */
export function rightSolveRows(s: usize, lds: i32, l: usize, ldl: i32, m: i32, r0: i32, r1: i32): void {
  const ld = <usize>lds << 3;
  trsm(s + <usize>r0 * ld, r1 - r0, l, m, ld, <usize>ldl << 3);
}

/**
 * Rows [r0, r1) of C −= A Bᵀ: C[r][s] −= Σ_u A[r][u] B[s][u] for s < rb (s ≤ r when lower ≠ 0), A's rows
 * k long; row strides ldc, lda, ldb in doubles. Tiles of 4 rows × 2 columns with eight two-lane
 * accumulators (as syrkRows), the rest entry by entry; every entry is dot(A_r, B_s, k)'s arithmetic
 * whichever way it is computed, and row r of C depends on row r of A only, so any split of the rows
 * gives the same C.
 */
export function subtractABtRows(c: usize, ldc: i32, a: usize, lda: i32, b: usize, ldb: i32, rb: i32, k: i32, lower: i32, r0: i32, r1: i32): void {
  const ldA = <usize>lda << 3, ldB = <usize>ldb << 3, ldC = <usize>ldc << 3;
  let r = r0;
  for (; r + 3 < r1; r += 4) {
    const a0 = a + <usize>r * ldA, a1 = a0 + ldA, a2 = a1 + ldA, a3 = a2 + ldA;
    const c0 = c + <usize>r * ldC, c1 = c0 + ldC, c2 = c1 + ldC, c3 = c2 + ldC;
    // the columns all four rows take
    const common = lower != 0 ? min(r + 1, rb) : rb;
    let j = 0;
    for (; j + 1 < common; j += 2) {
      const b0 = b + <usize>j * ldB, b1 = b0 + ldB;
      let s00 = f64x2.splat(0), s10 = f64x2.splat(0), s20 = f64x2.splat(0), s30 = f64x2.splat(0);
      let s01 = f64x2.splat(0), s11 = f64x2.splat(0), s21 = f64x2.splat(0), s31 = f64x2.splat(0);
      let u = 0;
      for (; u + 1 < k; u += 2) {
        const o = <usize>u << 3;
        const l = v128.load(b0 + o), h = v128.load(b1 + o);
        const x0 = v128.load(a0 + o), x1 = v128.load(a1 + o), x2 = v128.load(a2 + o), x3 = v128.load(a3 + o);
        s00 = f64x2.add(s00, f64x2.mul(x0, l)); s10 = f64x2.add(s10, f64x2.mul(x1, l));
        s20 = f64x2.add(s20, f64x2.mul(x2, l)); s30 = f64x2.add(s30, f64x2.mul(x3, l));
        s01 = f64x2.add(s01, f64x2.mul(x0, h)); s11 = f64x2.add(s11, f64x2.mul(x1, h));
        s21 = f64x2.add(s21, f64x2.mul(x2, h)); s31 = f64x2.add(s31, f64x2.mul(x3, h));
      }
      let t00 = hsum(s00), t10 = hsum(s10), t20 = hsum(s20), t30 = hsum(s30);
      let t01 = hsum(s01), t11 = hsum(s11), t21 = hsum(s21), t31 = hsum(s31);
      if (u < k) {
        const o = <usize>u << 3;
        const l = load<f64>(b0 + o), h = load<f64>(b1 + o);
        const x0 = load<f64>(a0 + o), x1 = load<f64>(a1 + o), x2 = load<f64>(a2 + o), x3 = load<f64>(a3 + o);
        t00 += x0 * l; t10 += x1 * l; t20 += x2 * l; t30 += x3 * l;
        t01 += x0 * h; t11 += x1 * h; t21 += x2 * h; t31 += x3 * h;
      }
      const oj = <usize>j << 3;
      store<f64>(c0 + oj, load<f64>(c0 + oj) - t00); store<f64>(c0 + oj + 8, load<f64>(c0 + oj + 8) - t01);
      store<f64>(c1 + oj, load<f64>(c1 + oj) - t10); store<f64>(c1 + oj + 8, load<f64>(c1 + oj + 8) - t11);
      store<f64>(c2 + oj, load<f64>(c2 + oj) - t20); store<f64>(c2 + oj + 8, load<f64>(c2 + oj + 8) - t21);
      store<f64>(c3 + oj, load<f64>(c3 + oj) - t30); store<f64>(c3 + oj + 8, load<f64>(c3 + oj + 8) - t31);
    }
    // each row's remaining columns
    for (let i = 0; i < 4; i++) {
      const ar = a0 + <usize>i * ldA, cr = c0 + <usize>i * ldC;
      const end = lower != 0 ? min(r + i + 1, rb) : rb;
      for (let jj = j; jj < end; jj++) {
        const oj = <usize>jj << 3;
        store<f64>(cr + oj, load<f64>(cr + oj) - dot(ar, b + <usize>jj * ldB, k));
      }
    }
  }
  for (; r < r1; r++) {
    const ar = a + <usize>r * ldA, cr = c + <usize>r * ldC;
    const end = lower != 0 ? min(r + 1, rb) : rb;
    for (let jj = 0; jj < end; jj++) {
      const oj = <usize>jj << 3;
      store<f64>(cr + oj, load<f64>(cr + oj) - dot(ar, b + <usize>jj * ldB, k));
    }
  }
}
