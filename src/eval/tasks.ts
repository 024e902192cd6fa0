/**
 * The out-of-domain tasks of the paper's best-of-N experiments: GPQA (multiple choice) and
 * LiveCodeBench (code, graded by running its tests). Each task says what the generator is asked,
 * what the verifier reads as the problem, how a candidate is cut into steps, and how candidates are
 * grouped for votes and graded.
 */
import { splitByStepHeaders } from "../core/step-split.js";
import { formatMcQuestion, loadGpqa } from "../datasets/gpqa.js";
import { type CodeProblem, loadLiveCodeBench } from "../datasets/livecodebench.js";
import { extractChoice } from "../grading/choice.js";
import { extractProgram } from "../grading/code.js";
import { type CandidateGrading, classesFromKeys } from "../search/best-of-n.js";

export type OodTask = "gpqa" | "code";

/** The generator's system prompt for multiple choice: the MATH prompt's step format, a letter in the box. */
export const MC_SYSTEM_PROMPT =
  "Answer the following multiple-choice question efficiently and clearly. Use this step-by-step format:\n\n## Step 1: [Concise description]\n[Brief explanation and calculations]\n\n## Step 2: [Concise description]\n[Brief explanation and calculations]\n\n...\n\nRegardless of the approach, always conclude with:\n\nTherefore, the final answer is: $\\boxed{X}$. I hope it is correct.\n\nWhere X is the letter (A, B, C or D) of the correct option.";

/**
 * The verifier's instruction for multiple choice (`--verifier-instruction multiple-choice`): the
 * trained instruction, also asking whether the chosen option follows. The default stays the
 * trained instruction, which the released verifiers saw in every training example.
 */
export const MC_VERIFIER_INSTRUCTION =
  "Review and critique each step in the proposed solution to determine whether each step is correct, and whether the option it finally chooses follows from the steps. If the solution is incomplete, only verify the provided steps.";

/** LiveCodeBench's system message for code generation. */
export const CODE_SYSTEM_PROMPT =
  "You are an expert Python programmer. You will be given a question (problem specification) and will generate a correct Python program that matches the specification and passes all tests.";

/** LiveCodeBench's code-generation user message: stdin format, or the starter code to complete. */
export function codeUserPrompt(p: Pick<CodeProblem, "content" | "starterCode">): string {
  const format = p.starterCode
    ? `### Format: You will use the following starter code to write the solution to the problem and enclose your code within delimiters.\n\`\`\`python\n${p.starterCode}\n\`\`\``
    : "### Format: Read the inputs from stdin solve the problem and write the answer to stdout (do not directly test on the sample inputs). Enclose your code within delimiters as follows. Ensure that when the python program runs, it reads the inputs, runs the algorithm and writes output to STDOUT.\n```python\n# YOUR CODE HERE\n```";
  return `### Question:\n${p.content}\n\n${format}\n\n### Answer: (use the provided format with backticks)\n\n`;
}

/**
 * How a code candidate is cut into steps for the verifier — the paper does not say, so this is
 * our choice, made an option:
 * - `reasoning` (default): each paragraph of the explanation before the program, then the
 *   program (fenced) as the last step — the verifier judges the plan, then the code;
 * - `blocks`: the program alone, cut at its top-level statements (each `def`/`class`/statement
 *   group that starts at column 0 after a blank line or a definition);
 * - `whole`: the whole completion as one step.
 * A completion without a program is cut as prose (`## Step` headers, else paragraphs).
 */
export type CodeStepMode = "reasoning" | "blocks" | "whole";

export function codeSteps(completion: string, mode: CodeStepMode = "reasoning"): string[] {
  const text = completion.trim();
  if (mode === "whole" || text === "") return [text];
  const program = extractProgram(text);
  const paragraphs = (s: string) =>
    s
      .split(/\n\s*\n/)
      .map((x) => x.trim())
      .filter(Boolean);
  if (program === null) {
    const headed = splitByStepHeaders(text).filter(Boolean);
    return headed.length > 1 ? headed : paragraphs(text);
  }
  if (mode === "blocks") {
    const blocks: string[] = [];
    let current: string[] = [];
    let blank = false;
    for (const line of program.split("\n")) {
      const topLevel = line.length > 0 && !/^\s/.test(line);
      const opensBlock =
        topLevel &&
        (blank || /^(def|class|async def|@)/.test(line)) &&
        !/^(else|elif|except|finally)\b/.test(line);
      if (opensBlock && current.some((l) => l.trim())) {
        blocks.push(current.join("\n").trim());
        current = [];
      }
      current.push(line);
      blank = line.trim() === "";
    }
    if (current.some((l) => l.trim())) blocks.push(current.join("\n").trim());
    return blocks;
  }
  const fence = text.lastIndexOf("```", text.lastIndexOf(program));
  const before = fence > 0 ? text.slice(0, fence) : "";
  return [...paragraphs(before), `\`\`\`python\n${program}\n\`\`\``];
}

/** A problem of an out-of-domain task, ready for generation, verification and grading. */
export interface TaskItem {
  id: string;
  /** The generator's user message. */
  prompt: string;
  /** The problem as the verifier reads it. */
  verifierProblem: string;
  /** The correct letter (gpqa); empty for code (graded by its tests). */
  gold: string;
  code?: CodeProblem;
}

export function loadTaskItems(
  task: OodTask,
  path: string,
  options: { domain?: string; seed?: number } = {},
): TaskItem[] {
  if (task === "gpqa") {
    return loadGpqa(path, {
      ...(options.domain ? { domain: options.domain } : {}),
      seed: options.seed ?? 0,
    }).map((p) => {
      const question = formatMcQuestion(p);
      return { id: p.id, prompt: question, verifierProblem: question, gold: p.answer };
    });
  }
  return loadLiveCodeBench(path).map((p) => ({
    id: p.id,
    prompt: codeUserPrompt(p),
    verifierProblem: p.starterCode
      ? `${p.content}\n\nStarter code:\n\`\`\`python\n${p.starterCode}\n\`\`\``
      : p.content,
    gold: "",
    code: p,
  }));
}

/** Multiple choice: candidates vote by the letter they chose; correct when it is the gold letter. */
export function choiceGrading(texts: readonly string[], gold: string): CandidateGrading {
  const letters = texts.map((t) => extractChoice(t));
  return { classOf: classesFromKeys(letters), correct: letters.map((l) => l !== null && l === gold) };
}

/** Code votes: identical programs (up to whitespace and comments) vote together. */
export function programKey(completion: string): string | null {
  const program = extractProgram(completion);
  if (program === null) return null;
  return program
    .split("\n")
    .map((l) => l.replace(/\s+#.*$/, "").trimEnd())
    .filter((l) => l.trim() && !l.trim().startsWith("#"))
    .join("\n");
}
