/** The HTTP engine reading each server's response shape (fixtures written from their API docs). */
import { readFileSync } from "node:fs";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { EngineCapabilityError } from "../../src/engines/errors.js";
import { OpenAICompatibleEngine } from "../../src/engines/openai-compatible/engine.js";
import type { ServerKind } from "../../src/engines/openai-compatible/profiles.js";
import { fixture } from "../helpers.js";

const wire = (kind: string) => JSON.parse(readFileSync(fixture(`wire/${kind}.completions.json`), "utf8"));

/** An engine whose fetch is a hono app answering every completion with the fixture. */
async function engineFor(kind: ServerKind) {
  const requests: Record<string, unknown>[] = [];
  const app = new Hono();
  app.post("/v1/completions", async (c) => {
    const body = (await c.req.json()) as { n?: number };
    requests.push(body);
    // a real server answers n choices: the fixture's first n
    const answer = wire(kind);
    answer.choices = answer.choices.slice(0, body.n ?? 1);
    return c.json(answer);
  });
  const fetch = ((input: string | URL | Request, init?: RequestInit) =>
    app.fetch(new Request(input, init))) as typeof globalThis.fetch;
  const engine = await OpenAICompatibleEngine.create({
    baseURLs: ["http://fixture/v1"],
    model: "m",
    kind,
    fetch,
    maxRetries: 0,
    extraBody: { top_k: -1 },
  });
  return { engine, requests };
}

describe("wire shapes", () => {
  it("vLLM: stop_reason names the stop string; null means the end of sequence; extras pass through", async () => {
    const { engine, requests } = await engineFor("vllm");
    const r = await engine.complete({
      prompt: "p",
      n: 2,
      maxTokens: 16,
      stop: ["</think>"],
      topLogprobs: 3,
      seed: 1,
    });
    expect(r.choices[1]).toMatchObject({
      text: "Step 1 is fine.\n",
      finishReason: "stop",
      stopSequence: "</think>",
    });
    expect(r.choices[0]!.finishReason).toBe("length");
    expect(r.choices[0]!.tokens![0]!.top!.map((t) => t.text)).toEqual([" Yes", " No", " yes"]);
    expect(r.usage).toEqual({ promptTokens: 120, reusedPromptTokens: 0, generatedTokens: 11 });
    expect(requests[0]).toMatchObject({
      model: "m",
      prompt: "p",
      n: 2,
      max_tokens: 16,
      stop: ["</think>"],
      logprobs: 3,
      seed: 1,
      top_k: -1,
    });
    const p = await engine.nextTokenProbabilities("p", [" Yes", " No"]);
    expect(p.candidates.map((c) => c.logprob)).toEqual([-0.2231, -1.6094]);
    expect(requests[1]).toMatchObject({ max_tokens: 1, temperature: 0, logprobs: 20 });
  });

  it("SGLang: matched_stop, cached prompt tokens", async () => {
    const { engine } = await engineFor("sglang");
    const r = await engine.complete({ prompt: "p", n: 2, maxTokens: 16 });
    expect(r.choices[1]).toMatchObject({ finishReason: "stop", stopSequence: "Is the solution correct?" });
    expect(r.usage).toEqual({ promptTokens: 24, reusedPromptTokens: 96, generatedTokens: 5 });
    const p = await engine.nextTokenProbabilities("p", [" Yes", " No"]);
    expect(p.candidates.map((c) => c.logprob)).toEqual([-2.3026, -0.1054]);
  });

  it("llama.cpp server: logprobs as a content list; one sample per request", async () => {
    const { engine, requests } = await engineFor("llama.cpp");
    const p = await engine.nextTokenProbabilities("p", [" Yes", " No"]);
    expect(p.candidates.map((c) => c.logprob)).toEqual([-0.5108, -0.9163]);
    await engine.complete({ prompt: "p", n: 3, maxTokens: 1, seed: 5 });
    expect(requests.slice(1).map((q) => [q.n, q.seed])).toEqual([
      [1, 5],
      [1, 6],
      [1, 7],
    ]);
    expect(engine.capabilities.reportsStopSequence).toBe(false);
  });

  it("Ollama: no logprobs — probabilities are refused with the fix", async () => {
    const { engine } = await engineFor("ollama");
    const r = await engine.complete({ prompt: "p", maxTokens: 16 });
    expect(r.choices[0]).toMatchObject({ text: "Step 1 looks right.", finishReason: "stop" });
    expect(r.choices[0]!.generatedTokens).toBe(6);
    await expect(engine.nextTokenProbabilities("p", [" Yes"])).rejects.toBeInstanceOf(EngineCapabilityError);
  });

  it("OpenAI: five top logprobs at most", async () => {
    const { engine, requests } = await engineFor("openai");
    const p = await engine.nextTokenProbabilities("p", [" Yes", " No"]);
    expect(p.candidates.map((c) => c.logprob)).toEqual([-0.0513, -2.9957]);
    expect(requests[0]).toMatchObject({ logprobs: 5 });
  });
});
