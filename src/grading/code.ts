/**
 * Grading Python programs against LiveCodeBench tests, every run in the sandbox: stdin/stdout
 * tests compare output line by line after trimming (numbers that differ only in form, such as
 * `1.50` and `1.5`, are equal), functional tests call `Solution().<func_name>(*args)` with the
 * JSON lines of the input and compare the JSON result.
 */
import { availableParallelism } from "node:os";
import pLimit from "p-limit";
import type { CodeTest } from "../datasets/livecodebench.js";
import { DEFAULT_LIMITS, type RunStatus, runPythonSandboxed, type SandboxLimits } from "./sandbox.js";

/** The program in a completion: the last ```python block, else the last fenced block, else null. */
export function extractProgram(completion: string): string | null {
  const blocks = [...completion.matchAll(/```([A-Za-z0-9_+-]*)[^\n]*\n([\s\S]*?)```/g)];
  const python = blocks.filter((b) => /^py(thon)?3?$/i.test(b[1]!));
  const chosen = (python.length > 0 ? python : blocks).at(-1);
  const code = chosen?.[2]?.trim();
  return code ? code : null;
}

/** Equal outputs: the same lines after trimming, or the same tokens with numbers compared by value. */
export function outputsMatch(actual: string, expected: string): boolean {
  const lines = (s: string) =>
    s
      .trim()
      .split(/\r?\n/)
      .map((l) => l.trim());
  const a = lines(actual);
  const e = lines(expected);
  if (a.length === e.length && a.every((l, i) => l === e[i])) return true;
  const tokens = (ls: string[]) => ls.join(" ").split(/\s+/).filter(Boolean);
  const ta = tokens(a);
  const te = tokens(e);
  if (ta.length !== te.length) return false;
  return ta.every((t, i) => {
    if (t === te[i]) return true;
    const x = Number(t);
    const y = Number(te[i]);
    return Number.isFinite(x) && Number.isFinite(y) && /^[-+]?[\d.]+(e[-+]?\d+)?$/i.test(t) && x === y;
  });
}

/** Imports LiveCodeBench puts before every program (candidates rely on them). */
export const PROGRAM_HEADER =
  "from typing import *\nfrom collections import *\nfrom functools import *\nfrom itertools import *\nfrom heapq import *\nfrom bisect import *\nimport math, string, re, sys, copy\nsys.setrecursionlimit(1 << 16)\n";

function functionalDriver(funcName: string): string {
  return [
    "import json, sys",
    "sys.path.insert(0, '.')  # the sandbox's python -P leaves the working folder off the path",
    "from solution import *",
    "args = [json.loads(line) for line in sys.stdin.read().split('\\n') if line.strip()]",
    `result = Solution().${funcName}(*args)`,
    "sys.stdout.write(json.dumps(result))",
  ].join("\n");
}

export type TestStatus = "pass" | "fail" | Exclude<RunStatus, "ok">;

export interface TestResult {
  status: TestStatus;
  wallMs: number;
  /** Why it failed, briefly (the last stderr line, or the output mismatch). */
  detail?: string;
}

export interface ProgramGrade {
  passed: boolean;
  tests: TestResult[];
}

export interface GradeOptions {
  funcName?: string;
  limits?: SandboxLimits;
  /** Stop at the first failing test (the rest are not run). Default true. */
  stopAtFirstFailure?: boolean;
  /** Concurrent sandboxes; default the number of cores. */
  parallel?: number;
}

/** Runs one test of a program in the sandbox. */
export async function runTest(
  program: string,
  test: CodeTest,
  options: GradeOptions = {},
): Promise<TestResult> {
  const functional = test.testtype === "functional";
  if (functional && !options.funcName)
    return { status: "runtime_error", wallMs: 0, detail: "functional test without a func_name" };
  // the name is pasted into the driver's source: anything but an identifier could rewrite the
  // driver (print "True" and exit) from a hostile dataset row
  if (functional && !/^[A-Za-z_][A-Za-z0-9_]{0,99}$/.test(options.funcName!))
    return {
      status: "runtime_error",
      wallMs: 0,
      detail: `func_name ${JSON.stringify(options.funcName!.slice(0, 60))} is not a Python identifier`,
    };
  const files = functional
    ? [
        { name: "solution.py", content: PROGRAM_HEADER + program },
        { name: "main.py", content: functionalDriver(options.funcName!) },
      ]
    : [{ name: "main.py", content: PROGRAM_HEADER + program }];
  const r = await runPythonSandboxed(files, test.input, options.limits ?? DEFAULT_LIMITS);
  if (r.status !== "ok")
    return { status: r.status, wallMs: r.wallMs, detail: r.stderr.trim().split("\n").at(-1) ?? "" };
  let ok: boolean;
  if (functional) {
    try {
      ok = JSON.stringify(JSON.parse(r.stdout)) === JSON.stringify(JSON.parse(test.output));
    } catch {
      ok = false;
    }
  } else ok = outputsMatch(r.stdout, test.output);
  return ok
    ? { status: "pass", wallMs: r.wallMs }
    : {
        status: "fail",
        wallMs: r.wallMs,
        detail: `expected ${test.output.slice(0, 60).trim()}, got ${r.stdout.slice(0, 60).trim()}`,
      };
}

/** Grades a program on its tests: passed when every test passes. */
export async function gradeProgram(
  program: string | null,
  tests: readonly CodeTest[],
  options: GradeOptions = {},
): Promise<ProgramGrade> {
  if (program === null) return { passed: false, tests: [] };
  const limit = pLimit(options.parallel ?? availableParallelism());
  const stop = options.stopAtFirstFailure ?? true;
  let failed = false;
  const results = await Promise.all(
    tests.map((t) =>
      limit(async (): Promise<TestResult | null> => {
        if (stop && failed) return null;
        const r = await runTest(program, t, options);
        if (r.status !== "pass") failed = true;
        return r;
      }),
    ),
  );
  const ran = results.filter((r): r is TestResult => r !== null);
  return { passed: ran.length === tests.length && ran.every((r) => r.status === "pass"), tests: ran };
}
