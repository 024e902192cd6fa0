/**
 * A scripted engine: completions and decision probabilities come from a script, calls are
 * recorded. For users' own tests (exported as `thinkprm/testing`) and ours. It behaves like a real
 * engine where that matters to callers: stop strings cut the scripted text (the stop text is not
 * returned, `stopSequence` says which), `maxTokens` truncates with `finishReason: "length"`, `n`
 * samples are drawn, shared prompt prefixes count as reused tokens, and `topLogprobs` are synthesised
 * for scripted `\boxed{…}` verdicts when a step probability is scripted.
 *
 * Token counts use a simple deterministic rule (a word with its leading space, one digit, or one
 * other character is a token), close enough to BPE for accounting tests.
 */
import type { GeneratedToken } from "../core/step-scores.js";
import { EngineCapabilityError, EngineError } from "./errors.js";
import type {
  CompletionChoice,
  CompletionRequest,
  CompletionResult,
  EngineCapabilities,
  EngineV1,
  ProbabilitiesOptions,
  ProbabilitiesResult,
} from "./types.js";

const TOKEN = /\s*[A-Za-z]+|\s*\d|\s*[^\sA-Za-z\d]|\s+/gu;

/** Splits text into the scripted engine's tokens. */
export function scriptedTokens(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

export interface ScriptedCompletion {
  text: string;
  /** How the scripted text ends when no stop string or limit cuts it first. Default `eos`. */
  finishReason?: "eos" | "length";
  /** P(correct) at each `\boxed{…}` verdict, in order, to synthesise top logprobs. */
  stepProbabilities?: number[];
}

export type ScriptedReply = string | ScriptedCompletion | Error;

export interface ScriptedEngineOptions {
  /**
   * The reply to each sample: called with the request and the sample index within it. Throwing or
   * returning an `Error` makes the call fail (an `EngineError` unless it already is one).
   */
  respond?: (request: CompletionRequest, sampleIndex: number) => ScriptedReply;
  /** Replies used in order across all samples of all calls (cycled) when `respond` is absent. */
  replies?: ScriptedReply[];
  /**
   * Probability of each candidate continuation at the end of a prompt, e.g.
   * `() => ({ " Yes": 0.75, " No": 0.25 })`. A candidate missing from the map has `logprob: null`.
   */
  probabilities?: (prompt: string) => Record<string, number>;
  capabilities?: Partial<EngineCapabilities>;
  modelId?: string;
  /** Cache identity (see `EngineV1.identity`); default none. */
  identity?: string;
  /** The declared concurrency (`capabilities.concurrency`). Default 1. */
  concurrency?: number;
  eosToken?: string;
  /** Simulated latency per call in milliseconds. */
  latencyMs?: number;
  /** When a caller streams (`onDelta`): the pace, in milliseconds per token. Default 0. */
  tokenDelayMs?: number;
}

export interface RecordedCall {
  method: "complete" | "nextTokenProbabilities";
  request:
    | CompletionRequest
    | { prompt: string; candidates: readonly string[]; plainSpans?: ProbabilitiesOptions["plainSpans"] };
}

const DEFAULT_CAPABILITIES: EngineCapabilities = {
  candidateLogprobs: true,
  topLogprobs: 20,
  promptLogprobs: false,
  prefixCaching: true,
  parallelSamples: true,
  reportsStopSequence: true,
  seed: true,
  // it tokenises nothing: no text it is given can become a control token
  plainSpans: true,
  streaming: true,
};

function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

export class ScriptedEngine implements EngineV1 {
  readonly specificationVersion = "v1" as const;
  readonly provider = "scripted";
  readonly modelId: string;
  readonly identity?: string;
  readonly capabilities: EngineCapabilities;
  readonly eosToken?: string;
  /** Every call, in order. */
  readonly calls: RecordedCall[] = [];
  private readonly options: ScriptedEngineOptions;
  private replyCursor = 0;
  private readonly seenPrompts: string[] = [];

  constructor(options: ScriptedEngineOptions = {}) {
    this.options = options;
    this.modelId = options.modelId ?? "scripted";
    this.capabilities = {
      ...DEFAULT_CAPABILITIES,
      concurrency: options.concurrency ?? 1,
      ...options.capabilities,
    };
    if (options.identity !== undefined) this.identity = options.identity;
    if (options.eosToken !== undefined) this.eosToken = options.eosToken;
  }

  /** Calls of one method, for assertions. */
  callsOf(method: RecordedCall["method"]): RecordedCall["request"][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.request);
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    this.calls.push({ method: "complete", request });
    await this.wait(request.signal);
    const n = request.n ?? 1;
    if (n > 1 && !this.capabilities.parallelSamples) {
      throw new EngineCapabilityError(
        "parallelSamples",
        "this scripted engine serves one sample per request",
      );
    }
    const choices: CompletionChoice[] = [];
    for (let i = 0; i < n; i++) choices.push(this.sample(request, i));
    if (request.onDelta) await this.stream(request, choices);
    const { promptTokens, reusedPromptTokens } = this.countPrompt(request.prompt);
    // like a KV cache, what was generated stays reusable as the prefix of a continuation
    for (const c of choices) this.remember(request.prompt + c.text);
    const generatedTokens = choices.reduce((s, c) => s + c.generatedTokens, 0);
    return { choices, usage: { promptTokens, reusedPromptTokens, generatedTokens } };
  }

  async nextTokenProbabilities(
    prompt: string,
    candidates: readonly string[],
    options: ProbabilitiesOptions = {},
  ): Promise<ProbabilitiesResult> {
    this.calls.push({
      method: "nextTokenProbabilities",
      request: { prompt, candidates, ...(options.plainSpans ? { plainSpans: options.plainSpans } : {}) },
    });
    await this.wait(options.signal);
    if (!this.capabilities.candidateLogprobs || !this.options.probabilities) {
      throw new EngineCapabilityError(
        "candidateLogprobs",
        "this scripted engine has no probabilities scripted",
      );
    }
    const probs = this.options.probabilities(prompt);
    const { promptTokens, reusedPromptTokens } = this.countPrompt(prompt);
    return {
      candidates: candidates.map((text) => {
        const p = probs[text];
        return { text, logprob: p === undefined ? null : Math.log(p), tokens: scriptedTokens(text).length };
      }),
      usage: { promptTokens, reusedPromptTokens, generatedTokens: 0 },
    };
  }

  /**
   * Streams each sample's text token by token, at `tokenDelayMs` a token (samples in turn); an
   * abort stops it with an error, as a real engine stops generating.
   */
  private async stream(request: CompletionRequest, choices: CompletionChoice[]): Promise<void> {
    const delay = this.options.tokenDelayMs ?? 0;
    for (const [index, c] of choices.entries()) {
      for (const piece of scriptedTokens(c.text)) {
        if (delay > 0) await new Promise((r) => setTimeout(r, delay));
        if (request.signal?.aborted) {
          this.aborts++;
          throw new EngineError("request aborted", {
            isRetryable: false,
            code: "aborted",
            cause: request.signal.reason,
          });
        }
        request.onDelta!({ index, text: piece });
      }
    }
  }

  /** Calls that ended because their signal aborted (a client gone, a timeout). */
  aborts = 0;

  /** The simulated latency; an abort ends the wait at once, as a real engine stops generating. */
  private async wait(signal?: AbortSignal): Promise<void> {
    const ms = this.options.latencyMs ?? 0;
    if (ms > 0)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          resolve();
        }
        signal?.addEventListener("abort", done, { once: true });
      });
    if (signal?.aborted) {
      this.aborts++;
      throw new EngineError("request aborted", { isRetryable: false, code: "aborted", cause: signal.reason });
    }
  }

  private nextReply(request: CompletionRequest, sampleIndex: number): ScriptedReply {
    if (this.options.respond) {
      try {
        return this.options.respond(request, sampleIndex);
      } catch (error) {
        return error instanceof Error ? error : new Error(String(error));
      }
    }
    const replies = this.options.replies ?? [];
    if (replies.length === 0) throw new EngineError("the scripted engine has no replies scripted");
    return replies[this.replyCursor++ % replies.length]!;
  }

  private sample(request: CompletionRequest, sampleIndex: number): CompletionChoice {
    const reply = this.nextReply(request, sampleIndex);
    if (reply instanceof Error) {
      throw EngineError.isInstance(reply) ? reply : new EngineError(reply.message, { cause: reply });
    }
    const scripted: ScriptedCompletion = typeof reply === "string" ? { text: reply } : reply;
    let text = scripted.text;
    let finishReason: CompletionChoice["finishReason"] = scripted.finishReason ?? "eos";
    let stopSequence: string | undefined;
    // earliest stop string wins, as in real engines
    let cut = -1;
    for (const stop of request.stop ?? []) {
      const at = stop ? text.indexOf(stop) : -1;
      if (at >= 0 && (cut < 0 || at < cut)) {
        cut = at;
        stopSequence = stop;
      }
    }
    if (cut >= 0) {
      text = text.slice(0, cut);
      finishReason = "stop";
    }
    let pieces = scriptedTokens(text);
    if (pieces.length > request.maxTokens) {
      pieces = pieces.slice(0, request.maxTokens);
      text = pieces.join("");
      finishReason = "length";
      stopSequence = undefined;
    }
    const choice: CompletionChoice = { text, finishReason, generatedTokens: pieces.length };
    if (stopSequence !== undefined && this.capabilities.reportsStopSequence)
      choice.stopSequence = stopSequence;
    if (request.topLogprobs && this.capabilities.topLogprobs > 0) {
      choice.tokens = synthesiseTokens(pieces, scripted.stepProbabilities ?? []);
    }
    return choice;
  }

  private remember(text: string): void {
    this.seenPrompts.push(text);
    if (this.seenPrompts.length > 64) this.seenPrompts.shift();
  }

  private countPrompt(prompt: string): { promptTokens: number; reusedPromptTokens: number } {
    let reusedChars = 0;
    if (this.capabilities.prefixCaching) {
      for (const seen of this.seenPrompts)
        reusedChars = Math.max(reusedChars, commonPrefixLength(seen, prompt));
    }
    this.remember(prompt);
    const total = scriptedTokens(prompt).length;
    const reused = Math.min(total, scriptedTokens(prompt.slice(0, reusedChars)).length);
    return { promptTokens: total - reused, reusedPromptTokens: reused };
  }
}

/**
 * Tokens with logprobs: probability 1 everywhere except the first token of each verdict word after
 * `\boxed{`, where the scripted P(correct) is split between "correct" and "incorrect".
 */
function synthesiseTokens(pieces: string[], stepProbabilities: number[]): GeneratedToken[] {
  let verdict = 0;
  return pieces.map((text, i) => {
    const afterBoxed = i >= 2 && pieces[i - 1] === "{" && pieces[i - 2]!.endsWith("boxed");
    const p =
      afterBoxed && (text === "correct" || text === "incorrect") ? stepProbabilities[verdict++] : undefined;
    if (p === undefined) return { text, logprob: 0, top: [{ text, logprob: 0 }] };
    const top = [
      { text: "correct", logprob: Math.log(p) },
      { text: "incorrect", logprob: Math.log(1 - p) },
    ].sort((a, b) => b.logprob - a.logprob);
    return { text, logprob: text === "correct" ? Math.log(p) : Math.log(1 - p), top };
  });
}
