/**
 * The rule-based check of a column-addition solution (pure): what the synthetic teacher knows.
 * It recomputes every step from the problem and the steps before it, as a careful human would,
 * without ever seeing gold labels.
 */
import { COLUMN_NAMES } from "./column-addition.js";

export type StepCheck =
  | {
      kind: "column";
      right: boolean;
      /** The step's operands as written, e.g. "6+8+1". */
      operands: string;
      /** What the operands add up to. */
      sum: number;
      /** The sum the step claims. */
      claimed: number;
      /** What else is wrong in the step (the column, the digits read, the carry in), for the critique. */
      problem?: string;
    }
  | { kind: "answer"; right: boolean; expected: string; claimed: string }
  | { kind: "unreadable"; right: false };

export interface AdditionCheck {
  a: number;
  b: number;
  steps: StepCheck[];
  /** The solution's final answer equals a + b. */
  finalAnswerRight: boolean;
}

const PROBLEM = /^What is (\d+)\+(\d+)\?$/;
const COLUMN = /^([A-Za-z-]+): (\d+)\+(\d+)\+(\d+)=(\d+)\.$/;
const ANSWER = /^The answer is (\d+)\.$/;

/** The addends of a column-addition problem, or null when the problem is not one. */
export function parseAdditionProblem(problem: string): { a: number; b: number } | null {
  const m = PROBLEM.exec(problem.trim());
  return m ? { a: Number(m[1]), b: Number(m[2]) } : null;
}

/**
 * Checks every step.
 *
 * @example checkAddition(47, 38, ["Ones: 7+8+0=15.", "Tens: 4+3+1=9.", "The answer is 95."])
 * // steps[0].right true; steps[1]: {kind: "column", right: false, operands: "4+3+1", sum: 8, claimed: 9}; steps[2].right true
 */
export function checkAddition(a: number, b: number, steps: readonly string[]): AdditionCheck {
  const da = String(a).split("").reverse().map(Number);
  const db = String(b).split("").reverse().map(Number);
  const columns = Math.max(da.length, db.length);
  const checks: StepCheck[] = [];
  const written: number[] = [];
  let carry = 0;
  let finalAnswerRight = false;
  for (const [k, raw] of steps.entries()) {
    const text = raw.trim();
    if (k < columns) {
      const m = COLUMN.exec(text);
      if (!m) {
        checks.push({ kind: "unreadable", right: false });
        continue;
      }
      const [x, y, c, s] = m.slice(2).map(Number) as [number, number, number, number];
      const sum = x + y + c;
      const issues: string[] = [];
      if (m[1] !== COLUMN_NAMES[k]) issues.push(`this is the ${COLUMN_NAMES[k]?.toLowerCase()} column`);
      if (x !== (da[k] ?? 0) || y !== (db[k] ?? 0))
        issues.push(`the digits there are ${da[k] ?? 0} and ${db[k] ?? 0}`);
      if (c !== carry) issues.push(`the carry in is ${carry}`);
      checks.push({
        kind: "column",
        right: sum === s && issues.length === 0,
        operands: `${x}+${y}+${c}`,
        sum,
        claimed: s,
        ...(issues.length > 0 ? { problem: issues.join("; ") } : {}),
      });
      written.push(s % 10);
      carry = Math.floor(s / 10);
    } else if (k === columns) {
      const m = ANSWER.exec(text);
      const expected = `${carry > 0 ? carry : ""}${[...written].reverse().join("")}`;
      if (!m) {
        checks.push({ kind: "unreadable", right: false });
        continue;
      }
      finalAnswerRight = m[1] === String(a + b);
      checks.push({ kind: "answer", right: m[1] === expected, expected, claimed: m[1]! });
    } else {
      checks.push({ kind: "unreadable", right: false });
    }
  }
  return { a, b, steps: checks, finalAnswerRight };
}
