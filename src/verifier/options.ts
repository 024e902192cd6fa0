/**
 * The one typed schema for ThinkPRM verification settings; the library, the CLI flags and
 * (later) the HTTP body all read it.
 */
import { z } from "zod";

/** Trigger phrases of the paper's sequential scaling (rounds 2, 3, 4), appended verbatim. */
export const THINKING_ROUND_TRIGGERS = [
  "Let me double check",
  "Let's verify again",
  "Did I miss something?",
] as const;

/** The paper's generation budget (8192) less the official client's margin of 20. */
export const DEFAULT_MAX_TOKENS = 8172;

export const verifySettingsSchema = z.object({
  /** Parallel chains; the score is their mean. */
  k: z.number().int().min(1).max(64).default(1),
  /** Thinking rounds per chain (1 = no extra round; at most 1 + the 3 trigger phrases). */
  rounds: z
    .number()
    .int()
    .min(1)
    .max(THINKING_ROUND_TRIGGERS.length + 1)
    .default(1),
  /** Stop at the first `\boxed{incorrect}` and go straight to the decision. */
  earlyExit: z.boolean().default(false),
  maxTokens: z.number().int().min(1).default(DEFAULT_MAX_TOKENS),
  /** Sampling temperature; default 0 for one chain, 0.6 (the paper's best-of-N setting) for K > 1. */
  temperature: z.number().min(0).max(2).optional(),
  topP: z.number().gt(0).max(1).optional(),
  seed: z.number().int().optional(),
  layout: z.enum(["numbered", "plain"]).default("numbered"),
  instruction: z.string().optional(),
  letsVerifySuffix: z.boolean().default(true),
  /** `paper`: P(" Yes") vs P(" No"); `sglang`: the July client's lower-case, length-normalised choices. */
  decisionMode: z.enum(["paper", "sglang"]).default("paper"),
  decisionTemperature: z.number().gt(0).default(1),
  /** Adds the `Step {max+1}:` stop; default on for the numbered layout (the official prefix mode). */
  prefixMode: z.boolean().optional(),
  /** `numeric` (fix) or `lexicographic` (the official code's string max). */
  stepMax: z.enum(["numeric", "lexicographic"]).default("numeric"),
  /** A chain cut off at `maxTokens`: `invalid` (default), or `force-decision` as the July client does. */
  onTruncated: z.enum(["invalid", "force-decision"]).default("invalid"),
  /** `probabilities` (P(Yes) share) or `vote` (the chain's own Yes/No; for engines without logprobs). */
  scoreWith: z.enum(["probabilities", "vote"]).default("probabilities"),
  /** Ask for token logprobs to compute per-step scores (when the engine has them). */
  stepScores: z.boolean().default(true),
});

export type VerifySettings = z.output<typeof verifySettingsSchema>;
export type VerifySettingsInput = z.input<typeof verifySettingsSchema>;
