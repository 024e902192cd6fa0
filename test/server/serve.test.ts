import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LlamaCppEngine } from "../../src/engines/llama-cpp/engine.js";
import { makeTinyModel } from "../../src/engines/llama-cpp/test-models.js";
import { OpenAICompatibleEngine } from "../../src/engines/openai-compatible/engine.js";
import { ScriptedEngine } from "../../src/engines/scripted.js";
import { createApp } from "../../src/server/app.js";
import { startServer } from "../../src/server/serve.js";
import { ThinkPrmVerifier } from "../../src/verifier/thinkprm-verifier.js";

const CHAIN = "Step 1: fine \\boxed{correct}\nStep 2: wrong \\boxed{incorrect}\n";
/** Deterministic per prompt, whatever the order of calls: safe to compare runs. */
const byPrompt = (prompt: string) => {
  const p = (createHash("sha256").update(prompt).digest().readUInt32LE(0) % 1000) / 1000 + 0.0005;
  return { " Yes": p, " No": 1 - p };
};
const scripted = (latencyMs = 0) =>
  new ScriptedEngine({ replies: [CHAIN], probabilities: byPrompt, latencyMs });
const auth = { authorization: "Bearer t0ken", "content-type": "application/json" };
const post = (body: unknown, headers: Record<string, string> = auth) => ({
  method: "POST",
  headers,
  body: JSON.stringify(body),
});

describe("the service, in process", () => {
  const { app } = createApp({ engine: scripted(), chatTemplate: null, token: "t0ken", maxBodyBytes: 2048 });

  it("verifies, and explains bad requests", async () => {
    const ok = await app.request("/v1/verify", post({ problem: "2+3?", steps: ["2+3 = 5", "so 6"] }));
    expect(ok.status).toBe(200);
    const v = (await ok.json()) as { score: number; step_verdicts: string[] };
    expect(v).toMatchObject({
      step_verdicts: ["correct", "incorrect"],
      first_incorrect_step: 1,
      valid_chains: 1,
    });
    expect(v.score).toBeGreaterThan(0);
    const bad = await app.request("/v1/verify", post({ problem: "x", k: 99 }));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(
      /field "k"|give "steps"/,
    );
    const notJson = await app.request("/v1/verify", { method: "POST", headers: auth, body: "{" });
    expect(((await notJson.json()) as { error: { message: string } }).error.message).toBe(
      "the body is not valid JSON",
    );
  });

  it("needs the token, caps bodies, ranks, and exposes health and metrics", async () => {
    expect(
      (
        await app.request(
          "/v1/verify",
          post({ problem: "x", steps: ["a"] }, { "content-type": "application/json" }),
        )
      ).status,
    ).toBe(401);
    expect((await app.request("/v1/verify", post({ problem: "x".repeat(5000), steps: ["a"] }))).status).toBe(
      413,
    );
    const rank = await app.request(
      "/v1/rank",
      post({
        problem: "2+3?",
        candidates: ["## Step 1: 2+3 = 5\nThe answer is \\boxed{5}", "\\boxed{6}", "\\boxed{5}"],
      }),
    );
    const r = (await rank.json()) as { scores: number[]; best: { majority: number } };
    expect(r.scores).toHaveLength(3);
    expect(r.best.majority).toBe(0); // two of three say 5
    // without the token, health says only "ok" (no model path, no load figures); metrics need it
    expect(await (await app.request("/health")).json()).toEqual({ status: "ok" });
    expect(await (await app.request("/health", { headers: auth })).json()).toMatchObject({
      model: "scripted",
    });
    expect((await app.request("/metrics")).status).toBe(401);
    const metrics = await (await app.request("/metrics", { headers: auth })).text();
    expect(metrics).toMatch(/thinkprm_requests_total\{route="\/v1\/verify",status="200"\} \d+/);
    expect(metrics).toMatch(/thinkprm_requests_total\{route="\/v1\/verify",status="401"\} 1/);
  });
});

