/**
 * The defects found against OpenAI-compatible servers, each through the CLI a user types, against
 * a real HTTP server on 127.0.0.1 speaking each server kind's wire shape:
 * - K chains are K distinct samples on every profile (the server sees K generations per item);
 * - a dead server leaves items failed (never done, never in metrics), and a rerun after it
 *   recovers completes them with the results of a clean run;
 * - each malformed answer is a typed error: no score, nothing cached.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { OpenAICompatibleEngine } from "../../src/engines/openai-compatible/engine.js";
import { SERVER_KINDS } from "../../src/engines/openai-compatible/profiles.js";
import { ScriptedEngine } from "../../src/engines/scripted.js";
import { cli, workdir } from "../cli/run-cli.js";
import { type FakeServer, type Fault, startFakeServer } from "../support/fake-server.js";

/** A chain that depends on the sampling seed, so distinct seeds give distinct chains. */
const seeded = () =>
  new ScriptedEngine({
    respond: (request, i) => {
      // a vote (--score vote) reads the words after the decision question
      if (request.prompt.endsWith("Is the solution correct?")) return " Yes";
      // greedy is deterministic, as on a real server; sampling without a seed is not
      const seed =
        request.seed !== undefined
          ? request.seed + i
          : request.temperature
            ? Math.floor(Math.random() * 1e9)
            : 0;
      return {
        text: `Step 1: checked (draw ${seed}) \\boxed{correct}\nStep 2: fine \\boxed{correct}\n`,
        stepProbabilities: [0.9, 0.8],
      };
    },
    probabilities: (prompt) => {
      const p = (createHash("sha256").update(prompt).digest().readUInt32LE(0) % 999) / 1000 + 0.0005;
      return { " Yes": p, " No": 1 - p };
    },
  });

const ITEMS = Array.from({ length: 6 }, (_, i) => ({
  id: `q${i}`,
  problem: `What is ${i} + 1?`,
  steps: [`${i} + 1`, `= ${i + 1}`],
}));
const jsonl = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;

let servers: FakeServer[] = [];
afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
});
const serve = async (...args: Parameters<typeof startFakeServer>) => {
  const s = await startFakeServer(...args);
  servers.push(s);
  return s;
};

describe("K chains are K distinct samples on every server kind", () => {
  for (const kind of SERVER_KINDS) {
    it(`${kind}: -k 4 without --seed`, async () => {
      const server = await serve({ kind, engine: seeded() });
      const dir = workdir({ "in.jsonl": jsonl(ITEMS.slice(0, 2)) });
      const args = [
        "verify",
        "-e",
        `openai:${server.url}`,
        "--server-kind",
        kind,
        "-i",
        "in.jsonl",
        "-k",
        "4",
        "--json",
        "-q",
      ];
      // Ollama returns no logprobs: P(Yes) cannot be read there, a vote share can
      if (kind === "ollama") args.push("--score", "vote");
      const r = await cli(args, { cwd: dir });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const out = r.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { chains: { text: string }[] });
      for (const v of out) {
        expect(v.chains).toHaveLength(4);
        expect(new Set(v.chains.map((c) => c.text)).size).toBe(4);
      }
      // the server generated 4 chains per item (one n = 4 request, or 4 requests of one)
      const chainRequests = server.bodies.filter((b) => (b.max_tokens as number) > 3);
      expect(chainRequests.reduce((s, b) => s + ((b.n as number | undefined) ?? 1), 0)).toBe(8);
      if (kind === "llama.cpp" || kind === "ollama")
        expect(chainRequests.every((b) => (b.n ?? 1) === 1)).toBe(true);
    });
  }

  it("a rerun of the same run reproduces the chains from the cache; a new run draws new ones", async () => {
    const server = await serve({ kind: "llama.cpp", engine: seeded() });
    const dir = workdir({ "in.jsonl": jsonl(ITEMS.slice(0, 2)) });
    const args = [
      "verify",
      "-e",
      `openai:${server.url}`,
      "--server-kind",
      "llama.cpp",
      "-i",
      "in.jsonl",
      "-k",
      "3",
      "--json",
      "-q",
    ];
    const first = await cli(args, { cwd: dir });
    const requests = server.requests;
    const again = await cli(
      [
        ...args,
        "--resume",
        (await cli(["runs", "list", "--json"], { cwd: dir })).stdout.match(/"id":"([^"]+)"/)![1]!,
      ],
      { cwd: dir },
    );
    expect(again.stdout).toBe(first.stdout); // stored results, nothing asked again
    expect(server.requests).toBe(requests);
  });
});

