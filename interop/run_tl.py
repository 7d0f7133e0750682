#!/usr/bin/env python3
"""Run a `raspc export --format tl` model with numpy only, the way TransformerLens defines the
forward pass (HookedTransformer, no normalisation, ReLU MLPs, the config's attention scale, no
key padding mask, float32 unless --dtype float64), and print the decoded outputs.

    python3 interop/run_tl.py EXPORT_DIR --input "a b c"
    python3 interop/run_tl.py EXPORT_DIR --inputs inputs.json           # a JSON list of token lists
    python3 interop/run_tl.py EXPORT_DIR --inputs inputs.json --pad-to 8
    python3 interop/run_tl.py EXPORT_DIR --check-padding                 # every input within the bounds

Inputs run as one batch, BOS first and right-padded with PAD to the longest input (or --pad-to),
with no attention mask: TransformerLens applies none to bidirectional models, and raspc masks
PAD keys inside the weights. --one-by-one runs each input alone (no padding) instead.

Prints one JSON object: {"outputs": [[...], ...]} (None as null). --check-padding instead runs
every input of length 1..max_len both padded to max_len and alone, and prints
{"inputs": N, "mismatches": K, "examples": [...]}. Needs numpy; the safetensors file is read
with struct and json.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32}

# Rows per forward call: a padded batch is split only to bound memory (rows are independent).
CHUNK = 8192


def read_safetensors(path, dtype=np.float32):
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
        tensors[name] = np.frombuffer(body[start:end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"]).astype(dtype)
    return tensors


def softmax(x):
    m = np.max(x, axis=-1, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=-1, keepdims=True)


def forward(w, cfg, tokens):
    """tokens: int array [batch, T] (BOS first). Returns logits [batch, T, d_vocab_out].
    No key padding mask: PAD positions are ordinary positions here, as in TransformerLens."""
    batch, T = tokens.shape
    H, d, dh = w["blocks.0.attn.W_Q"].shape
    # the residual stream as rows [batch·T, d_model]: dense products are one matrix product each
    x = (w["embed.W_E"][tokens] + w["pos_embed.W_pos"][np.arange(T)][None, :, :]).reshape(batch * T, d)
    scale = cfg["attn_scale"] if cfg.get("use_attn_scale", True) else 1.0
    later = np.triu(np.ones((T, T), dtype=bool), k=1)

    def heads(p, which):
        # x W[h] + b[h] for every head: [batch, H, T, dh]
        W = w[f"{p}.attn.W_{which}"].transpose(1, 0, 2).reshape(d, H * dh)
        y = (x @ W + w[f"{p}.attn.b_{which}"].reshape(H * dh)).reshape(batch, T, H, dh)
        return y.transpose(0, 2, 1, 3)

    for l in range(cfg["n_layers"]):
        p = f"blocks.{l}"
        q, k, v = heads(p, "Q"), heads(p, "K"), heads(p, "V")
        scores = (q @ k.transpose(0, 1, 3, 2)) / scale
        if cfg["attention_dir"] == "causal":
            scores = np.where(later[None, None], -np.inf, scores)
        z = (softmax(scores) @ v).transpose(0, 2, 1, 3).reshape(batch * T, H * dh)
        x = x + z @ w[f"{p}.attn.W_O"].reshape(H * dh, d) + w[f"{p}.attn.b_O"]
        hidden = np.maximum(x @ w[f"{p}.mlp.W_in"] + w[f"{p}.mlp.b_in"], 0.0)
        x = x + hidden @ w[f"{p}.mlp.W_out"] + w[f"{p}.mlp.b_out"]
    return (x @ w["unembed.W_U"] + w["unembed.b_U"]).reshape(batch, T, -1)


def forward_chunked(w, cfg, tokens):
    return np.concatenate([forward(w, cfg, tokens[i : i + CHUNK]) for i in range(0, tokens.shape[0], CHUNK)], axis=0)


def token_ids(encoders):
    """Vocabulary token (as JSON text: 1 and "1" stay apart) → id."""
    return {json.dumps(t["token"]): t["id"] for t in encoders["input"]["tokens"]}


def token_id(ids, value):
    found = ids.get(json.dumps(value))
    if found is None:
        raise ValueError(f"token {value!r} is not in the vocabulary")
    return found


def decode_codes(encoders, logits):
    """logits [..., width] → an int per position: the index of the decoded value, -1 for None,
    -2 for an undecodable number."""
    out = encoders["output"]
    tol = out["tolerance"]
    if out["encoding"] == "categorical":
        j = np.argmax(logits, axis=-1)
        top = np.take_along_axis(logits, j[..., None], axis=-1)[..., 0]
        return np.where(top >= tol, j, -1)
    values = np.array(out["values"], dtype=np.float64)
    x = logits[..., 0]
    best = np.argmin(np.abs(x[..., None] - values), axis=-1)
    return np.where(np.abs(values[best] - x) <= tol, best, -2)


def decoded_value(encoders, code, logit):
    if code == -1:
        return None
    if code == -2:
        return {"undecodable": float(logit)}
    return encoders["output"]["values"][code]


def decode(encoders, logits_row):
    return decoded_value(encoders, int(decode_codes(encoders, logits_row[None])[0]), logits_row[0])


def parse_token(text):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def padded_batch(encoders, inputs, pad_to):
    """Token ids [batch, pad_to + 1]: BOS, the input's tokens, then PAD up to pad_to."""
    bos = encoders["input"]["bos"]["id"]
    pad = encoders["input"]["pad"]["id"]
    vocab = token_ids(encoders)
    ids = np.full((len(inputs), pad_to + 1), pad, dtype=np.int64)
    ids[:, 0] = bos
    for b, tokens in enumerate(inputs):
        ids[b, 1 : len(tokens) + 1] = [token_id(vocab, t) for t in tokens]
    return ids


