/**
 * Reading a Qwen2 `config.json` as transformers 4 and 5 write it, into the hyper-parameters a GGUF
 * file needs — and refusing what a GGUF file for llama.cpp's qwen2 architecture cannot represent,
 * instead of falling back to a default. A converter that guesses writes a model that loads and
 * computes something else, with no error (transformers 5 moved `rope_theta` into `rope_parameters`;
 * a converter that read only `rope_theta` wrote llama.cpp's default 10000 for every model saved by
 * transformers 5).
 *
 * Forms read (each checked against the others when several are present):
 * - RoPE base: `rope_theta` (transformers 4) or `rope_parameters.rope_theta` (transformers 5);
 * - RoPE scaling: `rope_scaling` (4: `{type | rope_type, factor, …}` or null) or `rope_parameters`
 *   (5: `{rope_type, rope_theta, factor, …}`); `default` (none), `linear` and `yarn` are
 *   representable; `dynamic`, `longrope`/`su`, `llama3`, `mrope` and anything unknown are refused;
 * - tied embeddings: `tie_word_embeddings` (checked against the tensors by the converter);
 * - weight type: `torch_dtype` (4) or `dtype` (5): float32, float16 or bfloat16;
 * - and features that change the forward pass llama.cpp would not reproduce (sliding-window
 *   attention, a `head_dim` other than hidden/heads, partial rotary, an activation other than SiLU,
 *   quantised weights) are refused.
 */

export interface RopeScaling {
  type: "none" | "linear" | "yarn";
  factor?: number;
  /** yarn: the context the model was pre-trained with. */
  originalContext?: number;
  betaFast?: number;
  betaSlow?: number;
}

export interface Qwen2Hparams {
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  ff: number;
  vocabSize: number;
  contextLength: number;
  rmsEps: number;
  ropeTheta: number;
  rope: RopeScaling;
  /** `tie_word_embeddings` as written, or undefined when the config does not say. */
  tiedEmbeddings: boolean | undefined;
  dtype: "float32" | "float16" | "bfloat16" | undefined;
}

export type ConfigIssueCode =
  | "not_an_object"
  | "unsupported_architecture"
  | "missing_field"
  | "invalid_field"
  | "conflicting_fields"
  | "unsupported_rope_scaling"
  | "unsupported_feature";

export interface ConfigIssue {
  code: ConfigIssueCode;
  field?: string;
  message: string;
}

export type ConfigResult = { ok: true; value: Qwen2Hparams } | { ok: false; issues: ConfigIssue[] };

const ARCHITECTURE = "Qwen2ForCausalLM";
/** RoPE keys understood for each representable type (anything else changes the rotation). */
const ROPE_KEYS: Record<RopeScaling["type"], string[]> = {
  none: ["rope_type", "type", "rope_theta"],
  linear: ["rope_type", "type", "rope_theta", "factor"],
  yarn: [
    "rope_type",
    "type",
    "rope_theta",
    "factor",
    "original_max_position_embeddings",
    "beta_fast",
    "beta_slow",
    "truncate",
    "attention_factor",
  ],
};

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** The yarn magnitude factor transformers derives from `factor` (and llama.cpp too). */
export const yarnMscale = (factor: number) => (factor <= 1 ? 1 : 0.1 * Math.log(factor) + 1);

/**
 * Reads and checks a parsed `config.json`.
 *
 * @example
 * readQwen2Config({ architectures: ["Qwen2ForCausalLM"], hidden_size: 64, …, rope_parameters: { rope_theta: 1e6, rope_type: "default" } })
 * // { ok: true, value: { ropeTheta: 1000000, rope: { type: "none" }, … } }
 */
