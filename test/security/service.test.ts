/**
 * A service that cannot be opened by accident: an empty token is no token, the Bearer scheme is
 * required, a client that goes away frees its slot (its engine work aborted), a timeout is a 504.
 */
import { describe, expect, it } from "vitest";
import { ScriptedEngine } from "../../src/engines/scripted.js";
import { createApp } from "../../src/server/app.js";
import { startServer } from "../../src/server/serve.js";
import { cli, workdir } from "../cli/run-cli.js";

const CHAIN = "Step 1: fine \\boxed{correct}\n";
const body = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ problem: "2+3?", steps: ["5"], ...extra });
const json = { "content-type": "application/json" };

describe("auth cannot be opened by accident", () => {
  it("an empty or whitespace THINKPRM_TOKEN is no token: refused off loopback, with the reason", async () => {
    const dir = workdir({
      "s.json": JSON.stringify({ replies: [CHAIN], probabilities: { " Yes": 0.9, " No": 0.1 } }),
    });
    for (const token of ["", "   "]) {
      const r = await cli(["serve", "-e", "scripted:s.json", "--host", "0.0.0.0", "--port", "0"], {
        cwd: dir,
        env: { THINKPRM_TOKEN: token },
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("THINKPRM_TOKEN is empty (or only whitespace), which is no token");
    }
    const noAuthRemote = await cli(
      ["serve", "-e", "scripted:s.json", "--host", "0.0.0.0", "--insecure-no-auth"],
      { cwd: dir },
    );
    expect(noAuthRemote.stderr).toContain("--insecure-no-auth is refused on 0.0.0.0");
    await expect(
      startServer({
        engine: new ScriptedEngine({ replies: [CHAIN] }),
        chatTemplate: null,
        token: "  ",
        host: "0.0.0.0",
        port: 0,
      }),
    ).rejects.toThrow(/an empty token is no token/);
  });

  it("the Bearer scheme is required (its name in any case); health tells strangers only ok", async () => {
    const { app } = createApp({
      engine: new ScriptedEngine({ replies: [CHAIN], probabilities: () => ({ " Yes": 0.9, " No": 0.1 }) }),
      chatTemplate: null,
      token: "t0ken",
    });
    const post = (authorization?: string) =>
      app.request("/v1/verify", {
        method: "POST",
        headers: { ...json, ...(authorization ? { authorization } : {}) },
        body: body(),
      });
    expect((await post("t0ken")).status).toBe(401); // the token alone, no scheme
    expect((await post("Basic t0ken")).status).toBe(401);
    expect((await post("Bearer  t0ken")).status).toBe(401);
    expect((await post("Bearer t0ken2")).status).toBe(401);
    expect((await post("Bearer t0ken")).status).toBe(200);
    expect((await post("bearer t0ken")).status).toBe(200);
    const health = await (await app.request("/health")).text();
    expect(JSON.parse(health)).toEqual({ status: "ok" });
    expect(health).not.toContain("scripted");
  });
});

describe("requests whose client went away", () => {
  it("are cancelled: the engine work is aborted and the queue empties, so the next client gets a slot, not a 429", async () => {
    const engine = new ScriptedEngine({
      replies: [CHAIN],
      probabilities: () => ({ " Yes": 0.9, " No": 0.1 }),
      latencyMs: 1_500,
    });
    const server = await startServer({
      engine,
      chatTemplate: null,
      token: "t",
      port: 0,
      maxConcurrent: 1,
      maxQueue: 2,
    });
    try {
      const send = (signal?: AbortSignal, latency = true) =>
        fetch(`${server.url}/v1/verify`, {
          method: "POST",
          headers: { ...json, authorization: "Bearer t" },
          body: body(latency ? {} : { max_tokens: 5 }),
          ...(signal ? { signal } : {}),
        });
      // three clients fill the slot and the queue, then give up
      const controllers = [0, 1, 2].map(() => new AbortController());
      const abandoned = controllers.map((c) => send(c.signal).catch(() => null));
      await new Promise((r) => setTimeout(r, 300));
      expect(server.url).toBeTruthy();
      for (const c of controllers) c.abort();
      await Promise.all(abandoned);
      await new Promise((r) => setTimeout(r, 200));
      // the running request's engine call was aborted, the queued ones left the queue
      expect(engine.aborts).toBeGreaterThanOrEqual(1);
      const health = (await (
        await fetch(`${server.url}/health`, { headers: { authorization: "Bearer t" } })
      ).json()) as {
        in_flight: number;
        queued: number;
      };
      expect(health).toMatchObject({ in_flight: 0, queued: 0 });
      // a real client now: admitted at once (it would have been a 429 behind three abandoned requests)
      const t0 = performance.now();
      const live = await send();
      expect(live.status).toBe(200);
      expect(performance.now() - t0).toBeLessThan(4_500);
    } finally {
      await server.close();
    }
  }, 30_000);

  it("a request past the timeout answers 504 (not 200 with a null score)", async () => {
    const engine = new ScriptedEngine({
      replies: [CHAIN],
      probabilities: () => ({ " Yes": 0.9, " No": 0.1 }),
      latencyMs: 2_000,
    });
    const { app } = createApp({ engine, chatTemplate: null, token: "t", requestTimeoutMs: 100 });
    const r = await app.request("/v1/verify", {
      method: "POST",
      headers: { ...json, authorization: "Bearer t" },
      body: body(),
    });
    expect(r.status).toBe(504);
    expect(((await r.json()) as { error: { type: string } }).error.type).toBe("timeout");
    expect(engine.aborts).toBe(1);
  });
});

describe("requests that would be expensive or silently reinterpreted", () => {
  const { app } = createApp({
    engine: new ScriptedEngine({ replies: [CHAIN], probabilities: () => ({ " Yes": 0.9, " No": 0.1 }) }),
    chatTemplate: null,
    token: "t0ken",
  });
  const post = (b: Record<string, unknown>) =>
    app.request("/v1/verify", {
      method: "POST",
      headers: { ...json, authorization: "Bearer t0ken" },
      body: JSON.stringify(b),
    });

  it("a solution text is held to the same 200 steps as a steps array", async () => {
    const parts = Array.from({ length: 300 }, (_, i) => `part ${i}`).join("\n\n");
    const r = await post({ problem: "p", solution: parts, mode: "per-step", k: 4 });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { message: string } }).error.message).toContain(
      "the solution has 300 steps",
    );
    expect((await post({ problem: "p", solution: "a\n\nb" })).status).toBe(200);
  });

  it("settings that would be ignored together are refused, in the request's field names", async () => {
    const r = await post({ problem: "p", steps: ["a"], adaptive_k: true, k: 4 });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { message: string } }).error.message).toBe(
      'field "k": adaptive K chooses how many chains to sample (up to --k-max / k_max); drop -k / k',
    );
    const judge = await post({ problem: "p", steps: ["a"], method: "judge-single", runaway: "on" });
    expect(judge.status).toBe(400);
  });

  it("without a token: JSON bodies and loopback host names only (no simple cross-site POST, no DNS rebinding)", async () => {
    const open = await startServer({
      engine: new ScriptedEngine({ replies: [CHAIN], probabilities: () => ({ " Yes": 0.9, " No": 0.1 }) }),
      chatTemplate: null,
      token: null,
      host: "127.0.0.1",
      port: 0,
    });
    try {
      const { request } = await import("node:http");
      const send = (headers: Record<string, string>) =>
        new Promise<number>((resolve, reject) => {
          const req = request(`${open.url}/v1/verify`, { method: "POST", headers }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on("error", reject);
          req.end(body());
        });
      expect(await send({ "content-type": "text/plain" })).toBe(415);
      expect(await send({ ...json, host: "evil.example.com" })).toBe(403);
      expect(await send({ ...json, host: "evil.example.com:80" })).toBe(403);
      expect(await send(json)).toBe(200);
      expect(await send({ ...json, host: "localhost:1234" })).toBe(200);
    } finally {
      await open.close();
    }
  });
});
