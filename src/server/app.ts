/**
 * `thinkprm serve`: the verifier as an HTTP service (hono). A shell over the library: every
 * request's verifier is `createVerifier(serve's settings + the request's)`.
 * - POST /v1/verify, POST /v1/rank: verification and best-of-N ranking.
 * - POST /v1/completions, GET /v1/models: the OpenAI shape over the engine, logprobs included, so
 *   any OpenAI client (and thinkprm's own HTTP engine) can use a CPU verifier.
 * - GET /health (`ok` to anyone; details with the token), GET /metrics (Prometheus text).
 * - GET /: the web playground (playground/routes.ts).
 * Bearer-token auth, a request body cap, per-request timeouts (504), a bounded queue (429 with
 * retry-after when full), cancellation when the client goes away, one JSON log line per request.
 */
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { streamSSE } from "hono/streaming";
import { ZodError } from "zod";
import { splitSteps } from "../core/step-split.js";
import type { SolutionInput } from "../core/types.js";
import type { ChatTemplate } from "../engines/chat-template.js";
import type { Engine } from "../engines/types.js";
import { solutionSteps } from "../search/beam-search.js";
import { rankCandidates } from "../search/best-of-n.js";
import { createVerifier } from "../verifier/create.js";
import { guardInput, SpecialTokenError, type SpecialTokenPolicy } from "../verifier/input-guard.js";
import { settingsFromHttp, VERIFIER_FIELDS, type VerifierSettingsInput } from "../verifier/settings.js";
import type { Verification } from "../verifier/types.js";
import { Admission } from "./admission.js";
import { bearerMatches } from "./auth.js";
import { Counters, prometheusText, ROUTES } from "./metrics.js";
import { registerCompletions } from "./openai-routes.js";
import { registerPlayground } from "./playground/routes.js";
import { describeIssues, rankBody, verifyBody } from "./schemas.js";

export interface ServerOptions {
  engine: Engine;
  /** The resolved chat template every request's prompt uses. */
  chatTemplate: ChatTemplate | null;
  /** Bearer token; null only for --insecure-no-auth on a loopback address. */
  token: string | null;
  /** Verifier settings for requests that leave them out (serve's flags). */
  defaults?: VerifierSettingsInput;
  maxBodyBytes?: number;
  maxConcurrent?: number;
  maxQueue?: number;
  requestTimeoutMs?: number;
  log?: (entry: Record<string, unknown>) => void;
}

export type Outcome<T> = { value: T } | "full" | "timeout" | "gone";

export function summary(v: Verification) {
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

const errorBody = (message: string, type: string) => ({ error: { message, type } });

/** The most steps one solution may have, given as steps or cut from a solution text. */
const MAX_STEPS = 200;

/** A refused setting in the request's own words: the HTTP field, not the library's key. */
function settingsError(error: unknown): string {
  if (!(error instanceof ZodError)) return (error as Error).message;
  return error.issues
    .map((i) => {
      const field = VERIFIER_FIELDS.find((f) => f.key === i.path[0]);
      return `field "${field?.http ?? String(i.path[0])}": ${i.message}`;
    })
    .join("; ");
}

/** Whether a Host header names this machine's loopback (what a DNS-rebinding page cannot send). */
function loopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.replace(/:\d+$/, "");
  return ["localhost", "127.0.0.1", "[::1]"].includes(name.toLowerCase());
}

function tooManySteps(inputs: readonly { steps: readonly string[] }[]): string | null {
  const most = Math.max(...inputs.map((i) => i.steps.length));
  return most > MAX_STEPS
    ? `the solution has ${most} steps (a solution text is cut at "Step N:" headers, else at blank lines); at most ${MAX_STEPS}`
    : null;
}

