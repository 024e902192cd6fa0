/**
 * The real embedded engine (node-llama-cpp) on models the project generates: the conformance
 * suite, the constant-logit oracle through `verify`, prefix reuse, and malformed files.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUILTIN_CHAT_TEMPLATES } from "../../src/engines/chat-template.js";
import { runEngineConformance } from "../../src/engines/conformance.js";
import { LlamaCppEngine } from "../../src/engines/llama-cpp/engine.js";
import { singleToken } from "../../src/engines/llama-cpp/generate.js";
import { makeConstantModel, makeTinyModel } from "../../src/engines/llama-cpp/test-models.js";
import { splitStops } from "../../src/engines/llama-cpp/text-pieces.js";
import { ThinkPrmVerifier } from "../../src/verifier/thinkprm-verifier.js";

const dir = mkdtempSync(join(tmpdir(), "thinkprm-llama-"));
const write = (name: string, bytes: Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};
const tiny = write("tiny.gguf", makeTinyModel());
const constant = write("constant.gguf", makeConstantModel());
const engine = (modelPath: string, extra = {}) =>
  LlamaCppEngine.create({ modelPath, threads: 1, contextSize: 2048, ...extra });

// one sequence (samples one after another) and two (n = 3 samples: a batched round of 2, then 1);
// four sequences, the default, run in llama-cpp-batched.test.ts
runEngineConformance("llama-cpp (tiny generated qwen2), one sequence", () => engine(tiny, { sequences: 1 }), {
  timeoutMs: 60_000,
});
runEngineConformance("llama-cpp, 2 sequences", () => engine(tiny, { sequences: 2 }), {
  timeoutMs: 60_000,
});

describe("constant-logit oracle through the real engine", () => {
  it("absolute next-token probabilities are the hand-set ones", async () => {
    const e = await engine(constant, { decisionProbabilities: "absolute" });
    const r = await e.nextTokenProbabilities("<｜begin▁of▁sentence｜>anything at all", [" Yes", " No"]);
    expect(r.candidates[0]!.logprob).toBeCloseTo(Math.log(0.375), 5);
    expect(r.candidates[1]!.logprob).toBeCloseTo(Math.log(0.125), 5);
    await e.close();
  });

  it("verify gives P(Yes)/(P(Yes)+P(No)) = 0.75 exactly, and the analytic value at T = 2", async () => {
    const e = await engine(constant);
    const input = { problem: "What is 2+3?", steps: ["2+3 = 5", "So the answer is 5."] };
    const v = await new ThinkPrmVerifier({
      engine: e,
      chatTemplate: BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"],
    }).verify(input);
    expect(v.chains[0]!.finishReason).toBe("eos"); // EOS is the most likely token: the chain ends at once
    // llama.cpp computes probabilities in float32: "exact" means to about 1e-6
    expect(v.score).toBeCloseTo(0.75, 5);
    const hot = await new ThinkPrmVerifier({ engine: e, chatTemplate: null, decisionTemperature: 2 }).verify(
      input,
    );
    expect(hot.score).toBeCloseTo(Math.sqrt(3) / (Math.sqrt(3) + 1), 5);
    await e.close();
  });
});

describe("llama-cpp engine behaviour", () => {
  it("the decision reuses the chain in the KV cache: only the new tokens are evaluated", async () => {
    const e = await engine(tiny);
    const v = await new ThinkPrmVerifier({
      engine: e,
      chatTemplate: BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"],
      maxTokens: 24,
      onTruncated: "force-decision",
    }).verify({ problem: "What is 2+3?", steps: ["5"] });
    const c = v.chains[0]!;
    const prompt = e.tokenCount(v.prompt);
    expect(c.usage.generatedTokens).toBeGreaterThan(0);
    // the generation prompt is evaluated once; the decision only adds "</think>\nIs the solution correct?"
    expect(c.usage.promptTokens).toBeLessThanOrEqual(prompt + 12);
    // and reuses prompt + chain from the KV cache (allowing a re-tokenised boundary)
    expect(c.usage.reusedPromptTokens).toBeGreaterThanOrEqual(prompt + c.usage.generatedTokens - 3);
    expect(v.score).not.toBeNull();
    await e.close();
  });

  it("a malformed GGUF is a clear error, and the process survives", async () => {
    const truncated = write("truncated.gguf", makeTinyModel().subarray(0, 100));
    await expect(engine(truncated)).rejects.toThrow(/truncated or not a GGUF file/);
    const notGguf = write("text.gguf", Buffer.from("hello world, not a model at all"));
    await expect(engine(notGguf)).rejects.toThrow(/bad magic/);
    await expect(engine(join(dir, "missing.gguf"))).rejects.toThrow(/cannot open the model file \(ENOENT\)/);
  });
});

describe("token logprobs on the embedded engine", () => {
  it("every token carries the distribution it was drawn from (greedy: it is that distribution's top)", async () => {
    const e = await engine(tiny);
    const c = (
      await e.complete({
        prompt: "Step 1: 2 + 2 = 4.",
        maxTokens: 12,
        temperature: 0,
        topLogprobs: 3,
        logprobsEveryToken: true,
      })
    ).choices[0]!;
    expect(c.tokens!.map((t) => t.text).join("")).toBe(c.text);
    const checked = c.tokens!.filter((t) => t.top && t.top[0] && !t.top[0].text.includes("\uFFFD"));
    expect(checked.length).toBeGreaterThan(3);
    for (const t of checked) {
      expect(t.text.startsWith(t.top![0]!.text)).toBe(true);
      expect(t.logprob).toBeCloseTo(t.top![0]!.logprob, 6);
    }
    // the same greedy text as the fast path
    const fast = (await e.complete({ prompt: "Step 1: 2 + 2 = 4.", maxTokens: 12, temperature: 0 }))
      .choices[0]!;
    expect(c.text).toBe(fast.text);
    await e.close();
  });
});

describe("stop strings that are tokens of the vocabulary", () => {
  it("end a sample only as that token: spelled out by plain tokens (a quoted candidate), the text goes on", () => {
    const single = (s: string) => ({ "</think>": 7 })[s] ?? null;
    const { tokenStops, textStops } = splitStops(["</think>", "\n\n", ""], single);
    expect([...tokenStops]).toEqual([[7, "</think>"]]);
    expect(textStops).toEqual(["\n\n"]);
  });

  it("the tiny model's </think> is one token; a phrase is not", async () => {
    const e = await engine(tiny);
    const model = (e as unknown as { model: import("node-llama-cpp").LlamaModel }).model;
    expect(singleToken(model, "</think>")).not.toBeNull();
    expect(singleToken(model, "Step 1 is")).toBeNull();
    await e.close();
  });

  it("an ordinary token's text (\\n\\n) still stops as text, whichever tokens spell it", async () => {
    // the model writes "\n" one byte-token at a time; the vocabulary also has a "\n\n" token
    const e = await engine(write("newlines.gguf", makeConstantModel({ "\n": 1 })));
    const r = await e.complete({ prompt: "Step 1", maxTokens: 8, stop: ["\n\n"] });
    expect(r.choices[0]).toMatchObject({ text: "", finishReason: "stop", stopSequence: "\n\n" });
    expect(r.choices[0]!.generatedTokens).toBe(2);
    await e.close();
  });

  it("the generated token stops the chain, which ends before it", async () => {
    const e = await engine(write("think-end.gguf", makeConstantModel({ "</think>": 0.9, " Yes": 0.1 })));
    const r = await e.complete({ prompt: "Verify:", maxTokens: 8, stop: ["</think>"] });
    expect(r.choices[0]).toMatchObject({ text: "", finishReason: "stop", stopSequence: "</think>" });
    await e.close();
  });
});
