/**
 * A tiny checkpoint in Hugging Face format (config.json, model.safetensors, tokenizer.json,
 * tokenizer_config.json), the input of the converter's round-trip test and of the local-hub
 * download test, plus its twin written directly by the GGUF writer from the same weights.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUILTIN_CHAT_TEMPLATES } from "../chat-template.js";
import { GgufTokenType } from "./gguf-format.js";
import { roundToBf16, type SafetensorsTensor, writeSafetensors } from "./safetensors.js";
import { BOS, buildQwen2Gguf, EOS, prng, TINY_SHAPE, tinyVocab } from "./test-models.js";

/** FNV-1a, to seed each tensor's values by its name. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The weights of the tiny checkpoint, by GGUF tensor name: seeded per name, bf16-exact. */
export function checkpointWeight(seed: number) {
  return (name: string, n: number): Float32Array => {
    const next = prng(fnv1a(name) ^ seed);
    return Float32Array.from({ length: n }, () => roundToBf16((next() * 2 - 1) * 0.5));
  };
}

/** GGUF name → HF name, for the tensors the tiny model has. */
function hfName(gguf: string): string {
  const top: Record<string, string> = {
    "token_embd.weight": "model.embed_tokens.weight",
    "output_norm.weight": "model.norm.weight",
    "output.weight": "lm_head.weight",
  };
  if (top[gguf]) return top[gguf];
  const m = gguf.match(/^blk\.(\d+)\.(.+)$/);
  if (!m) throw new Error(`no HF name for ${gguf}`);
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
  return `model.layers.${m[1]}.${part[m[2]!]}`;
}

/** The directly written twin: same weights, same vocabulary, F32. */
export function makeCheckpointTwinGguf(seed = 7): Buffer {
  return buildQwen2Gguf({
    name: "thinkprm-hf-tiny",
    shape: TINY_SHAPE,
    vocab: tinyVocab(),
    weight: checkpointWeight(seed),
  });
}

/** Writes the checkpoint folder; returns its file names. */
export function writeHfTinyCheckpoint(dir: string, seed = 7): string[] {
  mkdirSync(dir, { recursive: true });
  const vocab = tinyVocab();
  const s = TINY_SHAPE;
  const weight = checkpointWeight(seed);
  // the twin's tensor list is the source of truth for names and dims
  const tensors: SafetensorsTensor[] = [];
  const kv = (s.hidden / s.heads) * s.kvHeads;
  const dims: [string, number[]][] = [
    ["token_embd.weight", [s.hidden, vocab.tokens.length]],
    ["output_norm.weight", [s.hidden]],
    ["output.weight", [s.hidden, vocab.tokens.length]],
  ];
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
  for (const [name, d] of dims) {
    const n = d.reduce((a, b) => a * b, 1);
    // norms are ones and biases zeros in the twin (buildQwen2Gguf), so the checkpoint matches it
    const data = name.endsWith("norm.weight")
      ? new Float32Array(n).fill(1)
      : name.endsWith(".bias")
        ? new Float32Array(n)
        : weight(name, n);
    tensors.push({ name: hfName(name), dtype: "BF16", shape: [...d].reverse(), data });
  }
  writeSafetensors(join(dir, "model.safetensors"), tensors);

  const added = vocab.tokens
    .map((content, id) => ({ id, content, type: vocab.types[id]! }))
    .filter((t) => t.type === GgufTokenType.CONTROL || t.type === GgufTokenType.USER_DEFINED)
    .map((t) => ({ id: t.id, content: t.content, special: t.type === GgufTokenType.CONTROL }));
  const addedIds = new Set(added.map((t) => t.id));
  const tokenizer = {
    version: "1.0",
    added_tokens: added,
    model: {
      type: "BPE",
      vocab: Object.fromEntries(
        vocab.tokens.map((t, i) => [t, i]).filter(([, i]) => !addedIds.has(i as number)),
      ),
      merges: vocab.merges,
    },
  };
  const files: Record<string, unknown> = {
    "config.json": {
      architectures: ["Qwen2ForCausalLM"],
      model_type: "qwen2",
      hidden_size: s.hidden,
      num_hidden_layers: s.layers,
      num_attention_heads: s.heads,
      num_key_value_heads: s.kvHeads,
      intermediate_size: s.ff,
      max_position_embeddings: s.context,
      rms_norm_eps: 1e-6,
      rope_theta: 1e6,
      vocab_size: vocab.tokens.length,
      tie_word_embeddings: false,
      torch_dtype: "bfloat16",
    },
    "tokenizer.json": tokenizer,
    "tokenizer_config.json": {
      add_bos_token: false,
      bos_token: { content: BOS },
      eos_token: EOS,
      pad_token: "<|endoftext|>",
      chat_template: BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"].source,
    },
    "generation_config.json": { bos_token_id: vocab.special[BOS], eos_token_id: vocab.special[EOS] },
  };
  for (const [name, value] of Object.entries(files))
    writeFileSync(join(dir, name), JSON.stringify(value, null, 1));
  return [
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
  ];
}
