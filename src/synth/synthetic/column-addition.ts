/**
 * A synthetic step-labelled task small enough for a tiny verifier to learn on a laptop: column
 * addition of two numbers, one step per column, then the answer (pure, seeded).
 *
 * Why this task: every step is self-contained and says what it computes, so whether it is right
 * is readable off the step itself — `Tens: 6+8+1=14.` is wrong exactly when 6 + 8 + 1 is not 14 —
 * and the fact needed (a sum of two digits and a carry, 200 facts in all) is seen
 * thousands of times in a thousand examples. A verifier of about a million parameters learns to
 * restate the step, recompute the sum and compare within minutes; it could not learn the
 * long-range arithmetic of free-form word problems in that budget.
 *
 * Errors are a slip in one column's sum (off by 1 or 2). The digit written and the carry follow
 * the slip (the carry into the next column is the tens of the sum as written), so later columns are
 * locally consistent and the final answer is wrong, as with a real
 * careless error: the *first* wrong step is what a verifier must find (ProcessBench's label).
 *
 * @example
 * // 47 + 38, correct:
 * // problem "What is 47+38?"
 * // steps   ["Ones: 7+8+0=15.", "Tens: 4+3+1=8.", "The answer is 85."]
 */
import { lcg } from "../../core/seeded-random.js";
import type { StepLabel } from "../../core/step-labels.js";

export const COLUMN_NAMES = ["Ones", "Tens", "Hundreds", "Thousands", "Ten-thousands"] as const;

export interface AdditionSolution {
  id: string;
  problem: string;
  a: number;
  b: number;
  steps: string[];
  /** 0-based index of the wrong column step, -1 when every step is right. */
  firstError: number;
  finalAnswerCorrect: boolean;
}

export interface AdditionOptions {
  /** How many digits each addend has; drawn uniformly from this list. Default [2, 3]. */
  digits?: readonly number[];
  /** Share of solutions with one wrong column. Default 0.5. */
  errorRate?: number;
}

const DEFAULT_DIGITS = [2, 3] as const;

function pick<T>(rand: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)]!;
}

/** The text of one column step. @example columnStep(1, 6, 8, 1, 15) // "Tens: 6+8+1=15." */
export function columnStep(column: number, x: number, y: number, carryIn: number, sum: number): string {
  const name = COLUMN_NAMES[column] ?? `Column ${column + 1}`;
  return `${name}: ${x}+${y}+${carryIn}=${sum}.`;
}

/**
 * One solution of `a + b` written column by column; `slip` (column, delta) makes that column's sum
 * wrong by `delta`, and everything after follows the wrong value.
 */
export function writeAddition(
  a: number,
  b: number,
  slip?: { column: number; delta: number },
): { steps: string[]; answer: string } {
  const da = String(a).split("").reverse().map(Number);
  const db = String(b).split("").reverse().map(Number);
  const columns = Math.max(da.length, db.length);
  const steps: string[] = [];
  const written: number[] = [];
  let carry = 0;
  for (let k = 0; k < columns; k++) {
    const x = da[k] ?? 0;
    const y = db[k] ?? 0;
    const sum = x + y + carry + (slip?.column === k ? slip.delta : 0);
    steps.push(columnStep(k, x, y, carry, sum));
    written.push(sum % 10);
    carry = Math.floor(sum / 10);
  }
  const answer = `${carry > 0 ? carry : ""}${written.reverse().join("")}`;
  steps.push(`The answer is ${answer}.`);
  return { steps, answer };
}

/** `count` solutions drawn from `seed` (and `salt`, so that train and held-out streams differ). */
export function generateAdditions(
  count: number,
  seed: number,
  salt: string,
  options: AdditionOptions = {},
  exclude: ReadonlySet<string> = new Set(),
): AdditionSolution[] {
  const rand = lcg(seed, salt);
  const digits = options.digits ?? DEFAULT_DIGITS;
  const errorRate = options.errorRate ?? 0.5;
  const out: AdditionSolution[] = [];
  const seen = new Set(exclude);
  while (out.length < count) {
    const n = pick(rand, digits);
    const lo = 10 ** (n - 1);
    const a = lo + Math.floor(rand() * 9 * lo);
    const b = lo + Math.floor(rand() * 9 * lo);
    const problem = `What is ${a}+${b}?`;
    const wrong = rand() < errorRate;
    const column = Math.floor(rand() * n);
    let delta = pick(rand, [-2, -1, 1, 2]);
    if (seen.has(problem)) continue;
    seen.add(problem);
    let slip: { column: number; delta: number } | undefined;
    if (wrong) {
      // the true column sum, to keep a slipped sum non-negative
      const { steps } = writeAddition(a, b);
      const trueSum = Number(/=(\d+)\.$/.exec(steps[column]!)![1]);
      if (trueSum + delta < 0) delta = -delta;
      slip = { column, delta };
    }
    const { steps, answer } = writeAddition(a, b, slip);
    out.push({
      id: `${salt}-${out.length}`,
      problem,
      a,
      b,
      steps,
      firstError: slip ? slip.column : -1,
      finalAnswerCorrect: answer === String(a + b),
    });
  }
  return out;
}

/** Step labels of a whole solution: `+` before the first error, `-` from it on. */
export function solutionLabels(s: AdditionSolution): StepLabel[] {
  return s.steps.map((_, i) => (s.firstError >= 0 && i >= s.firstError ? "-" : "+"));
}
