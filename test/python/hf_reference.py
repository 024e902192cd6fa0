#!/usr/bin/env python3
"""transformers' side of the converter oracles: token ids and next-token log-probabilities.

Reads a JSON request on stdin: {"model": <checkpoint folder>, "texts": [..], "prompts": [..],
"candidates": [..]}, or {"requests": [such objects]} (one Python start for several checkpoints),
and writes one JSON object (or a list of them) on stdout:
- "ids": for each text, `AutoTokenizer` ids without special tokens added (the engine tokenises raw
  prompts the same way: special tokens parsed, nothing prepended);
- "logprobs": for each prompt, for each candidate, log P(candidate | prompt) from the float32 forward
  pass of `AutoModelForCausalLM` (summed over the candidate's tokens);
- "tokenizer_class", "rope": what transformers made of the checkpoint.
"""
import json
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def reference(req):
    tok = AutoTokenizer.from_pretrained(req["model"])
    model = AutoModelForCausalLM.from_pretrained(req["model"], dtype=torch.float32)
    model.eval()
    encode = lambda text: tok(text, add_special_tokens=False)["input_ids"]
    out = {
        "tokenizer_class": type(tok).__name__,
        "rope": getattr(model.config, "rope_parameters", None),
        "ids": [encode(t) for t in req.get("texts", [])],
        "logprobs": [],
    }
    with torch.no_grad():
        for prompt in req.get("prompts", []):
            p = encode(prompt)
            row = []
            for cand in req.get("candidates", []):
                c = encode(cand)
                ids = torch.tensor([p + c])
                logits = model(ids).logits[0].float()
                lp = torch.log_softmax(logits, dim=-1)
                total = sum(lp[len(p) - 1 + k, t].item() for k, t in enumerate(c))
                row.append(total)
            out["logprobs"].append(row)
    return out


def main():
    req = json.load(sys.stdin)
    torch.set_num_threads(1)
    if "requests" in req:
        json.dump([reference(r) for r in req["requests"]], sys.stdout)
    else:
        json.dump(reference(req), sys.stdout)


if __name__ == "__main__":
    main()
