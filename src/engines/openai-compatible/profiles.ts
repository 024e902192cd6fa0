/**
 * What each kind of OpenAI-compatible server can do, declared up front (from their API
 * documentation) rather than discovered by failure. `--capabilities` overrides any field.
 */
import type { EngineCapabilities } from "../types.js";

export const SERVER_KINDS = ["vllm", "sglang", "llama.cpp", "ollama", "openai"] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

export interface ServerProfile {
  capabilities: EngineCapabilities;
  /** How the server names the stop string that ended a choice, if it does. */
  stopField: "stop_reason" | "matched_stop" | null;
  /** The server takes `n > 1` in one request; otherwise the engine sends n requests (seeds seed + i). */
  acceptsN: boolean;
  /**
   * The server puts its token counts in every streamed chunk when asked
   * (`stream_options.continuous_usage_stats`, a vLLM and SGLang extension), so a stream stopped
   * midway still knows its prompt and generated tokens. Others get only a final usage chunk, which
   * an aborted stream never sees (OpenAI refuses unknown stream options).
   */
  continuousUsage: boolean;
}

const base: EngineCapabilities = {
  candidateLogprobs: true,
  topLogprobs: 20,
  promptLogprobs: false,
  prefixCaching: true,
  parallelSamples: true,
  reportsStopSequence: false,
  seed: true,
};

export const SERVER_PROFILES: Record<ServerKind, ServerProfile> = {
  // vLLM: logprobs up to --max-logprobs (20 is what the README asks for), prompt_logprobs, stop_reason
  vllm: {
    capabilities: { ...base, promptLogprobs: true, reportsStopSequence: true },
    stopField: "stop_reason",
    acceptsN: true,
    continuousUsage: true,
  },
  // SGLang: OpenAI completions with logprobs; reports the matched stop as matched_stop
  sglang: {
    capabilities: { ...base, reportsStopSequence: true },
    stopField: "matched_stop",
    acceptsN: true,
    continuousUsage: true,
  },
  // llama.cpp server: top logprobs of generated tokens, no prompt logprobs, one sample per request
  "llama.cpp": { capabilities: base, stopField: null, acceptsN: false, continuousUsage: false },
  // Ollama's OpenAI layer: no logprobs on /v1/completions — P(Yes) needs the vote fallback
  ollama: {
    capabilities: {
      ...base,
      candidateLogprobs: false,
      topLogprobs: 0,
      prefixCaching: true,
    },
    stopField: null,
    acceptsN: false,
    continuousUsage: false,
  },
  // OpenAI: completions logprobs capped at 5, no stop reason
  openai: {
    capabilities: { ...base, topLogprobs: 5, prefixCaching: true },
    stopField: null,
    acceptsN: true,
    continuousUsage: false,
  },
};
