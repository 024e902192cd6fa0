/**
 * The LLM-as-a-judge prompts of the paper and the teacher prompt used to synthesise ThinkPRM's
 * training chains (thinkprm-spec.md §1.6).
 *
 * None of these exist as code in the official repository; the paper shows them as figures. Line
 * breaks follow the figures as rendered ("exact whitespace not recoverable from the paper"), so
 * they are reconstructions, pinned by golden tests here so they never drift silently.
 */
import { cleanStep, layoutSolution } from "./thinkprm-prompt.js";

export type PromptTemplateName = "thinkprm" | "judge-single" | "judge-badstep" | "judge-each" | "teacher";

/**
 * Steps "enclosed with tags and indexed from 0", as the single-label figure describes. The paper
 * says the prompt follows ProcessBench's template, whose tags are `<paragraph_i>…</paragraph_i>`;
 * the figure speaks of steps, so the tags here are `<step_i>`.
 *
 * @example tagSteps(["a", "b"]) // "<step_0>\na\n</step_0>\n<step_1>\nb\n</step_1>"
 */
export function tagSteps(steps: readonly string[]): string {
  return steps.map((s, i) => `<step_${i}>\n${cleanStep(s)}\n</step_${i}>`).join("\n");
}

const JUDGE_HEADER = `The following is a math problem and a solution (split into steps, enclosed with tags and indexed from 0):
[Math Problem]
{problem}
[Solution]
{prefix}
`;

/** "Single-label" judge: critique every step, then one yes/no in `\boxed{}`. */
export const JUDGE_SINGLE_TEMPLATE = `${JUDGE_HEADER}Your task is to review and critique the solution step by step. Your output must be in the following format:
Step 0: <critique>
Step 1: <critique>
...
Step n: <critique>
After your analysis, return yes/no depending on whether the solution is correct.
Please put your final answer (i.e., yes/no) in \\boxed{}`;

/**
 * "Bad-step-index" judge: find the first incorrect step, then one yes/no. The paper describes it
 * in words only; the wording of the index request follows ProcessBench's template.
 */
export const JUDGE_BADSTEP_TEMPLATE = `${JUDGE_HEADER}Your task is to review and critique the solution step by step. Once you identify an error in a step, return the index of the step where the earliest error occurs. Otherwise, return the index of -1 (which typically denotes "not found"). Your output must be in the following format:
Step 0: <critique>
Step 1: <critique>
...
Step n: <critique>
Earliest error step: <index>
After your analysis, return yes/no depending on whether the solution is correct.
Please put your final answer (i.e., yes/no) in \\boxed{}`;

/**
 * The teacher prompt (QwQ-32B-Preview) that produced ThinkPRM's synthetic chains. Used as an
 * LLM-as-a-judge prompt it is the paper's "Decision-for-each-step" variant.
 */
export const TEACHER_TEMPLATE = `You are given a math problem and a proposed multiple-step solution (with a step on each line):
[Math Problem]
{problem}
[Solution]
{solution}
Review and critique the proposed solution steps and determine whether each step is correct. If the solution is incomplete, only critique the steps that are provided. Your output must be in the following format:
Let's verify step by step:
Step 1: <critique>...The step is \\boxed{correct/incorrect}
Step 2: <critique>...The step is \\boxed{correct/incorrect}
...
Step n: <critique>...The step is \\boxed{correct/incorrect}
Once you find an incorrect step, you should stop since you don't need to analyze the remaining steps.`;

/** Fills `{name}` placeholders in one pass, so text inside a value is never re-substituted. */
export function fillOnce(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

/** The judge-single user message. */
export function buildJudgeSingleMessage(problem: string, steps: readonly string[]): string {
  return fillOnce(JUDGE_SINGLE_TEMPLATE, { problem, prefix: tagSteps(steps) });
}

/** The judge-badstep user message. */
export function buildJudgeBadStepMessage(problem: string, steps: readonly string[]): string {
  return fillOnce(JUDGE_BADSTEP_TEMPLATE, { problem, prefix: tagSteps(steps) });
}

/** The teacher / decision-for-each-step user message; steps are `Step k:` lines, 1-based. */
export function buildTeacherMessage(problem: string, steps: readonly string[]): string {
  return fillOnce(TEACHER_TEMPLATE, { problem, solution: layoutSolution(steps, "numbered") });
}
