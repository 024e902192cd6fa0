#!/usr/bin/env python3
"""Fine-tune a ThinkPRM verifier on a `thinkprm export` set, with transformers + peft + accelerate only.

Written by `thinkprm train --trainer script` (thinkprm-spec.md section 5.1). The paper's settings are
the defaults `thinkprm train` passes: 3 epochs, constant learning rate with no warmup, effective
batch 32 (full fine-tune, lr 6e-5) or 16 (LoRA r=32, alpha=16, lr 4e-4).

Data: `trl.jsonl` from `thinkprm export` ({"prompt", "completion"} per line): the prompt is the chat
template up to the assistant tag, the completion `<think>\\n...</think>\\nIs the solution correct? Yes|No<eos>`.
Both are tokenised with add_special_tokens=False (the rendered template already holds BOS), and the
loss covers the completion tokens only. The official code supervises the text after the assistant
tag tokenised *with* special tokens, about one extra leading token; we supervise exactly the
completion (a deliberate difference, see thinkprm-spec.md section 1.4). Sequences are cut to
--max-length tokens as in the official code.

Device: --device auto (CUDA when there is one), cuda (bf16 where supported) or cpu (float32, data
loading in the main process). The model is saved in the precision it trained in.

Progress: JSON lines on stdout, which `thinkprm train --launch` turns into a progress bar:
  {"thinkprm": "start", "examples", "total_steps", "processes", "device", "dtype"}
  {"thinkprm": "step", "step", "total_steps", "epoch", "loss", "lr", "elapsed_s"}   (one per optimiser step)
  {"thinkprm": "warning", "message"}
  {"thinkprm": "done", "steps", "output_dir", "merged_dir"?, "elapsed_s"}
  {"thinkprm": "merged", "output_dir", "adapter", "elapsed_s"}              (--merge-lora)

LoRA: the adapter is saved in --output-dir and, merged into the base model, in --output-dir/merged
(what `thinkprm convert` reads). `--merge-lora ADAPTER_DIR --output-dir OUT` merges an adapter another
trainer wrote (TRL, LLaMA-Factory) the same way.

Multi-GPU / multi-node: run through `accelerate launch --config_file accelerate.yaml` (written by
`thinkprm train`, with a DeepSpeed ZeRO-3 config for the 7B full fine-tune).

`--check-data` validates the data file and exits without importing torch.
"""

import argparse
import json
import math
import os
import sys
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", help="base model: a Hugging Face id or a local folder")
    p.add_argument("--data", help="trl.jsonl from `thinkprm export`")
    p.add_argument("--output-dir", required=True)
    p.add_argument("--method", choices=["full", "lora"], default="full")
    p.add_argument("--epochs", type=float, default=3)
    p.add_argument("--learning-rate", type=float, default=6e-5)
    p.add_argument("--per-device-batch", type=int, default=1)
    p.add_argument("--grad-accum", type=int, default=8)
    p.add_argument("--max-length", type=int, default=4096)
    p.add_argument("--lora-r", type=int, default=32)
    p.add_argument("--lora-alpha", type=int, default=16)
    p.add_argument("--lora-dropout", type=float, default=0.05)
    p.add_argument("--max-steps", type=int, default=0,
                   help="train exactly this many optimiser steps, cycling through the data, instead of --epochs (0: epochs)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--device", choices=["auto", "cuda", "cpu"], default="auto")
    p.add_argument("--gradient-checkpointing", action="store_true")
    p.add_argument("--save-every-epoch", action="store_true")
    p.add_argument("--check-data", action="store_true", help="validate --data and exit (no torch needed)")
    p.add_argument("--merge-lora", metavar="ADAPTER_DIR", help="merge this LoRA adapter into its base model, save to --output-dir, exit")
    args = p.parse_args(argv)
    if not args.merge_lora:
        missing = [f"--{name}" for name in ("model", "data") if getattr(args, name) is None]
        if missing:
            p.error(f"the following arguments are required: {', '.join(missing)}")
    return args


