export { extractChoice, isChoiceCorrect } from "./choice.js";
export {
  extractProgram,
  gradeProgram,
  outputsMatch,
  type ProgramGrade,
  runTest,
  type TestResult,
  type TestStatus,
} from "./code.js";
export {
  answerElements,
  type Element,
  type GradeDetail,
  gradeAnswer,
  isEquivalent,
  nodesEqual,
  splitTopLevel,
} from "./equivalence.js";
export { close, evaluate, samplePoints } from "./evaluate.js";
export { boxedAnswer, extractAnswer, mathSpans } from "./extract.js";
export { canonical, isLabelLike, type MathNode, symbolsOf } from "./math-ast.js";
export { fixEscapes, normalizeAnswer } from "./normalize.js";
export { parseMath } from "./parse-math.js";
export {
  DEFAULT_LIMITS,
  runPythonSandboxed,
  type SandboxLimits,
  type SandboxResult,
  sandboxUnavailable,
} from "./sandbox.js";
