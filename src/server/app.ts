/**
 * `thinkprm serve`: the verifier as an HTTP service (hono). A shell over the library.
 * - POST /v1/verify, POST /v1/rank: verification and best-of-N ranking.
 * - POST /v1/completions, GET /v1/models: the OpenAI shape over the engine, logprobs included, so
 *   any OpenAI client (and thinkprm's own HTTP engine) can use a CPU verifier.
 * - GET /health, GET /metrics (Prometheus text).
 * Bearer-token auth, a request body cap, per-request timeouts, a bounded queue (429 with
 * retry-after when full), one JSON log line per request.
 */
import { timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { splitSteps } from "../core/step-split.js";
import type { ChatTemplate } from "../engines/chat-template.js";
import type { Engine } from "../engines/types.js";
import { solutionSteps } from "../search/beam-search.js";
import { evaluateProblem } from "../search/best-of-n.js";
import { ThinkPrmVerifier } from "../verifier/thinkprm-verifier.js";
import type { Verification } from "../verifier/types.js";
import { Admission } from "./admission.js";
import { completionsBody, describeIssues, rankBody, verifyBody } from "./schemas.js";

export interface ServerOptions {
  engine: Engine;
  chatTemplate: ChatTemplate | null;
  /** Bearer token; null only for --insecure-no-auth on a loopback address. */
  token: string | null;
  maxBodyBytes?: number;
  maxConcurrent?: number;
  maxQueue?: number;
  requestTimeoutMs?: number;
  /** Default verification budget per round. */
  maxTokens?: number;
  log?: (entry: Record<string, unknown>) => void;
}

const ROUTES = new Set(["/health", "/metrics", "/v1/models", "/v1/verify", "/v1/rank", "/v1/completions"]);

class Counters {
  requests = new Map<string, number>();
  seconds = new Map<string, { sum: number; count: number }>();
  record(route: string, status: number, seconds: number): void {
    const key = `${route}|${status}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const s = this.seconds.get(route) ?? { sum: 0, count: 0 };
    s.sum += seconds;
    s.count++;
    this.seconds.set(route, s);
  }
}

function summary(v: Verification) {
  return {
    id: v.id ?? null,
    score: v.score,
    decision: v.decision,
    step_verdicts: v.stepVerdicts,
    first_incorrect_step: v.firstIncorrectStep,
    step_scores: v.stepScores,
    valid_chains: v.validChains,
    invalid_chains: v.invalidChains,
    chains: v.chains.map((c) => ({
      text: c.text,
      valid: c.valid,
      issues: c.issues,
      score: c.score,
      judgments: c.judgments,
      early_exit: c.earlyExit ?? null,
    })),
    usage: {
      prompt_tokens: v.usage.promptTokens,
      completion_tokens: v.usage.generatedTokens,
      cached_tokens: v.usage.reusedPromptTokens,
    },
  };
}

export function createApp(options: ServerOptions) {
  const { engine } = options;
  const admission = new Admission(options.maxConcurrent ?? 4, options.maxQueue ?? 256);
  const counters = new Counters();
  const log = options.log ?? (() => {});
  const app = new Hono();
  const timeoutMs = options.requestTimeoutMs ?? 600_000;

  app.use("*", async (c, next) => {
    const t0 = performance.now();
    await next();
    const seconds = (performance.now() - t0) / 1000;
    // label by the concrete route (a bounded set), never by arbitrary request paths
    const route = ROUTES.has(c.req.path) ? c.req.path : "other";
    counters.record(route, c.res.status, seconds);
    log({
      time: new Date().toISOString(),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(seconds * 1000),
    });
  });

  app.use("/v1/*", async (c, next) => {
    if (options.token !== null) {
      const given = c.req.header("authorization")?.replace(/^Bearer\s+/i, "") ?? "";
      const a = Buffer.from(given);
      const b = Buffer.from(options.token);
      if (a.length !== b.length || !timingSafeEqual(a, b)) {
        return c.json(
          {
            error: {
              message: "missing or wrong bearer token (Authorization: Bearer <token>)",
              type: "unauthorized",
            },
          },
          401,
        );
      }
    }
    return next();
  });
  app.use(
    "/v1/*",
    bodyLimit({
      maxSize: options.maxBodyBytes ?? 1_048_576,
      onError: (c) =>
        c.json(
          {
            error: {
              message: `request body over ${options.maxBodyBytes ?? 1_048_576} bytes`,
              type: "too_large",
            },
          },
          413,
        ),
    }),
  );

  /** Parses and validates a JSON body; a Response on failure. */
  async function body<T>(
    c: { req: { json(): Promise<unknown> } },
    schema: {
      safeParse(v: unknown): { success: true; data: T } | { success: false; error: import("zod").ZodError };
    },
  ) {
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      return { error: "the body is not valid JSON" } as const;
    }
    const parsed = schema.safeParse(raw);
    return parsed.success
      ? ({ data: parsed.data } as const)
      : ({ error: describeIssues(parsed.error) } as const);
  }

  /** Runs work under admission control and the request timeout. */
  async function admitted<T>(
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<{ value: T } | "full" | "timeout"> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error("request timeout")), timeoutMs);
    try {
      const r = await admission.run(() => work(controller.signal));
      return r === null ? "full" : r;
    } catch (error) {
      if (controller.signal.aborted) return "timeout";
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  const tooBusy = (c: import("hono").Context) => {
    c.header("retry-after", "1");
    return c.json(
      {
        error: { message: "the server is busy: the queue is full; retry after a second", type: "overloaded" },
      },
      429,
    );
  };

  app.get("/health", (c) =>
    c.json({
      status: "ok",
      model: engine.modelId,
      provider: engine.provider,
      in_flight: admission.active,
      queued: admission.queued,
    }),
  );

  app.get("/metrics", (c) => {
    const lines = ["# TYPE thinkprm_requests_total counter"];
    for (const [key, n] of counters.requests) {
      const [route, status] = key.split("|");
      lines.push(`thinkprm_requests_total{route="${route}",status="${status}"} ${n}`);
    }
    lines.push("# TYPE thinkprm_request_seconds summary");
    for (const [route, s] of counters.seconds) {
      lines.push(
        `thinkprm_request_seconds_sum{route="${route}"} ${s.sum.toFixed(6)}`,
        `thinkprm_request_seconds_count{route="${route}"} ${s.count}`,
      );
    }
    lines.push(
      "# TYPE thinkprm_in_flight gauge",
      `thinkprm_in_flight ${admission.active}`,
      "# TYPE thinkprm_queue_depth gauge",
      `thinkprm_queue_depth ${admission.queued}`,
    );
    lines.push("# TYPE thinkprm_rejected_total counter", `thinkprm_rejected_total ${admission.rejected}`);
    return c.text(`${lines.join("\n")}\n`, 200, { "content-type": "text/plain; version=0.0.4" });
  });

  app.get("/v1/models", (c) =>
    c.json({ object: "list", data: [{ id: engine.modelId, object: "model", owned_by: engine.provider }] }),
  );

  app.post("/v1/verify", async (c) => {
    const b = await body(c, verifyBody);
    if ("error" in b) return c.json({ error: { message: b.error, type: "invalid_request" } }, 400);
    const req = b.data;
    const steps = req.steps ?? splitSteps(req.solution!);
    const verifier = new ThinkPrmVerifier({
      engine,
      chatTemplate: options.chatTemplate,
      k: req.k ?? 1,
      rounds: req.rounds ?? 1,
      earlyExit: req.early_exit ?? false,
      maxTokens: req.max_tokens ?? options.maxTokens ?? 8172,
      ...(req.temperature === undefined ? {} : { temperature: req.temperature }),
      ...(req.seed === undefined ? {} : { seed: req.seed }),
    });
    const r = await admitted((signal) => verifier.verify({ problem: req.problem, steps }, signal));
    if (r === "full") return tooBusy(c);
    if (r === "timeout")
      return c.json(
        { error: { message: `verification took longer than ${timeoutMs} ms`, type: "timeout" } },
        504,
      );
    return c.json(summary(r.value));
  });

  app.post("/v1/rank", async (c) => {
    const b = await body(c, rankBody);
    if ("error" in b) return c.json({ error: { message: b.error, type: "invalid_request" } }, 400);
    const req = b.data;
    const verifier = new ThinkPrmVerifier({
      engine,
      chatTemplate: options.chatTemplate,
      k: req.k ?? 1,
      layout: "plain",
      maxTokens: req.max_tokens ?? options.maxTokens ?? 8172,
    });
    const r = await admitted(async (signal) => {
      const scores: (number | null)[] = [];
      for (const text of req.candidates)
        scores.push(
          (await verifier.verify({ problem: req.problem, steps: solutionSteps(text) }, signal)).score,
        );
      return scores;
    });
    if (r === "full") return tooBusy(c);
    if (r === "timeout")
      return c.json({ error: { message: `ranking took longer than ${timeoutMs} ms`, type: "timeout" } }, 504);
    const n = req.candidates.length;
    const sel = evaluateProblem(
      { id: "rank", gold: "", candidates: req.candidates.map((text, i) => ({ text, score: r.value[i]! })) },
      [n],
    ).byN[0]!;
    return c.json({
      scores: r.value,
      best: { naive: sel.naive, weighted: sel.weighted, majority: sel.majority },
    });
  });

  app.post("/v1/completions", async (c) => {
    const b = await body(c, completionsBody);
    if ("error" in b) return c.json({ error: { message: b.error, type: "invalid_request" } }, 400);
    const req = b.data;
    if (req.echo || req.stream)
      return c.json(
        { error: { message: "echo and stream are not supported by this server", type: "invalid_request" } },
        400,
      );
    const prompt = Array.isArray(req.prompt) ? req.prompt[0]! : req.prompt;
    const k = req.logprobs ?? 0;
    const r = await admitted((signal) =>
      engine.complete({
        prompt,
        n: req.n ?? 1,
        maxTokens: req.max_tokens ?? 16,
        temperature: req.temperature ?? 1,
        ...(req.top_p === undefined ? {} : { topP: req.top_p }),
        ...(req.seed === undefined ? {} : { seed: req.seed }),
        ...(req.stop === undefined ? {} : { stop: Array.isArray(req.stop) ? req.stop : [req.stop] }),
        ...(k > 0 ? { topLogprobs: k, logprobsEveryToken: true } : {}),
        signal,
      }),
    );
    if (r === "full") return tooBusy(c);
    if (r === "timeout")
      return c.json(
        { error: { message: `the completion took longer than ${timeoutMs} ms`, type: "timeout" } },
        504,
      );
    const res = r.value;
    return c.json({
      id: `cmpl-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
      object: "text_completion",
      created: Math.floor(Date.now() / 1000),
      model: engine.modelId,
      choices: res.choices.map((ch, index) => {
        let offset = 0;
        const logprobs =
          k > 0 && ch.tokens
            ? {
                tokens: ch.tokens.map((t) => t.text),
                token_logprobs: ch.tokens.map((t) => t.logprob),
                top_logprobs: ch.tokens.map((t) =>
                  Object.fromEntries((t.top ?? []).map((x) => [x.text, x.logprob])),
                ),
                text_offset: ch.tokens.map((t) => {
                  const o = offset;
                  offset += t.text.length;
                  return o;
                }),
              }
            : null;
        // vLLM's shape: finish "stop" for both a stop string and the end of sequence; stop_reason tells them apart
        return {
          index,
          text: ch.text,
          finish_reason: ch.finishReason === "length" ? "length" : "stop",
          stop_reason: ch.stopSequence ?? null,
          logprobs,
        };
      }),
      usage: {
        prompt_tokens: res.usage.promptTokens + res.usage.reusedPromptTokens,
        completion_tokens: res.usage.generatedTokens,
        total_tokens: res.usage.promptTokens + res.usage.reusedPromptTokens + res.usage.generatedTokens,
        prompt_tokens_details: { cached_tokens: res.usage.reusedPromptTokens },
      },
    });
  });

  app.onError((error, c) => {
    log({ time: new Date().toISOString(), level: "error", path: c.req.path, message: error.message });
    return c.json({ error: { message: error.message, type: "server_error" } }, 500);
  });

  return { app, admission };
}
