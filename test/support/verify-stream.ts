/**
 * A plain HTTP client for a streamed `POST /v1/verify` (the token is "t"): reads the server-sent
 * events as they arrive; `onEvent` returning true closes the connection right after that event.
 */
import { request } from "node:http";

export interface Sse {
  event: string;
  data: unknown;
}

export function verifyStream(
  url: string,
  body: unknown,
  onEvent: (e: Sse) => boolean | undefined = () => false,
): Promise<{ status: number; type: string; events: Sse[] }> {
  return new Promise((resolve, reject) => {
    const events: Sse[] = [];
    const req = request(
      `${url}/v1/verify`,
      { method: "POST", headers: { authorization: "Bearer t", "content-type": "application/json" } },
      (res) => {
        const done = () =>
          resolve({ status: res.statusCode!, type: String(res.headers["content-type"]), events });
        let buffer = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buffer += chunk;
          for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block
              .split("\n")
              .filter((l) => l.startsWith("data: "))
              .map((l) => l.slice(6))
              .join("\n");
            const e = { event: /^event: (.*)$/m.exec(block)?.[1] ?? "message", data: JSON.parse(data) };
            events.push(e);
            if (onEvent(e)) {
              req.destroy();
              return done();
            }
          }
        });
        res.on("end", done);
      },
    );
    req.on("error", (e) => (req.destroyed ? undefined : reject(e)));
    req.end(JSON.stringify(body));
  });
}
