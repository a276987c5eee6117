#!/usr/bin/env python3
"""
PyTorch reference for bench/hf/load-generate.js: tokens/s of greedy generation (batch 1, float32)
with the reference forward passes of test/hf-parity/make_checkpoints.py on random weights shaped
like gpt2 (124M) and SmolLM2-135M. These forwards have no KV cache: each new token recomputes the
whole sequence, so the figure is a lower bound for PyTorch eager. Prints one JSON line per model.

Usage: python3 bench/hf/torch_generate.py [NEW_TOKENS] [THREADS]
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "test", "hf-parity"))
import make_checkpoints as ref  # noqa: E402

NEW = int(sys.argv[1]) if len(sys.argv) > 1 else 16
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 1)

GPT2 = dict(ref.GPT2, vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12)
SMOL = dict(ref.LLAMA, vocab_size=49152, max_position_embeddings=8192, hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9, num_key_value_heads=3, rope_theta=100000.0, tie_word_embeddings=True)

for name, cfg in (("gpt2-124m", GPT2), ("smollm2-135m", SMOL)):
    with torch.no_grad():
        if cfg["model_type"] == "gpt2":
            W = ref.gpt2_weights(cfg, "transformer.")
            fwd = lambda ids: ref.gpt2_forward(W, cfg, ids, "transformer.")  # noqa: E731
        else:
            W = ref.llama_weights(cfg)
            fwd = lambda ids: ref.llama_forward(W, cfg, ids)  # noqa: E731
        W = {k: v.float() * 0.1 for k, v in W.items()}
        ids = [464, 6193, 1909, 318, 50256 % cfg["vocab_size"]]
        fwd(ids[:2])  # warm-up
        t = time.perf_counter()
        for _ in range(NEW):
            ids.append(int(fwd(ids)[-1].argmax()))
        dt = time.perf_counter() - t
        print(json.dumps({"model": name, "threads": torch.get_num_threads(), "tokens": NEW, "seconds": dt, "tokens_per_s": NEW / dt}))
