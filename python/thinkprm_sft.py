#!/usr/bin/env python3
"""Fine-tune a ThinkPRM verifier on a `thinkprm export` set, with transformers + peft + accelerate only.

Written by `thinkprm train --trainer script` (thinkprm-spec.md section 5.1). The paper's settings are
the defaults `thinkprm train` passes: 3 epochs, constant learning rate with no warmup, effective
batch 32 (full fine-tune, lr 6e-5) or 16 (LoRA r=32, alpha=16, lr 4e-4).

Data: `trl.jsonl` from `thinkprm export` ({"prompt", "completion"} per line): the prompt is the chat
template up to the assistant tag, the completion `<think>\n...</think>\nIs the solution correct? Yes|No<eos>`.
Both are tokenised with add_special_tokens=False (the rendered template already holds BOS), and the
loss covers the completion tokens only. The official code supervises the text after the assistant
tag tokenised *with* special tokens, about one extra leading token; we supervise exactly the
completion (a deliberate difference, see thinkprm-spec.md section 1.4). Sequences are cut to
--max-length tokens as in the official code.

Progress: one JSON line per optimiser step on stdout, `{"thinkprm": "step", "step", "total_steps",
"epoch", "loss", "lr", "elapsed_s"}`, which `thinkprm train --launch` turns into a progress bar.

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
    p.add_argument("--model", required=True, help="base model: a Hugging Face id or a local folder")
    p.add_argument("--data", required=True, help="trl.jsonl from `thinkprm export`")
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
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many optimiser steps (0: all epochs)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--gradient-checkpointing", action="store_true")
    p.add_argument("--save-every-epoch", action="store_true")
    p.add_argument("--check-data", action="store_true", help="validate --data and exit (no torch needed)")
    return p.parse_args(argv)


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


def main(argv=None):
    args = parse_args(argv)
    examples = read_examples(args.data)
    if args.check_data:
        log("data", examples=len(examples))
        return

    import torch
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from transformers import AutoModelForCausalLM, AutoTokenizer

    accelerator = Accelerator(gradient_accumulation_steps=args.grad_accum)
    set_seed(args.seed)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id

    rows = []
    for prompt, completion in examples:
        p = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        c = tokenizer(completion, add_special_tokens=False)["input_ids"]
        ids = (p + c)[: args.max_length]
        labels = ([-100] * len(p) + c)[: args.max_length]
        rows.append((ids, labels))

    dtype = torch.bfloat16 if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else torch.float32
    model = AutoModelForCausalLM.from_pretrained(args.model, torch_dtype=dtype)
    if args.gradient_checkpointing:
        model.gradient_checkpointing_enable()
        model.config.use_cache = False
    if args.method == "lora":
        from peft import LoraConfig, get_peft_model

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

    loader = torch.utils.data.DataLoader(rows, batch_size=args.per_device_batch, shuffle=True, collate_fn=collate)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=args.learning_rate, weight_decay=0.0)
    # the paper: a constant learning rate, no warmup or decay
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0)
    model, optimizer, loader, scheduler = accelerator.prepare(model, optimizer, loader, scheduler)

    steps_per_epoch = math.ceil(len(loader) / args.grad_accum)
    total = math.ceil(steps_per_epoch * args.epochs)
    if args.max_steps:
        total = min(total, args.max_steps)
    if accelerator.is_main_process:
        log("start", examples=len(rows), total_steps=total, processes=accelerator.num_processes)
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
    if args.method == "lora" and accelerator.is_main_process:
        # `thinkprm convert` reads full checkpoints: also write the adapter merged into the base
        merged = accelerator.unwrap_model(model).merge_and_unload()
        merged.save_pretrained(os.path.join(args.output_dir, "merged"))
        tokenizer.save_pretrained(os.path.join(args.output_dir, "merged"))
    if accelerator.is_main_process:
        log("done", steps=step, output_dir=args.output_dir, elapsed_s=round(time.time() - started, 2))


def save(accelerator, model, tokenizer, path):
    accelerator.wait_for_everyone()
    unwrapped = accelerator.unwrap_model(model)
    unwrapped.save_pretrained(path, is_main_process=accelerator.is_main_process,
                              save_function=accelerator.save, state_dict=accelerator.get_state_dict(model))
    if accelerator.is_main_process:
        tokenizer.save_pretrained(path)


if __name__ == "__main__":
    main()
