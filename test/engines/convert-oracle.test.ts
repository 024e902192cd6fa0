/**
 * Converter oracle 1: transformers is the reference. For generated checkpoints (hf-tiny with plain,
 * yarn and linear RoPE and with tied embeddings; the real R1-Distill-Qwen tokenizer), the token ids
 * of transformers' `AutoTokenizer` equal the GGUF's, and the next-token log-probabilities of
 * transformers' float32 forward pass equal those of our GGUF in llama.cpp. Loading with
 * `AutoTokenizer` / `AutoModelForCausalLM` is itself the check that the generated checkpoints are
 * real ones. (The trained checkpoint gets the same oracle in test/train/trainers.test.ts.)
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { convertQwen2Checkpoint } from "../../src/engines/llama-cpp/convert-qwen2.js";
import { LlamaCppEngine } from "../../src/engines/llama-cpp/engine.js";
import {
  writeHfQwenTokenizerCheckpoint,
  writeHfTinyCheckpoint,
} from "../../src/engines/llama-cpp/test-checkpoint.js";
import { type HfReference, hfReference } from "../python-env.js";
import { llamaLogprobs, maxDelta } from "./llama-logprobs.js";
import { ORACLE_CANDIDATES, ORACLE_PROMPTS } from "./oracle-prompts.js";

const root = mkdtempSync(join(tmpdir(), "thinkprm-oracle-"));

/** Float32 GGUF vs transformers: the conversion is exact up to float32 summation order. */
const F32_BOUND = 1e-3;
/**
 * Q8_0 vs transformers' float32: the quantisation error itself, measured ≤ 0.13 on these random
 * models over these prompts (f32: ≤ 1e-5). The Q8_0 values themselves are compared bit for bit
 * with llama.cpp's own converter in convert-llama-cpp.test.ts.
 */
const Q8_BOUND = 0.25;

interface Case {
  name: string;
  dir: string;
  hf?: HfReference;
}

const cases: Case[] = [
  { name: "hf-tiny", dir: join(root, "hf-tiny") },
  { name: "hf-tiny, yarn ×4 from 64 positions", dir: join(root, "yarn") },
  { name: "hf-tiny, linear ×2", dir: join(root, "linear") },
  { name: "hf-tiny, tied embeddings", dir: join(root, "tied") },
  { name: "hf-qwen-tokenizer", dir: join(root, "qwen") },
];

beforeAll(async () => {
  writeHfTinyCheckpoint(cases[0]!.dir);
  // yarn from 64 pre-training positions, so that the prompts (hundreds of tokens) go past them
  writeHfTinyCheckpoint(cases[1]!.dir, 7, {
    config: { rope_scaling: { type: "yarn", factor: 4, original_max_position_embeddings: 64 } },
  });
  writeHfTinyCheckpoint(cases[2]!.dir, 7, { config: { rope_scaling: { type: "linear", factor: 2 } } });
  writeHfTinyCheckpoint(cases[3]!.dir, 7, { tied: true });
  await writeHfQwenTokenizerCheckpoint(cases[4]!.dir);
  const refs = hfReference(
    cases.map((c) => ({
      model: c.dir,
      texts: ORACLE_PROMPTS,
      prompts: ORACLE_PROMPTS,
      candidates: ORACLE_CANDIDATES,
    })),
  );
  refs.forEach((r, i) => {
    cases[i]!.hf = r;
  });
}, 300_000);

describe("converter oracle: transformers' tokenizer and forward pass vs our GGUF in llama.cpp", () => {
  it("transformers loads the generated checkpoints as it loads R1-Distill-Qwen (Qwen2Tokenizer, RoPE from config)", () => {
    for (const c of cases) expect(c.hf!.tokenizer_class).toBe("Qwen2Tokenizer");
    expect(cases[0]!.hf!.rope).toEqual({ rope_theta: 1e6, rope_type: "default" });
    expect(cases[1]!.hf!.rope).toMatchObject({ rope_type: "yarn", factor: 4 });
  });

  for (const [i, label] of cases.map((c, i) => [i, c.name] as const)) {
    it(`${label}: same token ids; f32 log-probabilities within ${F32_BOUND}, q8_0 within ${Q8_BOUND}`, async () => {
      const c = cases[i]!;
      const f32 = join(root, `${i}-f32.gguf`);
      const q8 = join(root, `${i}-q8_0.gguf`);
      convertQwen2Checkpoint(c.dir, f32, { type: "f32" });
      convertQwen2Checkpoint(c.dir, q8, { type: "q8_0" });
      const exact = await llamaLogprobs(f32, ORACLE_PROMPTS, ORACLE_CANDIDATES);
      expect(exact.ids).toEqual(c.hf!.ids);
      expect(maxDelta(exact.logprobs, c.hf!.logprobs)).toBeLessThanOrEqual(F32_BOUND);
      const quant = await llamaLogprobs(q8, ORACLE_PROMPTS, ORACLE_CANDIDATES);
      expect(maxDelta(quant.logprobs, c.hf!.logprobs)).toBeLessThanOrEqual(Q8_BOUND);
      // the comparison can fail: a wrong RoPE base moves these log-probabilities by far more
      expect(c.hf!.logprobs.flat().every(Number.isFinite)).toBe(true);
    }, 120_000);
  }

  it("the embedded engine as users run it (F16 KV cache, flash attention auto) stays within 0.05 of transformers", async () => {
    const c = cases[0]!;
    const f32 = join(root, "0-f32.gguf");
    const engine = await LlamaCppEngine.create({
      modelPath: f32,
      threads: 1,
      contextSize: 2048,
      decisionProbabilities: "absolute",
    });
    try {
      const rows: number[][] = [];
      for (const [p, prompt] of ORACLE_PROMPTS.entries()) {
        expect(engine.tokenize(prompt)).toEqual(c.hf!.ids[p]);
        const r = await engine.nextTokenProbabilities(prompt, ORACLE_CANDIDATES);
        rows.push(r.candidates.map((x) => x.logprob ?? Number.NEGATIVE_INFINITY));
      }
      expect(maxDelta(rows, c.hf!.logprobs)).toBeLessThanOrEqual(0.05);
    } finally {
      await engine.close();
    }
  }, 120_000);

  it("the oracle tells a wrong conversion apart: the RoPE base llama.cpp defaults to (10000) is caught", async () => {
    // what the old converter wrote for a checkpoint saved by transformers 5: freq_base 10000, not 1e6
    const bytes = readFileSync(join(root, "0-f32.gguf"));
    const key = Buffer.from("qwen2.rope.freq_base");
    const at = bytes.indexOf(key) + key.length;
    expect(bytes.readUInt32LE(at)).toBe(6); // GGUF type f32
    expect(bytes.readFloatLE(at + 4)).toBe(1e6);
    bytes.writeFloatLE(10000, at + 4);
    const wrong = join(root, "wrong-rope.gguf");
    writeFileSync(wrong, bytes);
    const bad = await llamaLogprobs(wrong, ORACLE_PROMPTS, ORACLE_CANDIDATES);
    expect(maxDelta(bad.logprobs, cases[0]!.hf!.logprobs)).toBeGreaterThan(0.05);
  }, 120_000);
});
