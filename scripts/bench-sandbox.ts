/**
 * npm run bench:sandbox — what the sandbox costs per test run: the same trivial program run bare
 * (`python3 -c`, the sandbox's interpreter and flags) and in the sandbox, one at a time and with
 * one run per core. Goal: the sandbox adds < 50 ms per run, and parallel runs scale with the
 * cores (ratio ≥ 0.7 × cores).
 */
import { spawnSync } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import pLimit from "p-limit";
import {
  DEFAULT_LIMITS,
  runPythonSandboxed,
  type SandboxInfo,
  sandboxInfo,
  sandboxUnavailable,
} from "../src/grading/sandbox.js";

const why = sandboxUnavailable();
if (why) {
  console.log(`bench:sandbox — cannot run here: ${why}`);
  process.exit(1);
}
const program = "import sys\nprint(sum(int(x) for x in sys.stdin.read().split()))";
const runs = 40;
const cores = availableParallelism();

// the same minimal environment the sandbox gives (a full login environment slows python's start-up here)
const env = { PATH: "/usr/local/bin:/usr/bin:/bin", LANG: "C.UTF-8" };
const { python, memoryCap, identity } = sandboxInfo() as SandboxInfo;
// bare and sandboxed runs alternate, and medians are reported, so that the load of a shared
// machine weighs on both alike
const bareMs: number[] = [];
const sandboxedMs: number[] = [];
for (let i = 0; i < runs; i++) {
  let t = performance.now();
  spawnSync(python, ["-s", "-B", "-c", program], { input: "1 2 3\n", env });
  bareMs.push(performance.now() - t);
  t = performance.now();
  const r = await runPythonSandboxed([{ name: "main.py", content: program }], "1 2 3\n", DEFAULT_LIMITS);
  sandboxedMs.push(performance.now() - t);
  if (r.stdout.trim() !== "6") throw new Error(`unexpected output: ${r.status} ${r.stdout} ${r.stderr}`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const bare = median(bareMs);
const sequential = median(sandboxedMs);

const limit = pLimit(cores);
const t0 = performance.now();
await Promise.all(
  Array.from({ length: runs }, () =>
    limit(() => runPythonSandboxed([{ name: "main.py", content: program }], "1 2 3\n", DEFAULT_LIMITS)),
  ),
);
const parallelSeconds = (performance.now() - t0) / 1000;
const speedup = (mean(sandboxedMs) * runs) / 1000 / parallelSeconds;

console.log(`bench:sandbox — ${runs} runs of a trivial program, ${cores} cores`);
console.log(`(${python}; whole-run memory cap: ${memoryCap}; identity: ${identity})`);
// a shared machine inflates every wall time here, python's start-up included
console.log(`load average ${loadavg()[0]!.toFixed(1)} on ${cores} cores`);
console.log(`median of ${runs}; means in brackets\n`);
console.log(`bare python3            ${bare.toFixed(1)} ms/run   [${mean(bareMs).toFixed(1)}]`);
console.log(
  `sandboxed, one at once  ${sequential.toFixed(1)} ms/run   [${mean(sandboxedMs).toFixed(1)}]   (overhead ${(sequential - bare).toFixed(1)} ms; goal < 50 ms: ${((sequential - bare) / 50).toFixed(2)}×)`,
);
console.log(
  `sandboxed, ${cores} at once     ${((parallelSeconds * 1000) / runs).toFixed(1)} ms/run   (speed-up ${speedup.toFixed(2)}× on ${cores} cores; goal ≥ ${(0.7 * cores).toFixed(1)}×)`,
);
