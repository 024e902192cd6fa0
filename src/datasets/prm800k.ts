/**
 * PRM800K as labelled solution prefixes {problem, steps, ratings}: the raw format
 * (`raw_samples.jsonl`), the per-solution phase-1 files (`phase1_*.solutions.jsonl`), the
 * stepwise-critic parquet files (read with hyparquet), or a generic JSONL {problem, steps, labels}.
 *
 * Prefixes of a trajectory: the chosen path (the completion each next step continues), extended at
 * each step by every rated candidate there. A path step without a rating (a human-written step)
 * ends the prefixes of that trajectory, since later labels would sit on an unlabelled step.
 */
import { readFileSync } from "node:fs";
import { InputError, parseJsonlText } from "./jsonl.js";

export interface LabelledPrefix {
  id: string;
  problem: string;
  steps: string[];
  /** The raw ratings: 1, 0, -1 (PRM800K), or "+" / "-". */
  ratings: (number | string)[];
}

interface Candidate {
  text: string;
  rating: number | null;
}

/** Prefixes from one trajectory: steps[k] = candidates at step k, chosen[k] = the one continued. */
function trajectoryPrefixes(
  id: string,
  problem: string,
  steps: { candidates: Candidate[]; chosen: number | null }[],
  maxPerSolution: number,
): LabelledPrefix[] {
  const out: LabelledPrefix[] = [];
  const path: string[] = [];
  const ratings: number[] = [];
  for (const [k, step] of steps.entries()) {
    for (const c of step.candidates) {
      if (c.rating === null || out.length >= maxPerSolution) continue;
      out.push({
        id: `${id}/${k}/${out.length}`,
        problem,
        steps: [...path, c.text],
        ratings: [...ratings, c.rating],
      });
    }
    const chosen = step.chosen === null ? undefined : step.candidates[step.chosen];
    if (!chosen || chosen.rating === null) break;
    path.push(chosen.text);
    ratings.push(chosen.rating);
  }
  return out;
}

/** `phase1_*.solutions.jsonl`: {problem, steps: [{completions: [{text, rating, …}], chosen_completion}]}. */
export function prefixesFromSolutions(path: string, maxPerSolution = 1_000): LabelledPrefix[] {
  return parseJsonlText(readFileSync(path, "utf8"), path).flatMap(({ line, value }) => {
    const r = value as {
      problem?: string;
      steps?: { completions: Candidate[]; chosen_completion: number | null }[];
    };
    if (typeof r.problem !== "string" || !Array.isArray(r.steps))
      throw new InputError(path, line, "expected {problem, steps: [{completions, chosen_completion}]}");
    return trajectoryPrefixes(
      `L${line}`,
      r.problem,
      r.steps.map((s) => ({ candidates: s.completions, chosen: s.chosen_completion })),
      maxPerSolution,
    );
  });
}

/** Raw PRM800K records: {question: {problem}, label: {steps: [{completions, human_completion, chosen_completion}]}}. */
export function prefixesFromRaw(path: string, maxPerSolution = 1_000): LabelledPrefix[] {
  return parseJsonlText(readFileSync(path, "utf8"), path).flatMap(({ line, value }) => {
    const r = value as {
      question?: { problem?: string };
      label?: {
        steps?: {
          completions: Candidate[] | null;
          human_completion: { text: string } | null;
          chosen_completion: number | null;
        }[];
      };
    };
    const problem = r.question?.problem;
    if (typeof problem !== "string" || !Array.isArray(r.label?.steps))
      throw new InputError(path, line, "expected a raw PRM800K record {question: {problem}, label: {steps}}");
    const steps = r.label.steps.map((s) => {
      const candidates = (s.completions ?? []).map((c) => ({ text: c.text, rating: c.rating ?? null }));
      // a human completion is continued when chosen_completion is null; it carries no rating
      if (s.chosen_completion === null && s.human_completion)
        return {
          candidates: [...candidates, { text: s.human_completion.text, rating: null }],
          chosen: candidates.length,
        };
      return { candidates, chosen: s.chosen_completion };
    });
    return trajectoryPrefixes(`R${line}`, problem, steps, maxPerSolution);
  });
}

/** Stepwise-critic parquet rows {instruction, responses[], next_response, rating}: the accepted steps count as `+`. */
export async function prefixesFromStepwiseParquet(path: string, limit?: number): Promise<LabelledPrefix[]> {
  const { asyncBufferFromFile, parquetReadObjects } = await import("hyparquet");
  const { compressors } = await import("hyparquet-compressors");
  const file = await asyncBufferFromFile(path);
  const rows = (await parquetReadObjects({ file, compressors, ...(limit ? { rowEnd: limit } : {}) })) as {
    instruction: string;
    responses: string[] | null;
    next_response: string;
    rating: number | null;
  }[];
  return rows
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => r.rating !== null && r.rating !== undefined)
    .map(({ r, i }) => {
      const accepted = r.responses ?? [];
      return {
        id: `P${i}`,
        problem: r.instruction,
        steps: [...accepted, r.next_response],
        ratings: [...accepted.map(() => 1), Number(r.rating)],
      };
    });
}

/** Generic JSONL {id?, problem, steps: string[], labels: ("+"|"-"|1|0|-1)[]}. */
export function prefixesFromJsonl(path: string): LabelledPrefix[] {
  return parseJsonlText(readFileSync(path, "utf8"), path).map(({ line, value }) => {
    const r = value as { id?: unknown; problem?: unknown; steps?: unknown; labels?: unknown };
    if (typeof r.problem !== "string") throw new InputError(path, line, 'field "problem": expected a string');
    if (!Array.isArray(r.steps) || !r.steps.every((s) => typeof s === "string"))
      throw new InputError(path, line, 'field "steps": expected an array of strings');
    if (!Array.isArray(r.labels) || r.labels.length !== r.steps.length)
      throw new InputError(path, line, 'field "labels": expected one label ("+", "-", 1, 0 or -1) per step');
    return {
      id: String(r.id ?? `J${line}`),
      problem: r.problem,
      steps: r.steps as string[],
      ratings: r.labels as (number | string)[],
    };
  });
}

/** `prm800k:<file>` (solutions, raw or parquet, by name) or `jsonl:<file>`. */
export async function loadPrefixes(spec: string, maxPerSolution?: number): Promise<LabelledPrefix[]> {
  const [kind, ...rest] = spec.split(":");
  const path = rest.join(":");
  if (!path) throw new InputError(spec, undefined, "expected prm800k:<file> or jsonl:<file>");
  if (kind === "jsonl") return prefixesFromJsonl(path);
  if (kind !== "prm800k")
    throw new InputError(spec, undefined, `unknown source "${kind}"; use prm800k:<file> or jsonl:<file>`);
  if (path.endsWith(".parquet")) return prefixesFromStepwiseParquet(path);
  const first = readFileSync(path, "utf8").slice(0, 2000);
  return first.includes('"question"') && first.includes('"label"')
    ? prefixesFromRaw(path, maxPerSolution)
    : prefixesFromSolutions(path, maxPerSolution);
}
