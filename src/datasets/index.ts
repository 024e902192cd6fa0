export { describeZodError, InputError, type JsonlLine, openInput, readJsonl } from "./jsonl.js";
export { type SolutionRecord, solutionRecordSchema, toSolutionInput } from "./solution-records.js";
