/**
 * `thinkprm serve`: the engine and the verifier settings from the same flags as every verifying
 * command (they become each request's defaults); runs until SIGINT/SIGTERM, then finishes the
 * requests in flight and exits.
 */
import { resolveChatTemplate } from "../../engines/chat-template-source.js";
import { createEngine } from "../../engines/create.js";
import { normalizeToken } from "../../server/auth.js";
import { LOOPBACK, startServer } from "../../server/serve.js";
import { verifierSettingsSchema } from "../../verifier/settings.js";
import { CliError, type CliIo } from "../io.js";
import { engineSpecFrom, verifierSettingsFrom } from "../settings-options.js";

type Opts = Record<string, unknown>;

export async function runServe(io: CliIo, opts: Opts): Promise<void> {
  const host = opts.host as string;
  let token: string | null = null;
  if (!opts.insecureNoAuth) {
    token = normalizeToken(io.env.THINKPRM_TOKEN);
    if (token === null)
      throw new CliError(
        io.env.THINKPRM_TOKEN === undefined
          ? "set THINKPRM_TOKEN to the bearer token clients must send (or --insecure-no-auth on 127.0.0.1)"
          : "THINKPRM_TOKEN is empty (or only whitespace), which is no token: set it to the bearer token clients must send (or --insecure-no-auth on 127.0.0.1)",
      );
    if (/\s/.test(token))
      throw new CliError("THINKPRM_TOKEN contains whitespace, which a Bearer header cannot carry");
  } else if (!LOOPBACK.has(host)) {
    throw new CliError(
      `--insecure-no-auth is refused on ${host}: only loopback addresses may run without a token`,
    );
  }
  const defaults = verifierSettingsFrom(opts, { omit: ["method"] });
  const spec = engineSpecFrom(opts);
  const engine = await createEngine(spec, {
    env: io.env,
    cwd: io.cwd,
    onStatus: (message) => io.stderr.write(`${message}\n`),
  }).catch((error: Error) => {
    throw new CliError(error.message);
  });
  let server: Awaited<ReturnType<typeof startServer>>;
  let template: ReturnType<typeof resolveChatTemplate>;
  try {
    template = resolveChatTemplate(verifierSettingsSchema.parse(defaults).chatTemplate, {
      cwd: io.cwd,
      engine,
    });
    server = await startServer({
      engine,
      chatTemplate: template.template,
      token,
      defaults,
      host,
      port: opts.port as number,
      maxBodyBytes: opts.maxBody as number,
      maxConcurrent: opts.maxConcurrent as number,
      maxQueue: opts.maxQueue as number,
      requestTimeoutMs: (opts.timeout as number) * 1000,
      log: (entry) => io.stderr.write(`${JSON.stringify(entry)}\n`),
    });
  } catch (error) {
    await engine.close?.();
    throw new CliError((error as Error).message);
  }
  io.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: "info", message: "listening", url: server.url, playground: `${server.url}/`, model: engine.modelId, chat_template: template.source, auth: token !== null })}\n`,
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
