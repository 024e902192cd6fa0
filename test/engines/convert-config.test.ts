import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { convertQwen2Checkpoint } from "../../src/engines/llama-cpp/convert-qwen2.js";
import { readQwen2Config, yarnMscale } from "../../src/engines/llama-cpp/convert-qwen2-config.js";
import { readGgufHeader } from "../../src/engines/llama-cpp/gguf-reader.js";
import { writeHfTinyCheckpoint } from "../../src/engines/llama-cpp/test-checkpoint.js";

/** DeepSeek-R1-Distill-Qwen-1.5B's config.json as transformers 4.44 wrote it. */
const TF4 = {
  architectures: ["Qwen2ForCausalLM"],
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151643,
  hidden_act: "silu",
  hidden_size: 1536,
  initializer_range: 0.02,
  intermediate_size: 8960,
  max_position_embeddings: 131072,
  max_window_layers: 21,
  model_type: "qwen2",
  num_attention_heads: 12,
  num_hidden_layers: 28,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  sliding_window: 4096,
  tie_word_embeddings: false,
  torch_dtype: "bfloat16",
  transformers_version: "4.44.0",
  use_cache: true,
  use_mrope: false,
  use_sliding_window: false,
  vocab_size: 151936,
};

/** The same model saved by transformers 5.18 (`save_pretrained`): rope_parameters, dtype, layer_types. */
const { rope_theta: _theta, torch_dtype: _dtype, ...rest } = TF4;
const TF5 = {
  ...rest,
  dtype: "bfloat16",
  layer_types: Array.from({ length: 28 }, () => "full_attention"),
  rope_parameters: { rope_theta: 10000, rope_type: "default" },
  transformers_version: "5.18.0",
};

const ok = (config: unknown) => {
  const r = readQwen2Config(config);
  if (!r.ok) throw new Error(r.issues.map((i) => i.message).join("; "));
  return r.value;
};
const codes = (config: unknown) => {
  const r = readQwen2Config(config);
  return r.ok ? [] : r.issues.map((i) => `${i.code}:${i.field ?? ""}`);
};

describe("config.json as transformers 4 and 5 write it", () => {
  it("reads the RoPE base from rope_theta (4) and from rope_parameters (5) alike", () => {
    const four = ok(TF4);
    const five = ok(TF5);
    expect(four).toEqual(five);
    expect(five).toMatchObject({
      hidden: 1536,
      layers: 28,
      heads: 12,
      kvHeads: 2,
      ff: 8960,
      vocabSize: 151936,
      contextLength: 131072,
      rmsEps: 1e-6,
      ropeTheta: 10000,
      rope: { type: "none" },
      tiedEmbeddings: false,
      dtype: "bfloat16",
    });
    expect(ok({ ...TF5, rope_parameters: { rope_theta: 1e6, rope_type: "default" } }).ropeTheta).toBe(1e6);
  });

  it("reads linear and yarn scaling in both forms (rope_scaling with type or rope_type; rope_parameters)", () => {
    const yarn4 = {
      ...TF4,
      rope_scaling: { type: "yarn", factor: 4, original_max_position_embeddings: 32768 },
    };
    const yarn5 = {
      ...TF5,
      rope_parameters: {
        factor: 4,
        original_max_position_embeddings: 32768,
        rope_theta: 10000,
        rope_type: "yarn",
        type: "yarn",
      },
    };
    const expected = { type: "yarn", factor: 4, originalContext: 32768 };
    expect(ok(yarn4).rope).toEqual(expected);
    expect(ok(yarn5).rope).toEqual(expected);
    expect(ok({ ...TF4, rope_scaling: { rope_type: "linear", factor: 2 } }).rope).toEqual({
      type: "linear",
      factor: 2,
    });
    expect(ok({ ...TF4, rope_scaling: null }).rope).toEqual({ type: "none" });
    // transformers' default for yarn's pre-training context is max_position_embeddings
    expect(ok({ ...TF4, rope_scaling: { type: "yarn", factor: 2 } }).rope.originalContext).toBe(131072);
    // the attention factor llama.cpp applies itself is accepted when written out
    expect(
      ok({ ...TF4, rope_scaling: { type: "yarn", factor: 4, attention_factor: yarnMscale(4) } }).rope.type,
    ).toBe("yarn");
  });

  it("tied embeddings and dtype come from either form", () => {
    expect(ok({ ...TF5, tie_word_embeddings: true }).tiedEmbeddings).toBe(true);
    const { tie_word_embeddings: _t, ...untold } = TF4;
    expect(ok(untold).tiedEmbeddings).toBeUndefined();
    expect(ok({ ...TF4, torch_dtype: "float32" }).dtype).toBe("float32");
  });
});

