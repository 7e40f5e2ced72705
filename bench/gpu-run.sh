#!/usr/bin/env bash
# One prepared real-GPU run (issue 15): the Node (Dawn) benchmark, the GLMM benchmark on WebGPU, and,
# where Chromium is installed, the headless-Chromium benchmark with real-GPU flags; it checks first that
# the adapter is a hardware one and fails loudly if it is a software one (SwiftShader) unless
# --allow-software is given; then writes one summary (JSON + Markdown) with the issue's targets.
#
#   bash bench/gpu-run.sh [--allow-software] [--quick] [--out DIR] [--cases LIST] [--glmm-cases LIST]
#                         [--browser-rows LIST] [--no-browser] [--no-cpu] [--timeout-min T]
#                         [--kinship LEVELS [--kinship-only] [--kinship-timeout-min T]] [--glmm-ab] [--glmm-noise] [--auto]
#
# --allow-software  run on a software adapter (this is how the script is checked on a CPU-only machine)
# --quick           small sizes (20,000 rows, 1,000 groups; InstEval as is): the script end to end in minutes
#                   on SwiftShader; a real-GPU run leaves it off
# --out DIR         where summary.json, summary.md and run.log go (default bench/out/gpu-run-<date>);
#                   the raw per-runner JSON goes to DIR/raw
# --cases LIST      LMM cases of bench/gpu.ts (default 1m,10m,insteval,wide; quick: synth,insteval,wide;
#                   wide: p = 21, q = 9, beyond the old shader limits)
# --glmm-cases LIST GLMM cases of bench/run.ts (default glmm1m; quick: glmm200k at the quick size)
# --browser-rows L  rows of the browser benchmark (default 1e6,1e7; quick: 2e4)
# --no-browser      skip the browser benchmark; --no-cpu: fit on WebGPU only (no CPU row beside it)
# --auto            also each LMM and GLMM case with backend 'auto' (the rule's own choice after one measured
#                   evaluation, or PIRLS run, on each backend, src/backend/select.ts), shown as `auto (webgpu)` or `auto (cpu)`
# --kinship LEVELS  also the known-covariance model of bench/kinship.ts (issue 13: y ~ x + (1 | id), a dense
#                   LEVELS × LEVELS kinship K, 2 records per level) on the WebGPU backend only (the dense
#                   block's Cholesky on the GPU, f32, then the float64 check and polish on the CPU), killed
#                   after --kinship-timeout-min minutes (default: --timeout-min); its JSON goes to DIR/raw
#                   and its row to the summary
# --kinship-only    with --kinship: skip the LMM, GLMM and browser benchmarks (the adapter check stays)
# --glmm-ab         also bench/glmmGroupsAB.ts: glmer with two nested and two crossed grouping factors, the first
#                   factor's per-group updates on the GPU against the CPU's, alternated (200,000 rows, 5,000 groups,
#                   h of 200 levels; quick: 8,000 rows, 200 groups); its table is appended to summary.md
# --glmm-noise      also bench/glmmNoise.ts: the WebGPU GLMM's stage-2 objective against float64 at the CPU's
#                   optimum of glmm1m's model (1,000,000 rows, 50,000 groups; quick: 20,000 and 1,000): its bias
#                   and jitter along lines in θ and β and from 8 warm starts, appended to summary.md
#
# Memory: the fitting processes get transparent huge pages where the CLI would give them to a large fit
# (GLIBC_TUNABLES=glibc.malloc.hugetlb=1 on Linux with THP `madvise`; src/cli/hugePages.ts); the summary's
# machine line says which. MIXEDGPU_HUGE_PAGES=off: not.
#
# Node: `node` on PATH, or .gpu/env.sh (a GPU machine without Node: ../shared/device/pack.sh carries Node,
# the `webgpu` package and the Vulkan loader; bench/README.md has the whole recipe). The bundles
# bench/out/gpu-bench.mjs and bench/out/run-bench.mjs (and bench/out/browser* for Chromium) are built here
# with `npm run bench:gpu:bundle` (and `npm run bench:browser:build`) when node_modules is there; on a
# machine without it they must be carried.
set -uo pipefail
cd "$(dirname "$0")/.."

