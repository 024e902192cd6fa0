import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { fixStepLabels, labelsUntilError, prefixIsCorrect, ratingLabel } from "../../src/core/step-labels.js";
import { type LabelledPrefix, loadPrefixes } from "../../src/datasets/prm800k.js";
import { ScriptedEngine } from "../../src/engines/scripted.js";
import {
  balanceClasses,
  boxedDecisions,
  cleanGeneration,
  formatFilter,
  judgeChain,
  outcomeFilter,
  processFilter,
} from "../../src/synth/filters.js";
import {
  type SynthSettings,
  synthesizePrefix,
  synthYield,
  teacherPrompt,
} from "../../src/synth/synthesize.js";
import { SHARED } from "../helpers.js";

describe("step labels", () => {
  it("maps ratings, neutral by choice", () => {
    expect([1, 0, -1, "+", "-", null].map((r) => ratingLabel(r))).toEqual(["+", "-", "-", "+", "-", "-"]);
    expect(ratingLabel(0, "positive")).toBe("+");
    expect(ratingLabel(-1, "positive")).toBe("-");
  });
  it("fix_step_labels makes every label before the last + a +", () => {
    expect(fixStepLabels(["+", "-", "+", "-", "-"])).toEqual(["+", "+", "+", "-", "-"]);
    expect(fixStepLabels(["-", "-"])).toEqual(["-", "-"]);
    expect(fixStepLabels([])).toEqual([]);
  });
  it("cuts at the first error and reads the outcome from the last label", () => {
    expect(labelsUntilError(["+", "-", "-"])).toEqual(["+", "-"]);
    expect(labelsUntilError(["+", "+"])).toEqual(["+", "+"]);
    expect(prefixIsCorrect(["+", "+"])).toBe(true);
    expect(prefixIsCorrect(["+", "-"])).toBe(false);
    expect(prefixIsCorrect([])).toBe(false);
  });
});

describe("filters", () => {
  it("reads boxed decisions as the official parser: \\text{} unwrapped, only exact contents, answers ignored", () => {
    const g =
      "a \\boxed{correct} b \\boxed{\\text{incorrect}} c \\boxed{468} \\boxed{ correct } \\boxed{\\text{ incorrect }}";
    // extract_boxed_predictions keeps contents exactly equal to correct/incorrect: padded ones are not decisions
    expect(boxedDecisions(g)).toEqual(["+", "-"]);
    expect(boxedDecisions(g, true)).toEqual(["+", "-", "+", "-"]);
    expect(boxedDecisions("no boxes")).toEqual([]);
  });
  it("format: decisions exist, one per step up to the first error or one per prefix step", () => {
    expect(formatFilter([], ["+"], 1)).toBe("no_decisions");
    expect(formatFilter(["+", "-"], ["+", "-"], 4)).toBeNull();
    expect(formatFilter(["+", "-", "-", "-"], ["+", "-"], 4)).toBeNull();
    expect(formatFilter(["+", "-", "-"], ["+", "-"], 4)).toBe("decision_count");
  });
  it("process: every decision equals the gold label; outcome: only the last, with an answer", () => {
    expect(processFilter(["+", "-"], ["+", "-"])).toBeNull();
    expect(processFilter(["-", "-"], ["+", "-"])).toBe("process_mismatch");
    expect(outcomeFilter(["-", "+"], ["+", "+"], "… The answer is 3")).toBeNull();
    expect(outcomeFilter(["-", "+"], ["+", "+"], "no answer sentence")).toBe("outcome_mismatch");
    expect(outcomeFilter(["+", "-"], ["+", "+"], "The answer is 3")).toBe("outcome_mismatch");
  });
  it("cleans like the official code: \\text unwrapped, cut after the last verdict and at </think>", () => {
    expect(cleanGeneration("A \\boxed{\\text{correct}} B \\boxed{incorrect} tail\n</think>\nYes")).toBe(
      "A \\boxed{correct} B \\boxed{incorrect}",
    );
    expect(cleanGeneration("plain </think> after")).toBe("plain ");
    // by default the text after <think> is kept; the official code keeps the text before it
    expect(cleanGeneration("<think>\nStep 1: y \\boxed{correct}")).toBe("\nStep 1: y \\boxed{correct}");
    expect(cleanGeneration("x <think> y \\boxed{correct}", "official")).toBe("x <think>");
  });
  it("a padded verdict: rejected by default as officially; kept whole (its step too) when lenient", () => {
    const labels = [1, -1];
    const g =
      "Step 1: fine \\boxed{correct}\n\nStep 2: wrong \\boxed{ incorrect }\n</think>\nIs the solution correct? No";
    const strict = judgeChain(labels, 2, g, { mode: "process" });
    expect(strict).toMatchObject({ kept: false, reason: "decision_count", decisions: ["+"] });
    const lenient = judgeChain(labels, 2, g, { mode: "process", lenientVerdicts: true });
    expect(lenient).toMatchObject({ kept: true, decisions: ["+", "-"] });
    // the kept chain keeps the step its decision was counted for, written as the exact verdict
    expect(lenient.cleaned).toBe("Step 1: fine \\boxed{correct}\n\nStep 2: wrong \\boxed{incorrect}");
    expect(cleanGeneration("x \\boxed{\\text{ correct }} y", "after", true)).toBe("x \\boxed{correct}");
    expect(cleanGeneration("x \\boxed{correct} y \\boxed{ incorrect } z")).toBe("x \\boxed{correct}");
  });
  it("balances classes by a seeded shuffle", () => {
    const labels = [true, true, true, true, false, false];
    const kept = balanceClasses(labels, 7);
    expect(kept.size).toBe(4);
    expect([...kept].filter((i) => labels[i]).length).toBe(2);
    expect(balanceClasses(labels, 7)).toEqual(kept);
    expect(balanceClasses([true, true], 1).size).toBe(0);
  });
});

