/**
 * LiveCodeBench code-generation problems from a user-supplied JSONL in the release_v5 layout
 * (`livecodebench/code_generation_lite`): `question_id`, `question_title`, `question_content`,
 * `platform`, `starter_code`, `difficulty`, `public_test_cases` (a JSON string), and
 * `private_test_cases` (a JSON string, or — as released — base64 of zlib of a pickled JSON string),
 * `metadata` (a JSON string holding `func_name` for functional tests).
 */
import { readFileSync } from "node:fs";
import { inflateSync } from "node:zlib";
import { InputError, parseJsonlText } from "./jsonl.js";

export interface CodeTest {
  input: string;
  output: string;
  testtype: "stdin" | "functional";
}

export interface CodeProblem {
  id: string;
  title: string;
  content: string;
  platform: string;
  difficulty: string;
  starterCode: string;
  /** For functional tests: the method of `Solution` to call. */
  funcName?: string;
  publicTests: CodeTest[];
  privateTests: CodeTest[];
}

/**
 * The one pickled value the released files hold: a `str` (protocol 2–5). Reads PROTO, FRAME,
 * the three unicode opcodes, MEMOIZE and STOP; anything else is refused rather than guessed.
 */
export function unpickleString(bytes: Buffer): string {
  let i = 0;
  let value: string | null = null;
  while (i < bytes.length) {
    const op = bytes[i++]!;
    if (op === 0x80)
      i += 1; // PROTO n
    else if (op === 0x95)
      i += 8; // FRAME size
    else if (op === 0x94)
      continue; // MEMOIZE
    else if (op === 0x8c || op === 0x58 || op === 0x8d) {
      const len =
        op === 0x8c ? bytes[i]! : op === 0x58 ? bytes.readUInt32LE(i) : Number(bytes.readBigUInt64LE(i));
      i += op === 0x8c ? 1 : op === 0x58 ? 4 : 8;
      value = bytes.subarray(i, i + len).toString("utf8");
      i += len;
    } else if (op === 0x2e)
      break; // STOP
    else throw new Error(`unsupported pickle opcode 0x${op.toString(16)} (only a pickled str is expected)`);
  }
  if (value === null) throw new Error("the pickle holds no string");
  return value;
}

/** Test cases from a JSON string, or from the released base64 + zlib + pickle encoding. */
export function decodeTestCases(raw: unknown): CodeTest[] {
  if (Array.isArray(raw)) return raw as CodeTest[];
  if (typeof raw !== "string" || raw.trim() === "") return [];
  const text = raw.trim().startsWith("[") ? raw : unpickleString(inflateSync(Buffer.from(raw, "base64")));
  const tests = JSON.parse(text) as CodeTest[];
  if (
    !Array.isArray(tests) ||
    tests.some((t) => typeof t.input !== "string" || typeof t.output !== "string")
  ) {
    throw new Error("expected a list of {input, output, testtype}");
  }
  return tests.map((t) => ({
    input: t.input,
    output: t.output,
    testtype: t.testtype === "functional" ? "functional" : "stdin",
  }));
}

export function loadLiveCodeBench(path: string): CodeProblem[] {
  return parseJsonlText(readFileSync(path, "utf8"), path).map(({ line, value }) => {
    const r = value as Record<string, unknown>;
    if (typeof r.question_content !== "string")
      throw new InputError(
        path,
        line,
        'field "question_content": expected a string (a LiveCodeBench release_v5 row)',
      );
    const tests = (field: string) => {
      try {
        return decodeTestCases(r[field]);
      } catch (error) {
        throw new InputError(path, line, `field "${field}": ${(error as Error).message}`);
      }
    };
    let funcName: string | undefined;
    if (typeof r.metadata === "string" && r.metadata.trim()) {
      try {
        funcName = (JSON.parse(r.metadata) as { func_name?: string }).func_name;
      } catch {
        throw new InputError(path, line, 'field "metadata": not JSON');
      }
    }
    const publicTests = tests("public_test_cases");
    const privateTests = tests("private_test_cases");
    if (publicTests.length + privateTests.length === 0)
      throw new InputError(
        path,
        line,
        "no test cases: a problem needs public_test_cases or private_test_cases",
      );
    if ([...publicTests, ...privateTests].some((t) => t.testtype === "functional") && !funcName) {
      throw new InputError(path, line, 'functional tests need "metadata": "{\\"func_name\\": …}"');
    }
    return {
      id: String(r.question_id ?? `row${line}`),
      title: String(r.question_title ?? ""),
      content: r.question_content,
      platform: String(r.platform ?? ""),
      difficulty: String(r.difficulty ?? ""),
      starterCode: typeof r.starter_code === "string" ? r.starter_code : "",
      ...(funcName ? { funcName } : {}),
      publicTests,
      privateTests,
    };
  });
}