export function createApp(options: ServerOptions) {
  const { engine } = options;
  const admission = new Admission(options.maxConcurrent ?? 4, options.maxQueue ?? 256);
  const counters = new Counters();
  const log = options.log ?? (() => {});
  const app = new Hono();
  const timeoutMs = options.requestTimeoutMs ?? 600_000;
  const maxBody = options.maxBodyBytes ?? 1_048_576;

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

  const authorised = (c: Context) =>
    options.token === null || bearerMatches(c.req.header("authorization"), options.token);
  app.use("/v1/*", async (c, next) => {
    // Without a token (--insecure-no-auth, loopback only) a web page the user visits could still
    // reach the service: a "simple" cross-site POST (text/plain, no preflight) or a DNS-rebound
    // host name. Only JSON bodies are read, and without a token only loopback host names.
    if (options.token === null && !loopbackHost(c.req.header("host")))
      return c.json(
        errorBody(
          "without a token only loopback host names are served (localhost, 127.0.0.1, [::1])",
          "forbidden",
        ),
        403,
      );
    // The token is checked before anything about the body, so a caller without it learns nothing.
    if (!authorised(c))
      return c.json(
        errorBody(
          "missing or wrong bearer token (send the header Authorization: Bearer <token>)",
          "unauthorized",
        ),
        401,
      );
    if (c.req.method === "POST" && !/^application\/json\b/i.test(c.req.header("content-type") ?? ""))
      return c.json(
        errorBody("send the body as JSON (Content-Type: application/json)", "unsupported_media_type"),
        415,
      );
    return next();
  });
  app.use(
    "/v1/*",
    bodyLimit({
      maxSize: maxBody,
      onError: (c) => c.json(errorBody(`request body over ${maxBody} bytes`, "too_large"), 413),
    }),
  );

  /** Parses and validates a JSON body; a message on failure. */
  async function body<T>(
    c: Context,
    schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: ZodError } },
  ): Promise<{ data: T } | { error: string }> {
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      return { error: "the body is not valid JSON" };
    }
    const parsed = schema.safeParse(raw);
    return parsed.success ? { data: parsed.data } : { error: describeIssues(parsed.error) };
  }

  /**
   * Runs work under admission control, the request timeout and the client's connection: when the
   * client goes away the work is aborted (and a waiting request leaves the queue).
   */
  async function admitted<T>(c: Context, work: (signal: AbortSignal) => Promise<T>): Promise<Outcome<T>> {
    const controller = new AbortController();
    const client = c.req.raw.signal;
    const gone = () => controller.abort(new Error("the client closed the connection"));
    client.addEventListener("abort", gone, { once: true });
    const timer = setTimeout(() => controller.abort(new Error("request timeout")), timeoutMs);
    try {
      const r = await admission.run(() => work(controller.signal), controller.signal);
      if (r === "aborted") return client.aborted ? "gone" : "timeout";
      if (r === null) return "full";
      if (controller.signal.aborted) return client.aborted ? "gone" : "timeout";
      return r;
    } catch (error) {
      if (controller.signal.aborted) return client.aborted ? "gone" : "timeout";
      throw error;
    } finally {
      clearTimeout(timer);
      client.removeEventListener("abort", gone);
    }
  }

  /**
   * A server-sent-event answer: admitted like any request (a full queue is a 429 before the stream
   * starts), `run` writes events as work goes on; a timeout or an engine failure becomes a final
   * `error` event, a client that goes away aborts the work.
   */
  function sse(
    c: Context,
    what: string,
    run: (signal: AbortSignal, send: (data: unknown, event?: string) => Promise<void>) => Promise<void>,
  ): Response | Promise<Response> {
    if (admission.full) return refusal(c, "full", what);
    return streamSSE(c, async (stream) => {
      const send = async (data: unknown, event?: string) => {
        if (!stream.closed && !stream.aborted)
          await stream.writeSSE({
            data: typeof data === "string" ? data : JSON.stringify(data),
            ...(event ? { event } : {}),
          });
      };
      try {
        const r = await admitted(c, (signal) => run(signal, send));
        if (r === "full")
          await send(
            errorBody("the server is busy: the queue is full; retry after a second", "overloaded"),
            "error",
          );
        if (r === "timeout")
          await send(errorBody(`${what} took longer than ${timeoutMs} ms`, "timeout"), "error");
      } catch (error) {
        const retryable = (error as { isRetryable?: boolean }).isRetryable === true;
        await send(
          errorBody((error as Error).message, retryable ? "engine_unavailable" : "server_error"),
          "error",
        );
      }
    });
  }

  /** The answer for an outcome that is not a value (429, 504, or nothing for a client that left). */
  const refusal = (c: Context, outcome: "full" | "timeout" | "gone", what: string) => {
    if (outcome === "full") {
      c.header("retry-after", "1");
      return c.json(
        errorBody("the server is busy: the queue is full; retry after a second", "overloaded"),
        429,
      );
    }
    if (outcome === "timeout")
      return c.json(errorBody(`${what} took longer than ${timeoutMs} ms`, "timeout"), 504);
    // nobody reads this; 499 (client closed request) keeps the log honest
    return c.body(null, 499 as never);
  };

  /**
   * Why the request's candidate text cannot go to the engine (a special-token string an HTTP
   * engine's server would parse, under the refuse policy), or null. Checked before admission: a
   * refused request never takes a slot.
   */
  const refusedText = (req: Record<string, unknown>, inputs: SolutionInput[]): string | null => {
    const policy: SpecialTokenPolicy = (settingsFromHttp(req).specialTokens ??
      options.defaults?.specialTokens ??
      "refuse") as SpecialTokenPolicy;
    try {
      for (const input of inputs) guardInput(input, engine, policy);
      return null;
    } catch (error) {
      if (error instanceof SpecialTokenError) return error.message;
      throw error;
    }
  };

  /** The request's verifier: serve's settings, overridden by what the request gives. */
  const verifierFor = (req: Record<string, unknown>, extra: VerifierSettingsInput = {}) =>
    createVerifier(
      { ...options.defaults, ...settingsFromHttp(req), ...extra },
      { engine, chatTemplate: options.chatTemplate },
    );

  // the web playground (GET / and its assets): no token to load it, the page asks for one
  registerPlayground(app);

  app.get("/health", (c) =>
    authorised(c)
      ? c.json({
          status: "ok",
          model: engine.modelId,
          provider: engine.provider,
          in_flight: admission.active,
          queued: admission.queued,
        })
      : c.json({ status: "ok" }),
  );

  app.get("/metrics", (c) => {
    if (!authorised(c)) return c.json(errorBody("metrics need the bearer token", "unauthorized"), 401);
    return c.text(prometheusText(counters, admission), 200, { "content-type": "text/plain; version=0.0.4" });
  });

  app.get("/v1/models", (c) =>
    c.json({ object: "list", data: [{ id: engine.modelId, object: "model", owned_by: engine.provider }] }),
  );

  app.post("/v1/verify", async (c) => {
    const b = await body(c, verifyBody);
    if ("error" in b) return c.json(errorBody(b.error, "invalid_request"), 400);
    const req = b.data;
    let verifier: ReturnType<typeof verifierFor>;
    try {
      verifier = verifierFor(req);
    } catch (error) {
      return c.json(errorBody(settingsError(error), "invalid_request"), 400);
    }
    const steps = req.steps ?? splitSteps(req.solution!);
    const input = { ...(req.id === undefined ? {} : { id: String(req.id) }), problem: req.problem, steps };
    const tooMany = tooManySteps([input]);
    if (tooMany) return c.json(errorBody(tooMany, "invalid_request"), 400);
    const refused = refusedText(req, [input]);
    if (refused) return c.json(errorBody(refused, "special_token"), 400);
    if (req.stream) {
      // token, step, round, decision, done — the verification as it is written; error on failure
      return sse(c, "verification", async (signal, send) => {
        const pending: Promise<void>[] = [];
        await verifier.verify(input, signal, (event) => {
          const { type, ...data } = event;
          pending.push(send(event.type === "done" ? summary(event.verification) : data, type));
        });
        await Promise.all(pending);
      });
    }
    const r = await admitted(c, (signal) => verifier.verify(input, signal));
    if (r === "full" || r === "timeout" || r === "gone") return refusal(c, r, "verification");
    return c.json(summary(r.value));
  });

  app.post("/v1/rank", async (c) => {
    const b = await body(c, rankBody);
    if ("error" in b) return c.json(errorBody(b.error, "invalid_request"), 400);
    const req = b.data;
    let verifier: ReturnType<typeof verifierFor>;
    try {
      // the July best-of-N client sends plain steps unless the request says otherwise
      verifier = verifierFor(
        req,
        (req as { layout?: unknown }).layout === undefined ? { layout: "plain" } : {},
      );
    } catch (error) {
      return c.json(errorBody(settingsError(error), "invalid_request"), 400);
    }
    const inputs = req.candidates.map((text) => ({ problem: req.problem, steps: solutionSteps(text) }));
    const tooMany = tooManySteps(inputs);
    if (tooMany) return c.json(errorBody(tooMany, "invalid_request"), 400);
    const refused = refusedText(req, inputs);
    if (refused) return c.json(errorBody(refused, "special_token"), 400);
    if (req.stream) {
      // a `done` event per candidate as its verification ends, then the `ranking`
      return sse(c, "ranking", async (signal, send) => {
        const scores = await Promise.all(
          inputs.map(async (input, index) => {
            const v = await verifier.verify(input, signal);
            await send({ index, ...summary(v) }, "done");
            return v.score;
          }),
        );
        const best = rankCandidates(req.candidates.map((text, i) => ({ text, score: scores[i]! })));
        await send({ scores, best }, "ranking");
      });
    }
    const r = await admitted(c, (signal) =>
      Promise.all(inputs.map(async (input) => (await verifier.verify(input, signal)).score)),
    );
    if (r === "full" || r === "timeout" || r === "gone") return refusal(c, r, "ranking");
    return c.json({
      scores: r.value,
      best: rankCandidates(req.candidates.map((text, i) => ({ text, score: r.value[i]! }))),
    });
  });

  registerCompletions(app, { engine, body, admitted, refusal, sse });

  app.onError((error, c) => {
    log({ time: new Date().toISOString(), level: "error", path: c.req.path, message: error.message });
    const retryable = (error as { isRetryable?: boolean }).isRetryable === true;
    return c.json(
      errorBody(error.message, retryable ? "engine_unavailable" : "server_error"),
      retryable ? 503 : 500,
    );
  });

  return { app, admission };
}

export type AppHelpers = {
  engine: Engine;
  body: <T>(
    c: Context,
    schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: ZodError } },
  ) => Promise<{ data: T } | { error: string }>;
  admitted: <T>(c: Context, work: (signal: AbortSignal) => Promise<T>) => Promise<Outcome<T>>;
  refusal: (c: Context, outcome: "full" | "timeout" | "gone", what: string) => Response;
  sse: (
    c: Context,
    what: string,
    run: (signal: AbortSignal, send: (data: unknown, event?: string) => Promise<void>) => Promise<void>,
  ) => Response | Promise<Response>;
};
