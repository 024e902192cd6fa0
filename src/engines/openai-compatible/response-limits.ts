/**
 * Bounds on what one answer of a server may cost the client: its size and its time. Every body
 * the wire client reads (over any transport) goes through `limitedChunks`, so a server that sends
 * a 2 GB body — by a bug, or as an attack — costs at most the cap in memory, and a body that never
 * ends cannot outlive the request's deadline (which, for a streamed answer, is long after the
 * headers came).
 */
import { EngineError } from "../errors.js";
import { atDeadline, type RawResponse } from "./transport.js";

export interface ResponseLimits {
  /** Bytes one response body may have (streamed or not). */
  maxResponseBytes: number;
  /** Milliseconds from the request to the body's last byte. */
  timeoutMs: number;
}

/** 64 MiB: far above any completion (8k tokens with 20 top logprobs each is ~5 MB), far below harm. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

const mib = (bytes: number) => `${+(bytes / (1024 * 1024)).toFixed(2)} MiB`;

/** Past the cap: not worth asking again (the same request gets the same answer), so not retryable. */
export function responseTooLarge(url: string, maxBytes: number, declared?: number): EngineError {
  const what =
    declared === undefined ? `more than ${mib(maxBytes)}` : `a body of ${mib(declared)} (content-length)`;
  return new EngineError(
    `${url} answered with ${what}, past the response cap of ${mib(maxBytes)}; raise it with --max-response-mib (CLI) or maxResponseBytes in the engine spec if the server's answers are really that large`,
    { code: "malformed_response", isRetryable: false },
  );
}

export function responseTimedOut(url: string, timeoutMs: number, received: number): EngineError {
  return new EngineError(
    `${url} did not finish its answer within ${timeoutMs / 1000} s (${received} bytes received); raise --request-timeout if its chains are that long`,
    { code: "timeout", isRetryable: true },
  );
}

/**
 * The body's chunks, bounded by `limits`: a declared content-length past the cap fails before a
 * byte is read; a body that grows past it, or runs past `deadline` (a `performance.now()` time),
 * fails with a typed `EngineError` and closes the connection, so the server stops sending. A
 * connection that closes before the body ends is a cut-off answer (`malformed_response`, worth
 * asking again); one the caller's signal closed is `aborted`. A reader that stops early closes
 * the connection too.
 */
export async function* limitedChunks(
  res: RawResponse,
  url: string,
  limits: ResponseLimits,
  deadline: number,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const declared = Number(res.header("content-length") ?? Number.NaN);
  if (declared > limits.maxResponseBytes) {
    res.close();
    throw responseTooLarge(url, limits.maxResponseBytes, declared);
  }
  let received = 0;
  let timedOut = false;
  let ended = false;
  const cancelTimeout = atDeadline(deadline, () => {
    timedOut = true;
    res.close();
  });
  try {
    for await (const chunk of res.chunks) {
      if (timedOut) break;
      received += chunk.byteLength;
      if (received > limits.maxResponseBytes) throw responseTooLarge(url, limits.maxResponseBytes);
      yield chunk;
    }
    if (!timedOut) ended = true;
  } catch (error) {
    if (EngineError.isInstance(error)) throw error;
    if (signal?.aborted) throw new EngineError("request aborted", { code: "aborted", cause: signal.reason });
    if (!timedOut)
      throw new EngineError(
        `${url}: the connection closed after ${received} bytes, before the answer ended`,
        {
          code: "malformed_response",
          isRetryable: true,
          cause: error,
        },
      );
  } finally {
    cancelTimeout();
    if (!ended) res.close();
  }
  if (signal?.aborted && !ended)
    throw new EngineError("request aborted", { code: "aborted", cause: signal.reason });
  if (timedOut) throw responseTimedOut(url, limits.timeoutMs, received);
}