describe("what cannot be represented is refused, never defaulted", () => {
  it("a RoPE scaling llama.cpp's qwen2 cannot reproduce", () => {
    for (const type of ["dynamic", "longrope", "su", "llama3", "mrope", "ntk-by-parts"])
      expect(codes({ ...TF4, rope_scaling: { type, factor: 2 } })).toEqual([
        "unsupported_rope_scaling:rope_scaling",
      ]);
    expect(codes({ ...TF4, rope_scaling: { type: "yarn", factor: 4, mscale: 0.7 } })).toEqual([
      "unsupported_rope_scaling:rope_scaling",
    ]);
    expect(codes({ ...TF4, rope_scaling: { type: "yarn", factor: 4, truncate: false } })).toEqual([
      "unsupported_rope_scaling:rope_scaling",
    ]);
    expect(codes({ ...TF4, rope_scaling: { type: "yarn", factor: 4, attention_factor: 1 } })).toEqual([
      "unsupported_rope_scaling:rope_scaling",
    ]);
    expect(codes({ ...TF4, rope_scaling: { type: "linear" } })).toEqual([
      "unsupported_rope_scaling:rope_scaling",
    ]);
    expect(
      codes({ ...TF5, rope_parameters: { full_attention: { rope_theta: 1 }, sliding_attention: {} } }),
    ).toContain("unsupported_rope_scaling:rope_parameters");
  });

  it("a missing RoPE base, and two forms that disagree", () => {
    const { rope_parameters: _p, ...noRope } = TF5;
    const r = readQwen2Config(noRope);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues[0]).toMatchObject({ code: "missing_field", field: "rope_theta" });
      expect(r.issues[0]!.message).toMatch(/rope_parameters\.rope_theta.*transformers 5/);
    }
    expect(codes({ ...TF5, rope_theta: 1e6 })).toEqual(["conflicting_fields:rope_parameters.rope_theta"]);
    expect(codes({ ...TF5, rope_theta: 10000 })).toEqual([]); // both forms, same value
    expect(
      codes({
        ...TF4,
        rope_parameters: { rope_type: "linear", factor: 2 },
        rope_scaling: { type: "yarn", factor: 2 },
      }),
    ).toContain("conflicting_fields:rope_scaling");
    expect(codes({ ...TF4, dtype: "float16" })).toEqual(["conflicting_fields:dtype"]);
  });

  it("an unknown architecture, missing or bad shape fields, features llama.cpp's qwen2 lacks", () => {
    expect(codes({ ...TF4, architectures: ["LlamaForCausalLM"] })).toEqual([
      "unsupported_architecture:architectures",
    ]);
    expect(codes({ ...TF4, architectures: ["Qwen2ForSequenceClassification"] })).toEqual([
      "unsupported_architecture:architectures",
    ]);
    const { num_key_value_heads: _k, rms_norm_eps: _e, ...partial } = TF4;
    expect(codes(partial)).toEqual(["missing_field:num_key_value_heads", "missing_field:rms_norm_eps"]);
    expect(codes({ ...TF4, hidden_size: "1536" })).toContain("invalid_field:hidden_size");
    expect(codes({ ...TF4, num_key_value_heads: 5 })).toContain("invalid_field:num_key_value_heads");
    expect(codes({ ...TF4, use_sliding_window: true })).toEqual(["unsupported_feature:use_sliding_window"]);
    expect(codes({ ...TF5, layer_types: ["full_attention", "sliding_attention"] })).toEqual([
      "unsupported_feature:layer_types",
    ]);
    expect(codes({ ...TF4, head_dim: 64 })).toEqual(["unsupported_feature:head_dim"]);
    expect(codes({ ...TF4, head_dim: 128 })).toEqual([]); // = 1536 / 12
    expect(codes({ ...TF4, hidden_act: "gelu" })).toEqual(["unsupported_feature:hidden_act"]);
    expect(codes({ ...TF4, quantization_config: { quant_method: "fp8" } })).toEqual([
      "unsupported_feature:quantization_config",
    ]);
    expect(codes({ ...TF4, torch_dtype: "float8_e4m3fn" })).toEqual(["unsupported_feature:torch_dtype"]);
    expect(codes([1, 2])).toEqual(["not_an_object:"]);
  });
});

