/**
 * Reading `/v1/completions` answers of OpenAI-compatible servers, strictly. A server that answers
 * with something that breaks the protocol — NaN or positive logprobs, fewer choices than asked,
 * an aborted generation, duplicate or missing choice indexes — gets a typed `malformed_response`
 * error (retryable: it is the server's fault), never a score and never a cache entry.
 */
import type { GeneratedToken } from "../../core/step-scores.js";
import { EngineError } from "../errors.js";
import type { CompletionChoice, EngineUsage } from "../types.js";

/** Completions logprobs: the legacy arrays (vLLM, SGLang, OpenAI), or a `content` list (llama.cpp server). */
export type WireLogprobs = {
  tokens?: string[];
  token_logprobs?: (number | null)[];
  top_logprobs?: (Record<string, number> | null)[] | null;
  content?: { token: string; logprob: number; top_logprobs?: { token: string; logprob: number }[] }[];
} | null;

export type WireChoice = {
  index?: number;
  text: string;
  finish_reason: string | null;
  logprobs?: WireLogprobs;
  stop_reason?: string | number | null;
  matched_stop?: string | number | null;
};

/** A logprob may be 0 (certain) but never above it; float noise of 1e-6 is tolerated. */
const LOGPROB_EPSILON = 1e-6;

/** A 200 answer whose content cannot be used: asked again by the engine, since the server may do better. */
export class AnswerError extends EngineError {
  constructor(message: string, code: "malformed_response" | "server_error") {
    super(message, { isRetryable: true, code });
    this.name = "EngineError";
  }
}

export function malformed(url: string, what: string): EngineError {
  return new AnswerError(`${url} answered with a malformed completion: ${what}`, "malformed_response");
}

function checkLogprob(url: string, value: unknown, where: string): number {
  if (typeof value !== "number" || Number.isNaN(value) || value > LOGPROB_EPSILON)
    throw malformed(url, `${where} is ${JSON.stringify(value)}, not a log-probability (≤ 0)`);
  // -Infinity is a legitimate log(0); anything else non-finite was rejected above
  return Math.min(0, value);
}

/** Tokens with their logprobs, in the text's order; throws on values that are not log-probabilities. */
export function wireTokens(url: string, lp: WireLogprobs): GeneratedToken[] | undefined {
  if (lp?.content) {
    return lp.content.map((c, i) => {
      const t: GeneratedToken = {
        text: c.token,
        logprob: checkLogprob(url, c.logprob, `token ${i}'s logprob`),
      };
      if (c.top_logprobs)
        t.top = c.top_logprobs
          .map((x) => ({ text: x.token, logprob: checkLogprob(url, x.logprob, `token ${i}'s top logprob`) }))
          .sort((a, b) => b.logprob - a.logprob);
      return t;
    });
  }
  if (!lp?.tokens) return undefined;
  return lp.tokens.map((text, i) => {
    const raw = lp.token_logprobs?.[i];
    // vLLM reports null for a token it did not score (the first prompt token); a generated token has one
    const t: GeneratedToken = {
      text,
      logprob: raw === null || raw === undefined ? 0 : checkLogprob(url, raw, `token ${i}'s logprob`),
    };
    const top = lp.top_logprobs?.[i];
    if (top)
      t.top = Object.entries(top)
        .map(([k, v]) => ({ text: k, logprob: checkLogprob(url, v, `token ${i}'s top logprob "${k}"`) }))
        .sort((a, b) => b.logprob - a.logprob);
    return t;
  });
}

/**
 * The body of a non-streamed answer as a completion object. An empty body (`content-length: 0`, a
 * 204), `null`, or anything but an object is the server's malformed answer — never a `TypeError`
 * on `.choices` that would read as the server being unreachable.
 */
export function checkedAnswer(url: string, raw: unknown): { choices?: unknown; usage?: unknown } {
  if (raw === undefined || raw === null || raw === "")
    throw malformed(url, `the body was ${raw === null ? "null" : "empty"}`);
  if (typeof raw !== "object" || Array.isArray(raw)) {
    const shown = typeof raw === "string" ? `text ${JSON.stringify(raw.slice(0, 60))}` : JSON.stringify(raw);
    throw malformed(url, `the body was ${shown}, not a completion object`);
  }
  return raw;
}

/** The server's token counts (absent or nonsense fields count 0; cached prompt tokens are reused ones). */
export function usageFrom(usage: unknown): EngineUsage {
  const u = (typeof usage === "object" && usage !== null ? usage : {}) as {
    prompt_tokens?: unknown;
    completion_tokens?: unknown;
    prompt_tokens_details?: { cached_tokens?: unknown } | null;
  };
  const count = (x: unknown) => (typeof x === "number" && Number.isFinite(x) && x > 0 ? Math.round(x) : 0);
  const cached = count(u.prompt_tokens_details?.cached_tokens);
  return {
    promptTokens: Math.max(0, count(u.prompt_tokens) - cached),
    reusedPromptTokens: cached,
    generatedTokens: count(u.completion_tokens),
  };
}

/**
 * The choices of an answer, checked: exactly `n`, indexes 0…n−1 once each, text a string, a known
 * finish reason. `abort` (vLLM/SGLang cancelled the sequence, e.g. on preemption) is the server's
 * failure, not a chain the verifier may score.
 */
export function checkedChoices(url: string, choices: unknown, n: number): WireChoice[] {
  if (!Array.isArray(choices)) throw malformed(url, "no choices array");
  if (choices.length !== n) throw malformed(url, `${choices.length} choices for n = ${n}`);
  const byIndex = new Map<number, WireChoice>();
  for (const [position, raw] of choices.entries()) {
    const c = raw as WireChoice;
    const index = c?.index ?? position;
    if (!Number.isInteger(index) || index < 0 || index >= n || byIndex.has(index))
      throw malformed(url, `choice index ${JSON.stringify(c?.index)} (expected each of 0…${n - 1} once)`);
    if (typeof c.text !== "string") throw malformed(url, `choice ${index} has no text`);
    if (c.finish_reason === "abort")
      throw new AnswerError(
        `${url} aborted the generation of choice ${index} (finish_reason "abort")`,
        "server_error",
      );
    if (c.finish_reason !== "stop" && c.finish_reason !== "length" && c.finish_reason !== "eos")
      throw malformed(url, `choice ${index} ended with finish_reason ${JSON.stringify(c.finish_reason)}`);
    byIndex.set(index, c);
  }
  return Array.from({ length: n }, (_, i) => byIndex.get(i)!);
}

/** How a checked choice ended, from the finish reason and the server's stop field (when it has one). */
export function choiceFrom(
  c: WireChoice,
  tokens: GeneratedToken[] | undefined,
  stopField: "stop_reason" | "matched_stop" | null,
): CompletionChoice {
  const stop = stopField ? c[stopField] : undefined;
  const out: CompletionChoice = {
    text: c.text,
    // vLLM: finish "stop" with no stop_reason (or a token id) is the end-of-sequence token
    finishReason:
      c.finish_reason === "length"
        ? "length"
        : c.finish_reason === "eos"
          ? "eos"
          : typeof stop === "string"
            ? "stop"
            : stopField && (stop === null || typeof stop === "number")
              ? "eos"
              : "stop",
    generatedTokens: tokens?.length ?? 0,
  };
  if (typeof stop === "string" && out.finishReason === "stop") out.stopSequence = stop;
  if (tokens) out.tokens = tokens;
  return out;
}
