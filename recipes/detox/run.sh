#!/usr/bin/env bash
# The detoxification experiment, end to end, from the shipped base model (recipes/models/base).
# Everything it writes goes under runs/detox/.
# Usage: bash recipes/detox/run.sh [--with-control] [--ptx]
#   --with-control  also the control run(s): the same recipe with the reward shuffled within each batch
#   --ptx           also the recipe the algorithm study picked (7-ptx-corpus.yaml, 8-ppo-ptx.yaml:
#                   PPO-ptx, 325 iterations) and its evaluation; with --with-control, its control too
set -euo pipefail
cd "$(dirname "$0")/../.."
rlhf() { node core/bin/rlhf.js "$@"; }
control=0
ptx=0
for arg in "$@"; do
  case "$arg" in
    --with-control) control=1 ;;
    --ptx) ptx=1 ;;
    *) echo "unknown argument $arg (usage: bash recipes/detox/run.sh [--with-control] [--ptx])" >&2; exit 2 ;;
  esac
done
if [ -e runs/detox ]; then
  echo "runs/detox already exists (an earlier run of this experiment); move it away or delete it to start over" >&2
  exit 2
fi
rlhf validate recipes/detox/*.yaml
step() { echo; echo "== $1"; }
step "1/6 evaluation prompts (held-out sentences)";  rlhf train recipes/detox/1-eval-prompts.yaml --out runs/detox/steps/1-eval-prompts
step "2/6 RL training prompts";                      rlhf train recipes/detox/2-train-prompts.yaml --out runs/detox/steps/2-train-prompts
step "3/6 sample and label (simulated labeller)";    rlhf train recipes/detox/3-label.yaml --out runs/detox/steps/3-label
step "4/6 reward model from the labels";             rlhf train recipes/detox/4-reward-model.yaml --out runs/detox/steps/4-reward-model
step "5/6 PPO with the adaptive KL controller";      rlhf train recipes/detox/5-ppo.yaml
if [ "$control" = 1 ]; then
  step "control: PPO with the reward shuffled";      rlhf train recipes/detox/6-ppo-control.yaml
fi
step "6/6 evaluation on held-out prompts (scorers that were not the reward)"
rlhf eval runs/detox/ppo --prompts 3000
rlhf report runs/detox/ppo
if [ "$control" = 1 ]; then
  rlhf eval runs/detox/ppo-control --prompts 3000
  rlhf report runs/detox/ppo-control
fi
if [ "$ptx" = 1 ]; then
  step "ptx 1/3 pretraining sentences for the ptx term"; rlhf train recipes/detox/7-ptx-corpus.yaml --out runs/detox/steps/7-ptx-corpus
  step "ptx 2/3 PPO-ptx, the study's pick";              rlhf train recipes/detox/8-ppo-ptx.yaml
  if [ "$control" = 1 ]; then
    step "control: PPO-ptx with the reward shuffled";    rlhf train recipes/detox/9-ppo-ptx-control.yaml
  fi
  step "ptx 3/3 evaluation on held-out prompts"
  rlhf eval runs/detox/ppo-ptx --prompts 3000
  runs=(runs/detox/ppo runs/detox/ppo-ptx)
  if [ "$control" = 1 ]; then
    rlhf eval runs/detox/ppo-ptx-control --prompts 3000
    runs+=(runs/detox/ppo-ptx-control)
  fi
  rlhf report "${runs[@]}" --out runs/detox/compare-report
fi
echo
echo "done: runs/detox/ppo/eval.json, runs/detox/ppo/report/index.html"
if [ "$ptx" = 1 ]; then echo "      runs/detox/ppo-ptx/eval.json, runs/detox/compare-report/index.html"; fi
