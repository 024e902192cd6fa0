/**
 * Models the project writes itself, so the real llama.cpp engine is tested with no download:
 * - `tiny`: a 2-layer qwen2 with random weights and a small byte-level BPE vocabulary, with the
 *   DeepSeek-R1-Distill-Qwen special tokens and chat template. Loads, tokenises, chats and generates
 *   in milliseconds; its text is nonsense.
 * - `constant`: every weight zero and a hand-set output bias, so the next-token distribution is the
 *   same at every position and known exactly: the oracle for P(Yes) through the real engine.
 */
import { BUILTIN_CHAT_TEMPLATES } from "../chat-template.js";
import { buildByteBpeVocab } from "./byte-bpe.js";
import { GgmlType, GgufTokenType } from "./gguf-format.js";
import {
  bool,
  f32,
  type GgufTensor,
  type GgufValue,
  i32Array,
  str,
  strArray,
  u32,
  writeGguf,
} from "./gguf-writer.js";

export const BOS = "<｜begin▁of▁sentence｜>";
export const EOS = "<｜end▁of▁sentence｜>";

/** Words that get a single token, so the verifier's vocabulary is compact and realistic. */
const WORDS = [
  " Yes",
  " No",
  "Yes",
  "No",
  " yes",
  " no",
  "yes",
  "no",
  "correct",
  "incorrect",
  " correct",
  " incorrect",
  "Step",
  " Step",
  "\n\n",
  "\\boxed",
  " step",
  " is",
  " the",
  " solution",
  "Is",
  "?",
  " Let",
  "'s",
  " verify",
  " by",
  ":",
  " The",
  " Critique",
  " double",
  " check",
  " again",
  " Did",
  " miss",
  " something",
];

const SPECIALS = [
  { text: "<|endoftext|>", type: GgufTokenType.CONTROL },
  { text: "<|im_start|>", type: GgufTokenType.CONTROL },
  { text: "<|im_end|>", type: GgufTokenType.CONTROL },
  { text: BOS, type: GgufTokenType.CONTROL },
  { text: EOS, type: GgufTokenType.CONTROL },
  { text: "<｜User｜>", type: GgufTokenType.USER_DEFINED },
  { text: "<｜Assistant｜>", type: GgufTokenType.USER_DEFINED },
  { text: "<think>", type: GgufTokenType.USER_DEFINED },
  { text: "</think>", type: GgufTokenType.USER_DEFINED },
] as const;

export interface TinyShape {
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  ff: number;
  context: number;
}

export const TINY_SHAPE: TinyShape = { hidden: 64, layers: 2, heads: 4, kvHeads: 2, ff: 128, context: 4096 };

/** mulberry32: a small seeded PRNG, so generated models are identical run to run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface QwenModelSpec {
  name: string;
  shape: TinyShape;
  vocab: { tokens: string[]; types: GgufTokenType[]; merges: string[]; special: Record<string, number> };
  /** Omit `output.weight`: llama.cpp then ties the output to the embedding. */
  tiedOutput?: boolean;
  /** Fills a weight matrix (by GGUF tensor name); `null` means zeros. */
  weight: ((name: string, n: number) => Float32Array) | null;
  outputBias?: Float32Array;
  matrixType?: GgmlType;
  /** Fills norm weights and biases (by GGUF tensor name); default ones and zeros. */
  vector?: (name: string, n: number) => Float32Array;
}

