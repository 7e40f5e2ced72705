// AssemblyScript source of the WebAssembly (SIMD, f64x2) dense kernels of the CPU backend.
// Built by `npm run build:wasm` into src/linalg/denseWasm.generated.ts (base64), which the CPU backend
// loads; src/linalg/dense.ts holds the same kernels in JavaScript (the fallback and the reference the
// tests compare these with). Matrices are row-major n × n (lower triangle used) at byte addresses in
// the module's imported memory.

/** Σ_k x[k]·y[k] over k < len, two lanes at a time. */
@inline
function dot(x: usize, y: usize, len: i32): f64 {
  let s = f64x2.splat(0);
  let k = 0;
  for (; k + 1 < len; k += 2) {
    const o = <usize>k << 3;
    s = f64x2.add(s, f64x2.mul(v128.load(x + o), v128.load(y + o)));
  }
  let t = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; k < len; k++) t += load<f64>(x + (<usize>k << 3)) * load<f64>(y + (<usize>k << 3));
  return t;
}

/**
 * In-place Cholesky A = L Lᵀ (row-oriented Crout form, as src/linalg/dense.ts choleskyInPlace):
 *   L[i][j] = (A[i][j] − Σ_{k<j} L[i][k] L[j][k]) / L[j][j],  L[j][j] = √(A[j][j] − Σ_{k<j} L[j][k]²)
 * four rows × two columns at a time, inner products two lanes wide. Returns log det L² = 2 Σ log L[j][j],
 * or NaN when a pivot is not positive, with the pivot's index stored at address 0 (reserved).
 */
export function cholesky(a: usize, n: i32): f64 {
  let logdet: f64 = 0;
  const ld = <usize>n << 3;
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
        let t00 = f64x2.extract_lane(s00, 0) + f64x2.extract_lane(s00, 1);
        let t10 = f64x2.extract_lane(s10, 0) + f64x2.extract_lane(s10, 1);
        let t20 = f64x2.extract_lane(s20, 0) + f64x2.extract_lane(s20, 1);
        let t30 = f64x2.extract_lane(s30, 0) + f64x2.extract_lane(s30, 1);
        let t01 = f64x2.extract_lane(s01, 0) + f64x2.extract_lane(s01, 1);
        let t11 = f64x2.extract_lane(s11, 0) + f64x2.extract_lane(s11, 1);
        let t21 = f64x2.extract_lane(s21, 0) + f64x2.extract_lane(s21, 1);
        let t31 = f64x2.extract_lane(s31, 0) + f64x2.extract_lane(s31, 1);
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
      if (!(s > 0)) { store<i32>(0, jj); return NaN; }
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

/**
 * S ← S L⁻ᵀ for S rows × m (row-major) and L dense m × m lower: each row x solves L xᵀ = rowᵀ,
 * x[t] = (s[t] − Σ_{u<t} L[t][u] x[u]) / L[t][t].
 */
export function rightSolve(s: usize, rows: i32, l: usize, m: i32): void {
  const ld = <usize>m << 3;
  let r = 0;
  // four rows at a time share each row of L
  for (; r + 3 < rows; r += 4) {
    const o0 = s + <usize>r * ld, o1 = o0 + ld, o2 = o1 + ld, o3 = o2 + ld;
    for (let t = 0; t < m; t++) {
      const lt = l + <usize>t * ld;
      let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
      let k = 0;
      for (; k + 1 < t; k += 2) {
        const o = <usize>k << 3;
        const lv = v128.load(lt + o);
        a0 = f64x2.add(a0, f64x2.mul(lv, v128.load(o0 + o)));
        a1 = f64x2.add(a1, f64x2.mul(lv, v128.load(o1 + o)));
        a2 = f64x2.add(a2, f64x2.mul(lv, v128.load(o2 + o)));
        a3 = f64x2.add(a3, f64x2.mul(lv, v128.load(o3 + o)));
      }
      let t0 = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
      let t1 = f64x2.extract_lane(a1, 0) + f64x2.extract_lane(a1, 1);
      let t2 = f64x2.extract_lane(a2, 0) + f64x2.extract_lane(a2, 1);
      let t3 = f64x2.extract_lane(a3, 0) + f64x2.extract_lane(a3, 1);
      for (; k < t; k++) {
        const o = <usize>k << 3;
        const lv = load<f64>(lt + o);
        t0 += lv * load<f64>(o0 + o); t1 += lv * load<f64>(o1 + o);
        t2 += lv * load<f64>(o2 + o); t3 += lv * load<f64>(o3 + o);
      }
      const ot = <usize>t << 3;
      const d = load<f64>(lt + ot);
      store<f64>(o0 + ot, (load<f64>(o0 + ot) - t0) / d);
      store<f64>(o1 + ot, (load<f64>(o1 + ot) - t1) / d);
      store<f64>(o2 + ot, (load<f64>(o2 + ot) - t2) / d);
      store<f64>(o3 + ot, (load<f64>(o3 + ot) - t3) / d);
    }
  }
  for (; r < rows; r++) {
    const ro = s + <usize>r * ld;
    for (let t = 0; t < m; t++) {
      const lt = l + <usize>t * ld;
      const ot = <usize>t << 3;
      store<f64>(ro + ot, (load<f64>(ro + ot) - dot(lt, ro, t)) / load<f64>(lt + ot));
    }
  }
}

/** C[r][s] −= Σ_u A[r][u] B[s][u] for C ra × rb (row stride ldc), A ra × k, B rb × k; lower only when lower ≠ 0. */
export function subtractABt(c: usize, ldc: i32, a: usize, ra: i32, b: usize, rb: i32, k: i32, lower: i32): void {
  const lda = <usize>k << 3;
  for (let r = 0; r < ra; r++) {
    const ar = a + <usize>r * lda;
    const cr = c + ((<usize>r * <usize>ldc) << 3);
    const end = lower != 0 ? min(r + 1, rb) : rb;
    for (let s = 0; s < end; s++) {
      const o = <usize>s << 3;
      store<f64>(cr + o, load<f64>(cr + o) - dot(ar, b + <usize>s * lda, k));
    }
  }
}