describe("a server outage leaves items failed, and a rerun completes them", () => {
  it("failed items are not results, exit 1, and the rerun's metrics equal a clean run's", async () => {
    let down = true;
    const server = await serve({ kind: "vllm", engine: seeded(), fault: () => (down ? "down" : null) });
    const dir = workdir({ "in.jsonl": jsonl(ITEMS) });
    const args = [
      "verify",
      "-e",
      `openai:${server.url}`,
      "-i",
      "in.jsonl",
      "--json",
      "-q",
      "--store",
      "runs.sqlite",
    ];
    const broken = await cli(args, { cwd: dir });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/q0: failed \((unavailable|timeout)\)/);
    const runsList = async () =>
      JSON.parse(
        (await cli(["runs", "list", "--json", "--store", "runs.sqlite"], { cwd: dir })).stdout.trim(),
      );
    const listed = (await runsList()) as {
      status: string;
      itemsDone: number;
      itemsFailed: number;
    };
    expect(listed).toMatchObject({ status: "incomplete", itemsDone: 0, itemsFailed: 6 });
    down = false;
    const healed = await cli(args, { cwd: dir });
    expect(healed.code).toBe(0);
    const clean = await cli([...args.slice(0, -2), "--store", "clean.sqlite"], { cwd: dir });
    // the server's prompt cache is warmer for one run than the other: how a prompt's tokens split
    // between evaluated and reused differs, their sum and everything else does not
    const promptSplit = (stdout: string) =>
      stdout.replace(
        /"promptTokens":(\d+),"generatedTokens":(\d+),"reusedPromptTokens":(\d+)/g,
        (_, p, g, r) => `"promptTotal":${Number(p) + Number(r)},"generatedTokens":${g}`,
      );
    expect(promptSplit(healed.stdout)).toBe(promptSplit(clean.stdout));
    expect(promptSplit(healed.stdout)).toContain('"promptTotal":229');
    expect(await runsList()).toMatchObject({
      status: "done",
      itemsDone: 6,
      itemsFailed: 0,
    });
  }, 60_000);
});

describe("malformed answers are typed errors, never scores, never cached", () => {
  const faults: [Fault, RegExp][] = [
    // NaN is not JSON (a Python server's json.dumps writes it anyway): the body fails to parse
    ["nan-logprob", /not valid JSON|not a log-probability/],
    ["positive-logprob", /malformed completion: .*not a log-probability/],
    ["abort", /aborted the generation/],
    ["fewer-choices", /malformed completion: 1 choices for n = 2/],
    ["truncated-json", /not valid JSON/],
  ];
  for (const [fault, message] of faults) {
    it(`${fault}: the engine throws a typed error`, async () => {
      const server = await serve({ kind: "vllm", engine: seeded(), fault: () => fault });
      const engine = await OpenAICompatibleEngine.create({
        baseURLs: [server.url],
        model: "m",
        maxRetries: 0,
      });
      const error = await engine
        .complete({ prompt: "p", maxTokens: 8, n: 2, temperature: 1, seed: 1, topLogprobs: 2 })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(error).toMatchObject({ name: "EngineError", isRetryable: true });
      expect((error as Error).message).toMatch(message);
      // a malformed answer is asked again (twice) before it fails: one request plus two retries
      expect(server.requests).toBe(3);
    });
  }

  it("through the CLI: the item fails, nothing is stored or cached, and a healthy rerun scores it", async () => {
    let bad = true;
    const server = await serve({ kind: "vllm", engine: seeded(), fault: () => (bad ? "nan-logprob" : null) });
    const dir = workdir({ "in.jsonl": jsonl(ITEMS.slice(0, 1)) });
    const args = [
      "verify",
      "-e",
      `openai:${server.url}`,
      "-i",
      "in.jsonl",
      "--json",
      "-q",
      "--store",
      join(dir, "s.sqlite"),
    ];
    const broken = await cli(args, { cwd: dir });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('"failed":true');
    expect(broken.stdout).not.toContain('"score"');
    bad = false;
    const fixed = await cli(args, { cwd: dir });
    expect(fixed.code).toBe(0);
    expect(JSON.parse(fixed.stdout).score).toBeGreaterThan(0);
  });
});