/** Assembles a qwen2 GGUF from a shape, a vocabulary and weights. */
export function buildQwen2Gguf(spec: QwenModelSpec): Buffer {
  const { shape, vocab } = spec;
  const V = vocab.tokens.length;
  const H = shape.hidden;
  const kv = (H / shape.heads) * shape.kvHeads;
  const type = spec.matrixType ?? GgmlType.F32;
  const w = (name: string, dims: number[]): GgufTensor => {
    const n = dims.reduce((a, b) => a * b, 1);
    return { name, dims, type, data: spec.weight ? spec.weight(name, n) : new Float32Array(n) };
  };
  const ones = (name: string, n: number): GgufTensor => ({
    name,
    dims: [n],
    type: GgmlType.F32,
    data: spec.vector ? spec.vector(name, n) : new Float32Array(n).fill(1),
  });
  const zeros = (name: string, n: number): GgufTensor => ({
    name,
    dims: [n],
    type: GgmlType.F32,
    data: spec.vector ? spec.vector(name, n) : new Float32Array(n),
  });
  const tensors: GgufTensor[] = [
    w("token_embd.weight", [H, V]),
    ones("output_norm.weight", H),
    w("output.weight", [H, V]),
  ];
  if (spec.outputBias)
    tensors.push({ name: "output.bias", dims: [V], type: GgmlType.F32, data: spec.outputBias });
  for (let l = 0; l < shape.layers; l++) {
    const p = `blk.${l}`;
    tensors.push(
      ones(`${p}.attn_norm.weight`, H),
      w(`${p}.attn_q.weight`, [H, H]),
      zeros(`${p}.attn_q.bias`, H),
      w(`${p}.attn_k.weight`, [H, kv]),
      zeros(`${p}.attn_k.bias`, kv),
      w(`${p}.attn_v.weight`, [H, kv]),
      zeros(`${p}.attn_v.bias`, kv),
      w(`${p}.attn_output.weight`, [H, H]),
      ones(`${p}.ffn_norm.weight`, H),
      w(`${p}.ffn_gate.weight`, [H, shape.ff]),
      w(`${p}.ffn_up.weight`, [H, shape.ff]),
      w(`${p}.ffn_down.weight`, [shape.ff, H]),
    );
  }
  const template = BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"];
  const metadata: Record<string, GgufValue> = {
    "general.architecture": str("qwen2"),
    "general.name": str(spec.name),
    "qwen2.context_length": u32(shape.context),
    "qwen2.embedding_length": u32(H),
    "qwen2.block_count": u32(shape.layers),
    "qwen2.feed_forward_length": u32(shape.ff),
    "qwen2.attention.head_count": u32(shape.heads),
    "qwen2.attention.head_count_kv": u32(shape.kvHeads),
    "qwen2.attention.layer_norm_rms_epsilon": f32(1e-6),
    "qwen2.rope.freq_base": f32(1e6),
    "tokenizer.ggml.model": str("gpt2"),
    // llama.cpp's name for R1-Distill-Qwen's pre-tokenizer (same splitting rule as qwen2), as the converter writes
    "tokenizer.ggml.pre": str("deepseek-r1-qwen"),
    "tokenizer.ggml.tokens": strArray(vocab.tokens),
    "tokenizer.ggml.token_type": i32Array(vocab.types),
    "tokenizer.ggml.merges": strArray(vocab.merges),
    "tokenizer.ggml.bos_token_id": u32(vocab.special[BOS]!),
    "tokenizer.ggml.eos_token_id": u32(vocab.special[EOS]!),
    "tokenizer.ggml.padding_token_id": u32(vocab.special["<|endoftext|>"]!),
    "tokenizer.ggml.add_bos_token": bool(false),
    "tokenizer.chat_template": str(template.source),
  };
  return writeGguf(metadata, tensors);
}

export function tinyVocab() {
  return buildByteBpeVocab(WORDS, SPECIALS);
}

/** The tiny random model (about 0.5 MB). */
export function makeTinyModel(seed = 1): Buffer {
  const next = prng(seed);
  return buildQwen2Gguf({
    name: "thinkprm-tiny",
    shape: TINY_SHAPE,
    vocab: tinyVocab(),
    weight: (_name, n) => Float32Array.from({ length: n }, () => (next() * 2 - 1) * 0.5),
  });
}

/**
 * Default distribution of the constant model: EOS is the most likely token (so greedy generation
 * ends at once and a verification chain is empty but complete), and P(" Yes") : P(" No") = 3 : 1,
 * so the ThinkPRM score is exactly 0.75 at decision temperature 1 and 3^(1/T) / (3^(1/T) + 1) at T.
 */
export const CONSTANT_DEFAULT: Record<string, number> = { [EOS]: 0.5, " Yes": 0.375, " No": 0.125 };

/**
 * The constant-logit model: all weights zero, so the logits are the output bias at every position.
 * Tokens named in `probabilities` get log p; every other token gets −60 (a total mass below 1e-23).
 */
export function makeConstantModel(probabilities: Record<string, number> = CONSTANT_DEFAULT): Buffer {
  const vocab = tinyVocab();
  const bias = new Float32Array(vocab.tokens.length).fill(-60);
  const index = new Map(vocab.tokens.map((t, i) => [t, i]));
  for (const [text, p] of Object.entries(probabilities)) {
    const byteLevel = [...Buffer.from(text, "utf8")].map((b) => vocab.tokens[b]!).join("");
    const id = index.get(text) ?? index.get(byteLevel);
    if (id === undefined)
      throw new Error(`the constant model's vocabulary has no single token for ${JSON.stringify(text)}`);
    bias[id] = Math.log(p);
  }
  return buildQwen2Gguf({
    name: "thinkprm-constant",
    shape: TINY_SHAPE,
    vocab,
    weight: null,
    outputBias: bias,
  });
}
