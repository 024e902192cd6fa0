/**
 * A random-weight model with the exact shape of DeepSeek-R1-Distill-Qwen-1.5B (ThinkPRM-1.5B):
 * hidden 1536, 28 layers, 12/2 heads, FFN 8960, vocabulary 151936, untied output, Q8_0. For
 * benchmarks only: compute cost does not depend on the values, so the Q8_0 blocks are random bytes
 * with a sane scale, written straight to disk (about 1.8 GB) without materialising floats.
 */
import { randomFillSync } from "node:crypto";
import { BUILTIN_CHAT_TEMPLATES } from "../chat-template.js";
import { GGML_BLOCK, GgmlType } from "./gguf-format.js";
import {
  bool,
  f32,
  type GgufValue,
  i32Array,
  type LazyGgufTensor,
  str,
  strArray,
  toHalf,
  u32,
  writeGgufFile,
} from "./gguf-writer.js";
import { r1DistillVocab } from "./qwen-tokenizer-model.js";

export const R1_DISTILL_1_5B_SHAPE = {
  hidden: 1536,
  layers: 28,
  heads: 12,
  kvHeads: 2,
  ff: 8960,
  vocab: 151936,
  context: 4096,
};

function randomQ8(count: number): Buffer {
  const blocks = count / 32;
  const out = Buffer.alloc(blocks * GGML_BLOCK[GgmlType.Q8_0].bytes);
  randomFillSync(out);
  const d = toHalf(0.002);
  for (let b = 0; b < blocks; b++) out.writeUInt16LE(d, b * 34);
  return out;
}

/** Writes the model, with the real R1-Distill-Qwen vocabulary so token counts are realistic. */
export function writeShape15bModel(path: string, onTensor?: (i: number, n: number) => void): void {
  const s = R1_DISTILL_1_5B_SHAPE;
  const { tokens, types, merges, special } = r1DistillVocab();
  const kv = (s.hidden / s.heads) * s.kvHeads;
  const tensors: LazyGgufTensor[] = [];
  const q8 = (name: string, dims: number[]) =>
    tensors.push({ name, dims, type: GgmlType.Q8_0, load: () => randomQ8(dims.reduce((a, b) => a * b, 1)) });
  const vec = (name: string, n: number, value: number) =>
    tensors.push({ name, dims: [n], type: GgmlType.F32, load: () => new Float32Array(n).fill(value) });
  q8("token_embd.weight", [s.hidden, s.vocab]);
  vec("output_norm.weight", s.hidden, 1);
  q8("output.weight", [s.hidden, s.vocab]);
  for (let l = 0; l < s.layers; l++) {
    const p = `blk.${l}`;
    vec(`${p}.attn_norm.weight`, s.hidden, 1);
    q8(`${p}.attn_q.weight`, [s.hidden, s.hidden]);
    vec(`${p}.attn_q.bias`, s.hidden, 0);
    q8(`${p}.attn_k.weight`, [s.hidden, kv]);
    vec(`${p}.attn_k.bias`, kv, 0);
    q8(`${p}.attn_v.weight`, [s.hidden, kv]);
    vec(`${p}.attn_v.bias`, kv, 0);
    q8(`${p}.attn_output.weight`, [s.hidden, s.hidden]);
    vec(`${p}.ffn_norm.weight`, s.hidden, 1);
    q8(`${p}.ffn_gate.weight`, [s.hidden, s.ff]);
    q8(`${p}.ffn_up.weight`, [s.hidden, s.ff]);
    q8(`${p}.ffn_down.weight`, [s.ff, s.hidden]);
  }
  const metadata: Record<string, GgufValue> = {
    "general.architecture": str("qwen2"),
    "general.name": str("thinkprm-shape-1.5b (random weights, benchmarks only)"),
    "qwen2.context_length": u32(s.context),
    "qwen2.embedding_length": u32(s.hidden),
    "qwen2.block_count": u32(s.layers),
    "qwen2.feed_forward_length": u32(s.ff),
    "qwen2.attention.head_count": u32(s.heads),
    "qwen2.attention.head_count_kv": u32(s.kvHeads),
    "qwen2.attention.layer_norm_rms_epsilon": f32(1e-6),
    "qwen2.rope.freq_base": f32(10000),
    "tokenizer.ggml.model": str("gpt2"),
    "tokenizer.ggml.pre": str("deepseek-r1-qwen"),
    "tokenizer.ggml.tokens": strArray(tokens),
    "tokenizer.ggml.token_type": i32Array(types),
    "tokenizer.ggml.merges": strArray(merges),
    "tokenizer.ggml.bos_token_id": u32(special["<｜begin▁of▁sentence｜>"]!),
    "tokenizer.ggml.eos_token_id": u32(special["<｜end▁of▁sentence｜>"]!),
    "tokenizer.ggml.add_bos_token": bool(false),
    "tokenizer.chat_template": str(BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"].source),
  };
  writeGgufFile(path, metadata, tensors, (i) => onTensor?.(i, tensors.length));
}
