/**
 * The engine conformance suite: one set of behavioural tests every engine must pass (as hono runs
 * one suite over every router). A capability the engine declares it lacks is a *skipped* test with
 * the reason in the report (never a silent pass); other gaps can be skipped by name with a reason.
 *
 * @example
 * // my-engine.test.ts
 * import { runEngineConformance } from "thinkprm/conformance";
 * runEngineConformance("my engine", () => makeMyEngine(), { skip: [{ test: "prefix caching", reason: "no cache" }] });
 *
 * The suite needs an engine whose greedy (temperature 0) output is deterministic and at least a
 * few tokens long for a plain prompt.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineCapabilityError } from "./errors.js";
import type { Engine } from "./types.js";

export interface ConformanceOptions {
  skip?: { test: ConformanceTest; reason: string }[];
  /** The prompt used for generation tests. */
  prompt?: string;
  /** Per-test timeout in ms (real engines on a slow machine). Default 30 s. */
  timeoutMs?: number;
}

export const CONFORMANCE_TESTS = [
  "declares the v1 interface",
  "complete returns well-formed choices",
  "maxTokens is respected",
  "greedy output is deterministic",
  "stop strings cut the text and are not returned",
  "n samples",
  "seeded sampling is reproducible",
  "candidate probabilities",
  "token logprobs align with the text",
  "prefix caching",
  "streamed deltas are the text",
  "abort mid-stream frees the engine",
] as const;
export type ConformanceTest = (typeof CONFORMANCE_TESTS)[number];

