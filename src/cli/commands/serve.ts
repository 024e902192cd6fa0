import { startServer } from "../../server/serve.js";
import { resolveChatTemplate } from "../chat-template-option.js";
import { resolveEngine } from "../engine-spec.js";
import { CliError, type CliIo } from "../io.js";

export interface ServeOptions {
  engine: string;
  model: string;
  host: string;
  port: number;
  insecureNoAuth?: boolean;
  chatTemplate: string;
  maxBody: number;
  maxConcurrent: number;
  maxQueue: number;
  timeout: number;
  maxTokens: number;
  threads?: number;
}

/** Runs until SIGINT/SIGTERM, then finishes the requests in flight and exits. */
export async function runServe(io: CliIo, opts: ServeOptions): Promise<void> {
  const token = opts.insecureNoAuth ? null : io.env.THINKPRM_TOKEN;
  if (token === undefined)
    throw new CliError(
      "set THINKPRM_TOKEN to the bearer token clients must send (or --insecure-no-auth on 127.0.0.1)",
    );
  const engine = await resolveEngine(io, opts.engine, {
    model: opts.model,
    ...(opts.threads ? { threads: opts.threads } : {}),
  });
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      engine,
      chatTemplate: resolveChatTemplate(io, opts.chatTemplate),
      token,
      host: opts.host,
      port: opts.port,
      maxBodyBytes: opts.maxBody,
      maxConcurrent: opts.maxConcurrent,
      maxQueue: opts.maxQueue,
      requestTimeoutMs: opts.timeout * 1000,
      maxTokens: opts.maxTokens,
      log: (entry) => io.stderr.write(`${JSON.stringify(entry)}\n`),
    });
  } catch (error) {
    await engine.close?.();
    throw new CliError((error as Error).message);
  }
  io.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: "info", message: "listening", url: server.url, model: engine.modelId, auth: token !== null })}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  io.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: "info", message: "shutting down: finishing requests in flight" })}\n`,
  );
  await server.close();
  await engine.close?.();
}
