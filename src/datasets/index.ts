export { formatMcQuestion, loadGpqa, type McProblem, parseCsv } from "./gpqa.js";
export { describeZodError, InputError, type JsonlLine, openInput, readJsonl } from "./jsonl.js";
export {
  type CodeProblem,
  type CodeTest,
  decodeTestCases,
  loadLiveCodeBench,
  unpickleString,
} from "./livecodebench.js";
export {
  type LabelledPrefix,
  loadPrefixes,
  prefixesFromJsonl,
  prefixesFromRaw,
  prefixesFromSolutions,
  prefixesFromStepwiseParquet,
} from "./prm800k.js";
export { type SolutionRecord, solutionRecordSchema, toSolutionInput } from "./solution-records.js";
