import { describe, expect, it } from "vitest";
import { buildTeacherMessage } from "../../src/core/judge-prompts.js";
import { lcg } from "../../src/core/seeded-random.js";
import { buildThinkPrmUserMessage } from "../../src/core/thinkprm-prompt.js";
import { EngineError } from "../../src/engines/errors.js";
import { judgeChain } from "../../src/synth/filters.js";
import {
  checkAddition,
  DEFAULT_TEACHER_MISTAKES,
  generateAdditions,
  parseTeacherOptions,
  readPrompt,
  SyntheticTeacherEngine,
  syntheticTask,
  teacherChain,
  writeAddition,
} from "../../src/synth/synthetic/index.js";

const NO_MISTAKES = { miss: 0, falseAlarm: 0, blameLast: 0, formatSlip: 0 };

describe("column-addition task", () => {
  it("writes a right solution column by column, ones first, with the carries", () => {
    expect(writeAddition(47, 38)).toEqual({
      steps: ["Ones: 7+8+0=15.", "Tens: 4+3+1=8.", "The answer is 85."],
      answer: "85",
    });
    expect(writeAddition(95, 17).steps).toEqual(["Ones: 5+7+0=12.", "Tens: 9+1+1=11.", "The answer is 112."]);
  });

  it("a slip makes one column wrong; the later columns follow the wrong value, so the answer is wrong", () => {
    const { steps, answer } = writeAddition(47, 38, { column: 0, delta: -2 });
    expect(steps).toEqual(["Ones: 7+8+0=13.", "Tens: 4+3+1=8.", "The answer is 83."]);
    expect(answer).not.toBe(String(47 + 38));
  });

  it("is a function of the seed, and the held-out problems never appear in training", () => {
    const a = syntheticTask({ seed: 3, train: 400, heldOut: 100 });
    const b = syntheticTask({ seed: 3, train: 400, heldOut: 100 });
    const c = syntheticTask({ seed: 4, train: 400, heldOut: 100 });
    expect(a).toEqual(b);
    expect(c.heldOut).not.toEqual(a.heldOut);
    const held = new Set(a.heldOut.map((r) => r.problem));
    expect(a.train.some((r) => held.has(r.problem))).toBe(false);
  });

  it("labels: + before the first error, - from it on; ProcessBench label = index of the first error", () => {
    const task = syntheticTask({ seed: 1, train: 600, heldOut: 300 });
    for (const r of task.train) {
      const first = r.labels.indexOf("-");
      if (first >= 0) expect(r.labels.slice(first).every((l) => l === "-")).toBe(true);
      expect(r.labels).toHaveLength(r.steps.length);
    }
    const wrong = task.heldOut.filter((r) => r.label >= 0);
    // about half wrong (errorRate 0.5), errors in every column position
    expect(wrong.length / task.heldOut.length).toBeGreaterThan(0.4);
    expect(wrong.length / task.heldOut.length).toBeLessThan(0.6);
    expect(new Set(wrong.map((r) => r.label))).toEqual(new Set([0, 1, 2]));
    for (const r of task.heldOut) expect(r.final_answer_correct).toBe(r.label === -1);
    // the training prefixes mix PRM800K's shape (ending at the error) with whole solutions
    const cut = task.train.filter(
      (r) => r.labels.at(-1) === "-" && r.labels.indexOf("-") === r.labels.length - 1,
    );
    const whole = task.train.filter((r) => r.steps.at(-1)?.startsWith("The answer is"));
    expect(cut.length).toBeGreaterThan(50);
    expect(whole.length).toBeGreaterThan(300);
  });
});

describe("the rule-based check", () => {
  it("finds exactly the first wrong step of every generated solution", () => {
    for (const s of generateAdditions(500, 7, "check", { digits: [1, 2, 3, 4] })) {
      const c = checkAddition(s.a, s.b, s.steps);
      const firstWrong = c.steps.findIndex((x) => !x.right);
      expect(firstWrong).toBe(s.firstError);
      expect(c.finalAnswerRight).toBe(s.finalAnswerCorrect);
    }
  });

  it("catches what a slip in the sum does not: wrong digits, a wrong carry, a wrong answer, nonsense", () => {
    const c = checkAddition(47, 38, ["Ones: 7+9+0=16.", "Tens: 4+3+0=7.", "The answer is 86.", "Extra."]);
    expect(c.steps.map((x) => x.right)).toEqual([false, false, false, false]);
    expect(c.steps[0]).toMatchObject({ kind: "column", problem: "the digits there are 7 and 8" });
    expect(c.steps[1]).toMatchObject({ kind: "column", problem: "the carry in is 1" });
    expect(c.steps[2]).toMatchObject({ kind: "answer", expected: "76", claimed: "86" });
    expect(c.steps[3]).toEqual({ kind: "unreadable", right: false });
  });
});

