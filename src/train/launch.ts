/**
 * Writing a ready-to-run recipe folder for one trainer, and launching it with its output streamed
 * line by line (progress parsed, everything kept in `train.log`). Every path inside the folder is
 * relative, so the folder can be copied to the GPU machine and started there with `sh run.sh`.
 */
import { spawn } from "node:child_process";
import { copyFileSync, createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  accelerateConfig,
  deepspeedZero3,
  llamaFactoryYaml,
  scriptArgs,
  shellQuote,
  type TrainerKind,
  type TrainPlan,
  trlArgs,
} from "./recipe.js";
import { mergeProgress, parseTrainerLine, type TrainerProgress } from "./trainer-log.js";

/** The trainer script shipped with the package (`python/thinkprm_sft.py`). */
export const SHIPPED_SCRIPT = fileURLToPath(new URL("../../python/thinkprm_sft.py", import.meta.url));

export interface Recipe {
  dir: string;
  trainer: TrainerKind;
  /** The command, run in `dir`. */
  argv: string[];
  /** Commands run after it, in `dir`, when it succeeds (merging a LoRA adapter into the base model). */
  after?: string[][];
  env: Record<string, string>;
  files: string[];
}

export interface RecipeOptions {
  /**
   * The BOS text the base model's tokenizer adds by itself when a trainer tokenises with special
   * tokens (TRL does; R1-Distill's tokenizer adds `<｜begin▁of▁sentence｜>`). Exported prompts
   * already start with it (the chat template renders it), so for such trainers it is cut from the
   * prompts, or the model would train on two. null: the tokenizer adds none.
   */
  tokenizerBos?: string | null;
}

/** The BOS an R1-Distill chat template renders (and R1-Distill tokenizers add). */
const R1_BOS = "<｜begin▁of▁sentence｜>";

/**
 * The export's prompt–completion lines for a trainer that tokenises with special tokens: a leading
 * BOS the tokenizer will add again is cut. Returns the text and how many prompts were cut.
 */
export function dataForSpecialTokenTrainer(jsonl: string, bos: string | null): { text: string; cut: number } {
  if (!bos) return { text: jsonl, cut: 0 };
  let cut = 0;
  const lines = jsonl.split("\n").map((line) => {
    if (!line.trim()) return line;
    const row = JSON.parse(line) as { prompt?: unknown };
    if (typeof row.prompt !== "string" || !row.prompt.startsWith(bos)) return line;
    cut++;
    return JSON.stringify({ ...row, prompt: row.prompt.slice(bos.length) });
  });
  return { text: lines.join("\n"), cut };
}

/** What a trainer needs from an export folder. */
export function requiredExportFiles(trainer: TrainerKind): string[] {
  return trainer === "llama-factory" ? ["thinkprm_sharegpt.json", "dataset_info.json"] : ["trl.jsonl"];
}

/** Writes the recipe folder; `exportDir` is a `thinkprm export` folder. */
export function writeRecipe(
  plan: TrainPlan,
  trainer: TrainerKind,
  exportDir: string,
  dir: string,
  python = "python3",
  options: RecipeOptions = {},
): Recipe {
  mkdirSync(join(dir, "data"), { recursive: true });
  const files: string[] = [];
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    files.push(name);
  };
  let bosCut = 0;
  for (const f of requiredExportFiles(trainer)) {
    const name = `data/${f === "trl.jsonl" ? "train.jsonl" : f}`;
    if (trainer === "trl") {
      // TRL tokenises prompts with special tokens: a BOS the tokenizer adds must not be there twice
      const bos = options.tokenizerBos === undefined ? R1_BOS : options.tokenizerBos;
      const data = dataForSpecialTokenTrainer(readFileSync(join(exportDir, f), "utf8"), bos);
      writeFileSync(join(dir, name), data.text);
      bosCut = data.cut;
    } else {
      copyFileSync(join(exportDir, f), join(dir, name));
    }
    files.push(name);
  }
  const processes = plan.gpusPerNode * plan.nodes;
  const distributed = processes > 1 || plan.deepspeed;
  if (plan.deepspeed) write("deepspeed_zero3.json", `${JSON.stringify(deepspeedZero3(plan), null, 2)}\n`);
  if (trainer !== "llama-factory") write("accelerate.yaml", accelerateConfig(plan, "deepspeed_zero3.json"));
  let argv: string[];
  const after: string[][] = [];
  // torch's intra-op threads: on a busy CPU more threads than free cores make a small model's
  // steps tens of times slower (spinning OpenMP workers), so the count is the user's to set
  const env: Record<string, string> = plan.threads
    ? { OMP_NUM_THREADS: String(plan.threads), MKL_NUM_THREADS: String(plan.threads) }
    : {};
  // the shipped script trains, and also merges the LoRA adapters other trainers write
  const mergesAdapter = trainer !== "script" && plan.method === "lora";
  if (trainer === "script" || mergesAdapter) {
    copyFileSync(SHIPPED_SCRIPT, join(dir, "thinkprm_sft.py"));
    files.push("thinkprm_sft.py");
  }
  if (mergesAdapter)
    after.push([
      python,
      "thinkprm_sft.py",
      "--merge-lora",
      plan.outputDir,
      "--output-dir",
      `${plan.outputDir}/merged`,
    ]);
  if (trainer === "script") {
    const args = scriptArgs(plan, "data/train.jsonl");
    argv = distributed
      ? ["accelerate", "launch", "--config_file", "accelerate.yaml", "thinkprm_sft.py", ...args]
      : [python, "thinkprm_sft.py", ...args];
  } else if (trainer === "trl") {
    const args = trlArgs(plan, "data");
    // `trl sft` starts one process; several devices go through accelerate with TRL's script module
    argv = distributed
      ? [
          "accelerate",
          "launch",
          "--config_file",
          "accelerate.yaml",
          "-m",
          "trl.scripts.sft",
          ...args.slice(1),
        ]
      : ["trl", ...args];
  } else {
    write("train.yaml", llamaFactoryYaml(plan, "data", "deepspeed_zero3.json"));
    argv = ["llamafactory-cli", "train", "train.yaml"];
    if (distributed)
      Object.assign(env, {
        FORCE_TORCHRUN: "1",
        NNODES: String(plan.nodes),
        NPROC_PER_NODE: String(plan.gpusPerNode),
      });
  }
  write(
    "recipe.json",
    `${JSON.stringify({ trainer, plan, argv, after, env, ...(trainer === "trl" ? { bosCutFromPrompts: bosCut } : {}) }, null, 2)}\n`,
  );
  const envText = Object.entries(env)
    .map(([k, v]) => `${k}=${shellQuote(v)} `)
    .join("");
  write(
    "run.sh",
    `#!/bin/sh\n# thinkprm train: ${trainer}, ${plan.baseModel} (${plan.size}, ${plan.method})\nset -e\ncd "$(dirname "$0")"\n${envText}${argv.map(shellQuote).join(" ")} "$@"\n${after.map((a) => `${a.map(shellQuote).join(" ")}\n`).join("")}`,
  );
  return { dir, trainer, argv, ...(after.length > 0 ? { after } : {}), env, files };
}

