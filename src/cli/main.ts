/**
 * The `thinkprm` command line. Sub-commands are declared here (so `--help` is complete and fast)
 * and their code is loaded only when they run. `runCli` takes its streams as arguments, so tests
 * run the real CLI in-process.
 */
import { Command, CommanderError, Option } from "@commander-js/extra-typings";
import { collect, int, num, servedModelOption, serverKindOption } from "./arg-parsers.js";
import { CHAT_TEMPLATE_HELP } from "./chat-template-option.js";
import { registerMakingCommands } from "./commands-making.js";
import { ENGINE_HELP } from "./engine-spec.js";
import { CliError, type CliIo, CommandExit } from "./io.js";
import { VERIFIER_METHODS } from "./verifier-methods.js";

function buildProgram(io: CliIo) {
  const program = new Command()
    .name("thinkprm")
    .description(
      "Generative process reward models (ThinkPRM): verify step-by-step solutions with a verifier that thinks,\nand read a score P(Yes)/(P(Yes)+P(No)) plus a judgment for every step.",
    )
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride()
    .enablePositionalOptions()
    .showHelpAfterError("(run with --help for usage)");

  program
    .command("prompt")
    .description("print the exact prompt (after the chat template) for each problem + solution")
    .option("-i, --input <file>", "JSONL of {id?, problem, steps | solution}; stdin when absent")
    .addOption(
      new Option("--template <name>", "prompt template")
        .choices(["thinkprm", "judge-single", "judge-badstep", "judge-each", "teacher"] as const)
        .default("thinkprm" as const),
    )
    .addOption(
      new Option("--layout <layout>", "step layout in the ThinkPRM prompt")
        .choices(["numbered", "plain"] as const)
        .default("numbered" as const),
    )
    .option("--chat-template <value>", CHAT_TEMPLATE_HELP, "r1-distill-qwen")
    .option("--instruction <text>", "replace the default ThinkPRM instruction")
    .option(
      "--no-lets-verify",
      "omit the \"\\nLet's verify step by step:\" suffix (the Oct 2025 code's behaviour)",
    )
    .option("--json", "one JSON line per record: {id, prompt}")
    .action(async (opts) => (await import("./commands/prompt.js")).runPrompt(io, opts));

  program
    .command("parse")
    .description(
      "read a verification chain and print its step judgments, first error, decision and issues as JSON",
    )
    .argument("[file]", "the chain text; stdin when absent")
    .option(
      "--steps <n>",
      "number of steps in the verified solution (enables count checks)",
      int("--steps", 1),
    )
    .addOption(
      new Option("--finish-reason <reason>", "how generation ended").choices([
        "stop",
        "eos",
        "length",
      ] as const),
    )
    .option("--no-require-decision", "accept a chain without a final Yes/No")
    .action(async (file, opts) => (await import("./commands/parse.js")).runParse(io, file, opts));

  program
    .command("verify")
    .description("verify one solution (--problem with --step/--solution) or a JSONL file of them")
    .option("-e, --engine <spec>", ENGINE_HELP, "llama-cpp")
    .option(
      "-m, --model <model>",
      "llama-cpp model: a .gguf file, a Hugging Face checkpoint folder, hf:<repo>/<file>.gguf, or a repo id (downloaded and converted once)",
      "launch/ThinkPRM-1.5B",
    )
    .addOption(
      new Option("--model-type <type>", "llama-cpp: conversion type for checkpoints")
        .choices(["f32", "f16", "q8_0"] as const)
        .default("q8_0" as const),
    )
    .option(
      "-i, --input <file>",
      "JSONL of {id?, problem, steps | solution}; stdin when no --input and no --problem",
    )
    .option("--problem <text>", "verify one solution: the problem")
    .option("--step <text>", "a step of that solution (repeat in order)", collect)
    .option("--solution <text>", "that solution as one text (split into steps)")
    .option("-k, --k <n>", "parallel verification chains; the score is their mean", int("-k", 1, 64), 1)
    .option("--rounds <n>", "thinking rounds per chain (sequential scaling, 1-4)", int("--rounds", 1, 4), 1)
    .option("--early-exit", "stop a chain at its first \\boxed{incorrect} and go straight to the decision")
    .option("--max-tokens <n>", "generation budget per round", int("--max-tokens", 1), 8172)
    .option(
      "--temperature <t>",
      "sampling temperature (default 0 for one chain, 0.6 for -k > 1)",
      num("--temperature", 0, 2),
    )
    .option("--seed <n>", "sampling seed", int("--seed", 0))
    .addOption(
      new Option("--layout <layout>", "step layout")
        .choices(["numbered", "plain"] as const)
        .default("numbered" as const),
    )
    .option("--chat-template <value>", CHAT_TEMPLATE_HELP, "r1-distill-qwen")
    .addOption(
      new Option(
        "--decision <mode>",
        "paper: P(' Yes') vs P(' No'); sglang: the July client's lower-case normalised choices",
      )
        .choices(["paper", "sglang"] as const)
        .default("paper" as const),
    )
    .addOption(
      new Option(
        "--score <how>",
        "probabilities (P(Yes) share) or vote (the chain's own Yes/No, for engines without logprobs)",
      )
        .choices(["probabilities", "vote"] as const)
        .default("probabilities" as const),
    )
    .addOption(
      new Option("--step-max <rule>", "Step {max+1}: stop rule; lexicographic reproduces the official bug")
        .choices(["numeric", "lexicographic"] as const)
        .default("numeric" as const),
    )
    .addOption(
      new Option(
        "--on-truncated <what>",
        "a chain cut off at --max-tokens: invalid, or force-decision (the July client)",
      )
        .choices(["invalid", "force-decision"] as const)
        .default("invalid" as const),
    )
    .addOption(serverKindOption())
    .addOption(servedModelOption())
    .option("--threads <n>", "llama-cpp: CPU threads (default min(2, cores))", int("--threads", 1, 256))
    .option("--context-size <n>", "llama-cpp: context window in tokens", int("--context-size", 256))
    .option(
      "--store <file>",
      "run store (SQLite): results, progress and the engine-call cache",
      ".thinkprm/runs.sqlite",
    )
    .option("--no-store", "keep nothing on disk (no resume)")
    .option(
      "--resume <run>",
      "continue this run (by default an unfinished run with the same settings and input continues)",
    )
    .option("--shard <i/n>", "verify only items i, i+n, i+2n, … (0-based), for several processes")
    .addOption(
      new Option(
        "--split <rule>",
        "how a solution given as one text becomes steps (auto: Step N: headers, else paragraphs, else sentences)",
      )
        .choices(["auto", "step-headers", "blank-lines", "sentences", "llm"] as const)
        .default("auto" as const),
    )
    .option("--splitter <engine>", "with --split llm: the engine whose model cuts solutions into steps")
    .option("-q, --quiet", "no progress display")
    .option("--json", "one JSON line per verification")
    .action(async (opts) => (await import("./commands/verify.js")).runVerify(io, opts));

  program
    .command("grade")
    .description(
      "grade final answers: JSONL {gold, pred} in, one line out per input with equivalent, gold_norm, pred_norm",
    )
    .option("-i, --input <file>", "JSONL of {gold, pred}; stdin when absent")
    .option("--summary", "print how many were equivalent on stderr")
    .action(async (opts) => (await import("./commands/grade.js")).runGrade(io, opts));

  program
    .command("convert")
    .description(
      "convert a Hugging Face Qwen2 checkpoint folder (config.json, *.safetensors, tokenizer files) to GGUF",
    )
    .argument("<checkpoint>", "the checkpoint folder")
    .requiredOption("-o, --out <file.gguf>", "where to write the GGUF file")
    .addOption(
      new Option("--type <type>", "weight type of the matrices")
        .choices(["f32", "f16", "q8_0"] as const)
        .default("f16" as const),
    )
    .action(async (checkpoint, opts) =>
      (await import("./commands/convert.js")).runConvert(io, checkpoint, opts),
    );

  const evalCmd = program
    .command("eval")
    .description("evaluations: best-of-N (MATH, AIME, GPQA, LiveCodeBench) and ProcessBench");
  evalCmd
    .command("bon")
    .description(
      "best-of-N accuracy (naive, weighted, majority) and pass@n at n = 1, 2, 4, …, N over a candidate set",
    )
    .option(
      "-c, --candidates <file>",
      "candidates: search-and-learn, compute-optimal-tts or Qwen2.5-Math RM JSONL",
    )
    .option("--generate", "sample the candidates now with --generator for the problems of --dataset")
    .addOption(
      new Option(
        "--task <task>",
        "math; gpqa: multiple choice from the GPQA CSV; code: LiveCodeBench, graded by its tests in a sandbox",
      )
        .choices(["math", "gpqa", "code"] as const)
        .default("math" as const),
    )
    .option(
      "--dataset <name|file>",
      "with --generate: math500, aime24, a JSONL of {problem, answer}; gpqa: gpqa_diamond.csv; code: a LiveCodeBench JSONL",
    )
    .option(
      "--domain <domain>",
      "gpqa: the High-level domain to keep (the paper: Physics), or all",
      "Physics",
    )
    .addOption(
      new Option("--code-steps <mode>", "code: how a candidate is cut into verifier steps (see the README)")
        .choices(["reasoning", "blocks", "whole"] as const)
        .default("reasoning" as const),
    )
    .addOption(
      new Option(
        "--verifier-instruction <which>",
        "the trained ThinkPRM instruction, or its multiple-choice variant",
      )
        .choices(["trained", "multiple-choice"] as const)
        .default("trained" as const),
    )
    .option(
      "--test-cpu <seconds>",
      "code: CPU seconds per test run (wall limit: this + 4 s)",
      int("--test-cpu", 1, 600),
      6,
    )
    .option("--data-dir <folder>", "where math500/ and aime24/ live", "../shared/data")
    .option(
      "--generator <engine>",
      "with --generate: the engine that writes candidates (llama-cpp, scripted:<file>)",
    )
    .option("--generator-model <model>", "llama-cpp generator model (default: --model)")
    .option("--generator-template <value>", "the generator's chat template", "qwen2.5")
    .option("-N, --samples <n>", "candidates per problem when generating", int("--samples", 1, 1024), 8)
    .option("--temperature <t>", "generator sampling temperature", num("--temperature", 0, 2), 0.8)
    .option("--gen-max-tokens <n>", "generator budget per candidate", int("--gen-max-tokens", 1), 2048)
    .option("--seed <n>", "generator seed", int("--seed", 0), 42)
    .option(
      "--verifier <spec>",
      "scores: the scores the file carries; or an engine (llama-cpp, scripted:<file>) to run ThinkPRM now",
      "scores",
    )
    .option("-m, --model <model>", "llama-cpp verifier model", "launch/ThinkPRM-1.5B")
    .addOption(
      new Option("--agg <how>", "carried per-step scores → one score")
        .choices(["last", "min", "prod", "mean"] as const)
        .default("last" as const),
    )
    .option("--n <list>", "n values, e.g. 1,2,4,8 (default: powers of two up to N)")
    .option("--limit <k>", "only the first k problems", int("--limit", 1))
    .addOption(
      new Option(
        "--primary <method>",
        "the headline method (the paper: naive for AIME, weighted for MATH-500)",
      )
        .choices(["naive", "weighted"] as const)
        .default("weighted" as const),
    )
    .addOption(
      new Option("--layout <layout>", "step layout for the verifier (plain: the July best-of-N client)")
        .choices(["numbered", "plain"] as const)
        .default("plain" as const),
    )
    .option("--chat-template <value>", CHAT_TEMPLATE_HELP, "r1-distill-qwen")
    .option("--max-tokens <n>", "verifier generation budget", int("--max-tokens", 1), 8172)
    .option("--threads <n>", "llama-cpp: CPU threads", int("--threads", 1, 256))
    .option("--store <file>", "run store", ".thinkprm/runs.sqlite")
    .option("--no-store", "keep nothing on disk")
    .option("-q, --quiet", "no progress display")
    .option("--json", "the curve and flag agreement as JSON")
    .action(async (opts) => (await import("./commands/eval-bon.js")).runEvalBon(io, opts));

  evalCmd
    .command("processbench")
    .description(
      "ProcessBench: verify every item, predict its first wrong step, and report F1 (official and binary) per subset",
    )
    .option(
      "--subsets <list>",
      "comma-separated: gsm8k, math, olympiadbench, omnimath",
      "olympiadbench,omnimath",
    )
    .option("--data-dir <folder>", "the folder holding <subset>.json", "../shared/data/processbench")
    .option(
      "--no-errata",
      "use the labels as released (by default math-688's label is corrected, ProcessBench issue #9)",
    )
    .option(
      "--predictions <file>",
      "score this predictions JSONL {id, prediction, label?, tokens?} instead of running a verifier",
    )
    .option("--predictions-out <file>", "also write the predictions as JSONL")
    .addOption(
      new Option(
        "--method <method>",
        "the verifier: ThinkPRM, an LLM-as-a-judge prompt, or a discriminative PRM",
      )
        .choices(VERIFIER_METHODS)
        .default("thinkprm" as const),
    )
    .option("-e, --engine <spec>", ENGINE_HELP, "llama-cpp")
    .option("-m, --model <model>", "llama-cpp model", "launch/ThinkPRM-1.5B")
    .option("-k, --k <n>", "parallel chains per item", int("-k", 1, 64), 1)
    .option("--rounds <n>", "thinking rounds per chain (ThinkPRM)", int("--rounds", 1, 4), 1)
    .option("--max-tokens <n>", "generation budget per round", int("--max-tokens", 1), 8172)
    .option("--temperature <t>", "sampling temperature", num("--temperature", 0, 2))
    .option("--seed <n>", "sampling seed", int("--seed", 0))
    .option("--chat-template <value>", CHAT_TEMPLATE_HELP, "r1-distill-qwen")
    .option("--threads <n>", "llama-cpp: CPU threads", int("--threads", 1, 256))
    .addOption(serverKindOption())
    .addOption(servedModelOption())
    .option("--limit <k>", "only the first k items of each subset", int("--limit", 1))
    .option("--shard <i/n>", "only items i, i+n, … (0-based), for several processes")
    .option("--store <file>", "run store", ".thinkprm/runs.sqlite")
    .option("--no-store", "keep nothing on disk")
    .option("-q, --quiet", "no progress display")
    .option("--json", "metrics as JSON")
    .action(async (opts) => (await import("./commands/eval-processbench.js")).runEvalProcessBench(io, opts));

  program
    .command("calibrate")
    .description(
      "fit a temperature (or Platt scaling) to labelled verifier scores, and show calibration before and after",
    )
    .option(
      "--run <id>",
      "a stored run whose results carry gold labels (verify with labels, eval processbench)",
    )
    .option("-i, --input <file>", "or JSONL {score, correct}")
    .option("--store <file>", "run store", ".thinkprm/runs.sqlite")
    .addOption(
      new Option("--method <method>", "temperature scaling or Platt scaling")
        .choices(["temperature", "platt"] as const)
        .default("temperature" as const),
    )
    .option("-o, --out <file>", "write the scores with their calibrated values as JSONL")
    .option("--json", "the fit and the metrics as JSON")
    .action(async (opts) => (await import("./commands/calibrate.js")).runCalibrate(io, opts));

  program
    .command("serve")
    .description(
      "the verifier as an HTTP service: /v1/verify, /v1/rank, OpenAI-shaped /v1/completions, /health, /metrics",
    )
    .option("-e, --engine <spec>", ENGINE_HELP, "llama-cpp")
    .option("-m, --model <model>", "llama-cpp model", "launch/ThinkPRM-1.5B")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <n>", "port", int("--port", 0, 65535), 8000)
    .option(
      "--insecure-no-auth",
      "accept requests without a bearer token (loopback addresses only); otherwise THINKPRM_TOKEN is required",
    )
    .option("--chat-template <value>", CHAT_TEMPLATE_HELP, "r1-distill-qwen")
    .option("--max-body <bytes>", "request body cap", int("--max-body", 1024), 1_048_576)
    .option("--max-concurrent <n>", "requests running at once", int("--max-concurrent", 1, 1024), 4)
    .option(
      "--max-queue <n>",
      "requests waiting; beyond this the answer is 429 with retry-after",
      int("--max-queue", 0, 100_000),
      256,
    )
    .option("--timeout <seconds>", "per-request timeout (504 past it)", int("--timeout", 1), 600)
    .option("--max-tokens <n>", "default verification budget per round", int("--max-tokens", 1), 8172)
    .option("--threads <n>", "llama-cpp: CPU threads", int("--threads", 1, 256))
    .action(async (opts) => (await import("./commands/serve.js")).runServe(io, opts));

  const runs = program.command("runs").description("the run store: list, show, export and merge runs");
  const storeOption = () => new Option("--store <file>", "run store").default(".thinkprm/runs.sqlite");
  runs
    .command("list")
    .description("every run: id, command, status, progress, tokens")
    .addOption(storeOption())
    .option("--json", "one JSON line per run")
    .action(async (opts) => (await import("./commands/runs.js")).runRunsList(io, opts));
  runs
    .command("show")
    .description("one run's configuration, status, timings, token totals and metrics")
    .argument("<run>", "run id (a unique prefix is enough)")
    .addOption(storeOption())
    .action(async (id, opts) => (await import("./commands/runs.js")).runRunsShow(io, id, opts));
  runs
    .command("export")
    .description("a run's results, in input order")
    .argument("<run>", "run id (a unique prefix is enough)")
    .addOption(storeOption())
    .addOption(
      new Option("--format <format>", "output format")
        .choices(["jsonl", "csv"] as const)
        .default("jsonl" as const),
    )
    .action(async (id, opts) => (await import("./commands/runs.js")).runRunsExport(io, id, opts));
  runs
    .command("merge")
    .description("copy the runs, results and cache of other store files (e.g. shards) into one")
    .argument("<stores...>", "store files to merge in")
    .requiredOption("--into <file>", "the store to merge into (created if absent)")
    .action(async (sources, opts) => (await import("./commands/runs.js")).runRunsMerge(io, sources, opts));

  program
    .command("report")
    .description(
      "a static, self-contained HTML report of stored runs: configuration, metrics, plots and a chain viewer",
    )
    .argument("[runs...]", "run ids (unique prefixes are enough); default: the latest run")
    .option("--store <file>", "run store", ".thinkprm/runs.sqlite")
    .option("-o, --out <file.html>", "where to write the page", "report.html")
    .option("--png <dir>", "also write each plot as a PNG file into this folder")
    .action(async (runs, opts) => (await import("./commands/report.js")).runReport(io, runs, opts));

  registerMakingCommands(program, io);

  const dev = program.command("dev").description("developer tools");
  dev
    .command("make-model")
    .description(
      "write a model the project generates itself (no download): tiny (random qwen2), constant (the P(Yes) oracle),\nqwen-tokenizer (tiny weights, the real Qwen/R1 tokenizer), hf-tiny (a Hugging Face checkpoint folder),\nshape-1.5b (ThinkPRM-1.5B's shape, random weights, for benchmarks)",
    )
    .addOption(
      new Option("--kind <kind>", "which model")
        .choices(["tiny", "constant", "qwen-tokenizer", "hf-tiny", "shape-1.5b"] as const)
        .makeOptionMandatory(),
    )
    .requiredOption("-o, --out <path>", "where to write it (a folder for hf-tiny)")
    .option("--seed <n>", "tiny: weight seed", int("--seed", 0), 1)
    .action(async (opts) => (await import("./commands/make-model.js")).runMakeModel(io, opts));
  // the synthetic task of `npm run bench:learn` (src/synth/synthetic/)
  dev
    .command("synthetic-task")
    .description(
      "write the last-digit task (bench:learn): labelled prefixes for synth (train.jsonl) and a held-out set in ProcessBench's format",
    )
    .requiredOption("-o, --out <dir>", "the folder to write")
    .option("--seed <n>", "the seed every draw comes from", int("--seed", 0), 1)
    .option("--train <n>", "training solutions (one prefix each)", int("--train", 1), 3000)
    .option("--held-out <n>", "held-out solutions", int("--held-out", 1), 200)
    .option("--addends <list>", "how many one-digit numbers a problem adds, drawn from this list", "3,4,5")
    .option(
      "--error-rate <p>",
      "share of training solutions with one wrong step (the held-out set: always half)",
      num("--error-rate", 0, 1),
      0.75,
    )
    .option(
      "--truncate-at-error <p>",
      "share of wrong training solutions cut after the error (PRM800K's prefixes)",
      num("--truncate-at-error", 0, 1),
      0.5,
    )
    .option(
      "--partial <p>",
      "share of right training solutions cut before the answer",
      num("--partial", 0, 1),
      0.15,
    )
    .option("--json", "one JSON line: the options, files and their hashes")
    .action(async (opts) => (await import("./commands/synthetic-task.js")).runSyntheticTask(io, opts));

  return program;
}

/** Runs the CLI and returns its exit code. Never calls `process.exit`. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  if (argv.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2; // commander already printed help or the usage error
    }
    if (error instanceof CommandExit) return error.exitCode;
    if (error instanceof CliError) {
      io.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

export function processIo(): CliIo {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
  };
}
