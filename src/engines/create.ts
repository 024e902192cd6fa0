/**
 * `createEngine(spec)`: the one place an engine is assembled from its spec, for the CLI, `serve`
 * and library users alike, optionally wrapped in a cache (the run store's).
 *
 * @example
 * const engine = await createEngine({ kind: "openai", endpoints: ["http://127.0.0.1:8000/v1"] });
 * const engine = await createEngine({ kind: "llama-cpp", model: "verifier.gguf", threads: 2 }, { cache: store });
 */
import { join, resolve } from "node:path";
import { CachedEngine, type EngineCache } from "./cached.js";
import { EngineError } from "./errors.js";
import type { DownloadProgress } from "./llama-cpp/hub.js";
import { type ModelSettings, modelSettingsFromEnv } from "./settings.js";
import { type EngineSpec, type EngineSpecInput, engineSpecSchema } from "./spec.js";
import type { Engine } from "./types.js";

export interface EngineEnvironment {
  /** Environment variables (API keys, HF_* settings). Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Relative model and script paths resolve against this. Default `process.cwd()`. */
  cwd?: string;
  /** Download and conversion messages. */
  onStatus?: (message: string) => void;
  onDownload?: (progress: DownloadProgress) => void;
  /** Answer repeated calls from this cache (keyed by the engine's identity, prompt and sampling). */
  cache?: EngineCache;
  /** HTTP engines: the fetch to use (tests). */
  fetch?: typeof fetch;
}

/** Validates `spec` and builds the engine. Throws `EngineError` with the fix on any failure. */
export async function createEngine(
  spec: EngineSpecInput,
  environment: EngineEnvironment = {},
): Promise<Engine> {
  const parsed = engineSpecSchema.safeParse(spec);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new EngineError(`engine spec: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  const engine = await build(parsed.data, environment);
  return environment.cache ? new CachedEngine(engine, environment.cache) : engine;
}

async function build(spec: EngineSpec, environment: EngineEnvironment): Promise<Engine> {
  const env = environment.env ?? process.env;
  const cwd = environment.cwd ?? process.cwd();
  switch (spec.kind) {
    case "scripted": {
      const { scriptedEngineFromFile } = await import("./scripted-file.js");
      return scriptedEngineFromFile(resolve(cwd, spec.script), spec.script);
    }
    case "synthetic-teacher": {
      // the synthetic task's rule-based teacher (synthetic-teacher/): chains for bench:learn
      const { SyntheticTeacherEngine } = await import("./synthetic-teacher/teacher.js");
      return SyntheticTeacherEngine.fromSpec(spec.options);
    }
    case "openai": {
      const { OpenAICompatibleEngine } = await import("./openai-compatible/engine.js");
      const apiKey = env[spec.apiKeyEnv];
      return OpenAICompatibleEngine.create({
        baseURLs: spec.endpoints,
        kind: spec.serverKind,
        concurrency: spec.window,
        timeoutMs: spec.timeoutMs,
        maxResponseBytes: spec.maxResponseBytes,
        maxRetries: spec.maxRetries,
        ...(spec.servedModel ? { model: spec.servedModel } : {}),
        ...(apiKey ? { apiKey } : {}),
        ...(environment.fetch ? { fetch: environment.fetch } : {}),
      });
    }
    case "llama-cpp": {
      const settings = modelSettingsFromEnv(env);
      const modelPath = await localModel(spec, settings, cwd, environment);
      const { LlamaCppEngine } = await import("./llama-cpp/engine.js");
      return LlamaCppEngine.create({
        modelPath,
        digestMemoDir: join(settings.cacheDir, "digests"),
        ...(spec.threads === undefined ? {} : { threads: spec.threads }),
        ...(spec.contextSize === undefined ? {} : { contextSize: spec.contextSize }),
        ...(spec.sequences === undefined ? {} : { sequences: spec.sequences }),
      });
    }
  }
}

/** The spec's model as a local GGUF: downloaded and converted once when needed. */
async function localModel(
  spec: Extract<EngineSpec, { kind: "llama-cpp" }>,
  settings: ModelSettings,
  cwd: string,
  environment: EngineEnvironment,
): Promise<string> {
  const { resolveModel } = await import("./llama-cpp/model-source.js");
  try {
    return await resolveModel(spec.model, {
      settings,
      cwd,
      type: spec.modelType,
      ...(environment.onStatus ? { onStatus: environment.onStatus } : {}),
      ...(environment.onDownload ? { onProgress: environment.onDownload } : {}),
    });
  } catch (error) {
    if (error instanceof EngineError) throw error;
    throw new EngineError((error as Error).message, { cause: error });
  }
}
