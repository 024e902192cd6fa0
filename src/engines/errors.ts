/**
 * Transport and capability failures are error classes with an `isRetryable` flag (DESIGN.md);
 * the retry logic reads only that flag.
 */

const MARKER = Symbol.for("thinkprm.engine-error");

export class EngineError extends Error {
  readonly [MARKER] = true;
  readonly isRetryable: boolean;
  constructor(message: string, options: { isRetryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "EngineError";
    this.isRetryable = options.isRetryable ?? false;
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
    super(message, { isRetryable: false });
    this.name = "EngineCapabilityError";
    this.capability = capability;
  }
}
