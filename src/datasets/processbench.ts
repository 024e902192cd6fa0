/**
 * ProcessBench (Zheng et al. 2024): four JSON arrays of {id, generator, problem, steps, label,
 * final_answer_correct}; `label` is the 0-based index of the earliest wrong step, or -1.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { InputError, parseJsonlText } from "./jsonl.js";
import { itemKeys } from "./keys.js";

export const PROCESSBENCH_SUBSETS = ["gsm8k", "math", "olympiadbench", "omnimath"] as const;
export type ProcessBenchSubset = (typeof PROCESSBENCH_SUBSETS)[number];

export interface ProcessBenchItem {
  id: string;
  subset: string;
  problem: string;
  steps: string[];
  /** Earliest wrong step, 0-based; -1 when every step is correct. */
  label: number;
  finalAnswerCorrect: boolean;
}

/**
 * Published corrections applied on top of the files as released (documented, switchable):
 * QwenLM/ProcessBench issue #9 — `math-688` has its first error in step 0, not step 2; the
 * maintainers agreed and later fixed the Hugging Face copy.
 */
export const PROCESSBENCH_ERRATA: Record<string, { label: number; source: string }> = {
  "math-688": { label: 0, source: "QwenLM/ProcessBench issue #9" },
};

export function loadProcessBench(
  dir: string,
  subset: string,
  options: { errata?: boolean } = {},
): ProcessBenchItem[] {
  const path = join(dir, `${subset}.json`);
  if (!existsSync(path)) {
    throw new InputError(
      path,
      undefined,
      `ProcessBench subset "${subset}" not found; pass --data-dir <folder with ${PROCESSBENCH_SUBSETS.map((s) => `${s}.json`).join(", ")}>, or --data <file>`,
    );
  }
  return parseItems(readFileSync(path, "utf8"), path, subset, options);
}

/**
 * One file of ProcessBench-format items (a JSON array, or JSONL), e.g. a held-out set of your own.
 * Its subset is the item's `subset` field when present, else the file's name without extension.
 */
export function loadProcessBenchFile(path: string, options: { errata?: boolean } = {}): ProcessBenchItem[] {
  if (!existsSync(path))
    throw new InputError(
      path,
      undefined,
      "file not found (--data takes a JSON array or JSONL of ProcessBench items)",
    );
  return parseItems(
    readFileSync(path, "utf8"),
    path,
    basename(path).replace(/\.(jsonl?|json)$/i, ""),
    options,
  );
}

function parseItems(
  text: string,
  path: string,
  subset: string,
  options: { errata?: boolean },
): ProcessBenchItem[] {
  let rows: { line?: number; value: Record<string, unknown> }[];
  const trimmed = text.trimStart();
  if (trimmed.startsWith("[")) {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new InputError(path, undefined, `not valid JSON (${(error as Error).message})`);
    }
    if (!Array.isArray(raw)) throw new InputError(path, undefined, "expected a JSON array of items");
    rows = raw.map((value) => ({ value: value as Record<string, unknown> }));
  } else {
    rows = parseJsonlText(text, path).map((l) => ({
      line: l.line,
      value: l.value as Record<string, unknown>,
    }));
  }
  const items = rows.map(({ line, value: r }, i) => {
    const where = line === undefined ? `item ${i}` : "this line";
    if (typeof r !== "object" || r === null) throw new InputError(path, line, `${where} is not an object`);
    if (typeof r.problem !== "string")
      throw new InputError(path, line, `${where}: field "problem": expected a string`);
    if (!Array.isArray(r.steps) || !r.steps.every((x) => typeof x === "string"))
      throw new InputError(path, line, `${where}: field "steps": expected an array of strings`);
    if (
      typeof r.label !== "number" ||
      !Number.isInteger(r.label) ||
      r.label < -1 ||
      r.label >= r.steps.length
    )
      throw new InputError(
        path,
        line,
        `${where}: field "label": expected -1 (no error) or the 0-based index of the first wrong step (< ${r.steps.length})`,
      );
    const id = r.id === undefined ? `${subset}-${i}` : String(r.id);
    const fix = options.errata === false ? undefined : PROCESSBENCH_ERRATA[id];
    return {
      id,
      subset: typeof r.subset === "string" ? r.subset : subset,
      problem: r.problem,
      steps: r.steps as string[],
      label: fix ? fix.label : r.label,
      finalAnswerCorrect: r.final_answer_correct === true,
      line,
    };
  });
  itemKeys(
    items,
    items.map((x) => x.line),
    path,
  );
  return items.map(({ line: _line, ...item }) => item);
}
