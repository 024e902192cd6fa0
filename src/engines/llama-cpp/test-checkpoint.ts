/**
 * Tiny checkpoints in Hugging Face format, written as real DeepSeek-R1-Distill-Qwen checkpoints are
 * (config.json, generation_config.json, model.safetensors, tokenizer.json, tokenizer_config.json),
 * so that transformers' `AutoTokenizer` and `AutoModelForCausalLM` load them: special tokens in
 * tokenizer_config.json are `{"__type": "AddedToken", …}` objects, tokenizer.json carries Qwen2's
 * normalizer, pre-tokenizer, decoder and R1's BOS post-processor, config.json the fields
 * transformers 4.44 wrote. They are the input of the converter's tests (against transformers'
 * own forward pass and llama.cpp's own converter), of the trainer tests and of the local-hub
 * download test; `makeCheckpointTwinGguf` writes the same weights directly as GGUF.
 *
 * - `hf-tiny`: the project's small byte-level vocabulary (392 tokens), 2 layers of width 64.
 * - `hf-qwen-tokenizer`: the real Qwen / R1-Distill vocabulary (151,936 rows, R1's added tokens at
 *   their real ids) with the same tiny layers: token ids match ThinkPRM's.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUILTIN_CHAT_TEMPLATES } from "../chat-template.js";
import { bytesToUnicode } from "./byte-bpe.js";
import { GgufTokenType } from "./gguf-format.js";
import { roundToBf16, type SafetensorsTensor, writeSafetensors } from "./safetensors.js";
import { BOS, buildQwen2Gguf, EOS, prng, TINY_SHAPE, type TinyShape, tinyVocab } from "./test-models.js";

/** FNV-1a, to seed each tensor's values by its name. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * The weights of the tiny checkpoint, by GGUF tensor name: seeded per name, uniform in ±0.25
 * (about unit gain per layer at width 64, so quantisation error is not amplified into chaos),
 * bf16-exact.
 */
export function checkpointWeight(seed: number) {
  return (name: string, n: number): Float32Array => {
    const next = prng(fnv1a(name) ^ seed);
    return Float32Array.from({ length: n }, () => roundToBf16((next() * 2 - 1) * 0.25));
  };
}

/**
 * Norm weights (around 1) and biases (small), seeded per name and bf16-exact: not ones and zeros,
 * so a converter that drops or misplaces them is caught.
 */
export function checkpointVector(seed: number) {
  return (name: string, n: number): Float32Array => {
    const next = prng(fnv1a(name) ^ seed ^ 0x5bd1e995);
    const around = name.endsWith("norm.weight") ? 1 : 0;
    const spread = name.endsWith("norm.weight") ? 0.2 : 0.1;
    return Float32Array.from({ length: n }, () => roundToBf16(around + (next() * 2 - 1) * spread));
  };
}

/** GGUF name → HF name, for the tensors the tiny model has. */
export function hfTensorName(gguf: string): string {
  const top: Record<string, string> = {
    "token_embd.weight": "model.embed_tokens.weight",
    "output_norm.weight": "model.norm.weight",
    "output.weight": "lm_head.weight",
  };
  if (top[gguf]) return top[gguf];
  const m = gguf.match(/^blk\.(\d+)\.(.+)$/);
  const part: Record<string, string> = {
    "attn_norm.weight": "input_layernorm.weight",
    "attn_q.weight": "self_attn.q_proj.weight",
    "attn_q.bias": "self_attn.q_proj.bias",
    "attn_k.weight": "self_attn.k_proj.weight",
    "attn_k.bias": "self_attn.k_proj.bias",
    "attn_v.weight": "self_attn.v_proj.weight",
    "attn_v.bias": "self_attn.v_proj.bias",
    "attn_output.weight": "self_attn.o_proj.weight",
    "ffn_norm.weight": "post_attention_layernorm.weight",
    "ffn_gate.weight": "mlp.gate_proj.weight",
    "ffn_up.weight": "mlp.up_proj.weight",
    "ffn_down.weight": "mlp.down_proj.weight",
  };
  const hf = m ? part[m[2]!] : undefined;
  if (!m || !hf) throw new Error(`no HF name for ${gguf}`);
  return `model.layers.${m[1]}.${hf}`;
}

