/**
 * Transport and capability failures are error classes with an `isRetryable` flag (DESIGN.md);
 * the retry logic reads only that flag.
 */
import type { EngineUsage } from "./types.js";

const MARKER = Symbol.for("thinkprm.engine-error");

/**
 * What kind of failure: `unavailable` (no answer: refused, reset, DNS), `timeout`, `server_error`
 * (5xx, 429 after retries), `malformed_response` (an answer that breaks the protocol: NaN or positive
 * logprobs, fewer choices than asked, an aborted generation, a body that is not JSON),
 * `bad_request` (4xx: our request was wrong), `aborted` (the caller cancelled), `capability`,
 * `model` (the model or its files), `other`.
 */
export type EngineErrorCode =
  | "unavailable"
  | "timeout"
  | "server_error"
  | "malformed_response"
  | "bad_request"
  | "aborted"
  | "capability"
  | "model"
  | "other";

export class EngineError extends Error {
  readonly [MARKER] = true;
  readonly isRetryable: boolean;
  readonly code: EngineErrorCode;
  /**
   * What the failed call had already cost, when the engine knows: a streamed completion aborted
   * midway carries the tokens received before the connection was closed (see the engine's docs
   * for how it counts them). Absent when nothing is known.
   */
  readonly partialUsage?: EngineUsage;
  constructor(
    message: string,
    options: {
      isRetryable?: boolean;
      cause?: unknown;
      code?: EngineErrorCode;
      partialUsage?: EngineUsage;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "EngineError";
    this.isRetryable = options.isRetryable ?? false;
    this.code = options.code ?? "other";
    if (options.partialUsage) this.partialUsage = options.partialUsage;
  }
  /** Works across two installed copies of the package, unlike `instanceof`. */
  static isInstance(error: unknown): error is EngineError {
    return typeof error === "object" && error !== null && MARKER in error;
  }
}

/** The engine cannot do what was asked (no logprobs, no stop reporting, …). Never retryable. */
export class EngineCapabilityError extends EngineError {
  readonly capability: string;
  constructor(capability: string, message: string) {
    super(message, { isRetryable: false, code: "capability" });
    this.name = "EngineCapabilityError";
    this.capability = capability;
  }
}

const TRANSIENT: ReadonlySet<string> = new Set([
  "unavailable",
  "timeout",
  "server_error",
  "malformed_response",
]);

/**
 * Whether a failure of this code recurs on a rerun of the same configuration. A retry may cure
 * `unavailable`, `timeout`, `server_error` and `malformed_response` (the server or the network was
 * at fault, an answer came back garbled); every other code — `bad_request`, `capability`, `model`,
 * `other`: a prompt past the context, a request the server refuses, a scripted engine with no
 * reply for the prompt — fails the same way again.
 *
 * @example
 * failsAgain("unavailable") // false
 * failsAgain("bad_request") // true
 */
export function failsAgain(code: string): boolean {
  return !TRANSIENT.has(code);
}
