#!/usr/bin/env python3
"""Run a `raspc export --format tl` model with numpy only, the way TransformerLens defines the
forward pass (HookedTransformer, no normalisation, ReLU MLPs, the config's attention scale), and
print the decoded outputs.

    python3 interop/run_tl.py EXPORT_DIR --input "a b c"
    python3 interop/run_tl.py EXPORT_DIR --inputs inputs.json     # a JSON list of token lists

Prints one JSON object: {"outputs": [[...], ...]} (None as null). Needs numpy; the safetensors
file is read with struct and json.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError(f"{path}: header length {n} runs past the end of the file")
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    body = data[8 + n :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        tensors[name] = np.frombuffer(body[start:end], dtype=dtype).reshape(info["shape"]).astype(np.float64)
    return tensors


def softmax(x):
    m = np.max(x, axis=-1, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=-1, keepdims=True)


def forward(w, cfg, tokens):
    """tokens: int array [batch, T] (BOS first). Returns logits [batch, T, d_vocab_out]."""
    batch, T = tokens.shape
    x = w["embed.W_E"][tokens] + w["pos_embed.W_pos"][np.arange(T)][None, :, :]
    scale = cfg["attn_scale"] if cfg.get("use_attn_scale", True) else 1.0
    for l in range(cfg["n_layers"]):
        p = f"blocks.{l}"
        q = np.einsum("bpd,hde->bphe", x, w[f"{p}.attn.W_Q"]) + w[f"{p}.attn.b_Q"]
        k = np.einsum("bpd,hde->bphe", x, w[f"{p}.attn.W_K"]) + w[f"{p}.attn.b_K"]
        v = np.einsum("bpd,hde->bphe", x, w[f"{p}.attn.W_V"]) + w[f"{p}.attn.b_V"]
        scores = np.einsum("bqhe,bkhe->bhqk", q, k) / scale
        if cfg["attention_dir"] == "causal":
            later = np.triu(np.ones((T, T), dtype=bool), k=1)
            scores = np.where(later[None, None], -np.inf, scores)
        pattern = softmax(scores)
        z = np.einsum("bhqk,bkhe->bqhe", pattern, v)
        x = x + np.einsum("bqhe,hed->bqd", z, w[f"{p}.attn.W_O"]) + w[f"{p}.attn.b_O"]
        hidden = np.maximum(x @ w[f"{p}.mlp.W_in"] + w[f"{p}.mlp.b_in"], 0.0)
        x = x + hidden @ w[f"{p}.mlp.W_out"] + w[f"{p}.mlp.b_out"]
    return x @ w["unembed.W_U"] + w["unembed.b_U"]


def token_id(encoders, value):
    for t in encoders["input"]["tokens"]:
        if json.dumps(t["token"]) == json.dumps(value):
            return t["id"]
    raise ValueError(f"token {value!r} is not in the vocabulary")


def decode(encoders, logits_row):
    out = encoders["output"]
    if out["encoding"] == "categorical":
        j = int(np.argmax(logits_row))
        return out["values"][j] if logits_row[j] >= out["tolerance"] else None
    x = float(logits_row[0])
    best = min(range(len(out["values"])), key=lambda j: abs(out["values"][j] - x))
    if abs(out["values"][best] - x) <= out["tolerance"]:
        return out["values"][best]
    return {"undecodable": x}


def parse_token(text):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--input", help='tokens separated by spaces, e.g. "a b c"')
    ap.add_argument("--inputs", help="a JSON file: a list of token lists")
    args = ap.parse_args()
    with open(os.path.join(args.dir, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(args.dir, "encoders.json")) as f:
        encoders = json.load(f)
    w = read_safetensors(os.path.join(args.dir, "model.safetensors"))
    if args.inputs:
        with open(args.inputs) as f:
            inputs = json.load(f)
    elif args.input is not None:
        inputs = [[parse_token(t) for t in args.input.split()]]
    else:
        ap.error("give --input or --inputs")
    bos = encoders["input"]["bos"]["id"]
    outputs = []
    # one sequence at a time: TransformerLens has no key padding mask by default
    for tokens in inputs:
        ids = np.array([[bos] + [token_id(encoders, t) for t in tokens]], dtype=np.int64)
        logits = forward(w, cfg, ids)[0]
        outputs.append([decode(encoders, logits[p]) for p in range(1, ids.shape[1])])
    json.dump({"outputs": outputs}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    try:
        main()
    except (ValueError, KeyError, OSError) as e:
        sys.stderr.write(f"error: {e}\n")
        sys.exit(3)
