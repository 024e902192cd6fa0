export { extractChoice, isChoiceCorrect } from "./choice.js";
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
