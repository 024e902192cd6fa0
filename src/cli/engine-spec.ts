/**
 * `--engine <spec>`: which inference backend runs the verifier.
 *
 * - `scripted:<script.json>`: replays scripted chains and decision probabilities (for tests, demos
 *   and replaying recorded chains). Script: `{ "replies": [chain, …], "probabilities": {" Yes": p,
 *   " No": q}, "rules": [{ "when": "<prompt substring>", "reply": chain, "probabilities": {…} }] }`.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { describeZodError } from "../datasets/jsonl.js";
import { DEFAULT_VERIFIER_MODEL } from "../engines/llama-cpp/model-source.js";
import { ScriptedEngine, type ScriptedReply } from "../engines/scripted.js";
import type { Engine } from "../engines/types.js";
import { CliError, type CliIo, resolvePath } from "./io.js";

const replySchema = z.union([
  z.string(),
  z.object({
    text: z.string(),
    finishReason: z.enum(["eos", "length"]).optional(),
    stepProbabilities: z.array(z.number().min(0).max(1)).optional(),
  }),
]);
const probabilitiesSchema = z.record(z.string(), z.number().min(0).max(1));
const scriptSchema = z.object({
  modelId: z.string().optional(),
  replies: z.array(replySchema).default([]),
  /** A fixed map, or "prompt-hash": P(" Yes") a pseudo-random function of the prompt (deterministic). */
  probabilities: z.union([probabilitiesSchema, z.literal("prompt-hash")]).optional(),
  /** Simulated latency per engine call, in milliseconds. */
  latencyMs: z.number().min(0).max(60_000).optional(),
  /**
   * Replies looked up by the text between "[Math Problem]" and the instruction in a ThinkPRM
   * prompt (the problem and its laid-out solution): replaying recorded chains for a whole benchmark.
   */
  byPrompt: z.record(z.string(), replySchema).optional(),
  rules: z
    .array(
      z.object({
        when: z.string(),
        reply: replySchema.optional(),
        probabilities: probabilitiesSchema.optional(),
      }),
    )
    .default([]),
});

export const ENGINE_HELP =
  "engine: llama-cpp (embedded llama.cpp on CPU; the model comes from --model, or llama-cpp:<model.gguf>), openai:<url>[,<url>…] (vLLM, SGLang, llama.cpp server, Ollama, OpenAI), or scripted:<script.json>";

export interface EngineFlags {
  threads?: number;
  contextSize?: number;
  /** llama-cpp: the model (GGUF path, checkpoint folder, hf:<repo>/<file>.gguf, or repo id). */
  model?: string;
  modelType?: "f32" | "f16" | "q8_0";
  /** openai: what kind of server it is (its capabilities), the model it serves, the request window. */
  serverKind?: "vllm" | "sglang" | "llama.cpp" | "ollama" | "openai";
  servedModel?: string;
  concurrency?: number;
}

/** The problem and solution part of a ThinkPRM prompt (the key of a script's `byPrompt`). */
export function promptKey(prompt: string): string | null {
  const start = prompt.indexOf("[Math Problem]\n\n");
  const end = prompt.indexOf("\n\nReview and critique", start);
  return start < 0 || end < 0 ? null : prompt.slice(start + "[Math Problem]\n\n".length, end);
}

