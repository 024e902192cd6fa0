/**
 * The synthetic task as the files the pipeline reads (pure): PRM800K-style labelled prefixes for
 * `thinkprm synth --source jsonl:<file>`, and a held-out set in ProcessBench's item format for
 * `thinkprm eval processbench`.
 */
import { lcg } from "../../core/seeded-random.js";
import type { StepLabel } from "../../core/step-labels.js";
import {
  type AdditionOptions,
  type AdditionSolution,
  generateAdditions,
  solutionLabels,
} from "./column-addition.js";

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
 * @example trainingPrefixes(generateAdditions(2, 1, "train"), 1)[0].labels // e.g. ["+", "+", "+"]
 */
export function trainingPrefixes(
  solutions: readonly AdditionSolution[],
  seed: number,
  options: PrefixOptions = {},
): LabelledPrefixRecord[] {
  const rand = lcg(seed, "prefixes");
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
  solutions: readonly AdditionSolution[],
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

export interface SyntheticTaskOptions extends AdditionOptions, PrefixOptions {
  seed: number;
  train: number;
  heldOut: number;
}

export interface SyntheticTask {
  /** The recipe, written beside the data so it can be rebuilt. */
  options: SyntheticTaskOptions;
  train: LabelledPrefixRecord[];
  heldOut: ProcessBenchRecord[];
}

/** The subset name of the held-out set (its file is `<name>.json`). */
export const HELD_OUT_SUBSET = "column-addition";

/**
 * The whole task from one seed. The held-out problems are drawn first and excluded from training,
 * so no held-out problem is ever trained on.
 */
export function syntheticTask(options: SyntheticTaskOptions): SyntheticTask {
  const heldOut = generateAdditions(options.heldOut, options.seed, HELD_OUT_SUBSET, options);
  const exclude = new Set(heldOut.map((s) => s.problem));
  const train = generateAdditions(options.train, options.seed, "train", options, exclude);
  return {
    options,
    train: trainingPrefixes(train, options.seed, options),
    heldOut: processBenchRecords(heldOut, `column-addition (seed ${options.seed})`),
  };
}
