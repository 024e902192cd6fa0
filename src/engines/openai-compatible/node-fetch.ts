/**
 * A `fetch` for the OpenAI client over `node:http`/`node:https` with a keep-alive agent sized to
 * the engine's window. Node's built-in fetch (undici) costs several times more CPU per request;
 * with 64 requests in flight against a fast server, that CPU — not the server — became the
 * bottleneck, and the window emptied (`npm run bench:http`).
 *
 * The body is a real stream: it resolves at the headers and hands on each chunk as it arrives (a
 * streamed completion's deltas reach `onDelta` while the server is still generating), with
 * backpressure (the socket pauses while the reader is behind). The caller's AbortSignal destroys the
 * connection at any point — before the headers or mid-body — so the server sees it closed at once. A
 * body read to its end leaves the socket to the agent for the next request; a cancelled one closes
 * it. A connection that closes before the body ends fails the read with `malformed_response` (the
 * answer was cut off), never a short body that parses. Size and time limits are
 * `limitResponses`' (response-limits.ts), which wraps this.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { EngineError } from "../errors.js";

/** Bytes a response may hold unread before the socket is paused. */
const BODY_HIGH_WATER_MARK = 256 * 1024;

export function nodeFetch(maxSockets: number): typeof fetch {
  const agents = {
    "http:": new HttpAgent({ keepAlive: true, maxSockets }),
    "https:": new HttpsAgent({ keepAlive: true, maxSockets }),
  };
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
    const secure = url.protocol === "https:";
    if (!secure && url.protocol !== "http:") throw new TypeError(`unsupported protocol ${url.protocol}`);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => {
      headers[k] = v;
    });
    const body =
      init.body === undefined || init.body === null
        ? undefined
        : typeof init.body === "string"
          ? init.body
          : Buffer.from(await new Response(init.body).arrayBuffer());
    if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
    const signal = init.signal ?? undefined;
    if (signal?.aborted) throw abortReason(signal);
    return new Promise<Response>((resolve, reject) => {
      /** Set once the headers are in: from then on failures go to the body's reader. */
      let failBody: ((error: unknown) => void) | undefined;
      const onAbort = () => {
        const reason = abortReason(signal!);
        failBody?.(reason);
        req.destroy(reason as Error);
      };
      const done = () => signal?.removeEventListener("abort", onAbort);
      const req = (secure ? httpsRequest : httpRequest)(
        url,
        { method: init.method ?? "GET", headers, agent: agents[secure ? "https:" : "http:"] },
        (res: IncomingMessage) => {
          const out = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (Array.isArray(v)) for (const x of v) out.append(k, x);
            else if (v !== undefined) out.set(k, v);
          }
          const status = res.statusCode ?? 0;
          const meta = { status, statusText: res.statusMessage ?? "", headers: out };
          // a Response cannot carry a body with these statuses
          if (status === 204 || status === 304 || init.method === "HEAD") {
            res.resume();
            res.once("end", done);
            res.once("close", done);
            return resolve(new Response(null, meta));
          }
          const stream = streamOf(res, `${url.origin}${url.pathname}`, done);
          failBody = stream.fail;
          resolve(new Response(stream.body, meta));
        },
      );
      signal?.addEventListener("abort", onAbort, { once: true });
      req.on("error", (error) => {
        if (failBody) return failBody(error);
        done();
        reject(error);
      });
      if (body !== undefined) req.write(body);
      req.end();
    });
  }) as typeof fetch;
}

/** The signal's reason, or an `AbortError` when it gave none. */
function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("aborted", "AbortError");
}

/**
 * The body of `res` as a web stream. `fail` ends it with an error (and closes the connection);
 * `done` runs once, however it ends.
 */
function streamOf(
  res: IncomingMessage,
  where: string,
  done: () => void,
): { body: ReadableStream<Uint8Array>; fail: (error: unknown) => void } {
  let open = true;
  let received = 0;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const end = () => {
    open = false;
    done();
  };
  const fail = (error: unknown) => {
    if (!open) return;
    end();
    controller.error(error);
    res.destroy();
  };
  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        res.on("data", (chunk: Buffer) => {
          if (!open) return;
          received += chunk.byteLength;
          c.enqueue(chunk);
          if ((c.desiredSize ?? 0) <= 0) res.pause();
        });
        res.on("end", () => {
          if (!open) return;
          end();
          c.close();
        });
        const cutOff = () =>
          fail(
            new EngineError(
              `${where}: the connection closed after ${received} bytes, before the answer ended`,
              { code: "malformed_response", isRetryable: true },
            ),
          );
        res.on("error", cutOff);
        res.on("close", () => open && cutOff());
      },
      pull() {
        if (open) res.resume();
      },
      cancel() {
        if (!open) return;
        end();
        res.destroy();
      },
    },
    { highWaterMark: BODY_HIGH_WATER_MARK, size: (chunk) => chunk.byteLength },
  );
  return { body, fail };
}
