import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { convertQwen2Checkpoint } from "../../src/engines/llama-cpp/convert-qwen2.js";
import { LlamaCppEngine } from "../../src/engines/llama-cpp/engine.js";
import { readGgufHeader } from "../../src/engines/llama-cpp/gguf-reader.js";
import { fromHalf, toHalf } from "../../src/engines/llama-cpp/gguf-writer.js";
import {
  makeCheckpointTwinGguf,
  writeHfTinyCheckpoint,
} from "../../src/engines/llama-cpp/test-checkpoint.js";

const dir = mkdtempSync(join(tmpdir(), "thinkprm-convert-"));
const ckpt = join(dir, "ckpt");
writeHfTinyCheckpoint(ckpt);
const twin = join(dir, "twin.gguf");
writeFileSync(twin, makeCheckpointTwinGguf());

const prompts = [
  "<｜begin▁of▁sentence｜><｜User｜>Is 2+3 = 5?<｜Assistant｜><think>\n",
  "Step 1: x = 4 \\boxed{",
];
const candidates = [" Yes", " No", "correct", "incorrect"];

async function probabilities(modelPath: string) {
  const e = await LlamaCppEngine.create({
    modelPath,
    threads: 1,
    contextSize: 512,
    decisionProbabilities: "absolute",
  });
  const out: (number | null)[] = [];
  for (const p of prompts)
    for (const c of (await e.nextTokenProbabilities(p, candidates)).candidates) out.push(c.logprob);
  const greedy = (await e.complete({ prompt: prompts[0]!, maxTokens: 12 })).choices[0]!.text;
  await e.close();
  return { out, greedy };
}

describe("thinkprm convert: HF Qwen2 checkpoint → GGUF", () => {
  it("f32 conversion gives exactly the next-token probabilities of the same weights written directly", async () => {
    const out = join(dir, "f32.gguf");
    convertQwen2Checkpoint(ckpt, out, { type: "f32" });
    const [a, b] = await Promise.all([probabilities(out), probabilities(twin)]);
    expect(a.out.every((x) => x !== null)).toBe(true);
    expect(a.out).toEqual(b.out);
    expect(a.greedy).toBe(b.greedy);
  });

  it("f16 and q8_0 load and stay close; metadata carries tokenizer, specials and template", async () => {
    const ref = await probabilities(twin);
    for (const [type, tol] of [
      ["f16", 0.02],
      ["q8_0", 0.1],
    ] as const) {
      const out = join(dir, `${type}.gguf`);
      convertQwen2Checkpoint(ckpt, out, { type });
      const got = await probabilities(out);
      for (const [i, x] of got.out.entries())
        expect(Math.abs(Math.exp(x!) - Math.exp(ref.out[i]!))).toBeLessThan(tol);
      const h = readGgufHeader(out);
      expect(h.metadata.get("tokenizer.ggml.pre")).toBe("deepseek-r1-qwen");
      expect(typeof h.metadata.get("tokenizer.chat_template")).toBe("string");
      expect(h.tensors.find((t) => t.name === "blk.0.attn_q.weight")?.type).toBe(type === "f16" ? 1 : 8);
      expect(h.tensors.find((t) => t.name === "blk.0.attn_norm.weight")?.type).toBe(0);
    }
  });

  it("a folder that is not a Qwen2 checkpoint fails with what is missing", () => {
    expect(() => convertQwen2Checkpoint(join(dir, "nope"), join(dir, "x.gguf"))).toThrow(
      /has no config.json/,
    );
  });

  it("half floats round-trip (round to nearest even, subnormals, infinities)", () => {
    for (const x of [0, 1, -2.5, 65504, 6.1035e-5, 5.96e-8, 1e-9])
      expect(fromHalf(toHalf(x))).toBeCloseTo(x, 3);
    expect(fromHalf(toHalf(1e6))).toBe(Number.POSITIVE_INFINITY);
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even
  });
});
