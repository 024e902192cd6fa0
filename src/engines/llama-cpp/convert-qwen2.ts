/**
 * Hugging Face Qwen2 checkpoint → GGUF (what `thinkprm convert` runs, and what `--model <repo id>`
 * runs once on first use): config.json, safetensors (bf16/f16/f32, single or sharded),
 * tokenizer.json and tokenizer_config.json. ThinkPRM-1.5B/7B/14B are DeepSeek-R1-Distill-Qwen
 * fine-tunes published only as safetensors.
 *
 * Tensor names and shapes follow llama.cpp's convert_hf_to_gguf for Qwen2 (no Q/K permutation:
 * Qwen2 uses NeoX-style RoPE). A [rows, cols] HF matrix is the GGUF tensor with dims [cols, rows]:
 * the same bytes, dimensions listed innermost first.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { GgmlType, GgufTokenType } from "./gguf-format.js";
import {
  bool,
  f32,
  type GgufValue,
  i32Array,
  type LazyGgufTensor,
  str,
  strArray,
  u32,
  writeGgufFile,
} from "./gguf-writer.js";
import { SafetensorsFile } from "./safetensors.js";

export type ConvertType = "f32" | "f16" | "q8_0";

export class ConvertError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConvertError";
  }
}

interface Qwen2Config {
  architectures?: string[];
  model_type?: string;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads?: number;
  intermediate_size: number;
  max_position_embeddings?: number;
  rms_norm_eps?: number;
  rope_theta?: number;
  vocab_size: number;
  tie_word_embeddings?: boolean;
}

function readJson<T>(dir: string, name: string, required = true): T | undefined {
  const path = join(dir, name);
  if (!existsSync(path)) {
    if (required)
      throw new ConvertError(
        `${dir} has no ${name}; a Hugging Face checkpoint folder needs config.json, *.safetensors, tokenizer.json and tokenizer_config.json`,
      );
    return undefined;
  }
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch (error) {
    throw new ConvertError(`${path} is not valid JSON (${(error as Error).message})`);
  }
}

const specialText = (v: unknown): string | undefined =>
  typeof v === "string"
    ? v
    : v && typeof v === "object" && "content" in v
      ? String((v as { content: unknown }).content)
      : undefined;

/** Vocabulary, token types and merges from tokenizer.json, padded to the model's vocab size. */
export function ggufTokenizer(dir: string, vocabSize: number) {
  const tok = readJson<{
    model?: { type?: string; vocab?: Record<string, number>; merges?: (string | [string, string])[] };
    added_tokens?: { id: number; content: string; special?: boolean }[];
  }>(dir, "tokenizer.json")!;
  if (tok.model?.type !== "BPE" || !tok.model.vocab || !tok.model.merges) {
    throw new ConvertError(
      `${dir}/tokenizer.json is not a byte-level BPE tokenizer (model.type "${tok.model?.type}")`,
    );
  }
  // (no spread into Math.max: a 150k-entry vocabulary exceeds the argument limit)
  let size = vocabSize;
  for (const i of Object.values(tok.model.vocab)) size = Math.max(size, i + 1);
  for (const t of tok.added_tokens ?? []) size = Math.max(size, t.id + 1);
  const tokens: string[] = Array.from({ length: size }, (_, i) => `[PAD${i}]`);
  const types: GgufTokenType[] = Array.from({ length: size }, () => GgufTokenType.UNUSED);
  for (const [text, id] of Object.entries(tok.model.vocab)) {
    tokens[id] = text;
    types[id] = GgufTokenType.NORMAL;
  }
  for (const t of tok.added_tokens ?? []) {
    tokens[t.id] = t.content;
    types[t.id] = t.special ? GgufTokenType.CONTROL : GgufTokenType.USER_DEFINED;
  }
  const merges = tok.model.merges.map((m) => (Array.isArray(m) ? m.join(" ") : m));
  return { tokens, types, merges };
}

export interface ConvertOptions {
  type?: ConvertType;
  onTensor?: (index: number, count: number, name: string) => void;
}

