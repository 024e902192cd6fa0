#!/usr/bin/env python3
"""Write a small, randomly initialised verifier to fine-tune: a Qwen2 checkpoint folder and its own BPE tokenizer.

`thinkprm train --base-model <folder>` then trains it with the shipped script like any base model, and
`thinkprm convert` turns the result into a GGUF for the embedded llama.cpp engine. Used by
`npm run bench:learn` (README: "Train your own verifier on a laptop").

The tokenizer is a byte-level BPE (GPT-2 / Qwen style) trained on the fine-tuning set itself, with
Qwen2's pre-tokenizer (the same splitting rule llama.cpp applies for `qwen2` GGUFs, so both sides
cut text identically): its merges cover the fixed ThinkPRM instruction and chat template, which then
cost one token per word instead of one per byte, and every digit stays its own token. No token
joins a line break to other text (see `without_newline_merges`), so the prompt's last token is the
one training saw. The special
tokens are those of DeepSeek-R1-Distill-Qwen's chat template (what ThinkPRM is trained with):
BOS, EOS, `<｜User｜>`, `<｜Assistant｜>`, `<|endoftext|>` (special) and `<think>`, `</think>`
(ordinary added tokens, so they are printed when generated, as in R1's tokenizer). The file is
one that transformers' Qwen2Tokenizer loads and saves back unchanged (same vocabulary, NFC
normaliser), so the trained checkpoint's vocabulary still matches its embedding.

Everything is a function of the corpus and --seed: the same command writes the same folder.

Corpus: `trl.jsonl` files from `thinkprm export` (prompt + completion per line). The inference prompt's
assistant prefix (`<think>\\n\\nLet's verify step by step:`) is added to the corpus too, so that its
pieces are tokens the model has seen.

`--check` tokenises the corpus and prints statistics without writing a model.
"""

import argparse
import json
import os
import sys

# the shipped training script reads the same export; its reader names the file, line and field
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from thinkprm_sft import read_examples  # noqa: E402

BOS = "<｜begin▁of▁sentence｜>"
EOS = "<｜end▁of▁sentence｜>"
USER = "<｜User｜>"
ASSISTANT = "<｜Assistant｜>"
THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
# Qwen2's own special token: transformers' Qwen2Tokenizer adds it (as unk) when a vocabulary lacks
# it, which would grow the vocabulary past the embedding after the first save
ENDOFTEXT = "<|endoftext|>"
# Qwen2's pre-tokenizer (tokenizer.json of Qwen2 / R1-Distill-Qwen; llama.cpp's LLAMA_VOCAB_PRE_TYPE_QWEN2)
QWEN2_SPLIT = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
# pieces the verifier must read or write as single tokens (the decision is read from one token)
MUST_BE_ONE_TOKEN = [" Yes", " No", "{correct", "{incorrect"]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", required=True, action="append",
                   help="trl.jsonl from `thinkprm export` (repeat to pool several sets under one tokenizer)")
    p.add_argument("--chat-template", help="a Jinja chat template file to store with the tokenizer")
    p.add_argument("--out", required=True, help="the checkpoint folder to write")
    p.add_argument("--vocab-size", type=int, default=1024, help="upper bound; BPE stops when nothing is left to merge")
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--kv-heads", type=int, default=2)
    p.add_argument("--intermediate", type=int, default=384)
    p.add_argument("--context", type=int, default=2048)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--check", action="store_true", help="print tokenizer statistics, write nothing")
    return p.parse_args(argv)


NEWLINE = "\u010a"  # "\n" in the byte-level alphabet


def without_newline_merges(spec):
    """The trained tokenizer without tokens that join a line break to anything else (`:\n`, `}\n`).

    Qwen2's pre-tokenizer keeps punctuation and the line breaks after it in one piece, so BPE learns
    `:\n`. But a prompt that ends at `step:` (the verifier's prompt ends with `Let's verify step by
    step:`) is tokenised with `:` alone, a token the model never saw before a line break in
    training: it then writes " 1: …" instead of "\nStep 1: …" (measured). Without such merges a
    line break is always its own token and text cut at a line end tokenises the same either way.
    Merges built on a removed token go too; ids are renumbered in order.
    """
    model = spec["model"]
    vocab = model["vocab"]
    removed = {t for t in vocab if NEWLINE in t and t.strip(NEWLINE) != ""}
    merges = []
    for m in model["merges"]:
        a, b = m.split(" ") if isinstance(m, str) else m
        if a in removed or b in removed or a + b in removed:
            removed.add(a + b)
            continue
        merges.append([a, b])
    kept = [t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1]) if t not in removed]
    model["vocab"] = {t: i for i, t in enumerate(kept)}
    model["merges"] = merges
    index = model["vocab"]
    for added in spec.get("added_tokens", []):
        added["id"] = index[added["content"]]
    return spec


