/**
 * thinkprm — generative process reward models (ThinkPRM, arXiv 2504.16828).
 *
 * The public API, named one by one (no `export *`): engines and their spec, verifiers and their
 * settings, the jobs the CLI runs (verify, ProcessBench, best-of-N, search, synth), the run store,
 * loaders, grading, metrics and calibration, and the pure building blocks of prompts and parsing.
 * The engines themselves are subpath exports: `thinkprm/llama-cpp` (needs the optional package
 * node-llama-cpp) and `thinkprm/openai`; tests get `thinkprm/testing` and `thinkprm/conformance`.
 *
 * @example
 * import { createEngine, createVerifier, BUILTIN_CHAT_TEMPLATES } from "thinkprm";
 * const engine = await createEngine({ kind: "openai", endpoints: ["http://127.0.0.1:8000/v1"] });
 * const verifier = createVerifier({ k: 4 }, { engine, chatTemplate: BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"] });
 * const v = await verifier.verify({ problem, steps });
 * v.score; v.stepVerdicts; v.firstIncorrectStep;
 */

// core: prompts, parsing, scoring — pure
export { type Aggregation, aggregateScores, decisionScore, yesShare } from "./core/decision-score.js";
export {
  buildJudgeBadStepMessage,
  buildJudgeSingleMessage,
  buildTeacherMessage,
} from "./core/judge-prompts.js";
export { type ParsedChain, parseVerificationChain } from "./core/parse-chain.js";
export type { Issue, IssueCode, Result } from "./core/result.js";
export { type StepSplitRule, splitSteps } from "./core/step-split.js";
export { DECISION_QUESTION, verifierStopStrings } from "./core/stop-strings.js";
export {
  buildThinkPrmUserMessage,
  LETS_VERIFY_SUFFIX,
  type StepLayout,
  THINKPRM_DEFAULT_INSTRUCTION,
} from "./core/thinkprm-prompt.js";
export type { GoldLabels, SolutionInput, StepJudgment, StepVerdict, TokenUsage } from "./core/types.js";
// datasets
export { type CandidateProblem, loadCandidateSet } from "./datasets/bon-candidates.js";
export { loadGpqa, type McProblem } from "./datasets/gpqa.js";
export { InputError } from "./datasets/jsonl.js";
export { itemKeys } from "./datasets/keys.js";
export { type CodeProblem, loadLiveCodeBench } from "./datasets/livecodebench.js";
export { type LabelledPrefix, loadPrefixes } from "./datasets/prm800k.js";
export { type AnsweredProblem, loadProblems } from "./datasets/problems.js";
export { loadProcessBench, loadProcessBenchFile, type ProcessBenchItem } from "./datasets/processbench.js";
export { toSolutionInput } from "./datasets/solution-records.js";
// engines: the interface, the spec, the factory
export { CachedEngine, type EngineCache } from "./engines/cached.js";
export { BUILTIN_CHAT_TEMPLATES, type ChatTemplate, renderChat } from "./engines/chat-template.js";
export { type ResolvedChatTemplate, resolveChatTemplate } from "./engines/chat-template-source.js";
export { createEngine, type EngineEnvironment } from "./engines/create.js";
export { EngineCapabilityError, EngineError, type EngineErrorCode, failsAgain } from "./engines/errors.js";
export {
  DEFAULT_VERIFIER_MODEL,
  type EngineSpec,
  type EngineSpecInput,
  engineSpecFromFlag,
  engineSpecSchema,
} from "./engines/spec.js";
export type {
  CompletionChoice,
  CompletionRequest,
  CompletionResult,
  Engine,
  EngineCapabilities,
  EngineV1,
  ProbabilitiesResult,
} from "./engines/types.js";
// evaluation: metrics, calibration, best-of-N
export { candidateScore, evaluateBestOfN } from "./eval/best-of-n-eval.js";
export { BON_TASK_RECORDS, type BonTask, type BonTaskName } from "./eval/bon-tasks.js";
export {
  applyCalibrator,
  calibrationReport,
  fitPlatt,
  fitTemperature,
} from "./eval/calibration.js";
export { bootstrap, type Interval, wilson } from "./eval/intervals.js";
export { type Prediction, processBenchMetrics, randomBaselines } from "./eval/processbench-metrics.js";
export { predictFirstError, scalingFromRun } from "./eval/processbench-predict.js";
// grading
export { extractChoice } from "./grading/choice.js";
export { gradeProgram } from "./grading/code.js";
export { gradeAnswer, isEquivalent } from "./grading/equivalence.js";
export { extractAnswer } from "./grading/extract.js";
export { runPythonSandboxed, type SandboxLimits, type SandboxResult } from "./grading/sandbox.js";
// jobs: what the CLI runs, for library users
export { type BonJobOptions, type BonResult, bonJob } from "./jobs/best-of-n.js";
export {
  type ProcessBenchJobOptions,
  type ProcessBenchResult,
  processBenchJob,
} from "./jobs/processbench.js";
export { type SearchJobOptions, type SearchSummary, searchJob } from "./jobs/search.js";
export type { JobEnvironment } from "./jobs/setup.js";
export { type SynthJobOptions, synthJob } from "./jobs/synth.js";
export { type VerifyJobOptions, type VerifySummary, verifyJob } from "./jobs/verify.js";
// search
export { beamSearch, bestOfNSearch, dvts } from "./search/beam-search.js";
export { rankCandidates, type Selection, select } from "./search/best-of-n.js";
export { functionScorer, verifierScorer } from "./search/scorers.js";
export type { SearchContext, SearchProblem, SearchResult } from "./search/types.js";
// the run store and its loop
export { type RunLoopOptions, type RunLoopOutcome, runLoop, runStatusAfter } from "./store/run-loop.js";
export {
  AmbiguousRunError,
  ConfigMismatchError,
  RunBusyError,
  RunNotFoundError,
  type RunRecord,
  RunStore,
  RunStoreError,
} from "./store/run-store.js";
// making verifiers
export { judgeChain } from "./synth/filters.js";
export { markDuplicates, synthesizePrefix } from "./synth/synthesize.js";
export { trainPlan, writeRecipe } from "./train/index.js";
// verifiers
export { createVerifier, type VerifierContext } from "./verifier/create.js";
export { DiscPrmVerifier } from "./verifier/disc-prm-verifier.js";
export { JudgeVerifier } from "./verifier/judge-verifier.js";
export { buildPrompt } from "./verifier/prompt.js";
export {
  DEFAULT_MAX_TOKENS,
  THINKING_ROUND_TRIGGERS,
  VERIFIER_FIELDS,
  VERIFIER_METHODS,
  type VerifierSettings,
  type VerifierSettingsInput,
  verifierSettingsSchema,
} from "./verifier/settings.js";
export { ThinkPrmVerifier, type ThinkPrmVerifierOptions } from "./verifier/thinkprm-verifier.js";
export type { ChainOutcome, Verification, Verifier } from "./verifier/types.js";