// Crafted teacher chains for three phase-1 prefixes, each meant to pass or fail one filter.
const box = (d: string) => (d === "+" ? "\\boxed{correct}" : "\\boxed{incorrect}");
const chain = (ds: string, extra = "") =>
  `${[...ds].map((d, i) => `Step ${i + 1}: checked. The step is ${box(d)}`).join("\n\n")}${extra}\n</think>\nIs the solution correct? Yes`;

describe("synthesis on PRM800K phase-1 prefixes with a scripted teacher", async () => {
  const all = await loadPrefixes(`prm800k:${resolve(SHARED, "data/prm800k/phase1_test.solutions.jsonl")}`);
  const find = (f: (r: number[]) => boolean) => all.find((p) => f(p.ratings as number[]))!;
  const correct = find((r) => r.length === 3 && r.every((x) => x === 1)); // [1,1,1]
  const wrong = find((r) => r.length === 4 && r.at(-1) === -1 && r.slice(0, -1).every((x) => x === 1)); // [1,1,1,-1]
  const neutral = find((r) => r.length >= 2 && r.at(-1) === 0 && r.slice(0, -1).every((x) => x === 1));
  const n = neutral.steps.length;
  const replies: Record<string, string[]> = {
    [correct.id]: [
      chain("+++"),
      chain("+-+"),
      "Looks fine to me.",
      chain("+++", " and a remark after the last verdict"),
    ],
    [wrong.id]: [
      chain("+++-"),
      chain("+-"),
      chain("+++-").replace("Step 1: checked.", `Step 1: ${"padding ".repeat(300)}`),
      chain("+++-")
        .replace("\\boxed{incorrect}", "\\boxed{\\text{incorrect}}")
        .replace("Step 1: checked", "Step 1: verified"),
    ],
    [neutral.id]: [chain(`${"+".repeat(n - 1)}-`), chain("+".repeat(n)), "", ""],
  };
  const teacher = new ScriptedEngine({
    respond: (request, i) => {
      const prefix = [correct, wrong, neutral].find((p) => request.prompt === teacherPrompt(p, null));
      return prefix ? replies[prefix.id]![i]! : new Error("unexpected prompt");
    },
  });
  const settings: SynthSettings = {
    mode: "process",
    perPrefix: 4,
    temperature: 0.1,
    maxTokens: 8192,
    maxLength: 200,
  };
  const words = (t: string) => t.split(/\s+/).length;

  async function run(s: SynthSettings, prefixes: LabelledPrefix[]) {
    const seen = new Set<string>();
    const records = [];
    for (const p of prefixes) records.push(await synthesizePrefix(p, teacher, null, s, words, seen));
    return records;
  }

  it("keeps exactly the crafted chains that pass, with a reason for every other", async () => {
    const records = await run(settings, [correct, wrong, neutral]);
    const verdicts = records.map((r) => r.generations.map((g) => g.reason ?? "kept"));
    expect(verdicts).toEqual([
      ["kept", "process_mismatch", "no_decisions", "duplicate"],
      ["kept", "decision_count", "too_long", "kept"],
      ["kept", "process_mismatch", "no_decisions", "no_decisions"],
    ]);
    const kept = records[1]!.generations[3]!;
    expect(kept.cleaned).toContain("\\boxed{incorrect}");
    expect(kept.cleaned).not.toContain("\\text");
    expect(kept.cleaned.endsWith("\\boxed{incorrect}")).toBe(true);
    expect(records[1]!.generations[0]!.isCorrect).toBe(false);
    expect(records[0]!.generations[0]!.labelsUntilError).toEqual(["+", "+", "+"]);
    expect(synthYield(records)).toEqual({
      prefixes: 3,
      sampled: 12,
      kept: 4,
      reasons: { process_mismatch: 2, no_decisions: 3, duplicate: 1, decision_count: 1, too_long: 1 },
    });
  });

  it("reads a neutral rating as positive when asked", async () => {
    const [rec] = await run({ ...settings, neutral: "positive" }, [neutral]);
    expect(rec!.generations.map((g) => g.reason ?? "kept").slice(0, 2)).toEqual(["process_mismatch", "kept"]);
  });

  it("the outcome filter (ablation) keeps a chain with a wrong middle step and a right final decision", () => {
    const g = chain("+-+", " The answer is $\\sqrt{53}$.");
    expect(judgeChain(correct.ratings, 3, g, { mode: "process" }).reason).toBe("process_mismatch");
    expect(judgeChain(correct.ratings, 3, g, { mode: "outcome" }).kept).toBe(true);
    expect(
      judgeChain(correct.ratings, 3, chain("++-", " The answer is 7."), { mode: "outcome" }).reason,
    ).toBe("outcome_mismatch");
  });
});
