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
import { abortReason, atDeadline, HeadersTimeout, type RawResponse, type Transport } from "./transport.js";
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
/** Of an error answer's body, what is read for its message (the rest is not worth the memory). */
const ERROR_BODY_BYTES = 64 * 1024;
/** After `[DONE]`: how long, and how much, the rest of a streamed body is read to keep its connection. */
const DRAIN_MS = 100;
const DRAIN_BYTES = 64 * 1024;

/**
 * Lines of a text that arrives in pieces, each ending at \n, \r\n or \r (a \r\n split between two
 * pieces is one line end). Linear in the text: a piece is scanned once, and a line that spans many
 * pieces is joined once, when it ends.
 */
class LineSplitter {
  private pending: string[] = [];
  private afterCR = false;

  push(text: string): string[] {
    const out: string[] = [];
    let start = this.afterCR && text.startsWith("\n") ? 1 : 0;
    if (text.length > 0) this.afterCR = false;
    const ends = /\r\n|\r|\n/g;
    ends.lastIndex = start;
    for (let m = ends.exec(text); m; m = ends.exec(text)) {
      this.pending.push(text.slice(start, m.index));
      out.push(this.pending.join(""));
      this.pending = [];
      start = m.index + m[0].length;
      if (m[0] === "\r" && start === text.length) this.afterCR = true;
    }
    if (start < text.length) this.pending.push(text.slice(start));
    return out;
  }

  /** What is left, as a last line (when there is any). */
  end(): string[] {
    const rest = this.pending.join("");
    this.pending = [];
    return rest === "" ? [] : [rest];
  }
}

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
    const lines = new LineSplitter();
    let data: string[] = [];
    let event: string | null = null;
    /** At a blank line (an event's end), the event's payload and name, when it has a payload. */
    const dispatch = (line: string): { payload: string; name: string | null } | undefined => {
      if (line === "") {
        const ended = data.length > 0 ? { payload: data.join("\n"), name: event } : undefined;
        data = [];
        event = null;
        return ended;
      }
      if (line.startsWith("data:")) data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
      else if (line.startsWith("event:")) event = line.slice(6).trim();
      return undefined;
    };
    // after [DONE] the answer is whole; the rest of the body (normally nothing: its end is on its
    // way) is read for a moment, so that the connection goes back to the pool, then given up
    let finished = false;
    let drained = 0;
    let grace: (() => void) | undefined;
    try {
      for await (const chunk of limitedChunks(res, url, this.options, deadline, signal)) {
        if (finished) {
          drained += chunk.byteLength;
          if (drained > DRAIN_BYTES) break;
          continue;
        }
        for (const line of lines.push(decoder.decode(chunk, { stream: true }))) {
          const ended = dispatch(line);
          if (ended === undefined) continue;
          if (ended.payload.trim() === "[DONE]") {
            finished = true;
            grace = atDeadline(performance.now() + DRAIN_MS, () => res.close());
            break;
          }
          yield parsedEvent(url, ended.payload, ended.name);
        }
      }
    } catch (error) {
      // a connection closed while draining costs only the connection
      if (!finished) throw error;
    } finally {
      grace?.();
    }
    if (finished) return;
    // the body ended: a last line without its line break, and a last event without its blank line
    for (const line of [...lines.push(decoder.decode()), ...lines.end(), ""]) {
      const ended = dispatch(line);
      if (ended !== undefined && ended.payload.trim() !== "[DONE]")
        yield parsedEvent(url, ended.payload, ended.name);
    }
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
        // the code says whose fault it is (the status); whether to ask again may be the server's say
        failure = new EngineError(`${where} answered ${res.status}: ${detail}`, {
          code: serverAtFault(res.status) ? "server_error" : "bad_request",
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
  return serverAtFault(res.status);
}

/** Statuses that say the server (busy, down, conflicting) failed, not the request. */
function serverAtFault(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
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
  const chunks: Uint8Array[] = [];
  const head = { ...limits, maxResponseBytes: Math.min(limits.maxResponseBytes, ERROR_BODY_BYTES) };
  try {
    for await (const c of limitedChunks(res, where, head, deadline, signal)) chunks.push(c);
  } catch (error) {
    if (signal?.aborted) throw aborted(signal);
    // past the first 64 KiB (the connection is closed) or cut off: what was read says enough
    if (chunks.length === 0) return `(the error's body could not be read: ${(error as Error).message})`;
  }
  const text = Buffer.concat(chunks).toString("utf8");
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