describe("the service on 127.0.0.1", () => {
  it("a full queue answers 429 with retry-after; shutdown finishes requests in flight", async () => {
    const server = await startServer({
      engine: scripted(300),
      chatTemplate: null,
      token: "t0ken",
      port: 0,
      maxConcurrent: 1,
      maxQueue: 1,
    });
    const send = () => fetch(`${server.url}/v1/verify`, post({ problem: "q", steps: ["a", "b"] }));
    const responses = await Promise.all([send(), send(), send(), send()]);
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 429, 429]);
    expect(responses.find((r) => r.status === 429)!.headers.get("retry-after")).toBe("1");
    const inFlight = send();
    await new Promise((r) => setTimeout(r, 50));
    await server.close(); // waits for the request in flight
    expect((await inFlight).status).toBe(200);
    await expect(send()).rejects.toThrow();
  });

  it("refuses to run without auth beyond loopback", async () => {
    await expect(
      startServer({ engine: scripted(), chatTemplate: null, token: null, host: "0.0.0.0", port: 0 }),
    ).rejects.toThrow(/only loopback addresses may run without auth/);
  });

  it("load: 1,000 concurrent verifications, every one answered (200, or 429 with retry-after)", async () => {
    const server = await startServer({
      engine: scripted(1),
      chatTemplate: null,
      token: "t0ken",
      port: 0,
      maxConcurrent: 8,
      maxQueue: 600,
    });
    try {
      const t0 = performance.now();
      const times: number[] = [];
      const results = await Promise.all(
        Array.from({ length: 1000 }, async (_, i) => {
          const s = performance.now();
          const r = await fetch(`${server.url}/v1/verify`, post({ problem: `q${i}`, steps: ["a", "b"] }));
          times.push(performance.now() - s);
          return {
            status: r.status,
            retryAfter: r.headers.get("retry-after"),
            body: (await r.json()) as { step_verdicts: string[] },
          };
        }),
      );
      const wall = performance.now() - t0;
      times.sort((a, b) => a - b);
      const ok = results.filter((r) => r.status === 200);
      const busy = results.filter((r) => r.status === 429);
      console.log(
        `load: 1000 requests in ${wall.toFixed(0)} ms: ${ok.length} × 200, ${busy.length} × 429; p50 ${times[499]!.toFixed(0)} ms, p99 ${times[989]!.toFixed(0)} ms`,
      );
      expect(ok.length + busy.length).toBe(1000); // none lost, nothing else
      expect(busy.every((r) => r.retryAfter === "1")).toBe(true);
      expect(ok.every((r) => r.body.step_verdicts.length === 2)).toBe(true);
      expect(ok.length).toBeGreaterThanOrEqual(600);
    } finally {
      await server.close();
    }
  }, 60_000);
});

