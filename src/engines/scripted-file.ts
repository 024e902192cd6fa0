/**
 * `--engine scripted:<script.json>`: a scripted engine read from a file, for demos, tests that go
 * through the CLI, and replaying recorded chains over a whole benchmark.
 *
 * Script: `{ "replies": [chain, …], "probabilities": {" Yes": p, " No": q} | "prompt-hash",
 * "rules": [{ "when": "<prompt substring>", "reply": chain, "probabilities": {…} }],
 * "byPrompt": {"<problem + laid-out solution>": chain}, "latencyMs": 5, "concurrency": 8 }`.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { describeZodError } from "../core/zod-issues.js";
import { EngineError } from "./errors.js";
import { ScriptedEngine, type ScriptedReply } from "./scripted.js";

const replySchema = z.union([
  z.string(),
  z.object({
    text: z.string(),
    finishReason: z.enum(["eos", "length"]).optional(),
    stepProbabilities: z.array(z.number().min(0).max(1)).optional(),
  }),
]);
const probabilitiesSchema = z.record(z.string(), z.number().min(0).max(1));

export const scriptFileSchema = z.object({
  modelId: z.string().optional(),
  replies: z.array(replySchema).default([]),
  /** A fixed map, or "prompt-hash": P(" Yes") a pseudo-random function of the prompt (deterministic). */
  probabilities: z.union([probabilitiesSchema, z.literal("prompt-hash")]).optional(),
  /** Simulated latency per engine call, in milliseconds. */
  latencyMs: z.number().min(0).max(60_000).optional(),
  /** When streamed: milliseconds per token (a set pace, to watch a chain being written). */
  tokenDelayMs: z.number().min(0).max(10_000).optional(),
  /**
   * Items a run loop keeps in flight by default (the engine's declared concurrency). Default 8,
   * or 1 when several `replies` are used in turn (their order would depend on timing).
   */
  concurrency: z.number().int().min(1).max(4096).optional(),
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

/** The problem and solution part of a ThinkPRM prompt (the key of a script's `byPrompt`). */
export function promptKey(prompt: string): string | null {
  const start = prompt.indexOf("[Math Problem]\n\n");
  const end = prompt.indexOf("\n\nReview and critique", start);
  return start < 0 || end < 0 ? null : prompt.slice(start + "[Math Problem]\n\n".length, end);
}

/** Loads a script file into a scripted engine. Throws `EngineError` naming the file and the field. */
export function scriptedEngineFromFile(path: string, shownAs = path): ScriptedEngine {
  if (!existsSync(path)) throw new EngineError(`--engine scripted: script file not found: ${shownAs}`);
  const bytes = readFileSync(path);
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    throw new EngineError(`--engine scripted: ${shownAs} is not valid JSON (${(error as Error).message})`);
  }
  const parsed = scriptFileSchema.safeParse(raw);
  if (!parsed.success)
    throw new EngineError(`--engine scripted: ${shownAs}: ${describeZodError(parsed.error)}`);
  const script = parsed.data;
  let cursor = 0;
  const promptHash = (prompt: string) => {
    const p = (createHash("sha256").update(prompt).digest().readUInt32LE(0) % 999) / 1000 + 0.0005;
    return { " Yes": p, " No": 1 - p, yes: p, no: 1 - p };
  };
  const fixed = script.probabilities;
  return new ScriptedEngine({
    modelId: script.modelId ?? shownAs,
    // the script's content is what determines the answers, so it is the cache identity
    identity: `scripted:${createHash("sha256").update(bytes).digest("hex")}`,
    // replies used in turn depend on call order, which concurrency would scramble
    concurrency: script.concurrency ?? (script.replies.length > 1 ? 1 : 8),
    ...(script.latencyMs ? { latencyMs: script.latencyMs } : {}),
    ...(script.tokenDelayMs ? { tokenDelayMs: script.tokenDelayMs } : {}),
    respond: (request): ScriptedReply => {
      if (script.byPrompt) {
        const key = promptKey(request.prompt);
        const reply = key === null ? undefined : script.byPrompt[key];
        if (reply !== undefined) return reply;
      }
      const rule = script.rules.find((r) => r.reply !== undefined && request.prompt.includes(r.when));
      if (rule?.reply !== undefined) return rule.reply;
      if (script.replies.length === 0)
        return new Error(`${shownAs}: no rule matches this prompt and "replies" is empty`);
      return script.replies[cursor++ % script.replies.length]!;
    },
    probabilities: (prompt) =>
      script.rules.find((r) => r.probabilities && prompt.includes(r.when))?.probabilities ??
      (fixed === "prompt-hash" ? promptHash(prompt) : (fixed ?? {})),
  });
}
