/**
 * A synthetic step-labelled task small enough for a tiny verifier to learn on a laptop: the last
 * digit of a sum of one-digit numbers, worked one addition at a time (pure, seeded).
 *
 * Why this task: every step is self-contained and says what it computes — `9+3=12, last digit 2.`
 * is wrong exactly when 9 + 3 is not 12 — so the check is local, and the facts it needs are the
 * 100 sums of two digits, each seen thousands of times in a few thousand examples. A verifier of
 * about a million parameters learns to recompute the sum, copy the step's claim and compare them
 * in minutes (bench:learn measures it); the long-range arithmetic of column addition with carries
 * (three operands, 200 facts) and of word problems was not learned in that budget.
 *
 * Errors are a slip in one sum (off by 1 or 2). The step's last digit follows the slip and later
 * steps continue from it, so they are locally consistent and the answer is wrong, as with a real
 * careless error: the *first* wrong step is what a verifier must find (ProcessBench's label).
 *
 * @example
 * // the last digit of 9+3+6, right:
 * // problem "What is the last digit of 9+3+6?"
 * // steps   ["9+3=12, last digit 2.", "2+6=8, last digit 8.", "The answer is 8."]
 */

import { seededStream } from "../../core/seeded-random.js";
import type { StepLabel } from "../../core/step-labels.js";

export interface SumSolution {
  id: string;
  problem: string;
  addends: number[];
  steps: string[];
  /** 0-based index of the wrong step, -1 when every step is right. */
  firstError: number;
  finalAnswerCorrect: boolean;
}

export interface SumOptions {
  /** How many numbers are added; drawn uniformly from this list. Default [3, 4, 5]. */
  addends?: readonly number[];
  /** Share of solutions with one wrong step. Default 0.5. */
  errorRate?: number;
}

const DEFAULT_ADDENDS = [3, 4, 5] as const;

function pick<T>(rand: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)]!;
}

/** The problem of adding these numbers. @example sumProblem([9, 3, 6]) // "What is the last digit of 9+3+6?" */
export const sumProblem = (addends: readonly number[]) => `What is the last digit of ${addends.join("+")}?`;

/** One step. @example sumStep(9, 3, 12) // "9+3=12, last digit 2." */
export const sumStep = (current: number, addend: number, sum: number) =>
  `${current}+${addend}=${sum}, last digit ${sum % 10}.`;

/**
 * The worked solution; `slip` (step, delta) makes that step's sum wrong by `delta`, and everything
 * after continues from the wrong last digit.
 */
export function writeSum(
  addends: readonly number[],
  slip?: { step: number; delta: number },
): { steps: string[]; answer: number } {
  const steps: string[] = [];
  let current = addends[0]!;
  for (const [i, addend] of addends.slice(1).entries()) {
    const sum = current + addend + (slip?.step === i ? slip.delta : 0);
    steps.push(sumStep(current, addend, sum));
    current = sum % 10;
  }
  steps.push(`The answer is ${current}.`);
  return { steps, answer: current };
}

/** `count` solutions drawn from `seed` (and `salt`, so that train and held-out streams differ). */
export function generateSums(
  count: number,
  seed: number,
  salt: string,
  options: SumOptions = {},
  exclude: ReadonlySet<string> = new Set(),
): SumSolution[] {
  const rand = seededStream(seed, salt);
  const sizes = options.addends ?? DEFAULT_ADDENDS;
  const errorRate = options.errorRate ?? 0.5;
  const out: SumSolution[] = [];
  const seen = new Set(exclude);
  // a bound on draws, so an exhausted problem space (tiny sizes, large counts) fails instead of looping
  for (let draws = 0; out.length < count; draws++) {
    if (draws > 50 * count + 1000)
      throw new Error(`only ${out.length} distinct problems of ${sizes.join("/")} numbers; ask for fewer`);
    const n = pick(rand, sizes);
    const addends = Array.from({ length: n }, () => 1 + Math.floor(rand() * 9));
    const wrong = rand() < errorRate;
    const step = Math.floor(rand() * (n - 1));
    let delta = pick(rand, [-2, -1, 1, 2]);
    const problem = sumProblem(addends);
    if (seen.has(problem)) continue;
    seen.add(problem);
    let slip: { step: number; delta: number } | undefined;
    if (wrong) {
      const before = writeSum(addends.slice(0, step + 1)).answer; // the running last digit before the step
      if (before + addends[step + 1]! + delta < 0) delta = -delta;
      slip = { step, delta };
    }
    const { steps, answer } = writeSum(addends, slip);
    out.push({
      id: `${salt}-${out.length}`,
      problem,
      addends,
      steps,
      firstError: slip ? slip.step : -1,
      finalAnswerCorrect: answer === addends.reduce((a, b) => a + b, 0) % 10,
    });
  }
  return out;
}

/** Step labels of a whole solution: `+` before the first error, `-` from it on. */
export function solutionLabels(s: SumSolution): StepLabel[] {
  return s.steps.map((_, i) => (s.firstError >= 0 && i >= s.firstError ? "-" : "+"));
}
