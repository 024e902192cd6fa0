export {
  BUILTIN_CHAT_TEMPLATES,
  type BuiltinChatTemplateName,
  type ChatMessage,
  type ChatTemplate,
  chatTemplateFromTokenizerConfig,
  isBuiltinChatTemplate,
  renderChat,
} from "./chat-template.js";
export { EngineCapabilityError, EngineError, failsAgain } from "./errors.js";
export type {
  CandidateLogprob,
  CompletionChoice,
  CompletionRequest,
  CompletionResult,
  Engine,
  EngineCapabilities,
  EngineUsage,
  EngineV1,
  FinishReason,
  ProbabilitiesResult,
} from "./types.js";