describe("the synthetic teacher", () => {
  const task = syntheticTask({ seed: 2, train: 800, heldOut: 1 });

  it("reads the problem and the steps from the teacher prompt and from the ThinkPRM prompt", () => {
    const { problem, steps } = task.train[0]!;
    expect(readPrompt(buildTeacherMessage(problem, steps))).toEqual({ problem, steps });
    expect(readPrompt(buildThinkPrmUserMessage(problem, steps))).toEqual({ problem, steps });
    expect(readPrompt("What is 2+2?")).toBeNull();
  });

  it("without mistakes, every chain passes the format and process filters", () => {
    for (const p of task.train) {
      const chain = teacherChain(buildTeacherMessage(p.problem, p.steps), lcg(0), NO_MISTAKES)!;
      expect(chain.startsWith("Let's verify step by step:\nStep 1: ")).toBe(true);
      const j = judgeChain(p.labels, p.steps.length, chain, { mode: "process" });
      expect(j.reason ?? "kept").toBe("kept");
    }
  });

  it("shows the chain shape: a critique and a boxed verdict per step, stopping at the first error", () => {
    const prompt = buildTeacherMessage("What is 47+38?", [
      "Ones: 7+8+0=15.",
      "Tens: 4+3+1=9.",
      "The answer is 95.",
    ]);
    expect(teacherChain(prompt, lcg(0), NO_MISTAKES)).toBe(
      "Let's verify step by step:\n" +
        "Step 1: 7+8+0 is 15, and the step has 15. The step is \\boxed{correct}\n" +
        "Step 2: 4+3+1 is 8, and the step has 9. The step is \\boxed{incorrect}\n" +
        "The answer is wrong.",
    );
  });

  it("with its default mistakes, the process filter rejects the wrong chains the outcome filter keeps", () => {
    const counts = { process: 0, outcome: 0, outcomeOnly: 0, chains: 0 };
    for (const [i, p] of task.train.entries()) {
      const chain = teacherChain(buildTeacherMessage(p.problem, p.steps), lcg(i), DEFAULT_TEACHER_MISTAKES)!;
      const byProcess = judgeChain(p.labels, p.steps.length, chain, { mode: "process" }).kept;
      const byOutcome = judgeChain(p.labels, p.steps.length, chain, { mode: "outcome" }).kept;
      counts.chains++;
      if (byProcess) counts.process++;
      if (byOutcome) counts.outcome++;
      if (byOutcome && !byProcess) counts.outcomeOnly++;
    }
    // the teacher is usually right, sometimes wrong
    expect(counts.process / counts.chains).toBeGreaterThan(0.7);
    expect(counts.process / counts.chains).toBeLessThan(0.95);
    // some chains end right for the wrong reason: kept by outcome, rejected by process
    expect(counts.outcomeOnly).toBeGreaterThan(10);
  });

  it("as an engine: seeded, one chain for all samples at temperature 0, its own mistakes per sample above", async () => {
    const teacher = new SyntheticTeacherEngine({ miss: 0.5, falseAlarm: 0.3 });
    const wrong = task.train.find((p) => p.labels.includes("-") && p.steps.length >= 3)!;
    const prompt = buildTeacherMessage(wrong.problem, wrong.steps);
    const greedy = await teacher.complete({ prompt, n: 6, maxTokens: 500, temperature: 0, seed: 1 });
    expect(new Set(greedy.choices.map((c) => c.text)).size).toBe(1);
    const sampled = await teacher.complete({ prompt, n: 12, maxTokens: 500, temperature: 0.1, seed: 1 });
    expect(new Set(sampled.choices.map((c) => c.text)).size).toBeGreaterThan(1);
    const again = await teacher.complete({ prompt, n: 12, maxTokens: 500, temperature: 0.1, seed: 1 });
    expect(again.choices.map((c) => c.text)).toEqual(sampled.choices.map((c) => c.text));
    const cut = await teacher.complete({ prompt, maxTokens: 5, temperature: 0 });
    expect(cut.choices[0]).toMatchObject({ finishReason: "length", generatedTokens: 5 });
    expect(teacher.capabilities.candidateLogprobs).toBe(false);
    await expect(teacher.nextTokenProbabilities()).rejects.toThrow(/no token probabilities/);
  });

  it("refuses prompts of other tasks with an error that says what it reads", async () => {
    const teacher = new SyntheticTeacherEngine();
    const prompt = buildTeacherMessage("Solve 2x = 4.", ["x = 2"]);
    await expect(teacher.complete({ prompt, maxTokens: 100 })).rejects.toSatisfy(
      (e: unknown) => EngineError.isInstance(e) && /column-addition prompts/.test((e as Error).message),
    );
  });

  it("options: name=rate pairs; unknown names and rates outside [0, 1] are errors", () => {
    expect(parseTeacherOptions("")).toEqual(DEFAULT_TEACHER_MISTAKES);
    expect(parseTeacherOptions("miss=0.1,false-alarm=0")).toMatchObject({ miss: 0.1, falseAlarm: 0 });
    expect(() => parseTeacherOptions("mis=0.1")).toThrow(/names: miss, false-alarm, blame-last, format-slip/);
    expect(() => parseTeacherOptions("miss=2")).toThrow(/rates in \[0, 1\]/);
    expect(() => parseTeacherOptions("miss")).toThrow(/name=rate/);
  });
});
