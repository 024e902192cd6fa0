/**
 * The learned-verifier pipeline as a user types it: every stage is the real CLI (`node
 * bin/thinkprm.js …`) or the shipped Python script, spawned as a child process. Shared by
 * `npm run bench:learn` and its short version in test/learn/pipeline.test.ts.
 *
 *   thinkprm dev synthetic-task → thinkprm synth --teacher synthetic-teacher → thinkprm export
 *   → python python/thinkprm_init_student.py → thinkprm convert (the untrained model)
 *   → thinkprm train --launch → thinkprm convert → thinkprm eval processbench
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BUILTIN_CHAT_TEMPLATES } from "../src/engines/chat-template.js";

export const REPO = resolve(fileURLToPath(new URL("..", import.meta.url)));
const BIN = join(REPO, "bin/thinkprm.js");

/** Every number of a run, so that a result names exactly how it was made. */
export interface LearnRecipe {
  seed: number;
  task: { train: number; heldOut: number; addends: string };
  teacher: string;
  synth: { perPrefix: number; temperature: number; until: number };
  student: {
    hidden: number;
    layers: number;
    heads: number;
    kvHeads: number;
    intermediate: number;
    vocab: number;
  };
  /** `batch`: the effective batch (`thinkprm train --batch` where it exists, else the paper's 32). */
  train: { epochs: number; lr: number; batch: number; maxSteps?: number };
  evaluation: { maxTokens: number; ks: number[]; untrainedLimit: number };
}

/** The recipe of the committed fixture (test/fixtures/learned/RECIPE.md) with seed 1. */
export function fullRecipe(seed = 1): LearnRecipe {
  return {
    seed,
    task: { train: 6000, heldOut: 200, addends: "3,4,5" },
    teacher: "synthetic-teacher",
    synth: { perPrefix: 4, temperature: 0.1, until: 6000 },
    student: { hidden: 128, layers: 4, heads: 4, kvHeads: 2, intermediate: 384, vocab: 1024 },
    train: { epochs: 4, lr: 2e-3, batch: 16 },
    evaluation: { maxTokens: 192, ks: [1, 4], untrainedLimit: 40 },
  };
}

/** A few dozen training steps of a smaller student: the pipeline holds, nothing more. */
export function quickRecipe(seed = 1): LearnRecipe {
  const full = fullRecipe(seed);
  return {
    ...full,
    task: { train: 300, heldOut: 20, addends: "3" },
    synth: { ...full.synth, until: 300 },
    student: { ...full.student, hidden: 64, layers: 2, intermediate: 128 },
    train: { ...full.train, maxSteps: 30, batch: 8 },
    evaluation: { maxTokens: 96, ks: [1], untrainedLimit: 5 },
  };
}

export interface Stage {
  name: string;
  seconds: number;
  /** CPU seconds of the stage's finished child processes (null where /proc is not there). */
  cpuSeconds: number | null;
  /** How many processes of the stage ran side by side (each single-threaded). */
  parallel: number;
}

/**
 * CPU seconds used so far by this process's finished children and their own waited-for children
 * (cutime + cstime of /proc/self/stat): what a stage would take on idle cores, whatever else the
 * machine was doing meanwhile. Linux only; null elsewhere.
 */
export function childCpuSeconds(): number | null {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state): cutime and cstime are fields 16 and 17
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return null;
  }
}

/** Runs a command; resolves with its output, rejects with the tail of stderr when it fails. */
export function run(
  argv: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; log?: (line: string) => void },
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
      for (const line of d.toString().split("\n")) if (line.trim()) options.log?.(line);
    });
    child.on("error", fail);
    child.on("close", (code) => {
      if (code === 0) done({ stdout, stderr });
      else
        fail(
          new Error(
            `${argv.slice(0, 3).join(" ")} … exited with ${code}:\n${(stderr || stdout).split("\n").slice(-12).join("\n")}`,
          ),
        );
    });
  });
}

