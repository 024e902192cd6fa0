/**
 * The engine conformance suite for the HTTP engine under every server profile — vLLM, SGLang, the
 * llama.cpp server, Ollama, OpenAI — against a real server speaking that profile's wire shape
 * (the tiny generated model behind it) and against `thinkprm serve`. What a profile declares it
 * cannot do shows as a skipped test with the reason.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { BUILTIN_CHAT_TEMPLATES } from "../../src/engines/chat-template.js";
import { runEngineConformance } from "../../src/engines/conformance.js";
import { LlamaCppEngine } from "../../src/engines/llama-cpp/engine.js";
import { makeTinyModel } from "../../src/engines/llama-cpp/test-models.js";
import { OpenAICompatibleEngine } from "../../src/engines/openai-compatible/engine.js";
import { SERVER_KINDS, type ServerKind } from "../../src/engines/openai-compatible/profiles.js";
import { type RunningServer, startServer } from "../../src/server/serve.js";
import { type FakeServer, startFakeServer } from "../support/fake-server.js";

const dir = mkdtempSync(join(tmpdir(), "thinkprm-profiles-"));
writeFileSync(join(dir, "tiny.gguf"), makeTinyModel());

let model: LlamaCppEngine;
const fakes = new Map<ServerKind, FakeServer>();
let serve: RunningServer;
beforeAll(async () => {
  model = await LlamaCppEngine.create({ modelPath: join(dir, "tiny.gguf"), threads: 1, contextSize: 2048 });
  for (const kind of SERVER_KINDS) fakes.set(kind, await startFakeServer({ kind, engine: model }));
  serve = await startServer({
    engine: model,
    chatTemplate: BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"],
    token: "t",
    port: 0,
  });
}, 60_000);
afterAll(async () => {
  for (const f of fakes.values()) await f.close();
  await serve.close();
  await model.close();
});

/** What each profile cannot show, by design of the server it stands for. */
const SKIPS: Partial<Record<ServerKind, { test: "prefix caching"; reason: string }[]>> = {
  "llama.cpp": [
    { test: "prefix caching", reason: "the llama.cpp server reuses prompts but reports no cached tokens" },
  ],
  ollama: [{ test: "prefix caching", reason: "Ollama's OpenAI layer reports no cached tokens" }],
};

for (const kind of SERVER_KINDS) {
  runEngineConformance(
    `openai-compatible, ${kind} profile, against a server speaking ${kind}'s wire shape`,
    () =>
      OpenAICompatibleEngine.create({ baseURLs: [fakes.get(kind)!.url], model: "tiny", kind, maxRetries: 0 }),
    { timeoutMs: 60_000, ...(SKIPS[kind] ? { skip: SKIPS[kind] } : {}) },
  );
  runEngineConformance(
    `openai-compatible, ${kind} profile, against thinkprm serve`,
    () => OpenAICompatibleEngine.create({ baseURLs: [`${serve.url}/v1`], apiKey: "t", kind, maxRetries: 0 }),
    { timeoutMs: 60_000, ...(SKIPS[kind] ? { skip: SKIPS[kind] } : {}) },
  );
}
