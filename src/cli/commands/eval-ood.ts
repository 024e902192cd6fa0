/**
 * The out-of-domain side of `thinkprm eval bon --task gpqa|code`: loading the task's problems,
 * what the generator and the verifier see, and grading code candidates in the sandbox (stored per
 * problem, so a resumed run does not run them again).
 */
import type { CandidateProblem } from "../../datasets/bon-candidates.js";
import { InputError } from "../../datasets/jsonl.js";
import {
  CODE_SYSTEM_PROMPT,
  type CodeStepMode,
  choiceGrading,
  codeSteps,
  loadTaskItems,
  MC_SYSTEM_PROMPT,
  type OodTask,
  programKey,
  type TaskItem,
} from "../../eval/tasks.js";
import { extractProgram, gradeProgram, type TestStatus } from "../../grading/code.js";
import { DEFAULT_LIMITS, sandboxUnavailable } from "../../grading/sandbox.js";
import { solutionSteps } from "../../search/beam-search.js";
import { type CandidateGrading, classesFromKeys } from "../../search/best-of-n.js";
import type { RunStore } from "../../store/run-store.js";
import { CliError, type CliIo, resolvePath } from "../io.js";
import { Progress } from "../progress.js";

export type TaskName = "math" | OodTask;

/** The task's problems, or a CliError that names the file, line and field. */
export function loadOodItems(
  io: CliIo,
  task: OodTask,
  dataset: string | undefined,
  opts: { domain: string; seed: number },
): TaskItem[] {
  if (!dataset)
    throw new CliError(
      task === "gpqa"
        ? "--task gpqa needs --dataset <gpqa_diamond.csv> (see the README: how to obtain GPQA)"
        : "--task code needs --dataset <livecodebench.jsonl> (see the README: how to obtain LiveCodeBench)",
    );
  try {
    const items = loadTaskItems(task, resolvePath(io, dataset), {
      ...(opts.domain === "all" ? {} : { domain: opts.domain }),
      seed: opts.seed,
    });
    if (items.length === 0)
      throw new CliError(
        `${dataset}: no ${task === "gpqa" ? `questions in domain "${opts.domain}" (--domain all for every domain)` : "problems"}`,
      );
    return items;
  } catch (error) {
    if (error instanceof InputError) throw new CliError(error.message);
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      throw new CliError(`--dataset: file not found: ${dataset}`);
    throw error;
  }
}

export const systemPromptFor = (task: OodTask) => (task === "gpqa" ? MC_SYSTEM_PROMPT : CODE_SYSTEM_PROMPT);

/** How the verifier cuts a candidate into steps for the task. */
export function stepsFor(task: TaskName, mode: CodeStepMode): (text: string) => string[] {
  return task === "code" ? (text) => codeSteps(text, mode) : solutionSteps;
}

interface StoredGrade {
  passed: boolean[];
  statuses: TestStatus[][];
}

/** Grades every code candidate against all of its tests in the sandbox. */
export async function gradeCodeCandidates(
  io: CliIo,
  problems: CandidateProblem[],
  items: Map<string, TaskItem>,
  store: RunStore,
  runId: string,
  quiet: boolean,
  cpuSeconds: number,
): Promise<Map<string, StoredGrade>> {
  const limits = { ...DEFAULT_LIMITS, cpuSeconds, wallMs: cpuSeconds * 1000 + 4000 };
  const why = sandboxUnavailable();
  if (why) throw new CliError(`code candidates are graded in a sandbox, which cannot run here: ${why}`);
  const grades = new Map<string, StoredGrade>();
  const progress = new Progress(io, "run tests", problems.length, { quiet });
  try {
    for (const [k, p] of problems.entries()) {
      const key = `grades:${p.id}`;
      let g = store.storedResult(runId, key) as StoredGrade | undefined;
      if (!g) {
        const code = items.get(p.id)!.code!;
        const tests = [...code.publicTests, ...code.privateTests];
        const results = [];
        for (const c of p.candidates) {
          results.push(
            await gradeProgram(extractProgram(c.text), tests, {
              ...(code.funcName ? { funcName: code.funcName } : {}),
              limits,
            }),
          );
        }
        g = {
          passed: results.map((r) => r.passed),
          statuses: results.map((r) => r.tests.map((t) => t.status)),
        };
        store.recordResult(runId, key, -10_000 - k, g);
        progress.tick({ invalid: g.passed.filter((x) => !x).length });
      }
      grades.set(p.id, g);
    }
  } finally {
    progress.stop();
  }
  return grades;
}

/** The grading for the best-of-N evaluation of a task (undefined: math equivalence). */
export function gradingFor(
  task: TaskName,
  codeGrades: Map<string, StoredGrade> | null,
): ((p: CandidateProblem) => CandidateGrading) | undefined {
  if (task === "gpqa")
    return (p) =>
      choiceGrading(
        p.candidates.map((c) => c.text),
        p.gold,
      );
  if (task === "code") {
    return (p) => ({
      classOf: classesFromKeys(p.candidates.map((c) => programKey(c.text))),
      correct: codeGrades!.get(p.id)!.passed,
    });
  }
  return undefined;
}

/** pass@1 over every sample: the mean, over problems, of the share of correct candidates. */
export function meanPassAt1(correct: readonly (readonly boolean[])[]): number {
  const shares = correct.filter((c) => c.length > 0).map((c) => c.filter(Boolean).length / c.length);
  return shares.length ? shares.reduce((a, b) => a + b, 0) / shares.length : 0;
}