/** `thinkprm …` in `cwd`. */
export const thinkprm = (args: string[], cwd: string, env?: NodeJS.ProcessEnv) =>
  run([process.execPath, BIN, ...args], { cwd, ...(env ? { env } : {}) });

/** The last line of stdout as JSON (the `--json` output of a command). */
export function lastJson<T>(stdout: string): T {
  const line = stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(line) as T;
}

/** The newest modification time under a folder. */
function newest(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds dist/ when src/ is newer, so `bin/thinkprm.js` runs the code in this checkout. */
export function ensureBuilt(): boolean {
  const main = join(REPO, "dist/cli/main.js");
  if (existsSync(main) && statSync(main).mtimeMs >= newest(join(REPO, "src"))) return false;
  const r = spawnSync(
    process.execPath,
    [join(REPO, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
    {
      cwd: REPO,
      stdio: "inherit",
    },
  );
  if (r.status !== 0) throw new Error("npm run build failed; fix the build first");
  return true;
}

/**
 * A Python that can train: `explicit`, else THINKPRM_PYTHON, else the `.venv` of `npm run
 * setup:python`, else `python3`; null (with the reason) when it lacks torch, transformers,
 * accelerate or tokenizers.
 */
export function findPython(explicit?: string): { python: string } | { python: null; why: string } {
  const candidates = [
    explicit,
    process.env.THINKPRM_PYTHON,
    join(REPO, ".venv/bin/python"),
    "python3",
  ].filter((p): p is string => typeof p === "string" && p !== "" && (!p.includes("/") || existsSync(p)));
  for (const python of candidates) {
    const r = spawnSync(python, ["-c", "import torch, transformers, accelerate, tokenizers"], {
      encoding: "utf8",
    });
    if (r.status === 0) return { python };
  }
  return {
    python: null,
    why: `no Python with torch, transformers, accelerate and tokenizers (tried ${candidates.join(", ")}); run npm run setup:python or set THINKPRM_PYTHON`,
  };
}

export interface SynthResult {
  run: string;
  prefixes: number;
  sampled: number;
  kept: number;
  reasons: Record<string, number>;
}

/** `thinkprm synth` with the synthetic teacher, then `thinkprm export --format trl`. */
export async function synthAndExport(
  dir: string,
  recipe: LearnRecipe,
  filter: "process" | "outcome",
): Promise<SynthResult> {
  const { stdout } = await thinkprm(
    [
      "synth",
      "--teacher",
      recipe.teacher,
      "--source",
      "jsonl:task/train.jsonl",
      "--filter",
      filter,
      "--per-prefix",
      String(recipe.synth.perPrefix),
      "--temperature",
      String(recipe.synth.temperature),
      "--until",
      String(recipe.synth.until),
      "--seed",
      String(recipe.seed),
      "--store",
      "runs.sqlite",
      "--json",
      "-q",
    ],
    dir,
  );
  const result = lastJson<SynthResult>(stdout);
  await thinkprm(
    [
      "export",
      "--run",
      result.run,
      "--store",
      "runs.sqlite",
      "--format",
      "trl",
      "--chat-template",
      "r1-distill-qwen",
      "--out",
      `ft-${filter}`,
    ],
    dir,
  );
  return result;
}

/** The initial student from both fine-tuning sets' text (one tokenizer and one init for both runs). */
export async function initStudent(dir: string, recipe: LearnRecipe, python: string) {
  const template = join(dir, "r1-distill-qwen.jinja");
  writeFileSync(template, BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"].source);
  const s = recipe.student;
  const { stdout } = await run(
    [
      python,
      join(REPO, "python/thinkprm_init_student.py"),
      "--corpus",
      "ft-process/trl.jsonl",
      "--corpus",
      "ft-outcome/trl.jsonl",
      "--chat-template",
      template,
      "--out",
      "student-init",
      "--vocab-size",
      String(s.vocab),
      "--hidden",
      String(s.hidden),
      "--layers",
      String(s.layers),
      "--heads",
      String(s.heads),
      "--kv-heads",
      String(s.kvHeads),
      "--intermediate",
      String(s.intermediate),
      "--seed",
      String(recipe.seed),
    ],
    { cwd: dir, env: { OMP_NUM_THREADS: "1" } },
  );
  await thinkprm(["convert", "student-init", "-o", "untrained.gguf", "--type", "f32"], dir);
  return lastJson<{
    parameters: number;
    vocab: number;
    mean_prompt_tokens: number;
    mean_completion_tokens: number;
  }>(stdout);
}

export interface TrainResult {
  steps: number;
  finalLoss: number | null;
  checkpoint: string;
  seconds: number;
}

/** `thinkprm train --launch` with the shipped script, one CPU thread, then `thinkprm convert`. */
export async function trainAndConvert(
  dir: string,
  recipe: LearnRecipe,
  filter: "process" | "outcome",
  python: string,
): Promise<TrainResult> {
  const t0 = performance.now();
  const t = recipe.train;
  const { stdout } = await thinkprm(
    [
      "train",
      "--data",
      `ft-${filter}`,
      "--base-model",
      join(dir, "student-init"),
      "--size",
      "1.5b",
      "--trainer",
      "script",
      "--epochs",
      String(t.epochs),
      "--lr",
      String(t.lr),
      "--batch",
      String(t.batch),
      "--per-device-batch",
      String(t.batch),
      "--device",
      "cpu",
      "--threads",
      "1",
      "--max-length",
      "1024",
      ...(t.maxSteps ? ["--max-steps", String(t.maxSteps)] : []),
      "--seed",
      String(recipe.seed),
      "--python",
      python,
      "--out",
      `recipe-${filter}`,
      "--store",
      "runs.sqlite",
      "--launch",
      "--json",
      "-q",
    ],
    dir,
    // one thread per trainer: two run side by side on two cores, faster than one after the other
    { OMP_NUM_THREADS: "1" },
  );
  const r = lastJson<{ steps: number; finalLoss: number | null; checkpoint: string }>(stdout);
  await thinkprm(["convert", r.checkpoint, "-o", `learned-${filter}.gguf`, "--type", "f32"], dir);
  return { ...r, seconds: (performance.now() - t0) / 1000 };
}

export interface EvalRow {
  model: string;
  k: number;
  items: number;
  f1: number;
  binaryF1: number;
  invalidRate: number;
  meanTokens: number | null;
  seconds: number;
}

/** `thinkprm eval processbench` on the held-out set, on the embedded llama.cpp engine. */
export async function evaluate(
  dir: string,
  recipe: LearnRecipe,
  model: string,
  k: number,
  limit?: number,
): Promise<EvalRow> {
  const t0 = performance.now();
  const { stdout } = await thinkprm(
    [
      "eval",
      "processbench",
      "-m",
      `${model}.gguf`,
      "--data-dir",
      "task/held-out",
      "--subsets",
      "last-digit",
      "-k",
      String(k),
      "--max-tokens",
      String(recipe.evaluation.maxTokens),
      "--seed",
      String(recipe.seed),
      "--chat-template",
      "r1-distill-qwen",
      "--threads",
      "1",
      ...(limit ? ["--limit", String(limit)] : []),
      "--predictions-out",
      `predictions-${model}-k${k}.jsonl`,
      "--store",
      "runs.sqlite",
      "--json",
      "-q",
    ],
    dir,
  );
  const m = lastJson<{ subsets: Record<string, Omit<EvalRow, "model" | "k" | "seconds">> }>(stdout).subsets[
    "last-digit"
  ]!;
  return {
    model,
    k,
    items: m.items,
    f1: m.f1,
    binaryF1: m.binaryF1,
    invalidRate: m.invalidRate,
    meanTokens: m.meanTokens,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Runs `jobs` at most `width` at a time, results in order. */
export async function pool<T>(width: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
  return out;
}

/** A fresh working folder. */
export function workFolder(path: string): string {
  mkdirSync(path, { recursive: true });
  if (readdirSync(path).length > 0) throw new Error(`${path} is not empty; pass a new folder`);
  return path;
}
