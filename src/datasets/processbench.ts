/**
 * ProcessBench (Zheng et al. 2024): four JSON arrays of {id, generator, problem, steps, label,
 * final_answer_correct}; `label` is the 0-based index of the earliest wrong step, or -1.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "./jsonl.js";

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
      `ProcessBench subset "${subset}" not found; pass --data-dir <folder with ${PROCESSBENCH_SUBSETS.map((s) => `${s}.json`).join(", ")}>`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new InputError(path, undefined, `not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(raw)) throw new InputError(path, undefined, "expected a JSON array of items");
  return raw.map((r: Record<string, unknown>, i) => {
    if (typeof r.problem !== "string" || !Array.isArray(r.steps) || typeof r.label !== "number") {
      throw new InputError(path, undefined, `item ${i} (${String(r.id)}) lacks problem, steps or label`);
    }
    const id = String(r.id);
    const fix = options.errata === false ? undefined : PROCESSBENCH_ERRATA[id];
    return {
      id,
      subset,
      problem: r.problem,
      steps: r.steps as string[],
      label: fix ? fix.label : r.label,
      finalAnswerCorrect: r.final_answer_correct === true,
    };
  });
}
