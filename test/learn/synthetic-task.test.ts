import { describe, expect, it } from "vitest";
import { buildTeacherMessage } from "../../src/core/judge-prompts.js";
import { buildThinkPrmUserMessage } from "../../src/core/thinkprm-prompt.js";
import { EngineError } from "../../src/engines/errors.js";
import { engineSpecSchema } from "../../src/engines/spec.js";
import { judgeChain } from "../../src/synth/filters.js";
import {
  checkSum,
  DEFAULT_TEACHER_MISTAKES,
  generateSums,
  parseTeacherOptions,
  readPrompt,
  SyntheticTeacherEngine,
  seededStream,
  syntheticTask,
  teacherChain,
  writeSum,
} from "../../src/synth/synthetic/index.js";
import { cli, workdir } from "../cli/run-cli.js";

const NO_MISTAKES = { miss: 0, falseAlarm: 0, blameLast: 0, formatSlip: 0 };

describe("last-digit task", () => {
  it("works the sum one addition at a time, keeping the last digit", () => {
    expect(writeSum([9, 3, 6])).toEqual({
      steps: ["9+3=12, last digit 2.", "2+6=8, last digit 8.", "The answer is 8."],
      answer: 8,
    });
  });

  it("a slip makes one step wrong; later steps continue from it, so the answer is wrong", () => {
    const { steps, answer } = writeSum([9, 3, 6], { step: 0, delta: -1 });
    expect(steps).toEqual(["9+3=11, last digit 1.", "1+6=7, last digit 7.", "The answer is 7."]);
    expect(answer).not.toBe((9 + 3 + 6) % 10);
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
    // held out: about half wrong, errors at every position a solution has
    const wrong = task.heldOut.filter((r) => r.label >= 0);
    expect(wrong.length / task.heldOut.length).toBeGreaterThan(0.4);
    expect(wrong.length / task.heldOut.length).toBeLessThan(0.6);
    expect(new Set(wrong.map((r) => r.label))).toEqual(new Set([0, 1, 2, 3]));
    for (const r of task.heldOut) expect(r.final_answer_correct).toBe(r.label === -1);
    // training: three in four wrong by default; PRM800K's shape (ending at the error) and whole solutions
    const wrongTrain = task.train.filter((r) => r.labels.includes("-"));
    expect(wrongTrain.length / task.train.length).toBeGreaterThan(0.68);
    expect(wrongTrain.length / task.train.length).toBeLessThan(0.82);
    const cut = wrongTrain.filter((r) => r.labels.indexOf("-") === r.labels.length - 1);
    const whole = task.train.filter((r) => r.steps.at(-1)?.startsWith("The answer is"));
    expect(cut.length).toBeGreaterThan(150);
    expect(whole.length).toBeGreaterThan(250);
  });

  it("refuses to loop forever when the problem space is too small", () => {
    expect(() => generateSums(200, 1, "x", { addends: [2] })).toThrow(/only 81 distinct problems/);
  });
});

