/** One signature for every search algorithm: (problem, context) → result. */
import type { ChatTemplate } from "../engines/chat-template.js";
import type { Engine } from "../engines/types.js";

/** The generator's default system prompt (search-and-learn's `Config.system_prompt`, used for MATH-500). */
export const GENERATOR_SYSTEM_PROMPT =
  "Solve the following math problem efficiently and clearly:\n\n- For simple problems (2 steps or fewer):\nProvide a concise solution with minimal explanation.\n\n- For complex problems (3 steps or more):\nUse this step-by-step format:\n\n## Step 1: [Concise description]\n[Brief explanation and calculations]\n\n## Step 2: [Concise description]\n[Brief explanation and calculations]\n\n...\n\nRegardless of the approach, always conclude with:\n\nTherefore, the final answer is: $\\boxed{answer}$. I hope it is correct.\n\nWhere [answer] is just the final number or expression that solves the problem.";

export interface GeneratorSettings {
  engine: Engine;
  chatTemplate: ChatTemplate | null;
  systemPrompt?: string;
  temperature: number;
  topP?: number;
  maxTokens: number;
  seed?: number;
}

/** Scores a (partial) solution: the verifier's P(Yes) share, or null when it could not tell. */
export interface PrefixScorer {
  score(
    problem: string,
    steps: string[],
    signal?: AbortSignal,
  ): Promise<{ score: number | null; tokens: number }>;
}

export interface SearchProblem {
  id: string;
  /** The problem as the verifier reads it. */
  problem: string;
  /** The generator's user message, when it differs from `problem` (GPQA's lettered options, code's format). */
  prompt?: string;
}

export interface SearchContext {
  generator: GeneratorSettings;
  scorer: PrefixScorer;
  /** How a (partial) completion becomes the verifier's steps; default the official `Step N:` rule. */
  stepsOf?: (text: string) => string[];
  signal?: AbortSignal;
}

export interface SearchCompletion {
  text: string;
  steps: string[];
  score: number | null;
}

export interface SearchResult {
  id: string;
  completions: SearchCompletion[];
  /** Index of the completion the search picks (highest score), -1 when none scored. */
  pred: number;
  generatedTokens: number;
  verifierTokens: number;
}

export type SearchAlgorithm<Config> = (
  problem: SearchProblem,
  ctx: SearchContext,
  config: Config,
) => Promise<SearchResult>;
