import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { runCli } from "../../src/cli/main.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real CLI in-process with the given stdin and working directory. `signal` stands for
 * Ctrl-C (what `processIo` wires to SIGINT); `onStdout` sees each write as it happens;
 * `stdinIsTTY` makes stdin look like a terminal.
 */
export async function cli(
  argv: string[],
  options: {
    stdin?: string;
    cwd?: string;
    env?: Record<string, string>;
    signal?: AbortSignal;
    onStdout?: (text: string) => void;
    stdinIsTTY?: boolean;
  } = {},
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const stdin = Readable.from(options.stdin === undefined ? [] : [options.stdin]);
  if (options.stdinIsTTY) Object.assign(stdin, { isTTY: true });
  const code = await runCli(argv, {
    stdin,
    stdout: {
      write: (s: string) => {
        stdout += s;
        options.onStdout?.(s);
      },
    },
    stderr: { write: (s: string) => (stderr += s) },
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { code, stdout, stderr };
}

/** A fresh temporary directory with the given files. */
export function workdir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "thinkprm-cli-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}
