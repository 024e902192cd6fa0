/**
 * kill -9 a real CLI process at random points of a 1,000-item run, resume, and compare with an
 * uninterrupted run: nothing lost, nothing duplicated, identical results and metrics.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RunStore } from "../../src/store/run-store.js";
import { workdir } from "../cli/run-cli.js";
import { REPO_ROOT } from "../helpers.js";

const N = 1000;
const CHAIN =
  "Step 1: fine. \\boxed{correct}\nStep 2: also fine. \\boxed{correct}\n</think>\nIs the solution correct? Yes";

function runCli(
  cwd: string,
  store: string,
): { child: ChildProcess; done: Promise<{ code: number | null; stdout: string }> } {
  const child = spawn(
    process.execPath,
    [
      join(REPO_ROOT, "bin/thinkprm.js"),
      "verify",
      "-e",
      "scripted:s.json",
      "-i",
      "in.jsonl",
      "--store",
      store,
      "--json",
      "-q",
    ],
    { cwd, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  child.stdout!.setEncoding("utf8"); // decode across chunk boundaries (prompts hold multi-byte characters)
  child.stdout!.on("data", (d: string) => (stdout += d));
  const done = new Promise<{ code: number | null; stdout: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout })),
  );
  return { child, done };
}

/**
 * A restart empties the engine's prefix cache, so the first item after it evaluates more of its
 * prompt and reuses less: the split of prompt tokens between "evaluated" and "reused" is the one
 * thing that legitimately differs. Their sum, and everything else, must be identical.
 */
function withoutCacheSplit(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (key, v) =>
    key === "usage" && v && typeof v === "object"
      ? { prompt: v.promptTokens + v.reusedPromptTokens, generatedTokens: v.generatedTokens }
      : v,
  );
}

function snapshot(path: string) {
  const store = new RunStore(path);
  const [run] = store.listRuns().filter((r) => r.command === "verify");
  const results = store.results(run!.id).map((r) => ({ ...r, value: withoutCacheSplit(r.value) }));
  store.close();
  // wall time is the last invocation's, so it differs by design between a killed-and-resumed run and a clean one
  const { wallMs: _wall, ...metrics } = run!.metrics as Record<string, unknown>;
  return { run: run!, results, metrics };
}

describe("resume after kill -9", () => {
  it("loses nothing, repeats nothing, and ends identical to an uninterrupted run", async () => {
    const lines = Array.from({ length: N }, (_, i) =>
      JSON.stringify({
        id: `p${i}`,
        problem: `Item ${i}: what is ${i} + 1?`,
        steps: [`${i} + 1`, `= ${i + 1}`],
      }),
    );
    const dir = workdir({
      "in.jsonl": `${lines.join("\n")}\n`,
      "s.json": JSON.stringify({ replies: [CHAIN], probabilities: "prompt-hash", latencyMs: 1 }),
    });

    const reference = await runCli(dir, "ref.sqlite").done;
    expect(reference.code).toBe(0);

    let kills = 0;
    let final: { code: number | null; stdout: string } | undefined;
    for (let attempt = 0; attempt < 30 && !final; attempt++) {
      const { child, done } = runCli(dir, "killed.sqlite");
      if (kills < 4) {
        // a random point of the run: sometimes during start-up, mostly mid-way
        const timer = setTimeout(() => child.kill("SIGKILL"), (150 + Math.random() * 1500) / (attempt + 1));
        const result = await done;
        clearTimeout(timer);
        if (result.code === null) kills++;
        else if (kills === 0) {
          // finished before the kill landed (a fast machine): start over, so a kill is always tested
          rmSync(join(dir, "killed.sqlite"), { force: true });
          rmSync(join(dir, "killed.sqlite-wal"), { force: true });
          rmSync(join(dir, "killed.sqlite-shm"), { force: true });
        } else final = result;
      } else {
        final = await done;
      }
    }
    expect(kills).toBeGreaterThanOrEqual(1);
    expect(final?.code).toBe(0);

    const ref = snapshot(join(dir, "ref.sqlite"));
    const got = snapshot(join(dir, "killed.sqlite"));
    expect(got.run.itemsDone).toBe(N);
    expect(got.results).toHaveLength(N);
    expect(new Set(got.results.map((r) => r.key)).size).toBe(N); // nothing duplicated
    expect(got.results).toEqual(ref.results); // nothing lost or changed, same order
    expect(got.metrics).toEqual(ref.metrics);
    expect([got.run.promptTokens + got.run.reusedTokens, got.run.generatedTokens, got.run.invalid]).toEqual([
      ref.run.promptTokens + ref.run.reusedTokens,
      ref.run.generatedTokens,
      ref.run.invalid,
    ]);
    // the resumed process printed the whole run, the same as the uninterrupted one
    const printed = (out: string) =>
      out
        .trim()
        .split("\n")
        .map((l) => withoutCacheSplit(JSON.parse(l)));
    expect(printed(final!.stdout)).toEqual(printed(reference.stdout));
    expect(final!.stdout.trim().split("\n")).toHaveLength(N);
    expect(readFileSync(join(dir, "in.jsonl"), "utf8").split("\n").length).toBe(N + 1);
  }, 120_000);
});
