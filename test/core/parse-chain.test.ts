import { describe, expect, it } from "vitest";
import { extractJudgments, parseDecision, parseVerificationChain } from "../../src/core/parse-chain.js";

/** Real-shaped chain (hand-written in the format of the ThinkPRM model card's sample output). */
const CARD_SHAPED = `

Step 1: Subtract 3 from both sides: 2x = 4.

Critique: 7 - 3 = 4, so 2x = 4 is right.

The step is \\boxed{correct}

Step 2: Divide by 2: x = 1.

Critique: 4 / 2 = 2, not 1.

Step 2 is \\boxed{incorrect}
</think>
Is the solution correct? No`;

describe("parseVerificationChain", () => {
  it("reads judgments, the first error and the decision", () => {
    const r = parseVerificationChain(CARD_SHAPED, { stepCount: 2 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.judgments.map((j) => [j.stepIndex, j.verdict, j.mappedBy])).toEqual([
      [0, "correct", "header"],
      [1, "incorrect", "header"],
    ]);
    expect(r.value.stepVerdicts).toEqual(["correct", "incorrect"]);
    expect(r.value.firstIncorrectStep).toBe(1);
    expect(r.value.decision).toBe("no");
    expect(r.value.warnings).toEqual([]);
  });

  it("accepts \\boxed{\\text{…}} and spacing variants", () => {
    const j = extractJudgments("\\boxed{\\text{correct}} \\boxed{ incorrect } \\boxed {\\textbf{Correct}}");
    expect(j.map((x) => x.verdict)).toEqual(["correct", "incorrect", "correct"]);
    expect(j.map((x) => x.stepIndex)).toEqual([0, 1, 2]);
  });

  it("ignores other boxed content such as answers", () => {
    expect(extractJudgments("the answer is \\boxed{256.70}, step \\boxed{correct}")).toHaveLength(1);
  });

  it("ties a judgment to its step header even when steps are skipped or re-verified", () => {
    const chain =
      "Step 1: fine \\boxed{correct}\nStep 3: wrong \\boxed{incorrect}\nLet me double check\nStep 3: actually fine \\boxed{correct}";
    const r = parseVerificationChain(chain, { stepCount: 3, requireDecision: false });
    if (!r.ok) throw new Error("expected ok");
    expect(r.value.judgments.map((j) => j.stepIndex)).toEqual([0, 2, 2]);
    expect(r.value.stepVerdicts).toEqual(["correct", "unverified", "correct"]); // the last judgment of a step wins
    expect(r.value.firstIncorrectStep).toBe(-1);
    expect(r.value.warnings.map((w) => [w.code, w.stepIndex])).toEqual([["label_count_mismatch", 1]]);
  });

  it("a header that mentions a step beyond the solution falls back to order", () => {
    const j = extractJudgments("Step 9: \\boxed{correct}", 2);
    expect(j[0]).toMatchObject({ stepIndex: 0, mappedBy: "order" });
  });

  it("a chain that stops at the first incorrect step is complete", () => {
    const r = parseVerificationChain("Step 1: \\boxed{incorrect}\n</think>\nIs the solution correct? No", {
      stepCount: 5,
    });
    if (!r.ok) throw new Error("expected ok");
    expect(r.value.stepVerdicts).toEqual([
      "incorrect",
      "unverified",
      "unverified",
      "unverified",
      "unverified",
    ]);
    expect(r.value.warnings).toEqual([]);
  });

  it("fails on truncation and on a missing decision, with literal codes", () => {
    const t = parseVerificationChain("Step 1: \\boxed{correct}", { finishReason: "length" });
    expect(t.ok ? [] : t.issues.map((i) => i.code)).toEqual(["truncated", "missing_decision"]);
  });

  it("warns on no judgments and on judgments beyond the step count", () => {
    const none = parseVerificationChain("</think>\nIs the solution correct? Yes", { stepCount: 2 });
    expect(none.ok && none.value.warnings.map((w) => w.code)).toEqual(["no_judgments"]);
    const extra = parseVerificationChain(
      "\\boxed{correct} \\boxed{correct} \\boxed{correct}\nIs the solution correct? Yes",
      {
        stepCount: 2,
      },
    );
    expect(extra.ok && extra.value.warnings.map((w) => w.code)).toEqual(["label_count_mismatch"]);
  });
});

describe("parseDecision", () => {
  it("takes the last decision after the last </think>", () => {
    expect(parseDecision("Is the solution correct? Yes\n</think>\nIs the solution correct? No")).toBe("no");
    expect(parseDecision("I wonder: is the solution correct? yes…")).toBe("yes");
    expect(parseDecision("Is the solution correct? Yes\n</think>\nhmm")).toBeNull();
    expect(parseDecision("Is the solution correct? **Yes**")).toBe("yes");
    expect(parseDecision("Is the solution correct? Yesterday")).toBeNull();
  });
});
