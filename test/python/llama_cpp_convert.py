#!/usr/bin/env python3
"""Runs llama.cpp's own convert_hf_to_gguf.py (from LLAMA_CPP_DIR) unchanged, with one exception.

llama.cpp identifies a BPE pre-tokenizer by hashing the token ids of a fixed text; a vocabulary it
has never seen (the project's 392-token `hf-tiny`) has an unknown hash and the converter stops with
"BPE pre-tokenizer was not recognized". Only then does this wrapper answer "deepseek-r1-qwen" (the
name thinkprm's converter writes; llama.cpp maps it to the same QWEN2 pre-type as "qwen2"), and it
says so on stderr. Known vocabularies (the real R1-Distill-Qwen one) go through untouched.
"""
import os
import runpy
import sys

root = os.environ["LLAMA_CPP_DIR"]
sys.path.insert(0, root)
sys.path.insert(1, os.path.join(root, "gguf-py"))

import conversion.base as base  # noqa: E402

original = base.TextModel.get_vocab_base_pre


def vocab_base_pre(self, tokenizer):
    try:
        return original(self, tokenizer)
    except NotImplementedError:
        print("llama_cpp_convert: unknown pre-tokenizer hash; naming it deepseek-r1-qwen", file=sys.stderr)
        return "deepseek-r1-qwen"


base.TextModel.get_vocab_base_pre = vocab_base_pre
script = os.path.join(root, "convert_hf_to_gguf.py")
sys.argv = [script, *sys.argv[1:]]
runpy.run_path(script, run_name="__main__")
