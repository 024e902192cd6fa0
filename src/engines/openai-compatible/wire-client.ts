/**
 * The client of one OpenAI-compatible endpoint: JSON requests and server-sent-event streams over a
 * transport (transport.ts), with the retries, deadlines and typed errors the engine relies on.
 * It replaces the `openai` package, whose per-request machinery (headers objects, web streams,
 * `Response`s, logging, abort plumbing) cost as much CPU as everything else in a verification and
 * kept a 64-request window from staying full against a fast server (`npm run bench:http`).
 *
 * What a request does:
 * - each attempt has one deadline, `timeoutMs` from its start to the body's last byte;
 * - it is tried again (up to `maxRetries` times) when no answer came (refused, reset, timed out
 *   before the headers) or the server answered 408, 409, 429 or 5xx — the cases the `openai`
 *   client retried, with its schedule: a server's `retry-after-ms` / `retry-after` under a minute
 *   is honoured, otherwise 0.5 s × 2^attempt (at most 8 s) less up to a quarter of jitter, and a
 *   server's `x-should-retry: true|false` decides over the status;
 * - an answer that arrives is not retried here: one that is cut off or not valid JSON is a
 *   `malformed_response` the engine may ask again; errors are `EngineError`s throughout.
 */
import { EngineError } from "../errors.js";
import { limitedChunks, type ResponseLimits } from "./response-limits.js";
import { abortReason, HeadersTimeout, type RawResponse, type Transport } from "./transport.js";
import { malformed } from "./wire.js";

export interface WireClientOptions extends ResponseLimits {
  /** The base URL, ending in /v1. */
  baseURL: string;
  apiKey: string;
  maxRetries: number;
  transport: Transport;
}

/** A server's error text, shortened: it ends up in messages and logs. */
const DETAIL_CHARS = 500;

export class WireClient {
  private readonly base: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly options: WireClientOptions) {
    this.base = options.baseURL.replace(/\/+$/, "");
    this.headers = { authorization: `Bearer ${options.apiKey}`, accept: "application/json" };
  }

  /** GET or POST `path` and the answer's body: parsed when the server says it is JSON, else its text. */
  async json(path: string, body?: unknown, signal?: AbortSignal): Promise<unknown> {
    const { res, deadline } = await this.send(path, body, signal);
    const chunks: Uint8Array[] = [];
    for await (const c of limitedChunks(res, this.options.baseURL, this.options, deadline, signal))
      chunks.push(c);
    // a 204 has no body: null, as the `openai` client gave (the engine names it)
    if (res.status === 204) return null;
    const text = Buffer.concat(chunks).toString("utf8");
    if (text === "" || !(res.header("content-type") ?? "").includes("json")) return text;
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new EngineError(
        `${this.options.baseURL}: the answer was not valid JSON (${(error as Error).message})`,
        { code: "malformed_response", isRetryable: true, cause: error },
      );
    }
  }

  /**
   * POST `path` and read the answer as server-sent events: each `data:` payload, parsed, until
   * `[DONE]` or the body's end. A payload that is not JSON is a `malformed_response`; one that
   * carries an `error` is the server's failure mid-stream. Stopping the iteration closes the
   * connection.
   */
  async *events(path: string, body: unknown, signal?: AbortSignal): AsyncGenerator<unknown> {
    const { res, deadline } = await this.send(path, body, signal, "text/event-stream");
    const url = this.options.baseURL;
    if (res.status === 204) {
      res.close();
      throw malformed(url, "a streamed answer (status 204) with no body");
    }
    const decoder = new TextDecoder();
    let buffer = "";
    // after [DONE] the rest of the body (normally nothing) is read to its end, so that the
    // connection goes back to the pool instead of being closed
    let finished = false;
    let data: string[] = [];
    let event: string | null = null;
    for await (const chunk of limitedChunks(res, url, this.options, deadline, signal)) {
      if (finished) continue;
      buffer += decoder.decode(chunk, { stream: true });
      // a line ends at \n, \r\n or \r; a blank line dispatches the event
      for (let m = /\r\n|\n|\r(?!$)/.exec(buffer); m; m = /\r\n|\n|\r(?!$)/.exec(buffer)) {
        const line = buffer.slice(0, m.index);
        buffer = buffer.slice(m.index + m[0].length);
        if (line === "") {
          if (data.length > 0) {
            const payload = data.join("\n");
            data = [];
            if (payload.trim() === "[DONE]") {
              finished = true;
              break;
            }
            yield parsedEvent(url, payload, event);
          }
          event = null;
        } else if (line.startsWith("data:")) data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
        else if (line.startsWith("event:")) event = line.slice(6).trim();
      }
    }
    // a last event the server did not end with a blank line
    if (!finished && data.length > 0 && data.join("\n").trim() !== "[DONE]")
      yield parsedEvent(url, data.join("\n"), event);
  }

  /** One request, tried again while it may be (see the module's docs); resolves at a 2xx's headers. */
  private async send(
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
    accept?: string,
  ): Promise<{ res: RawResponse; deadline: number }> {
    const url = new URL(`${this.base}${path}`);
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers =
      text === undefined
        ? { ...this.headers, ...(accept ? { accept } : {}) }
        : { ...this.headers, "content-type": "application/json", ...(accept ? { accept } : {}) };
    const where = this.options.baseURL;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw aborted(signal);
      const deadline = performance.now() + this.options.timeoutMs;
      let failure: EngineError;
      let retryAfterMs: number | undefined;
      let res: RawResponse | undefined;
      try {
        res = await this.options.transport(url, {
          method: text === undefined ? "GET" : "POST",
          headers,
          headersBy: deadline,
          ...(text === undefined ? {} : { body: text }),
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        if (signal?.aborted) throw aborted(signal);
        failure =
          error instanceof HeadersTimeout
            ? new EngineError(`${where} did not answer in time (after the client's retries)`, {
                code: "timeout",
                isRetryable: true,
              })
            : new EngineError(
                `${where} could not be reached (after the client's retries): ${(error as Error)?.message ?? error}`,
                { code: "unavailable", isRetryable: true, cause: error },
              );
      }
      if (res) {
        if (res.status >= 200 && res.status < 300) return { res, deadline };
        const detail = await errorDetail(res, where, this.options, deadline, signal);
        const retryable = shouldRetry(res);
        failure = new EngineError(`${where} answered ${res.status}: ${detail}`, {
          code: retryable ? "server_error" : "bad_request",
          isRetryable: retryable,
        });
        retryAfterMs = retryAfter(res);
        if (!retryable) throw failure;
      }
      if (attempt >= this.options.maxRetries) throw failure!;
      await sleep(retryAfterMs ?? backoffMs(attempt), signal);
    }
  }
}

