/**
 * A real OpenAI-compatible server on 127.0.0.1 that streams a chain one piece per server-sent
 * event, as slowly as a test wants: in lockstep with the client (`gate`: the next piece waits until
 * the test says the client has the previous one) or at a set pace. It speaks vLLM's wire shape —
 * token counts in every chunk when asked for `stream_options.continuous_usage_stats` — and records,
 * per stream, how many pieces it sent and whether the client closed the connection before the end.
 * A one-token request with logprobs (the decision) gets P(Yes) = 0.8 at once.
 */
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface DripServerOptions {
  /** Piece i of the chain (one token each, as vLLM streams them), or null where the chain ends. */
  piece: (i: number) => string | null;
  /** Awaited before piece i (i ≥ 1) is sent; the client closing the connection ends the wait. */
  gate?: (i: number) => Promise<void>;
  /** A pause before each piece, for clients a test cannot hook (a CLI run). */
  intervalMs?: number;
  /** The prompt tokens the server reports. */
  promptTokens?: number;
}

export interface DripStream {
  /** Content chunks written. */
  sent: number;
  /** The client closed the connection before the stream's end. */
  closedEarly: boolean;
  body: Record<string, unknown>;
  /** Settles when the stream is over: finished, or the connection closed. */
  over: Promise<void>;
}

export interface DripServer {
  url: string;
  streams: DripStream[];
  /** The decision requests (one token with logprobs), answered at once. */
  decisions: number;
  close(): Promise<void>;
}

const PROBABILITIES = { " Yes": Math.log(0.8), " No": Math.log(0.2) };

export async function startDripServer(options: DripServerOptions): Promise<DripServer> {
  const state = { streams: [] as DripStream[], decisions: 0 };
  const promptTokens = options.promptTokens ?? 37;
  const server = createServer(async (req, res) => {
    if (req.method === "GET" && req.url === "/v1/models")
      return json(res, { object: "list", data: [{ id: "drip", object: "model" }] });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
    const head = { id: "cmpl-drip", object: "text_completion", created: 0, model: "drip" };
    if (body.max_tokens === 1) {
      state.decisions++;
      return json(res, {
        ...head,
        choices: [
          {
            index: 0,
            text: " Yes",
            finish_reason: "length",
            stop_reason: null,
            logprobs: {
              tokens: [" Yes"],
              token_logprobs: [PROBABILITIES[" Yes"]],
              top_logprobs: [PROBABILITIES],
            },
          },
        ],
        usage: { prompt_tokens: promptTokens, completion_tokens: 1, total_tokens: promptTokens + 1 },
      });
    }
    if (!body.stream) return json(res, { error: { message: "the drip server only streams chains" } }, 400);
    const streamOptions = body.stream_options as {
      include_usage?: boolean;
      continuous_usage_stats?: boolean;
    };
    const usage = (generated: number) => ({
      prompt_tokens: promptTokens,
      completion_tokens: generated,
      total_tokens: promptTokens + generated,
    });
    let resolveOver!: () => void;
    const stream: DripStream = {
      sent: 0,
      closedEarly: false,
      body,
      over: new Promise((r) => {
        resolveOver = r;
      }),
    };
    state.streams.push(stream);
    let finished = false;
    const closed = new Promise<void>((r) =>
      res.on("close", () => {
        if (!finished) stream.closedEarly = true;
        resolveOver();
        r();
      }),
    );
    res.writeHead(200, { "content-type": "text/event-stream" });
    const event = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    const chunk = (choice: Record<string, unknown>, generated: number) =>
      event({
        ...head,
        choices: [{ index: 0, logprobs: null, finish_reason: null, stop_reason: null, ...choice }],
        ...(streamOptions?.continuous_usage_stats ? { usage: usage(generated) } : {}),
      });
    for (let i = 0; ; i++) {
      const text = options.piece(i);
      if (text === null) break;
      if (i > 0 && options.gate) await Promise.race([options.gate(i), closed]);
      if (options.intervalMs)
        await Promise.race([new Promise((r) => setTimeout(r, options.intervalMs)), closed]);
      if (stream.closedEarly) return;
      chunk({ text }, i + 1);
      stream.sent++;
    }
    chunk({ text: "", finish_reason: "stop" }, stream.sent);
    if (streamOptions?.include_usage) event({ ...head, choices: [], usage: usage(stream.sent) });
    res.write("data: [DONE]\n\n");
    finished = true;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}

function json(res: ServerResponse, body: unknown, status = 200) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** A count the client side bumps and the server side waits on (`reached(n)`: at least n bumps). */
export class Tally {
  count = 0;
  private waiters: { n: number; resolve: () => void }[] = [];
  bump(): void {
    this.count++;
    const due = this.waiters.filter((w) => w.n <= this.count);
    this.waiters = this.waiters.filter((w) => w.n > this.count);
    for (const w of due) w.resolve();
  }
  reached(n: number): Promise<void> {
    if (this.count >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}
