/**
 * An engine wrapper that answers repeated calls from a cache (the run store's), keyed by a content
 * hash of everything that determines the answer: engine, model, exact prompt, sampling parameters,
 * seed. Re-running or resuming a job never pays for the same call twice.
 */
import { createHash } from "node:crypto";
import type { CompletionRequest, CompletionResult, EngineV1, ProbabilitiesResult } from "./types.js";

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
  readonly capabilities: EngineV1["capabilities"];
  readonly eosToken?: string;
  hits = 0;
  misses = 0;

  constructor(
    private readonly inner: EngineV1,
    private readonly cache: EngineCache,
  ) {
    this.provider = inner.provider;
    this.modelId = inner.modelId;
    this.capabilities = inner.capabilities;
    if (inner.eosToken !== undefined) this.eosToken = inner.eosToken;
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const { signal: _signal, ...params } = request;
    const k = key(["complete", this.provider, this.modelId, params]);
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

  async nextTokenProbabilities(prompt: string, candidates: readonly string[]): Promise<ProbabilitiesResult> {
    const k = key(["probabilities", this.provider, this.modelId, prompt, candidates]);
    const hit = this.cache.cacheGet(k) as ProbabilitiesResult | undefined;
    if (hit) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const result = await this.inner.nextTokenProbabilities(prompt, candidates);
    this.cache.cacheSet(k, result);
    return result;
  }

  close(): Promise<void> {
    return this.inner.close?.() ?? Promise.resolve();
  }
}
