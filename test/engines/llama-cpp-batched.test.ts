/**
 * Batched samples on the real embedded engine (tiny generated model, one thread): K samples of one
 * prompt evaluate it once, decode together one batch per step, stay reproducible with a seed,
 * stream per index, abort cleanly, and leave each chain cached for its decision.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILTIN_CHAT_TEMPLATES } from "../../src/engines/chat-template.js";
import { runEngineConformance } from "../../src/engines/conformance.js";
import { defaultSequences } from "../../src/engines/llama-cpp/batch.js";
import { LlamaCppEngine } from "../../src/engines/llama-cpp/engine.js";
import { stepSeed } from "../../src/engines/llama-cpp/generate.js";
import { makeTinyModel } from "../../src/engines/llama-cpp/test-models.js";
import type { CompletionDelta } from "../../src/engines/types.js";
import { ThinkPrmVerifier } from "../../src/verifier/thinkprm-verifier.js";
import { cli } from "../cli/run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "thinkprm-batched-"));
const tiny = join(dir, "tiny.gguf");
writeFileSync(tiny, makeTinyModel());
const engine = (sequences: number) =>
  LlamaCppEngine.create({ modelPath: tiny, threads: 1, contextSize: 2048, sequences });

runEngineConformance("llama-cpp, 4 sequences (batched samples)", () => engine(4), { timeoutMs: 60_000 });

/**
 * The sizes of the batches llama.cpp decodes. Reads node-llama-cpp's internal addon context (the
 * version is pinned, 3.21.1): the engine's claim that samples decode together is only checkable
 * there.
 */
