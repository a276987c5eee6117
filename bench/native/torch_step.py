"""The PyTorch reference for bench/native: the same small GPT as tiny-gpt.ts, one thread, or
(--shape gpt2) the GPT-2 small shape of gpt2-step.ts on --threads N threads.

  python3 torch_step.py --steps 20          # prints the median ms/step
  python3 torch_step.py --shape gpt2 --threads 2 --steps 3
  python3 torch_step.py --server            # line protocol used by train-step.ts:
                                            #   hello -> {"ready", "version", "threads"}
                                            #   run N -> {"times": [...ms], "loss": last}
                                            #   quit
"""
import json
import math
import os
import sys
import time


def _arg(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


THREADS = int(_arg("--threads", "1"))
SHAPE = _arg("--shape", "tiny")

# Debian's torch calls a BLAS that starts its own threads whatever torch.set_num_threads says:
# pin every pool to the thread count before torch loads, so that each side runs on as many threads
# as it says.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_var] = str(THREADS)

import torch
import torch.nn as nn
import torch.nn.functional as F

SHAPES = {
    # the benchmarks' reference model (tiny-gpt.ts BENCH_CONFIG): separate output head
    "tiny": dict(vocab=512, d_model=128, layers=2, heads=4, seq=64, positions=64, batch=16, lr=1e-3, tied=False),
    # GPT-2 small (124M parameters with the head tied to the token embedding), batch 8 x 64 tokens
    "gpt2": dict(vocab=50257, d_model=768, layers=12, heads=12, seq=64, positions=1024, batch=8, lr=1e-4, tied=True),
}
if SHAPE not in SHAPES:
    sys.exit(f"--shape must be one of {', '.join(SHAPES)}, got {SHAPE}")
CFG = SHAPES[SHAPE]


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d, eps=1e-5)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d, eps=1e-5)
        self.fc1 = nn.Linear(d, 4 * d)
        self.fc2 = nn.Linear(4 * d, d)

    def forward(self, x, mask):
        b, t, d = x.shape
        dh = d // self.heads
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q, k, v = (z.view(b, t, self.heads, dh).transpose(1, 2) for z in (q, k, v))
        att = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(dh) + mask, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x)), approximate="tanh"))


class TinyGpt(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.wte = nn.Embedding(c["vocab"], c["d_model"])
        self.wpe = nn.Parameter(torch.randn(c["positions"], c["d_model"]) * 0.02)
        self.blocks = nn.ModuleList(Block(c["d_model"], c["heads"]) for _ in range(c["layers"]))
        self.lnf = nn.LayerNorm(c["d_model"], eps=1e-5)
        self.head = nn.Linear(c["d_model"], c["vocab"], bias=False)
        if c["tied"]:
            self.head.weight = self.wte.weight
        mask = torch.triu(torch.full((c["seq"], c["seq"]), -1e9), diagonal=1)
        self.register_buffer("mask", mask)

    def forward(self, ids):
        x = self.wte(ids) + self.wpe[: ids.shape[1]]
        for blk in self.blocks:
            x = blk(x, self.mask)
        return self.head(self.lnf(x))


def make_batch(step, c):
    """The batches of tiny-gpt.ts makeBatch: the same LCG, so the losses are comparable."""
    s = (step * 2654435761 + 12345) & 0xFFFFFFFF
    ids = torch.empty(c["batch"], c["seq"], dtype=torch.long)
    targets = torch.empty_like(ids)
    for r in range(c["batch"]):
        a = [3, 5, 7][r % 3]
        s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
        tok = int(s / 4294967296 * c["vocab"])
        for t in range(c["seq"]):
            nxt = (a * tok + 1) % c["vocab"]
            ids[r, t] = tok
            targets[r, t] = nxt
            tok = nxt
    return ids, targets


class Trainer:
    def __init__(self):
        torch.set_num_threads(THREADS)
        torch.manual_seed(7)
        self.model = TinyGpt(CFG)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=CFG["lr"])
        self.step_no = 0

    def run(self, n):
        times, loss = [], float("nan")
        for _ in range(n):
            ids, targets = make_batch(self.step_no, CFG)
            self.step_no += 1
            t0 = time.perf_counter()
            logits = self.model(ids)
            out = F.cross_entropy(logits.view(-1, CFG["vocab"]), targets.view(-1))
            self.opt.zero_grad(set_to_none=True)
            out.backward()
            self.opt.step()
            loss = out.item()
            times.append((time.perf_counter() - t0) * 1000)
        return times, loss


def main():
    trainer = Trainer()
    if "--server" in sys.argv:
        for line in sys.stdin:
            cmd = line.split()
            if not cmd or cmd[0] == "quit":
                break
            if cmd[0] == "hello":
                reply = {"ready": True, "version": torch.__version__, "threads": torch.get_num_threads()}
            elif cmd[0] == "run":
                times, loss = trainer.run(int(cmd[1]))
                reply = {"times": times, "loss": loss}
            else:
                reply = {"error": f"unknown command {cmd[0]}"}
            print(json.dumps(reply), flush=True)
        return
    steps = int(sys.argv[sys.argv.index("--steps") + 1]) if "--steps" in sys.argv else 20
    trainer.run(3)
    times, loss = trainer.run(steps)
    times.sort()
    print(f"PyTorch {torch.__version__}, {SHAPE}, {torch.get_num_threads()} thread(s): median {times[len(times) // 2]:.1f} ms/step, loss {loss:.4f}")


if __name__ == "__main__":
    main()