export interface LaunchResult {
  exitCode: number;
  progress: TrainerProgress;
  /** The last lines of output, for an error message. */
  tail: string[];
}

/**
 * Runs the recipe's command in its folder. Output goes to `train.log` and, line by line, to
 * `onLine` with whatever progress the line carries. Resolves when the process exits.
 */
export async function launchRecipe(
  recipe: Recipe,
  onLine: (line: string, progress: TrainerProgress | null) => void,
  options: { extraEnv?: NodeJS.ProcessEnv; signal?: AbortSignal } = {},
): Promise<LaunchResult> {
  let result = await runCommand(recipe, recipe.argv, onLine, options, {});
  for (const argv of recipe.after ?? []) {
    if (result.exitCode !== 0) break;
    result = await runCommand(recipe, argv, onLine, options, result.progress);
  }
  return result;
}

/** Runs one command of the recipe in its folder, appending its output to `train.log`. */
function runCommand(
  recipe: Recipe,
  argv: string[],
  onLine: (line: string, progress: TrainerProgress | null) => void,
  options: { extraEnv?: NodeJS.ProcessEnv; signal?: AbortSignal },
  initial: TrainerProgress,
): Promise<LaunchResult> {
  const [command, ...args] = argv;
  if (!command) throw new Error("empty command");
  const log = createWriteStream(join(recipe.dir, "train.log"), { flags: "a" });
  let state: TrainerProgress = { ...initial };
  const tail: string[] = [];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: recipe.dir,
      env: { ...process.env, ...options.extraEnv, ...recipe.env },
      stdio: ["ignore", "pipe", "pipe"],
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const handle = (line: string) => {
      if (!line.trim()) return;
      tail.push(line);
      if (tail.length > 20) tail.shift();
      const p = parseTrainerLine(line, { bars: recipe.trainer !== "script" });
      if (p) state = mergeProgress(state, p);
      onLine(line, p);
    };
    // one buffer per stream; a bar redrawn with \r counts as a line, and what is left at exit too
    const streams = [child.stdout, child.stderr].map((stream) => {
      let buffered = "";
      stream.on("data", (chunk: Buffer) => {
        log.write(chunk);
        buffered += chunk.toString("utf8");
        const lines = buffered.split(/\r?\n|\r/);
        buffered = lines.pop() ?? "";
        for (const line of lines) handle(line);
      });
      return { flush: () => handle(buffered) };
    });
    child.on("error", (error: NodeJS.ErrnoException) => {
      log.end();
      if (error.code === "ENOENT")
        reject(
          new Error(
            `cannot start ${command}: not found on PATH (run npm run setup:python for the project's .venv, install the trainer, or pass --python)`,
          ),
        );
      else reject(error);
    });
    child.on("close", (code, signal) => {
      for (const s of streams) s.flush();
      log.end(() => resolve({ exitCode: code ?? (signal ? 128 : 1), progress: state, tail }));
    });
  });
}

/** True when the folder holds what the trainer needs. */
export function missingExportFiles(trainer: TrainerKind, exportDir: string): string[] {
  return requiredExportFiles(trainer).filter((f) => !existsSync(join(exportDir, f)));
}
