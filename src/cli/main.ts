/**
 * The `thinkprm` command line. Sub-commands are declared here (so `--help` is complete and fast)
 * and their code is loaded only when they run. `runCli` takes its streams as arguments, so tests
 * run the real CLI in-process.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "@commander-js/extra-typings";
import { EngineError } from "../engines/errors.js";
import { int, num } from "./arg-parsers.js";
import { CHAT_TEMPLATE_HELP } from "./chat-template-option.js";
import { registerMakingCommands } from "./commands-making.js";
import { registerVerifyingCommands } from "./commands-verifying.js";
import { EXAMPLES } from "./examples.js";
import { interruptSignal } from "./interrupt.js";
import { CliError, type CliIo, CommandExit } from "./io.js";
import { safeText } from "./safe-text.js";

/** The package's version, from its package.json (two folders above this file, built or not). */
function packageVersion(): string {
  try {
    const url = new URL("../../package.json", import.meta.url);
    return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

function buildProgram(io: CliIo) {
  const program = new Command()
    .name("thinkprm")
    .description(
      "Generative process reward models (ThinkPRM): verify step-by-step solutions with a verifier that thinks,\nand read a score P(Yes)/(P(Yes)+P(No)) plus a judgment for every step.",
    )
    .version(packageVersion(), "-V, --version", "print the version")
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
    .option("--chat-template <value>", CHAT_TEMPLATE_HELP, "auto")
    .option("-m, --model <path>", "the local model (.gguf or checkpoint folder) whose template auto reads")
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
    .option("--json", "one JSON line: tensors, the hyper-parameters read, the chat template's source")
    .action(async (checkpoint, opts) =>
      (await import("./commands/convert.js")).runConvert(io, checkpoint, opts),
    );

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
  runs
    .command("delete")
    .description("remove runs with their results (their cached engine calls stay: they are keyed by content)")
    .argument("<runs...>", "run ids (unique prefixes are enough)")
    .addOption(storeOption())
    .action(async (ids, opts) => (await import("./commands/runs.js")).runRunsDelete(io, ids, opts));
  program
    .command("cache")
    .description("the run store's cache of engine calls")
    .command("clear")
    .description("remove every cached engine call (results of runs stay)")
    .addOption(storeOption())
    .action(async (opts) => (await import("./commands/runs.js")).runCacheClear(io, opts));

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

  program
    .command("recipe")
    .description(
      "the paper's experiments as files: ProcessBench compute scaling, best-of-N selection, the filter ablation",
    )
    .command("run")
    .description(
      "run a recipe (YAML or JSON): its commands in order, one run store, then its table printed and a report page written;\npaths in the recipe are relative to its folder; the verifier's seed is fixed (settings.seed, default 0), so a rerun\nresumes an interrupted step and answers finished ones from the store's cache",
    )
    .argument("<file>", "the recipe (see examples/recipes/)")
    .addOption(storeOption())
    .option("-o, --out <file.html>", "the report page (default: the recipe's out, next to the recipe)")
    .option("--dry-run", "validate the recipe and print the commands it would run")
    .option("-q, --quiet", "no progress output")
    .option("--json", "one JSON line: the table, the runs and the report's path")
    .action(async (file, opts) => (await import("./commands/recipe.js")).runRecipe(io, file, opts));

  registerVerifyingCommands(program, io);
  registerMakingCommands(program, io);

  const dev = program.command("dev").description("developer tools");
  dev
    .command("make-model")
    .description(
      "write a model the project generates itself (no download): tiny (random qwen2), constant (the P(Yes) oracle),\nqwen-tokenizer (tiny weights, the real Qwen/R1 tokenizer), hf-tiny (a Hugging Face checkpoint folder\nthat transformers loads), hf-qwen-tokenizer (the same with the real R1-Distill-Qwen tokenizer),\nshape-1.5b (ThinkPRM-1.5B's shape, random weights, for benchmarks)",
    )
    .addOption(
      new Option("--kind <kind>", "which model")
        .choices([
          "tiny",
          "constant",
          "qwen-tokenizer",
          "hf-tiny",
          "hf-qwen-tokenizer",
          "shape-1.5b",
        ] as const)
        .makeOptionMandatory(),
    )
    .requiredOption("-o, --out <path>", "where to write it (a folder for hf-tiny and hf-qwen-tokenizer)")
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
    .option("--train <n>", "training solutions (one prefix each)", int("--train", 1, 1_000_000), 3000)
    .option("--held-out <n>", "held-out solutions", int("--held-out", 1, 100_000), 200)
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
    .option(
      "--bon-problems <n>",
      "best-of-N problems (bon.jsonl, for eval bon)",
      int("--bon-problems", 1, 100_000),
      50,
    )
    .option(
      "--bon-n <n>",
      "candidates per best-of-N problem, each wrong with probability 1/2",
      int("--bon-n", 1, 64),
      8,
    )
    .option("--json", "one JSON line: the options, files and their hashes")
    .action(async (opts) => (await import("./commands/synthetic-task.js")).runSyntheticTask(io, opts));

  return program;
}

/** Errors whose message is for the user: bad input (files, flags, a refused resume, a store that cannot be used). */
const USER_ERRORS = new Set([
  "ConfigMismatchError",
  "AmbiguousRunError",
  "RunNotFoundError",
  "RunBusyError",
  "RunStoreError",
  "EngineSpecError",
  "ChatTemplateError",
  "InputError",
  "GgufFormatError",
  "HubError",
]);

/**
 * The exit code of an engine failure (README "Exit codes"): 1 when the engine failed — a server
 * that cannot be reached (retryable), an error answer, a capability it lacks (a code); 2 when
 * what the user gave is wrong (code `other`, not retryable: an engine spec, a script, a model file).
 */
function engineExitCode(error: Error): number | undefined {
  if (!EngineError.isInstance(error)) return undefined;
  return error.isRetryable || error.code !== "other" ? 1 : 2;
}

/** SQLite failures that mean the store file itself is bad (met after it opened: a page past a truncation). */
const DAMAGED_STORE = /^SQLITE_(CORRUPT|NOTADB)/;

// biome-ignore lint/suspicious/noExplicitAny: any command of the tree
type AnyCommand = Command<any, any, any>;

/** Every command of the tree with its path (`runs export`), the program itself left out. */
export function commandTree(program: AnyCommand, prefix = ""): { path: string; command: AnyCommand }[] {
  return program.commands.flatMap((c) => {
    const path = `${prefix}${c.name()}`;
    return [{ path, command: c as AnyCommand }, ...commandTree(c as AnyCommand, `${path} `)];
  });
}

/** The program with every command's example in its --help. */
export function buildCli(io: CliIo): AnyCommand {
  const program = buildProgram(io);
  for (const { path, command } of commandTree(program)) {
    const lines = EXAMPLES[path];
    if (lines)
      command.addHelpText(
        "after",
        `\nExample${lines.length > 1 ? "s" : ""}:\n${lines.map((l) => `  $ ${l}`).join("\n")}`,
      );
  }
  return program;
}

/** Runs the CLI and returns its exit code. Never calls `process.exit`. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildCli(io);
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
    // messages quote input (a JSON parser's excerpt, an id): printed safe for a terminal
    if (error instanceof CliError) {
      io.stderr.write(`error: ${safeText(error.message)}\n`);
      return error.exitCode;
    }
    // the library's typed, user-facing failures: their message says what to do; no stack trace
    const exitCode =
      error instanceof Error
        ? (engineExitCode(error) ?? (USER_ERRORS.has(error.name) ? 2 : undefined))
        : undefined;
    if (exitCode !== undefined) {
      io.stderr.write(`error: ${safeText((error as Error).message)}\n`);
      return exitCode;
    }
    const sqliteCode = (error as { code?: unknown } | null)?.code;
    if (error instanceof Error && typeof sqliteCode === "string" && DAMAGED_STORE.test(sqliteCode)) {
      io.stderr.write(
        `error: the run store is damaged (SQLite says: ${safeText(error.message)}); move it away (a new store is made in its place) or pass --store <another file>\n`,
      );
      return 2;
    }
    io.stderr.write(
      `error: ${safeText(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`,
    );
    return 1;
  }
}

/** The real process's streams; `signal` installs the Ctrl-C handling when a command first asks for it. */
export function processIo(): CliIo {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    get signal() {
      return interruptSignal(process.stderr);
    },
  };
}
