/**
 * npm run bench:sandbox — what the sandbox costs per test run: the same trivial program run bare
 * (`python3 -c`) and in the sandbox, one at a time and with one run per core. Goal: the sandbox
 * adds < 100 ms per run, and parallel runs scale with the cores (ratio ≥ 0.7 × cores).
 */
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import pLimit from "p-limit";
import { DEFAULT_LIMITS, runPythonSandboxed, sandboxUnavailable } from "../src/grading/sandbox.js";

const why = sandboxUnavailable();
if (why) {
  console.log(`bench:sandbox — cannot run here: ${why}`);
  process.exit(1);
}
const program = "import sys\nprint(sum(int(x) for x in sys.stdin.read().split()))";
const runs = 40;
const cores = availableParallelism();

let t0 = performance.now();
// the same minimal environment the sandbox gives (a full login environment slows python's start-up here)
const env = { PATH: "/usr/local/bin:/usr/bin:/bin", LANG: "C.UTF-8" };
for (let i = 0; i < runs; i++) spawnSync("python3", ["-I", "-B", "-c", program], { input: "1 2 3\n", env });
const bare = (performance.now() - t0) / runs;

t0 = performance.now();
for (let i = 0; i < runs; i++) {
  const r = await runPythonSandboxed([{ name: "main.py", content: program }], "1 2 3\n", DEFAULT_LIMITS);
  if (r.stdout.trim() !== "6") throw new Error(`unexpected output: ${r.status} ${r.stdout} ${r.stderr}`);
}
const sequential = (performance.now() - t0) / runs;

const limit = pLimit(cores);
t0 = performance.now();
await Promise.all(
  Array.from({ length: runs }, () =>
    limit(() => runPythonSandboxed([{ name: "main.py", content: program }], "1 2 3\n", DEFAULT_LIMITS)),
  ),
);
const parallelSeconds = (performance.now() - t0) / 1000;
const speedup = (sequential * runs) / 1000 / parallelSeconds;

console.log(`bench:sandbox — ${runs} runs of a trivial program, ${cores} cores\n`);
console.log(`bare python3            ${bare.toFixed(1)} ms/run`);
console.log(
  `sandboxed, one at once  ${sequential.toFixed(1)} ms/run   (overhead ${(sequential - bare).toFixed(1)} ms; goal < 100 ms: ${((sequential - bare) / 100).toFixed(2)}×)`,
);
console.log(
  `sandboxed, ${cores} at once     ${((parallelSeconds * 1000) / runs).toFixed(1)} ms/run   (speed-up ${speedup.toFixed(2)}× on ${cores} cores; goal ≥ ${(0.7 * cores).toFixed(1)}×)`,
);
