/**
 * Which Python a launched trainer runs with: `--python` when given; else the `.venv` that
 * `npm run setup:python` makes (in the working directory, or beside this package), activated by
 * putting its `bin/` first on PATH so that `python3`, `trl` and `accelerate` in a recipe resolve
 * to it; else whatever is on PATH. Recipes themselves name plain `python3`/`trl`, so the folder
 * still runs as is on another machine.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The package's root folder (where `npm run setup:python` puts `.venv`). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

const venvPython = (venv: string) =>
  process.platform === "win32" ? join(venv, "Scripts", "python.exe") : join(venv, "bin", "python");

/** The first `<dir>/.venv` with a Python in it. */
export function findVenv(dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    const venv = join(dir, ".venv");
    if (existsSync(venvPython(venv))) return venv;
  }
  return undefined;
}

/** The environment that activates a venv for a child process. */
export function activateVenv(venv: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const bin = dirname(venvPython(venv));
  return { ...env, VIRTUAL_ENV: venv, PATH: `${bin}${delimiter}${env.PATH ?? ""}` };
}

export interface TrainerPython {
  /** The interpreter a recipe's `python3` resolves to when launched. */
  python: string;
  /** The venv activated for the launch, if any. */
  venv?: string;
  /** Extra environment for the launched trainer. */
  env: NodeJS.ProcessEnv;
}

/**
 * Resolves the trainer's Python: an explicit `--python` (resolved against `cwd` when it is a path),
 * else the first `.venv` in `cwd` or the package root, else `python3` from PATH.
 */
export function trainerPython(
  cwd: string,
  explicit: string | undefined,
  env: NodeJS.ProcessEnv,
): TrainerPython {
  if (explicit !== undefined) {
    const python = /[/\\]/.test(explicit) ? resolve(cwd, explicit) : explicit;
    return { python, env: {} };
  }
  const venv = findVenv([cwd, PACKAGE_ROOT]);
  if (venv) return { python: "python3", venv, env: activateVenv(venv, env) };
  return { python: "python3", env: {} };
}

/** Whether torch in that Python sees a CUDA device (undefined when torch cannot be imported). */
export function torchHasCuda(python: string, env: NodeJS.ProcessEnv): boolean | undefined {
  const r = spawnSync(python, ["-c", "import torch; print(int(torch.cuda.is_available()))"], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  if (r.status !== 0) return undefined;
  return r.stdout.trim() === "1";
}
