/**
 * Best-of-N tasks as records of one interface: what the generator is asked, what the verifier
 * reads, how a candidate becomes verifier steps, and how candidates are grouped and graded. Math
 * (MATH-500, AIME, any {problem, answer} JSONL), GPQA (multiple choice, graded by letter) and
 * LiveCodeBench (code, graded by running its tests in the sandbox) — no `task ===` branches in the
 * commands that run them.
 */
import type { CandidateProblem } from "../datasets/bon-candidates.js";
import { InputError } from "../datasets/jsonl.js";
import { loadProblems } from "../datasets/problems.js";
import { extractProgram, gradeProgram, type TestStatus } from "../grading/code.js";
import { DEFAULT_LIMITS, sandboxUnavailable } from "../grading/sandbox.js";
import { solutionSteps } from "../search/beam-search.js";
import { type CandidateGrading, classesFromKeys } from "../search/best-of-n.js";
import { GENERATOR_SYSTEM_PROMPT } from "../search/types.js";
import {
  CODE_SYSTEM_PROMPT,
  type CodeStepMode,
  choiceGrading,
  codeSteps,
  loadTaskItems,
  MC_SYSTEM_PROMPT,
  MC_VERIFIER_INSTRUCTION,
  programKey,
  type TaskItem,
} from "./tasks.js";

export const BON_TASKS = ["math", "gpqa", "code"] as const;
export type BonTaskName = (typeof BON_TASKS)[number];

/** A problem of a task, ready for generation, verification and grading. */
export interface TaskProblem {
  id: string;
  /** The generator's user message. */
  prompt: string;
  /** The problem as the verifier reads it. */
  problem: string;
  /** The reference answer (a math answer, a letter); empty when tests grade (code). */
  gold: string;
  /** Task-specific payload (code: the tests). */
  item?: TaskItem;
}

/** What grading a problem's candidates stored: correctness per candidate (and per-test statuses for code). */
export interface StoredGrades {
  passed: boolean[];
  statuses?: TestStatus[][];
}

export interface TaskOptions {
  dataDir: string;
  /** GPQA: the High-level domain to keep, or `all`. */
  domain: string;
  /** GPQA: the option shuffle's seed. */
  seed: number;
  codeSteps: CodeStepMode;
  /** Code: CPU seconds per test run. */
  testCpuSeconds: number;
}

export interface BonTask {
  name: BonTaskName;
  /** The generator's system prompt. */
  systemPrompt: string;
  /** The problems of a dataset (a name or a file). Throws `InputError` naming the file and line. */
  load(dataset: string, options: TaskOptions): TaskProblem[];
  /** The verifier's instruction (`undefined`: the trained one). */
  verifierInstruction(which: "trained" | "multiple-choice"): string | undefined;
  /** A candidate as the verifier's steps. */
  steps(text: string, options: TaskOptions): string[];
  /**
   * Grades a problem's candidates when the grading needs work (running tests); stored with the
   * problem's result so a resume does not run them again. Absent: grading is pure.
   */
  gradeCandidates?(
    problem: TaskProblem,
    texts: readonly string[],
    options: TaskOptions,
  ): Promise<StoredGrades>;
  /** Classes and correctness for the votes; `undefined` means math answer equivalence. */
  grading(problem: CandidateProblem, grades: StoredGrades | undefined): CandidateGrading | undefined;
  /** Why this task cannot run here (e.g. no sandbox), or null. */
  unavailable(): string | null;
}

const mathTask: BonTask = {
  name: "math",
  systemPrompt: GENERATOR_SYSTEM_PROMPT,
  load(dataset, options) {
    return loadProblems(dataset, options.dataDir).map((p) => ({
      id: p.id,
      prompt: p.problem,
      problem: p.problem,
      gold: p.answer,
    }));
  },
  verifierInstruction: () => undefined,
  steps: (text) => solutionSteps(text),
  grading: () => undefined,
  unavailable: () => null,
};

function fromItems(items: TaskItem[], dataset: string, what: string): TaskProblem[] {
  if (items.length === 0) throw new InputError(dataset, undefined, `no ${what}`);
  return items.map((i) => ({
    id: i.id,
    prompt: i.prompt,
    problem: i.verifierProblem,
    gold: i.gold,
    item: i,
  }));
}

const gpqaTask: BonTask = {
  name: "gpqa",
  systemPrompt: MC_SYSTEM_PROMPT,
  load(dataset, options) {
    const items = loadTaskItems("gpqa", dataset, {
      ...(options.domain === "all" ? {} : { domain: options.domain }),
      seed: options.seed,
    });
    return fromItems(
      items,
      dataset,
      `questions in domain "${options.domain}" (--domain all for every domain)`,
    );
  },
  verifierInstruction: (which) => (which === "multiple-choice" ? MC_VERIFIER_INSTRUCTION : undefined),
  steps: (text) => solutionSteps(text),
  grading: (p) =>
    choiceGrading(
      p.candidates.map((c) => c.text),
      p.gold,
    ),
  unavailable: () => null,
};

const codeTask: BonTask = {
  name: "code",
  systemPrompt: CODE_SYSTEM_PROMPT,
  load(dataset, _options) {
    return fromItems(loadTaskItems("code", dataset), dataset, "problems");
  },
  verifierInstruction: () => undefined,
  steps: (text, options) => codeSteps(text, options.codeSteps),
  async gradeCandidates(problem, texts, options) {
    const code = problem.item!.code!;
    const tests = [...code.publicTests, ...code.privateTests];
    const limits = {
      ...DEFAULT_LIMITS,
      cpuSeconds: options.testCpuSeconds,
      wallMs: options.testCpuSeconds * 1000 + 4000,
    };
    const results = [];
    for (const text of texts)
      results.push(
        await gradeProgram(extractProgram(text), tests, {
          ...(code.funcName ? { funcName: code.funcName } : {}),
          limits,
        }),
      );
    return {
      passed: results.map((r) => r.passed),
      statuses: results.map((r) => r.tests.map((t) => t.status)),
    };
  },
  grading: (p, grades) => ({
    classOf: classesFromKeys(p.candidates.map((c) => programKey(c.text))),
    correct: grades?.passed ?? p.candidates.map(() => false),
  }),
  unavailable: () => {
    const why = sandboxUnavailable();
    return why ? `code candidates are graded in a sandbox, which cannot run here: ${why}` : null;
  },
};

export const BON_TASK_RECORDS: Record<BonTaskName, BonTask> = {
  math: mathTask,
  gpqa: gpqaTask,
  code: codeTask,
};
