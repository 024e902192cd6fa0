/**
 * Where the verifier's generation stops (thinkprm-spec.md §2.2 step 2, §8.2 item 1).
 */

export const DECISION_QUESTION = "Is the solution correct?";
export const THINK_CLOSE = "</think>";

/**
 * How `max` is found for the prefix-mode stop `Step {max+1}:`.
 * - `numeric`: the largest step number (the fix; default).
 * - `lexicographic`: the official code's `max()` over the captured *strings*, so with 10+ steps
 *   `"9"` wins and generation is cut at `Step 10:` before steps 10+ are verified. Kept for
 *   reproducing the paper's beam-search numbers.
 */
export type StepMaxRule = "numeric" | "lexicographic";

/**
 * The `Step {max+1}:` stop string. Like the official code it scans the whole prompt (problem
 * text included) for `Step <n>:`, and uses 1 when there is none.
 *
 * @example nextStepStop("Step 1: a\nStep 2: b") // "Step 3:"
 * @example nextStepStop(tenSteps, "lexicographic") // "Step 10:" (max("1","10","9") is "9")
 * @example nextStepStop(tenSteps, "numeric") // "Step 11:"
 */
export function nextStepStop(prompt: string, rule: StepMaxRule = "numeric"): string {
  const found = [...prompt.matchAll(/Step (\d+):/g)].map((m) => m[1]!);
  if (found.length === 0) return "Step 2:";
  const max =
    rule === "numeric"
      ? found.map(Number).reduce((a, b) => Math.max(a, b))
      : // biome-ignore lint/complexity/useMathMinMax: string comparison on purpose (Python's max over str)
        Number(found.reduce((a, b) => (b > a ? b : a)));
  return `Step ${max + 1}:`;
}

export interface VerifierStopOptions {
  /** The model's end-of-sequence token text, if known (e.g. `<｜end▁of▁sentence｜>`). */
  eosToken?: string;
  /** Prefix (process-verifier) mode adds `Step {max+1}:`, so the verifier never judges steps that do not exist. */
  prefixMode?: boolean;
  stepMax?: StepMaxRule;
}

/**
 * The stop strings of one verification: `Is the solution correct?`, the EOS text, `</think>`, and
 * in prefix mode `Step {max+1}:` — in the official order.
 */
export function verifierStopStrings(prompt: string, options: VerifierStopOptions = {}): string[] {
  const stops = [DECISION_QUESTION];
  if (options.eosToken) stops.push(options.eosToken);
  stops.push(THINK_CLOSE);
  if (options.prefixMode) stops.push(nextStepStop(prompt, options.stepMax));
  return stops;
}
