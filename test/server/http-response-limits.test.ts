/**
 * What one answer may cost the HTTP engine, against real servers on 127.0.0.1 that misbehave: a
 * body past the response cap (declared, or just long; streamed or not) fails with a typed
 * `malformed_response` naming the cap and how to raise it, and the server is cut off there; an
 * empty or null body is `malformed_response`, not `unavailable`; a body cut off or stalled fails
 * typed; a chunk that breaks the protocol passes no delta on; and keep-alive still holds.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createEngine } from "../../src/engines/create.js";
import { OpenAICompatibleEngine } from "../../src/engines/openai-compatible/engine.js";
import { engineSpecFromFlag } from "../../src/engines/spec.js";
import type { Engine } from "../../src/engines/types.js";

const MIB = 1024 * 1024;

interface RawServer {
  url: string;
  requests: number;
  connections: number;
  /** Per request: settles with the bytes the handler wrote once it is done. */
  pushes: Promise<Pushed>[];
  close(): Promise<void>;
}
interface Pushed {
  written: number;
  /** The client went away before the handler wrote all it meant to. */
  cutOff: boolean;
}

let servers: RawServer[] = [];
afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
});

/** A server whose answer to each /v1/completions request is `handle`'s; it records what was written. */
async function rawServer(
  handle: (res: ServerResponse, body: Record<string, unknown>) => Promise<Pushed> | Pushed,
): Promise<RawServer> {
  const state = { requests: 0, connections: 0, pushes: [] as Promise<Pushed>[] };
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    state.requests++;
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
    state.pushes.push(Promise.resolve(handle(res, body)));
  });
  server.on("connection", () => state.connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const s: RawServer = Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
  servers.push(s);
  return s;
}

/** Writes `total` bytes (repeating `chunk`) as fast as the client takes them; stops when it goes away. */
async function push(res: ServerResponse, total: number, chunk: Buffer | string): Promise<Pushed> {
  const piece = Buffer.from(chunk);
  let gone = false;
  res.on("close", () => {
    gone = true;
  });
  let written = 0;
  while (written < total && !gone) {
    const ok = res.write(piece);
    written += piece.length;
    if (!ok)
      await new Promise<void>((r) => {
        const on = () => {
          res.off("drain", on);
          res.off("close", on);
          r();
        };
        res.on("drain", on);
        res.on("close", on);
      });
  }
  if (!gone) res.end();
  return { written, cutOff: written < total };
}

