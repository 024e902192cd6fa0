/** What a verification returns. */
import type { Issue } from "../core/result.js";
import type { StepJudgment, StepVerdict, TokenUsage } from "../core/types.js";
import type { FinishReason } from "../engines/types.js";

/** One verification chain (one of K), after all its rounds. */
export interface ChainOutcome {
  /** Which of the K parallel chains (0-based). */
  index: number;
  /** The generated chain: every round, with the trigger phrases between rounds. */
  text: string;
  rounds: number;
  /** Where each round's text ends in `text` (character offsets), and the tokens it generated. */
  roundEnds: number[];
  roundTokens: number[];
  finishReason: FinishReason | "error";
  /** False when the chain cannot be scored; `issues` says why. Invalid chains never get a score. */
  valid: boolean;
  issues: Issue[];
  warnings: Issue[];
  judgments: StepJudgment[];
  stepVerdicts: StepVerdict[];
  firstIncorrectStep: number;
  /** Per judgment: P(correct) at its `\boxed{`, or null where the engine gave no token logprobs. */
  stepScores: (number | null)[];
  /** Log-probabilities of the two choices, when read from probabilities. */
  decisionLogprobs?: { yes: number | null; no: number | null };
  /** P(Yes) / (P(Yes) + P(No)) for this chain, or the 1/0 vote in vote mode. */
  score: number | null;
  /** Set when early exit stopped the chain at a `\boxed{incorrect}`. */
  earlyExit?: { atStep: number; stepsSkipped: number; estimatedTokensSaved: number };
  usage: TokenUsage;
}

export interface Verification {
  id?: string;
  /** How it was verified: by chains that judge the whole solution (absent), or one prefix at a time. */
  mode?: "per-step";
  stepCount: number;
  /** The raw prompt sent to the engine. */
  prompt: string;
  /** Mean score of the valid chains; null when none was valid. */
  score: number | null;
  /** `yes` when score ≥ 0.5, `no` below, null without a score. */
  decision: "yes" | "no" | null;
  /** Per step, the majority verdict of the valid chains (a tie counts as incorrect). */
  stepVerdicts: StepVerdict[];
  firstIncorrectStep: number;
  /** Per step, the mean P(correct) over the chains that judged it; null where none did. */
  stepScores: (number | null)[];
  chains: ChainOutcome[];
  validChains: number;
  invalidChains: number;
  usage: TokenUsage;
}

/**
 * What a verification reports while it runs (`verify(input, signal, onEvent)`): the chains' text as
 * it is written, each step verdict the moment its `\boxed{…}` is complete, each new thinking
 * round, each chain's decision, and the whole verification at the end.
 */
export type VerificationEvent =
  | { type: "token"; chain: number; text: string }
  | { type: "step"; chain: number; step: number; verdict: "correct" | "incorrect" }
  | { type: "round"; chain: number; round: number }
  | { type: "decision"; chain: number; score: number | null; valid: boolean }
  | { type: "done"; verification: Verification };

/** Anything that verifies a solution: ThinkPRM, LLM-as-a-judge, discriminative PRMs. */
export interface Verifier {
  readonly name: string;
  verify(
    input: import("../core/types.js").SolutionInput,
    signal?: AbortSignal,
    onEvent?: (event: VerificationEvent) => void,
  ): Promise<Verification>;
}
