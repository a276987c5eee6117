#!/usr/bin/env python3
"""PyTorch reference for bench/lm/bench.js: the same GPT (pre-norm, learned positions, GELU-tanh MLP,
tied output) and the same workloads, printed as one JSON line.

Install PyTorch with Debian's package: apt-get install -y python3-torch (then run /usr/bin/python3).
Exits with status 3 and a message when torch is missing, so the node benchmark can skip it cleanly.

Usage: python3 bench/lm/bench_torch.py '{"vocab":512,"d":128,"layers":2,"heads":4,"seq":64,"batch":16,
        "steps":5,"genBatch":16,"genPrompt":8,"genNew":32,"threads":1}'
"""
import json
import math
import os
import sys
import time

# Debian's torch calls a BLAS that starts its own threads regardless of torch.set_num_threads:
# pin every pool to the requested count before torch loads, so the comparison is one thread each.
_threads = str(json.loads(sys.argv[1]).get("threads", 1) if len(sys.argv) > 1 else 1)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_var] = _threads

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    print("torch is not installed: apt-get install -y python3-torch (Debian), then run /usr/bin/python3", file=sys.stderr)
    sys.exit(3)

cfg = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
V = cfg.get("vocab", 512)
D = cfg.get("d", 128)
L = cfg.get("layers", 2)
H = cfg.get("heads", 4)
T = cfg.get("seq", 64)
B = cfg.get("batch", 16)
STEPS = cfg.get("steps", 5)
GB = cfg.get("genBatch", 16)
GP = cfg.get("genPrompt", 8)
GN = cfg.get("genNew", 32)
torch.set_num_threads(cfg.get("threads", 1))
torch.manual_seed(0)


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = torch.nn.LayerNorm(D)
        self.attn = torch.nn.Linear(D, 3 * D)
        self.proj = torch.nn.Linear(D, D)
        self.ln2 = torch.nn.LayerNorm(D)
        self.fc = torch.nn.Linear(D, 4 * D)
        self.out = torch.nn.Linear(4 * D, D)

    def forward(self, x, cache=None):
        b, s, _ = x.shape
        q, k, v = self.attn(self.ln1(x)).split(D, dim=2)
        q, k, v = [t.view(b, s, H, D // H).transpose(1, 2) for t in (q, k, v)]
        if cache is not None and cache[0] is not None:
            k = torch.cat([cache[0], k], 2)
            v = torch.cat([cache[1], v], 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(D // H)
        n = k.shape[2]
        mask = torch.ones(s, n, dtype=torch.bool).tril(n - s)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(b, s, D)
        x = x + self.proj(y)
        x = x + self.out(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))
        return x, (k, v)


class GPT(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = torch.nn.Embedding(V, D)
        self.wpe = torch.nn.Embedding(T + GN, D)
        self.blocks = torch.nn.ModuleList([Block() for _ in range(L)])
        self.lnf = torch.nn.LayerNorm(D)

    def forward(self, ids, start=0, caches=None):
        pos = torch.arange(start, start + ids.shape[1])
        x = self.wte(ids) + self.wpe(pos)
        new = []
        for i, blk in enumerate(self.blocks):
            x, c = blk(x, caches[i] if caches is not None else None)
            new.append(c)
        return self.lnf(x) @ self.wte.weight.t(), new


model = GPT()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
ids = torch.randint(0, V, (B, T))


def train_step():
    logits, _ = model(ids)
    loss = F.cross_entropy(logits[:, :-1].reshape(-1, V), ids[:, 1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()


train_step()
t0 = time.perf_counter()
for _ in range(STEPS):
    train_step()
ms_step = (time.perf_counter() - t0) * 1000 / STEPS


@torch.no_grad()
def generate(use_cache):
    prompt = torch.randint(0, V, (GB, GP))
    seq = prompt
    caches = [(None, None)] * L
    logits, caches = model(seq, 0, caches if use_cache else None)
    for t in range(GN):
        nxt = torch.multinomial(logits[:, -1].softmax(-1), 1)
        seq = torch.cat([seq, nxt], 1)
        if t == GN - 1:
            break
        if use_cache:
            logits, caches = model(nxt, seq.shape[1] - 1, caches)
        else:
            logits, _ = model(seq)
    return seq


res = {"engine": "pytorch", "version": torch.__version__, "threads": torch.get_num_threads(), "msPerStep": ms_step}
for use_cache in (True, False):
    generate(use_cache)
    t0 = time.perf_counter()
    generate(use_cache)
    secs = time.perf_counter() - t0
    res["genTokensPerSec" + ("Cached" if use_cache else "Uncached")] = GB * GN / secs
print(json.dumps(res))
