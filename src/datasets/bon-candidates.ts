/**
 * Loaders for sampled candidate solutions with the scores and correctness flags they carry
 * (../shared/data/bon): three upstream layouts, recognised from their fields.
 * - `search-and-learn`: one line per problem, `completions[]`, per-step `scores[][]`, `answer`.
 * - `compute-optimal-tts`: one line per sample, grouped by `question_idx`; `output[0].text` with
 *   Math-Shepherd `ки` step tags, per-step `value`, `result.majority_vote` (correct or not),
 *   `groundtruth` (the reference solution).
 * - `qwen-math-rm`: one line per problem, `code[]` (responses), `pred[]`, `score[]` (correct or
 *   not), `pred_score[][]` (reward-model scores), `gt`.
 */
import { readFileSync } from "node:fs";
import { InputError, parseJsonlText } from "./jsonl.js";

export interface Candidate {
  text: string;
  /** Per-step scores the file carries (a discriminative PRM's, or one reward-model score). */
  stepScores: number[];
  /** The file's own correctness verdict, when it has one. */
  flag?: boolean;
}

export interface CandidateProblem {
  id: string;
  problem: string;
  /** Reference answer or solution. */
  gold: string;
  candidates: Candidate[];
}

export type CandidateFormat = "search-and-learn" | "compute-optimal-tts" | "qwen-math-rm";

export interface CandidateSet {
  format: CandidateFormat;
  problems: CandidateProblem[];
}

const numbers = (v: unknown): number[] =>
  Array.isArray(v) ? v.flat().filter((x): x is number => typeof x === "number") : [];

/**
 * The per-candidate scores of one record, checked: absent is none, but scores that are not
 * numbers ("0.5") or a list that does not match the candidates one for one is an input error —
 * read leniently, it would rank candidates on missing scores.
 */
function scoresOf(
  value: unknown,
  candidates: number,
  where: { path: string; line: number; field: string; of: string },
): unknown[] {
  if (value === undefined || value === null) return [];
  const fail = (message: string) => {
    throw new InputError(where.path, where.line, `${where.field}: ${message}`);
  };
  if (!Array.isArray(value)) fail(`expected a list of scores, one per ${where.of}`);
  const list = value as unknown[];
  if (list.length > 0 && list.length !== candidates)
    fail(
      `${list.length} entries for ${candidates} ${where.of}s; a file must score every ${where.of} or none`,
    );
  list.forEach((entry, i) => {
    const bad = [entry].flat(2).find((x) => x !== null && (typeof x !== "number" || !Number.isFinite(x)));
    if (bad !== undefined)
      fail(`entry ${i} holds ${JSON.stringify(bad)}; scores are numbers (a list of step scores, or one)`);
  });
  return list;
}

export function detectFormat(record: Record<string, unknown>): CandidateFormat | null {
  if (Array.isArray(record.completions) && "answer" in record) return "search-and-learn";
  if ("question_idx" in record && Array.isArray(record.output)) return "compute-optimal-tts";
  if (Array.isArray(record.pred) && Array.isArray(record.score) && "gt" in record) return "qwen-math-rm";
  return null;
}

export function loadCandidateSet(path: string): CandidateSet {
  const records = parseJsonlText(readFileSync(path, "utf8"), path).map(({ line, value }) => ({
    line,
    value: value as Record<string, unknown>,
  }));
  if (records.length === 0) throw new InputError(path, undefined, "the file has no records");
  const format = detectFormat(records[0]!.value);
  if (!format) {
    throw new InputError(
      path,
      records[0]!.line,
      "unknown candidate layout: expected search-and-learn (completions, scores, answer), compute-optimal-tts (question_idx, output) or Qwen2.5-Math RM (pred, score, gt) records",
    );
  }
  if (format === "search-and-learn") {
    return {
      format,
      problems: records.map(({ value: r, line }, k) => {
        const completions = r.completions as string[];
        const scores = scoresOf(r.scores, completions.length, {
          path,
          line,
          field: "scores",
          of: "completion",
        });
        return {
          id: String(r.unique_id ?? r.id ?? k),
          problem: String(r.problem ?? ""),
          gold: String(r.answer),
          candidates: completions.map((text, i) => ({ text, stepScores: numbers(scores[i]) })),
        };
      }),
    };
  }
  if (format === "qwen-math-rm") {
    return {
      format,
      problems: records.map(({ value: r, line }, k) => {
        const responses = (r.code ?? r.response) as string[];
        const flags = r.score as boolean[];
        const rm = scoresOf(r.pred_score, responses.length, {
          path,
          line,
          field: "pred_score",
          of: "response",
        });
        return {
          id: String(r.idx ?? k),
          problem: String(r.question ?? ""),
          gold: String(r.gt ?? r.answer),
          candidates: responses.map((text, i) => ({
            text,
            stepScores: numbers(rm[i]),
            flag: flags[i] === true,
          })),
        };
      }),
    };
  }
  // compute-optimal-tts: one sample per line
  const byQuestion = new Map<string, CandidateProblem>();
  for (const { value: r } of records) {
    const id = String(r.question_idx);
    const out = (r.output as Record<string, unknown>[])[0] ?? {};
    const problem = byQuestion.get(id) ?? {
      id,
      problem: String(r.question ?? ""),
      gold: String(r.groundtruth ?? ""),
      candidates: [],
    };
    const result = (r.result ?? {}) as { majority_vote?: number };
    problem.candidates.push({
      // the Math-Shepherd step tag is the PRM's marker, not part of the solution
      text: String(out.text ?? "").replace(/ ки/g, ""),
      stepScores: numbers(out.value),
      flag: result.majority_vote === 1,
    });
    byQuestion.set(id, problem);
  }
  return { format, problems: [...byQuestion.values()] };
}
