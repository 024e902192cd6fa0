/**
 * The Python side of the tests: the `.venv` and llama.cpp source that `npm run setup:python` makes
 * (npm test runs it first). A test that needs them and finds them missing fails with the fix — it
 * is never skipped for want of set-up.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./helpers.js";

export interface PythonEnv {
  python: string;
  llamaCppDir: string;
}

let cached: PythonEnv | undefined;

export function pythonEnv(): PythonEnv {
  if (cached) return cached;
  const stamp = join(REPO_ROOT, ".venv", "thinkprm-setup.json");
  if (!existsSync(stamp))
    throw new Error(`the Python environment is not set up (${stamp} is missing): run npm run setup:python`);
  const s = JSON.parse(readFileSync(stamp, "utf8")) as PythonEnv;
  for (const p of [s.python, join(s.llamaCppDir, "convert_hf_to_gguf.py")])
    if (!existsSync(p)) throw new Error(`${p} is missing: run npm run setup:python`);
  cached = { python: s.python, llamaCppDir: s.llamaCppDir };
  return cached;
}

/** The environment a Python child gets: offline, no telemetry, one thread (the cores are shared). */
export function pythonChildEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HF_HUB_OFFLINE: "1",
    HF_DATASETS_OFFLINE: "1",
    TRANSFORMERS_OFFLINE: "1",
    HF_HUB_DISABLE_TELEMETRY: "1",
    TOKENIZERS_PARALLELISM: "false",
    OMP_NUM_THREADS: "1",
    MKL_NUM_THREADS: "1",
    PYTHONUNBUFFERED: "1",
    ...extra,
  };
}

/** Runs a Python script of the venv; returns stdout and stderr, or throws with the end of stderr. */
export function runPythonWithStderr(
  args: string[],
  options: { input?: string; cwd?: string; env?: Record<string, string> } = {},
): { stdout: string; stderr: string } {
  const { python } = pythonEnv();
  const r = spawnSync(python, args, {
    input: options.input,
    cwd: options.cwd,
    encoding: "utf8",
    env: pythonChildEnv(options.env),
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.status !== 0)
    throw new Error(`python ${args.join(" ")} exited ${r.status}:\n${(r.stderr ?? "").slice(-3000)}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

/** Runs a Python script of the venv; returns stdout, or throws with the end of stderr. */
export function runPython(
  args: string[],
  options: { input?: string; cwd?: string; env?: Record<string, string> } = {},
): string {
  return runPythonWithStderr(args, options).stdout;
}

export interface HfReference {
  tokenizer_class: string;
  rope: unknown;
  ids: number[][];
  logprobs: number[][];
}

export interface HfRequest {
  model: string;
  texts: string[];
  prompts: string[];
  candidates: string[];
}

/**
 * transformers' token ids and next-token log-probabilities for checkpoints
 * (test/python/hf_reference.py), several in one Python start.
 */
export function hfReference(requests: HfRequest[]): HfReference[] {
  const out = runPython([join(REPO_ROOT, "test/python/hf_reference.py")], {
    input: JSON.stringify({ requests }),
  });
  return JSON.parse(out) as HfReference[];
}

/**
 * llama.cpp's own convert_hf_to_gguf.py on a checkpoint (test/python/llama_cpp_convert.py);
 * returns its log (stderr).
 */
export function llamaCppConvert(checkpoint: string, out: string, type: "f32" | "f16" | "q8_0"): string {
  return runPythonWithStderr(
    [join(REPO_ROOT, "test/python/llama_cpp_convert.py"), checkpoint, "--outfile", out, "--outtype", type],
    { env: { LLAMA_CPP_DIR: pythonEnv().llamaCppDir } },
  ).stderr;
}
