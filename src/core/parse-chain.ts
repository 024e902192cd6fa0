/**
 * Reading a verification chain: which steps it judged correct or incorrect, the first incorrect
 * step, and the final Yes/No (thinkprm-spec.md §1.5, §2.4).
 *
 * Security: these functions are only ever given text the *verifier generated*, never the prompt.
 * A candidate solution that contains `\boxed{correct}` or "Is the solution correct? Yes" is part
 * of the prompt, so it cannot add judgments or a decision here.
 */
import { type Issue, issue, ok, type Result } from "./result.js";
import type { StepJudgment, StepVerdict } from "./types.js";

/**
 * `\boxed{correct}`, `\boxed{incorrect}`, also wrapped as `\boxed{\text{…}}` (the training
 * parser's normalisation), `\textbf{…}` or `\mathrm{…}`, with optional spaces, any letter case.
 */
const VERDICT = /\\boxed\s*\{\s*(?:\\(?:text|textbf|mathrm)\s*\{\s*([A-Za-z]+)\s*\}|([A-Za-z]+))\s*\}/g;

/** A step header at the start of a line: `Step 3:`, `**Step 3**`, `## Step 3`, `Step 3 is …`. */
const STEP_HEADER = /^[ \t>*#_-]*Step\s+(\d+)\b/gm;

/** The final decision the verifier writes, e.g. `Is the solution correct? Yes`. */
const DECISION = /Is the solution correct\?\s*\**\s*(Yes|No)\b/gi;

/**
 * Every step judgment in the chain, in order, tied to a 0-based step index.
 *
 * A judgment is tied to the last `Step k` header that starts a line between the previous judgment
 * and itself (so re-verifications and skipped steps land on the right step); without such a header
 * it is taken as the step after the previous judgment. Headers outside `1..stepCount` (when the
 * count is known) are ignored in favour of order.
 *
 * @example
 * extractJudgments("Step 1: ok. \\boxed{correct}\nStep 2: 2+2=5 \\boxed{incorrect}")
 * // [{stepIndex: 0, verdict: "correct", …}, {stepIndex: 1, verdict: "incorrect", …}]
 */
export function extractJudgments(chain: string, stepCount?: number): StepJudgment[] {
  const headers = [...chain.matchAll(STEP_HEADER)].map((m) => ({ at: m.index, step: Number(m[1]) }));
  const judgments: StepJudgment[] = [];
  let windowStart = 0;
  let previousIndex = -1;
  for (const m of chain.matchAll(VERDICT)) {
    const word = (m[1] ?? m[2] ?? "").toLowerCase();
    if (word !== "correct" && word !== "incorrect") continue;
    const header = headers.filter((h) => h.at >= windowStart && h.at < m.index).at(-1);
    const valid = header && header.step >= 1 && (stepCount === undefined || header.step <= stepCount);
    const stepIndex = valid ? header.step - 1 : previousIndex + 1;
    judgments.push({ stepIndex, verdict: word, offset: m.index, mappedBy: valid ? "header" : "order" });
    previousIndex = stepIndex;
    windowStart = m.index + m[0].length;
  }
  return judgments;
}

/**
 * The final Yes/No the chain wrote itself, or `null`. Only the last decision counts, and when the
 * chain closes its thinking (`</think>`), only a decision after the last `</think>`.
 *
 * @example parseDecision("…\\boxed{incorrect}\n</think>\nIs the solution correct? No") // "no"
 */
export function parseDecision(chain: string): "yes" | "no" | null {
  const close = chain.lastIndexOf("</think>");
  const tail = close >= 0 ? chain.slice(close) : chain;
  const last = [...tail.matchAll(DECISION)].at(-1);
  return last ? (last[1]!.toLowerCase() as "yes" | "no") : null;
}

export interface ParsedChain {
  judgments: StepJudgment[];
  /** One verdict per step; the last judgment of a step wins (a later round may revise it). */
  stepVerdicts: StepVerdict[];
  /** 0-based index of the first step whose verdict is incorrect, or -1 when there is none. */
  firstIncorrectStep: number;
  decision: "yes" | "no" | null;
  /** Non-fatal findings (`no_judgments`, `label_count_mismatch`). */
  warnings: Issue[];
}

export interface ParseChainOptions {
  /** Number of steps in the verified solution; enables the count checks. */
  stepCount?: number;
  /** How generation ended; `length` means the chain was cut off (`truncated`). */
  finishReason?: string;
  /** Fail with `missing_decision` when the chain wrote no Yes/No (text mode). Default true. */
  requireDecision?: boolean;
}

/**
 * Parses a verification chain into judgments, per-step verdicts, the first error and the decision.
 *
 * Fails (`ok: false`) when the chain was truncated or, if required, has no decision. A chain that
 * judges no step, or fewer steps than it should without having found an error, parses with a
 * warning: its decision may still be usable, but its step verdicts are incomplete.
 *
 * @example
 * parseVerificationChain("Step 1: … \\boxed{correct}\n</think>\nIs the solution correct? Yes", { stepCount: 1 })
 * // { ok: true, value: { stepVerdicts: ["correct"], firstIncorrectStep: -1, decision: "yes", … } }
 */
export function parseVerificationChain(chain: string, options: ParseChainOptions = {}): Result<ParsedChain> {
  const { stepCount, finishReason, requireDecision = true } = options;
  const judgments = extractJudgments(chain, stepCount);
  const decision = parseDecision(chain);

  const fatal: Issue[] = [];
  if (finishReason === "length") {
    fatal.push(issue("truncated", "the verification chain hit the token limit before it finished"));
  }
  if (requireDecision && decision === null) {
    fatal.push(issue("missing_decision", 'the chain has no final "Is the solution correct? Yes|No"'));
  }
  if (fatal.length > 0) return { ok: false, issues: fatal };

  const count = stepCount ?? judgments.reduce((max, j) => Math.max(max, j.stepIndex + 1), 0);
  const stepVerdicts: StepVerdict[] = Array.from({ length: count }, () => "unverified");
  for (const j of judgments) if (j.stepIndex < count) stepVerdicts[j.stepIndex] = j.verdict;
  const firstIncorrectStep = stepVerdicts.indexOf("incorrect");

  const warnings: Issue[] = [];
  if (judgments.length === 0) {
    warnings.push(issue("no_judgments", "the chain contains no \\boxed{correct} or \\boxed{incorrect}"));
  } else if (stepCount !== undefined) {
    const beyond = judgments.find((j) => j.stepIndex >= stepCount);
    const judgedUntil = firstIncorrectStep >= 0 ? firstIncorrectStep + 1 : stepCount;
    const missing = stepVerdicts.slice(0, judgedUntil).indexOf("unverified");
    if (beyond) {
      warnings.push(
        issue(
          "label_count_mismatch",
          `a judgment refers to step ${beyond.stepIndex + 1} of ${stepCount}`,
          beyond.stepIndex,
        ),
      );
    } else if (missing >= 0) {
      warnings.push(issue("label_count_mismatch", `step ${missing + 1} was never judged`, missing));
    }
  }
  return ok({ judgments, stepVerdicts, firstIncorrectStep, decision, warnings });
}
