import { describe, expect, it } from "vitest";
import { aggregateScores, decisionScore, yesShare } from "../../src/core/decision-score.js";
import { extractJudgments } from "../../src/core/parse-chain.js";
import { pyReplace, pyStrip } from "../../src/core/python-str.js";
import { type GeneratedToken, stepScoresFromTokens } from "../../src/core/step-scores.js";
import { splitByBlankLines, splitByStepHeaders, splitSteps } from "../../src/core/step-split.js";
import { nextStepStop, verifierStopStrings } from "../../src/core/stop-strings.js";

describe("P(Yes) share", () => {
  it("is P(Yes)/(P(Yes)+P(No)) at T = 1", () => {
    expect(yesShare(Math.log(0.75), Math.log(0.25))).toBeCloseTo(0.75, 12);
    // the shares of non-normalised probabilities: 0.3 / (0.3 + 0.1)
    expect(yesShare(Math.log(0.3), Math.log(0.1))).toBeCloseTo(0.75, 12);
  });
  it("applies the decision temperature as softmax(logp / T)", () => {
    expect(yesShare(Math.log(0.75), Math.log(0.25), 2)).toBeCloseTo(Math.sqrt(3) / (Math.sqrt(3) + 1), 12);
    expect(yesShare(Math.log(0.75), Math.log(0.25), 0.5)).toBeCloseTo(0.9, 12);
  });
  it("never overflows and is NaN only when both are impossible", () => {
    expect(yesShare(-1, -2000)).toBe(1);
    expect(yesShare(Number.NEGATIVE_INFINITY, -1)).toBe(0);
    expect(yesShare(Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY)).toBeNaN();
    expect(() => yesShare(0, 0, 0)).toThrow(RangeError);
  });
  it("sglang mode length-normalises multi-token choices", () => {
    // "yes" 1 token at -0.5; "no" 2 tokens totalling -3 → mean -1.5
    const paper = decisionScore({ logprob: -0.5, tokens: 1 }, { logprob: -3, tokens: 2 }, "paper");
    const sglang = decisionScore({ logprob: -0.5, tokens: 1 }, { logprob: -3, tokens: 2 }, "sglang");
    expect(paper).toBeCloseTo(1 / (1 + Math.exp(-2.5)), 12);
    expect(sglang).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
  });
});

describe("aggregation", () => {
  it("last / min / prod / mean", () => {
    const xs = [0.9, 0.5, 0.8];
    expect(aggregateScores(xs, "last")).toBe(0.8);
    expect(aggregateScores(xs, "min")).toBe(0.5);
    expect(aggregateScores(xs, "prod")).toBeCloseTo(0.36, 12);
    expect(aggregateScores(xs, "mean")).toBeCloseTo(2.2 / 3, 12);
    expect(aggregateScores([], "last")).toBeNaN();
  });
});

describe("stop strings", () => {
  const ten = Array.from({ length: 10 }, (_, i) => `Step ${i + 1}: s`).join("\n");
  it("numeric max (fix) vs the official lexicographic max", () => {
    expect(nextStepStop(ten, "numeric")).toBe("Step 11:");
    expect(nextStepStop(ten, "lexicographic")).toBe("Step 10:"); // max("1", …, "10") is "9"
    expect(nextStepStop("Step 1: a\nStep 2: b", "lexicographic")).toBe("Step 3:");
    expect(nextStepStop("no steps")).toBe("Step 2:"); // official: max defaults to 1
  });
  it("official order, EOS when known, prefix stop only in prefix mode", () => {
    expect(verifierStopStrings(ten)).toEqual(["Is the solution correct?", "</think>"]);
    expect(verifierStopStrings(ten, { eosToken: "<eos>", prefixMode: true })).toEqual([
      "Is the solution correct?",
      "<eos>",
      "</think>",
      "Step 11:",
    ]);
  });
});

describe("step splitting", () => {
  it("the official ## Step / Step N: rule", () => {
    expect(splitByStepHeaders("## Step 1: a\n\n## Step 2: b\nc")).toEqual(["a", "b\nc"]);
    expect(splitByStepHeaders("Intro\nStep 1: a")).toEqual(["Intro", "a"]);
    expect(splitByStepHeaders("no headers\n\nat all")).toEqual(["no headers\n\nat all"]);
    expect(splitByStepHeaders("")).toEqual([]);
  });
  it("blank lines, and auto picks by the presence of headers", () => {
    expect(splitByBlankLines("a\n\nb\n\n\n\nc ")).toEqual(["a", "b", "c"]);
    expect(splitSteps("a\n\nb")).toEqual(["a", "b"]);
    expect(splitSteps("Step 1: a\n\nstill a\nStep 2: b")).toEqual(["a\n\nstill a", "b"]);
  });
});

describe("per-step scores from token logprobs", () => {
  it("P(correct) / (P(correct) + P(incorrect)) at the token after \\boxed{", () => {
    const chain = "ok \\boxed{correct} bad \\boxed{\\text{incorrect}}";
    const t = (text: string, top?: GeneratedToken["top"]): GeneratedToken => ({
      text,
      logprob: 0,
      ...(top ? { top } : {}),
    });
    const tokens = [
      t("ok \\boxed{"),
      t("correct", [
        { text: "correct", logprob: Math.log(0.6) },
        { text: "incorrect", logprob: Math.log(0.2) },
      ]),
      t("} bad \\boxed{\\text{"),
      t("in", [
        { text: "in", logprob: Math.log(0.5) },
        { text: " cor", logprob: Math.log(0.25) },
      ]),
      t("correct}}"),
    ];
    const [a, b] = stepScoresFromTokens(chain, tokens, extractJudgments(chain));
    expect(a).toBeCloseTo(0.75, 12);
    expect(b).toBeCloseTo(1 / 3, 12);
  });
  it("null where the tokens carry no alternatives", () => {
    const chain = "\\boxed{correct}";
    expect(stepScoresFromTokens(chain, [{ text: chain, logprob: 0 }], extractJudgments(chain))).toEqual([
      null,
    ]);
  });
});

describe("Python string semantics", () => {
  it("strip and replace", () => {
    expect(pyStrip("\u001c\u00a0 a \u3000")).toBe("a");
    expect(pyReplace("{x}{x}", "{x}", "$&")).toBe("$&$&");
  });
});