export function readQwen2Config(config: unknown): ConfigResult {
  if (!isObject(config))
    return { ok: false, issues: [{ code: "not_an_object", message: "config.json is not a JSON object" }] };
  const issues: ConfigIssue[] = [];
  const issue = (code: ConfigIssueCode, field: string | undefined, message: string) =>
    issues.push(field === undefined ? { code, message } : { code, field, message });

  // architecture: exactly the causal LM head (a Qwen2 classifier or reward head has other tensors)
  const archs = config.architectures;
  if (archs !== undefined) {
    if (!Array.isArray(archs) || archs.length === 0 || archs.some((a) => a !== ARCHITECTURE))
      issue(
        "unsupported_architecture",
        "architectures",
        `architecture ${JSON.stringify(archs)} is not supported; thinkprm converts ${ARCHITECTURE} checkpoints (ThinkPRM, DeepSeek-R1-Distill-Qwen, Qwen2.5); use llama.cpp's convert_hf_to_gguf.py for others`,
      );
  } else if (config.model_type !== "qwen2") {
    issue(
      "unsupported_architecture",
      "architectures",
      `config.json names no architecture and model_type ${JSON.stringify(config.model_type)}; thinkprm converts ${ARCHITECTURE} checkpoints`,
    );
  }
  if (config.text_config !== undefined)
    issue("unsupported_feature", "text_config", "a multimodal config (text_config) is not supported");

  const positiveInt = (field: string): number => {
    const v = config[field];
    if (v === undefined || v === null) {
      issue("missing_field", field, `config.json has no "${field}"; a Qwen2 config needs it`);
      return 0;
    }
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
      issue("invalid_field", field, `"${field}" must be a positive integer, got ${JSON.stringify(v)}`);
      return 0;
    }
    return v;
  };
  const positiveNumber = (field: string, v: unknown): number => {
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      issue("invalid_field", field, `"${field}" must be a positive number, got ${JSON.stringify(v)}`);
      return 0;
    }
    return v;
  };

  const hidden = positiveInt("hidden_size");
  const layers = positiveInt("num_hidden_layers");
  const heads = positiveInt("num_attention_heads");
  const kvHeads = positiveInt("num_key_value_heads");
  const ff = positiveInt("intermediate_size");
  const vocabSize = positiveInt("vocab_size");
  const contextLength = positiveInt("max_position_embeddings");
  let rmsEps = 0;
  if (config.rms_norm_eps === undefined)
    issue("missing_field", "rms_norm_eps", 'config.json has no "rms_norm_eps"; a Qwen2 config needs it');
  else rmsEps = positiveNumber("rms_norm_eps", config.rms_norm_eps);
  if (hidden && heads && hidden % heads !== 0)
    issue(
      "invalid_field",
      "hidden_size",
      `hidden_size ${hidden} is not a multiple of num_attention_heads ${heads}`,
    );
  if (heads && kvHeads && heads % kvHeads !== 0)
    issue(
      "invalid_field",
      "num_key_value_heads",
      `num_attention_heads ${heads} is not a multiple of num_key_value_heads ${kvHeads}`,
    );

  // features llama.cpp's qwen2 graph does not have
  if (config.hidden_act !== undefined && config.hidden_act !== "silu")
    issue("unsupported_feature", "hidden_act", `hidden_act ${JSON.stringify(config.hidden_act)}: only silu`);
  if (config.use_sliding_window === true)
    issue("unsupported_feature", "use_sliding_window", "sliding-window attention is not supported");
  if (Array.isArray(config.layer_types) && config.layer_types.some((t) => t !== "full_attention"))
    issue("unsupported_feature", "layer_types", "layers other than full_attention are not supported");
  if (
    config.head_dim !== undefined &&
    config.head_dim !== null &&
    hidden &&
    heads &&
    config.head_dim !== hidden / heads
  )
    issue(
      "unsupported_feature",
      "head_dim",
      `head_dim ${JSON.stringify(config.head_dim)} differs from hidden_size / num_attention_heads = ${hidden / heads}`,
    );
  if (config.partial_rotary_factor !== undefined && config.partial_rotary_factor !== 1)
    issue("unsupported_feature", "partial_rotary_factor", "partial rotary embeddings are not supported");
  if (config.use_mrope === true)
    issue("unsupported_feature", "use_mrope", "multimodal RoPE (use_mrope) is not supported");
  if (config.quantization_config !== undefined)
    issue(
      "unsupported_feature",
      "quantization_config",
      "quantised checkpoints are not supported; convert the unquantised (bf16/f16/f32) weights",
    );

  const { theta, rope } = readRope(config, contextLength, issue);
  const dtype = readDtype(config, issue);

  let tiedEmbeddings: boolean | undefined;
  if (config.tie_word_embeddings !== undefined) {
    if (typeof config.tie_word_embeddings !== "boolean")
      issue("invalid_field", "tie_word_embeddings", "tie_word_embeddings must be true or false");
    else tiedEmbeddings = config.tie_word_embeddings;
  }

  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    value: {
      hidden,
      layers,
      heads,
      kvHeads,
      ff,
      vocabSize,
      contextLength,
      rmsEps,
      ropeTheta: theta,
      rope,
      tiedEmbeddings,
      dtype,
    },
  };
}

