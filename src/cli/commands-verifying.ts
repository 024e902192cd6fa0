/**
 * The commands that run a verifier — verify, eval processbench, eval bon, search, serve — declared
 * apart from main.ts. Their verifier, engine and run-loop flags all come from the same builders
 * (`settings-options.ts`), derived from the library's schemas: one name, bound and default each.
 */
import { type Command, Option } from "@commander-js/extra-typings";
import { collect, int, num } from "./arg-parsers.js";
import type { CliIo } from "./io.js";
import {
  addEngineOptions,
  addLoopOptions,
  addVerifierOptions,
  flagsGiven,
  optionsAddedBy,
} from "./settings-options.js";

type Opts = Record<string, unknown>;

// biome-ignore lint/suspicious/noExplicitAny: commander's typed builder carries the parent's option types
export function registerVerifyingCommands(program: Command<any, any, any>, io: CliIo): void {
  const verify = program
    .command("verify")
    .description("verify one solution (--problem with --step/--solution) or a JSONL file of them")
    .option(
      "-i, --input <file>",
      "JSONL of {id?, problem, steps | solution}; stdin when no --input and no --problem",
    )
    .option("--problem <text>", "verify one solution: the problem")
    .option("--step <text>", "a step of that solution (repeat in order)", collect)
    .option("--solution <text>", "that solution as one text (split into steps)")
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
    .option("--json", "one JSON line per verification");
  addLoopOptions(addVerifierOptions(addEngineOptions(verify)));
  verify.action(async (opts) => (await import("./commands/verify.js")).runVerify(io, opts as Opts));

  const evalCmd = program
    .command("eval")
    .description("evaluations: best-of-N (MATH, AIME, GPQA, LiveCodeBench) and ProcessBench");

  const pb = evalCmd
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
      "--data <file>",
      "one file of ProcessBench items (JSON array or JSONL of {id, problem, steps, label}) instead of --data-dir/--subsets",
    )
    .option(
      "--no-errata",
      "use the labels as released (by default math-688's label is corrected, ProcessBench issue #9)",
    )
    .option(
      "--predictions <file>",
      "score this predictions JSONL {id, prediction, label?, tokens?} instead of running a verifier",
    )
    .option("--predictions-out <file>", "also write the predictions as JSONL")
    .option(
      "--limit <k>",
      "take k items of each subset, a seeded sample across labels (the files are sorted by label)",
      int("--limit", 1),
    )
    .option("--sample-seed <n>", "which sample --limit takes (default 0)", int("--sample-seed", 0))
    .option("-q, --quiet", "no progress display")
    .option("--json", "metrics as JSON");
  addLoopOptions(addVerifierOptions(addEngineOptions(pb)));
  pb.action(async (opts) =>
    (await import("./commands/eval-processbench.js")).runEvalProcessBench(io, opts as Opts),
  );

  const bon = evalCmd
    .command("bon")
    .description(
      "best-of-N accuracy (naive, weighted, majority) and pass@n at n = 1, 2, 4, …, N over a candidate set, scored by the file or by a verifier now (-e <engine>, or -m <model.gguf> for the embedded engine)",
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
    .option("--data-dir <folder>", "where math500/ and aime24/ live", "../shared/data")
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
    .option("--generator-template <value>", "the generator's chat template", "qwen2.5")
    .option("-N, --samples <n>", "candidates per problem when generating", int("--samples", 1, 1024), 8)
    .option("--gen-temperature <t>", "generator sampling temperature", num("--gen-temperature", 0, 2), 0.8)
    .option("--gen-max-tokens <n>", "generator budget per candidate", int("--gen-max-tokens", 1), 2048)
    .option("--gen-seed <n>", "generator seed", int("--gen-seed", 0), 42)
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
    .option("-q, --quiet", "no progress display")
    .option("--json", "the curve and flag agreement as JSON");
  const generatorKeys = optionsAddedBy(bon, () =>
    addEngineOptions(bon, {
      prefix: "generator",
      engineHelp: "with --generate: the engine that writes candidates",
    }),
  );
  // the verifier's flags (but -e and -m, which ask for one), to refuse those typed without a verifier
  const verifierKeys = optionsAddedBy(bon, () =>
    addVerifierOptions(addEngineOptions(bon, { engineDefault: null }), { defaults: { layout: "plain" } }),
  ).filter((k) => k !== "engine" && k !== "model");
  addLoopOptions(bon, { shard: false });
  bon.action(async (opts, cmd) =>
    (await import("./commands/eval-bon.js")).runEvalBon(io, opts as Opts, {
      verifier: flagsGiven(cmd, verifierKeys),
      generator: flagsGiven(cmd, [...generatorKeys, ...GENERATION_KEYS]),
    }),
  );

  const search = program
    .command("search")
    .description(
      "verifier-guided search: best-of-N generation, beam search or DVTS with a generator engine and a verifier, per problem; writes candidates, scores and the chosen answer",
    )
    .option("--dataset <name|file>", "math500, aime24, or a JSONL of {id?, problem, answer?}")
    .option("--data-dir <folder>", "where math500/ and aime24/ live", "../shared/data")
    .addOption(
      new Option(
        "--method <method>",
        "bon: N samples, each verified; beam: beam search; dvts: N/M independent beams",
      )
        .choices(["bon", "beam", "dvts"] as const)
        .default("beam" as const),
    )
    .option("-N, --beams <n>", "N: samples (bon) or beams kept alive (the paper: 16)", int("-N", 1, 1024), 16)
    .option("-M, --beam-width <n>", "M: candidates per beam (the paper: 4)", int("-M", 1, 256), 4)
    .option("--depth <n>", "iterations (steps) at most (the paper: 20)", int("--depth", 1, 200), 20)
    .option("--generator-template <value>", "the generator's chat template", "qwen2.5")
    .option(
      "--gen-temperature <t>",
      "generator sampling temperature (the paper: 0.6)",
      num("--gen-temperature", 0, 2),
      0.6,
    )
    .option(
      "--gen-max-tokens <n>",
      "generator budget per step (per sample for bon)",
      int("--gen-max-tokens", 1),
      2048,
    )
    .option("--gen-seed <n>", "generator seed", int("--gen-seed", 0), 42)
    .option("--limit <k>", "only the first k problems", int("--limit", 1))
    .option(
      "-o, --out <file>",
      "also write one JSON line per problem (completions, scores, the chosen answer)",
    )
    .option("-q, --quiet", "no progress display")
    .option("--json", "one JSON line per problem on stdout");
  addEngineOptions(search, {
    prefix: "generator",
    engineHelp: "(required) the engine that writes solution steps",
  });
  addLoopOptions(addVerifierOptions(addEngineOptions(search), { omit: ["method"] }));
  search.action(async (opts) => (await import("./commands/search.js")).runSearch(io, opts as Opts));

  const serve = program
    .command("serve")
    .description(
      "the verifier as an HTTP service: /v1/verify, /v1/rank, OpenAI-shaped /v1/completions, /health, /metrics; the verifier flags are the defaults of every request",
    )
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <n>", "port", int("--port", 0, 65535), 8000)
    .option(
      "--insecure-no-auth",
      "accept requests without a bearer token (loopback addresses only); otherwise THINKPRM_TOKEN is required",
    )
    .option("--max-body <bytes>", "request body cap", int("--max-body", 1024), 1_048_576)
    .option("--max-concurrent <n>", "requests running at once", int("--max-concurrent", 1, 1024), 4)
    .option(
      "--max-queue <n>",
      "requests waiting; beyond this the answer is 429 with retry-after",
      int("--max-queue", 0, 100_000),
      256,
    )
    .option("--timeout <seconds>", "per-request timeout (504 past it)", int("--timeout", 1), 600);
  addVerifierOptions(addEngineOptions(serve), { omit: ["method"] });
  serve.action(async (opts) => (await import("./commands/serve.js")).runServe(io, opts as Opts));
}

/** eval bon's options that only --generate reads (besides the generator engine's own). */
const GENERATION_KEYS = [
  "generatorTemplate",
  "samples",
  "genTemperature",
  "genMaxTokens",
  "genSeed",
  "dataset",
];
