/**
 * Turning the verifier's decision into a score (thinkprm-spec.md §2.1–2.5).
 */

/** The continuation text and the log-probability the engine gave it. */
export interface ChoiceLogprob {
  /** Natural-log probability of the whole continuation (sum over its tokens). */
  logprob: number;
  /** How many tokens the continuation took. */
  tokens: number;
}

/**
 * P(Yes) / (P(Yes) + P(No)) with a decision temperature T, i.e. softmax(logp / T)[yes]:
 * `1 / (1 + exp((lpNo - lpYes) / T))`. Computed in this form so it never overflows.
 *
 * @example yesShare(Math.log(0.75), Math.log(0.25)) // 0.75
 * @example yesShare(Math.log(0.75), Math.log(0.25), 2) // sqrt(3) / (sqrt(3) + 1) ≈ 0.634
 */
export function yesShare(logprobYes: number, logprobNo: number, temperature = 1): number {
  if (!(temperature > 0)) throw new RangeError(`decision temperature must be > 0, got ${temperature}`);
  if (logprobYes === Number.NEGATIVE_INFINITY && logprobNo === Number.NEGATIVE_INFINITY) return Number.NaN;
  return 1 / (1 + Math.exp((logprobNo - logprobYes) / temperature));
}

/**
 * How the decision probabilities are read.
 * - `paper`: next-token probabilities of `" Yes"` / `" No"` after `…\nIs the solution correct?`
 *   (the paper's formula, matching the trained capitalised labels). Default.
 * - `sglang`: the July client's scoring: choices `"yes"` / `"no"` after
 *   `"\nIs the solution correct? "` (trailing space), each scored by its length-normalised
 *   (mean per-token) log-probability, as sglang's `gen(choices=…)` does.
 */
export type DecisionMode = "paper" | "sglang";

export interface DecisionSpec {
  /** Text appended to the chain before the choices. */
  predecision: string;
  yes: string;
  no: string;
  /** Whether each choice's log-probability is divided by its token count. */
  lengthNormalised: boolean;
}

export const DECISION_SPECS: Record<DecisionMode, DecisionSpec> = {
  paper: { predecision: "\nIs the solution correct?", yes: " Yes", no: " No", lengthNormalised: false },
  sglang: { predecision: "\nIs the solution correct? ", yes: "yes", no: "no", lengthNormalised: true },
};

/**
 * The score of one chain from the two choices' log-probabilities.
 *
 * @example decisionScore({logprob: -0.1, tokens: 1}, {logprob: -2.4, tokens: 1}, "paper") // ≈ 0.909
 */
export function decisionScore(
  yes: ChoiceLogprob,
  no: ChoiceLogprob,
  mode: DecisionMode,
  temperature = 1,
): number {
  const norm = DECISION_SPECS[mode].lengthNormalised;
  const lp = (c: ChoiceLogprob) => (norm ? c.logprob / Math.max(1, c.tokens) : c.logprob);
  return yesShare(lp(yes), lp(no), temperature);
}

/** How per-step scores become one solution score (search-and-learn's `aggregate_scores`, plus mean). */
export type Aggregation = "last" | "min" | "prod" | "mean";

/**
 * Aggregates a list of scores. An empty list has no score (NaN), never a plausible number.
 *
 * @example aggregateScores([0.9, 0.5, 0.8], "min") // 0.5
 * @example aggregateScores([0.9, 0.5, 0.8], "prod") // 0.36
 */
export function aggregateScores(scores: readonly number[], how: Aggregation): number {
  if (scores.length === 0) return Number.NaN;
  switch (how) {
    case "last":
      return scores[scores.length - 1]!;
    case "min":
      return Math.min(...scores);
    case "prod":
      return scores.reduce((a, b) => a * b, 1);
    case "mean":
      return scores.reduce((a, b) => a + b, 0) / scores.length;
  }
}