type IssueFn = (code: ConfigIssueCode, field: string | undefined, message: string) => void;

/** The RoPE base and scaling from whichever of the transformers 4 and 5 forms are present. */
function readRope(config: Json, contextLength: number, issue: IssueFn): { theta: number; rope: RopeScaling } {
  const params = config.rope_parameters;
  const scaling = config.rope_scaling;
  for (const [field, v] of [
    ["rope_parameters", params],
    ["rope_scaling", scaling],
  ] as const) {
    if (v !== undefined && v !== null && !isObject(v))
      issue("invalid_field", field, `"${field}" must be an object or null`);
  }
  const p = isObject(params) ? params : undefined;
  const s = isObject(scaling) ? scaling : undefined;
  if (p && Object.values(p).some(isObject))
    issue("unsupported_rope_scaling", "rope_parameters", "per-layer-type RoPE parameters are not supported");

  // the base: rope_theta and/or rope_parameters.rope_theta, which must agree
  const thetas = [
    ["rope_theta", config.rope_theta],
    ["rope_parameters.rope_theta", p?.rope_theta],
    ["rope_scaling.rope_theta", s?.rope_theta],
  ].filter(([, v]) => v !== undefined && v !== null) as [string, unknown][];
  let theta = 0;
  if (thetas.length === 0) {
    issue(
      "missing_field",
      "rope_theta",
      'config.json has neither "rope_theta" (transformers 4) nor "rope_parameters.rope_theta" (transformers 5); add the RoPE base the model was trained with (Qwen2.5 and R1-Distill-Qwen-7B/14B: 1000000, R1-Distill-Qwen-1.5B: 10000)',
    );
  } else {
    for (const [field, v] of thetas) {
      const n = typeof v === "number" && Number.isFinite(v) && v > 0 ? v : Number.NaN;
      if (Number.isNaN(n)) issue("invalid_field", field, `"${field}" must be a positive number`);
      else if (theta && n !== theta)
        issue("conflicting_fields", field, `${thetas.map(([f, x]) => `${f} = ${x}`).join(" but ")}`);
      else theta = n;
    }
  }

  // the scaling: rope_parameters (5) or rope_scaling (4); both present must describe the same
  const typeOf = (d: Json | undefined): string | undefined => {
    const t = d?.rope_type ?? d?.type;
    return typeof t === "string" ? t : undefined;
  };
  const pick = p && typeOf(p) !== undefined ? p : s;
  if (p && s && typeOf(p) !== undefined && typeOf(s) !== undefined) {
    const keys = new Set(
      [...Object.keys(p), ...Object.keys(s)].filter((k) => k !== "rope_theta" && k !== "type"),
    );
    const differs = [...keys].some(
      (k) => k !== "rope_type" && p[k] !== undefined && s[k] !== undefined && p[k] !== s[k],
    );
    if (typeOf(p) !== typeOf(s) || differs)
      issue(
        "conflicting_fields",
        "rope_scaling",
        "rope_parameters and rope_scaling describe different RoPE scalings",
      );
  }
  const kind = typeOf(pick) ?? "default";
  const unknownKeys = (type: RopeScaling["type"]) =>
    Object.keys(pick ?? {}).filter((k) => !ROPE_KEYS[type].includes(k));
  const refuse = (message: string) => {
    issue("unsupported_rope_scaling", "rope_scaling", message);
    return { theta, rope: { type: "none" } as RopeScaling };
  };
  if (kind === "default") {
    const extra = unknownKeys("none");
    if (extra.length > 0)
      return refuse(`RoPE type "default" with parameters ${extra.join(", ")} is not understood`);
    return { theta, rope: { type: "none" } };
  }
  if (kind !== "linear" && kind !== "yarn")
    return refuse(
      `RoPE scaling "${kind}" cannot be represented for llama.cpp's qwen2 (default, linear and yarn can); convert with a tool that supports it, or remove the scaling if the model was not trained with it`,
    );
  const extra = unknownKeys(kind);
  if (extra.length > 0) return refuse(`RoPE scaling "${kind}" with ${extra.join(", ")} is not understood`);
  const factor = typeof pick?.factor === "number" && pick.factor > 0 ? pick.factor : Number.NaN;
  if (Number.isNaN(factor)) return refuse(`RoPE scaling "${kind}" needs a positive "factor"`);
  if (kind === "linear") return { theta, rope: { type: "linear", factor } };
  // yarn, as transformers computes it: the pre-training context defaults to max_position_embeddings
  const original = pick?.original_max_position_embeddings ?? contextLength;
  if (typeof original !== "number" || !Number.isInteger(original) || original < 1)
    return refuse('yarn needs a positive integer "original_max_position_embeddings"');
  if (pick?.truncate === false)
    return refuse(
      "yarn with truncate: false (an untruncated correction range) is not what llama.cpp computes",
    );
  // llama.cpp multiplies the magnitude by 0.1·ln(factor) + 1 itself: only that value is representable
  if (
    pick?.attention_factor !== undefined &&
    Math.abs(Number(pick.attention_factor) - yarnMscale(factor)) > 1e-6
  )
    return refuse(
      `yarn attention_factor ${pick.attention_factor} differs from 0.1·ln(factor) + 1 = ${yarnMscale(factor)}, which llama.cpp applies`,
    );
  const beta = (k: "beta_fast" | "beta_slow") => {
    const v = pick?.[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number" || !(v > 0)) {
      refuse(`yarn "${k}" must be a positive number`);
      return undefined;
    }
    return v;
  };
  const rope: RopeScaling = { type: "yarn", factor, originalContext: original };
  const betaFast = beta("beta_fast");
  const betaSlow = beta("beta_slow");
  if (betaFast !== undefined) rope.betaFast = betaFast;
  if (betaSlow !== undefined) rope.betaSlow = betaSlow;
  return { theta, rope };
}

const DTYPES = ["float32", "float16", "bfloat16"] as const;

function readDtype(config: Json, issue: IssueFn): Qwen2Hparams["dtype"] {
  const given = [
    ["torch_dtype", config.torch_dtype],
    ["dtype", config.dtype],
  ].filter(([, v]) => v !== undefined && v !== null) as [string, unknown][];
  let dtype: Qwen2Hparams["dtype"];
  for (const [field, v] of given) {
    if (!DTYPES.includes(v as (typeof DTYPES)[number])) {
      issue(
        "unsupported_feature",
        field,
        `${field} ${JSON.stringify(v)} is not supported (float32, float16 and bfloat16 are)`,
      );
    } else if (dtype && dtype !== v) {
      issue(
        "conflicting_fields",
        field,
        `torch_dtype and dtype disagree (${given.map(([, x]) => x).join(" vs ")})`,
      );
    } else {
      dtype = v as Qwen2Hparams["dtype"];
    }
  }
  return dtype;
}