/** GGUF tensor names and dims (innermost first) of a Qwen2 model of this shape. */
export function qwen2TensorDims(s: TinyShape, vocabRows: number, tied: boolean): [string, number[]][] {
  const kv = (s.hidden / s.heads) * s.kvHeads;
  const dims: [string, number[]][] = [
    ["token_embd.weight", [s.hidden, vocabRows]],
    ["output_norm.weight", [s.hidden]],
  ];
  if (!tied) dims.push(["output.weight", [s.hidden, vocabRows]]);
  for (let l = 0; l < s.layers; l++) {
    const p = `blk.${l}`;
    dims.push(
      [`${p}.attn_norm.weight`, [s.hidden]],
      [`${p}.attn_q.weight`, [s.hidden, s.hidden]],
      [`${p}.attn_q.bias`, [s.hidden]],
      [`${p}.attn_k.weight`, [s.hidden, kv]],
      [`${p}.attn_k.bias`, [kv]],
      [`${p}.attn_v.weight`, [s.hidden, kv]],
      [`${p}.attn_v.bias`, [kv]],
      [`${p}.attn_output.weight`, [s.hidden, s.hidden]],
      [`${p}.ffn_norm.weight`, [s.hidden]],
      [`${p}.ffn_gate.weight`, [s.hidden, s.ff]],
      [`${p}.ffn_up.weight`, [s.hidden, s.ff]],
      [`${p}.ffn_down.weight`, [s.ff, s.hidden]],
    );
  }
  return dims;
}

/** The directly written twin of `hf-tiny`: same weights, same vocabulary, F32. */
export function makeCheckpointTwinGguf(seed = 7): Buffer {
  return buildQwen2Gguf({
    name: "thinkprm-hf-tiny",
    shape: TINY_SHAPE,
    vocab: tinyVocab(),
    weight: checkpointWeight(seed),
    vector: checkpointVector(seed),
  });
}

/** Qwen2's pre-tokenizer split (tokenizer.json of Qwen2.5 and R1-Distill-Qwen). */
const QWEN2_SPLIT =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const BYTE_LEVEL = { add_prefix_space: false, trim_offsets: false, use_regex: false };

interface AddedToken {
  id: number;
  content: string;
  special: boolean;
}

/** tokenizer.json as the `tokenizers` library writes it for R1-Distill-Qwen. */
function tokenizerJson(vocab: Record<string, number>, merges: string[], added: AddedToken[], bosId: number) {
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: added.map((t) => ({
      id: t.id,
      content: t.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: t.special,
    })),
    normalizer: { type: "NFC" },
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: QWEN2_SPLIT }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", ...BYTE_LEVEL },
      ],
    },
    // R1-Distill prepends BOS when asked to add special tokens (tokenizer_config: add_bos_token)
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: BOS, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [
        { SpecialToken: { id: BOS, type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: BOS, type_id: 1 } },
        { Sequence: { id: "B", type_id: 1 } },
      ],
      special_tokens: { [BOS]: { id: BOS, ids: [bosId], tokens: [BOS] } },
    },
    decoder: { type: "ByteLevel", ...BYTE_LEVEL },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: merges.map((m) => m.split(" ")),
    },
  };
}

const addedToken = (content: string) => ({
  __type: "AddedToken",
  content,
  lstrip: false,
  normalized: true,
  rstrip: false,
  single_word: false,
});

export interface HfCheckpointSpec {
  shape: TinyShape;
  /** Rows of the embedding (config vocab_size): the tokenizer's ids lie below it. */
  vocabRows: number;
  /** BPE vocabulary (byte-level strings → id), without the added tokens. */
  vocab: Record<string, number>;
  merges: string[];
  added: AddedToken[];
  seed: number;
  /** Tie the output to the embedding (no lm_head.weight), as Qwen2.5-0.5B/1.5B do. */
  tied?: boolean;
  /** Extra or replaced config.json fields (e.g. a rope scaling), for converter tests. */
  config?: Record<string, unknown>;
}

