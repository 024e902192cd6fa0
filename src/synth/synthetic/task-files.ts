/**
 * The synthetic task as the files the pipeline reads (pure): PRM800K-style labelled prefixes for
 * `thinkprm synth --source jsonl:<file>`, and a held-out set in ProcessBench's item format for
 * `thinkprm eval processbench`.
 */

import { seededStream } from "../../core/seeded-random.js";
import type { StepLabel } from "../../core/step-labels.js";
import { generateSums, type SumOptions, type SumSolution, solutionLabels, writeSum } from "./last-digit.js";

/** A line of the `jsonl:` source: `{id, problem, steps, labels}`. */
export interface LabelledPrefixRecord {
  id: string;
  problem: string;
  steps: string[];
  labels: StepLabel[];
}

/** ProcessBench's item (`label`: index of the first wrong step, -1 if none). */
export interface ProcessBenchRecord {
  id: string;
  generator: string;
  problem: string;
  steps: string[];
  label: number;
  final_answer_correct: boolean;
}

export interface PrefixOptions {
  /**
   * Share of wrong solutions cut right after their first error, as PRM800K's prefixes end at a
   * rated step; the rest are whole, with `-` from the error on (ProcessBench's shape). Default 0.5.
   */
  truncateAtError?: number;
  /**
   * Share of right solutions cut before the answer (an incomplete solution, which the trained
   * instruction says to verify only as far as it goes). Default 0.15.
   */
  partial?: number;
}

/**
 * One labelled prefix per solution, drawn with `seed`.
 *
 * @example trainingPrefixes(generateSums(2, 1, "train"), 1)[0].labels // e.g. ["+", "+", "+"]
 */
export function trainingPrefixes(
  solutions: readonly SumSolution[],
  seed: number,
  options: PrefixOptions = {},
): LabelledPrefixRecord[] {
  const rand = seededStream(seed, "prefixes");
  const truncate = options.truncateAtError ?? 0.5;
  const partial = options.partial ?? 0.15;
  return solutions.map((s) => {
    const labels = solutionLabels(s);
    let end = s.steps.length;
    const r = rand();
    const cutAt = rand();
    if (s.firstError >= 0 && r < truncate) end = s.firstError + 1;
    else if (s.firstError < 0 && r < partial) end = 1 + Math.floor(cutAt * (s.steps.length - 1));
    return { id: s.id, problem: s.problem, steps: s.steps.slice(0, end), labels: labels.slice(0, end) };
  });
}

export function processBenchRecords(
  solutions: readonly SumSolution[],
  generator: string,
): ProcessBenchRecord[] {
  return solutions.map((s) => ({
    id: s.id,
    generator,
    problem: s.problem,
    steps: s.steps,
    label: s.firstError,
    final_answer_correct: s.finalAnswerCorrect,
  }));
}

/** A best-of-N problem in search-and-learn's layout, for `thinkprm eval bon --candidates`. */
export interface BonRecord {
  id: string;
  problem: string;
  /** The right last digit. */
  answer: string;
  /** Worked solutions, steps separated by blank lines; about half with one slipped sum. */
  completions: string[];
}

/**
 * `count` problems of their own (salt "bon", none of `exclude`), each with `n` candidate solutions,
 * each wrong with probability 1/2 (one slipped sum, so its answer is wrong too): the verifier has to
 * pick a right one, where majority voting often cannot.
 */
export function bonCandidates(
  count: number,
  n: number,
  seed: number,
  options: SumOptions,
  exclude: ReadonlySet<string>,
): BonRecord[] {
  const problems = generateSums(count, seed, "bon", { ...options, errorRate: 0 }, exclude);
  const rand = seededStream(seed, "bon-candidates");
  const deltas = [-2, -1, 1, 2];
  return problems.map((p) => {
    const completions = Array.from({ length: n }, () => {
      const wrong = rand() < 0.5;
      const step = Math.floor(rand() * (p.addends.length - 1));
      let delta = deltas[Math.floor(rand() * deltas.length)]!;
      if (!wrong) return writeSum(p.addends).steps.join("\n\n");
      const before = writeSum(p.addends.slice(0, step + 1)).answer;
      if (before + p.addends[step + 1]! + delta < 0) delta = -delta;
      return writeSum(p.addends, { step, delta }).steps.join("\n\n");
    });
    const answer = String(p.addends.reduce((a, b) => a + b, 0) % 10);
    return { id: p.id, problem: p.problem, answer, completions };
  });
}

export interface SyntheticTaskOptions extends SumOptions, PrefixOptions {
  /**
   * Share of *training* solutions with an error. Default 0.75: with half of them wrong only one
   * verdict in six is `\boxed{incorrect}` (a solution is judged up to its first error), and a
   * student of this size learned to say "correct" everywhere (bench:learn's research, README);
   * three in four wrong bring that to about one in three. The held-out set is always half wrong.
   */
  errorRate?: number;
  seed: number;
  train: number;
  heldOut: number;
  /** Best-of-N problems (`bon.jsonl`). Default 50. */
  bonProblems?: number;
  /** Candidates per best-of-N problem. Default 8. */
  bonN?: number;
}

export interface SyntheticTask {
  /** The recipe, written beside the data so it can be rebuilt. */
  options: SyntheticTaskOptions;
  train: LabelledPrefixRecord[];
  heldOut: ProcessBenchRecord[];
  bon: BonRecord[];
}

/** The subset name of the held-out set (its file is `<name>.json`). */
export const HELD_OUT_SUBSET = "last-digit";

/**
 * The whole task from one seed. The held-out problems are drawn first and excluded from training,
 * so no held-out problem is ever trained on.
 */
export function syntheticTask(options: SyntheticTaskOptions): SyntheticTask {
  const heldOut = generateSums(options.heldOut, options.seed, HELD_OUT_SUBSET, {
    ...options,
    errorRate: 0.5,
  });
  const exclude = new Set(heldOut.map((s) => s.problem));
  const train = generateSums(
    options.train,
    options.seed,
    "train",
    { ...options, errorRate: options.errorRate ?? 0.75 },
    exclude,
  );
  // drawn last, from streams of their own: the training and held-out sets do not change with them
  for (const s of train) exclude.add(s.problem);
  const bon = bonCandidates(options.bonProblems ?? 50, options.bonN ?? 8, options.seed, options, exclude);
  return {
    options,
    train: trainingPrefixes(train, options.seed, options),
    heldOut: processBenchRecords(heldOut, `last-digit (seed ${options.seed})`),
    bon,
  };
}