describe("the rule-based check", () => {
  it("finds exactly the first wrong step of every generated solution", () => {
    for (const s of generateSums(500, 7, "check", { addends: [2, 3, 4, 5, 6] })) {
      const c = checkSum(s.addends, s.steps);
      expect(c.steps.findIndex((x) => !x.right)).toBe(s.firstError);
      expect(c.finalAnswerRight).toBe(s.finalAnswerCorrect);
    }
  });

  it("catches what a slip in the sum does not: wrong numbers, a wrong last digit, a wrong answer, nonsense", () => {
    const c = checkSum(
      [9, 3, 6],
      ["9+4=13, last digit 3.", "2+6=8, last digit 9.", "The answer is 8.", "Extra."],
    );
    expect(c.steps.map((x) => x.right)).toEqual([false, false, false, false]);
    expect(c.steps[0]).toMatchObject({ kind: "sum", problem: "the next number is 3" });
    expect(c.steps[1]).toMatchObject({
      kind: "sum",
      problem: "the running last digit is 3; the last digit of 8 is 8",
    });
    expect(c.steps[2]).toMatchObject({ kind: "answer", expected: 9, claimed: 8 });
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
      const chain = teacherChain(buildTeacherMessage(p.problem, p.steps), seededStream(0, ""), NO_MISTAKES)!;
      expect(chain.startsWith("\nLet's verify step by step:\nStep 1: ")).toBe(true);
      const j = judgeChain(p.labels, p.steps.length, chain, { mode: "process" });
      expect(j.reason ?? "kept").toBe("kept");
    }
  });

  it("shows the chain shape: a critique and a boxed verdict per step, stopping at the first error", () => {
    const right = ["9+3=12, last digit 2.", "2+6=8, last digit 8.", "The answer is 8."];
    expect(
      teacherChain(
        buildTeacherMessage("What is the last digit of 9+3+6?", right),
        seededStream(0, ""),
        NO_MISTAKES,
      ),
    ).toBe(
      "\nLet's verify step by step:\n" +
        "Step 1: 9+3 is 12, and the step has 12 == 12. The step is \\boxed{correct}\n" +
        "Step 2: 2+6 is 8, and the step has 8 == 8. The step is \\boxed{correct}\n" +
        "Step 3: The last digit is 8. The step is \\boxed{correct}\n" +
        "The answer is right.",
    );
    const wrong = ["9+3=12, last digit 2.", "2+6=9, last digit 9.", "The answer is 9."];
    expect(
      teacherChain(
        buildTeacherMessage("What is the last digit of 9+3+6?", wrong),
        seededStream(0, ""),
        NO_MISTAKES,
      ),
    ).toBe(
      "\nLet's verify step by step:\n" +
        "Step 1: 9+3 is 12, and the step has 12 == 12. The step is \\boxed{correct}\n" +
        "Step 2: 2+6 is 8, and the step has 9 != 8. The step is \\boxed{incorrect}\n" +
        "The answer is wrong.",
    );
  });

  it("with its default mistakes, the process filter rejects the wrong chains the outcome filter keeps", () => {
    const counts = { process: 0, outcome: 0, outcomeOnly: 0, chains: 0 };
    for (const [i, p] of task.train.entries()) {
      const chain = teacherChain(
        buildTeacherMessage(p.problem, p.steps),
        seededStream(i, ""),
        DEFAULT_TEACHER_MISTAKES,
      )!;
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
      (e: unknown) => EngineError.isInstance(e) && /last-digit prompts/.test((e as Error).message),
    );
  });

  it("options: name=rate pairs; unknown names and rates outside [0, 1] are errors", () => {
    expect(parseTeacherOptions("")).toEqual(DEFAULT_TEACHER_MISTAKES);
    expect(parseTeacherOptions("miss=0.1,false-alarm=0")).toMatchObject({ miss: 0.1, falseAlarm: 0 });
    expect(() => parseTeacherOptions("mis=0.1")).toThrow(/names: miss, false-alarm, blame-last, format-slip/);
    expect(() => parseTeacherOptions("miss=2")).toThrow(/rates from 0 to 1/);
    expect(() => parseTeacherOptions("miss")).toThrow(/name=rate/);
    expect(() => parseTeacherOptions("miss=0x1")).toThrow(/cannot read "miss=0x1"/);
    expect(() => parseTeacherOptions("miss=0.1,miss=0.9")).toThrow(/miss is given twice/);
    expect(parseTeacherOptions("miss=.5,blame-last=1.0")).toMatchObject({ miss: 0.5, blameLast: 1 });
  });

  it("the library's engine spec checks the options too", () => {
    const bad = engineSpecSchema.safeParse({ kind: "synthetic-teacher", options: "miss=3" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toContain('cannot read "miss=3"');
    expect(engineSpecSchema.parse({ kind: "synthetic-teacher" })).toEqual({
      kind: "synthetic-teacher",
      options: "",
    });
  });

  it("bad options are a flag error before anything runs (exit 2, no stack trace)", async () => {
    const prefix = {
      id: "a",
      problem: "What is the last digit of 1+2?",
      steps: ["1+2=3, last digit 3."],
      labels: ["+"],
    };
    const r = await cli(["synth", "--teacher", "synthetic-teacher:miss=2", "--source", "jsonl:t.jsonl"], {
      cwd: workdir({ "t.jsonl": `${JSON.stringify(prefix)}\n` }),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error: synthetic-teacher: cannot read "miss=2"; write name=rate with rates from 0 to 1 (e.g. miss=0.2), names: miss, false-alarm, blame-last, format-slip\n',
    );
  });
});
