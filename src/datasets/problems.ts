/**
 * Problem sets with reference answers: MATH-500 and AIME 2024 (../shared/data layouts, or any JSONL
 * with `problem` and `answer`), for generating and grading candidates.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { InputError, parseJsonlText } from "./jsonl.js";

export interface AnsweredProblem {
  id: string;
  problem: string;
  answer: string;
}

export const KNOWN_DATASETS: Record<string, string> = {
  math500: "math500/test.jsonl",
  aime24: "aime24/test.jsonl",
};

/** A dataset by name (math500, aime24) under `dataDir`, or a JSONL file path. */
export function loadProblems(spec: string, dataDir: string): AnsweredProblem[] {
  const path = KNOWN_DATASETS[spec] ? join(dataDir, KNOWN_DATASETS[spec]) : spec;
  if (!existsSync(path)) {
    throw new InputError(
      path,
      undefined,
      KNOWN_DATASETS[spec]
        ? `dataset ${spec} not found; pass --data-dir <folder holding ${KNOWN_DATASETS[spec]}>`
        : "file not found",
    );
  }
  return parseJsonlText(readFileSync(path, "utf8"), path).map(({ line, value }, i) => {
    const r = value as Record<string, unknown>;
    const problem = r.problem ?? r.question;
    const answer = r.answer ?? r.gt;
    if (typeof problem !== "string") throw new InputError(path, line, 'field "problem": expected a string');
    if (answer === undefined)
      throw new InputError(path, line, 'field "answer": every problem needs its reference answer');
    return { id: String(r.unique_id ?? r.id ?? i), problem, answer: String(answer) };
  });
}
