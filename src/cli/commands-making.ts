/**
 * The "making verifiers" commands (`synth`, `synth stats`, `export`, `train`), declared apart from
 * main.ts so each file stays readable; the code of each is loaded only when it runs.
 */
import { type Command, Option } from "@commander-js/extra-typings";
import { ENGINE_FLAG_HELP as ENGINE_HELP } from "../engines/spec.js";
import { int, num, servedModelOption, serverKindOption } from "./arg-parsers.js";
import { CHAT_TEMPLATE_HELP } from "./chat-template-option.js";
import { CliError, type CliIo } from "./io.js";

const STORE = ".thinkprm/runs.sqlite";

// biome-ignore lint/suspicious/noExplicitAny: commander's typed builder carries the parent's option types
export function registerMakingCommands(program: Command<any, any, any>, io: CliIo): void {
  // the program enables positional options: those after `synth stats` belong to stats (both
  // commands have --store, --seed, --tokenizer-model, --json)
  const synth = program
    .command("synth")
    .description(
      "sample verification chains from a teacher over labelled solution prefixes (PRM800K), keep those whose step judgments match the gold labels, store every generation (resumable) and report the yield",
    )
    .option("--teacher <spec>", `the teacher engine (required): ${ENGINE_HELP}`)
    .option("-m, --model <model>", "llama-cpp teacher: the model (the paper's teacher: QwQ-32B-Preview)")
    .addOption(serverKindOption("openai teacher"))
    .addOption(servedModelOption("openai teacher"))
    .option(
      "--source <spec>",
      "(required) prm800k:<file> (raw, phase-1 solutions JSONL or stepwise parquet) or jsonl:<file> of {problem, steps, labels}",
    )
    .option("--per-prefix <n>", "chains sampled per prefix (the paper: 4)", int("--per-prefix", 1, 64), 4)
    .option("--temperature <t>", "sampling temperature (the paper: 0.1)", num("--temperature", 0, 2), 0.1)
    .option("--until <n>", "stop once this many chains are kept (the paper: 1000)", int("--until", 1), 1000)
    .addOption(
      new Option(
        "--filter <kind>",
        "process: every step decision matches the gold label; outcome: only the final one (the ablation)",
      )
        .choices(["process", "outcome"] as const)
        .default("process" as const),
    )
    .addOption(
      new Option("--neutral <label>", "how a neutral PRM800K rating (0) counts")
        .choices(["negative", "positive"] as const)
        .default("negative" as const),
    )
    .option(
      "--tokenizer-model <gguf>",
      "count --max-length in this model's tokens (the student's; default: a llama-cpp teacher's, else an estimate)",
    )
    .option(
      "--official-think-cut",
      "clean chains as the official code: text after a <think> is dropped (default: text before it is)",
    )
    .option(
      "--lenient-verdicts",
      "count padded verdicts (\\boxed{ incorrect }) as decisions and keep their steps (default: the official parser's exact reading, which does not)",
    )
    .option(
      "--max-length <n>",
      "reject chains longer than this many tokens of the target model",
      int("--max-length", 1),
      4096,
    )
    .option("--max-tokens <n>", "generation limit per chain", int("--max-tokens", 1), 8192)
    .option("--chat-template <value>", `the teacher's ${CHAT_TEMPLATE_HELP}`, "r1-distill-qwen")
    .option("--limit <n>", "use only the first n prefixes", int("--limit", 1))
    .option("--seed <n>", "sampling seed", int("--seed", 0), 0)
    .option("--store <file>", "run store (holds every generation; a rerun resumes)", STORE)
    .option(
      "--concurrency <n>",
      "prefixes in flight at once (default: what the teacher engine declares)",
      int("--concurrency", 1, 100_000),
    )
    .option("-q, --quiet", "no progress output")
    .option("--json", "print the yield as one JSON line")
    // --teacher and --source are checked in the action: as commander options marked required they
    // would also be demanded of `synth stats`
    .action(async (opts) => {
      const missing = (["teacher", "source"] as const).filter((k) => !opts[k]);
      if (missing.length > 0)
        throw new CliError(
          `synth needs ${missing.map((k) => `--${k}`).join(" and ")}; see thinkprm synth --help`,
        );
      return (await import("./commands/synth.js")).runSynth(io, {
        ...opts,
        teacher: opts.teacher!,
        source: opts.source!,
      });
    });
  synth
    .command("stats")
    .description(
      'the paper\'s table "Statistics of the 1K finetuning dataset" for the chains a synth run kept',
    )
    .requiredOption("--run <id>", "the synth run")
    .option("--store <file>", "run store", STORE)
    .option("--balance", "after class balancing (as exported with --balance)")
    .option("--seed <n>", "balancing seed", int("--seed", 0), 42)
    .option(
      "--tokenizer-model <gguf>",
      "count chain tokens with this model's tokenizer (default: an estimate)",
    )
    .option("--json", "one JSON line")
    .action(async (opts) => (await import("./commands/synth.js")).runSynthStats(io, opts));

  program
    .command("export")
    .description(
      "write a synth run's kept chains as a fine-tuning set, in the ThinkPRM format and the formats trainers read",
    )
    .requiredOption("--run <id>", "the synth run")
    .option("--store <file>", "run store", STORE)
    .addOption(
      new Option(
        "--format <format>",
        "thinkprm (the released 1K set's fields + training text), trl (prompt/completion), llama-factory (sharegpt + dataset_info.json), openai (chat messages), all",
      )
        .choices(["thinkprm", "trl", "llama-factory", "openai", "all"] as const)
        .default("all" as const),
    )
    .requiredOption("-o, --out <dir>", "output folder")
    .option("--chat-template <value>", `the student's ${CHAT_TEMPLATE_HELP}`, "r1-distill-qwen")
    .option(
      "--balance",
      "downsample the majority class (correct vs incorrect prefixes) to the minority's size",
    )
    .option("--seed <n>", "balancing seed", int("--seed", 0), 42)
    .option("--json", "one JSON line: {out, examples, files}")
    .action(async (opts) => (await import("./commands/synth.js")).runExport(io, opts));

  program
    .command("train")
    .description(
      "write a ready-to-run fine-tuning recipe with the paper's settings (1.5B/7B: full, 3 epochs, lr 6e-5 constant, batch 32; 14B/32B: LoRA r=32 α=16, lr 4e-4, batch 16) for the shipped script, TRL or LLaMA-Factory; --launch runs it, shows its progress and stores the run",
    )
    .requiredOption("--data <dir>", "a thinkprm export folder")
    .option(
      "--base-model <id>",
      "the model to fine-tune: a Hugging Face id, or a local folder (relative to here)",
      "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B",
    )
    .addOption(
      new Option("--size <size>", "which row of the paper's settings (default: from the model name)").choices(
        ["1.5b", "7b", "14b", "32b"] as const,
      ),
    )
    .addOption(
      new Option(
        "--trainer <trainer>",
        "script: transformers + peft + accelerate, shipped with thinkprm; trl: trl sft; llama-factory: llamafactory-cli",
      )
        .choices(["script", "trl", "llama-factory"] as const)
        .default("script" as const),
    )
    .option("--gpus <n>", "devices per node", int("--gpus", 1), 1)
    .option("--nodes <n>", "machines", int("--nodes", 1), 1)
    .option(
      "--per-device-batch <n>",
      "micro-batch per device; accumulation fills the effective batch",
      int("--per-device-batch", 1),
      1,
    )
    .option("--deepspeed", "DeepSpeed ZeRO-3 (default: on for full fine-tunes on several devices)")
    .option("--no-deepspeed", "no DeepSpeed")
    .option("--max-length <n>", "cut sequences to this many tokens", int("--max-length", 16), 4096)
    .option(
      "--max-steps <n>",
      "stop after n optimiser steps (smoke tests, benchmarks)",
      int("--max-steps", 1),
    )
    .option("--epochs <n>", "override the paper's epochs", num("--epochs", 0.01, 100))
    .option("--lr <rate>", "override the paper's learning rate", num("--lr", 0, 1))
    .option(
      "--batch <n>",
      "override the paper's effective batch (32 full, 16 LoRA); accumulation fills it",
      int("--batch", 1),
    )
    .addOption(
      new Option("--method <method>", "override the paper's method for the size").choices([
        "full",
        "lora",
      ] as const),
    )
    .option("--lora-r <n>", "LoRA rank (default 32, the paper's)", int("--lora-r", 1))
    .option("--lora-alpha <n>", "LoRA alpha (default 16, the paper's)", int("--lora-alpha", 1))
    .addOption(
      new Option(
        "--device <device>",
        "cuda: bf16, gradient checkpointing; cpu: float32, no workers; auto: with --launch, what torch sees here, else cuda",
      )
        .choices(["auto", "cuda", "cpu"] as const)
        .default("auto" as const),
    )
    .option(
      "--threads <n>",
      "CPU threads of the trainer (OMP_NUM_THREADS; 1 is fastest for tiny models on a busy machine)",
      int("--threads", 1, 256),
    )
    .option("--seed <n>", "training seed", int("--seed", 0), 42)
    .option("-o, --out <dir>", "the recipe folder", "train-recipe")
    .option(
      "--checkpoint <dir>",
      "where the trainer writes the model, relative to the recipe folder",
      "checkpoint",
    )
    .option(
      "--python <exe>",
      "python for the shipped script (default: python3 of the .venv from npm run setup:python when there is one, else from PATH)",
    )
    .option("--launch", "start the trainer now and follow it")
    .option("--store <file>", "run store (with --launch)", STORE)
    .option("-q, --quiet", "no progress output")
    .option("--json", "one JSON line: the recipe (and the run's result with --launch)")
    .action(async (opts) => (await import("./commands/train.js")).runTrain(io, opts));
}
