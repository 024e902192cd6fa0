/**
 * Hugging Face Qwen2 checkpoint → GGUF (what `thinkprm convert` runs, and what `--model <repo id>`
 * runs once on first use): config.json, safetensors (bf16/f16/f32, single or sharded),
 * tokenizer.json, tokenizer_config.json and, from transformers 5, chat_template.jinja.
 * ThinkPRM-1.5B/7B/14B are DeepSeek-R1-Distill-Qwen fine-tunes published only as safetensors.
 *
 * Tensor names, shapes and metadata follow llama.cpp's convert_hf_to_gguf for Qwen2 (no Q/K
 * permutation: Qwen2 uses NeoX-style RoPE); the test suite compares both converters' output and
 * the README lists each difference. A [rows, cols] HF matrix is the GGUF tensor with dims
 * [cols, rows]: the same bytes, dimensions listed innermost first. The config is read by
 * `readQwen2Config`, which refuses what the GGUF cannot represent; tensor shapes are checked
 * against it, so a file llama.cpp would reject (or crash on) is never written.
 */
import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type Qwen2Hparams, readQwen2Config } from "./convert-qwen2-config.js";
import { ggufTokenizer, readTokenizerFiles } from "./convert-qwen2-tokenizer.js";
import { GgmlType } from "./gguf-format.js";
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

/** The checkpoint's hyper-parameters, or a `ConvertError` listing every problem with config.json. */
export function readCheckpointConfig(dir: string): Qwen2Hparams {
  const read = readQwen2Config(readJson<unknown>(dir, "config.json"));
  if (!read.ok)
    throw new ConvertError(
      `${join(dir, "config.json")}: cannot convert:\n${read.issues.map((i) => `  - ${i.message}`).join("\n")}`,
    );
  return read.value;
}

export interface ConvertOptions {
  type?: ConvertType;
  onTensor?: (index: number, count: number, name: string) => void;
}

export interface ConvertResult {
  tensors: number;
  hparams: Qwen2Hparams;
  /** Where `tokenizer.chat_template` came from, or null when the checkpoint has none. */
  chatTemplateSource: "chat_template.jinja" | "tokenizer_config.json" | null;
}

/** Opens the safetensors files (one, or shards named by an index) and finds each tensor's file. */
function checkpointTensors(dir: string) {
  const index = readJson<{ weight_map?: Record<string, string> }>(dir, "model.safetensors.index.json", false);
  if (index && (typeof index.weight_map !== "object" || index.weight_map === null))
    throw new ConvertError(`${dir}/model.safetensors.index.json has no weight_map`);
  const files = new Map<string, SafetensorsFile>();
  const open = (file: string): SafetensorsFile => {
    let f = files.get(file);
    if (!f) {
      // shard names come from the index: never let one point outside the folder
      if (file.includes("/") || file.includes("\\") || file.startsWith(".."))
        throw new ConvertError(`${dir}: the index names a shard outside the folder (${file})`);
      if (!existsSync(join(dir, file))) throw new ConvertError(`${dir}: missing ${file}`);
      try {
        f = new SafetensorsFile(join(dir, file));
      } catch (error) {
        throw new ConvertError((error as Error).message);
      }
      files.set(file, f);
    }
    return f;
  };
  const fileOf = (name: string) => (index ? index.weight_map![name] : "model.safetensors");
  return {
    has: (name: string) => {
      const file = fileOf(name);
      return file !== undefined && open(file).entries.has(name);
    },
    entry: (name: string) => open(fileOf(name)!).entries.get(name)!,
    read: (name: string) => {
      try {
        return open(fileOf(name)!).read(name);
      } catch (error) {
        throw new ConvertError((error as Error).message);
      }
    },
  };
}

/**
 * Converts a checkpoint folder to a GGUF file. The file appears under its name only when complete
 * (written beside it, then renamed).
 */
