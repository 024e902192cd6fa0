/**
 * An engine wrapper that answers repeated calls from a cache (the run store's), keyed by a content
 * hash of everything that determines the answer: the engine's identity (the model's content, or
 * the servers and served model), the exact prompt, the sampling parameters, n and the seed.
 * Re-running or resuming a job never pays for the same call twice.
 *
 * Sampled requests (temperature > 0) are cached only when they are reproducible — a seed is given
 * and the engine honours seeds. Otherwise two identical requests are two different samples (the
 * K chains of one solution), and answering the second from the first would make them one.
 */
import { createHash } from "node:crypto";
import type {
  CompletionRequest,
  CompletionResult,
  EngineV1,
  ProbabilitiesOptions,
  ProbabilitiesResult,
} from "./types.js";

/** Where cached answers live (the run store implements it). */
export interface EngineCache {
  cacheGet(key: string): unknown;
  cacheSet(key: string, value: unknown): void;
}

function key(parts: unknown[]): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}

export class CachedEngine implements EngineV1 {
  readonly specificationVersion = "v1" as const;
  readonly provider: string;
  readonly modelId: string;
  readonly identity: string;
  readonly capabilities: EngineV1["capabilities"];
  readonly eosToken?: string;
  hits = 0;
  misses = 0;
  /** Calls that were not cacheable (unseeded sampling). */
  uncached = 0;

  constructor(
    readonly inner: EngineV1,
    private readonly cache: EngineCache,
  ) {
    this.provider = inner.provider;
    this.modelId = inner.modelId;
    this.identity = inner.identity ?? `${inner.provider}:${inner.modelId}`;
    this.capabilities = inner.capabilities;
    if (inner.eosToken !== undefined) this.eosToken = inner.eosToken;
  }

  /** Whether the answer to `request` is a function of the request (so it may be cached). */
  private reproducible(request: CompletionRequest): boolean {
    if ((request.temperature ?? 0) === 0) return true;
    return request.seed !== undefined && this.capabilities.seed;
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    if (!this.reproducible(request)) {
      this.uncached++;
      return this.inner.complete(request);
    }
    const { signal: _signal, ...params } = request;
    const k = key(["complete", this.identity, params]);
    const hit = this.cache.cacheGet(k) as CompletionResult | undefined;
    if (hit) {
      // the usage stays what the answer cost when it was computed, so a resumed run stores exactly
      // what an uninterrupted one would; `hits` says how much was served from the cache
      this.hits++;
      return hit;
    }
    this.misses++;
    const result = await this.inner.complete(request);
    this.cache.cacheSet(k, result);
    return result;
  }

  async nextTokenProbabilities(
    prompt: string,
    candidates: readonly string[],
    options?: ProbabilitiesOptions,
  ): Promise<ProbabilitiesResult> {
    const k = key(["probabilities", this.identity, prompt, candidates, options?.plainSpans ?? null]);
    const hit = this.cache.cacheGet(k) as ProbabilitiesResult | undefined;
    if (hit) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const result = await this.inner.nextTokenProbabilities(prompt, candidates, options);
    this.cache.cacheSet(k, result);
    return result;
  }

  close(): Promise<void> {
    return this.inner.close?.() ?? Promise.resolve();
  }
}