/** Writes a checkpoint folder; returns its file names. */
export function writeHfCheckpoint(dir: string, spec: HfCheckpointSpec): string[] {
  mkdirSync(dir, { recursive: true });
  const s = spec.shape;
  const weight = checkpointWeight(spec.seed);
  const vector = checkpointVector(spec.seed);
  const tensors: SafetensorsTensor[] = [];
  for (const [name, d] of qwen2TensorDims(s, spec.vocabRows, spec.tied ?? false)) {
    const n = d.reduce((a, b) => a * b, 1);
    const data = d.length === 1 ? vector(name, n) : weight(name, n);
    tensors.push({ name: hfTensorName(name), dtype: "BF16", shape: [...d].reverse(), data });
  }
  writeSafetensors(join(dir, "model.safetensors"), tensors, { format: "pt" });

  const idOf = (text: string) => {
    const t = spec.added.find((a) => a.content === text);
    if (!t) throw new Error(`the vocabulary has no ${text}`);
    return t.id;
  };
  const bosId = idOf(BOS);
  const eosId = idOf(EOS);
  const files: Record<string, unknown> = {
    // DeepSeek-R1-Distill-Qwen-1.5B's config.json, at the tiny shape
    "config.json": {
      architectures: ["Qwen2ForCausalLM"],
      attention_dropout: 0.0,
      bos_token_id: bosId,
      eos_token_id: eosId,
      hidden_act: "silu",
      hidden_size: s.hidden,
      initializer_range: 0.02,
      intermediate_size: s.ff,
      max_position_embeddings: s.context,
      max_window_layers: s.layers,
      model_type: "qwen2",
      num_attention_heads: s.heads,
      num_hidden_layers: s.layers,
      num_key_value_heads: s.kvHeads,
      rms_norm_eps: 1e-6,
      // not llama.cpp's default of 10000, so a converter that misses it is caught
      rope_theta: 1e6,
      sliding_window: s.context,
      tie_word_embeddings: spec.tied ?? false,
      torch_dtype: "bfloat16",
      transformers_version: "4.44.0",
      use_cache: true,
      use_mrope: false,
      use_sliding_window: false,
      vocab_size: spec.vocabRows,
      ...spec.config,
    },
    "generation_config.json": {
      _from_model_config: true,
      bos_token_id: bosId,
      eos_token_id: eosId,
      do_sample: true,
      temperature: 0.6,
      top_p: 0.95,
      transformers_version: "4.44.0",
    },
    "tokenizer.json": tokenizerJson(spec.vocab, spec.merges, spec.added, bosId),
    // R1-Distill-Qwen's tokenizer_config.json: AddedToken objects, LlamaTokenizerFast (which
    // transformers 5 replaces by Qwen2Tokenizer for model_type qwen2), the model's chat template
    "tokenizer_config.json": {
      add_bos_token: true,
      add_eos_token: false,
      bos_token: addedToken(BOS),
      clean_up_tokenization_spaces: false,
      eos_token: addedToken(EOS),
      legacy: true,
      model_max_length: 16384,
      pad_token: addedToken(EOS),
      sp_model_kwargs: {},
      unk_token: null,
      tokenizer_class: "LlamaTokenizerFast",
      chat_template: BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"].source,
    },
  };
  for (const [name, value] of Object.entries(files))
    writeFileSync(join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
  return [
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
  ];
}

/** `hf-tiny`: the small byte-level vocabulary, 2 layers of width 64. */
export function writeHfTinyCheckpoint(
  dir: string,
  seed = 7,
  options: Pick<HfCheckpointSpec, "tied" | "config"> = {},
): string[] {
  const v = tinyVocab();
  const added = v.tokens
    .map((content, id) => ({ id, content, type: v.types[id]! }))
    .filter((t) => t.type === GgufTokenType.CONTROL || t.type === GgufTokenType.USER_DEFINED)
    .map((t) => ({ id: t.id, content: t.content, special: t.type === GgufTokenType.CONTROL }));
  const addedIds = new Set(added.map((t) => t.id));
  const vocab = Object.fromEntries(
    v.tokens.flatMap((t, i) => (addedIds.has(i) ? [] : [[t, i] as [string, number]])),
  );
  return writeHfCheckpoint(dir, {
    shape: TINY_SHAPE,
    vocabRows: v.tokens.length,
    vocab,
    merges: v.merges,
    added,
    seed,
    ...options,
  });
}

/** `hf-qwen-tokenizer`: R1-Distill-Qwen's real vocabulary (151,936 rows) on the tiny layers. */
export async function writeHfQwenTokenizerCheckpoint(dir: string, seed = 7): Promise<string[]> {
  const { R1_DISTILL_ADDED_TOKENS, R1_DISTILL_VOCAB_SIZE, qwenTokenizerJson } = await import(
    "./qwen-tokenizer-model.js"
  );
  const json = qwenTokenizerJson();
  // R1's added tokens replace Qwen's at 151643+; the BPE vocabulary is Qwen's below them
  const vocab = Object.fromEntries(Object.entries(json.model.vocab).filter(([, id]) => id < 151643));
  const merges = json.model.merges.map((m) => (Array.isArray(m) ? m.join(" ") : m));
  // a sanity check that the vocabulary really is byte-level (ids 0–255 cover the byte table)
  if (vocab[bytesToUnicode()[0x21]!] === undefined) throw new Error("not a byte-level vocabulary");
  return writeHfCheckpoint(dir, {
    shape: TINY_SHAPE,
    vocabRows: R1_DISTILL_VOCAB_SIZE,
    vocab,
    merges,
    added: R1_DISTILL_ADDED_TOKENS.map(([id, content, special]) => ({ id, content, special })),
    seed,
  });
}
