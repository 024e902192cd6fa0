export {
  BEAM_SEARCH_DEFAULTS,
  type BeamSearchConfig,
  beamSearch,
  bestOfNSearch,
  dvts,
  generatorPrompt,
  solutionSteps,
} from "./beam-search.js";
export {
  type AnswerClasses,
  answerClasses,
  type BestOfNPoint,
  type BestOfNProblem,
  bestOfNCurve,
  type CandidateGrading,
  classesFromKeys,
  defaultNs,
  evaluateProblem,
  type ProblemSelections,
  type ScoredCandidate,
  type Selection,
  select,
} from "./best-of-n.js";
export { functionScorer, verifierScorer } from "./scorers.js";
export * from "./types.js";
