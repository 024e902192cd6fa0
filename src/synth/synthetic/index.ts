/**
 * A synthetic step-labelled task (column addition) and its rule-based teacher: everything needed
 * to make a verifier end to end on a laptop (`npm run bench:learn`, README "Train your own verifier
 * on a laptop").
 */
export {
  type AdditionCheck,
  checkAddition,
  parseAdditionProblem,
  type StepCheck,
} from "./addition-checker.js";
export {
  type AdditionOptions,
  type AdditionSolution,
  COLUMN_NAMES,
  columnStep,
  generateAdditions,
  solutionLabels,
  writeAddition,
} from "./column-addition.js";
export {
  HELD_OUT_SUBSET,
  type LabelledPrefixRecord,
  type PrefixOptions,
  type ProcessBenchRecord,
  processBenchRecords,
  type SyntheticTask,
  type SyntheticTaskOptions,
  syntheticTask,
  trainingPrefixes,
} from "./task-files.js";
export {
  DEFAULT_TEACHER_MISTAKES,
  parseTeacherOptions,
  readPrompt,
  SyntheticTeacherEngine,
  type TeacherMistakes,
  teacherChain,
} from "./teacher.js";
