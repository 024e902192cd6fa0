import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  discPrmPrefixes,
  mathShepherdPrefixes,
  qwenMathPrmAssistant,
} from "../../src/core/disc-prm-format.js";
import { ScriptedEngine } from "../../src/engines/scripted.js";
import { predictFirstError, UNLOCATED_ERROR } from "../../src/eval/processbench-predict.js";
import { DiscPrmVerifier } from "../../src/verifier/disc-prm-verifier.js";
import { JudgeVerifier, readJudgement } from "../../src/verifier/judge-verifier.js";
import { cli, workdir } from "../cli/run-cli.js";
import { SHARED } from "../helpers.js";

const DIR = join(SHARED, "data/processbench");
const input = { problem: "What is 2+3?", steps: ["2+3 = 6", "So the answer is 6."] };

describe("LLM-as-a-judge", () => {
  it("reads the three prompt formats, after the thinking", () => {
    expect(
      readJudgement("<think>maybe \\boxed{yes}</think>\nThe answer: \\boxed{no}", "judge-single", 2),
    ).toEqual({ decision: "no" });
    expect(readJudgement("</think>\n\\boxed{Yes}", "judge-single", 2)).toEqual({
      decision: "yes",
      firstError: -1,
    });
    expect(readJudgement("</think>\nEarliest error step: 0\n\\boxed{no}", "judge-badstep", 2)).toEqual({
      decision: "no",
      firstError: 0,
    });
    expect(readJudgement("</think>\nEarliest error step: 7", "judge-badstep", 2)).toEqual({ decision: null }); // out of range
    expect(
      readJudgement("Step 1: \\boxed{correct}\nStep 2: \\boxed{incorrect}", "judge-each", 2),
    ).toMatchObject({ decision: "no", firstError: 1 });
    expect(readJudgement("I am not sure.", "judge-single", 2)).toEqual({ decision: null });
  });

  it("judges as verifiers: K samples, invalid outputs counted, predictions for ProcessBench", async () => {
    const engine = new ScriptedEngine({
      replies: [
        "</think>\nEarliest error step: 0\n\\boxed{no}",
        "no idea",
        "</think>\nEarliest error step: 0\n\\boxed{no}",
      ],
    });
    const v = await new JudgeVerifier({ engine, chatTemplate: null, template: "judge-badstep", k: 3 }).verify(
      input,
    );
    expect([v.validChains, v.invalidChains]).toEqual([2, 1]);
    expect(v.chains[1]!.issues[0]!.code).toBe("missing_decision");
    expect(v.score).toBe(0);
    expect(predictFirstError(v)).toBe(0);
    const single = await new JudgeVerifier({
      engine: new ScriptedEngine({ replies: ["\\boxed{no}"] }),
      chatTemplate: null,
      template: "judge-single",
    }).verify(input);
    expect(predictFirstError(single)).toBe(UNLOCATED_ERROR); // "no", but not where
  });
});

describe("discriminative PRMs", () => {
  it("input formats, byte for byte", () => {
    expect(discPrmPrefixes("Q?", ["a", "b"])).toEqual(["Q?\nStep 1: a ки", "Q?\nStep 1: a ки\nStep 2: b ки"]);
    expect(mathShepherdPrefixes("Q?", ["a", "b"])).toEqual(["\nQ?\na ки", "\nQ?\na ки\nb ки"]);
    expect(qwenMathPrmAssistant(["a", "b"])).toBe("a<extra_0>b<extra_0>");
  });

  it("P(+) at each separator; the first step under the threshold is the error; the last step scores the solution", async () => {
    const engine = new ScriptedEngine({
      probabilities: (prompt) =>
        prompt.endsWith("6 ки") && !prompt.includes("answer")
          ? { "+": 0.2, "-": 0.6 }
          : { "+": 0.9, "-": 0.1 },
    });
    const v = await new DiscPrmVerifier(engine, "disc-prm").verify(input);
    expect(v.chains[0]!.stepScores[0]).toBeCloseTo(0.25, 12);
    expect(v.chains[0]!.stepScores[1]).toBeCloseTo(0.9, 12);
    expect(v.score).toBeCloseTo(0.9, 12);
    expect(predictFirstError(v)).toBe(0);
    expect(engine.callsOf("nextTokenProbabilities")).toHaveLength(2);
  });
});

