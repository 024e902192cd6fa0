/**
 * A synthetic step-labelled task (the last digit of a sum) and its rule-based teacher: everything needed
 * to make a verifier end to end on a laptop (`npm run bench:learn`, README "Train your own verifier
 * on a laptop"). The teacher is an engine (engines/synthetic-teacher/, with the step check it
 * applies), re-exported here with the task.
 */

export { seededStream } from "../../core/seeded-random.js";
export {
  checkSum,
  parseSumProblem,
  type StepCheck,
  type SumCheck,
} from "../../engines/synthetic-teacher/last-digit-check.js";
export {
  DEFAULT_TEACHER_MISTAKES,
  parseTeacherOptions,
  readPrompt,
  SyntheticTeacherEngine,
  type TeacherMistakes,
  teacherChain,
} from "../../engines/synthetic-teacher/teacher.js";
export {
  generateSums,
  type SumOptions,
  type SumSolution,
  solutionLabels,
  sumProblem,
  sumStep,
  writeSum,
} from "./last-digit.js";
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
