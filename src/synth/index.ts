/** Making verifiers: teacher chains, process-based filtering, the fine-tuning set and its statistics. */
export {
  assistantTarget,
  type KeptChain,
  LLAMA_FACTORY_DATASET_INFO,
  messagesRecord,
  sharegptRecord,
  thinkprmRecord,
  trainingSequence,
  trlRecord,
} from "./export.js";
export {
  balanceClasses,
  boxedDecisions,
  type ChainJudgement,
  cleanGeneration,
  type FilterOptions,
  formatFilter,
  judgeChain,
  outcomeFilter,
  processFilter,
  type RejectReason,
} from "./filters.js";
export { formatStatistics, type SetStatistics, setStatistics } from "./stats.js";
export {
  type GenerationRecord,
  type PrefixRecord,
  type SynthSettings,
  type SynthYield,
  synthesizePrefix,
  synthYield,
  teacherPrompt,
} from "./synthesize.js";