const ANSWER = {
  id: "c",
  object: "text_completion",
  created: 0,
  model: "m",
  choices: [{ index: 0, text: "ok", finish_reason: "stop", logprobs: null }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
};
const sse = (data: unknown) => `data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
const delta = (text: string, index = 0) =>
  sse({ ...ANSWER, choices: [{ index, text, finish_reason: null, logprobs: null }], usage: null });

const engineAt = (server: RawServer, extra: { maxResponseBytes?: number; timeoutMs?: number } = {}) =>
  OpenAICompatibleEngine.create({
    baseURLs: [server.url],
    model: "m",
    kind: "llama.cpp",
    maxRetries: 0,
    ...extra,
  });
const failure = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e as { code: string; isRetryable: boolean; message: string },
  );
const ask = (engine: Engine, onDelta?: (text: string) => void) =>
  engine.complete({ prompt: "p", maxTokens: 8, ...(onDelta ? { onDelta: (d) => onDelta(d.text) } : {}) });

describe("the response cap", () => {
  it("a declared 2 GiB body fails at once, unread, and is not asked again", async () => {
    const server = await rawServer((res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(2 * 1024 * MIB) });
      return push(res, 2 * 1024 * MIB, " ".repeat(64 * 1024));
    });
    const error = await failure(ask(await engineAt(server)));
    expect(error).toMatchObject({ name: "EngineError", code: "malformed_response", isRetryable: false });
    expect(error!.message).toMatch(/a body of 2048 MiB \(content-length\), past the response cap of 64 MiB/);
    expect(error!.message).toMatch(/--max-response-mib .* maxResponseBytes in the engine spec/);
    const pushed = await server.pushes[0]!;
    expect(pushed.cutOff).toBe(true);
    expect(pushed.written).toBeLessThan(64 * MIB); // what the socket buffers held, nothing read
    expect(server.requests).toBe(1);
  });

  it("an undeclared body is cut off at the default 64 MiB", async () => {
    const server = await rawServer((res) => {
      res.writeHead(200, { "content-type": "application/json" });
      return push(res, 1024 * MIB, "[".repeat(64 * 1024));
    });
    const error = await failure(ask(await engineAt(server)));
    expect(error).toMatchObject({ code: "malformed_response", isRetryable: false });
    expect(error!.message).toMatch(/answered with more than 64 MiB, past the response cap of 64 MiB/);
    const pushed = await server.pushes[0]!;
    expect(pushed.cutOff).toBe(true);
    expect(pushed.written).toBeGreaterThan(64 * MIB);
    expect(pushed.written).toBeLessThan(96 * MIB);
  });

  it("a stream past a 1 MiB cap (createEngine, maxResponseBytes) fails the same way", async () => {
    const server = await rawServer((res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      return push(res, 1024 * MIB, delta("x".repeat(8192)));
    });
    const engine = await createEngine({
      kind: "openai",
      endpoints: [server.url],
      servedModel: "m",
      maxRetries: 0,
      maxResponseBytes: MIB,
    });
    let deltas = 0;
    const error = await failure(ask(engine, () => deltas++));
    expect(error).toMatchObject({ code: "malformed_response", isRetryable: false });
    expect(error!.message).toMatch(/more than 1 MiB, past the response cap of 1 MiB/);
    expect(deltas).toBeGreaterThan(50); // the stream was live up to the cap
    const pushed = await server.pushes[0]!;
    expect(pushed.cutOff).toBe(true);
    expect(pushed.written).toBeLessThan(8 * MIB);
    expect(server.requests).toBe(1);
  });

  it("is 64 MiB by default in the spec; --max-response-mib sets it and belongs to openai engines", () => {
    expect(engineSpecFromFlag("openai:http://127.0.0.1:1/v1")).toMatchObject({ maxResponseBytes: 64 * MIB });
    expect(engineSpecFromFlag("openai:http://127.0.0.1:1/v1", { maxResponseMib: 512 })).toMatchObject({
      maxResponseBytes: 512 * MIB,
    });
    expect(() => engineSpecFromFlag("llama-cpp", { maxResponseMib: 8 })).toThrow(
      /--max-response-mib applies to --engine openai/,
    );
  });
});

describe("empty, cut-off and stalled bodies", () => {
  const json = (res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json", ...headers }).end(text);
    return { written: text.length, cutOff: false };
  };
  const empty: [string, boolean, (res: ServerResponse) => Pushed, RegExp][] = [
    [
      "a JSON body of 0 bytes",
      false,
      (res) => json(res, 200, "", { "content-length": "0" }),
      /body was empty/,
    ],
    ["null", false, (res) => json(res, 200, "null"), /body was null/],
    ["a 204", false, (res) => json(res, 204, ""), /body was null/],
    [
      "an empty event stream",
      true,
      (res) => json(res, 200, "", { "content-type": "text/event-stream" }),
      /no completion chunk/,
    ],
    [
      "a stream of only [DONE]",
      true,
      (res) => json(res, 200, sse("[DONE]"), { "content-type": "text/event-stream" }),
      /no completion chunk/,
    ],
    ["a streamed 204", true, (res) => json(res, 204, ""), /streamed answer \(status 204\) with no body/],
  ];
  for (const [what, streamed, answer, message] of empty) {
    it(`${what}${streamed ? " (streamed)" : ""} is malformed_response, asked again twice`, async () => {
      const server = await rawServer(answer);
      const error = await failure(ask(await engineAt(server), streamed ? () => {} : undefined));
      expect(error).toMatchObject({ name: "EngineError", code: "malformed_response", isRetryable: true });
      expect(error!.message).toMatch(message);
      expect(server.requests).toBe(3);
    });
  }

  it("a stream cut off midway fails typed, and is not asked again once deltas were passed on", async () => {
    const server = await rawServer((res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(delta("Step 1: "));
      res.write(delta("fine"));
      setTimeout(() => res.socket?.destroy(), 20);
      return { written: 0, cutOff: true };
    });
    const got: string[] = [];
    const error = await failure(ask(await engineAt(server), (t) => got.push(t)));
    expect(error).toMatchObject({ code: "malformed_response", isRetryable: true });
    expect(error!.message).toMatch(/the connection closed after \d+ bytes, before the answer ended/);
    expect(got).toEqual(["Step 1: ", "fine"]);
    expect(server.requests).toBe(1); // a retry would send "Step 1: " again
  });

  it("a non-streamed body cut off midway is asked again", async () => {
    const server = await rawServer((res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
      res.write('{"id":"c","choices":[');
      setTimeout(() => res.socket?.destroy(), 20);
      return { written: 0, cutOff: true };
    });
    const error = await failure(ask(await engineAt(server)));
    expect(error).toMatchObject({ code: "malformed_response" });
    expect(error!.message).toMatch(/connection closed after 21 bytes/);
    expect(server.requests).toBe(3);
  });

  it("a body that stalls past the request timeout fails as timeout, and the connection is closed", async () => {
    const server = await rawServer(async (res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(delta("Step 1: "));
      await new Promise((r) => res.on("close", r));
      return { written: 1, cutOff: true };
    });
    const error = await failure(ask(await engineAt(server, { timeoutMs: 1000 }), () => {}));
    expect(error).toMatchObject({ code: "timeout", isRetryable: true });
    expect(error!.message).toMatch(/did not finish its answer within 1 s .*--request-timeout/);
    await server.pushes[0]; // settles only once the server sees the connection closed
  });
});

describe("the stream's chunks are checked before their deltas pass on", () => {
  const chunks: [string, string][] = [
    ["a choice index beyond n", sse({ ...ANSWER, choices: [{ index: 3, text: "x", finish_reason: null }] })],
    ["text that is not a string", sse({ ...ANSWER, choices: [{ index: 0, text: 7, finish_reason: null }] })],
    ["choices that are not a list", sse({ ...ANSWER, choices: "x" })],
    ["a chunk that is not an object", sse("[1, 2]")],
  ];
  for (const [what, chunk] of chunks) {
    it(`${what}: malformed_response, no delta`, async () => {
      const server = await rawServer((res) => {
        res.writeHead(200, { "content-type": "text/event-stream" }).end(chunk + sse("[DONE]"));
        return { written: chunk.length, cutOff: false };
      });
      const got: string[] = [];
      const error = await failure(ask(await engineAt(server), (t) => got.push(t)));
      expect(error).toMatchObject({ code: "malformed_response" });
      expect(error!.message).toMatch(/malformed completion: a streamed|streamed choice/);
      expect(got).toEqual([]);
    });
  }
});

it("keep-alive: answers read to their end leave the connection for the next request", async () => {
  const server = await rawServer((res, body) => {
    if (body.stream)
      res
        .writeHead(200, { "content-type": "text/event-stream" })
        .end(
          delta("o") +
            delta("k") +
            sse({ ...ANSWER, choices: [{ index: 0, text: "", finish_reason: "stop" }] }) +
            sse("[DONE]"),
        );
    else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(ANSWER));
    return { written: 0, cutOff: false };
  });
  const engine = await engineAt(server);
  expect((await ask(engine)).choices[0]!.text).toBe("ok");
  expect((await ask(engine, () => {})).choices[0]!.text).toBe("ok");
  expect((await ask(engine)).choices[0]!.text).toBe("ok");
  expect(server.requests).toBe(3);
  expect(server.connections).toBe(1);
});

describe("server-sent events at their edges", () => {
  const last = sse({ ...ANSWER, choices: [{ index: 0, text: "", finish_reason: "stop" }] });

  it("[DONE] with the connection held open: the answer is whole at once, not at the deadline", async () => {
    const server = await rawServer((res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(delta("o") + delta("k") + last + sse("[DONE]"));
      return { written: 0, cutOff: false }; // never ended
    });
    const engine = await engineAt(server, { timeoutMs: 30_000 });
    const started = performance.now();
    expect((await ask(engine, () => {})).choices[0]!.text).toBe("ok");
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it("lone \\r line ends, and a last event the body ends without its blank line", async () => {
    const server = await rawServer((res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(delta("o").replaceAll("\n", "\r") + delta("k") + last.trimEnd());
      return { written: 0, cutOff: false };
    });
    const engine = await engineAt(server);
    expect((await ask(engine, () => {})).choices[0]!.text).toBe("ok");
  });

  it("an error answer is read for its message only up to 64 KiB, whatever its size", async () => {
    const pushed: Promise<Pushed>[] = [];
    const server = await rawServer((res) => {
      res.writeHead(400, { "content-type": "text/plain" });
      const p = push(res, 64 * MIB, "bad request ".repeat(1000));
      pushed.push(p);
      return p;
    });
    const engine = await engineAt(server);
    const error = await ask(engine).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: "EngineError", code: "bad_request", isRetryable: false });
    expect((error as Error).message).toMatch(/answered 400: bad request bad request/);
    // the client closed the connection early: far less than the 64 MiB was sent
    const [first] = await Promise.all(pushed);
    const { written, cutOff } = first!;
    expect(cutOff).toBe(true);
    expect(written).toBeLessThan(16 * MIB);
  });
});
