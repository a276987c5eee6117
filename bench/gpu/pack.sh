#!/usr/bin/env bash
# Build the self-contained GPU check bundle (bench/gpu/README.md): one archive holding the Node
# binary, the project bundled into one JS file by esbuild (rlhf CLI + plugins + bench/gpu/check.js),
# the tfjs wasm files, Dawn for linux-x64 only, the native CPU kernels addon, the base model, the
# check's recipe and prompts, and Debian packages of the Vulkan loader (+ GL/EGL dispatch libraries
# and OpenBLAS for the native kernels) for a machine that lacks them. At most 60 MiB.
#   bash bench/gpu/pack.sh [output folder = bench/gpu/out]
# Writes <out>/rlhfjs-gpu-check.tar.xz and <out>/check.sh; prints the archive's size.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUTDIR="$(mkdir -p "${1:-$HERE/out}" && cd "${1:-$HERE/out}" && pwd)"
LIMIT=$((60 * 1024 * 1024))
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
S="$TMP/rlhfjs-gpu-check"
mkdir -p "$S/app" "$S/dawn" "$S/debs" "$S/recipes/models" "$S/recipes/data" "$S/node_modules/@rlhfjs"
cd "$ROOT"

echo "== build (tsc)"
npx tsc -b tsconfig.json

echo "== bundle (esbuild)"
# native addons load by path at run time; the report's canvas/chart and the cuss lexicon file are
# not used by the check; tfjs-node(-gpu) are not installed (their backends say so if asked for)
node_modules/.bin/esbuild bench/gpu/entry.js --bundle --platform=node --target=node20 --format=cjs \
  --outfile="$S/app/rlhfjs.js" --log-level=error \
  --external:'*.node' --external:@napi-rs/canvas --external:chart.js --external:cuss \
  --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$S/app/"

echo "== Dawn (linux-x64 only), native kernels addon"
cp node_modules/webgpu/dist/linux-x64/dawn.node "$S/dawn/"
if [ -f plugins/native-kernels/build/Release/rlhf_native_kernels.node ]; then
  # the addon is found next to the bundle's folder, as ../build/Release/ from app/ (plugins/native-kernels/src/addon.ts)
  mkdir -p "$S/build/Release"
  cp plugins/native-kernels/build/Release/rlhf_native_kernels.node "$S/build/Release/"
else
  echo "   (native kernels addon not built: the CPU side will use stock wasm kernels)"
fi

echo "== plugin package stubs (the recipe loader finds them; they hand over the bundled plugins)"
for p in lm rewards algorithms loggers; do
  d="$S/node_modules/@rlhfjs/plugin-$p"
  mkdir -p "$d"
  node -e '
    const pj = require(process.argv[1]);
    const out = { name: pj.name, version: pj.version, main: "index.js", keywords: pj.keywords, description: "stub: the plugin package bundled in app/rlhfjs.js" };
    require("fs").writeFileSync(process.argv[2], JSON.stringify(out, null, 2) + "\n");
  ' "$ROOT/plugins/$p/package.json" "$d/package.json"
  printf "'use strict';\nconst m = globalThis.__rlhfjsBundledPlugins && globalThis.__rlhfjsBundledPlugins['@rlhfjs/plugin-%s'];\nif (!m) throw new Error('@rlhfjs/plugin-%s: this stub only works inside the GPU check bundle (node app/rlhfjs.js)');\nmodule.exports = m;\n" "$p" "$p" > "$d/index.js"
done

echo "== base model, recipe, prompts"
cp -r recipes/models/base "$S/recipes/models/base"
rm -f "$S/recipes/models/base/training-metrics.jsonl"
cp bench/gpu/detox-ppo.yaml "$S/recipes/detox-ppo.yaml"
node core/bin/rlhf.js train recipes/detox/2-train-prompts.yaml --set job.options.count=96 \
  --set job.options.output="$S/recipes/data/train-prompts.jsonl" --out "$TMP/prompts-run" > /dev/null
test -s "$S/recipes/data/train-prompts.jsonl"

echo "== Debian packages: Vulkan loader, GL/EGL dispatch (libglvnd), OpenBLAS for the native kernels"
DEBS="libvulkan1 libglvnd0 libglx0 libegl1 libgl1 libopenblas0-pthread libgfortran5 libquadmath0"
if ! (cd "$S/debs" && apt-get download $DEBS > "$TMP/apt.log" 2>&1); then
  echo "   apt-get download failed ($(tail -1 "$TMP/apt.log")); check.sh will report what is missing"
  printf 'apt-get download failed when the bundle was packed:\n%s\n' "$(cat "$TMP/apt.log")" > "$S/debs/MISSING.txt"
fi
ls "$S/debs"

echo "== Node $(node -v)"
cp "$(node -p process.execPath)" "$S/node"
chmod +x "$S/node"

{
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)"
  echo "node: $(node -v)"
  echo "webgpu: $(node -p 'require("webgpu/package.json").version')"
  echo "@tensorflow/tfjs-backend-webgpu: $(node -p 'require("@tensorflow/tfjs-backend-webgpu/package.json").version')"
  (cd "$S" && find . -type f ! -name BUILD.txt -exec sha256sum {} + | sort -k2)
} > "$S/BUILD.txt"

echo "== archive (xz)"
tar -C "$TMP" -cf - rlhfjs-gpu-check | xz -T2 -6 -c > "$OUTDIR/rlhfjs-gpu-check.tar.xz"
cp "$HERE/check.sh" "$OUTDIR/check.sh"
SIZE=$(stat -c %s "$OUTDIR/rlhfjs-gpu-check.tar.xz")
echo "== contents (uncompressed)"
du -sh "$S"/*
printf 'bundle: %s  %d bytes = %.1f MiB (limit 60 MiB)\n' "$OUTDIR/rlhfjs-gpu-check.tar.xz" "$SIZE" "$(awk -v s="$SIZE" 'BEGIN { print s / 1048576 }')"
if [ "$SIZE" -gt "$LIMIT" ]; then
  echo "the bundle is over 60 MiB" >&2
  exit 1
fi
echo "run it: bash $OUTDIR/check.sh   (copy check.sh and rlhfjs-gpu-check.tar.xz to the GPU machine together)"