def read_examples(path):
    """The export's prompt/completion lines; errors name the line and the field."""
    examples = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{n}: not JSON ({e.msg}); expected the trl.jsonl of `thinkprm export`")
            for field in ("prompt", "completion"):
                if not isinstance(row.get(field), str) or not row[field]:
                    sys.exit(f"{path}:{n}: field {field!r} must be a non-empty string; export with --format trl")
            examples.append((row["prompt"], row["completion"]))
    if not examples:
        sys.exit(f"{path}: no examples")
    return examples


def log(event, **fields):
    print(json.dumps({"thinkprm": event, **fields}), flush=True)


def dtype_kwargs(dtype):
    """transformers 5 names it `dtype`; 4.x `torch_dtype`."""
    import transformers

    return {"dtype": dtype} if int(transformers.__version__.split(".")[0]) >= 5 else {"torch_dtype": dtype}


def load_tokenizer(model):
    """
    AutoTokenizer, checked against the checkpoint's own tokenizer.json: transformers 5 loads a
    `tokenizer_class: LlamaTokenizerFast` whose tokenizer.json is byte-level BPE (DeepSeek R1 distills
    of non-Qwen bases) with a SentencePiece pre-tokenizer, silently dropping spaces
    (huggingface/transformers#45488). When the two disagree, tokenizer.json is loaded as it is.
    """
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    tok = AutoTokenizer.from_pretrained(model)
    path = os.path.join(model, "tokenizer.json") if os.path.isdir(model) else None
    if path and os.path.exists(path):
        from tokenizers import Tokenizer

        probe = "Step 1: 2x + 3 = 7, so x = 2.\n\nIs the solution correct? Yes"
        raw = Tokenizer.from_file(path).encode(probe, add_special_tokens=False).ids
        if tok(probe, add_special_tokens=False)["input_ids"] != raw:
            log("warning", message=f"{type(tok).__name__} tokenises differently from {path}; using tokenizer.json as it is")
            tok = PreTrainedTokenizerFast.from_pretrained(model)
    return tok


def pick_device(choice):
    import torch

    if choice == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if choice == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda: torch sees no CUDA device; use --device cpu or install a CUDA build of torch")
    return choice


def merge_lora(adapter_dir, output_dir):
    """Merges a PEFT LoRA adapter into its base model and saves a full checkpoint."""
    import torch
    from peft import AutoPeftModelForCausalLM

    started = time.time()
    model = AutoPeftModelForCausalLM.from_pretrained(adapter_dir, **dtype_kwargs(torch.float32))
    merged = model.merge_and_unload()
    merged.save_pretrained(output_dir)
    base = model.peft_config["default"].base_model_name_or_path
    has_tokenizer = any(os.path.exists(os.path.join(adapter_dir, f)) for f in ("tokenizer.json", "tokenizer_config.json"))
    load_tokenizer(adapter_dir if has_tokenizer else base).save_pretrained(output_dir)
    log("merged", output_dir=output_dir, adapter=adapter_dir, elapsed_s=round(time.time() - started, 2))


