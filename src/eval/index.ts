export {
  type BestOfNEvaluation,
  candidateScore,
  evaluateBestOfN,
  type FlagAgreement,
  formatCurve,
} from "./best-of-n-eval.js";
