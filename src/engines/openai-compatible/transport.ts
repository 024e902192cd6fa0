/**
 * One HTTP exchange, as the wire client needs it: send a request, get the status and headers, then
 * read the body chunk by chunk (with backpressure) or close it. Two implementations:
 *
 * - `nodeTransport`, the default: `node:http`/`node:https` with a keep-alive agent sized to the
 *   engine's window, and nothing between the socket and the client. Node's `fetch` (undici), and
 *   the web streams and `Response` objects around it, cost several times the CPU per request; with
 *   64 requests in flight against a fast server that CPU, not the server, emptied the window
 *   (`npm run bench:http`).
 * - `fetchTransport(fetch)`: any `fetch` a library user passes (a proxy, an instrumented client).
 *
 * The caller's AbortSignal destroys the connection at any point — before the headers or mid-body —
 * so the server sees it closed at once. A body read to its end leaves the socket to the agent for
 * the next request; a closed one closes it. A connection that closes before the body ends fails
 * the read (the client reports it as a cut-off answer), never a short body that parses.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

export interface RawResponse {
  status: number;
  /** A response header (name in lower case), or null. */
  header(name: string): string | null;
  /** The body, chunk by chunk; fails if the connection closes before the body ends. */
  chunks: AsyncIterable<Uint8Array>;
  /** Stops reading and closes the connection (the server stops sending). */
  close(): void;
}

export interface TransportRequest {
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** A `performance.now()` time: no headers by then fails the request with `HeadersTimeout`. */
  headersBy: number;
}

/** The server sent no headers before the request's deadline (the connection is closed). */
export class HeadersTimeout extends Error {
  constructor() {
    super("no answer before the deadline");
    this.name = "HeadersTimeout";
  }
}

/** Runs `onLate` at `deadline` unless the returned function is called first. */
export function atDeadline(deadline: number, onLate: () => void): () => void {
  const timer = setTimeout(onLate, Math.max(0, deadline - performance.now()));
  // a timer must not keep a process alive that has nothing else to do
  timer.unref?.();
  return () => clearTimeout(timer);
}

export type Transport = (url: URL, request: TransportRequest) => Promise<RawResponse>;

/** The signal's reason, or an `AbortError` when it gave none. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("aborted", "AbortError");
}

export function nodeTransport(maxSockets: number): Transport {
  const agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets }),
    https: new HttpsAgent({ keepAlive: true, maxSockets }),
  };
  return (url, { method, headers, body, signal, headersBy }) => {
    const secure = url.protocol === "https:";
    if (!secure && url.protocol !== "http:")
      return Promise.reject(new TypeError(`unsupported protocol ${url.protocol}`));
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const sent =
      body === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) };
    return new Promise<RawResponse>((resolve, reject) => {
      let response: IncomingMessage | undefined;
      const onAbort = () => {
        const reason = abortReason(signal!) as Error;
        response?.destroy(reason);
        req.destroy(reason);
      };
      const cancelTimeout = atDeadline(headersBy, () => req.destroy(new HeadersTimeout()));
      const req = (secure ? httpsRequest : httpRequest)(
        url,
        { method, headers: sent, agent: secure ? agents.https : agents.http },
        (res) => {
          response = res;
          cancelTimeout();
          const done = () => signal?.removeEventListener("abort", onAbort);
          res.once("end", done);
          res.once("close", done);
          resolve({
            status: res.statusCode ?? 0,
            header: (name) => {
              const v = res.headers[name];
              return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
            },
            // an IncomingMessage iterates its chunks with backpressure, and its iteration fails
            // ("aborted") when the connection closes before the body's declared end
            chunks: res,
            close: () => res.destroy(),
          });
        },
      );
      signal?.addEventListener("abort", onAbort, { once: true });
      req.on("error", (error) => {
        if (response) return; // after the headers, the body's reader sees the failure
        cancelTimeout();
        signal?.removeEventListener("abort", onAbort);
        reject(signal?.aborted ? abortReason(signal) : error);
      });
      // headers and body in one write (a write then an empty end costs a second syscall per request)
      req.end(body);
    });
  };
}

/** Any `fetch` as a transport. */
export function fetchTransport(fetchImpl: typeof fetch): Transport {
  return async (url, { method, headers, body, signal, headersBy }) => {
    const late = new AbortController();
    const cancelTimeout = atDeadline(headersBy, () => late.abort(new HeadersTimeout()));
    let res: Response;
    try {
      res = await fetchImpl(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: signal ? AbortSignal.any([signal, late.signal]) : late.signal,
      });
    } catch (error) {
      throw late.signal.aborted && !signal?.aborted ? late.signal.reason : error;
    } finally {
      cancelTimeout();
    }
    const reader = res.body?.getReader();
    return {
      status: res.status,
      header: (name) => res.headers.get(name),
      chunks: {
        async *[Symbol.asyncIterator]() {
          if (!reader) return;
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return;
            yield value;
          }
        },
      },
      close: () => {
        reader?.cancel().catch(() => {});
      },
    };
  };
}
