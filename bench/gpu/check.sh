#!/usr/bin/env bash
# The GPU check, on a machine with a GPU and no network, no npm (bench/gpu/README.md):
#   bash check.sh [rlhfjs-gpu-check.tar.xz] [check options: --quick, --cpu-only, --budget-s N]
# Unpacks the bundle that bench/gpu/pack.sh built (next to this script by default), makes the Vulkan
# loader available if the system lacks it (from the bundled .deb files, extracted into the bundle:
# no root needed), prints the GPU and the adapter, then runs the check (parity with wasm, a 124M
# GPT-2-shaped training step and generation, PPO iterations of the detox recipe; webgpu against
# the native CPU kernels). Results: $OUT/gpu-check.json when OUT is set, else ./gpu-check.json.
# Everything is capped at 5 minutes.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ARCHIVE="$HERE/rlhfjs-gpu-check.tar.xz"
if [ $# -gt 0 ] && [[ "$1" == *.tar.xz ]]; then ARCHIVE="$1"; shift; fi
START=$(date +%s)
say() { echo "[check.sh] $*"; }

[ -f "$ARCHIVE" ] || { say "no bundle at $ARCHIVE (build it with bash bench/gpu/pack.sh)"; exit 2; }
WORK="${RLHFJS_GPU_CHECK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/rlhfjs-gpu-check.XXXXXX")}"
say "unpacking $ARCHIVE into $WORK"
if ! tar -C "$WORK" -xJf "$ARCHIVE" 2>/dev/null; then
  # tar without xz support: python3's lzma
  python3 -c 'import lzma, sys, tarfile; tarfile.open(fileobj=lzma.open(sys.argv[1])).extractall(sys.argv[2])' "$ARCHIVE" "$WORK" || { say "cannot unpack (needs tar with xz, or python3)"; exit 2; }
fi
D="$WORK/rlhfjs-gpu-check"
SYSROOT="$D/sysroot"
MISSING=()

has_lib() { # a shared library the dynamic loader finds (system paths or LD_LIBRARY_PATH)
  { ldconfig -p 2>/dev/null | grep -q " $1 "; } && return 0
  local d
  for d in ${LD_LIBRARY_PATH:+${LD_LIBRARY_PATH//:/ }} /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64 /usr/lib64 /usr/lib; do
    [ -e "$d/$1" ] && return 0
  done
  return 1
}

extract_deb() { # unpack a bundled .deb into $SYSROOT (dpkg-deb, else ar + tar)
  local deb
  deb=$(ls "$D"/debs/"$1"_*.deb 2>/dev/null | head -1)
  if [ -z "$deb" ]; then MISSING+=("$1 (.deb not in the bundle${2:+; needed for $2})"); return 1; fi
  mkdir -p "$SYSROOT"
  if command -v dpkg-deb > /dev/null; then dpkg-deb -x "$deb" "$SYSROOT" && return 0; fi
  local t; t=$(mktemp -d)
  if command -v ar > /dev/null && (cd "$t" && ar x "$deb") && tar -C "$SYSROOT" -xf "$t"/data.tar.*; then rm -rf "$t"; return 0; fi
  rm -rf "$t"
  MISSING+=("$1 (could not unpack $deb: no dpkg-deb, no ar)")
  return 1
}

need_lib() { # need_lib <soname> <package> <purpose>
  if has_lib "$1"; then say "$1: on the system"; return; fi
  if extract_deb "$2" "$3"; then say "$1: missing on the system, taken from the bundled $2"; else say "$1: MISSING ($3)"; fi
}

need_lib libvulkan.so.1 libvulkan1 "the Vulkan loader Dawn opens"
need_lib libGLdispatch.so.0 libglvnd0 "NVIDIA's Vulkan driver (libGLX_nvidia) links it"
need_lib libGLX.so.0 libglx0 "GLX dispatch"
need_lib libEGL.so.1 libegl1 "EGL dispatch"
if [ -f "$D/build/Release/rlhf_native_kernels.node" ]; then
  need_lib libopenblas.so.0 libopenblas0-pthread "the native CPU kernels"
  need_lib libgfortran.so.5 libgfortran5 "OpenBLAS"
  need_lib libquadmath.so.0 libquadmath0 "libgfortran"
fi
if [ -d "$SYSROOT" ]; then
  export LD_LIBRARY_PATH="$SYSROOT/usr/lib/x86_64-linux-gnu:$SYSROOT/usr/lib/x86_64-linux-gnu/openblas-pthread:$SYSROOT/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

# The Vulkan driver: NVIDIA's ICD file is installed with the driver's graphics libraries; a
# container started with NVIDIA_DRIVER_CAPABILITIES without "graphics" has the library but no ICD file.
ICDS=$(ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json 2>/dev/null | tr '\n' ' ')
if [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ] && ! echo "$ICDS" | grep -qi nvidia; then
  NV=""
  for d in ${LD_LIBRARY_PATH:+${LD_LIBRARY_PATH//:/ }} /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib64 /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
    [ -e "$d/libGLX_nvidia.so.0" ] && { NV="$d/libGLX_nvidia.so.0"; break; }
  done
  if [ -n "$NV" ]; then
    mkdir -p "$D/icd"
    printf '{ "file_format_version": "1.0.0", "ICD": { "library_path": "%s", "api_version": "1.3.0" } }\n' "$NV" > "$D/icd/nvidia_icd.json"
    export VK_ICD_FILENAMES="$D/icd/nvidia_icd.json"
    say "no NVIDIA Vulkan ICD file; wrote one for $NV"
  else
    say "Vulkan ICD files: ${ICDS:-none}; NVIDIA's Vulkan driver library (libGLX_nvidia.so.0) not found: in a container, start it with NVIDIA_DRIVER_CAPABILITIES=all (or compute,utility,graphics)"
  fi
else
  say "Vulkan ICD files: ${VK_ICD_FILENAMES:-${VK_DRIVER_FILES:-$ICDS}}"
fi
[ ${#MISSING[@]} -gt 0 ] && say "missing: ${MISSING[*]}"
[ -f "$D/debs/MISSING.txt" ] && say "$(head -1 "$D/debs/MISSING.txt")"

command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/[check.sh] GPU: /'
command -v vulkaninfo > /dev/null && vulkaninfo --summary 2>/dev/null | grep -E 'deviceName|driverName|apiVersion' | sed 's/^/[check.sh] vulkaninfo: /'

export RLHFJS_DAWN_NODE="$D/dawn/dawn.node"
LEFT=$((300 - ($(date +%s) - START)))
say "running the check (budget ${LEFT} s)"
timeout --signal=TERM "$LEFT" "$D/node" "$D/app/rlhfjs.js" check --root "$D" --budget-s $((LEFT - 40)) "$@"
RC=$?
[ $RC -eq 124 ] && say "the check ran past 5 minutes and was stopped; the JSON holds what finished"
say "done in $(( $(date +%s) - START )) s (exit $RC)"
exit $RC
