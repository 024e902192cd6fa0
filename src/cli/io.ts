/** What a command may touch: its streams and environment, injectable for in-process tests. */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { Readable } from "node:stream";
import type { StepSplitRule } from "../core/step-split.js";
import type { SolutionInput } from "../core/types.js";
import { InputError, openInput, readJsonl } from "../datasets/jsonl.js";
import { itemKeys } from "../datasets/keys.js";
import { toSolutionInput } from "../datasets/solution-records.js";

export interface CliIo {
  stdin: Readable;
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
  /** Aborted on SIGINT/SIGTERM: long jobs stop launching, leave their items for a resume. */
  signal?: AbortSignal;
}

/** A user-facing failure: printed as `error: <message>` with exit code 2, no stack trace. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

/** Thrown by a command to end with a non-zero exit code after printing its own output. */
export class CommandExit extends Error {
  readonly exitCode: number;
  constructor(exitCode: number) {
    super(`exit ${exitCode}`);
    this.exitCode = exitCode;
  }
}

export function resolvePath(io: CliIo, path: string): string {
  return resolve(io.cwd, path);
}

/**
 * On a terminal, reading stdin looks like a hang: say what is awaited and how to end it (stderr,
 * so piped output stays clean).
 */
function announceStdin(io: CliIo, what: string, format: string | undefined): void {
  if ((io.stdin as { isTTY?: boolean }).isTTY)
    io.stderr.write(
      `reading ${what} from stdin (${format ? `${format}, ` : ""}Ctrl-D to end; --help for usage)\n`,
    );
}

/**
 * Reads a whole text file (or stdin for `-` / no path). `what` names the content in messages
 * ("input file not found", "reading input from stdin"); `format` is said when stdin is a terminal.
 */
export async function readText(
  io: CliIo,
  path: string | undefined,
  what: string,
  format?: string,
): Promise<string> {
  if (path === undefined || path === "-") {
    announceStdin(io, what, format);
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin)
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    return Buffer.concat(chunks).toString("utf8");
  }
  const full = resolvePath(io, path);
  if (!existsSync(full)) throw new CliError(`${what} file not found: ${path}`);
  return readFileSync(full, "utf8");
}

/** All solution records of `--input <file>` or stdin, with the input's content hash (a run's identity). */
export async function loadSolutionInputs(
  io: CliIo,
  input: string | undefined,
  splitRule: StepSplitRule,
): Promise<{ items: SolutionInput[]; keys: string[]; source: string; sha256: string }> {
  const fromStdin = input === undefined || input === "-";
  const source = fromStdin ? "<stdin>" : input;
  let text: string;
  if (fromStdin) {
    text = await readText(io, undefined, "solutions", "JSONL");
  } else {
    const full = resolvePath(io, input);
    if (!existsSync(full) || !statSync(full).isFile()) {
      throw new CliError(
        `input file not found: ${input} (give a JSONL file of {problem, steps} records, or pipe it on stdin)`,
      );
    }
    text = readFileSync(full, "utf8");
  }
  const items: SolutionInput[] = [];
  const lines: number[] = [];
  let keys: string[];
  try {
    for await (const line of readJsonl(Readable.from([text]), source)) {
      items.push(toSolutionInput(line, source, splitRule));
      lines.push(line.line);
    }
    keys = itemKeys(items, lines, source);
  } catch (error) {
    if (error instanceof InputError) throw new CliError(error.message);
    throw error;
  }
  return { items, keys, source, sha256: createHash("sha256").update(text).digest("hex") };
}

/** Streams solution records from `--input <file>` or stdin. */
export async function* readSolutionInputs(
  io: CliIo,
  input: string | undefined,
  splitRule: StepSplitRule,
): AsyncGenerator<SolutionInput> {
  const fromStdin = input === undefined || input === "-";
  const source = fromStdin ? "<stdin>" : input;
  let stream: Readable;
  if (fromStdin) {
    announceStdin(io, "solutions", "JSONL");
    stream = io.stdin;
  } else {
    const full = resolvePath(io, input);
    if (!existsSync(full) || !statSync(full).isFile()) {
      throw new CliError(
        `input file not found: ${input} (give a JSONL file of {problem, steps} records, or pipe it on stdin)`,
      );
    }
    stream = openInput(full);
  }
  try {
    for await (const line of readJsonl(stream, source)) yield toSolutionInput(line, source, splitRule);
  } catch (error) {
    if (error instanceof InputError) throw new CliError(error.message);
    throw error;
  }
}

export function writeJsonLine(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}
