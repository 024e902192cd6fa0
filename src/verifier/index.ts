export { majorityVerdicts } from "./aggregate.js";
export { coverageOf, llmSplitSteps, SPLITTER_INSTRUCTION, type SplitResult } from "./llm-splitter.js";
export { buildPrompt, buildUserMessage, type PromptOptions, thinkingIsOpen } from "./prompt.js";
export {
  DEFAULT_MAX_TOKENS,
  THINKING_ROUND_TRIGGERS,
  type VerifySettings,
  type VerifySettingsInput,
  verifySettingsSchema,
} from "./settings.js";
export {
  EARLY_EXIT_STOPS,
  ThinkPrmVerifier,
  type ThinkPrmVerifierOptions,
  verify,
} from "./thinkprm-verifier.js";
export type { ChainOutcome, Verification, Verifier } from "./types.js";
