/**
 * The engine for OpenAI-compatible servers (vLLM, SGLang, llama.cpp server, Ollama, OpenAI):
 * `/v1/completions` with a raw, already-templated prompt. The decision probabilities come from a
 * continuation request (`max_tokens: 1` with top logprobs; the server's prefix cache makes it
 * cheap). Several endpoints can serve one engine: each request goes to the endpoint with the
 * fewest requests in flight, within a per-endpoint concurrency window. Retries (408/409/429/5xx,
 * resets, timeouts, honouring retry-after) are the `openai` client's: the only retry layer.
 */
import OpenAI from "openai";
import pLimit, { type LimitFunction } from "p-limit";
import type { GeneratedToken } from "../../core/step-scores.js";
import { EngineCapabilityError, EngineError } from "../errors.js";
import type {
  CompletionChoice,
  CompletionRequest,
  CompletionResult,
  EngineCapabilities,
  EngineV1,
  ProbabilitiesResult,
} from "../types.js";
import { SERVER_PROFILES, type ServerKind } from "./profiles.js";

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
  /** Per-request timeout in ms. Default 10 minutes (long verification chains). */
  timeoutMs?: number;
  /** Server-specific fields sent with every request (vLLM / SGLang extras such as top_k). */
  extraBody?: Record<string, unknown>;
  eosToken?: string;
  fetch?: typeof fetch;
}

interface Endpoint {
  url: string;
  client: OpenAI;
  limit: LimitFunction;
  inFlight: number;
}

/** Completions logprobs: the legacy arrays (vLLM, SGLang, OpenAI), or a `content` list (llama.cpp server). */
type WireLogprobs = {
  tokens?: string[];
  token_logprobs?: (number | null)[];
  top_logprobs?: (Record<string, number> | null)[] | null;
  content?: { token: string; logprob: number; top_logprobs?: { token: string; logprob: number }[] }[];
} | null;
type WireChoice = {
  text: string;
  finish_reason: string | null;
  logprobs?: WireLogprobs;
  stop_reason?: string | number | null;
  matched_stop?: string | number | null;
};

function toTokens(lp: WireLogprobs): GeneratedToken[] | undefined {
  if (lp?.content) {
    return lp.content.map((c) => ({
      text: c.token,
      logprob: c.logprob,
      ...(c.top_logprobs
        ? {
            top: c.top_logprobs
              .map((t) => ({ text: t.token, logprob: t.logprob }))
              .sort((a, b) => b.logprob - a.logprob),
          }
        : {}),
    }));
  }
  if (!lp?.tokens) return undefined;
  return lp.tokens.map((text, i) => {
    const top = lp.top_logprobs?.[i];
    const t: GeneratedToken = { text, logprob: lp.token_logprobs?.[i] ?? 0 };
    if (top)
      t.top = Object.entries(top)
        .map(([k, v]) => ({ text: k, logprob: v }))
        .sort((a, b) => b.logprob - a.logprob);
    return t;
  });
}

export class OpenAICompatibleEngine implements EngineV1 {
  readonly specificationVersion = "v1" as const;
  readonly provider = "openai-compatible";
  readonly modelId: string;
  readonly capabilities: EngineCapabilities;
  readonly eosToken?: string;
  readonly kind: ServerKind;
  private readonly endpoints: Endpoint[];

  private constructor(options: OpenAICompatibleOptions, model: string, endpoints: Endpoint[]) {
    this.kind = options.kind ?? "vllm";
    this.modelId = model;
    this.endpoints = endpoints;
    this.capabilities = { ...SERVER_PROFILES[this.kind].capabilities, ...options.capabilities };
    if (options.eosToken !== undefined) this.eosToken = options.eosToken;
    this.options = options;
  }
  private readonly options: OpenAICompatibleOptions;

