/**
 * The engine for OpenAI-compatible servers (vLLM, SGLang, llama.cpp server, Ollama, OpenAI):
 * `/v1/completions` with a raw, already-templated prompt. The decision probabilities come from a
 * continuation request (`max_tokens: 1` with top logprobs; the server's prefix cache makes it
 * cheap). Several endpoints can serve one engine: each request goes to the endpoint with the
 * fewest requests in flight, within a per-endpoint concurrency window. Retries of the transport
 * (408/409/429/5xx, resets, timeouts, honouring retry-after) are the wire client's; an answer
 * that arrives but cannot be used (malformed, cut off) is asked again here, at most twice, and never
 * once a streamed delta has been passed on. Bodies are streamed as they arrive (`onDelta` is live)
 * and bounded in size and time (response-limits.ts); a stream stopped by the caller's signal closes
 * its connection at once and reports what it had cost (streamed.ts).
 */
import pLimit, { type LimitFunction } from "p-limit";
import { EngineCapabilityError, EngineError } from "../errors.js";
import type {
  CompletionDelta,
  CompletionRequest,
  CompletionResult,
  EngineCapabilities,
  EngineUsage,
  EngineV1,
  ProbabilitiesOptions,
  ProbabilitiesResult,
} from "../types.js";
import { SERVER_PROFILES, type ServerKind } from "./profiles.js";
import { DEFAULT_MAX_RESPONSE_BYTES } from "./response-limits.js";
import { streamed } from "./streamed.js";
import { fetchTransport, nodeTransport } from "./transport.js";
import {
  AnswerError,
  checkedAnswer,
  checkedChoices,
  choiceFrom,
  usageFrom,
  type WireChoice,
  wireTokens,
} from "./wire.js";
import { WireClient } from "./wire-client.js";

export interface OpenAICompatibleOptions {
  /** One or more base URLs, each ending in /v1. */
  baseURLs: string[];
  /** The server's model id; default: the first one `/v1/models` lists. */
  model?: string;
  apiKey?: string;
  kind?: ServerKind;
  capabilities?: Partial<EngineCapabilities>;
  /** Requests in flight per endpoint. Default 64. */
  concurrency?: number;
  maxRetries?: number;
  /** Per-request timeout in ms, from the request to the answer's last byte. Default 10 minutes (long verification chains). */
  timeoutMs?: number;
  /**
   * Bytes one answer may have, streamed or not (default 64 MiB): past it the request fails with
   * `malformed_response` and the connection is closed, so a runaway server cannot exhaust memory.
   */
  maxResponseBytes?: number;
  /** Server-specific fields sent with every request (vLLM / SGLang extras such as top_k). */
  extraBody?: Record<string, unknown>;
  eosToken?: string;
  /** The transport (default: keep-alive `node:http`); its responses are bounded by the same limits. */
  fetch?: typeof fetch;
}

interface Endpoint {
  url: string;
  client: WireClient;
  limit: LimitFunction;
  inFlight: number;
}

const DEFAULT_WINDOW = 64;
/** Extra attempts after a malformed answer (the client's own retries cover transport failures only). */
const MALFORMED_RETRIES = 2;

export class OpenAICompatibleEngine implements EngineV1 {
  readonly specificationVersion = "v1" as const;
  readonly provider = "openai-compatible";
  readonly modelId: string;
  readonly identity: string;
  readonly capabilities: EngineCapabilities;
  readonly eosToken?: string;
  readonly kind: ServerKind;
  private readonly endpoints: Endpoint[];

  private constructor(options: OpenAICompatibleOptions, model: string, endpoints: Endpoint[]) {
    this.kind = options.kind ?? "vllm";
    this.modelId = model;
    this.endpoints = endpoints;
    // what answers: these servers, this served model (a server cannot tell us more about its weights)
    this.identity = `openai:${this.kind}:${model}@${[...options.baseURLs].sort().join(",")}`;
    this.capabilities = {
      ...SERVER_PROFILES[this.kind].capabilities,
      // n > 1 is always accepted: servers that take one sample per request get n requests
      parallelSamples: true,
      // every listed server streams /v1/completions as server-sent events
      streaming: true,
      concurrency: endpoints.length * (options.concurrency ?? DEFAULT_WINDOW),
      ...options.capabilities,
    };
    if (options.eosToken !== undefined) this.eosToken = options.eosToken;
    this.options = options;
  }
  private readonly options: OpenAICompatibleOptions;

