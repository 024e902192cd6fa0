import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUILTIN_CHAT_TEMPLATES, renderChat } from "../../src/engines/chat-template.js";
import { LlamaCppEngine } from "../../src/engines/llama-cpp/engine.js";
import { makeQwenTokenizerModel } from "../../src/engines/llama-cpp/qwen-tokenizer-model.js";

describe("tiny model with the real Qwen tokenizer and R1-Distill specials", () => {
  it("tokenises like the ThinkPRM models", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "thinkprm-qwen-")), "qwen.gguf");
    writeFileSync(path, makeQwenTokenizerModel());
    const e = await LlamaCppEngine.create({ modelPath: path, threads: 1, contextSize: 512 });
    const ids = (text: string) => e.tokenize(text);
    expect(ids(" Yes")).toEqual([7414]);
    expect(ids(" No")).toEqual([2308]);
    expect(ids("<think>")).toEqual([151648]);
    expect(ids("</think>")).toEqual([151649]);
    const prompt = renderChat(
      BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"],
      [{ role: "user", content: "Is 2+2 = 4?" }],
      {
        addGenerationPrompt: true,
      },
    );
    const p = ids(prompt);
    expect(p[0]).toBe(151646); // BOS, once
    expect(p[1]).toBe(151644); // <｜User｜>
    expect(p.slice(-3)).toEqual([151645, 151648, 198]); // <｜Assistant｜> <think> "\n"
    expect(e.eosToken).toBe("<｜end▁of▁sentence｜>");
    const r = await e.nextTokenProbabilities(`${prompt}x\nIs the solution correct?`, [" Yes", " No"]);
    expect(r.candidates.every((c) => c.logprob !== null && c.tokens === 1)).toBe(true);
    await e.close();
  });
});