ALLOW_SOFTWARE=0; QUICK=0; OUT=""; CASES=""; GLMM_CASES=""; BROWSER_ROWS=""; BROWSER=1; CPU=1; TIMEOUT_MIN=8
KINSHIP=""; KINSHIP_ONLY=0; KINSHIP_TIMEOUT_MIN=""; GLMM_AB=0; GLMM_NOISE=0; AUTO=0
while [ $# -gt 0 ]; do
  case "$1" in
    --allow-software) ALLOW_SOFTWARE=1 ;;
    --quick) QUICK=1 ;;
    --out) OUT="$2"; shift ;;
    --cases) CASES="$2"; shift ;;
    --glmm-cases) GLMM_CASES="$2"; shift ;;
    --browser-rows) BROWSER_ROWS="$2"; shift ;;
    --no-browser) BROWSER=0 ;;
    --no-cpu) CPU=0 ;;
    --timeout-min) TIMEOUT_MIN="$2"; shift ;;
    --kinship) KINSHIP="$2"; shift ;;
    --kinship-only) KINSHIP_ONLY=1 ;;
    --kinship-timeout-min) KINSHIP_TIMEOUT_MIN="$2"; shift ;;
    --glmm-ab) GLMM_AB=1 ;;
    --glmm-noise) GLMM_NOISE=1 ;;
    --auto) AUTO=1 ;;
    -h|--help) sed -n '2,44p' "$0"; exit 0 ;;
    *) echo "gpu-run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
if [ -n "$KINSHIP" ] && ! [[ "$KINSHIP" =~ ^[1-9][0-9]*$ ]]; then echo "gpu-run.sh: --kinship needs a number of levels, got '$KINSHIP'" >&2; exit 2; fi
if [ "$KINSHIP_ONLY" = 1 ] && [ -z "$KINSHIP" ]; then echo "gpu-run.sh: --kinship-only needs --kinship LEVELS" >&2; exit 2; fi
KINSHIP_TIMEOUT_MIN=${KINSHIP_TIMEOUT_MIN:-$TIMEOUT_MIN}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-bench/out/gpu-run-$STAMP}
mkdir -p "$OUT/raw"
OUT=$(cd "$OUT" && pwd)
LOG="$OUT/run.log"
: > "$LOG"
say() { echo "[gpu-run] $*" | tee -a "$LOG" >&2; }
fail() { say "FAILED: $*"; exit 3; }

if [ "$QUICK" = 1 ]; then
  SIZE=(--rows 20000 --groups 1000)
  CASES=${CASES:-synth,insteval,wide}; GLMM_CASES=${GLMM_CASES:-glmm200k}; BROWSER_ROWS=${BROWSER_ROWS:-2e4}
else
  SIZE=()
  CASES=${CASES:-1m,10m,insteval,wide}; GLMM_CASES=${GLMM_CASES:-glmm1m}; BROWSER_ROWS=${BROWSER_ROWS:-1e6,1e7}
fi
BACKENDS=webgpu; [ "$CPU" = 1 ] && BACKENDS=webgpu,cpu