  static async create(options: OpenAICompatibleOptions): Promise<OpenAICompatibleEngine> {
    if (options.baseURLs.length === 0) throw new EngineError("no server URL given");
    const endpoints: Endpoint[] = options.baseURLs.map((url) => ({
      url,
      client: new OpenAI({
        baseURL: url,
        apiKey: options.apiKey ?? "none",
        maxRetries: options.maxRetries ?? 4,
        timeout: options.timeoutMs ?? 600_000,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
      limit: pLimit(options.concurrency ?? 64),
      inFlight: 0,
    }));
    let model = options.model;
    if (!model) {
      try {
        const list = await endpoints[0]!.client.models.list();
        model = list.data[0]?.id;
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

  private async call<T>(fn: (client: OpenAI) => Promise<T>): Promise<T> {
    const e = this.pick();
    e.inFlight++;
    try {
      return await e.limit(() => fn(e.client));
    } catch (error) {
      if (error instanceof OpenAI.APIError) {
        const status = error.status;
        const retryable =
          status === undefined || status === 408 || status === 409 || status === 429 || status >= 500;
        throw new EngineError(`${e.url} answered ${status ?? "no response"}: ${error.message}`, {
          isRetryable: retryable,
          cause: error,
        });
      }
      throw new EngineError(`${e.url}: ${(error as Error).message}`, { isRetryable: true, cause: error });
    } finally {
      e.inFlight--;
    }
  }

  private choice(c: WireChoice): CompletionChoice {
    const field = SERVER_PROFILES[this.kind].stopField;
    const stop = field ? c[field] : undefined;
    const tokens = toTokens(c.logprobs ?? null);
    const generatedTokens = tokens?.length ?? 0;
    const out: CompletionChoice = {
      text: c.text,
      // vLLM: finish "stop" with no stop_reason is the end-of-sequence token
      finishReason:
        c.finish_reason === "length"
          ? "length"
          : typeof stop === "string"
            ? "stop"
            : field && (stop === null || typeof stop === "number")
              ? "eos"
              : "stop",
      generatedTokens,
    };
    if (typeof stop === "string") out.stopSequence = stop;
    if (tokens) out.tokens = tokens;
    return out;
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const n = request.n ?? 1;
    if (n > 1 && !this.capabilities.parallelSamples) {
      // the server takes one sample per request: send n requests (seeds seed, seed + 1, …)
      const parts = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          this.complete({
            ...request,
            n: 1,
            ...(request.seed === undefined ? {} : { seed: request.seed + i }),
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
    const res = await this.call((client) =>
      client.completions.create(
        body as OpenAI.CompletionCreateParamsNonStreaming,
        request.signal ? { signal: request.signal } : {},
      ),
    );
    const choices = [...res.choices]
      .sort((a, b) => a.index - b.index)
      .map((c) => this.choice(c as unknown as WireChoice));
    const usage = res.usage;
    const cached =
      (usage as { prompt_tokens_details?: { cached_tokens?: number } } | undefined)?.prompt_tokens_details
        ?.cached_tokens ?? 0;
    const completion = usage?.completion_tokens ?? 0;
    // the server counts generated tokens in total; spread them over choices that had no logprobs
    if (choices.every((c) => c.generatedTokens === 0) && completion > 0)
      for (const c of choices) c.generatedTokens = Math.round(completion / choices.length);
    return {
      choices,
      usage: {
        promptTokens: (usage?.prompt_tokens ?? 0) - cached,
        reusedPromptTokens: cached,
        generatedTokens: completion,
      },
    };
  }

  async nextTokenProbabilities(prompt: string, candidates: readonly string[]): Promise<ProbabilitiesResult> {
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
    });
    const first = res.choices[0]?.tokens?.[0];
    if (!first?.top)
      throw new EngineError(
        `${this.endpoints[0]!.url} returned no top logprobs; start vLLM with --max-logprobs 20`,
        { isRetryable: false },
      );
    const top = new Map(first.top.map((t) => [t.text, t.logprob]));
    return {
      candidates: candidates.map((text) => ({ text, logprob: top.get(text) ?? null, tokens: 1 })),
      usage: res.usage,
    };
  }
}