describe("thinkprm convert writes what the config says, or refuses", () => {
  const root = mkdtempSync(join(tmpdir(), "thinkprm-convert-config-"));
  const checkpoint = (name: string, edit: (config: Record<string, unknown>) => Record<string, unknown>) => {
    const dir = join(root, name);
    writeHfTinyCheckpoint(dir);
    const path = join(dir, "config.json");
    writeFileSync(path, JSON.stringify(edit(JSON.parse(readFileSync(path, "utf8")))));
    return dir;
  };

  it("a transformers 5 config (rope_parameters) keeps its RoPE base: 1e6, not llama.cpp's default 10000", () => {
    const dir = checkpoint("tf5", ({ rope_theta, torch_dtype, ...c }) => ({
      ...c,
      dtype: torch_dtype,
      rope_parameters: { rope_theta, rope_type: "default" },
    }));
    const out = join(root, "tf5.gguf");
    convertQwen2Checkpoint(dir, out, { type: "f32" });
    expect(readGgufHeader(out).metadata.get("qwen2.rope.freq_base")).toBe(1e6);
  });

  it("yarn and linear scaling reach the GGUF metadata llama.cpp reads", () => {
    const dir = checkpoint("yarn", (c) => ({
      ...c,
      rope_scaling: { type: "yarn", factor: 4, original_max_position_embeddings: 1024, beta_fast: 16 },
    }));
    const out = join(root, "yarn.gguf");
    convertQwen2Checkpoint(dir, out, { type: "f32" });
    const m = readGgufHeader(out).metadata;
    expect([
      m.get("qwen2.rope.scaling.type"),
      m.get("qwen2.rope.scaling.factor"),
      m.get("qwen2.rope.scaling.original_context_length"),
      m.get("qwen2.rope.scaling.yarn_beta_fast"),
    ]).toEqual(["yarn", 4, 1024, 16]);
  });

  it("refuses with every problem listed, and leaves no file behind", () => {
    const dir = checkpoint("bad", ({ rope_theta: _r, ...c }) => ({
      ...c,
      rope_scaling: { type: "dynamic", factor: 2 },
    }));
    const out = join(root, "bad.gguf");
    expect(() => convertQwen2Checkpoint(dir, out)).toThrow(
      /cannot convert:\n {2}- .*rope_theta[\s\S]*"dynamic"/,
    );
    expect(() => readFileSync(out)).toThrow();
  });

  it("checks tensors against the config: a tied config without lm_head, a wrong shape, an untied one without it", () => {
    const tied = join(root, "tied");
    writeHfTinyCheckpoint(tied, 7, { tied: true });
    const r = convertQwen2Checkpoint(tied, join(root, "tied.gguf"), { type: "f32" });
    expect(r.tensors).toBe(26);
    expect(readGgufHeader(join(root, "tied.gguf")).tensors.some((t) => t.name === "output.weight")).toBe(
      false,
    );
    const untied = checkpoint("untied-missing", (c) => c);
    writeHfTinyCheckpoint(untied, 7, { tied: true, config: { tie_word_embeddings: false } });
    expect(() => convertQwen2Checkpoint(untied, join(root, "x.gguf"))).toThrow(/no lm_head\.weight/);
    const wrong = checkpoint("wrong-shape", (c) => ({ ...c, intermediate_size: 256 }));
    expect(() => convertQwen2Checkpoint(wrong, join(root, "y.gguf"))).toThrow(
      /mlp\.gate_proj\.weight has shape \[128, 64\], but config\.json implies \[256, 64\]/,
    );
    const small = checkpoint("small-vocab", (c) => ({ ...c, vocab_size: 100 }));
    expect(() => convertQwen2Checkpoint(small, join(root, "z.gguf"))).toThrow(
      /embed_tokens\.weight has shape \[392, 64\], but config\.json implies \[100, 64\]/,
    );
    // a vocabulary claimed far beyond the tensors is refused before anything of its size is allocated
    const huge = checkpoint("huge-vocab", (c) => ({ ...c, vocab_size: 2 ** 31 - 1 }));
    expect(() => convertQwen2Checkpoint(huge, join(root, "h.gguf"))).toThrow(/implies \[2147483647, 64\]/);
  });

  it("a tokenizer id beyond the embedding's rows is refused", () => {
    const dir = checkpoint("id-beyond", (c) => c);
    const path = join(dir, "tokenizer.json");
    const tok = JSON.parse(readFileSync(path, "utf8"));
    tok.added_tokens.push({ id: 5000, content: "<extra>", special: true });
    writeFileSync(path, JSON.stringify(tok));
    expect(() => convertQwen2Checkpoint(dir, join(root, "e.gguf"))).toThrow(
      /token "<extra>" has id 5000, outside the embedding's 392 rows/,
    );
  });

  it("refuses a tokenizer llama.cpp would split differently from transformers", () => {
    const dir = checkpoint("pre", (c) => c);
    const path = join(dir, "tokenizer.json");
    const tok = JSON.parse(readFileSync(path, "utf8"));
    writeFileSync(path, JSON.stringify({ ...tok, pre_tokenizer: { type: "Whitespace" } }));
    expect(() => convertQwen2Checkpoint(dir, join(root, "p.gguf"))).toThrow(/pre-tokenizer is not Qwen2's/);
    writeFileSync(path, JSON.stringify({ ...tok, normalizer: { type: "Lowercase" } }));
    expect(() => convertQwen2Checkpoint(dir, join(root, "p.gguf"))).toThrow(/normalizer/);
    rmSync(dir, { recursive: true });
  });

  it("a malformed safetensors header is an error naming the tensor, not a read past the file", () => {
    const dir = checkpoint("st", (c) => c);
    const file = join(dir, "model.safetensors");
    const bytes = readFileSync(file);
    const len = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + len).toString("utf8"));
    header["model.norm.weight"].data_offsets = [0, 10 ** 9];
    const json = Buffer.from(JSON.stringify(header));
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(BigInt(json.length));
    writeFileSync(file, Buffer.concat([head, json, bytes.subarray(8 + len)]));
    expect(() => convertQwen2Checkpoint(dir, join(root, "s.gguf"))).toThrow(
      /tensor model\.norm\.weight has a malformed header entry/,
    );
  });
});