function aborted(signal: AbortSignal): EngineError {
  return new EngineError("request aborted", { code: "aborted", cause: abortReason(signal) });
}

function shouldRetry(res: RawResponse): boolean {
  const told = res.header("x-should-retry");
  if (told === "true") return true;
  if (told === "false") return false;
  return res.status === 408 || res.status === 409 || res.status === 429 || res.status >= 500;
}

/** The wait a server asked for, when it asked for one under a minute. */
function retryAfter(res: RawResponse): number | undefined {
  const ms = Number.parseFloat(res.header("retry-after-ms") ?? "");
  if (ms > 0 && ms < 60_000) return ms;
  const header = res.header("retry-after");
  if (header === null) return undefined;
  const seconds = Number.parseFloat(header);
  const wait = Number.isNaN(seconds) ? Date.parse(header) - Date.now() : seconds * 1000;
  return wait > 0 && wait < 60_000 ? wait : undefined;
}

function backoffMs(attempt: number): number {
  return Math.min(500 * 2 ** attempt, 8_000) * (1 - Math.random() * 0.25);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted(signal!));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** What an error answer says: its JSON `error.message` (or `error`, or `message`), else its text. */
async function errorDetail(
  res: RawResponse,
  where: string,
  limits: ResponseLimits,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<string> {
  let text = "";
  try {
    const chunks: Uint8Array[] = [];
    for await (const c of limitedChunks(res, where, limits, deadline, signal)) chunks.push(c);
    text = Buffer.concat(chunks).toString("utf8");
  } catch (error) {
    if (signal?.aborted) throw aborted(signal);
    return `(the error's body could not be read: ${(error as Error).message})`;
  }
  let said: unknown = text;
  try {
    const parsed = JSON.parse(text) as { error?: unknown; message?: unknown };
    const e = parsed?.error as { message?: unknown } | string | undefined;
    said = (typeof e === "object" && e !== null ? e.message : e) ?? parsed?.message ?? text;
  } catch {
    // not JSON: the text itself
  }
  const shown = typeof said === "string" ? said : JSON.stringify(said);
  return shown.trim() === "" ? "(no body)" : shown.slice(0, DETAIL_CHARS);
}

function parsedEvent(url: string, payload: string, event: string | null): unknown {
  let data: unknown;
  try {
    data = JSON.parse(payload);
  } catch (error) {
    throw new EngineError(`${url}: a streamed event was not valid JSON (${(error as Error).message})`, {
      code: "malformed_response",
      isRetryable: true,
    });
  }
  const error = (data as { error?: unknown } | null)?.error;
  if (event === "error" || (error !== undefined && error !== null)) {
    const e = error as { message?: unknown } | string | undefined;
    const said = typeof e === "object" && e !== null ? e.message : e;
    throw new EngineError(
      `${url} reported an error mid-stream: ${String(said ?? payload).slice(0, DETAIL_CHARS)}`,
      { code: "server_error", isRetryable: true },
    );
  }
  return data;
}
