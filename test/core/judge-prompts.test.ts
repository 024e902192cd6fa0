import { describe, expect, it } from "vitest";
import {
  buildJudgeBadStepMessage,
  buildJudgeSingleMessage,
  buildTeacherMessage,
  tagSteps,
} from "../../src/core/judge-prompts.js";

describe("judge and teacher prompts (paper figures, pinned)", () => {
  const problem = "What is 2+3?";
  const steps = ["2+3 = 5", "So the answer is 5."];

  it("teacher / decision-for-each-step", () => {
    expect(buildTeacherMessage(problem, steps)).toBe(
      "You are given a math problem and a proposed multiple-step solution (with a step on each line):\n[Math Problem]\nWhat is 2+3?\n[Solution]\nStep 1: 2+3 = 5\nStep 2: So the answer is 5.\n" +
        "Review and critique the proposed solution steps and determine whether each step is correct. If the solution is incomplete, only critique the steps that are provided. Your output must be in the following format:\n" +
        "Let's verify step by step:\nStep 1: <critique>...The step is \\boxed{correct/incorrect}\nStep 2: <critique>...The step is \\boxed{correct/incorrect}\n...\nStep n: <critique>...The step is \\boxed{correct/incorrect}\n" +
        "Once you find an incorrect step, you should stop since you don't need to analyze the remaining steps.",
    );
  });

  it("single yes/no, steps tagged from 0", () => {
    expect(buildJudgeSingleMessage(problem, steps)).toBe(
      "The following is a math problem and a solution (split into steps, enclosed with tags and indexed from 0):\n[Math Problem]\nWhat is 2+3?\n[Solution]\n" +
        "<step_0>\n2+3 = 5\n</step_0>\n<step_1>\nSo the answer is 5.\n</step_1>\n" +
        "Your task is to review and critique the solution step by step. Your output must be in the following format:\nStep 0: <critique>\nStep 1: <critique>\n...\nStep n: <critique>\n" +
        "After your analysis, return yes/no depending on whether the solution is correct.\nPlease put your final answer (i.e., yes/no) in \\boxed{}",
    );
  });

  it("bad-step-index asks for the earliest error index, then yes/no", () => {
    const m = buildJudgeBadStepMessage(problem, steps);
    expect(m).toContain("return the index of the step where the earliest error occurs");
    expect(m).toContain("Earliest error step: <index>\n");
    expect(m.endsWith("Please put your final answer (i.e., yes/no) in \\boxed{}")).toBe(true);
  });

  it("placeholders in the problem are never re-substituted (single pass)", () => {
    expect(buildJudgeSingleMessage("{prefix} $&", ["a"])).toContain(
      "[Math Problem]\n{prefix} $&\n[Solution]\n<step_0>",
    );
    expect(tagSteps([])).toBe("");
  });
});
