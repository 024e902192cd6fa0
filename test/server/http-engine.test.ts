/**
 * The HTTP engine against a real `thinkprm serve` on 127.0.0.1 (the embedded engine behind it, on
 * generated models): the conformance suite, and P(Yes) surviving the HTTP round trip exactly.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILTIN_CHAT_TEMPLATES } from "../../src/engines/chat-template.js";
import { runEngineConformance } from "../../src/engines/conformance.js";
import { LlamaCppEngine } from "../../src/engines/llama-cpp/engine.js";
import { makeConstantModel, makeTinyModel } from "../../src/engines/llama-cpp/test-models.js";
import { OpenAICompatibleEngine } from "../../src/engines/openai-compatible/engine.js";
import { type RunningServer, startServer } from "../../src/server/serve.js";
import { ThinkPrmVerifier } from "../../src/verifier/thinkprm-verifier.js";

const dir = mkdtempSync(join(tmpdir(), "thinkprm-http-"));
writeFileSync(join(dir, "tiny.gguf"), makeTinyModel());
writeFileSync(join(dir, "constant.gguf"), makeConstantModel());

async function serveModel(file: string, token: string | null = "secret") {
  const engine = await LlamaCppEngine.create({ modelPath: join(dir, file), threads: 1, contextSize: 2048 });
  const server = await startServer({
    engine,
    chatTemplate: BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"],
    token,
    port: 0,
  });
  return { engine, server };
}

let tiny: { engine: LlamaCppEngine; server: RunningServer };
beforeAll(async () => {
  tiny = await serveModel("tiny.gguf");
}, 60_000);
afterAll(async () => {
  await tiny.server.close();
  await tiny.engine.close();
});

runEngineConformance(
  "openai-compatible against thinkprm serve (vLLM profile)",
  () =>
    OpenAICompatibleEngine.create({ baseURLs: [`${tiny.server.url}/v1`], apiKey: "secret", kind: "vllm" }),
  { timeoutMs: 60_000 },
);

describe("P(Yes) over HTTP", () => {
  it("the constant-logit oracle gives the exact share through serve and the HTTP engine", async () => {
    const { engine, server } = await serveModel("constant.gguf");
    try {
      const http = await OpenAICompatibleEngine.create({ baseURLs: [`${server.url}/v1`], apiKey: "secret" });
      expect(http.modelId).toContain("constant.gguf");
      const v = await new ThinkPrmVerifier({
        engine: http,
        chatTemplate: BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"],
      }).verify({ problem: "2+3?", steps: ["5"] });
      // the HTTP path reads the full softmax (top-20 logprobs), the embedded engine the biased pair: both 0.75
      expect(v.score).toBeCloseTo(0.75, 5);
      expect(v.chains[0]!.finishReason).toBe("eos"); // vLLM shape: finish "stop" + stop_reason null
      const r = await http.nextTokenProbabilities("anything", [" Yes", " No", " Maybe"]);
      expect(r.candidates[0]!.logprob).toBeCloseTo(Math.log(0.375), 5);
      expect(r.candidates[1]!.logprob).toBeCloseTo(Math.log(0.125), 5);
      expect(r.candidates[2]!.logprob).toBeNull(); // not among the top 20
    } finally {
      await server.close();
      await engine.close();
    }
  }, 60_000);

  it("a wrong token is refused, a server without logprobs is said to need --score vote", async () => {
    await expect(
      OpenAICompatibleEngine.create({ baseURLs: [`${tiny.server.url}/v1`], apiKey: "wrong", maxRetries: 0 }),
    ).rejects.toThrow(/could not list the models/);
    const ollama = await OpenAICompatibleEngine.create({
      baseURLs: [`${tiny.server.url}/v1`],
      apiKey: "secret",
      kind: "ollama",
    });
    await expect(ollama.nextTokenProbabilities("x", [" Yes"])).rejects.toThrow(/--score vote/);
    expect(() => new ThinkPrmVerifier({ engine: ollama, chatTemplate: null })).toThrow(/--score vote/);
  });
});
