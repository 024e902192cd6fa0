/**
 * Results are data, failures are types (DESIGN.md). Every parser in `core/` returns a
 * `Result`: either `{ ok: true, value }` or `{ ok: false, issues }`, where each issue has a
 * literal `code` a caller can switch on and a `message` written for a person.
 */

/** Every issue code the library can report. Literal, so callers can `switch` on them. */
export type IssueCode =
  | "missing_decision"
  | "truncated"
  | "label_count_mismatch"
  | "no_judgments"
  | "engine_error"
  | "no_logprobs"
  | "choice_token_absent"
  | "invalid_input"
  | "empty_solution"
  | "repetition";

export interface Issue {
  code: IssueCode;
  message: string;
  /** 0-based step index the issue is about, when it is about one step. */
  stepIndex?: number;
}

export type Result<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(...issues: Issue[]): Result<T> {
  return { ok: false, issues };
}

export function issue(code: IssueCode, message: string, stepIndex?: number): Issue {
  return stepIndex === undefined ? { code, message } : { code, message, stepIndex };
}