function scriptedEngine(io: CliIo, path: string): Engine {
  const full = resolvePath(io, path);
  if (!existsSync(full)) throw new CliError(`--engine scripted: script file not found: ${path}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(full, "utf8"));
  } catch (error) {
    throw new CliError(`--engine scripted: ${path} is not valid JSON (${(error as Error).message})`);
  }
  const parsed = scriptSchema.safeParse(raw);
  if (!parsed.success) throw new CliError(`--engine scripted: ${path}: ${describeZodError(parsed.error)}`);
  const script = parsed.data;
  let cursor = 0;
  const promptHash = (prompt: string) => {
    const p = (createHash("sha256").update(prompt).digest().readUInt32LE(0) % 999) / 1000 + 0.0005;
    return { " Yes": p, " No": 1 - p, yes: p, no: 1 - p };
  };
  const fixed = script.probabilities;
  return new ScriptedEngine({
    modelId: script.modelId ?? path,
    ...(script.latencyMs ? { latencyMs: script.latencyMs } : {}),
    respond: (request): ScriptedReply => {
      if (script.byPrompt) {
        const key = promptKey(request.prompt);
        const reply = key === null ? undefined : script.byPrompt[key];
        if (reply !== undefined) return reply;
      }
      const rule = script.rules.find((r) => r.reply !== undefined && request.prompt.includes(r.when));
      if (rule?.reply !== undefined) return rule.reply;
      if (script.replies.length === 0)
        return new Error(`${path}: no rule matches this prompt and "replies" is empty`);
      return script.replies[cursor++ % script.replies.length]!;
    },
    probabilities: (prompt) =>
      script.rules.find((r) => r.probabilities && prompt.includes(r.when))?.probabilities ??
      (fixed === "prompt-hash" ? promptHash(prompt) : (fixed ?? {})),
  });
}

/** Turns `--model` into a local GGUF, with download and conversion progress on stderr. */
export async function resolveModelPath(io: CliIo, spec: string, flags: EngineFlags): Promise<string> {
  const { resolveModel } = await import("../engines/llama-cpp/model-source.js");
  const { modelSettingsFromEnv } = await import("../engines/settings.js");
  let lastShown = 0;
  try {
    return await resolveModel(spec, {
      settings: modelSettingsFromEnv(io.env),
      cwd: io.cwd,
      ...(flags.modelType ? { type: flags.modelType } : {}),
      onStatus: (message) => io.stderr.write(`${message}\n`),
      onProgress: ({ file, received, total }) => {
        const now = Date.now();
        if (now - lastShown < 1000 && received < total) return;
        lastShown = now;
        const pct = total > 0 ? ((100 * received) / total).toFixed(1) : "?";
        io.stderr.write(
          `  ${file}: ${pct}% (${(received / 2 ** 20).toFixed(1)} of ${(total / 2 ** 20).toFixed(1)} MiB)\n`,
        );
      },
    });
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

export async function resolveEngine(io: CliIo, spec: string, flags: EngineFlags = {}): Promise<Engine> {
  const colon = spec.indexOf(":");
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const arg = colon < 0 ? "" : spec.slice(colon + 1);
  switch (kind) {
    case "scripted":
      if (!arg) throw new CliError("--engine scripted needs a script file: --engine scripted:<script.json>");
      return scriptedEngine(io, arg);
    case "llama-cpp": {
      const { LlamaCppEngine } = await import("../engines/llama-cpp/engine.js");
      const modelPath = await resolveModelPath(io, arg || flags.model || DEFAULT_VERIFIER_MODEL, flags);
      try {
        return await LlamaCppEngine.create({
          modelPath,
          ...(flags.threads === undefined ? {} : { threads: flags.threads }),
          ...(flags.contextSize === undefined ? {} : { contextSize: flags.contextSize }),
        });
      } catch (error) {
        throw new CliError((error as Error).message);
      }
    }
    case "openai": {
      if (!arg)
        throw new CliError(
          "--engine openai needs the server: --engine openai:http://127.0.0.1:8000/v1 (several: comma-separated)",
        );
      const { OpenAICompatibleEngine } = await import("../engines/openai-compatible/engine.js");
      try {
        return await OpenAICompatibleEngine.create({
          baseURLs: arg
            .split(",")
            .map((u) => u.trim())
            .filter(Boolean),
          kind: flags.serverKind ?? "vllm",
          ...(flags.servedModel ? { model: flags.servedModel } : {}),
          ...(io.env.OPENAI_API_KEY ? { apiKey: io.env.OPENAI_API_KEY } : {}),
          ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
        });
      } catch (error) {
        throw new CliError((error as Error).message);
      }
    }
    // learn branch: the synthetic task's rule-based teacher (src/synth/synthetic/); one constructor call
    case "synthetic-teacher": {
      const { SyntheticTeacherEngine } = await import("../synth/synthetic/teacher.js");
      try {
        return SyntheticTeacherEngine.fromSpec(arg);
      } catch (error) {
        throw new CliError((error as Error).message);
      }
    }
    default:
      throw new CliError(
        `unknown --engine "${spec}". Available: llama-cpp[:<model.gguf>], openai:<url>, scripted:<script.json>, synthetic-teacher[:<options>]`,
      );
  }
}
