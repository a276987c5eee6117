#!/usr/bin/env bash
# RLHF on a model in Hugging Face layout, end to end: convert the shipped base model to a GPT-2
# folder, run PPO on it with the hf-causal-lm agent, then load the exported policy back (a plain
# Hugging Face folder) and generate from it. Everything it writes goes under runs/hf/.
# Usage: bash recipes/hf/run.sh [extra `rlhf train` options for the PPO step, e.g. --set runtime.steps=5]
set -euo pipefail
cd "$(dirname "$0")/../.."
rlhf() { node core/bin/rlhf.js "$@"; }
if [ -e runs/hf/ppo ]; then
  echo "runs/hf/ppo already exists (an earlier run of this recipe); move it away or delete it to start over" >&2
  exit 2
fi
rlhf validate recipes/hf/*.yaml
echo "== 1/3 the base model as a Hugging Face GPT-2 folder (runs/hf/base-gpt2)"
rlhf train recipes/hf/1-convert.yaml --out runs/hf/steps/1-convert
echo "== 2/3 PPO on it (policy saved in the same layout: runs/hf/ppo/final)"
rlhf train recipes/hf/2-ppo.yaml "$@"
echo "== 3/3 the exported policy, loaded back, generates"
rlhf generate runs/hf/ppo/final -p "The food was" -p "My day was" --max-new-tokens 16 --seed 1
rlhf logprobs runs/hf/ppo/final --text "The food was great"
