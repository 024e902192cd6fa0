/**
 * The rule-based check of a last-digit solution (pure): what the synthetic teacher knows. It
 * recomputes every step from the problem and the steps before it, as a careful human would,
 * without ever seeing gold labels.
 */

export type StepCheck =
  | {
      kind: "sum";
      right: boolean;
      /** The step's operands as written, e.g. "9+3". */
      operands: string;
      /** What the operands add up to. */
      sum: number;
      /** The sum the step claims. */
      claimed: number;
      /** What else is wrong in the step (the numbers it adds, its last digit), for the critique. */
      problem?: string;
    }
  | { kind: "answer"; right: boolean; expected: number; claimed: number }
  | { kind: "unreadable"; right: false };

export interface SumCheck {
  addends: number[];
  steps: StepCheck[];
  /** The solution's answer is the true last digit. */
  finalAnswerRight: boolean;
}

const PROBLEM = /^What is the last digit of (\d+(?:\+\d+)+)\?$/;
const STEP = /^(\d+)\+(\d+)=(\d+), last digit (\d+)\.$/;
const ANSWER = /^The answer is (\d+)\.$/;

/** The numbers of a last-digit problem, or null when the problem is not one. */
export function parseSumProblem(problem: string): number[] | null {
  const m = PROBLEM.exec(problem.trim());
  return m ? m[1]!.split("+").map(Number) : null;
}

/**
 * Checks every step.
 *
 * @example checkSum([9, 3, 6], ["9+3=11, last digit 1.", "1+6=7, last digit 7.", "The answer is 7."])
 * // steps[0]: {kind: "sum", right: false, operands: "9+3", sum: 12, claimed: 11}; steps[1].right true; steps[2].right true
 */
export function checkSum(addends: readonly number[], steps: readonly string[]): SumCheck {
  const checks: StepCheck[] = [];
  let current = addends[0]!;
  let finalAnswerRight = false;
  const additions = addends.length - 1;
  for (const [k, raw] of steps.entries()) {
    const text = raw.trim();
    if (k < additions) {
      const m = STEP.exec(text);
      if (!m) {
        checks.push({ kind: "unreadable", right: false });
        continue;
      }
      const [x, y, s, d] = m.slice(1).map(Number) as [number, number, number, number];
      const issues: string[] = [];
      if (x !== current) issues.push(`the running last digit is ${current}`);
      if (y !== addends[k + 1]) issues.push(`the next number is ${addends[k + 1]}`);
      if (d !== s % 10) issues.push(`the last digit of ${s} is ${s % 10}`);
      checks.push({
        kind: "sum",
        right: x + y === s && issues.length === 0,
        operands: `${x}+${y}`,
        sum: x + y,
        claimed: s,
        ...(issues.length > 0 ? { problem: issues.join("; ") } : {}),
      });
      current = d;
    } else if (k === additions) {
      const m = ANSWER.exec(text);
      if (!m) {
        checks.push({ kind: "unreadable", right: false });
        continue;
      }
      const claimed = Number(m[1]);
      finalAnswerRight = claimed === addends.reduce((a, b) => a + b, 0) % 10;
      checks.push({ kind: "answer", right: claimed === current, expected: current, claimed });
    } else {
      checks.push({ kind: "unreadable", right: false });
    }
  }
  return { addends: [...addends], steps: checks, finalAnswerRight };
}
