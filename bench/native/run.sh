#!/bin/sh
# Builds @rlhfjs/native-kernels (TypeScript and, if missing, the addon) and the benchmark, then runs
# it at low priority. Arguments go to train-step.js: --rounds N --steps N --warmup N --no-torch --profile --all-only
set -e
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
[ -f plugins/native-kernels/build/Release/rlhf_native_kernels.node ] || (cd plugins/native-kernels && node scripts/install.js)
npx tsc -b plugins/native-kernels
npx tsc -p bench/native
exec nice node bench/native/dist/train-step.js "$@"