export function runEngineConformance(
  name: string,
  makeEngine: () => Engine | Promise<Engine>,
  options: ConformanceOptions = {},
): void {
  const prompt = options.prompt ?? "Step 1: 2 + 2 = 4.\nStep 2:";
  const timeout = options.timeoutMs ?? 30_000;
  const skipped = new Map((options.skip ?? []).map((s) => [s.test, s.reason]));
  let engine: Engine;

  const test = (
    title: ConformanceTest,
    fn: (ctx: { skip: (note?: string) => never }) => Promise<void> | void,
  ) => {
    const reason = skipped.get(title);
    // A capability the engine declares it lacks (e.g. an Ollama server has no logprobs): the
    // caller must give the reason, which stays in the test's title so reports say why it did not run.
    if (reason !== undefined)
      it.skip(`${title} (skipped: ${reason})`, fn); // skipped: the engine lacks this capability, and says why (the title)
    else it(title, (ctx) => fn(ctx as unknown as { skip: (note?: string) => never }), timeout);
  };

  describe(`engine conformance: ${name}`, () => {
    beforeAll(async () => {
      engine = await makeEngine();
    }, timeout);
    afterAll(async () => {
      await engine?.close?.();
    });

    test("declares the v1 interface", () => {
      expect(Number.isInteger(engine.capabilities.concurrency ?? 1)).toBe(true);
      expect(engine.capabilities.concurrency ?? 1).toBeGreaterThanOrEqual(1);
      expect(engine.specificationVersion).toBe("v1");
      expect(engine.provider).toMatch(/\S/);
      expect(engine.modelId).toMatch(/\S/);
      const c = engine.capabilities;
      for (const key of [
        "candidateLogprobs",
        "promptLogprobs",
        "prefixCaching",
        "parallelSamples",
        "reportsStopSequence",
        "seed",
      ] as const) {
        expect(typeof c[key], key).toBe("boolean");
      }
      expect(c.topLogprobs).toBeGreaterThanOrEqual(0);
    });

    test("complete returns well-formed choices", async () => {
      const res = await engine.complete({ prompt, maxTokens: 8, temperature: 0 });
      expect(res.choices).toHaveLength(1);
      const [choice] = res.choices;
      expect(typeof choice!.text).toBe("string");
      expect(["stop", "eos", "length"]).toContain(choice!.finishReason);
      expect(choice!.generatedTokens).toBeGreaterThanOrEqual(0);
      expect(res.usage.promptTokens + res.usage.reusedPromptTokens).toBeGreaterThan(0);
      expect(res.usage.generatedTokens).toBe(choice!.generatedTokens);
    });

    test("maxTokens is respected", async () => {
      const res = await engine.complete({ prompt, maxTokens: 3, temperature: 0 });
      const choice = res.choices[0]!;
      expect(choice.generatedTokens).toBeLessThanOrEqual(3);
      if (choice.finishReason === "length") expect(choice.generatedTokens).toBe(3);
    });

    test("greedy output is deterministic", async () => {
      const a = await engine.complete({ prompt, maxTokens: 12, temperature: 0 });
      const b = await engine.complete({ prompt, maxTokens: 12, temperature: 0 });
      expect(b.choices[0]!.text).toBe(a.choices[0]!.text);
    });

    test("stop strings cut the text and are not returned", async () => {
      const full = (await engine.complete({ prompt, maxTokens: 24, temperature: 0 })).choices[0]!.text;
      // a stop string that first occurs in the middle of the greedy text
      const at = Math.max(1, Math.floor(full.length / 2));
      let start = at;
      while (start < full.length - 1 && full.indexOf(full.slice(start, start + 2)) !== start) start++;
      expect(full.length, "the engine must generate a few characters for this test").toBeGreaterThan(3);
      const stop = full.slice(start, start + 2);
      const res = await engine.complete({ prompt, maxTokens: 24, temperature: 0, stop: [stop] });
      const choice = res.choices[0]!;
      expect(choice.finishReason).toBe("stop");
      expect(choice.text).toBe(full.slice(0, start));
      if (engine.capabilities.reportsStopSequence) expect(choice.stopSequence).toBe(stop);
    });

    test("n samples", async (ctx) => {
      const n = 3;
      if (!engine.capabilities.parallelSamples) {
        // the capability's contract: n > 1 is refused, with a typed error
        await expect(engine.complete({ prompt, maxTokens: 4, n })).rejects.toBeInstanceOf(
          EngineCapabilityError,
        );
        ctx.skip("the engine declares parallelSamples: false (n > 1 refused, as declared)");
      }
      const res = await engine.complete({ prompt, maxTokens: 4, n, temperature: 1, seed: 1 });
      expect(res.choices).toHaveLength(n);
      expect(res.usage.generatedTokens).toBe(res.choices.reduce((s, c) => s + c.generatedTokens, 0));
    });

    test("seeded sampling is reproducible", async (ctx) => {
      if (!engine.capabilities.seed) ctx.skip("the engine declares seed: false");
      const req = { prompt, maxTokens: 8, temperature: 1, seed: 7 };
      const a = await engine.complete(req);
      const b = await engine.complete(req);
      expect(b.choices.map((c) => c.text)).toEqual(a.choices.map((c) => c.text));
    });

    test("candidate probabilities", async (ctx) => {
      if (!engine.capabilities.candidateLogprobs) {
        await expect(engine.nextTokenProbabilities(prompt, [" Yes", " No"])).rejects.toBeInstanceOf(
          EngineCapabilityError,
        );
        ctx.skip("the engine declares candidateLogprobs: false (refused, as declared)");
      }
      const res = await engine.nextTokenProbabilities(`${prompt}\nIs the solution correct?`, [" Yes", " No"]);
      expect(res.candidates.map((c) => c.text)).toEqual([" Yes", " No"]);
      let total = 0;
      for (const c of res.candidates) {
        expect(c.tokens).toBeGreaterThan(0);
        if (c.logprob !== null) {
          expect(c.logprob).toBeLessThanOrEqual(1e-9);
          total += Math.exp(c.logprob);
        }
      }
      expect(total).toBeLessThanOrEqual(1 + 1e-6);
    });

    test("token logprobs align with the text", async (ctx) => {
      if (engine.capabilities.topLogprobs === 0) ctx.skip("the engine declares topLogprobs: 0");
      const k = Math.min(2, engine.capabilities.topLogprobs);
      const choice = (await engine.complete({ prompt, maxTokens: 8, temperature: 0, topLogprobs: k }))
        .choices[0]!;
      expect(choice.tokens).toBeDefined();
      expect(choice.tokens!.map((t) => t.text).join("")).toBe(choice.text);
      for (const t of choice.tokens!) {
        expect(t.logprob).toBeLessThanOrEqual(1e-9);
        expect(t.top?.length ?? 0).toBeLessThanOrEqual(k);
      }
    });

    test("streamed deltas are the text", async (ctx) => {
      if (!engine.capabilities.streaming) ctx.skip("the engine declares streaming: false");
      const plain = await engine.complete({ prompt, maxTokens: 16, temperature: 0 });
      const deltas: { index: number; text: string }[] = [];
      const streamed = await engine.complete({
        prompt,
        maxTokens: 16,
        temperature: 0,
        onDelta: (d) => deltas.push(d),
      });
      expect(deltas.length).toBeGreaterThan(0);
      expect(deltas.every((d) => d.index === 0)).toBe(true);
      expect(deltas.map((d) => d.text).join("")).toBe(streamed.choices[0]!.text);
      expect(streamed.choices[0]!.text).toBe(plain.choices[0]!.text);
      expect(streamed.choices[0]!.finishReason).toBe(plain.choices[0]!.finishReason);
      // a stop string is never streamed, not even its first characters
      const full = plain.choices[0]!.text;
      if (full.length > 4) {
        const stop = full.slice(Math.floor(full.length / 2), Math.floor(full.length / 2) + 2);
        const cut: string[] = [];
        const r = await engine.complete({
          prompt,
          maxTokens: 16,
          temperature: 0,
          stop: [stop],
          onDelta: (d) => cut.push(d.text),
        });
        expect(cut.join("")).toBe(r.choices[0]!.text);
      }
    });

    test("abort mid-stream frees the engine", async (ctx) => {
      if (!engine.capabilities.streaming) ctx.skip("the engine declares streaming: false");
      const controller = new AbortController();
      const aborted = engine.complete({
        prompt,
        maxTokens: 64,
        temperature: 0,
        signal: controller.signal,
        onDelta: () => controller.abort(new Error("enough")),
      });
      await expect(aborted).rejects.toThrow();
      // the engine serves the next request as usual
      const next = await engine.complete({ prompt, maxTokens: 4, temperature: 0 });
      expect(next.choices).toHaveLength(1);
    });

    test("prefix caching", async (ctx) => {
      if (!engine.capabilities.prefixCaching) ctx.skip("the engine declares prefixCaching: false");
      const shared = `${prompt} shared prefix for caching`;
      await engine.complete({ prompt: `${shared} A`, maxTokens: 1, temperature: 0 });
      const res = await engine.complete({ prompt: `${shared} B`, maxTokens: 1, temperature: 0 });
      expect(res.usage.reusedPromptTokens).toBeGreaterThan(0);
    });
  });
}
