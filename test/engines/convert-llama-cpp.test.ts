/**
 * Converter oracle 2: llama.cpp's own convert_hf_to_gguf.py (from the source node-llama-cpp
 * ships, run in the project's venv) on the same checkpoint gives the same tensors — names, shapes,
 * types and every value, Q8_0 blocks bit for bit — and the same metadata as `thinkprm convert`,
 * except the informational keys listed (and justified) in EXPECTED_METADATA_DIFFERENCES.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { convertQwen2Checkpoint } from "../../src/engines/llama-cpp/convert-qwen2.js";
import { readGgufHeader } from "../../src/engines/llama-cpp/gguf-reader.js";
import {
  writeHfQwenTokenizerCheckpoint,
  writeHfTinyCheckpoint,
} from "../../src/engines/llama-cpp/test-checkpoint.js";
import { llamaCppConvert } from "../python-env.js";
import { diffGguf, EXPECTED_METADATA_DIFFERENCES } from "./gguf-diff.js";

const root = mkdtempSync(join(tmpdir(), "thinkprm-llama-convert-"));

function compare(checkpoint: string, type: "f32" | "f16" | "q8_0", name: string) {
  const ours = join(root, `${name}-ours-${type}.gguf`);
  const theirs = join(root, `${name}-llama-${type}.gguf`);
  convertQwen2Checkpoint(checkpoint, ours, { type });
  const log = llamaCppConvert(checkpoint, theirs, type);
  return { diff: diffGguf(ours, theirs), log, ours, theirs };
}

describe("thinkprm convert vs llama.cpp's convert_hf_to_gguf.py on the same checkpoint", () => {
  it("hf-tiny, q8_0: identical tensors (Q8_0 blocks bit for bit) and metadata but the listed keys", () => {
    const dir = join(root, "hf-tiny");
    writeHfTinyCheckpoint(dir);
    // f32 values are compared on the yarn checkpoint below and on a trained one (test/train)
    for (const type of ["q8_0"] as const) {
      const { diff, log } = compare(dir, type, "tiny");
      // llama.cpp does not know this 392-token vocabulary's hash; the wrapper names the pre-tokenizer
      expect(log).toContain("unknown pre-tokenizer hash");
      expect(diff.tensors).toEqual([]);
      expect(diff.tensorCount).toEqual([27, 27]);
      expect(Object.keys(diff.metadata).sort()).toEqual([...EXPECTED_METADATA_DIFFERENCES].sort());
    }
  }, 180_000);

  it("the real R1-Distill-Qwen tokenizer: llama.cpp recognises it unaided, and every token, type and merge agrees", () => {
    const dir = join(root, "qwen");
    return writeHfQwenTokenizerCheckpoint(dir).then(() => {
      const { diff, log, ours } = compare(dir, "f32", "qwen");
      expect(log).not.toContain("unknown pre-tokenizer hash");
      expect(diff.tensors).toEqual([]);
      expect(Object.keys(diff.metadata).sort()).toEqual([...EXPECTED_METADATA_DIFFERENCES].sort());
      const m = readGgufHeader(ours).metadata;
      expect(m.get("tokenizer.ggml.pre")).toBe("deepseek-r1-qwen");
      expect((m.get("tokenizer.ggml.tokens") as string[]).length).toBe(151936);
      expect(m.get("tokenizer.ggml.bos_token_id")).toBe(151646);
    });
  }, 180_000);

  it("a transformers 5 config with yarn scaling and tied embeddings: the same RoPE keys and tensors", () => {
    const dir = join(root, "yarn-tied");
    writeHfTinyCheckpoint(dir, 7, {
      tied: true,
      config: {
        rope_theta: undefined,
        torch_dtype: undefined,
        dtype: "bfloat16",
        rope_parameters: {
          rope_type: "yarn",
          type: "yarn",
          factor: 4,
          original_max_position_embeddings: 1024,
          rope_theta: 500000,
        },
      },
    });
    const { diff, ours } = compare(dir, "f32", "yarn");
    expect(diff.tensors).toEqual([]);
    expect(diff.tensorCount).toEqual([26, 26]);
    expect(Object.keys(diff.metadata).sort()).toEqual([...EXPECTED_METADATA_DIFFERENCES].sort());
    const m = readGgufHeader(ours).metadata;
    expect(m.get("qwen2.rope.freq_base")).toBe(500000);
    expect(m.get("qwen2.rope.scaling.type")).toBe("yarn");
  }, 180_000);
});
