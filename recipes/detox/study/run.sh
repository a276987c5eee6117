#!/usr/bin/env bash
# The detox algorithm study (see study.js): every recipe of this folder × seeds, each evaluated with
# rlhf eval, then one table (runs/detox/study/study.md, study.json) and one chart (study.png).
# Needs the detox pipeline's prompts and reward model: bash recipes/detox/run.sh first.
# Full study: bash recipes/detox/study/run.sh     (6 algorithms × 3 seeds × 250 iterations; hours on 2 cores)
# Smoke run:  bash recipes/detox/study/run.sh --seeds 1 --prompts 32 --set runtime.steps=2 --out runs/detox/study-smoke
set -euo pipefail
cd "$(dirname "$0")/../../.."
exec node recipes/detox/study/study.js "$@"
