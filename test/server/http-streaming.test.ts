/**
 * The HTTP engine streams for real, against a real server on 127.0.0.1 that drips a chain one
 * token per event. Causality, not wall-clock: in lockstep, the server sends piece n + 1 only once
 * the client has piece n (a client that reads the body whole stalls it, and fails). Then what
 * streaming buys: an abort mid-stream closes the connection before the server has sent everything
 * and reports the tokens received; `--runaway on` stops a looping chain a few loops in, through the
 * library and through the CLI; `thinkprm serve` passes a remote chain on as it is written, and a
 * client that goes away closes the upstream stream.
 */
import { afterEach, describe, expect, it } from "vitest";
import { BUILTIN_CHAT_TEMPLATES } from "../../src/engines/chat-template.js";
import { OpenAICompatibleEngine } from "../../src/engines/openai-compatible/engine.js";
import type { ServerKind } from "../../src/engines/openai-compatible/profiles.js";
import { startServer } from "../../src/server/serve.js";
import { createVerifier } from "../../src/verifier/create.js";
import { cli, workdir } from "../cli/run-cli.js";
import { type DripServer, type DripServerOptions, startDripServer, Tally } from "../support/drip-server.js";
import { verifyStream } from "../support/verify-stream.js";

let servers: DripServer[] = [];
afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
});
const drip = async (options: DripServerOptions) => {
  const s = await startDripServer(options);
  servers.push(s);
  return s;
};
const engineFor = (server: DripServer, kind: ServerKind = "vllm") =>
  OpenAICompatibleEngine.create({ baseURLs: [server.url], model: "drip", kind, maxRetries: 0 });

/** How long the server waits for the client to have a piece before it calls the stream stalled. */
const STALL_MS = 5000;

/**
 * Lockstep: piece i is sent once the client has i pieces. A client that does not get a piece
 * while the server waits (one that reads the body whole) stalls the stream: recorded, and the
 * rest is sent without waiting, so the test fails at once rather than hanging.
 */
function lockstep(received: Tally, log: string[] = []) {
  const stalls: number[] = [];
  const gate = async (i: number) => {
    if (stalls.length === 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const arrived = await Promise.race([
        received.reached(i).then(() => true),
        new Promise<boolean>((r) => {
          timer = setTimeout(() => r(false), STALL_MS);
        }),
      ]);
      clearTimeout(timer);
      if (!arrived) stalls.push(i);
    }
    log.push(`send ${i}`);
  };
  return { gate, stalls };
}

const tokensOf = (text: string) => text.match(/\S+\s*/g)!;
const r1 = BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"];
const input = { problem: "Start at 2, add 3, double it.", steps: ["2 + 3 = 5", "5 × 2 = 10"] };
/** A verifier that loops on step 2: 2,400 tokens if nobody stops it. */
const LOOP = tokensOf(
  `Step 1: 2 + 3 = 5 holds. \\boxed{correct}\nStep 2: ${"Wait, let me check that again. ".repeat(400)}`,
);

describe("deltas arrive as the server sends them", () => {
  it("each piece reaches onDelta before the server sends the next; usage is the server's", async () => {
    const pieces = Array.from({ length: 14 }, (_, i) => `piece ${i}, `);
    const got = new Tally();
    const log: string[] = [];
    const step = lockstep(got, log);
    const server = await drip({ piece: (i) => pieces[i] ?? null, gate: step.gate });
    const engine = await engineFor(server);
    const res = await engine.complete({
      prompt: "p",
      maxTokens: 100,
      onDelta: (d) => {
        log.push(`got ${d.text}`);
        got.bump();
      },
    });
    expect(step.stalls).toEqual([]);
    // got piece 0, send 1, got piece 1, send 2, …, got piece 13: every delta before the next chunk
    expect(log).toEqual(pieces.flatMap((p, i) => (i === 0 ? [`got ${p}`] : [`send ${i}`, `got ${p}`])));
    expect(res.choices[0]!.text).toBe(pieces.join(""));
    expect(res.usage).toEqual({ promptTokens: 37, reusedPromptTokens: 0, generatedTokens: 14 });
    // vLLM is asked for its token counts in every chunk
    expect(server.streams[0]!.body.stream_options).toEqual({
      include_usage: true,
      continuous_usage_stats: true,
    });
  });

  const cases: [ServerKind, string, { promptTokens: number; generatedTokens: number }][] = [
    ["vllm", "the server's counts from its last chunk", { promptTokens: 37, generatedTokens: 5 }],
    ["llama.cpp", "the deltas received (no counts mid-stream)", { promptTokens: 0, generatedTokens: 5 }],
  ];
  for (const [kind, counted, usage] of cases) {
    it(`${kind}: an abort mid-stream closes the connection at once; the error carries ${counted}`, async () => {
      const got = new Tally();
      const step = lockstep(got);
      const server = await drip({ piece: (i) => (i < 1000 ? "again " : null), gate: step.gate });
      const engine = await engineFor(server, kind);
      const controller = new AbortController();
      const error = await engine
        .complete({
          prompt: "p",
          maxTokens: 5000,
          signal: controller.signal,
          onDelta: () => {
            got.bump();
            if (got.count === 5) controller.abort(new Error("enough"));
          },
        })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(error).toMatchObject({
        name: "EngineError",
        code: "aborted",
        partialUsage: { ...usage, reusedPromptTokens: 0 },
      });
      const stream = server.streams[0]!;
      await stream.over;
      expect(step.stalls).toEqual([]);
      expect(stream.closedEarly).toBe(true);
      // at most the piece already released to the wire when the connection went away
      expect(stream.sent).toBeLessThanOrEqual(6);
      expect(got.count).toBe(5);
      expect(server.streams).toHaveLength(1); // an abort is not asked again
    });
  }
});

