/**
 * Bounds on what one answer of a server may cost the client: its size and its time. Any `fetch`
 * (ours over `node:http`, or one a library user passes) is wrapped, so a server that sends a 2 GB
 * body — by a bug, or as an attack — costs at most the cap in memory, and a body that never ends
 * cannot outlive the request timeout (the `openai` client's own timer stops once the headers are in,
 * which with a streamed body is long before the answer ends).
 */
import { EngineError } from "../errors.js";

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
 * `fetch` with every response body bounded by `limits`: a declared content-length past the cap
 * fails before a byte is read; a body that grows past it, or runs past the deadline, fails the read
 * with a typed `EngineError` and cancels the underlying body (which closes the connection, so the
 * server stops sending). Bodies are passed on chunk by chunk, as they arrive.
 */
export function limitResponses(inner: typeof fetch, url: string, limits: ResponseLimits): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const started = performance.now();
    const response = await inner(input, init);
    if (response.body === null) return response;
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    const body =
      declared > limits.maxResponseBytes
        ? failedBody(response.body, responseTooLarge(url, limits.maxResponseBytes, declared))
        : boundedBody(response.body, url, limits, limits.timeoutMs - (performance.now() - started));
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }) as typeof fetch;
}

/** A body that fails at its first read; the real one is cancelled unread. */
function failedBody(inner: ReadableStream<Uint8Array>, error: EngineError): ReadableStream<Uint8Array> {
  inner.cancel(error).catch(() => {});
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.error(error);
    },
  });
}

function boundedBody(
  inner: ReadableStream<Uint8Array>,
  url: string,
  limits: ResponseLimits,
  msLeft: number,
): ReadableStream<Uint8Array> {
  const reader = inner.getReader();
  let received = 0;
  let over = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = (controller: ReadableStreamDefaultController<Uint8Array>, error: EngineError) => {
    if (over) return;
    over = true;
    clearTimeout(timer);
    controller.error(error);
    reader.cancel(error).catch(() => {});
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        timer = setTimeout(
          () => stop(controller, responseTimedOut(url, limits.timeoutMs, received)),
          Math.max(0, msLeft),
        );
        // a timer must not keep a process alive that has nothing else to do
        timer.unref?.();
      },
      async pull(controller) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (error) {
          if (!over) {
            over = true;
            clearTimeout(timer);
            controller.error(error);
          }
          return;
        }
        if (over) return;
        if (chunk.done) {
          over = true;
          clearTimeout(timer);
          controller.close();
          return;
        }
        received += chunk.value.byteLength;
        if (received > limits.maxResponseBytes)
          return stop(controller, responseTooLarge(url, limits.maxResponseBytes));
        controller.enqueue(chunk.value);
      },
      cancel(reason) {
        over = true;
        clearTimeout(timer);
        return reader.cancel(reason);
      },
    },
    // read from the source only when our reader asks: backpressure reaches the socket
    { highWaterMark: 0 },
  );
}
