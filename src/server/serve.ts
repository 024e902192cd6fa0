/** Starts the service on a port, and stops it gracefully: no new connections, in-flight requests finish. */
import { type ServerType, serve } from "@hono/node-server";
import { createApp, type ServerOptions } from "./app.js";

export interface RunningServer {
  url: string;
  port: number;
  /** Stops accepting, waits for in-flight requests, then resolves. */
  close(): Promise<void>;
}

export const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

export async function startServer(
  options: ServerOptions & { host?: string; port?: number },
): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  if (options.token !== null && options.token.trim() === "")
    throw new Error("an empty token is no token: give a real one, or null (loopback only)");
  if (options.token === null && !LOOPBACK.has(host)) {
    throw new Error(
      `refusing to serve without a token on ${host}: only loopback addresses may run without auth`,
    );
  }
  const { app, admission } = createApp(options);
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: host, port: options.port ?? 8000 }, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : (options.port ?? 8000);
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    async close() {
      const http = server as unknown as {
        closeIdleConnections?: () => void;
        closeAllConnections?: () => void;
      };
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // idle keep-alive connections would hold close() for seconds; busy ones finish their request
      http.closeIdleConnections?.();
      await admission.drained();
      // those busy a moment ago are idle now, kept alive by their clients (a browser tab holds its
      // connections): every request is answered, so they are closed too, and any still open after
      // a second for the last bytes to leave
      http.closeIdleConnections?.();
      const last = setTimeout(() => http.closeAllConnections?.(), 1000);
      last.unref();
      await closed;
      clearTimeout(last);
    },
  };
}