describe("--runaway on over HTTP", () => {
  it("stops the chain a few loops in: the server sees the connection closed; the chain counts what it received", async () => {
    const tokens = new Tally();
    const step = lockstep(tokens);
    const server = await drip({ piece: (i) => LOOP[i] ?? null, gate: step.gate });
    const engine = await engineFor(server);
    const v = await createVerifier(
      { runaway: "on", maxTokens: 100_000 },
      { engine, chatTemplate: r1 },
    ).verify(input, undefined, (e) => e.type === "token" && tokens.bump());
    const chain = v.chains[0]!;
    expect(chain.valid).toBe(false);
    expect(chain.issues[0]!.code).toBe("repetition");
    const stream = server.streams[0]!;
    await stream.over;
    expect(step.stalls).toEqual([]);
    expect(stream.closedEarly).toBe(true);
    expect(stream.sent).toBeLessThanOrEqual(tokens.count + 1);
    expect(stream.sent).toBeLessThan(LOOP.length / 10);
    // the tokens the chain received (each piece one token), the prompt as the server counted it
    expect(chain.usage).toEqual({ promptTokens: 37, reusedPromptTokens: 0, generatedTokens: tokens.count });
    expect(server.decisions).toBe(0); // a runaway chain is never scored
  });

  it("thinkprm verify -e openai:… --runaway on: the server sends a fraction of the loop", async () => {
    const server = await drip({ piece: (i) => LOOP[i] ?? null, intervalMs: 3 });
    const dir = workdir({ "in.jsonl": `${JSON.stringify({ id: "q0", ...input })}\n` });
    const r = await cli(
      [
        "verify",
        "-e",
        `openai:${server.url}`,
        "-i",
        "in.jsonl",
        "--runaway",
        "on",
        "--json",
        "-q",
        "--no-store",
      ],
      { cwd: dir },
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1); // no chain could be scored
    const out = JSON.parse(r.stdout) as {
      score: number | null;
      chains: { valid: boolean; issues: { code: string }[]; usage: Record<string, number> }[];
    };
    expect(out.score).toBeNull();
    expect(out.chains[0]).toMatchObject({ valid: false, issues: [{ code: "repetition" }] });
    const stream = server.streams[0]!;
    await stream.over;
    expect(stream.closedEarly).toBe(true);
    expect(stream.sent).toBeLessThan(LOOP.length / 10);
    expect(out.chains[0]!.usage.promptTokens).toBe(37);
    expect(out.chains[0]!.usage.generatedTokens).toBeGreaterThan(0);
    expect(out.chains[0]!.usage.generatedTokens).toBeLessThanOrEqual(stream.sent);
  });
});

describe("thinkprm serve over an openai backend, stream: true", () => {
  const CHAIN = "Step 1: 2 + 3 = 5 holds. \\boxed{correct}\nStep 2: 5 × 2 = 10 holds. \\boxed{correct}\n";

  it("is live: each token and verdict reaches the client before the backend sends the next piece", async () => {
    const pieces = tokensOf(CHAIN);
    const tokens = new Tally();
    const log: string[] = [];
    const step = lockstep(tokens, log);
    const backend = await drip({ piece: (i) => pieces[i] ?? null, gate: step.gate });
    const service = await startServer({
      engine: await engineFor(backend),
      chatTemplate: null,
      token: "t",
      port: 0,
    });
    try {
      const { events } = await verifyStream(service.url, { ...input, stream: true }, (e) => {
        log.push(e.event);
        if (e.event === "token") tokens.bump();
        return false;
      });
      expect(step.stalls).toEqual([]);
      const text = events.filter((e) => e.event === "token").map((e) => (e.data as { text: string }).text);
      expect(text).toEqual(pieces);
      // step 1's verdict was at the client while the backend still held the rest of the chain
      expect(log.indexOf("step")).toBeGreaterThan(0);
      expect(log.indexOf("step")).toBeLessThan(log.indexOf(`send ${pieces.length - 1}`));
      expect(events.at(-1)!.event).toBe("done");
      expect((events.at(-1)!.data as { score: number }).score).toBeCloseTo(0.8, 12);
    } finally {
      await service.close();
    }
  });

  it("a client that goes away after step 1 closes the backend's stream before its end", async () => {
    const pieces = tokensOf(`${CHAIN.split("\n")[0]}\n${"and more, ".repeat(500)}`);
    const tokens = new Tally();
    const step = lockstep(tokens);
    const backend = await drip({ piece: (i) => pieces[i] ?? null, gate: step.gate });
    const service = await startServer({
      engine: await engineFor(backend),
      chatTemplate: null,
      token: "t",
      port: 0,
    });
    try {
      const { events } = await verifyStream(service.url, { ...input, stream: true }, (e) => {
        if (e.event === "token") tokens.bump();
        return e.event === "step";
      });
      expect(events.at(-1)!.event).toBe("step");
      const stream = backend.streams[0]!;
      await stream.over;
      expect(stream.closedEarly).toBe(true);
      expect(stream.sent).toBeLessThan(pieces.length / 10);
      expect(backend.decisions).toBe(0);
    } finally {
      await service.close();
    }
  });
});