# --- Node, the Vulkan loader and the driver ---------------------------------------------------------
# carried .deb packages (.gl/, ../shared/device/pack.sh): the Vulkan loader when the machine has none
# and the GL dispatch libraries NVIDIA's ICD (libGLX_nvidia.so.0) needs: libglvnd0, libglx0, libegl1, ...
if ls .gl/*.deb >/dev/null 2>&1 && [ ! -e /tmp/.gpu-run-gl-unpacked ]; then
  for f in .gl/*.deb; do dpkg -x "$f" / && say "unpacked $f"; done
  ldconfig
  touch /tmp/.gpu-run-gl-unpacked
fi
if [ -f .gpu/env.sh ]; then
  # shellcheck disable=SC1091
  source .gpu/env.sh
fi
# the NVIDIA Vulkan ICD: keep what env.sh or the user named when it exists, else look for it
ICD=${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-}}
if [ -n "$ICD" ] && [ ! -f "$ICD" ]; then
  FOUND=$(ls /usr/local/nvidia/share/vulkan/icd.d/*.json /usr/share/vulkan/icd.d/nvidia*.json /etc/vulkan/icd.d/nvidia*.json 2>/dev/null | head -1)
  if [ -n "$FOUND" ]; then export VK_DRIVER_FILES=$FOUND VK_ICD_FILENAMES=$FOUND; say "Vulkan ICD: $FOUND (not $ICD)"
  else unset VK_DRIVER_FILES VK_ICD_FILENAMES; say "no Vulkan ICD at $ICD, and no NVIDIA ICD found"; fi
fi
command -v node >/dev/null 2>&1 || fail "no node on PATH and no .gpu/env.sh (see bench/README.md: ../shared/device/pack.sh)"
say "node $(node --version) at $(command -v node); $(uname -srm); $(nproc) cores"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | sed 's/^/[gpu-run] nvidia-smi: /' | tee -a "$LOG" >&2
fi

# (re)built where node_modules is, when missing or older than a source: a stale bundle would measure old code
STALE=""
# (the check once ran only where glmm-ab-bench.mjs existed too: without it, stale bundles measured old code)
# (where esbuild is: a GPU machine's copy has a node_modules of its own, .gpu/env.sh's, without it, and
# runs the bundles it was given, whose commit the summary records)
if [ -f bench/out/gpu-bench.mjs ] && [ -f bench/out/run-bench.mjs ] && [ -d node_modules/esbuild ]; then
  for b in bench/out/gpu-bench.mjs bench/out/run-bench.mjs; do
    [ -n "$STALE" ] || STALE=$(find src shaders bench -maxdepth 4 \( -name '*.ts' -o -name '*.wgsl' \) -not -path 'bench/out/*' -newer "$b" 2>/dev/null | head -1)
  done
fi
if [ ! -f bench/out/gpu-bench.mjs ] || [ ! -f bench/out/run-bench.mjs ] || { [ -n "$KINSHIP" ] && [ ! -f bench/out/kinship-bench.mjs ]; } || { [ "$GLMM_AB" = 1 ] && [ ! -f bench/out/glmm-ab-bench.mjs ]; } || { [ "$GLMM_NOISE" = 1 ] && [ ! -f bench/out/glmm-noise-bench.mjs ]; } || [ -n "$STALE" ]; then
  [ -d node_modules/esbuild ] || fail "bench/out/gpu-bench.mjs, run-bench.mjs, glmm-ab-bench.mjs, glmm-noise-bench.mjs or kinship-bench.mjs is missing and there is no node_modules (esbuild) to build them"
  say "building the bundles (npm run bench:gpu:bundle)${STALE:+: $STALE is newer than them}"
  npm run -s bench:gpu:bundle >>"$LOG" 2>&1 || fail "npm run bench:gpu:bundle"
fi

# --- the adapter ----------------------------------------------------------------------------------
ADAPTER_JSON=$(node bench/out/gpu-bench.mjs --adapter 2>>"$LOG")
[ -n "$ADAPTER_JSON" ] || fail "no WebGPU adapter (see $LOG)"
echo "$ADAPTER_JSON" > "$OUT/raw/adapter.json"
say "adapter: $ADAPTER_JSON"
IS_SOFTWARE=$(node -e 'const a = JSON.parse(process.argv[1]); console.log(a.isSoftware === false ? 0 : a.isSoftware === true ? 1 : 2)' "$ADAPTER_JSON")
if [ "$IS_SOFTWARE" = 2 ]; then
  say "no WebGPU adapter; the Vulkan loader's view (VK_LOADER_DEBUG=error,warn,driver):"
  VK_LOADER_DEBUG=error,warn,driver node bench/out/gpu-bench.mjs --adapter 2>&1 | head -40 | tee -a "$LOG" >&2
  fail "no WebGPU adapter ($ADAPTER_JSON)"
fi
if [ "$IS_SOFTWARE" = 1 ] && [ "$ALLOW_SOFTWARE" = 0 ]; then
  fail "the WebGPU adapter is a software one ($ADAPTER_JSON), not the GPU: check the Vulkan driver (VK_DRIVER_FILES / VK_ICD_FILENAMES; ls /usr/local/nvidia/share/vulkan/icd.d/), or pass --allow-software to run on it anyway"
fi

STATUS=0
if [ "$KINSHIP_ONLY" = 1 ]; then
  say "--kinship-only: the LMM, GLMM and browser benchmarks are skipped"
  CASES=""; GLMM_CASES=""; BROWSER=0
fi
# --- LMM: bench/gpu.ts (bandwidth, then each case on webgpu and cpu) ---------------------------------
if [ -n "$CASES" ]; then
say "LMM cases $CASES on $BACKENDS$([ "$AUTO" = 1 ] && echo ,auto)"
LMM_BACKENDS=$BACKENDS; [ "$AUTO" = 1 ] && LMM_BACKENDS=$BACKENDS,auto
node --expose-gc bench/out/gpu-bench.mjs --cases "$CASES" --backends "$LMM_BACKENDS" "${SIZE[@]}" \
  --timeout-min "$TIMEOUT_MIN" --out "$OUT/raw" >>"$LOG" 2>&1 || { STATUS=1; say "the LMM benchmark failed (see $LOG)"; }
fi

# --- GLMM: bench/run.ts's glmm cases on webgpu and cpu (no R on a GPU machine) -----------------------
if [ -n "$GLMM_CASES" ]; then
  GLMM_BACKENDS=$BACKENDS; [ "$AUTO" = 1 ] && GLMM_BACKENDS=$BACKENDS,auto
  say "GLMM cases $GLMM_CASES on $GLMM_BACKENDS"
  node --expose-gc bench/out/run-bench.mjs --cases "$GLMM_CASES" --backends "$GLMM_BACKENDS" --no-r "${SIZE[@]}" \
    --timeout-min "$TIMEOUT_MIN" --out "$OUT/raw" >>"$LOG" 2>&1 || { STATUS=1; say "the GLMM benchmark failed (see $LOG)"; }
fi

# --- the GLMM's per-group updates with several grouping factors: GPU against CPU (bench/glmmGroupsAB.ts) ---
if [ "$GLMM_AB" = 1 ] && [ "$KINSHIP_ONLY" = 0 ]; then
  AB_SIZE=(--rows 200000 --groups 5000 --crossed 200); [ "$QUICK" = 1 ] && AB_SIZE=(--rows 8000 --groups 200)
  say "GLMM per-group A/B (several grouping factors): ${AB_SIZE[*]}"
  TO=(); command -v timeout >/dev/null 2>&1 && TO=(timeout -k 10 $((TIMEOUT_MIN * 60 * 4)))
  "${TO[@]}" node --expose-gc bench/out/glmm-ab-bench.mjs "${AB_SIZE[@]}" --reps 2 --out "$OUT/raw/glmm-ab.md" >>"$LOG" 2>&1 \
    || { STATUS=1; say "the GLMM per-group A/B failed (see $LOG)"; }
fi

# --- the WebGPU GLMM's stage-2 objective against float64: bias and jitter (bench/glmmNoise.ts) ------------
if [ "$GLMM_NOISE" = 1 ] && [ "$KINSHIP_ONLY" = 0 ]; then
  NOISE_SIZE=(--rows 1000000 --groups 50000); [ "$QUICK" = 1 ] && NOISE_SIZE=(--rows 20000 --groups 1000)
  say "GLMM stage-2 objective's noise: ${NOISE_SIZE[*]}"
  TO=(); command -v timeout >/dev/null 2>&1 && TO=(timeout -k 10 $((TIMEOUT_MIN * 60 * 2)))
  "${TO[@]}" node --expose-gc bench/out/glmm-noise-bench.mjs "${NOISE_SIZE[@]}" > "$OUT/raw/glmm-noise.txt" 2>>"$LOG" \
    || { STATUS=1; say "the GLMM noise measurement failed (see $LOG)"; }
fi

# --- kinship: bench/kinship.ts, a dense known covariance, on the WebGPU adapter only ---------------------
if [ -n "$KINSHIP" ]; then
  say "kinship model: $KINSHIP levels on webgpu, at most $KINSHIP_TIMEOUT_MIN min"
  # the bench kills its fit at the limit; `timeout` (a minute later) guards the bench itself
  TO=(); command -v timeout >/dev/null 2>&1 && TO=(timeout -k 10 $((KINSHIP_TIMEOUT_MIN * 60 + 60)))
  "${TO[@]}" node --expose-gc bench/out/kinship-bench.mjs --levels "$KINSHIP" --backends webgpu \
    --timeout-min "$KINSHIP_TIMEOUT_MIN" --out "$OUT/raw" >>"$LOG" 2>&1 || { STATUS=1; say "the kinship benchmark failed (see $LOG)"; }
  ls "$OUT"/raw/kinship-results-*.json >/dev/null 2>&1 || { STATUS=1; say "the kinship benchmark wrote no JSON (see $LOG)"; }
fi

# --- the browser: headless Chromium with WebGPU --------------------------------------------------
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ "$BROWSER" = 0 ]; then
  say "browser benchmark: skipped (--no-browser)"
elif [ ! -x "$CHROMIUM" ]; then
  say "browser benchmark: skipped (no Chromium at $CHROMIUM)"
  echo "no Chromium at $CHROMIUM" > "$OUT/raw/browser-skipped.txt"
else
  if [ ! -f bench/out/browser-bench.mjs ]; then
    [ -d node_modules ] || fail "bench/out/browser-bench.mjs is missing and there is no node_modules to build it"
    npm run -s bench:browser:build >>"$LOG" 2>&1 || fail "npm run bench:browser:build"
  fi
  REAL=(); [ "$IS_SOFTWARE" = 0 ] && REAL=(--real-gpu)
  say "browser benchmark: rows $BROWSER_ROWS ${REAL[*]:-(software adapter)}"
  node bench/out/browser-bench.mjs --rows "$BROWSER_ROWS" --backends "$BACKENDS" "${REAL[@]}" --chromium "$CHROMIUM" \
    --timeout-min "$TIMEOUT_MIN" --out "$OUT/raw" >>"$LOG" 2>&1 || { STATUS=1; say "the browser benchmark failed (see $LOG)"; }
fi

# a case whose child process failed: the runners exit 0 and mark it in their tables, so say it here
# (a timeout is a figure, a failure is not)
if grep -q "worker exited with" "$LOG"; then
  STATUS=1; say "a case failed in its child process: $(grep -m1 -o '\[[^]]*\] [a-z]*: worker exited with [0-9]*' "$LOG") (see $LOG)"
fi

# --- one summary --------------------------------------------------------------------------------
node bench/gpu-summary.mjs "$OUT/raw" "$OUT" --quick "$QUICK" >>"$LOG" 2>&1 || { STATUS=1; say "the summary failed (see $LOG)"; }
if [ -f "$OUT/raw/glmm-ab.md" ] && [ -f "$OUT/summary.md" ]; then
  { echo; cat "$OUT/raw/glmm-ab.md"; } >> "$OUT/summary.md"
fi
if [ -s "$OUT/raw/glmm-noise.txt" ] && [ -f "$OUT/summary.md" ]; then
  { echo; echo '## The WebGPU GLMM'"'"'s stage-2 objective against float64 (bench/glmmNoise.ts)'; echo; echo '```'; cat "$OUT/raw/glmm-noise.txt"; echo '```'; } >> "$OUT/summary.md"
fi
[ -f "$OUT/summary.md" ] && cat "$OUT/summary.md"
say "done (status $STATUS): $OUT/summary.json, $OUT/summary.md, $LOG"
exit $STATUS