function recordBatches(e: LlamaCppEngine): number[] {
  const context = (e as unknown as { context: { _ctx: Record<string, unknown> } }).context;
  const addon = context._ctx;
  const sizes: number[] = [];
  context._ctx = new Proxy(addon, {
    get(target, key) {
      const value = target[key as string];
      if (key === "initBatch")
        return (size: number) => {
          sizes.push(size);
          return (value as (n: number) => void).call(target, size);
        };
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return sizes;
}

const prompt = "Step 1: 2 + 2 = 4.\nStep 2: 4 + 4 = 8.\nStep 3: so the answer is 8.\nIs it right?";
const request = { prompt, n: 4, maxTokens: 24, temperature: 1, seed: 11 };

describe("batched samples on 4 sequences", () => {
  let e: LlamaCppEngine;
  beforeAll(async () => {
    e = await engine(4);
  }, 60_000);
  afterAll(async () => {
    await e?.close();
  });

  it("evaluates the prompt once and decodes the K samples together, one batch of K per step", async () => {
    await e.resetCache();
    const batches = recordBatches(e);
    const res = await e.complete(request);
    const length = e.tokenCount(prompt);
    expect(res.choices).toHaveLength(4);
    // K distinct samples at temperature 1
    expect(new Set(res.choices.map((c) => c.text)).size).toBe(4);
    // the prompt once (all but its last token, on one sequence), then each sample's last prompt token
    expect(res.usage.promptTokens).toBe(length - 1 + 4);
    expect(res.usage.reusedPromptTokens).toBe(3 * (length - 1));
    expect(batches[0]).toBe(length - 1);
    const steps = batches.slice(1);
    const longest = Math.max(...res.choices.map((c) => c.generatedTokens));
    // lockstep: a sample that ended leaves the batch, no batch ever splits the samples still running
    const running = (step: number) => res.choices.filter((c) => c.generatedTokens > step).length;
    expect(steps).toEqual(Array.from({ length: longest }, (_, step) => running(step)));
    expect(steps[0]).toBe(4);
  });

  it("is reproducible with a seed: the same engine again, and a fresh engine", async () => {
    const a = await e.complete(request);
    const b = await e.complete(request);
    const fresh = await engine(4);
    const c = await fresh.complete(request);
    await fresh.close();
    const texts = (r: typeof a) => r.choices.map((x) => x.text);
    expect(texts(b)).toEqual(texts(a));
    expect(texts(c)).toEqual(texts(a));
    // another seed, other samples
    const other = await e.complete({ ...request, seed: 12 });
    expect(texts(other)).not.toEqual(texts(a));
  });

  it("streams each sample's deltas with its index, interleaved as they decode", async () => {
    const deltas: CompletionDelta[] = [];
    const res = await e.complete({ ...request, onDelta: (d) => deltas.push(d) });
    for (const [i, c] of res.choices.entries()) {
      expect(
        deltas
          .filter((d) => d.index === i)
          .map((d) => d.text)
          .join(""),
      ).toBe(c.text);
    }
    // samples decode together: sample 1 has streamed before sample 0 is done
    const firstOf1 = deltas.findIndex((d) => d.index === 1);
    const lastOf0 = deltas.findLastIndex((d) => d.index === 0);
    expect(firstOf1).toBeGreaterThanOrEqual(0);
    expect(firstOf1).toBeLessThan(lastOf0);
  });

  it("aborts cleanly mid-stream: every sample stops, and the next request is as on a fresh engine", async () => {
    const controller = new AbortController();
    let seen = 0;
    const aborted = e.complete({
      ...request,
      maxTokens: 200,
      signal: controller.signal,
      onDelta: () => {
        if (++seen === 6) controller.abort(new Error("enough"));
      },
    });
    await expect(aborted).rejects.toMatchObject({ code: "aborted" });
    const next = await e.complete(request);
    const fresh = await engine(4);
    const expected = await fresh.complete(request);
    await fresh.close();
    expect(next.choices.map((c) => c.text)).toEqual(expected.choices.map((c) => c.text));
  });

  it("each sample keeps its own stop string and maxTokens", async () => {
    const full = await e.complete(request);
    const text0 = full.choices[0]!.text;
    const stop = text0.slice(Math.floor(text0.length / 2), Math.floor(text0.length / 2) + 2);
    const cut = await e.complete({ ...request, stop: [stop] });
    // sample 0 draws the same tokens up to the stop string, and stops there
    expect(cut.choices[0]!.text).toBe(text0.slice(0, text0.indexOf(stop)));
    expect(cut.choices[0]!.finishReason).toBe("stop");
    expect(cut.choices[0]!.stopSequence).toBe(stop);
    for (const c of cut.choices) expect(c.text.includes(stop)).toBe(false);
    const short = await e.complete({ ...request, maxTokens: 3 });
    for (const c of short.choices) expect(c.generatedTokens).toBeLessThanOrEqual(3);
  });

  it("token logprobs at every position, batched", async () => {
    const res = await e.complete({ ...request, n: 3, topLogprobs: 2, logprobsEveryToken: true });
    for (const c of res.choices) {
      expect(c.tokens!.map((t) => t.text).join("")).toBe(c.text);
      for (const t of c.tokens!) expect(t.top?.length).toBeGreaterThan(0);
    }
    expect(new Set(res.choices.map((c) => c.text)).size).toBe(3);
  });

  it("each chain stays cached in its sequence: continuing any of them evaluates only the new text", async () => {
    const res = await e.complete(request);
    for (const c of res.choices) {
      const full = `${prompt}${c.text}\nIs the solution correct?`;
      const d = await e.nextTokenProbabilities(full, [" Yes", " No"]);
      const added = e.tokenCount(full) - e.tokenCount(prompt) - c.generatedTokens;
      expect(d.usage.promptTokens).toBeLessThanOrEqual(added + 3);
    }
  });

  it("more samples than sequences: rounds of 4 (then 1), the prompt still evaluated once", async () => {
    await e.resetCache();
    const res = await e.complete({ ...request, n: 5 });
    const length = e.tokenCount(prompt);
    expect(res.choices).toHaveLength(5);
    expect(new Set(res.choices.map((c) => c.text)).size).toBe(5);
    expect(res.usage.promptTokens).toBe(length - 1 + 5);
  });
});

describe("ThinkPRM@4 on 4 sequences", () => {
  it("every chain's decision evaluates only the decision string (one sequence re-evaluates three chains)", async () => {
    const verify = async (sequences: number) => {
      const e = await engine(sequences);
      const v = await new ThinkPrmVerifier({
        engine: e,
        chatTemplate: BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"],
        k: 4,
        seed: 3,
        maxTokens: 32,
        onTruncated: "force-decision",
      }).verify({ problem: "What is 2+3?", steps: ["2+3 = 5", "So the answer is 5."] });
      await e.close();
      return v;
    };
    const batched = await verify(4);
    expect(batched.chains).toHaveLength(4);
    const decisionCost = (v: typeof batched) =>
      v.chains.reduce((sum, c) => sum + c.usage.promptTokens, 0) - v.chains[0]!.usage.promptTokens;
    // chains 2–4 bill only their decisions (the shared prompt is billed to chain 1): a few tokens each
    expect(decisionCost(batched)).toBeLessThanOrEqual(3 * 16);
    // one sequence holds only the last chain drawn: chains 2–4 are evaluated again for their decisions
    const sequential = await verify(1);
    const later = sequential.chains.slice(1).reduce((sum, c) => sum + c.usage.generatedTokens, 0);
    expect(later).toBeGreaterThan(0);
    expect(decisionCost(sequential)).toBeGreaterThanOrEqual(later);
  }, 60_000);
});

describe("ThinkPRM@4 through the command a user types", () => {
  it("thinkprm verify -k 4 decodes the chains together: each decision continues its chain in its sequence", async () => {
    const r = await cli(
      [
        ...["verify", "-m", tiny, "-k", "4", "--max-tokens", "48", "--on-truncated", "force-decision"],
        ...[
          "--threads",
          "1",
          // a seed whose chains 1–3 run to --max-tokens (unseeded, a chain of this random model
          // sometimes ends early, on an end token, and then has little to evaluate again)
          "--seed",
          "2",
          "--no-store",
          "--json",
          "--problem",
          "What is 2+3?",
          "--step",
          "2+3=5",
          "--step",
          "so 5",
        ],
      ],
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    const v = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as {
      chains: { usage: { promptTokens: number; generatedTokens: number } }[];
    };
    expect(v.chains).toHaveLength(4);
    // chain 0 evaluated the prompt once; chains 1–3 only their decision strings (on one sequence
    // each would evaluate its 48 generated tokens again)
    for (const c of v.chains.slice(1)) {
      expect(c.usage.generatedTokens).toBe(48);
      expect(c.usage.promptTokens).toBeLessThanOrEqual(12);
    }
  }, 120_000);
});

describe("the default number of sequences", () => {
  const GiB = 2 ** 30;
  // llama.cpp's estimate of a context's memory: buffers plus a KV cache per sequence
  const estimate = (perSequence: number) => async (sequences: number) => 0.3 * GiB + sequences * perSequence;

  it("is 4 where four sequences cost at most 2 GiB more than one, else 2, else 1", async () => {
    expect(await defaultSequences(estimate(0.44 * GiB))).toBe(4); // 1.5B at a 16k context
    expect(await defaultSequences(estimate(0.9 * GiB))).toBe(2); // 7B at 16k
    expect(await defaultSequences(estimate(3 * GiB))).toBe(1); // 14B at 16k
  });

  it("a small model gets 4 sequences when none are asked for", async () => {
    const e = await LlamaCppEngine.create({ modelPath: tiny, threads: 1, contextSize: 2048 });
    expect(e.sequenceCount).toBe(4);
    await e.close();
  });
});

describe("seeds of the samplers a sample makes along the way", () => {
  it("step 0 keeps the seed; later steps get distinct 31-bit seeds", () => {
    expect(stepSeed(7, 0)).toBe(7);
    const seeds = Array.from({ length: 2000 }, (_, step) => stepSeed(7, step + 1));
    expect(new Set(seeds).size).toBe(seeds.length);
    for (const s of seeds) expect(s >= 0 && s < 2 ** 31 && Number.isInteger(s)).toBe(true);
    expect(stepSeed(8, 1)).not.toBe(stepSeed(7, 1));
  });
});

describe("one sample is the same whatever the number of sequences", () => {
  it("n = 1, seeded: one sequence and four draw the same text", async () => {
    const texts = [];
    for (const sequences of [1, 4]) {
      const e = await engine(sequences);
      texts.push((await e.complete({ ...request, n: 1 })).choices[0]!.text);
      await e.close();
    }
    expect(texts[1]).toBe(texts[0]);
  });
});