  static async create(options: OpenAICompatibleOptions): Promise<OpenAICompatibleEngine> {
    if (options.baseURLs.length === 0) throw new EngineError("no server URL given");
    const limits = {
      timeoutMs: options.timeoutMs ?? 600_000,
      maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    };
    // one keep-alive pool for all endpoints, each endpoint's window of sockets within it
    const transport = options.fetch
      ? fetchTransport(options.fetch)
      : nodeTransport(options.concurrency ?? DEFAULT_WINDOW);
    const endpoints: Endpoint[] = options.baseURLs.map((url) => ({
      url,
      client: new WireClient({
        baseURL: url,
        apiKey: options.apiKey ?? "none",
        maxRetries: options.maxRetries ?? 4,
        ...limits,
        transport,
      }),
      limit: pLimit(options.concurrency ?? DEFAULT_WINDOW),
      inFlight: 0,
    }));
    let model = options.model;
    if (!model) {
      try {
        const list = (await endpoints[0]!.client.json("/models")) as { data?: { id?: unknown }[] } | null;
        const id = Array.isArray(list?.data) ? list.data[0]?.id : undefined;
        model = typeof id === "string" ? id : undefined;
      } catch (error) {
        throw new EngineError(
          `could not list the models of ${endpoints[0]!.url}: ${(error as Error).message}; is the server running? pass --served-model to skip this`,
          { cause: error, isRetryable: true },
        );
      }
      if (!model) throw new EngineError(`${endpoints[0]!.url} serves no model`);
    }
    return new OpenAICompatibleEngine(options, model, endpoints);
  }

  /** Requests running and waiting per endpoint (for benchmarks and /metrics). */
  windowState(): { url: string; active: number; pending: number }[] {
    return this.endpoints.map((e) => ({
      url: e.url,
      active: e.limit.activeCount,
      pending: e.limit.pendingCount,
    }));
  }

  /** The endpoint with the fewest requests in flight (ties: the first). */
  private pick(): Endpoint {
    return this.endpoints.reduce((best, e) => (e.inFlight < best.inFlight ? e : best));
  }