def build_tokenizer(pairs, vocab_size):
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()  # as Qwen2's tokenizer.json (llama.cpp applies none; a no-op on ASCII)
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=[BOS, EOS, USER, ASSISTANT, ENDOFTEXT],
        show_progress=False,
    )
    corpus = []
    for prompt, completion in pairs:
        corpus.append(prompt + completion)
        corpus.append(prompt + THINK_OPEN + "\n\nLet's verify step by step:")
    tok.train_from_iterator(corpus, trainer)
    tok = Tokenizer.from_str(json.dumps(without_newline_merges(json.loads(tok.to_str()))))
    tok.add_tokens([AddedToken(THINK_OPEN, special=False, normalized=False),
                    AddedToken(THINK_CLOSE, special=False, normalized=False)])
    for piece in MUST_BE_ONE_TOKEN:
        ids = tok.encode(piece, add_special_tokens=False).ids
        if len(ids) != 1:
            sys.exit(f"the tokenizer splits {piece!r} into {len(ids)} tokens; the corpus must contain it (is it a `thinkprm export` of verification chains?)")
    return tok


def main(argv=None):
    args = parse_args(argv)
    pairs = [pair for path in args.corpus for pair in read_examples(path)]
    tok = build_tokenizer(pairs, args.vocab_size)
    lengths = [(len(tok.encode(p, add_special_tokens=False).ids), len(tok.encode(c, add_special_tokens=False).ids)) for p, c in pairs]
    stats = {
        "examples": len(pairs),
        "vocab": tok.get_vocab_size(),
        "mean_prompt_tokens": round(sum(p for p, _ in lengths) / len(lengths), 1),
        "mean_completion_tokens": round(sum(c for _, c in lengths) / len(lengths), 1),
        "max_tokens": max(p + c for p, c in lengths),
    }
    if args.check:
        print(json.dumps({"thinkprm": "tokenizer", **stats}))
        return

    import torch
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    if stats["max_tokens"] > args.context:
        sys.exit(f"an example has {stats['max_tokens']} tokens, more than --context {args.context}")
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=BOS, eos_token=EOS, pad_token=EOS, unk_token=ENDOFTEXT)
    template = None
    if args.chat_template:
        with open(args.chat_template, encoding="utf-8") as f:
            template = f.read()
        fast.chat_template = template
    fast.save_pretrained(args.out)
    # a plain tokenizer class, so that loaders use tokenizer.json as it is (no model-specific rebuild)
    cfg_path = os.path.join(args.out, "tokenizer_config.json")
    with open(cfg_path, encoding="utf-8") as f:
        tok_cfg = json.load(f)
    tok_cfg.update(tokenizer_class="PreTrainedTokenizerFast", add_bos_token=False, add_eos_token=False)
    if template is not None:
        tok_cfg["chat_template"] = template  # also here, for readers that look only in tokenizer_config.json
    with open(cfg_path, "w", encoding="utf-8") as f:
        json.dump(tok_cfg, f, indent=1, ensure_ascii=False)

    config = Qwen2Config(
        vocab_size=tok.get_vocab_size(),
        hidden_size=args.hidden,
        intermediate_size=args.intermediate,
        num_hidden_layers=args.layers,
        num_attention_heads=args.heads,
        num_key_value_heads=args.kv_heads,
        max_position_embeddings=args.context,
        # 10000 is also what `thinkprm convert` assumes when a config names no rope_theta
        rope_theta=10000.0,
        rms_norm_eps=1e-6,
        tie_word_embeddings=True,
        bos_token_id=tok.token_to_id(BOS),
        eos_token_id=tok.token_to_id(EOS),
        pad_token_id=tok.token_to_id(EOS),
    )
    model = Qwen2ForCausalLM(config)
    model.save_pretrained(args.out, safe_serialization=True)
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"thinkprm": "student", "out": args.out, "parameters": params, **stats}))


if __name__ == "__main__":
    main()
