/**
 * A real OpenAI-compatible HTTP server on 127.0.0.1 for tests and benchmarks, speaking the wire
 * shape of one server kind (vLLM's stop_reason, SGLang's matched_stop and cached_tokens, the
 * llama.cpp server's logprobs.content list, Ollama without logprobs, OpenAI's five top logprobs),
 * answering from any engine behind it, with a set latency. It counts requests and generations,
 * tracks requests in flight, and can inject faults: the server down, or malformed answers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ServerKind } from "../../src/engines/openai-compatible/profiles.js";
import type { CompletionChoice, Engine } from "../../src/engines/types.js";

export type Fault =
  | "down" // connection reset
  | "http500"
  | "nan-logprob"
  | "positive-logprob"
  | "abort"
  | "fewer-choices"
  | "truncated-json";

export interface FakeServerOptions {
  kind: ServerKind;
  engine: Engine;
  latencyMs?: number;
  /** A fault for the k-th completion request (0-based), or null. */
  fault?: (k: number, body: Record<string, unknown>) => Fault | null;
  model?: string;
}

export interface FakeServer {
  url: string;
  /** Completion requests received. */
  requests: number;
  /** Samples generated (the sum of n over answered requests). */
  generations: number;
  /** Bodies received, in order. */
  bodies: Record<string, unknown>[];
  inFlight: number;
  maxInFlight: number;
  /** (time ms, requests in flight) at every change. */
  timeline: [number, number][];
  close(): Promise<void>;
}

