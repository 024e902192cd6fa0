/**
 * JSONL reading with errors that name the file, the line and the field, and say how to fix it.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { describeZodError } from "../core/zod-issues.js";

// one wording of a record's first schema problem, for every reader (engines' script files too)
export { describeZodError };

export class InputError extends Error {
  readonly source: string;
  readonly line: number | undefined;
  constructor(source: string, line: number | undefined, message: string) {
    super(line === undefined ? `${source}: ${message}` : `${source}:${line}: ${message}`);
    this.name = "InputError";
    this.source = source;
    this.line = line;
  }
}

export interface JsonlLine {
  line: number;
  value: unknown;
}

/** The text without a leading UTF-8 byte-order mark (U+FEFF). */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Yields each non-blank line of a JSONL stream, parsed. Throws `InputError` at the first bad line. */
export async function* readJsonl(input: Readable, source: string): AsyncGenerator<JsonlLine> {
  const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const raw of rl) {
    line++;
    // editors on Windows start UTF-8 files with a byte-order mark, which JSON.parse refuses
    const text = line === 1 ? stripBom(raw) : raw;
    if (text.trim() === "") continue;
    try {
      yield { line, value: JSON.parse(text) };
    } catch (error) {
      throw new InputError(
        source,
        line,
        `not valid JSON (${(error as Error).message}); each line must be one JSON object`,
      );
    }
  }
}

/** Every non-blank line of JSONL text, parsed; an `InputError` names the first bad line. */
export function parseJsonlText(text: string, source: string): JsonlLine[] {
  const out: JsonlLine[] = [];
  stripBom(text)
    .split("\n")
    .forEach((line, i) => {
      if (!line.trim()) return;
      try {
        out.push({ line: i + 1, value: JSON.parse(line) });
      } catch (error) {
        throw new InputError(
          source,
          i + 1,
          `not valid JSON (${(error as Error).message}); each line must be one JSON object`,
        );
      }
    });
  return out;
}

/** Opens a file for `readJsonl`, with a clear error when it is missing. */
export function openInput(path: string): Readable {
  const stream = createReadStream(path);
  return stream;
}
