/**
 * The one engine specification: what `--engine` and its flags mean, what `serve` loads, what a
 * library user passes to `createEngine`. Written once here (zod), so the defaults — the default
 * model id, the server kinds, the request window — exist in one place.
 *
 * @example
 * engineSpecSchema.parse({ kind: "openai", endpoints: ["http://127.0.0.1:8000/v1"] })
 * // { kind: "openai", endpoints: [...], serverKind: "vllm", window: 64, timeoutMs: 600000, maxResponseBytes: 67108864, maxRetries: 4, apiKeyEnv: "OPENAI_API_KEY" }
 */

import { z } from "zod";
import { SERVER_KINDS } from "./openai-compatible/profiles.js";
import { DEFAULT_MAX_RESPONSE_BYTES } from "./openai-compatible/response-limits.js";
import { parseTeacherOptions } from "./synthetic-teacher/teacher.js";

/** The verifier the paper releases at the smallest size (the default model everywhere). */
export const DEFAULT_VERIFIER_MODEL = "launch/ThinkPRM-1.5B";

/** Requests in flight per HTTP endpoint unless told otherwise (vLLM/SGLang batch these). */
export const DEFAULT_HTTP_WINDOW = 64;

export const llamaCppSpecSchema = z.object({
  kind: z.literal("llama-cpp"),
  /** A .gguf file, a checkpoint folder, `hf:<repo>/<file>.gguf`, or a hub repo id. */
  model: z.string().min(1).default(DEFAULT_VERIFIER_MODEL),
  /** Conversion type when the model is a checkpoint. */
  modelType: z.enum(["f32", "f16", "q8_0"]).default("q8_0"),
  /** CPU threads; default min(2, cores): more threads than cores makes llama.cpp ~100× slower. */
  threads: z.number().int().min(1).max(256).optional(),
  contextSize: z.number().int().min(256).max(1_048_576).optional(),
  /** Context sequences (parallel samples decode together). Default 1. */
  sequences: z.number().int().min(1).max(64).optional(),
});

export const openaiSpecSchema = z.object({
  kind: z.literal("openai"),
  /** Base URLs ending in /v1; requests go to the one with the fewest in flight. */
  endpoints: z.array(z.string().url()).min(1),
  /** The model id on the server; default: the first one `/v1/models` lists. */
  servedModel: z.string().min(1).optional(),
  serverKind: z.enum(SERVER_KINDS).default("vllm"),
  /** Requests in flight per endpoint. */
  window: z.number().int().min(1).max(4096).default(DEFAULT_HTTP_WINDOW),
  timeoutMs: z.number().int().min(1000).default(600_000),
  /** Bytes one answer may have, streamed or not (64 MiB): past it the request fails, the connection closed. */
  maxResponseBytes: z
    .number()
    .int()
    .min(1024)
    .max(Number.MAX_SAFE_INTEGER)
    .default(DEFAULT_MAX_RESPONSE_BYTES),
  maxRetries: z.number().int().min(0).max(20).default(4),
  /** The environment variable holding the bearer token (never the token itself: specs get logged). */
  apiKeyEnv: z.string().min(1).default("OPENAI_API_KEY"),
});

export const scriptedSpecSchema = z.object({
  kind: z.literal("scripted"),
  /** A script file: `{replies, probabilities, rules, byPrompt, latencyMs, concurrency}`. */
  script: z.string().min(1),
});

export const syntheticTeacherSpecSchema = z.object({
  kind: z.literal("synthetic-teacher"),
  /** The teacher's error rates, `miss=0.25,false-alarm=0.04,…` (empty: the documented defaults). */
  options: z
    .string()
    .default("")
    .superRefine((options, ctx) => {
      try {
        parseTeacherOptions(options);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
      }
    }),
});

export const engineSpecSchema = z.discriminatedUnion("kind", [
  llamaCppSpecSchema,
  openaiSpecSchema,
  scriptedSpecSchema,
  syntheticTeacherSpecSchema,
]);

export type EngineSpec = z.output<typeof engineSpecSchema>;
export type EngineSpecInput = z.input<typeof engineSpecSchema>;
export const ENGINE_KINDS = ["llama-cpp", "openai", "scripted", "synthetic-teacher"] as const;

/** The engine-level flags a command takes besides `--engine` (all optional). */
export interface EngineFlagValues {
  model?: string;
  modelType?: "f32" | "f16" | "q8_0";
  threads?: number;
  contextSize?: number;
  serverKind?: (typeof SERVER_KINDS)[number];
  servedModel?: string;
  /** Per-endpoint window for HTTP engines. */
  window?: number;
  requestTimeout?: number;
  /** HTTP engines: the response cap in MiB. */
  maxResponseMib?: number;
}

