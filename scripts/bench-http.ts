/**
 * npm run bench:http — the HTTP engine against a local server (its own process) with a fixed
 * latency per request: how full the client keeps its window of in-flight requests while it has a
 * backlog (goal ≥ 95%), and the client's CPU time per verification. 400 verifications (2 requests
 * each: the chain and the decision), window 16, 20 ms per request.
 */
import { spawn } from "node:child_process";
import { OpenAICompatibleEngine } from "../src/engines/openai-compatible/engine.js";
import { ThinkPrmVerifier } from "../src/verifier/thinkprm-verifier.js";

const WINDOW = Number(process.env.WINDOW ?? 16);
const LATENCY = Number(process.env.LATENCY_MS ?? 20);
const N = Number(process.env.N ?? 400);

const SERVER = `
const http = require("node:http");
const server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (d) => (body += d));
  req.on("end", () => {
    const decision = JSON.parse(body).max_tokens === 1;
    setTimeout(() => {
      const choice = decision
        ? { index: 0, text: " Yes", finish_reason: "length", stop_reason: null, logprobs: { tokens: [" Yes"], token_logprobs: [-0.3], top_logprobs: [{ " Yes": -0.3, " No": -1.35 }], text_offset: [0] } }
        : { index: 0, text: "Step 1: \\\\boxed{correct}\\nStep 2: \\\\boxed{correct}\\n", finish_reason: "stop", stop_reason: "</think>", logprobs: null };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id: "x", object: "text_completion", created: 0, model: "m", choices: [choice], usage: { prompt_tokens: 300, completion_tokens: decision ? 1 : 20, total_tokens: 320 } }));
    }, ${LATENCY});
  });
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;
const child = spawn(process.execPath, ["-e", SERVER], { stdio: ["ignore", "pipe", "inherit"] });
const port = await new Promise<string>((resolve) =>
  child.stdout.once("data", (d) => resolve(String(d).trim())),
);
const engine = await OpenAICompatibleEngine.create({
  baseURLs: [`http://127.0.0.1:${port}/v1`],
  model: "m",
  concurrency: WINDOW,
  maxRetries: 0,
});
const verifier = new ThinkPrmVerifier({ engine, chatTemplate: null });

// sample the window every millisecond while requests wait behind it
let samples = 0;
let filled = 0;
const sampler = setInterval(() => {
  const [w] = engine.windowState();
  if (w && w.pending > 0) {
    samples++;
    filled += w.active / WINDOW;
  }
}, 1);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await Promise.all(
  Array.from({ length: N }, (_, i) => verifier.verify({ problem: `problem ${i}`, steps: ["a", "b"] })),
);
const wall = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
clearInterval(sampler);
child.kill();

console.log(
  `bench:http — ${N} verifications (${2 * N} requests), window ${WINDOW}, ${LATENCY} ms per request (server in its own process)\n`,
);
console.log(
  `wall time            ${wall.toFixed(0)} ms (ideal ${(((2 * N) / WINDOW) * LATENCY).toFixed(0)} ms)`,
);
console.log(
  `window fill          ${((100 * filled) / Math.max(1, samples)).toFixed(1)}% of ${WINDOW} slots while requests were waiting (goal ≥ 95%; ${samples} samples)`,
);
console.log(
  `client CPU           ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms in all, ${((cpu.user + cpu.system) / 1000 / N).toFixed(2)} ms per verification`,
);
