#!/usr/bin/env bash
# Compiles bench/potrf/potrf.c against OpenBLAS and times dpotrf for each n (default 500 1128 2000),
# with 1 and 2 OpenBLAS threads. OpenBLAS is found at $OPENBLAS_DIR (a folder with libopenblas.so),
# else Debian's libopenblas-dev location. Without installing it system-wide (which would switch R's
# BLAS through the alternatives system), `apt-get download libopenblas0-pthread && dpkg -x *.deb dir`
# and OPENBLAS_DIR=dir/usr/lib/x86_64-linux-gnu/openblas-pthread work.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${OPENBLAS_DIR:-/usr/lib/x86_64-linux-gnu/openblas-pthread}
lib=$(ls "$dir"/libopenblas.so* 2>/dev/null | head -1 || true)
[ -n "$lib" ] || { echo "no libopenblas.so in $dir (set OPENBLAS_DIR)" >&2; exit 2; }
out=${TMPDIR:-/tmp}/mixedgpu-potrf
gcc -O2 -o "$out" "$here/potrf.c" "$lib" -Wl,-rpath,"$dir" -lm
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(500 1128 2000)
for th in 1 2; do
  OPENBLAS_NUM_THREADS=$th "$out" "${sizes[@]}" | sed "s/^{/{\"threads\":$th,/"
done
