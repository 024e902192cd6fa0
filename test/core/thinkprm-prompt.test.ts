/**
 * Golden tests: the expected strings are written out by hand from the official formatter
 * (utils/helper.py `format_verification_cot_for_thinkprm` + thinkprm_api.py `process_example`),
 * with the ProcessBench items' own problem and step texts pasted into that structure.
 */
import { describe, expect, it } from "vitest";
import { buildThinkPrmUserMessage, cleanStep, layoutSolution } from "../../src/core/thinkprm-prompt.js";
import { BUILTIN_CHAT_TEMPLATES } from "../../src/engines/chat-template.js";
import { buildPrompt } from "../../src/verifier/prompt.js";
import { processBenchItem } from "../helpers.js";

const INSTRUCTION =
  "Review and critique each step in the proposed solution to determine whether each step is correct. If the solution is incomplete, only verify the provided steps.";
const BOS = "<｜begin▁of▁sentence｜>";
const r1 = BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"];

describe("ThinkPRM prompt, byte for byte", () => {
  it("gsm8k-0, numbered (process-verifier / ProcessBench layout), R1-Distill template, July suffix", () => {
    const item = processBenchItem("gsm8k", "gsm8k-0");
    const [s1, s2, s3, s4] = item.steps;
    const expected =
      `${BOS}<｜User｜>You are given a math problem and a proposed step-by-step solution:\n\n` +
      `[Math Problem]\n\n${item.problem}\n\n[Solution]\n\n` +
      `Step 1: ${s1}\nStep 2: ${s2}\nStep 3: ${s3}\nStep 4: ${s4}\n\n` +
      `${INSTRUCTION}<｜Assistant｜><think>\n\nLet's verify step by step:`;
    expect(item.steps).toHaveLength(4);
    expect(buildPrompt(item, { chatTemplate: r1 })).toBe(expected);
  });

  it("gsm8k-0, plain layout (the July best-of-N path sends unnumbered steps)", () => {
    const item = processBenchItem("gsm8k", "gsm8k-0");
    const expected =
      `${BOS}<｜User｜>You are given a math problem and a proposed step-by-step solution:\n\n` +
      `[Math Problem]\n\n${item.problem}\n\n[Solution]\n\n${item.steps.join("\n")}\n\n` +
      `${INSTRUCTION}<｜Assistant｜><think>\n\nLet's verify step by step:`;
    expect(buildPrompt(item, { chatTemplate: r1, layout: "plain" })).toBe(expected);
  });

  it("gsm8k-49: 16 steps full of `$` amounts (String.replace would expand `$&`, `$$`)", () => {
    const item = processBenchItem("gsm8k", "gsm8k-49");
    expect(item.steps).toHaveLength(16);
    const numbered = item.steps.map((s, i) => `Step ${i + 1}: ${s}`).join("\n");
    expect(numbered).toContain("Step 10: After another 2 months (18 months total)");
    expect(numbered).toContain("$\\boxed{\\$256.70}$");
    const expected =
      `${BOS}<｜User｜>You are given a math problem and a proposed step-by-step solution:\n\n` +
      `[Math Problem]\n\nIf a bag of marbles costs $20 and the price increases by 20% of the original price every two months, how much would a bag of marbles cost after 36 months?\n\n` +
      `[Solution]\n\n${numbered}\n\n${INSTRUCTION}<｜Assistant｜><think>\n\nLet's verify step by step:`;
    expect(buildPrompt(item, { chatTemplate: r1 })).toBe(expected);
  });

  it("gsm8k-114: `Step N:` inside the steps is removed before numbering (official cleaning)", () => {
    const item = processBenchItem("gsm8k", "gsm8k-114");
    const user = buildThinkPrmUserMessage(item.problem, item.steps);
    expect(item.steps[3]!.startsWith("Step 4: Calculate the time")).toBe(true);
    expect(user).toContain("\nStep 4: Calculate the time it takes for Sandy");
    expect(user).not.toContain("Step 4: Step 4:");
    // every occurrence is deleted, not just a leading one
    expect(item.steps[1]).toContain("Step 2: Determine");
    expect(user).toContain("Sandy also loses 2 pounds/week.  Determine how long");
  });

  it("a problem containing {solution} gets the solution substituted (faithful sequential replacement)", () => {
    const user = buildThinkPrmUserMessage("Fill in {solution} and {_instruction}.", ["x = $$1$$ and $&"]);
    const expected =
      "You are given a math problem and a proposed step-by-step solution:\n\n[Math Problem]\n\n" +
      `Fill in Step 1: x = $$1$$ and $& and ${INSTRUCTION}.\n\n[Solution]\n\nStep 1: x = $$1$$ and $&\n\n${INSTRUCTION}`;
    expect(user).toBe(expected);
  });

  it("the filled message is not stripped again (the official code strips the template only)", () => {
    const user = buildThinkPrmUserMessage("  p", ["s"], { instruction: "Check.\n" });
    expect(user.endsWith("Check.\n")).toBe(true);
    expect(user).toContain("[Math Problem]\n\n  p\n\n");
  });

  it("without the suffix (Oct 2025 code) and without a chat template", () => {
    const input = { problem: "1+1?", steps: ["2"] };
    expect(
      buildPrompt(input, { chatTemplate: r1, letsVerifySuffix: false }).endsWith("<｜Assistant｜><think>\n"),
    ).toBe(true);
    expect(buildPrompt(input, { chatTemplate: null, letsVerifySuffix: false })).toBe(
      buildThinkPrmUserMessage("1+1?", ["2"]),
    );
  });
});

describe("step layout", () => {
  it("cleans like re.sub(r'Step \\d+:', '', s).strip(), Unicode digits included", () => {
    expect(cleanStep("  Step 12: add  ")).toBe("add");
    expect(cleanStep("Step ٣: Arabic-Indic three")).toBe("Arabic-Indic three");
    expect(cleanStep("Step one: kept")).toBe("Step one: kept");
    expect(cleanStep("\u001f x \ufeff")).toBe("x \ufeff"); // Python whitespace, not JS trim()
  });
  it("an empty step list is one empty step", () => {
    expect(layoutSolution([], "numbered")).toBe("Step 1: ");
    expect(layoutSolution([], "plain")).toBe("");
  });
});
