export {
  auroc,
  brier,
  type CalibrationReport,
  calibrationReport,
  ece,
  type ReliabilityBin,
  reliabilityBins,
} from "./calibration.js";
export {
  type Aggregation,
  aggregateScores,
  type ChoiceLogprob,
  DECISION_SPECS,
  type DecisionMode,
  type DecisionSpec,
  decisionScore,
  yesShare,
} from "./decision-score.js";
export {
  buildJudgeBadStepMessage,
  buildJudgeSingleMessage,
  buildTeacherMessage,
  JUDGE_BADSTEP_TEMPLATE,
  JUDGE_SINGLE_TEMPLATE,
  type PromptTemplateName,
  TEACHER_TEMPLATE,
  tagSteps,
} from "./judge-prompts.js";
export {
  extractJudgments,
  type ParseChainOptions,
  type ParsedChain,
  parseDecision,
  parseVerificationChain,
} from "./parse-chain.js";
export { pyReplace, pyStrip } from "./python-str.js";
export { fail, type Issue, type IssueCode, issue, ok, type Result } from "./result.js";
export { lcg, seededShuffle, seededStream, shuffle } from "./seeded-random.js";
export {
  fixStepLabels,
  labelsUntilError,
  prefixIsCorrect,
  ratingLabel,
  type StepLabel,
} from "./step-labels.js";
export { type GeneratedToken, stepScoresFromTokens } from "./step-scores.js";
export { type StepSplitRule, splitByBlankLines, splitByStepHeaders, splitSteps } from "./step-split.js";
export {
  DECISION_QUESTION,
  nextStepStop,
  type StepMaxRule,
  THINK_CLOSE,
  type VerifierStopOptions,
  verifierStopStrings,
} from "./stop-strings.js";
export {
  buildThinkPrmUserMessage,
  cleanStep,
  LETS_VERIFY_SUFFIX,
  layoutSolution,
  type StepLayout,
  THINKPRM_DEFAULT_INSTRUCTION,
  THINKPRM_USER_TEMPLATE,
  type ThinkPrmPromptOptions,
} from "./thinkprm-prompt.js";
export {
  addUsage,
  emptyUsage,
  type SolutionInput,
  type StepJudgment,
  type StepVerdict,
  type TokenUsage,
} from "./types.js";
