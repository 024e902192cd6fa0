/**
 * npm run bench:http — the command a user types, against a local OpenAI-compatible server with a
 * fixed latency per request (a real HTTP server on 127.0.0.1, in its own process): `thinkprm
 * verify -i <N items> -e openai:<url>` and `thinkprm eval processbench --data <N items>` with
 * default settings versus `--concurrency 1`, interleaved (default, one, default, one, …), each
 * timed from spawn to exit. Prints, per command, the median wall times, their ratio (goal ≥ 10×),
 * and how full the default run kept the engine's window while it still had a backlog (measured at
 * the server: requests in flight over time; goal ≥ 90%).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const N = Number(process.env.N ?? 200);
const LATENCY = Number(process.env.LATENCY_MS ?? 50);
const REPEATS = Number(process.env.REPEATS ?? 3);
const WINDOW = 64; // the engine's default window per server (DEFAULT_HTTP_WINDOW)
const BIN = resolve(import.meta.dirname, "../bin/thinkprm.js");

// the server: answers a chain for generation requests and a Yes/No distribution for decisions,
// after LATENCY ms; reports every change of its requests-in-flight count on stdout
const SERVER = `
const http = require("node:http");
let inFlight = 0;
const t0 = performance.now();
const mark = () => process.stdout.write(JSON.stringify([performance.now() - t0, inFlight]) + "\\n");
http.createServer((req, res) => {
  if (req.url === "/v1/models") return res.writeHead(200, { "content-type": "application/json" }).end('{"data":[{"id":"m"}]}');
  let body = "";
  req.on("data", (d) => (body += d));
  req.on("end", () => {
    inFlight++; mark();
    const decision = JSON.parse(body).max_tokens === 1;
    setTimeout(() => {
      const choice = decision
        ? { index: 0, text: " Yes", finish_reason: "length", stop_reason: null, logprobs: { tokens: [" Yes"], token_logprobs: [-0.3], top_logprobs: [{ " Yes": -0.3, " No": -1.35 }], text_offset: [0] } }
        : { index: 0, text: "Step 1: fine \\\\boxed{correct}\\nStep 2: fine \\\\boxed{correct}\\n", finish_reason: "stop", stop_reason: null, logprobs: null };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id: "x", object: "text_completion", created: 0, model: "m", choices: [choice], usage: { prompt_tokens: 300, completion_tokens: decision ? 1 : 20, total_tokens: 320 } }));
      inFlight--; mark();
    }, ${LATENCY});
  });
}).listen(0, "127.0.0.1", function () { process.stderr.write(this.address().port + "\\n"); });
`;

interface Server {
  url: string;
  /** (ms since start, requests in flight) at every change. */
  timeline: [number, number][];
  stop(): void;
}

async function startServer(): Promise<Server> {
  const child = spawn(process.execPath, ["-e", SERVER], { stdio: ["ignore", "pipe", "pipe"] });
  const timeline: [number, number][] = [];
  let pending = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    pending += d;
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const l of lines) if (l) timeline.push(JSON.parse(l));
  });
  const port = await new Promise<string>((r) => child.stderr.once("data", (d) => r(String(d).trim())));
  return { url: `http://127.0.0.1:${port}/v1`, timeline, stop: () => child.kill() };
}

function run(args: string[], cwd: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("close", (code) =>
      code === 0
        ? resolvePromise(performance.now() - t0)
        : reject(new Error(`thinkprm ${args[0]} exited ${code}: ${err}`)),
    );
  });
}

/**
 * Mean requests in flight / window, time-weighted, from the first request until the client had
 * fewer than a window's worth of requests left to send (its backlog): the tail, where the work
 * simply runs out, is not the client's fault.
 */
function windowFill(timeline: [number, number][], requests: number): number {
  const arrivals = timeline.filter((e, i) => i === 0 || e[1] > timeline[i - 1]![1]);
  const start = arrivals[0]?.[0] ?? 0;
  const end = arrivals[Math.max(0, requests - WINDOW)]?.[0] ?? start;
  if (end <= start) return 1;
  let area = 0;
  for (let i = 0; i < timeline.length - 1; i++) {
    const [t, n] = timeline[i]!;
    const t2 = timeline[i + 1]![0];
    const a = Math.max(t, start);
    const b = Math.min(t2, end);
    if (b > a) area += (b - a) * Math.min(n, WINDOW);
  }
  return area / ((end - start) * WINDOW);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(join(tmpdir(), "thinkprm-bench-http-"));
const items = Array.from({ length: N }, (_, i) => ({
  id: `item-${i}`,
  problem: `What is ${i} + 1?`,
  steps: [`${i} + 1`, `= ${i + 1}`],
  label: -1,
}));
writeFileSync(join(dir, "items.jsonl"), `${items.map((r) => JSON.stringify(r)).join("\n")}\n`);

const commands: Record<string, (url: string) => string[]> = {
  verify: (url) => ["verify", "-e", `openai:${url}`, "-i", "items.jsonl", "--no-store", "-q", "--json"],
  "eval processbench": (url) => [
    "eval",
    "processbench",
    "-e",
    `openai:${url}`,
    "--data",
    "items.jsonl",
    "--no-store",
    "-q",
    "--json",
  ],
};

console.log(
  `bench:http — the real command against a local server (${LATENCY} ms per request, its own process), ${N} items × 2 requests, ${REPEATS} interleaved repetitions\n`,
);
for (const [name, argsFor] of Object.entries(commands)) {
  const times = { default: [] as number[], one: [] as number[] };
  const fills: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    for (const setting of ["default", "one"] as const) {
      const server = await startServer();
      const args = [...argsFor(server.url), ...(setting === "one" ? ["--concurrency", "1"] : [])];
      times[setting].push(await run(args, dir));
      if (setting === "default") fills.push(windowFill(server.timeline, 2 * N));
      server.stop();
    }
  }
  const d = median(times.default);
  const o = median(times.one);
  console.log(`${name}`);
  console.log(
    `  default settings     median ${d.toFixed(0)} ms  (${times.default.map((t) => t.toFixed(0)).join(", ")})`,
  );
  console.log(
    `  --concurrency 1      median ${o.toFixed(0)} ms  (${times.one.map((t) => t.toFixed(0)).join(", ")})`,
  );
  console.log(`  ratio                ${(o / d).toFixed(1)}× faster with the defaults (goal ≥ 10×)`);
  console.log(
    `  window fill          median ${(100 * median(fills)).toFixed(1)}% of ${WINDOW} slots while the client had a backlog (goal ≥ 90%; ${fills.map((f) => (100 * f).toFixed(1)).join(", ")})\n`,
  );
}