export class EngineSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EngineSpecError";
  }
}

const USAGE =
  "llama-cpp[:<model>], openai:<url>[,<url>…] (vLLM, SGLang, llama.cpp server, Ollama, OpenAI), scripted:<script.json>, or synthetic-teacher[:<options>] (the synthetic task's rule-based teacher)";
export const ENGINE_FLAG_HELP = `engine: ${USAGE}`;

/**
 * `--engine <value>` plus the engine flags → a validated spec. Flags that do not apply to the
 * chosen kind are an error rather than silently dropped (`--served-model` with llama-cpp means the
 * user thinks they are talking to a server).
 *
 * @example
 * engineSpecFromFlag("openai:http://a/v1,http://b/v1", { serverKind: "sglang" })
 * // { kind: "openai", endpoints: ["http://a/v1", "http://b/v1"], serverKind: "sglang", … }
 */
export function engineSpecFromFlag(value: string, flags: EngineFlagValues = {}): EngineSpec {
  const colon = value.indexOf(":");
  const kind = colon < 0 ? value : value.slice(0, colon);
  const arg = colon < 0 ? "" : value.slice(colon + 1);
  const misplaced = (names: (keyof EngineFlagValues)[]) => {
    const given = names.filter((n) => flags[n] !== undefined);
    if (given.length > 0) {
      const where = OPENAI_FLAGS.includes(given[0]!) ? "--engine openai" : "--engine llama-cpp";
      const same = given.filter((n) => OPENAI_FLAGS.includes(n) === OPENAI_FLAGS.includes(given[0]!));
      throw new EngineSpecError(
        `${same.map(flagName).join(", ")} ${same.length > 1 ? "apply" : "applies"} to ${where}, not to --engine ${kind}`,
      );
    }
  };
  let input: EngineSpecInput;
  switch (kind) {
    case "llama-cpp":
      misplaced(OPENAI_FLAGS);
      if (arg && flags.model && arg !== flags.model)
        throw new EngineSpecError(
          `two models: --engine llama-cpp:${arg} and --model ${flags.model}; give one`,
        );
      input = {
        kind,
        ...(arg || flags.model ? { model: arg || flags.model } : {}),
        ...(flags.modelType ? { modelType: flags.modelType } : {}),
        ...(flags.threads === undefined ? {} : { threads: flags.threads }),
        ...(flags.contextSize === undefined ? {} : { contextSize: flags.contextSize }),
      };
      break;
    case "openai": {
      misplaced(LLAMA_FLAGS);
      const endpoints = arg
        .split(",")
        .map((u) => u.trim())
        .filter(Boolean);
      if (endpoints.length === 0)
        throw new EngineSpecError(
          "--engine openai needs the server: --engine openai:http://127.0.0.1:8000/v1 (several: comma-separated)",
        );
      input = {
        kind,
        endpoints,
        ...(flags.serverKind ? { serverKind: flags.serverKind } : {}),
        ...(flags.servedModel ? { servedModel: flags.servedModel } : {}),
        ...(flags.window === undefined ? {} : { window: flags.window }),
        ...(flags.requestTimeout === undefined ? {} : { timeoutMs: flags.requestTimeout * 1000 }),
        ...(flags.maxResponseMib === undefined
          ? {}
          : { maxResponseBytes: Math.round(flags.maxResponseMib * 1024 * 1024) }),
      };
      break;
    }
    case "scripted":
      misplaced([...OPENAI_FLAGS, ...LLAMA_FLAGS]);
      if (!arg)
        throw new EngineSpecError("--engine scripted needs a script file: --engine scripted:<script.json>");
      input = { kind, script: arg };
      break;
    case "synthetic-teacher":
      misplaced([...OPENAI_FLAGS, ...LLAMA_FLAGS]);
      try {
        parseTeacherOptions(arg); // read now, so a bad rate is a flag error before anything runs
      } catch (error) {
        throw new EngineSpecError((error as Error).message);
      }
      input = { kind, options: arg };
      break;
    default:
      throw new EngineSpecError(`unknown engine "${value}". Available: ${USAGE}`);
  }
  const parsed = engineSpecSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new EngineSpecError(
      `--engine ${value}: ${issue.path.length ? `${issue.path.join(".")}: ` : ""}${issue.message}`,
    );
  }
  return parsed.data;
}

const OPENAI_FLAGS: (keyof EngineFlagValues)[] = [
  "serverKind",
  "servedModel",
  "window",
  "requestTimeout",
  "maxResponseMib",
];
const LLAMA_FLAGS: (keyof EngineFlagValues)[] = ["threads", "contextSize", "modelType"];

function flagName(key: keyof EngineFlagValues): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