def run_inputs(w, cfg, encoders, inputs, pad_to, one_by_one):
    bos = encoders["input"]["bos"]["id"]
    vocab = token_ids(encoders)
    if one_by_one:
        outputs = []
        for tokens in inputs:
            ids = np.array([[bos] + [token_id(vocab, t) for t in tokens]], dtype=np.int64)
            logits = forward(w, cfg, ids)[0]
            outputs.append([decode(encoders, logits[p]) for p in range(1, ids.shape[1])])
        return outputs
    longest = max((len(t) for t in inputs), default=0)
    width = longest if pad_to is None else pad_to
    if width < longest:
        raise ValueError(f"--pad-to {width} is shorter than the longest input ({longest} tokens)")
    if width + 1 > cfg["n_ctx"]:
        raise ValueError(f"--pad-to {width}: the model takes at most {cfg['n_ctx'] - 1} tokens")
    if not inputs:
        return []
    logits = forward_chunked(w, cfg, padded_batch(encoders, inputs, width))
    codes = decode_codes(encoders, logits).tolist()
    first = logits[..., 0].tolist()
    return [[decoded_value(encoders, codes[b][p], first[b][p]) for p in range(1, len(tokens) + 1)] for b, tokens in enumerate(inputs)]


def all_ids(vocab_ids, n, start, stop):
    """Inputs number start..stop-1 of length n (in lexicographic order of vocabulary indices)."""
    V = len(vocab_ids)
    r = np.arange(start, stop, dtype=np.int64)
    digits = np.stack([(r // V ** (n - 1 - j)) % V for j in range(n)], axis=1)
    return np.asarray(vocab_ids, dtype=np.int64)[digits]


def check_padding(w, cfg, encoders):
    """Every input of length 1..max_len, padded to max_len in batches (no mask) against the same
    input alone: decoded outputs must agree at every real position."""
    max_len = encoders["input"]["max_len"]
    bos = encoders["input"]["bos"]["id"]
    pad = encoders["input"]["pad"]["id"]
    vocab_ids = [t["id"] for t in encoders["input"]["tokens"]]
    V = len(vocab_ids)
    total = 0
    mismatches = 0
    examples = []
    for n in range(1, max_len + 1):
        count = V**n
        for start in range(0, count, CHUNK):
            stop = min(count, start + CHUNK)
            body = all_ids(vocab_ids, n, start, stop)
            rows = body.shape[0]
            alone = np.concatenate([np.full((rows, 1), bos, dtype=np.int64), body], axis=1)
            padded = np.concatenate([alone, np.full((rows, max_len - n), pad, dtype=np.int64)], axis=1)
            a = decode_codes(encoders, forward(w, cfg, alone))[:, 1:]
            p = decode_codes(encoders, forward(w, cfg, padded))[:, 1 : n + 1]
            bad = np.nonzero(np.any(a != p, axis=1))[0]
            total += rows
            mismatches += int(bad.size)
            for b in bad[: max(0, 5 - len(examples))]:
                examples.append({"ids": [int(t) for t in alone[b]], "alone": a[b].tolist(), "padded": p[b].tolist()})
    return {"inputs": total, "mismatches": mismatches, "examples": examples}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--input", help='tokens separated by spaces, e.g. "a b c"')
    ap.add_argument("--inputs", help="a JSON file: a list of token lists")
    ap.add_argument("--pad-to", type=int, help="pad every input to this many tokens (default: the longest input)")
    ap.add_argument("--one-by-one", action="store_true", help="run each input alone, unpadded")
    ap.add_argument("--check-padding", action="store_true", help="every input within the bounds: padded batch vs alone")
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32", help="arithmetic (TransformerLens's default: float32)")
    args = ap.parse_args()
    with open(os.path.join(args.dir, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(args.dir, "encoders.json")) as f:
        encoders = json.load(f)
    w = read_safetensors(os.path.join(args.dir, "model.safetensors"), np.dtype(args.dtype).type)
    if args.check_padding:
        json.dump(check_padding(w, cfg, encoders), sys.stdout)
        sys.stdout.write("\n")
        return
    if args.inputs:
        with open(args.inputs) as f:
            inputs = json.load(f)
    elif args.input is not None:
        inputs = [[parse_token(t) for t in args.input.split()]]
    else:
        ap.error("give --input, --inputs or --check-padding")
    if args.pad_to is not None and args.pad_to < 1:
        ap.error(f"--pad-to must be at least 1, got {args.pad_to}")
    outputs = run_inputs(w, cfg, encoders, inputs, args.pad_to, args.one_by_one)
    json.dump({"outputs": outputs}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    try:
        main()
    except (ValueError, KeyError, OSError) as e:
        sys.stderr.write(f"error: {e}\n")
        sys.exit(3)