function wireChoice(kind: ServerKind, index: number, c: CompletionChoice, topK: number) {
  const tokens = c.tokens ?? [];
  const top = (t: (typeof tokens)[number]) =>
    (t.top ?? []).slice(0, kind === "openai" ? Math.min(5, topK) : topK);
  let logprobs: unknown = null;
  if (kind !== "ollama" && topK > 0 && c.tokens) {
    logprobs =
      kind === "llama.cpp"
        ? {
            content: tokens.map((t) => ({
              token: t.text,
              logprob: t.logprob,
              top_logprobs: top(t).map((x) => ({ token: x.text, logprob: x.logprob })),
            })),
          }
        : {
            tokens: tokens.map((t) => t.text),
            token_logprobs: tokens.map((t) => t.logprob),
            top_logprobs: tokens.map((t) => Object.fromEntries(top(t).map((x) => [x.text, x.logprob]))),
          };
  }
  const finish = c.finishReason === "length" ? "length" : "stop";
  const base = { index, text: c.text, finish_reason: finish, logprobs };
  if (kind === "vllm")
    return { ...base, stop_reason: c.finishReason === "stop" ? (c.stopSequence ?? null) : null };
  if (kind === "sglang")
    return {
      ...base,
      matched_stop:
        c.finishReason === "stop" ? (c.stopSequence ?? null) : c.finishReason === "eos" ? 151643 : null,
    };
  return base;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startFakeServer(options: FakeServerOptions): Promise<FakeServer> {
  const t0 = performance.now();
  const state: Omit<FakeServer, "url" | "close"> = {
    requests: 0,
    generations: 0,
    bodies: [],
    inFlight: 0,
    maxInFlight: 0,
    timeline: [],
  };
  const mark = (delta: number) => {
    state.inFlight += delta;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    state.timeline.push([performance.now() - t0, state.inFlight]);
  };
  const json = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));

  const server: Server = createServer(async (req, res) => {
    if (req.method === "GET" && req.url === "/v1/models")
      return json(res, 200, {
        object: "list",
        data: [{ id: options.model ?? "fake-model", object: "model" }],
      });
    if (req.method !== "POST" || req.url !== "/v1/completions") return json(res, 404, { error: "not found" });
    const k = state.requests++;
    const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    state.bodies.push(body);
    mark(+1);
    try {
      if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
      const fault = options.fault?.(k, body) ?? null;
      if (fault === "down") return req.socket.destroy();
      if (fault === "http500") return json(res, 500, { error: { message: "injected" } });
      const n = (body.n as number | undefined) ?? 1;
      const topK = kindTopK(options.kind, body.logprobs as number | undefined);
      // a one-token request with logprobs is a decision: a real model's next-token distribution
      // is what the engine behind knows as candidate probabilities
      const decision = body.max_tokens === 1 && topK > 0 && options.engine.capabilities.candidateLogprobs;
      const result = decision
        ? await decisionAnswer(options.engine, body.prompt as string)
        : await options.engine.complete({
            prompt: body.prompt as string,
            n,
            maxTokens: body.max_tokens as number,
            temperature: (body.temperature as number | undefined) ?? 1,
            ...(body.top_p === undefined ? {} : { topP: body.top_p as number }),
            ...(body.seed === undefined ? {} : { seed: body.seed as number }),
            ...(body.stop === undefined ? {} : { stop: body.stop as string[] }),
            ...(topK > 0 ? { topLogprobs: topK, logprobsEveryToken: true } : {}),
          });
      state.generations += n;
      let choices = result.choices.map((c, i) => wireChoice(options.kind, i, c, topK)) as Record<
        string,
        unknown
      >[];
      if (fault === "abort") choices = choices.map((c) => ({ ...c, finish_reason: "abort" }));
      if (fault === "fewer-choices") choices = choices.slice(0, Math.max(0, choices.length - 1));
      if (fault === "nan-logprob" || fault === "positive-logprob") {
        const bad = fault === "nan-logprob" ? "NaN" : "0.7";
        const text = JSON.stringify({ id: "x", object: "text_completion", model: "m", choices, usage: {} });
        // NaN is not JSON: write it by hand, as a broken server would
        const poisoned = text
          .replace(/("token_logprobs":\[)(-?[\d.e-]+|null)/, `$1${bad}`)
          .replace(/("logprob":)(-?[\d.e-]+)/, `$1${bad}`);
        return res.writeHead(200, { "content-type": "application/json" }).end(poisoned);
      }
      const answer = {
        id: `cmpl-${k}`,
        object: "text_completion",
        created: 0,
        model: options.model ?? "fake-model",
        choices,
        usage: {
          prompt_tokens: result.usage.promptTokens + result.usage.reusedPromptTokens,
          completion_tokens: result.usage.generatedTokens,
          total_tokens:
            result.usage.promptTokens + result.usage.reusedPromptTokens + result.usage.generatedTokens,
          // vLLM (with prompt-token details on), SGLang and OpenAI say how much of the prompt was cached
          ...(options.kind === "sglang" || options.kind === "vllm" || options.kind === "openai"
            ? { prompt_tokens_details: { cached_tokens: result.usage.reusedPromptTokens } }
            : {}),
        },
      };
      if (body.stream) {
        // server-sent events as vLLM streams them: text deltas, each choice's last chunk, usage, [DONE]
        res.writeHead(200, { "content-type": "text/event-stream" });
        const event = (data: unknown) =>
          res.write(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
        const head = { id: answer.id, object: "text_completion", created: 0, model: answer.model };
        for (const c of choices) {
          const text = c.text as string;
          const third = Math.ceil(text.length / 3);
          for (let at = 0; at < text.length; at += Math.max(1, third))
            event({
              ...head,
              choices: [
                {
                  index: c.index,
                  text: text.slice(at, at + Math.max(1, third)),
                  logprobs: null,
                  finish_reason: null,
                },
              ],
            });
          event({ ...head, choices: [{ ...c, text: "" }] });
        }
        event({ ...head, choices: [], usage: answer.usage });
        event("[DONE]");
        return res.end();
      }
      if (fault === "truncated-json") {
        const text = JSON.stringify(answer);
        return res
          .writeHead(200, { "content-type": "application/json" })
          .end(text.slice(0, Math.floor(text.length / 2)));
      }
      return json(res, 200, answer);
    } catch (error) {
      return json(res, 500, { error: { message: (error as Error).message } });
    } finally {
      mark(-1);
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return Object.assign(state, {
    url,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}

async function decisionAnswer(engine: Engine, prompt: string) {
  const p = await engine.nextTokenProbabilities(prompt, [" Yes", " No", "yes", "no"]);
  const top = p.candidates
    .filter((c) => c.logprob !== null)
    .map((c) => ({ text: c.text, logprob: c.logprob! }))
    .sort((a, b) => b.logprob - a.logprob);
  const first = top[0] ?? { text: " Yes", logprob: 0 };
  const choice: CompletionChoice = {
    text: first.text,
    finishReason: "length",
    generatedTokens: 1,
    tokens: [{ text: first.text, logprob: first.logprob, top }],
  };
  return { choices: [choice], usage: { ...p.usage, generatedTokens: 1 } };
}

function kindTopK(kind: ServerKind, asked: number | undefined): number {
  if (kind === "ollama" || !asked) return 0;
  return kind === "openai" ? Math.min(5, asked) : asked;
}