describe("faults between the HTTP engine and a server", () => {
  it("20% of requests fail (429, 500, reset, timeout): results equal a fault-free run, retries bounded", async () => {
    // a real model behind the server, so /v1/completions returns real distributions
    const path = join(mkdtempSync(join(tmpdir(), "thinkprm-fault-")), "tiny.gguf");
    writeFileSync(path, makeTinyModel());
    const engine = await LlamaCppEngine.create({ modelPath: path, threads: 1, contextSize: 2048 });
    const { app } = createApp({ engine, chatTemplate: null, token: null });
    let n = 0;
    let faulty = true;
    const faults = { "429": 0, "500": 0, reset: 0, timeout: 0 };
    const proxy = createServer(async (req, res) => {
      const k = n++;
      // with faults on, every fifth request fails, cycling through the kinds
      if (faulty && k % 5 === 4) {
        const kind = (["429", "500", "reset", "timeout"] as const)[Math.floor(k / 5) % 4]!;
        faults[kind]++;
        if (kind === "429") return res.writeHead(429, { "retry-after": "0" }).end("{}");
        if (kind === "500") return res.writeHead(500).end("{}");
        if (kind === "reset") return req.socket.destroy();
        return; // timeout: never answer
      }
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const r = await app.fetch(
        new Request(`http://x${req.url}`, {
          method: req.method,
          headers: req.headers as Record<string, string>,
          ...(req.method === "POST" ? { body: Buffer.concat(chunks) } : {}),
        }),
      );
      res.writeHead(r.status, Object.fromEntries(r.headers)).end(Buffer.from(await r.arrayBuffer()));
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/v1`;
    const run = async () => {
      const http = await OpenAICompatibleEngine.create({
        baseURLs: [url],
        model: "tiny",
        maxRetries: 6,
        timeoutMs: 2000,
      });
      const out = [];
      for (let i = 0; i < 10; i++) {
        const v = await new ThinkPrmVerifier({
          engine: http,
          chatTemplate: null,
          maxTokens: 8,
          onTruncated: "force-decision",
        }).verify({ problem: `problem ${i}`, steps: ["a", "b"] });
        out.push([v.score, v.chains[0]!.text, v.stepVerdicts]);
      }
      return out;
    };
    try {
      const withFaults = await run();
      const requests = n;
      faulty = false;
      const clean = await run();
      expect(withFaults).toEqual(clean);
      expect(Object.values(faults).every((c) => c > 0)).toBe(true);
      // 10 verifications × 2 requests; each fault costs one retry: bounded by 20 / 0.8 + 1
      expect(requests).toBeLessThanOrEqual(26);
    } finally {
      proxy.closeAllConnections();
      proxy.close();
      await engine.close();
    }
  }, 120_000);
});

describe("thinkprm serve as a real process", () => {
  it("starts, answers with the token, refuses without it, and exits cleanly on SIGTERM", async () => {
    const { spawn } = await import("node:child_process");
    const { REPO_ROOT } = await import("../helpers.js");
    const { workdir } = await import("../cli/run-cli.js");
    const dir = workdir({
      "s.json": JSON.stringify({ replies: [CHAIN], probabilities: { " Yes": 0.8, " No": 0.2 } }),
    });
    const child = spawn(
      process.execPath,
      [
        join(REPO_ROOT, "bin/thinkprm.js"),
        "serve",
        "-e",
        "scripted:s.json",
        "--port",
        "0",
        "--chat-template",
        "none",
      ],
      {
        cwd: dir,
        env: { ...process.env, THINKPRM_TOKEN: "t0ken" },
      },
    );
    let log = "";
    child.stderr.setEncoding("utf8");
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on("data", (d: string) => {
        log += d;
        const m = log.match(/"url":"([^"]+)"/);
        if (m) resolve(m[1]!);
      });
      child.on("exit", () => reject(new Error(`serve exited: ${log}`)));
    });
    const ok = await fetch(`${url}/v1/verify`, post({ problem: "2+3?", steps: ["5", "6"] }));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { score: number }).score).toBeCloseTo(0.8, 12);
    expect(
      (
        await fetch(
          `${url}/v1/verify`,
          post({ problem: "x", steps: ["a"] }, { "content-type": "application/json" }),
        )
      ).status,
    ).toBe(401);
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(log).toContain('"message":"shutting down: finishing requests in flight"');
    expect(log).toMatch(/"path":"\/v1\/verify","status":200/);
  }, 30_000);

  it("refuses to start without a token unless told so", async () => {
    const { cli, workdir } = await import("../cli/run-cli.js");
    const r = await cli(["serve", "-e", "scripted:s.json"], { cwd: workdir({ "s.json": "{}" }) });
    expect(r.stderr).toContain("set THINKPRM_TOKEN");
  });
});

describe("thinkprm serve, the command a user types", () => {
  it("says where it listens and where the playground is, serves both, and shuts down cleanly on SIGTERM", async () => {
    const { spawn } = await import("node:child_process");
    const { REPO_ROOT } = await import("../helpers.js");
    const dir = mkdtempSync(join(tmpdir(), "thinkprm-serve-"));
    writeFileSync(
      join(dir, "s.json"),
      JSON.stringify({ replies: [CHAIN], probabilities: { " Yes": 0.8, " No": 0.2 } }),
    );
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, "bin/thinkprm.js"), "serve", "-e", "scripted:s.json", "--port", "0"],
      { cwd: dir, env: { ...process.env, THINKPRM_TOKEN: "t0ken" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const listening = await new Promise<{ url: string; playground: string; auth: boolean }>(
      (resolve, reject) => {
        child.stderr.on("data", (chunk: Buffer) => {
          stderr += chunk.toString();
          const line = stderr.split("\n").find((l) => l.includes('"listening"'));
          if (line) resolve(JSON.parse(line));
        });
        void exited.then(() => reject(new Error(`serve exited early: ${stderr}`)));
      },
    );
    try {
      expect(listening.auth).toBe(true);
      expect(listening.playground).toBe(`${listening.url}/`);
      const page = await fetch(listening.playground);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("<html");
      const verified = await fetch(
        `${listening.url}/v1/verify`,
        post({ problem: "2+3?", steps: ["2+3 = 5", "so 6"] }),
      );
      expect(verified.status).toBe(200);
      expect(((await verified.json()) as { score: number }).score).toBeCloseTo(0.8, 12);
      expect(
        (await fetch(`${listening.url}/v1/verify`, post({ problem: "q", steps: ["a"] }, {}))).status,
      ).toBe(401);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(stderr).toContain("shutting down");
  }, 60_000);
});
