/*
 * The C reference for the dense kernel's speed (bench/denseKernel.ts): LAPACK's dpotrf (Cholesky,
 * lower) from OpenBLAS on the same SPD matrices, timed the same way (best of R repeats after one
 * warm-up, a fresh copy of the matrix each time, the copy not timed). Prints one JSON line per n.
 *
 *   bash bench/potrf/run.sh [n ...]      (compiles this against OpenBLAS; see bench/README.md)
 *
 * Only a benchmark: the library never links against OpenBLAS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* the matrix of bench/denseKernel.ts: A = I·n + B Bᵀ / n, B[i][j] = sin(i·7 + j·3) (deterministic) */
static void fill(double *a, int n) {
  double *b = malloc(sizeof(double) * (size_t)n * n);
  for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) b[(size_t)i * n + j] = __builtin_sin(i * 7.0 + j * 3.0);
  for (int i = 0; i < n; i++) for (int j = 0; j <= i; j++) {
    double s = 0;
    for (int k = 0; k < n; k++) s += b[(size_t)i * n + k] * b[(size_t)j * n + k];
    s /= n;
    if (i == j) s += n;
    a[(size_t)i * n + j] = s;
    a[(size_t)j * n + i] = s;
  }
  free(b);
}

int main(int argc, char **argv) {
  int reps = 7;
  for (int t = 1; t < argc; t++) {
    int n = atoi(argv[t]);
    double *a0 = malloc(sizeof(double) * (size_t)n * n), *a = malloc(sizeof(double) * (size_t)n * n);
    fill(a0, n);
    double best = 1e30, logdet = 0;
    for (int r = 0; r <= reps; r++) {
      memcpy(a, a0, sizeof(double) * (size_t)n * n);
      int info = 0;
      double t0 = now();
      dpotrf_("U", &n, a, &n, &info); /* column-major upper = row-major lower */
      double dt = now() - t0;
      if (info != 0) { fprintf(stderr, "dpotrf info %d\n", info); return 1; }
      if (r > 0 && dt < best) best = dt;
      logdet = 0;
      for (int i = 0; i < n; i++) logdet += 2 * __builtin_log(a[(size_t)i * n + i]);
    }
    double flops = (double)n * n * n / 3.0;
    printf("{\"n\":%d,\"ms\":%.4f,\"gflops\":%.3f,\"logdet\":%.12g}\n", n, best * 1e3, flops / best / 1e9, logdet);
    free(a0);
    free(a);
  }
  return 0;
}
