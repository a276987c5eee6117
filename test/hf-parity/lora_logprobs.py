"""Log-probs of a Hugging Face folder with a PEFT LoRA adapter applied, computed independently in
float64 with the reference forward passes of make_checkpoints.py.

usage: lora_logprobs.py <model folder> <adapter folder> <sequences.json> <out.json>

The adapter is applied as PEFT merges it: for a module with lora_A [r, in] and lora_B [out, r],
    nn.Linear (weight [out, in]):              W + (B @ A) * alpha / r
    Conv1D, fan_in_fan_out (weight [in, out]): W + (B @ A).T * alpha / r
The module path (base_model.model.<path>.lora_A.weight) names the weight <path>.weight, where a
GPT-2 / GPT-Neo folder whose tensors have no "transformer." prefix drops it.
"""
import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_checkpoints as mc  # noqa: E402

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        body = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        t = torch.frombuffer(bytearray(body[a:b]), dtype=DTYPES[e["dtype"]]) if b > a else torch.zeros(0, dtype=DTYPES[e["dtype"]])
        out[name] = t.to(torch.float64).reshape(e["shape"])
    return out


def read_folder(d):
    index = os.path.join(d, "model.safetensors.index.json")
    if os.path.exists(index):
        W = {}
        for f in sorted(set(json.load(open(index))["weight_map"].values())):
            W.update(read_safetensors(os.path.join(d, f)))
        return W
    return read_safetensors(os.path.join(d, "model.safetensors"))


def main():
    model_dir, adapter_dir, seq_file, out_file = sys.argv[1:5]
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    W = read_folder(model_dir)
    acfg = json.load(open(os.path.join(adapter_dir, "adapter_config.json")))
    scale = acfg["lora_alpha"] / acfg["r"]
    L = read_safetensors(os.path.join(adapter_dir, "adapter_model.safetensors"))
    mt = cfg["model_type"]
    prefix = "transformer." if mt in ("gpt2", "gpt_neo") and "transformer.wte.weight" in W else ""
    for key in L:
        if not key.endswith(".lora_A.weight"):
            continue
        path = key[len("base_model.model."):-len(".lora_A.weight")]
        if mt in ("gpt2", "gpt_neo") and not prefix:
            path = path[len("transformer."):]
        A, B = L[key], L[key.replace(".lora_A.", ".lora_B.")]
        delta = (B @ A) * scale
        w = path + ".weight"
        W[w] = W[w] + (delta.T if acfg["fan_in_fan_out"] else delta)
    seqs = json.load(open(seq_file))
    with torch.no_grad():
        if mt == "gpt2":
            logits = [mc.gpt2_forward(W, cfg, s, prefix) for s in seqs]
        elif mt == "gpt_neo":
            logits = [mc.neo_forward(W, cfg, s) for s in seqs]
        else:
            logits = [mc.llama_forward(W, cfg, s) for s in seqs]
    json.dump([mc.token_logprobs(z, s) for z, s in zip(logits, seqs)], open(out_file, "w"))


if __name__ == "__main__":
    main()
