"""The PyTorch reference for bench/lora/ppo-iteration.js: one PPO iteration with a hand-written LoRA
(rank r on the attention's fused q/k/v projection, A ~ U(-1/sqrt(in), 1/sqrt(in)), B = 0, scaled by
alpha/r), the reference being the policy with its adapters switched off (no second copy), on a
GPT-2-shaped random model. Adapted from bench/rl/torch_ppo_iteration.py (same phases and loss).

  python3 torch_lora_ppo_iteration.py --layers 12 --d-model 768 --heads 12 --vocab 50257 --threads 1

The reward phase is a host-side function of the sampled ids (as the JS side's toy function reward),
so no reward model is run on either side.

Prints one JSON line: the median ms per iteration and per phase over the timed iterations.
The phases are those of metrics.jsonl (plugins/algorithms/src/jobs/rl-job.ts, plugins/algorithms ppo.ts):

  generate      32 prompts, 32 sampled tokens each with a KV cache, end-of-text suppressed
  reference     log-probs of the frozen reference copy on prompt + completion (one batch of 32)
  score         the reward model's scalar at the last token (batches of 16), normalised and clipped
  old_logprobs  log-probs and values of the policy before the update (batches of 16)
  train         per-token KL-penalised rewards, GAE, whitened advantages, then `epochs` x
                minibatches of clipped policy + value loss, grad-norm clipping and Adam

Weights are drawn at random: only the time is measured, and with end-of-text suppressed every
completion has the same length whatever the weights.

Prompt length: the runner keeps the last 64 - 32 = 32 tokens of BOS + prompt, and generation
left-pads the batch to its longest prompt. About 10% of the detox training prompts reach that
cap (median 16 tokens), so a batch of 32 is padded to 32 prompt tokens in about 97% of the
iterations: every prompt here is 32 tokens, and every sequence 64 (the whole context window).
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

# Debian's torch calls a BLAS that starts its own threads whatever torch.set_num_threads says:
# pin every pool to one thread before torch loads, so that the comparison is one thread each.
_THREADS = "2" if "--threads" in sys.argv and sys.argv[sys.argv.index("--threads") + 1] == "2" else "1"
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_var] = _THREADS

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    print("torch is not installed: apt-get install -y python3-torch (Debian), then run /usr/bin/python3", file=sys.stderr)
    sys.exit(3)

import resource

# set from the command line in main()
MODEL = dict(vocab=50257, context=64, d_model=768, layers=12, heads=12, mlp=3072, eps=1e-5)
LORA = dict(rank=16, alpha=32, enabled=True)
# issue 14's benchmark: 16 prompts x 32 new tokens, 1 epoch of 2 minibatches
PPO = dict(
    prompts=16,
    prompt_tokens=32,
    new_tokens=32,
    minibatch=8,
    epochs=1,
    lr=2e-4,
    gamma=1.0,
    lam=0.95,
    clip=0.2,
    clip_value=0.2,
    vf_coef=0.1,
    max_grad_norm=1.0,
    target_kl=1.0,
    beta=0.3,
    reward_clip=5.0,
    reward_batch=16,
    eos=0,
)
PHASES = ["generate", "reference", "score", "old_logprobs", "train"]


class LoraLinear(nn.Module):
    """nn.Linear plus (x A^T) B^T alpha/r; `active` switches the update off (the reference)."""

    def __init__(self, base, rank, alpha):
        super().__init__()
        self.base = base
        self.scaling = alpha / rank
        self.lora_A = nn.Parameter(torch.empty(rank, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, rank))
        bound = 1 / math.sqrt(base.in_features)
        nn.init.uniform_(self.lora_A, -bound, bound)
        self.active = True

    def forward(self, x):
        y = self.base(x)
        return y + (x @ self.lora_A.t()) @ self.lora_B.t() * self.scaling if self.active else y


def set_adapters(model, on):
    for m in model.modules():
        if isinstance(m, LoraLinear):
            m.active = on


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["d_model"]
        self.heads = c["heads"]
        self.ln1 = nn.LayerNorm(d, eps=c["eps"])
        self.qkv = nn.Linear(d, 3 * d)
        if LORA["enabled"]:
            self.qkv = LoraLinear(self.qkv, LORA["rank"], LORA["alpha"])
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d, eps=c["eps"])
        self.fc1 = nn.Linear(d, c["mlp"])
        self.fc2 = nn.Linear(c["mlp"], d)

    def forward(self, x, bias, past=None):
        """x [B, S, d]; bias [S, L] added to the scores; past (k, v) of the earlier L - S positions."""
        b, s, d = x.shape
        dh = d // self.heads
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q, k, v = (z.view(b, s, self.heads, dh).transpose(1, 2) for z in (q, k, v))
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        att = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(dh) + bias, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, s, d)
        x = x + self.proj(y)
        x = x + self.fc2(F.gelu(self.fc1(self.ln2(x)), approximate="tanh"))
        return x, (k, v)


class Gpt(nn.Module):
    """GPT-2 style decoder with tied embeddings and a scalar value head."""

    def __init__(self, c, suppress=()):
        super().__init__()
        self.wte = nn.Embedding(c["vocab"], c["d_model"])
        self.wpe = nn.Embedding(c["context"], c["d_model"])
        self.blocks = nn.ModuleList(Block(c) for _ in range(c["layers"]))
        self.lnf = nn.LayerNorm(c["d_model"], eps=c["eps"])
        self.v_head = nn.Linear(c["d_model"], 1)
        for n, p in self.named_parameters():
            if p.dim() == 2 and "lora_" not in n:
                nn.init.normal_(p, std=0.02)
        causal = torch.triu(torch.full((c["context"], c["context"]), -1e9), diagonal=1)
        self.register_buffer("causal", causal)
        logit_bias = torch.zeros(c["vocab"])
        logit_bias[list(suppress)] = -1e9
        self.register_buffer("logit_bias", logit_bias)

    def trunk(self, ids, start=0, cache=None):
        """Final-LayerNorm hidden states of ids [B, S] at positions start..start+S-1, and the new cache."""
        s = ids.shape[1]
        x = self.wte(ids) + self.wpe.weight[start : start + s]
        bias = self.causal[start : start + s, : start + s]
        new_cache = []
        for i, blk in enumerate(self.blocks):
            x, kv = blk(x, bias, cache[i] if cache is not None else None)
            new_cache.append(kv)
        return self.lnf(x), new_cache

    def logits(self, hidden):
        return hidden @ self.wte.weight.t() + self.logit_bias

    def values(self, hidden):
        return self.v_head(hidden).squeeze(-1)

    def forward(self, ids, values=False, entropy=False):
        """log p of each next token [B, T-1], and optionally V and the entropy at the same positions."""
        hidden, _ = self.trunk(ids)
        h = hidden[:, :-1]
        logp = F.log_softmax(self.logits(h), dim=-1)
        out = {"logprobs": logp.gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)}
        if values:
            out["values"] = self.values(h)
        if entropy:
            with torch.no_grad():  # reported, not differentiated
                out["entropy"] = -(logp.exp() * logp).sum(-1)
        return out


@torch.no_grad()
def generate(policy, prompts, new_tokens):
    """Sample at temperature 1 with a KV cache; the value head is read at every step as well."""
    hidden, cache = policy.trunk(prompts)
    last = hidden[:, -1]
    tokens = []
    for t in range(new_tokens):
        logp = F.log_softmax(policy.logits(last), dim=-1)
        policy.values(last)
        tok = torch.multinomial(logp.exp(), 1)
        tokens.append(tok)
        if t == new_tokens - 1:
            break
        hidden, cache = policy.trunk(tok, start=prompts.shape[1] + t, cache=cache)
        last = hidden[:, -1]
    return torch.cat([prompts, *tokens], dim=1)


def gae(rewards, values, gamma, lam):
    """Advantages and returns [B, T] with V = 0 after the last token."""
    adv = torch.zeros_like(rewards)
    last, nxt = torch.zeros(rewards.shape[0]), torch.zeros(rewards.shape[0])
    for t in range(rewards.shape[1] - 1, -1, -1):
        delta = rewards[:, t] + gamma * nxt - values[:, t]
        last = delta + gamma * lam * last
        adv[:, t] = last
        nxt = values[:, t]
    return adv, adv + values


def whiten(x, shift_mean=True):
    mean, var = x.mean(), x.var(unbiased=True)
    out = (x - mean) * torch.rsqrt(var + 1e-8)
    return out if shift_mean else out + mean


class Iteration:
    def __init__(self, threads, seed=5):
        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        self.policy = Gpt(MODEL, suppress=[PPO["eos"]])
        if LORA["enabled"]:
            # only the adapters and the value head train; the reference is the base (adapters off)
            for n, p in self.policy.named_parameters():
                p.requires_grad_("lora_" in n or n.startswith("v_head"))
            self.reference = None
        else:
            self.reference = Gpt(MODEL, suppress=[PPO["eos"]])
            self.reference.load_state_dict(self.policy.state_dict())
            self.reference.requires_grad_(False)
        self.trainable = [p for p in self.policy.parameters() if p.requires_grad]
        self.opt = torch.optim.Adam(self.trainable, lr=PPO["lr"], eps=1e-7)  # tf.train.adam's epsilon
        self.moments = [0, 0.0, 0.0]  # count, mean, M2 of every score seen (reward normalisation)

    def normalise(self, scores):
        n, mean, m2 = self.moments
        for x in scores.tolist():
            n += 1
            d = x - mean
            mean += d / n
            m2 += d * (x - mean)
        self.moments = [n, mean, m2]
        std = math.sqrt(m2 / (n - 1)) if n > 1 else 0.0
        return ((scores - mean) / (std if std > 1e-8 else 1.0)).clamp(-PPO["reward_clip"], PPO["reward_clip"])

    def run(self):
        """One iteration; returns ms per phase."""
        p = PPO
        n, mb, P = p["prompts"], p["minibatch"], p["prompt_tokens"]
        times = {}
        t0 = time.perf_counter()
        prompts = torch.randint(1, MODEL["vocab"], (n, P))
        seqs = generate(self.policy, prompts, p["new_tokens"])
        t1 = time.perf_counter()
        with torch.no_grad():
            if self.reference is None:
                set_adapters(self.policy, False)
                ref = self.policy(seqs)["logprobs"][:, P - 1 :]
                set_adapters(self.policy, True)
            else:
                ref = self.reference(seqs)["logprobs"][:, P - 1 :]
        t2 = time.perf_counter()
        with torch.no_grad():
            # a host-side toy reward (share of even token ids), standing in for the JS side's function reward
            scores = torch.tensor([sum(1 for t in row[P:].tolist() if t % 2 == 0) / p["new_tokens"] for row in seqs])
            scores = self.normalise(scores)
        t3 = time.perf_counter()
        with torch.no_grad():
            old = [self.policy(seqs[i : i + mb], values=True) for i in range(0, n, mb)]
            old_lp = torch.cat([o["logprobs"] for o in old])[:, P - 1 :]
            old_v = torch.cat([o["values"] for o in old])[:, P - 1 :]
        t4 = time.perf_counter()
        with torch.no_grad():
            rewards = -p["beta"] * (old_lp - ref)  # k1 estimator
            rewards[:, -1] += scores
            adv, returns = gae(rewards, old_v, p["gamma"], p["lam"])
            adv = whiten(adv)
        stop = False
        for _ in range(p["epochs"]):
            order = torch.randperm(n)
            for s in range(0, n, mb):
                rows = order[s : s + mb]
                out = self.policy(seqs[rows], values=True, entropy=True)
                lp, v = out["logprobs"][:, P - 1 :], out["values"][:, P - 1 :]
                log_ratio = lp - old_lp[rows]
                ratio = log_ratio.exp()
                a = adv[rows]
                pg = torch.max(-a * ratio, -a * ratio.clamp(1 - p["clip"], 1 + p["clip"])).mean()
                ov, ret = old_v[rows], returns[rows]
                v_clipped = ov + (v - ov).clamp(-p["clip_value"], p["clip_value"])
                vf = 0.5 * torch.max((v - ret) ** 2, (v_clipped - ret) ** 2).mean()
                loss = pg + p["vf_coef"] * vf
                approx_kl = 0.5 * (log_ratio.detach() ** 2).mean().item()
                out["entropy"].mean().item()
                self.opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.trainable, p["max_grad_norm"])
                if approx_kl > p["target_kl"]:  # the ppo plugin's early stop: this step is not applied
                    stop = True
                    break
                self.opt.step()
            if stop:
                break
        t5 = time.perf_counter()
        for name, a, b in zip(PHASES, (t0, t1, t2, t3, t4), (t1, t2, t3, t4, t5)):
            times[name] = (b - a) * 1000
        times["step"] = (t5 - t0) * 1000
        return times


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--iterations", type=int, default=12, help="timed iterations")
    ap.add_argument("--warmup", type=int, default=2, help="iterations run first and not timed")
    ap.add_argument("--threads", type=int, default=1, choices=[1, 2])
    ap.add_argument("--vocab", type=int, default=50257)
    ap.add_argument("--context", type=int, default=64)
    ap.add_argument("--d-model", type=int, default=768)
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--heads", type=int, default=12)
    ap.add_argument("--rank", type=int, default=16, help="LoRA rank on the q/k/v projection; 0 = full fine-tuning")
    ap.add_argument("--alpha", type=float, default=32)
    ap.add_argument("--prompts", type=int, default=16)
    ap.add_argument("--new-tokens", type=int, default=32)
    ap.add_argument("--minibatch", type=int, default=8)
    args = ap.parse_args()
    MODEL.update(vocab=args.vocab, context=args.context, d_model=args.d_model, layers=args.layers, heads=args.heads, mlp=4 * args.d_model)
    LORA.update(rank=args.rank, alpha=args.alpha, enabled=args.rank > 0)
    PPO.update(prompts=args.prompts, new_tokens=args.new_tokens, prompt_tokens=args.context - args.new_tokens, minibatch=args.minibatch)
    it = Iteration(args.threads)
    for _ in range(args.warmup):
        it.run()
    runs = [it.run() for _ in range(max(1, args.iterations))]
    ms = {k: statistics.median(r[k] for r in runs) for k in ["step", *PHASES]}
    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "iterations": len(runs),
                "warmup": args.warmup,
                "shapes": {k: PPO[k] for k in ("prompts", "prompt_tokens", "new_tokens", "minibatch", "epochs")},
                "model": MODEL,
                "lora": LORA,
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "ms": {k: round(v, 2) for k, v in ms.items()},
                "steps_ms": [round(r["step"], 2) for r in runs],
            }
        )
    )


if __name__ == "__main__":
    main()