describe("eval processbench with baselines, scaling and calibration", () => {
  it("runs a judge over real items, and K × R scaling from one stored run feeds calibrate", async () => {
    const dir = workdir({
      "judge.json": JSON.stringify({ replies: ["<think>hmm</think>\nEarliest error step: 1\n\\boxed{no}"] }),
      "prm.json": JSON.stringify({
        replies: ["Step 1: \\boxed{correct}\nStep 2: \\boxed{incorrect}\n", "Step 1: \\boxed{incorrect}\n"],
        probabilities: "prompt-hash",
      }),
    });
    const base = [
      "eval",
      "processbench",
      "--subsets",
      "gsm8k",
      "--data-dir",
      DIR,
      "--shard",
      "0/10",
      "-q",
      "--json",
    ];
    const judge = JSON.parse(
      (await cli([...base, "--method", "judge-badstep", "-e", "scripted:judge.json"], { cwd: dir })).stdout,
    );
    // every item predicted "step 1": no correct item can be right
    expect(judge.subsets.gsm8k.items).toBe(40);
    expect(judge.subsets.gsm8k.correct).toBeGreaterThan(0);
    expect(judge.subsets.gsm8k.accCor).toBe(0);
    expect(judge.subsets.gsm8k.invalid).toBe(0);

    const run = await cli(
      [...base, "-e", "scripted:prm.json", "-k", "4", "--rounds", "2", "--temperature", "0.7"],
      { cwd: dir },
    );
    const id = JSON.parse(run.stdout).run;
    const show = JSON.parse((await cli(["runs", "show", id], { cwd: dir })).stdout);
    const series = show.metrics.scaling.map((p: { series: string; tokens: number }) => p.series);
    expect(series.filter((s: string) => s.startsWith("parallel"))).toHaveLength(3); // K = 1, 2, 4
    expect(series.filter((s: string) => s.startsWith("sequential"))).toHaveLength(2); // R = 1, 2
    const k1 = show.metrics.scaling[0];
    const k4 = show.metrics.scaling[2];
    expect(k4.tokens).toBeGreaterThan(k1.tokens);
    expect(typeof show.metrics["score AUROC"] === "number" || show.metrics["score AUROC"] === undefined).toBe(
      true,
    );

    const cal = await cli(["calibrate", "--run", id, "--json"], { cwd: dir });
    const fit = JSON.parse(cal.stdout);
    expect(fit.n).toBe(40);
    expect(fit.calibrator.kind).toBe("temperature");
    expect(fit.after.ece).toBeLessThanOrEqual(fit.before.ece + 1e-9);
    const report = await cli(["report", id, "-o", "r.html"], { cwd: dir });
    expect(report.stdout).toMatch(/plots/);
  });

  it("calibrate reads JSONL and explains bad input", async () => {
    const rows = [...Array(20)].map((_, i) =>
      JSON.stringify({ score: i % 2 ? 0.95 : 0.05, correct: i % 4 !== 3 && i % 2 === 1 }),
    );
    const dir = workdir({ "s.jsonl": rows.join("\n"), "bad.jsonl": '{"score": 2, "correct": true}' });
    const r = await cli(["calibrate", "-i", "s.jsonl", "--method", "platt"], { cwd: dir });
    expect(r.stdout).toMatch(/20 labelled scores; Platt a = /);
    expect(r.stdout).toMatch(/before\s+0\.\d+/);
    expect((await cli(["calibrate", "-i", "bad.jsonl"], { cwd: dir })).stderr).toContain(
      'bad.jsonl:1: field "score"',
    );
    expect((await cli(["calibrate"], { cwd: dir })).stderr).toContain("give one of --run");
  });
});
