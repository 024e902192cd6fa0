/** The domain types every folder shares. */

/** A problem and a (possibly partial) step-by-step solution to verify. */
export interface SolutionInput {
  /** Caller's identifier, carried through to results unchanged. */
  id?: string;
  problem: string;
  /** The solution's steps, in order. A partial solution (a prefix) is fine. */
  steps: string[];
  /** The solution as one text, when the steps were cut from it (kept for re-splitting). */
  solution?: string;
  /** Gold labels, when known (evaluation data); never shown to the verifier. */
  gold?: GoldLabels;
}

/** Human labels of a solution. */
export interface GoldLabels {
  /** 0-based index of the earliest wrong step, -1 when every step is correct (ProcessBench's `label`). */
  firstErrorStep?: number;
  /** Whether the solution (its final answer) is correct. */
  correct?: boolean;
}

/** One `\boxed{correct}` / `\boxed{incorrect}` found in a verification chain. */
export interface StepJudgment {
  /** 0-based index of the solution step this judgment is about. */
  stepIndex: number;
  verdict: "correct" | "incorrect";
  /** Character offset of the `\boxed{` in the chain text. */
  offset: number;
  /**
   * How the judgment was tied to its step: `header` when a `Step k` line precedes it since the
   * previous judgment, `order` when it was taken as the step after the previous judgment.
   */
  mappedBy: "header" | "order";
}

/** The verdict of a step after reading the whole chain. */
export type StepVerdict = "correct" | "incorrect" | "unverified";

/** Token accounting for one verification (all chains and rounds together). */
export interface TokenUsage {
  /** Prompt tokens the engine had to evaluate (excludes reused prefix tokens). */
  promptTokens: number;
  /** Tokens the engine generated. */
  generatedTokens: number;
  /** Prompt tokens the engine reused from a cache instead of evaluating again. */
  reusedPromptTokens: number;
}

export const emptyUsage = (): TokenUsage => ({ promptTokens: 0, generatedTokens: 0, reusedPromptTokens: 0 });

export function addUsage(a: TokenUsage, b: Partial<TokenUsage>): TokenUsage {
  return {
    promptTokens: a.promptTokens + (b.promptTokens ?? 0),
    generatedTokens: a.generatedTokens + (b.generatedTokens ?? 0),
    reusedPromptTokens: a.reusedPromptTokens + (b.reusedPromptTokens ?? 0),
  };
}
