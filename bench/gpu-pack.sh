#!/usr/bin/env bash
# Packs what a GPU machine without Node or network needs for bench/gpu-run.sh (verified on an NVIDIA H200,
# 2026-12-04): Node itself, the `webgpu` package (Dawn, Linux x64 only), the bundles, and the Debian packages
# of the Vulkan loader and of the GL dispatch libraries that NVIDIA's Vulkan ICD (libGLX_nvidia.so.0) loads:
# without libglvnd0/libglx0 the loader finds the ICD but "Could not get 'vkCreateInstance'", and Dawn has no
# adapter. Run from the repository root after `npm ci`:
#   bash bench/gpu-pack.sh
# then carry .gpu, .gl, bench/out/gpu-bench.mjs and bench/out/run-bench.mjs (bench/README.md), and
# bench/out/kinship-bench.mjs for --kinship, bench/out/glmm-ab-bench.mjs for --glmm-ab,
# bench/out/glmm-noise-bench.mjs for --glmm-noise.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .gpu .gl
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
grep -qx '/.gl/' .git/info/exclude 2>/dev/null || echo '/.gl/' >> .git/info/exclude
npm run -s bench:gpu:bundle
xz -T2 -6 -c "$(readlink -f "$(command -v node)")" > .gpu/node.xz
tar -C node_modules --exclude='webgpu/dist/darwin-*' --exclude='webgpu/dist/win32-*' --exclude='webgpu/dist/linux-arm64' \
  -cJf .gpu/webgpu.tar.xz webgpu @webgpu debug ms
PKGS="libvulkan1 libglvnd0 libglx0 libegl1 libgl1 libgles2 libopengl0"
missing=0; for p in $PKGS; do ls .gl/${p}_*.deb >/dev/null 2>&1 || missing=1; done
if [ "$missing" = 1 ]; then
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  mkdir -p /tmp/amd64/partial
  apt-get $o update -qq && (cd .gl && apt-get $o download $PKGS >/dev/null 2>&1)
fi
cat > .gpu/env.sh <<'EOS'
# ESM resolves packages from ./node_modules, which the copy on the device lacks: unpack there.
mkdir -p /tmp/gpu/bin node_modules
[ -x /tmp/gpu/bin/node ] || { xz -dc .gpu/node.xz > /tmp/gpu/bin/node; chmod +x /tmp/gpu/bin/node; }
[ -d node_modules/webgpu ] || tar -C node_modules -xJf .gpu/webgpu.tar.xz
export PATH=/tmp/gpu/bin:$PATH
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export VK_ICD_FILENAMES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
EOS
du -sh .gpu .gl bench/out/gpu-bench.mjs bench/out/run-bench.mjs bench/out/kinship-bench.mjs bench/out/glmm-ab-bench.mjs bench/out/glmm-noise-bench.mjs
