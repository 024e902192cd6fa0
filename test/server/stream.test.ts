/**
 * Streamed verification over HTTP, read with a plain HTTP client: `POST /v1/verify` with
 * `"stream": true` answers server-sent events — tokens, each step's verdict the moment it is
 * written, the decision, the whole verification — and a client that goes away aborts the engine.
 */
import { describe, expect, it } from "vitest";
import { ScriptedEngine } from "../../src/engines/scripted.js";
import { startServer } from "../../src/server/serve.js";
import { type Sse, verifyStream } from "../support/verify-stream.js";

const CHAIN =
  "Step 1: 2 + 3 = 5 holds. \\boxed{correct}\nStep 2: 5 × 2 = 10 holds. \\boxed{correct}\nStep 3: 10 - 1 = 8 is wrong. \\boxed{incorrect}\n";
const engine = (tokenDelayMs: number) =>
  new ScriptedEngine({ replies: [CHAIN], probabilities: () => ({ " Yes": 0.1, " No": 0.9 }), tokenDelayMs });
const BODY = {
  problem: "Start at 2, add 3, double, subtract 1.",
  steps: ["2 + 3 = 5", "5 × 2 = 10", "10 - 1 = 8"],
  stream: true,
};

/** POSTs the streamed body; `stopAfter` closes the connection after that event. */
const post = (url: string, stopAfter?: (e: Sse) => boolean) => verifyStream(url, BODY, stopAfter);

describe("POST /v1/verify with stream: true", () => {
  it("sends token…, step 1, token…, step 2, token…, step 3, …, decision, done — each verdict before the chain ends", async () => {
    const server = await startServer({ engine: engine(1), chatTemplate: null, token: "t", port: 0 });
    try {
      const r = await post(server.url);
      expect(r.status).toBe(200);
      expect(r.type).toContain("text/event-stream");
      // the shape of the stream, runs of tokens folded
      const shape = r.events.map((e) =>
        e.event === "step" ? `step ${(e.data as { step: number }).step + 1}` : e.event,
      );
      const folded = shape.filter((x, i) => x !== "token" || shape[i - 1] !== "token");
      expect(folded).toEqual([
        "token",
        "step 1",
        "token",
        "step 2",
        "token",
        "step 3",
        "token",
        "decision",
        "done",
      ]);
      expect(
        r.events.filter((e) => e.event === "step").map((e) => (e.data as { verdict: string }).verdict),
      ).toEqual(["correct", "correct", "incorrect"]);
      // the tokens are the chain, and done is the verification /v1/verify answers
      const text = r.events
        .filter((e) => e.event === "token")
        .map((e) => (e.data as { text: string }).text)
        .join("");
      const done = r.events.at(-1)!.data as {
        score: number;
        step_verdicts: string[];
        chains: { text: string }[];
      };
      expect(text).toBe(done.chains[0]!.text);
      expect(done.step_verdicts).toEqual(["correct", "correct", "incorrect"]);
      expect(done.score).toBeCloseTo(0.1, 12);
      expect((r.events.find((e) => e.event === "decision")!.data as { score: number }).score).toBeCloseTo(
        0.1,
        12,
      );
    } finally {
      await server.close();
    }
  });

  it("a client that closes the connection after step 1 aborts the engine's generation", async () => {
    const slow = engine(40);
    const server = await startServer({ engine: slow, chatTemplate: null, token: "t", port: 0 });
    try {
      const r = await post(server.url, (e) => e.event === "step");
      expect(r.events.at(-1)!.event).toBe("step");
      // the engine notices at its next token
      for (let i = 0; i < 50 && slow.aborts === 0; i++) await new Promise((done) => setTimeout(done, 20));
      expect(slow.aborts).toBe(1);
      expect(slow.callsOf("nextTokenProbabilities")).toHaveLength(0); // no decision was asked for
    } finally {
      await server.close();
    }
  });
});