export function convertQwen2Checkpoint(
  dir: string,
  out: string,
  options: ConvertOptions = {},
): ConvertResult {
  const h = readCheckpointConfig(dir);
  const st = checkpointTensors(dir);
  // the embedding's rows are the vocabulary's size: checked before a token table of that size is
  // allocated (a config.json claiming 2^31 tokens must be an error, not an out-of-memory crash)
  const embed = st.has("model.embed_tokens.weight") ? st.entry("model.embed_tokens.weight").shape : undefined;
  if (embed && (embed[0] !== h.vocabSize || embed[1] !== h.hidden))
    throw new ConvertError(
      `${dir}: tensor model.embed_tokens.weight has shape [${embed.join(", ")}], but config.json implies [${h.vocabSize}, ${h.hidden}]`,
    );
  const tok = readTokenizerFiles(dir, (m) => new ConvertError(m));
  const { tokens, types, merges, pre } = ggufTokenizer(tok, h.vocabSize, (m) => new ConvertError(m));

  const matrixType = { f32: GgmlType.F32, f16: GgmlType.F16, q8_0: GgmlType.Q8_0 }[options.type ?? "f16"];
  const headDim = h.hidden / h.heads;
  const tensors: LazyGgufTensor[] = [];
  /** Adds a tensor after checking its HF shape ([rows, cols], or [n]) against the config. */
  const add = (gguf: string, hf: string, shape: number[], optional = false) => {
    if (!st.has(hf)) {
      if (optional) return;
      throw new ConvertError(`${dir}: the checkpoint has no tensor ${hf}`);
    }
    const entry = st.entry(hf);
    if (entry.shape.length !== shape.length || entry.shape.some((d, i) => d !== shape[i]))
      throw new ConvertError(
        `${dir}: tensor ${hf} has shape [${entry.shape.join(", ")}], but config.json implies [${shape.join(", ")}]`,
      );
    const dims = [...entry.shape].reverse();
    const type =
      dims.length === 1
        ? GgmlType.F32
        : matrixType === GgmlType.Q8_0 && dims[0]! % 32 !== 0
          ? GgmlType.F16
          : matrixType;
    tensors.push({ name: gguf, dims, type, load: () => st.read(hf) });
  };
  add("token_embd.weight", "model.embed_tokens.weight", [h.vocabSize, h.hidden]);
  add("output_norm.weight", "model.norm.weight", [h.hidden]);
  // tied embeddings, as transformers decides: tie_word_embeddings true → the embedding is the output
  // (a stored lm_head is ignored, as transformers ignores it); otherwise lm_head must be there
  if (h.tiedEmbeddings !== true) {
    if (!st.has("lm_head.weight"))
      throw new ConvertError(
        `${dir}: config.json does not tie the output to the embedding (tie_word_embeddings ${h.tiedEmbeddings ?? "absent"}) but the checkpoint has no lm_head.weight; set "tie_word_embeddings": true if the model ties them`,
      );
    add("output.weight", "lm_head.weight", [h.vocabSize, h.hidden]);
  }
  const kv = h.kvHeads * headDim;
  for (let l = 0; l < h.layers; l++) {
    const hf = `model.layers.${l}`;
    const g = `blk.${l}`;
    add(`${g}.attn_norm.weight`, `${hf}.input_layernorm.weight`, [h.hidden]);
    for (const [p, q, rows] of [
      ["q", "q_proj", h.hidden],
      ["k", "k_proj", kv],
      ["v", "v_proj", kv],
    ] as const) {
      add(`${g}.attn_${p}.weight`, `${hf}.self_attn.${q}.weight`, [rows, h.hidden]);
      add(`${g}.attn_${p}.bias`, `${hf}.self_attn.${q}.bias`, [rows], true);
    }
    add(`${g}.attn_output.weight`, `${hf}.self_attn.o_proj.weight`, [h.hidden, h.hidden]);
    add(`${g}.ffn_norm.weight`, `${hf}.post_attention_layernorm.weight`, [h.hidden]);
    add(`${g}.ffn_gate.weight`, `${hf}.mlp.gate_proj.weight`, [h.ff, h.hidden]);
    add(`${g}.ffn_up.weight`, `${hf}.mlp.up_proj.weight`, [h.ff, h.hidden]);
    add(`${g}.ffn_down.weight`, `${hf}.mlp.down_proj.weight`, [h.hidden, h.ff]);
  }

  const metadata: Record<string, GgufValue> = {
    "general.architecture": str("qwen2"),
    "general.type": str("model"),
    "general.name": str(dir.split(/[/\\]/).filter(Boolean).at(-1) ?? "model"),
    "general.file_type": u32({ f32: 0, f16: 1, q8_0: 7 }[options.type ?? "f16"]),
    "general.quantization_version": u32(2),
    "qwen2.context_length": u32(h.contextLength),
    "qwen2.embedding_length": u32(h.hidden),
    "qwen2.block_count": u32(h.layers),
    "qwen2.feed_forward_length": u32(h.ff),
    "qwen2.attention.head_count": u32(h.heads),
    "qwen2.attention.head_count_kv": u32(h.kvHeads),
    "qwen2.attention.layer_norm_rms_epsilon": f32(h.rmsEps),
    "qwen2.rope.freq_base": f32(h.ropeTheta),
  };
  if (h.rope.type !== "none") {
    metadata["qwen2.rope.scaling.type"] = str(h.rope.type);
    metadata["qwen2.rope.scaling.factor"] = f32(h.rope.factor!);
    if (h.rope.type === "yarn") {
      metadata["qwen2.rope.scaling.original_context_length"] = u32(h.rope.originalContext!);
      if (h.rope.betaFast !== undefined) metadata["qwen2.rope.scaling.yarn_beta_fast"] = f32(h.rope.betaFast);
      if (h.rope.betaSlow !== undefined) metadata["qwen2.rope.scaling.yarn_beta_slow"] = f32(h.rope.betaSlow);
    }
  }
  Object.assign(metadata, {
    "tokenizer.ggml.model": str("gpt2"),
    "tokenizer.ggml.pre": str(pre),
    "tokenizer.ggml.tokens": strArray(tokens),
    "tokenizer.ggml.token_type": i32Array(types),
    "tokenizer.ggml.merges": strArray(merges),
  } satisfies Record<string, GgufValue>);
  for (const [key, text] of [
    ["bos_token_id", tok.bos],
    ["eos_token_id", tok.eos],
    ["padding_token_id", tok.pad],
  ] as const) {
    const i = text === undefined ? -1 : tokens.indexOf(text);
    if (i >= 0) metadata[`tokenizer.ggml.${key}`] = u32(i);
  }
  for (const [key, value] of [
    ["add_bos_token", tok.addBos],
    ["add_sep_token", tok.addSep],
    ["add_eos_token", tok.addEos],
  ] as const)
    if (value !== undefined) metadata[`tokenizer.ggml.${key}`] = bool(value);
  if (tok.chatTemplate) metadata["tokenizer.chat_template"] = str(tok.chatTemplate.source);

  const partial = `${out}.partial-${process.pid}`;
  try {
    writeGgufFile(partial, metadata, tensors, (i, name) => options.onTensor?.(i, tensors.length, name));
    renameSync(partial, out);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
  return { tensors: tensors.length, hparams: h, chatTemplateSource: tok.chatTemplate?.file ?? null };
}
