/**
 * A `fetch` for the OpenAI client over `node:http`/`node:https` with a keep-alive agent sized to
 * the engine's window. Node's built-in fetch (undici) costs several times more CPU per request;
 * with 64 requests in flight against a fast server, that CPU — not the server — became the
 * bottleneck, and the window emptied (`npm run bench:http`). Bodies are read whole (completion
 * answers are small JSON); the caller's AbortSignal destroys the request.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

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
    if (signal?.aborted) throw signal.reason ?? new DOMException("aborted", "AbortError");
    return new Promise<Response>((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(
        url,
        { method: init.method ?? "GET", headers, agent: agents[secure ? "https:" : "http:"] },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            signal?.removeEventListener("abort", onAbort);
            const out = new Headers();
            for (const [k, v] of Object.entries(res.headers)) {
              if (Array.isArray(v)) for (const x of v) out.append(k, x);
              else if (v !== undefined) out.set(k, v);
            }
            const status = res.statusCode ?? 0;
            // a Response cannot carry a body with these statuses
            const empty = status === 204 || status === 304 || init.method === "HEAD";
            resolve(
              new Response(empty ? null : Buffer.concat(chunks), {
                status,
                statusText: res.statusMessage ?? "",
                headers: out,
              }),
            );
          });
        },
      );
      const onAbort = () => req.destroy(signal?.reason ?? new DOMException("aborted", "AbortError"));
      signal?.addEventListener("abort", onAbort, { once: true });
      req.on("error", (error) => {
        signal?.removeEventListener("abort", onAbort);
        reject(error);
      });
      if (body !== undefined) req.write(body);
      req.end();
    });
  }) as typeof fetch;
}
