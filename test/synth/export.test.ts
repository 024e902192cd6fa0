import { describe, expect, it } from "vitest";
import { BUILTIN_CHAT_TEMPLATES } from "../../src/engines/chat-template.js";
import {
  assistantTarget,
  type KeptChain,
  LLAMA_FACTORY_DATASET_INFO,
  messagesRecord,
  sharegptRecord,
  thinkprmRecord,
  trainingSequence,
  trlRecord,
} from "../../src/synth/export.js";
import { formatStatistics, setStatistics } from "../../src/synth/stats.js";

const chain: KeptChain = {
  id: "L7/3/18#0",
  problem: "What is 1+1?",
  steps: ["1+1 = 3.", "So the answer is 3."],
  labels: ["-"],
  isCorrect: false,
  generation: "\nStep 1: 1+1 is 2, not 3. The step is \\boxed{incorrect}",
};

const USER =
  "You are given a math problem and a proposed step-by-step solution:\n\n[Math Problem]\n\nWhat is 1+1?\n\n[Solution]\n\nStep 1: 1+1 = 3.\nStep 2: So the answer is 3.\n\nReview and critique each step in the proposed solution to determine whether each step is correct. If the solution is incomplete, only verify the provided steps.";
const TARGET =
  "<think>\nLet's verify step by step:\n\nStep 1: 1+1 is 2, not 3. The step is \\boxed{incorrect}\n</think>\nIs the solution correct? No";

describe("the ThinkPRM training format (thinkprm-spec.md §1.4)", () => {
  it("golden: the R1-Distill training sequence, byte for byte", () => {
    expect(trainingSequence(chain, BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"])).toBe(
      `<｜begin▁of▁sentence｜><｜User｜>${USER}<｜Assistant｜>${TARGET}<｜end▁of▁sentence｜>`,
    );
  });

  it("the target: Let's verify inserted once, Yes for a correct prefix", () => {
    expect(assistantTarget(chain.generation, false)).toBe(TARGET);
    expect(assistantTarget("Let's verify step by step:\nStep 1: ok \\boxed{correct}", true)).toBe(
      "<think>\nLet's verify step by step:\nStep 1: ok \\boxed{correct}\n</think>\nIs the solution correct? Yes",
    );
  });

  it("the released 1K set's fields, with the cot in the documented shape", () => {
    const r = thinkprmRecord(chain, BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"]);
    expect(r).toMatchObject({
      id: chain.id,
      problem: chain.problem,
      prefix_steps: chain.steps,
      gt_step_labels: ["-"],
      prefix_label: false,
      cot: TARGET,
    });
    expect(r.prefix).toBe("Step 1: 1+1 = 3.\nStep 2: So the answer is 3.");
    expect(r.cot.startsWith("<think>\nLet's verify step by step:\n\nStep 1:")).toBe(true);
    expect(r.cot.endsWith("\\boxed{incorrect}\n</think>\nIs the solution correct? No")).toBe(true);
  });

  it("TRL prompt/completion: split at the assistant tag, the completion supervised from <think>", () => {
    const r1 = trlRecord(chain, BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"]);
    expect(r1.prompt).toBe(`<｜begin▁of▁sentence｜><｜User｜>${USER}<｜Assistant｜>`);
    expect(r1.completion).toBe(`${TARGET}<｜end▁of▁sentence｜>`);
    // Qwen's <|im_end|> also closes the system and user turns: only the assistant's is moved
    const qwen = trlRecord(chain, BUILTIN_CHAT_TEMPLATES["qwen2.5"]);
    expect(qwen.prompt.endsWith(`${USER}<|im_end|>\n<|im_start|>assistant\n`)).toBe(true);
    expect(qwen.prompt.match(/<\|im_end\|>/g)).toHaveLength(2);
    expect(qwen.completion).toBe(`${TARGET}<|im_end|>`);
  });

  it("chat messages for OpenAI and LLaMA-Factory's sharegpt", () => {
    expect(messagesRecord(chain)).toEqual({
      messages: [
        { role: "user", content: USER },
        { role: "assistant", content: TARGET },
      ],
    });
    expect(sharegptRecord(chain)).toEqual({
      conversations: [
        { from: "human", value: USER },
        { from: "gpt", value: TARGET },
      ],
    });
    expect(LLAMA_FACTORY_DATASET_INFO("d.json").thinkprm).toMatchObject({
      file_name: "d.json",
      formatting: "sharegpt",
      columns: { messages: "conversations" },
    });
  });
});

describe("the paper's statistics table", () => {
  it("counts prefixes, labels, questions, steps and tokens", () => {
    const chains: KeptChain[] = [
      chain,
      {
        ...chain,
        id: "b",
        labels: ["+", "+", "+"],
        isCorrect: true,
        steps: ["a", "b", "c"],
        generation: "one two three four",
      },
      {
        ...chain,
        id: "c",
        problem: "Other?",
        labels: ["+", "-"],
        steps: ["a", "b", "c", "d"],
        generation: "one two",
      },
    ];
    const s = setStatistics(chains, (t) => t.trim().split(/\s+/).length);
    expect(s).toEqual({
      prefixes: { correct: 1, incorrect: 2 },
      stepLabels: { correct: 4, incorrect: 2 },
      uniqueQuestions: 2,
      stepsPerPrefix: { avg: 3, min: 2, max: 4 },
      chainTokens: { avg: (11 + 4 + 2) / 3, min: 2, max: 11 },
    });
    const table = formatStatistics(s, "words");
    expect(table).toContain("prefixes correct / incorrect         1 (33.3%) / 2 (66.7%)");
    expect(table).toContain("steps per prefix avg / min / max     3.0 / 2 / 4");
    expect(table).toContain("chain tokens avg / min / max         5.7 / 2 / 11   (words)");
  });
});
