export {
  type BestOfNEvaluation,
  candidateScore,
  evaluateBestOfN,
  type FlagAgreement,
  formatCurve,
} from "./best-of-n-eval.js";
export {
  CODE_SYSTEM_PROMPT,
  type CodeStepMode,
  choiceGrading,
  codeSteps,
  codeUserPrompt,
  loadTaskItems,
  MC_SYSTEM_PROMPT,
  MC_VERIFIER_INSTRUCTION,
  type OodTask,
  programKey,
  type TaskItem,
} from "./tasks.js";