def main(argv=None):
    args = parse_args(argv)
    if args.merge_lora:
        merge_lora(args.merge_lora, args.output_dir)
        return
    examples = read_examples(args.data)
    if args.check_data:
        log("data", examples=len(examples))
        return

    import torch
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from transformers import AutoModelForCausalLM

    device = pick_device(args.device)
    accelerator = Accelerator(gradient_accumulation_steps=args.grad_accum, cpu=device == "cpu")
    set_seed(args.seed)
    tokenizer = load_tokenizer(args.model)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id

    rows = []
    for prompt, completion in examples:
        p = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        c = tokenizer(completion, add_special_tokens=False)["input_ids"]
        ids = (p + c)[: args.max_length]
        labels = ([-100] * len(p) + c)[: args.max_length]
        rows.append((ids, labels))

    bf16 = device == "cuda" and torch.cuda.is_bf16_supported()
    dtype = torch.bfloat16 if bf16 else torch.float32
    model = AutoModelForCausalLM.from_pretrained(args.model, **dtype_kwargs(dtype))
    if args.gradient_checkpointing:
        model.gradient_checkpointing_enable()
        model.config.use_cache = False
    if args.method == "lora":
        from peft import LoraConfig, get_peft_model

        if args.gradient_checkpointing:
            model.enable_input_require_grads()  # checkpointed LoRA needs gradients at the frozen embedding's output
        lora = LoraConfig(r=args.lora_r, lora_alpha=args.lora_alpha, lora_dropout=args.lora_dropout,
                          target_modules="all-linear", task_type="CAUSAL_LM")
        model = get_peft_model(model, lora)

    def collate(batch):
        width = max(len(ids) for ids, _ in batch)
        input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
        labels = torch.full((len(batch), width), -100, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for i, (ids, lab) in enumerate(batch):
            input_ids[i, : len(ids)] = torch.tensor(ids)
            labels[i, : len(lab)] = torch.tensor(lab)
            mask[i, : len(ids)] = 1
        return {"input_ids": input_ids, "labels": labels, "attention_mask": mask}

    # data loading in the main process (num_workers 0): the sets are small and already tokenised
    loader = torch.utils.data.DataLoader(rows, batch_size=args.per_device_batch, shuffle=True, collate_fn=collate,
                                         num_workers=0, generator=torch.Generator().manual_seed(args.seed))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=args.learning_rate, weight_decay=0.0)
    # the paper: a constant learning rate, no warmup or decay
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0)
    model, optimizer, loader, scheduler = accelerator.prepare(model, optimizer, loader, scheduler)

    steps_per_epoch = max(1, math.ceil(len(loader) / args.grad_accum))
    # as transformers' max_steps: a positive value overrides the epochs (the data is cycled through)
    total = args.max_steps if args.max_steps else math.ceil(steps_per_epoch * args.epochs)
    if accelerator.is_main_process:
        log("start", examples=len(rows), total_steps=total, processes=accelerator.num_processes,
            device=device, dtype=str(dtype).replace("torch.", ""))
    step, started, window = 0, time.time(), []
    model.train()
    epoch = 0
    while step < total:
        for batch in loader:
            with accelerator.accumulate(model):
                loss = model(**batch).loss
                accelerator.backward(loss)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
            window.append(loss.detach().float().item())
            if accelerator.sync_gradients:
                step += 1
                if accelerator.is_main_process:
                    log("step", step=step, total_steps=total, epoch=round(step / steps_per_epoch, 4),
                        loss=sum(window) / len(window), lr=scheduler.get_last_lr()[0],
                        elapsed_s=round(time.time() - started, 2))
                window = []
                if step >= total:
                    break
        epoch += 1
        if args.save_every_epoch and step < total:
            save(accelerator, model, tokenizer, os.path.join(args.output_dir, f"epoch-{epoch}"))
    save(accelerator, model, tokenizer, args.output_dir)
    merged_dir = None
    if args.method == "lora" and accelerator.is_main_process:
        # `thinkprm convert` reads full checkpoints: also write the adapter merged into the base
        merged_dir = os.path.join(args.output_dir, "merged")
        merged = accelerator.unwrap_model(model).merge_and_unload()
        merged.save_pretrained(merged_dir)
        tokenizer.save_pretrained(merged_dir)
    if accelerator.is_main_process:
        log("done", steps=step, output_dir=args.output_dir, elapsed_s=round(time.time() - started, 2),
            **({"merged_dir": merged_dir} if merged_dir else {}))


def save(accelerator, model, tokenizer, path):
    accelerator.wait_for_everyone()
    unwrapped = accelerator.unwrap_model(model)
    unwrapped.save_pretrained(path, is_main_process=accelerator.is_main_process,
                              save_function=accelerator.save, state_dict=accelerator.get_state_dict(model))
    if accelerator.is_main_process:
        tokenizer.save_pretrained(path)


if __name__ == "__main__":
    main()
