/**
 * The engine interface, version 1 (modelled on the AI SDK's provider specification: small,
 * versioned, capabilities declared up front rather than discovered by failure).
 *
 * Prompts are raw text, already chat-templated by `core/` + `engines/chat-template`; engines
 * never re-template them.
 */
import type { GeneratedToken } from "../core/step-scores.js";
import type { ChatTemplate } from "./chat-template.js";

export interface CompletionRequest {
  /** Raw prompt text, special tokens included as text. */
  prompt: string;
  /** Samples to draw from the same prompt. Default 1. */
  n?: number;
  maxTokens: number;
  /** 0 = greedy. Default 0. */
  temperature?: number;
  topP?: number;
  seed?: number;
  /** Generation stops before the first of these; the stop text is not part of `text`. */
  stop?: string[];
  /**
   * Return this many top alternatives for generated tokens (needs `capabilities.topLogprobs`).
   * Engines may give them only where a caller needs them (the embedded engine: right after
   * `\boxed{`) unless `logprobsEveryToken` is set.
   */
  topLogprobs?: number;
  /** Alternatives for every generated token, as an OpenAI-style server must return them. */
  logprobsEveryToken?: boolean;
  /**
   * Character ranges `[start, end)` of `prompt` holding untrusted text (the candidate solution):
   * an engine that tokenises prompts itself (`capabilities.plainSpans`) reads them as plain text,
   * never as control tokens; the rest of the prompt is tokenised with special tokens parsed.
   */
  plainSpans?: readonly (readonly [number, number])[];
  /**
   * Receives the text as it is generated (engines with `capabilities.streaming`): for each sample,
   * its deltas concatenate to exactly the `text` `complete` resolves with — text that might turn
   * out to be the start of a stop string is held back until it is known not to be.
   */
  onDelta?: (delta: CompletionDelta) => void;
  signal?: AbortSignal;
}

/** A piece of a sample's text, as it is generated. */
export interface CompletionDelta {
  /** Which of the n samples. */
  index: number;
  text: string;
}

export type FinishReason = "stop" | "eos" | "length";

export interface CompletionChoice {
  /** Generated text, without the stop string that ended it. */
  text: string;
  /** `stop`: a stop string matched; `eos`: the model ended; `length`: `maxTokens` reached. */
  finishReason: FinishReason;
  /** The stop string that matched, when `finishReason` is `stop` (engines with `reportsStopSequence`). */
  stopSequence?: string;
  generatedTokens: number;
  /** Per-token log-probabilities, when `topLogprobs` was asked for. */
  tokens?: GeneratedToken[];
}

export interface EngineUsage {
  /** Prompt tokens evaluated for this call (shared prompt counted once for n samples). */
  promptTokens: number;
  /** Prompt tokens served from a prefix cache instead of evaluated. */
  reusedPromptTokens: number;
  generatedTokens: number;
}

export interface CompletionResult {
  choices: CompletionChoice[];
  usage: EngineUsage;
}

/** The log-probability of one candidate continuation at the end of a prompt. */
export interface CandidateLogprob {
  text: string;
  /** Natural-log probability of the whole candidate (sum over its tokens); `null` when unknown (e.g. not in the top-k). */
  logprob: number | null;
  /** Tokens the candidate takes. */
  tokens: number;
}

export interface ProbabilitiesOptions {
  signal?: AbortSignal;
  /** As in `CompletionRequest.plainSpans`. */
  plainSpans?: readonly (readonly [number, number])[];
}

export interface ProbabilitiesResult {
  candidates: CandidateLogprob[];
  usage: EngineUsage;
}

export interface EngineCapabilities {
  /** `nextTokenProbabilities` works. Without it, scores need the explicit vote fallback. */
  candidateLogprobs: boolean;
  /** Largest `topLogprobs` per generated token; 0 = none. */
  topLogprobs: number;
  /** The engine can score prompt tokens (vLLM `prompt_logprobs`, `echo`). */
  promptLogprobs: boolean;
  /** Shared prompt prefixes are reused rather than evaluated again. */
  prefixCaching: boolean;
  /**
   * `complete` accepts `n > 1` and returns n independent samples (the engine may split them into
   * several server requests, seeded `seed`, `seed + 1`, …). Without it callers send n requests.
   */
  parallelSamples: boolean;
  /** `stopSequence` is reported (needed for early exit). */
  reportsStopSequence: boolean;
  /** Honours `seed` (same seed, same samples). */
  seed: boolean;
  /** Context window in tokens, when known. */
  maxContext?: number;
  /** The engine calls `onDelta` as text is generated (version 1.1 of the interface). Default false. */
  streaming?: boolean;
  /**
   * The engine honours `plainSpans`: text in them can never become control tokens. Engines that
   * send the raw prompt to a server cannot promise it (the server tokenises) — candidate text with
   * special-token strings is then refused or escaped by the verifier. Default false.
   */
  plainSpans?: boolean;
  /**
   * How many calls the engine serves at once to good effect: run loops keep this many items in
   * flight by default (HTTP: endpoints × per-endpoint window; the embedded engine: 1). Default 1.
   */
  concurrency?: number;
}

export interface EngineV1 {
  readonly specificationVersion: "v1";
  /** Backend family, e.g. `scripted`, `llama-cpp`, `openai-compatible`. */
  readonly provider: string;
  readonly modelId: string;
  /**
   * What determines the engine's answers, for cache keys: the model's content (a GGUF's digest),
   * or for a server its endpoints and served model — never just a file name, which a retrained
   * model reuses. Engines without one are cached under provider + modelId.
   */
  readonly identity?: string;
  readonly capabilities: EngineCapabilities;
  /** The model's end-of-sequence token text, when known; used as a stop string for faithfulness. */
  readonly eosToken?: string;
  /** The model's own chat template, when the engine can read it (a GGUF's `tokenizer.chat_template`). */
  readonly chatTemplate?: ChatTemplate;
  complete(request: CompletionRequest): Promise<CompletionResult>;
  /**
   * Log-probabilities of each candidate continuation at the end of `prompt` (P(" Yes"), P(" No")
   * for the decision). Throws `EngineCapabilityError` when `capabilities.candidateLogprobs` is false.
   */
  nextTokenProbabilities(
    prompt: string,
    candidates: readonly string[],
    options?: ProbabilitiesOptions,
  ): Promise<ProbabilitiesResult>;
  /** Releases models, sockets, contexts. */
  close?(): Promise<void>;
}

export type Engine = EngineV1;
