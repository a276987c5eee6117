#!/bin/sh
# Builds @rlhfjs/native-kernels (TypeScript and, if missing, the addon) and the benchmark, then runs
# it at low priority.
#   run.sh [train-step] [--rounds N --steps N --warmup N --no-torch --profile --all-only]
#   run.sh lm-step [--rounds N --steps N --warmup N --no-torch]   (the project's GPT; needs plugins/lm built)
#   run.sh kernels [--reps N]                                      (per-kernel stock vs native)
#   run.sh gemm [--reps N]                                         (matmul GFLOP/s: stock, own GEMM, OpenBLAS)
#   run.sh gpt2-step [--rounds N --steps N --threads N --no-torch --no-bits]  (124M step, 1 and N threads, + PyTorch)
set -e
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
[ -f plugins/native-kernels/build/Release/rlhf_native_kernels.node ] || (cd plugins/native-kernels && node scripts/install.js)
npx tsc -b plugins/native-kernels
npx tsc -p bench/native
script=train-step
case "$1" in train-step|lm-step|kernels|gemm|gpt2-step) script="$1"; shift ;; esac
exec nice node "bench/native/dist/$script.js" "$@"
