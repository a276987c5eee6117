#!/usr/bin/env python3
"""
Random-weight checkpoints in the exact Hugging Face layout (config.json, tokenizer.json,
tokenizer_config.json, model.safetensors or shards + model.safetensors.index.json) for every
architecture the hf-causal-lm agent reads, and the log-probabilities of fixed token sequences
computed by reference forward passes written here in plain PyTorch (float64) from the published
architectures (GPT-2, GPT-Neo, Llama, Qwen2). No transformers or safetensors package is used:
safetensors files are written by hand (8-byte little-endian header length, JSON header, raw bytes).

Usage: python3 make_checkpoints.py OUT_DIR   (writes OUT_DIR/<variant>/ and OUT_DIR/parity.json)
"""
import json
import math
import os
import struct
import sys

import torch

torch.manual_seed(1234)

# ---------------------------------------------------------------------------------------------
# files


def bytes_to_unicode():
    """GPT-2's byte ↔ printable-character table (byte-level BPE)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def write_tokenizer(d, bos_in_config=True):
    """A byte-level BPE tokenizer.json: the 256 byte symbols, a few merges, and <|endoftext|>."""
    table = bytes_to_unicode()
    vocab = {table[b]: b for b in range(256)}
    merges = []
    for a, b in [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("a", "t")]:
        merges.append(a + " " + b)
        vocab[a + b] = len(vocab)
    eos_id = len(vocab)
    tok = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": eos_id, "content": "<|endoftext|>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "", "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False, "vocab": vocab, "merges": merges},
    }
    with open(os.path.join(d, "tokenizer.json"), "w") as f:
        json.dump(tok, f, ensure_ascii=False)
    cfg = {"eos_token": "<|endoftext|>", "model_max_length": 1024, "tokenizer_class": "GPT2Tokenizer"}
    if bos_in_config:
        cfg["bos_token"] = "<|endoftext|>"
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump(cfg, f)
    return eos_id + 1


def to_bytes(t, dtype):
    """float32 tensor → raw little-endian bytes of dtype (and the float32 values those bytes hold)."""
    t = t.detach().to(torch.float32).contiguous()
    vals = t.flatten().tolist()
    n = len(vals)
    if dtype == "F32":
        return struct.pack("<%df" % n, *vals), t.double()
    if dtype == "F16":
        # struct's "e" format is IEEE half precision, rounded to nearest even
        raw = struct.pack("<%de" % n, *vals)
        return raw, torch.tensor(struct.unpack("<%de" % n, raw), dtype=torch.float64).view(t.shape)
    if dtype == "BF16":
        b = t.to(torch.bfloat16)
        return struct.pack("<%dh" % n, *b.view(torch.int16).flatten().tolist()), b.to(torch.float64)
    raise ValueError(dtype)


def write_safetensors(path, named):
    """named: list of (name, dtype, raw bytes, shape). Header padded with spaces to 8 bytes."""
    header = {"__metadata__": {"format": "pt"}}
    off = 0
    for name, dtype, raw, shape in named:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + len(raw)]}
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for _, _, raw, _ in named:
            f.write(raw)
    return off


def save(d, tensors, dtype, shards=1):
    """tensors: ordered dict name → float32 tensor (HF layout). Returns name → float64 values as stored."""
    stored = {}
    named = []
    for name, t in tensors.items():
        raw, back = to_bytes(t, dtype)
        stored[name] = back.reshape(t.shape)
        named.append((name, dtype, raw, tuple(t.shape)))
    if shards == 1:
        write_safetensors(os.path.join(d, "model.safetensors"), named)
    else:
        per = math.ceil(len(named) / shards)
        weight_map = {}
        total = 0
        for k in range(shards):
            fname = "model-%05d-of-%05d.safetensors" % (k + 1, shards)
            part = named[k * per:(k + 1) * per]
            total += write_safetensors(os.path.join(d, fname), part)
            for n, _, _, _ in part:
                weight_map[n] = fname
        with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    return stored


def rnd(*shape, std=0.2):
    return torch.randn(*shape) * std


# ---------------------------------------------------------------------------------------------
# reference forward passes (float64), returning log p(ids[t+1] | ids[≤t]) for t < T-1


def causal_mask(T, dtype=torch.float64):
    return torch.triu(torch.full((T, T), float("-inf"), dtype=dtype), diagonal=1)


def ln(x, w, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * w + b


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def token_logprobs(logits, ids, vocab=None):
    """log p(ids[t+1]) under softmax over the first `vocab` logits (all when None)."""
    lp = torch.log_softmax(logits if vocab is None else logits[:, :vocab], -1)
    return [float(lp[t, ids[t + 1]]) for t in range(len(ids) - 1)]


def gpt2_forward(W, cfg, ids, p):
    d, H = cfg["n_embd"], cfg["n_head"]
    dh = d // H
    T = len(ids)
    x = W[p + "wte.weight"][ids] + W[p + "wpe.weight"][torch.arange(T)]
    for i in range(cfg["n_layer"]):
        h = "%sh.%d." % (p, i)
        a = ln(x, W[h + "ln_1.weight"], W[h + "ln_1.bias"], cfg["layer_norm_epsilon"])
        qkv = a @ W[h + "attn.c_attn.weight"] + W[h + "attn.c_attn.bias"]  # Conv1D: x @ W, W [in, out]
        q, k, v = qkv.split(d, dim=-1)
        q, k, v = [t.view(T, H, dh).transpose(0, 1) for t in (q, k, v)]
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + causal_mask(T, x.dtype), -1) @ v
        x = x + att.transpose(0, 1).reshape(T, d) @ W[h + "attn.c_proj.weight"] + W[h + "attn.c_proj.bias"]
        m = ln(x, W[h + "ln_2.weight"], W[h + "ln_2.bias"], cfg["layer_norm_epsilon"])
        x = x + gelu_new(m @ W[h + "mlp.c_fc.weight"] + W[h + "mlp.c_fc.bias"]) @ W[h + "mlp.c_proj.weight"] + W[h + "mlp.c_proj.bias"]
    x = ln(x, W[p + "ln_f.weight"], W[p + "ln_f.bias"], cfg["layer_norm_epsilon"])
    head = W[p + "wte.weight"] if cfg.get("tie_word_embeddings", True) else W["lm_head.weight"]
    return x @ head.T


def neo_forward(W, cfg, ids):
    d, H = cfg["hidden_size"], cfg["num_heads"]
    dh = d // H
    T = len(ids)
    types = [k for kinds, n in cfg["attention_types"] for _ in range(n) for k in kinds]
    p = "transformer."
    x = W[p + "wte.weight"][ids] + W[p + "wpe.weight"][torch.arange(T)]
    eps = cfg["layer_norm_epsilon"]
    for i in range(cfg["num_layers"]):
        h = "%sh.%d." % (p, i)
        a = ln(x, W[h + "ln_1.weight"], W[h + "ln_1.bias"], eps)
        an = h + "attn.attention."
        q, k, v = [(a @ W[an + n + ".weight"].T).view(T, H, dh).transpose(0, 1) for n in ("q_proj", "k_proj", "v_proj")]
        mask = causal_mask(T, x.dtype)
        if types[i] == "local":
            # a query sees only the window_size most recent positions, itself included
            ii = torch.arange(T).view(-1, 1)
            jj = torch.arange(T).view(1, -1)
            mask = mask.masked_fill(ii - jj >= cfg["window_size"], float("-inf"))
        att = torch.softmax(q @ k.transpose(-1, -2) + mask, -1) @ v  # GPT-Neo does not scale the scores
        x = x + att.transpose(0, 1).reshape(T, d) @ W[an + "out_proj.weight"].T + W[an + "out_proj.bias"]
        m = ln(x, W[h + "ln_2.weight"], W[h + "ln_2.bias"], eps)
        x = x + gelu_new(m @ W[h + "mlp.c_fc.weight"].T + W[h + "mlp.c_fc.bias"]) @ W[h + "mlp.c_proj.weight"].T + W[h + "mlp.c_proj.bias"]
    x = ln(x, W[p + "ln_f.weight"], W[p + "ln_f.bias"], eps)
    return x @ W[p + "wte.weight"].T


def inv_freq_of(cfg, dh):
    theta = cfg.get("rope_theta", 10000.0)
    inv = 1.0 / (theta ** (torch.arange(0, dh, 2, dtype=torch.float64) / dh))
    rs = cfg.get("rope_scaling")
    if rs:
        assert rs["rope_type"] == "llama3"
        f, lo, hi, C = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"], rs["original_max_position_embeddings"]
        wave = 2 * math.pi / inv
        out = torch.where(wave > C / lo, inv / f, inv)
        smooth = (C / wave - lo) / (hi - lo)
        smoothed = (1 - smooth) * out / f + smooth * out
        medium = (wave >= C / hi) & (wave <= C / lo)
        inv = torch.where(medium, smoothed, out)
    return inv


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def llama_forward(W, cfg, ids):
    d, H = cfg["hidden_size"], cfg["num_attention_heads"]
    Hkv = cfg.get("num_key_value_heads", H)
    dh = cfg.get("head_dim", d // H)
    T = len(ids)
    eps = cfg["rms_norm_eps"]
    qkv_bias = cfg["model_type"] == "qwen2"

    def rms(x, w):
        return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * w

    ang = torch.arange(T, dtype=torch.float64).view(-1, 1) * inv_freq_of(cfg, dh).view(1, -1)
    emb = torch.cat((ang, ang), -1)
    x = W["model.embed_tokens.weight"][ids]
    cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
    for i in range(cfg["num_hidden_layers"]):
        h = "model.layers.%d." % i
        a = rms(x, W[h + "input_layernorm.weight"])

        def proj(n, heads):
            y = a @ W[h + "self_attn." + n + ".weight"].T
            if qkv_bias:
                y = y + W[h + "self_attn." + n + ".bias"]
            return y.view(T, heads, dh).transpose(0, 1)

        q, k, v = proj("q_proj", H), proj("k_proj", Hkv), proj("v_proj", Hkv)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(H // Hkv, dim=0)
        v = v.repeat_interleave(H // Hkv, dim=0)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + causal_mask(T, x.dtype), -1) @ v
        x = x + att.transpose(0, 1).reshape(T, H * dh) @ W[h + "self_attn.o_proj.weight"].T
        m = rms(x, W[h + "post_attention_layernorm.weight"])
        g = m @ W[h + "mlp.gate_proj.weight"].T
        x = x + ((g * torch.sigmoid(g)) * (m @ W[h + "mlp.up_proj.weight"].T)) @ W[h + "mlp.down_proj.weight"].T
    x = rms(x, W["model.norm.weight"])
    head = W["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings", False) else W["lm_head.weight"]
    return x @ head.T


# ---------------------------------------------------------------------------------------------
# weights


def gpt2_weights(cfg, p, extra_buffers=False):
    d, V, P = cfg["n_embd"], cfg["vocab_size"], cfg["n_positions"]
    inner = cfg.get("n_inner") or 4 * d
    W = {p + "wte.weight": rnd(V, d), p + "wpe.weight": rnd(P, d, std=0.1)}
    for i in range(cfg["n_layer"]):
        h = "%sh.%d." % (p, i)
        W[h + "ln_1.weight"] = 1 + rnd(d, std=0.1)
        W[h + "ln_1.bias"] = rnd(d, std=0.1)
        if extra_buffers:
            W[h + "attn.bias"] = torch.tril(torch.ones(P, P)).view(1, 1, P, P)
        W[h + "attn.c_attn.weight"] = rnd(d, 3 * d)
        W[h + "attn.c_attn.bias"] = rnd(3 * d, std=0.1)
        W[h + "attn.c_proj.weight"] = rnd(d, d)
        W[h + "attn.c_proj.bias"] = rnd(d, std=0.1)
        W[h + "ln_2.weight"] = 1 + rnd(d, std=0.1)
        W[h + "ln_2.bias"] = rnd(d, std=0.1)
        W[h + "mlp.c_fc.weight"] = rnd(d, inner)
        W[h + "mlp.c_fc.bias"] = rnd(inner, std=0.1)
        W[h + "mlp.c_proj.weight"] = rnd(inner, d)
        W[h + "mlp.c_proj.bias"] = rnd(d, std=0.1)
    W[p + "ln_f.weight"] = 1 + rnd(d, std=0.1)
    W[p + "ln_f.bias"] = rnd(d, std=0.1)
    if not cfg.get("tie_word_embeddings", True):
        W["lm_head.weight"] = rnd(V, d)
    return W


def neo_weights(cfg):
    d, V, P = cfg["hidden_size"], cfg["vocab_size"], cfg["max_position_embeddings"]
    inner = cfg.get("intermediate_size") or 4 * d
    p = "transformer."
    W = {p + "wte.weight": rnd(V, d), p + "wpe.weight": rnd(P, d, std=0.1)}
    for i in range(cfg["num_layers"]):
        h = "%sh.%d." % (p, i)
        an = h + "attn.attention."
        W[h + "ln_1.weight"] = 1 + rnd(d, std=0.1)
        W[h + "ln_1.bias"] = rnd(d, std=0.1)
        for n in ("k_proj", "v_proj", "q_proj"):
            W[an + n + ".weight"] = rnd(d, d)
        W[an + "out_proj.weight"] = rnd(d, d)
        W[an + "out_proj.bias"] = rnd(d, std=0.1)
        W[h + "ln_2.weight"] = 1 + rnd(d, std=0.1)
        W[h + "ln_2.bias"] = rnd(d, std=0.1)
        W[h + "mlp.c_fc.weight"] = rnd(inner, d)
        W[h + "mlp.c_fc.bias"] = rnd(inner, std=0.1)
        W[h + "mlp.c_proj.weight"] = rnd(d, inner)
        W[h + "mlp.c_proj.bias"] = rnd(d, std=0.1)
    W[p + "ln_f.weight"] = 1 + rnd(d, std=0.1)
    W[p + "ln_f.bias"] = rnd(d, std=0.1)
    return W


def llama_weights(cfg):
    d, V, H = cfg["hidden_size"], cfg["vocab_size"], cfg["num_attention_heads"]
    Hkv = cfg.get("num_key_value_heads", H)
    dh = cfg.get("head_dim", d // H)
    I = cfg["intermediate_size"]
    W = {"model.embed_tokens.weight": rnd(V, d, std=0.5)}
    for i in range(cfg["num_hidden_layers"]):
        h = "model.layers.%d." % i
        W[h + "input_layernorm.weight"] = 1 + rnd(d, std=0.1)
        W[h + "self_attn.q_proj.weight"] = rnd(H * dh, d)
        W[h + "self_attn.k_proj.weight"] = rnd(Hkv * dh, d)
        W[h + "self_attn.v_proj.weight"] = rnd(Hkv * dh, d)
        if cfg["model_type"] == "qwen2":
            W[h + "self_attn.q_proj.bias"] = rnd(H * dh, std=0.3)
            W[h + "self_attn.k_proj.bias"] = rnd(Hkv * dh, std=0.3)
            W[h + "self_attn.v_proj.bias"] = rnd(Hkv * dh, std=0.3)
        W[h + "self_attn.o_proj.weight"] = rnd(d, H * dh)
        W[h + "post_attention_layernorm.weight"] = 1 + rnd(d, std=0.1)
        W[h + "mlp.gate_proj.weight"] = rnd(I, d)
        W[h + "mlp.up_proj.weight"] = rnd(I, d)
        W[h + "mlp.down_proj.weight"] = rnd(d, I)
    W["model.norm.weight"] = 1 + rnd(d, std=0.1)
    if not cfg.get("tie_word_embeddings", False):
        W["lm_head.weight"] = rnd(V, d)
    return W


# ---------------------------------------------------------------------------------------------
# variants

GPT2 = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "n_inner": None, "torch_dtype": "float32"}
LLAMA = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_act": "silu", "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "attention_bias": False, "torch_dtype": "float32"}
QWEN2 = {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "hidden_act": "silu", "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "use_sliding_window": False, "torch_dtype": "float32"}
NEO = {"model_type": "gpt_neo", "architectures": ["GPTNeoForCausalLM"], "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "intermediate_size": None, "torch_dtype": "float32"}


def variants():
    yield "gpt2-odd", "F32", 1, dict(GPT2, vocab_size=263, n_positions=40, n_embd=36, n_head=3, n_layer=2), "transformer.", False
    yield "gpt2-bare-f16-buffers", "F16", 1, dict(GPT2, vocab_size=270, n_positions=32, n_embd=24, n_head=2, n_layer=3, n_inner=40, torch_dtype="float16"), "", True
    yield "gpt2-untied", "F32", 1, dict(GPT2, vocab_size=265, n_positions=32, n_embd=20, n_head=4, n_layer=1, tie_word_embeddings=False), "transformer.", False
    yield "llama-gqa-untied", "F32", 1, dict(LLAMA, vocab_size=300, max_position_embeddings=64, hidden_size=48, num_attention_heads=6, num_key_value_heads=2, num_hidden_layers=2, intermediate_size=100, tie_word_embeddings=False), "", False
    yield "llama-tied-bf16", "BF16", 1, dict(LLAMA, vocab_size=280, max_position_embeddings=64, hidden_size=32, num_attention_heads=4, num_key_value_heads=4, num_hidden_layers=2, intermediate_size=72, tie_word_embeddings=True, torch_dtype="bfloat16"), "", False
    yield "llama-sharded", "F32", 3, dict(LLAMA, vocab_size=290, max_position_embeddings=64, hidden_size=40, num_attention_heads=5, num_key_value_heads=1, num_hidden_layers=3, intermediate_size=64, tie_word_embeddings=False), "", False
    yield "llama3-rope-scaling", "F32", 1, dict(LLAMA, vocab_size=300, max_position_embeddings=128, hidden_size=64, num_attention_heads=4, num_key_value_heads=2, head_dim=16, num_hidden_layers=2, intermediate_size=96, tie_word_embeddings=True, rope_theta=500000.0, rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 64}), "", False
    yield "qwen2-bias-gqa", "F32", 1, dict(QWEN2, vocab_size=270, max_position_embeddings=64, hidden_size=48, num_attention_heads=4, num_key_value_heads=2, num_hidden_layers=2, intermediate_size=80, tie_word_embeddings=True), "", False
    yield "gpt_neo-local", "F32", 1, dict(NEO, vocab_size=266, max_position_embeddings=40, hidden_size=32, num_heads=4, num_layers=2, attention_types=[[["global", "local"], 1]], window_size=4), "transformer.", False


GRAD_TENSORS = {
    "gpt2": lambda p: [p + "wte.weight", p + "h.0.attn.c_attn.weight", p + "h.0.mlp.c_fc.bias", p + "ln_f.weight"],
    "gpt_neo": lambda p: [p + "wte.weight", p + "h.1.attn.attention.q_proj.weight", p + "h.0.mlp.c_proj.weight", p + "ln_f.bias"],
    "llama": lambda p: ["model.embed_tokens.weight", "model.layers.0.self_attn.k_proj.weight", "model.layers.1.mlp.gate_proj.weight", "model.norm.weight"],
    "qwen2": lambda p: ["model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.bias", "model.layers.0.self_attn.v_proj.weight", "model.norm.weight"],
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    g = torch.Generator().manual_seed(7)
    results = []
    for name, dtype, shards, cfg, prefix, buffers in variants():
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        tok_vocab = write_tokenizer(d, bos_in_config=cfg["model_type"] != "qwen2")
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        mt = cfg["model_type"]
        if mt == "gpt2":
            W = gpt2_weights(cfg, prefix, buffers)
        elif mt == "gpt_neo":
            W = neo_weights(cfg)
        else:
            W = llama_weights(cfg)
        S = save(d, W, dtype, shards)
        lengths = [12, 7, 20]
        seqs = [torch.randint(0, tok_vocab, (n,), generator=g).tolist() for n in lengths]
        def forward(W, cfg, s, prefix):
            if mt == "gpt2":
                return gpt2_forward(W, cfg, s, prefix)
            if mt == "gpt_neo":
                return neo_forward(W, cfg, s)
            return llama_forward(W, cfg, s)

        with torch.no_grad():
            logits = [forward(S, cfg, s, prefix) for s in seqs]
        # over the whole embedding (what transformers computes), and renormalised over the tokenizer's ids
        lps = [token_logprobs(z, s) for z, s in zip(logits, seqs)]
        lps_tok = [token_logprobs(z, s, tok_vocab) for z, s in zip(logits, seqs)]
        # gradients of the first sequence's summed log-probs (whole embedding) for a few tensors, in the file's layout
        names = GRAD_TENSORS[mt](prefix)
        for n in names:
            S[n].requires_grad_(True)
        z = forward(S, cfg, seqs[0], prefix)
        total = torch.log_softmax(z, -1)[torch.arange(len(seqs[0]) - 1), torch.tensor(seqs[0][1:])].sum()
        grads = torch.autograd.grad(total, [S[n] for n in names])
        results.append({"variant": name, "model_type": mt, "dtype": dtype, "shards": shards, "dir": d, "vocab_size": cfg["vocab_size"], "tokenizer_vocab": tok_vocab, "sequences": seqs, "logprobs": lps, "logprobs_tokenizer_vocab": lps_tok,
                        "grads": {n: g.flatten().tolist() for n, g in zip(names, grads)}})
        print("%-24s %-8s %-5s shards=%d  mean log-prob %.4f" % (name, mt, dtype, shards, sum(sum(l) for l in lps) / sum(len(l) for l in lps)))
    with open(os.path.join(out, "parity.json"), "w") as f:
        json.dump({"torch": torch.__version__, "variants": results}, f)


if __name__ == "__main__":
    main()