/** Converts a checkpoint folder to a GGUF file. */
export function convertQwen2Checkpoint(
  dir: string,
  out: string,
  options: ConvertOptions = {},
): { tensors: number } {
  const config = readJson<Qwen2Config>(dir, "config.json")!;
  const arch = config.architectures?.[0] ?? config.model_type;
  if (!(arch === "Qwen2ForCausalLM" || config.model_type === "qwen2")) {
    throw new ConvertError(
      `${dir}: architecture "${arch}" is not supported; thinkprm converts Qwen2 checkpoints (ThinkPRM, DeepSeek-R1-Distill-Qwen, Qwen2.5)`,
    );
  }
  const tokConfig = readJson<Record<string, unknown>>(dir, "tokenizer_config.json")!;
  const { tokens, types, merges } = ggufTokenizer(dir, config.vocab_size);
  const id = (v: unknown) => {
    const text = specialText(v);
    const i = text === undefined ? -1 : tokens.indexOf(text);
    return i >= 0 ? i : undefined;
  };

  // tensors may be in one file or sharded with an index
  const index = readJson<{ weight_map: Record<string, string> }>(dir, "model.safetensors.index.json", false);
  const files = new Map<string, SafetensorsFile>();
  const fileOf = (name: string): SafetensorsFile => {
    const file = index ? index.weight_map[name] : "model.safetensors";
    if (!file) throw new ConvertError(`${dir}: the checkpoint has no tensor ${name}`);
    let f = files.get(file);
    if (!f) {
      if (!existsSync(join(dir, file))) throw new ConvertError(`${dir}: missing ${file}`);
      f = new SafetensorsFile(join(dir, file));
      files.set(file, f);
    }
    return f;
  };
  const has = (name: string) =>
    index ? name in index.weight_map : fileOf("model.embed_tokens.weight").entries.has(name);

  const matrixType = { f32: GgmlType.F32, f16: GgmlType.F16, q8_0: GgmlType.Q8_0 }[options.type ?? "f16"];
  const tensors: LazyGgufTensor[] = [];
  const add = (gguf: string, hf: string, optional = false) => {
    if (!has(hf)) {
      if (optional) return;
      throw new ConvertError(`${dir}: the checkpoint has no tensor ${hf}`);
    }
    const entry = fileOf(hf).entries.get(hf)!;
    const dims = [...entry.shape].reverse();
    const type =
      dims.length === 1
        ? GgmlType.F32
        : matrixType === GgmlType.Q8_0 && dims[0]! % 32 !== 0
          ? GgmlType.F16
          : matrixType;
    tensors.push({ name: gguf, dims, type, load: () => fileOf(hf).read(hf) });
  };
  add("token_embd.weight", "model.embed_tokens.weight");
  add("output_norm.weight", "model.norm.weight");
  if (!config.tie_word_embeddings) add("output.weight", "lm_head.weight", true);
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const hf = `model.layers.${l}`;
    const g = `blk.${l}`;
    add(`${g}.attn_norm.weight`, `${hf}.input_layernorm.weight`);
    for (const [p, q] of [
      ["q", "q_proj"],
      ["k", "k_proj"],
      ["v", "v_proj"],
    ] as const) {
      add(`${g}.attn_${p}.weight`, `${hf}.self_attn.${q}.weight`);
      add(`${g}.attn_${p}.bias`, `${hf}.self_attn.${q}.bias`, true);
    }
    add(`${g}.attn_output.weight`, `${hf}.self_attn.o_proj.weight`);
    add(`${g}.ffn_norm.weight`, `${hf}.post_attention_layernorm.weight`);
    add(`${g}.ffn_gate.weight`, `${hf}.mlp.gate_proj.weight`);
    add(`${g}.ffn_up.weight`, `${hf}.mlp.up_proj.weight`);
    add(`${g}.ffn_down.weight`, `${hf}.mlp.down_proj.weight`);
  }

  const r1 = tokens.includes("<｜begin▁of▁sentence｜>");
  const metadata: Record<string, GgufValue> = {
    "general.architecture": str("qwen2"),
    "general.name": str(dir.split("/").filter(Boolean).at(-1) ?? "model"),
    "general.file_type": u32({ f32: 0, f16: 1, q8_0: 7 }[options.type ?? "f16"]),
    "qwen2.context_length": u32(config.max_position_embeddings ?? 32768),
    "qwen2.embedding_length": u32(config.hidden_size),
    "qwen2.block_count": u32(config.num_hidden_layers),
    "qwen2.feed_forward_length": u32(config.intermediate_size),
    "qwen2.attention.head_count": u32(config.num_attention_heads),
    "qwen2.attention.head_count_kv": u32(config.num_key_value_heads ?? config.num_attention_heads),
    "qwen2.attention.layer_norm_rms_epsilon": f32(config.rms_norm_eps ?? 1e-6),
    "qwen2.rope.freq_base": f32(config.rope_theta ?? 10000),
    "tokenizer.ggml.model": str("gpt2"),
    // llama.cpp names R1-Distill-Qwen's pre-tokenizer separately; the splitting rule is Qwen2's
    "tokenizer.ggml.pre": str(r1 ? "deepseek-r1-qwen" : "qwen2"),
    "tokenizer.ggml.tokens": strArray(tokens),
    "tokenizer.ggml.token_type": i32Array(types),
    "tokenizer.ggml.merges": strArray(merges),
  };
  const bos = id(tokConfig.bos_token);
  const eos = id(tokConfig.eos_token);
  const pad = id(tokConfig.pad_token);
  if (bos !== undefined) metadata["tokenizer.ggml.bos_token_id"] = u32(bos);
  if (eos !== undefined) metadata["tokenizer.ggml.eos_token_id"] = u32(eos);
  if (pad !== undefined) metadata["tokenizer.ggml.padding_token_id"] = u32(pad);
  metadata["tokenizer.ggml.add_bos_token"] = bool(tokConfig.add_bos_token === true);
  if (typeof tokConfig.chat_template === "string")
    metadata["tokenizer.chat_template"] = str(tokConfig.chat_template);

  writeGgufFile(out, metadata, tensors, (i, name) => options.onTensor?.(i, tensors.length, name));
  return { tensors: tensors.length };
}