  private async call<T>(
    fn: (client: WireClient, url: string) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const e = this.pick();
    e.inFlight++;
    try {
      return await e.limit(() => {
        // a request cancelled while it waited for a window slot never reaches the server
        if (signal?.aborted)
          throw new EngineError("request aborted", { code: "aborted", cause: signal.reason });
        return fn(e.client, e.url);
      });
    } catch (error) {
      throw toEngineError(e.url, error, signal);
    } finally {
      e.inFlight--;
    }
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const n = request.n ?? 1;
    if (n > 1 && !SERVER_PROFILES[this.kind].acceptsN) {
      // the server takes one sample per request: send n requests (seeds seed, seed + 1, …)
      const parts = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          this.complete({
            ...request,
            n: 1,
            ...(request.seed === undefined ? {} : { seed: request.seed + i }),
            // each request's sample is sample i of the whole
            ...(request.onDelta
              ? { onDelta: (d: CompletionDelta) => request.onDelta!({ index: i, text: d.text }) }
              : {}),
          }),
        ),
      );
      return {
        choices: parts.flatMap((p) => p.choices),
        usage: parts.reduce(
          (u, p) => ({
            promptTokens: u.promptTokens + p.usage.promptTokens,
            reusedPromptTokens: u.reusedPromptTokens + p.usage.reusedPromptTokens,
            generatedTokens: u.generatedTokens + p.usage.generatedTokens,
          }),
          { promptTokens: 0, reusedPromptTokens: 0, generatedTokens: 0 },
        ),
      };
    }
    const topK = request.topLogprobs ? Math.min(request.topLogprobs, this.capabilities.topLogprobs) : 0;
    const body = {
      model: this.modelId,
      prompt: request.prompt,
      n,
      max_tokens: request.maxTokens,
      temperature: request.temperature ?? 0,
      ...(request.topP === undefined ? {} : { top_p: request.topP }),
      ...(request.seed === undefined ? {} : { seed: request.seed }),
      ...(request.stop?.length ? { stop: request.stop } : {}),
      ...(topK > 0 ? { logprobs: topK } : {}),
      ...this.options.extraBody,
    };
    // a delta passed on cannot be taken back: once one is, a failed answer is not asked again
    let delivered = false;
    const onDelta =
      request.onDelta &&
      ((d: CompletionDelta) => {
        delivered = true;
        request.onDelta!(d);
      });
    const profile = SERVER_PROFILES[this.kind];
    const { choices, usage } = await this.withMalformedRetries(
      () =>
        this.call(async (client, url) => {
          const answer = onDelta
            ? await streamed(client, url, body, {
                n,
                continuousUsage: profile.continuousUsage,
                onDelta,
                ...(request.signal ? { signal: request.signal } : {}),
              })
            : await this.answer(client, url, body, request.signal);
          const choices = checkedChoices(url, answer.choices, n).map((c: WireChoice) =>
            choiceFrom(c, wireTokens(url, c.logprobs ?? null), profile.stopField),
          );
          return { choices, usage: answer.usage };
        }, request.signal),
      () => !delivered,
    );
    // the server counts generated tokens in total; spread them over choices that had no logprobs
    if (choices.every((c) => c.generatedTokens === 0) && usage.generatedTokens > 0)
      for (const c of choices) c.generatedTokens = Math.round(usage.generatedTokens / choices.length);
    return { choices, usage };
  }

  /** A non-streamed answer, its body checked to be a completion object. */
  private async answer(
    client: WireClient,
    url: string,
    body: Record<string, unknown>,
    signal: AbortSignal | undefined,
  ): Promise<{ choices: unknown; usage: EngineUsage }> {
    const raw = checkedAnswer(url, await client.json("/completions", body, signal));
    return { choices: raw.choices, usage: usageFrom(raw.usage) };
  }

  /**
   * Asks again after an answer that could not be used — malformed, cut off, or a generation the
   * server aborted (up to `MALFORMED_RETRIES` times) — while `mayRetry` allows (no delta passed on
   * yet). An answer past the response cap is not asked again: it would be as large. Transport
   * failures are the client's to retry.
   */
  private async withMalformedRetries<T>(attempt: () => Promise<T>, mayRetry: () => boolean): Promise<T> {
    for (let tries = 0; ; tries++) {
      try {
        return await attempt();
      } catch (error) {
        const again =
          error instanceof AnswerError ||
          (EngineError.isInstance(error) && error.code === "malformed_response" && error.isRetryable);
        if (!again || tries >= MALFORMED_RETRIES || !mayRetry()) throw error;
      }
    }
  }

  async nextTokenProbabilities(
    prompt: string,
    candidates: readonly string[],
    options: ProbabilitiesOptions = {},
  ): Promise<ProbabilitiesResult> {
    if (!this.capabilities.candidateLogprobs) {
      throw new EngineCapabilityError(
        "candidateLogprobs",
        `the ${this.kind} server at ${this.endpoints[0]!.url} returns no logprobs on /v1/completions, so P(Yes) cannot be read; use --score vote for a vote share over K samples`,
      );
    }
    const res = await this.complete({
      prompt,
      maxTokens: 1,
      temperature: 0,
      topLogprobs: this.capabilities.topLogprobs,
      n: 1,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const first = res.choices[0]?.tokens?.[0];
    if (!first?.top || first.top.length === 0)
      throw new EngineError(
        `${this.endpoints[0]!.url} returned no top logprobs for the decision; start vLLM with --max-logprobs 20 (or pick the --server-kind that matches the server)`,
        { isRetryable: false, code: "bad_request" },
      );
    const top = new Map(first.top.map((t) => [t.text, t.logprob]));
    return {
      candidates: candidates.map((text) => ({ text, logprob: top.get(text) ?? null, tokens: 1 })),
      usage: res.usage,
    };
  }
}

/** Any failure of a call as a typed `EngineError` (the wire client's already are). */
function toEngineError(url: string, error: unknown, signal: AbortSignal | undefined): EngineError {
  if (EngineError.isInstance(error)) return error;
  if (signal?.aborted) return new EngineError("request aborted", { code: "aborted", cause: error });
  return new EngineError(`${url}: the request failed (${(error as Error)?.message ?? String(error)})`, {
    isRetryable: true,
    code: "unavailable",
    cause: error,
  });
}
