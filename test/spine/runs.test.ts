/**
 * Run identity through the CLI: the cache knows a model by its content, duplicate ids are refused
 * at input, a resume into another configuration is refused (naming what differs), and the run
 * loop keeps a full window in flight and hands results back in input order.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeTinyModel } from "../../src/engines/llama-cpp/test-models.js";
import { ScriptedEngine } from "../../src/engines/scripted.js";
import { runLoop } from "../../src/store/run-loop.js";
import { RunStore } from "../../src/store/run-store.js";
import { cli, workdir } from "../cli/run-cli.js";

const jsonl = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;
const CHAIN = "Step 1: fine \\boxed{correct}\n";

describe("the cache knows a model by its content", () => {
  it("overwriting the model file (the retrain → convert → verify loop) changes the chains", async () => {
    const dir = workdir({
      "in.jsonl": jsonl([{ id: "a", problem: "What is 2 + 2?", steps: ["2 + 2 = 4"] }]),
    });
    writeFileSync(join(dir, "model.gguf"), makeTinyModel(1));
    const args = [
      "verify",
      "-m",
      "model.gguf",
      "--threads",
      "1",
      "--max-tokens",
      "12",
      "-i",
      "in.jsonl",
      "--json",
      "-q",
    ];
    const env = { THINKPRM_CACHE: join(dir, "cache") };
    const first = JSON.parse((await cli(args, { cwd: dir, env })).stdout) as { chains: { text: string }[] };
    // the same file again: answered from the store (a finished run's cache)
    const again = JSON.parse((await cli(args, { cwd: dir, env })).stdout) as { chains: { text: string }[] };
    expect(again.chains[0]!.text).toBe(first.chains[0]!.text);
    // another model written over the same path: its own chains, not the old model's
    writeFileSync(join(dir, "model.gguf"), makeTinyModel(2));
    const retrained = JSON.parse((await cli(args, { cwd: dir, env })).stdout) as {
      chains: { text: string }[];
    };
    expect(retrained.chains[0]!.text).not.toBe(first.chains[0]!.text);
  }, 60_000);
});

describe("input identity", () => {
  it('duplicate ids are refused with both lines (1 and "1" are the same id)', async () => {
    const dir = workdir({
      "s.json": JSON.stringify({ replies: [CHAIN], probabilities: { " Yes": 0.9, " No": 0.1 } }),
      "in.jsonl": jsonl([
        { id: 1, problem: "p", steps: ["a"] },
        { id: "x", problem: "q", steps: ["b"] },
        { id: "1", problem: "r", steps: ["c"] },
      ]),
    });
    const r = await cli(["verify", "-e", "scripted:s.json", "-i", "in.jsonl"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('in.jsonl:3: id "1" is already the id of line 1');
  });

  it("a resume with another input, model or data folder is refused, naming the difference", async () => {
    const dir = workdir({
      "s.json": JSON.stringify({ replies: [CHAIN], probabilities: { " Yes": 0.9, " No": 0.1 } }),
      "t.json": JSON.stringify({ replies: [CHAIN], probabilities: { " Yes": 0.2, " No": 0.8 } }),
      "a.jsonl": jsonl([{ problem: "p", steps: ["a"] }]),
      "b.jsonl": jsonl([{ problem: "q", steps: ["b"] }]),
    });
    const first = await cli(["verify", "-e", "scripted:s.json", "-i", "a.jsonl"], { cwd: dir });
    expect(first.code).toBe(0);
    const id = /^run (\S+)/m.exec(first.stderr)![1]!;
    const otherInput = await cli(["verify", "-e", "scripted:s.json", "-i", "b.jsonl", "--resume", id], {
      cwd: dir,
    });
    expect(otherInput.code).toBe(2);
    expect(otherInput.stderr).toMatch(/differs in config\.input\.sha256 /);
    // how the path is spelled is no part of the identity
    expect(otherInput.stderr).not.toContain("config.input.source");
    const otherModel = await cli(["verify", "-e", "scripted:t.json", "-i", "a.jsonl", "--resume", id], {
      cwd: dir,
    });
    expect(otherModel.stderr).toMatch(/differs in config\.verifier\.engine \("scripted:[0-9a-f]+/);
    const forced = await cli(
      ["verify", "-e", "scripted:t.json", "-i", "a.jsonl", "--resume", id, "--force-resume"],
      {
        cwd: dir,
      },
    );
    expect(forced.code).toBe(0);

    // eval processbench: another data folder with other files is another configuration
    const pb = (items: unknown[]) => JSON.stringify(items);
    const dataDir = workdir({
      "one/gsm8k.json": pb([{ id: "g-0", problem: "1+1?", steps: ["2"], label: -1 }]),
      "two/gsm8k.json": pb([{ id: "g-0", problem: "1+2?", steps: ["4"], label: 0 }]),
    });
    const args = (d: string) => [
      "eval",
      "processbench",
      "-e",
      `scripted:${join(dir, "s.json")}`,
      "--subsets",
      "gsm8k",
      "--data-dir",
      join(dataDir, d),
      "-q",
    ];
    const one = await cli([...args("one"), "--json"], { cwd: dir });
    const run = JSON.parse(one.stdout).run as string;
    const two = await cli([...args("two"), "--resume", run], { cwd: dir });
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/differs in config\.data\.sha256/);
  });
});

describe("the run loop", () => {
  it("keeps the window full, stores every result, and hands them back in input order", async () => {
    const store = new RunStore(":memory:");
    const engine = new ScriptedEngine({ replies: ["x"], latencyMs: 1 });
    let inFlight = 0;
    let most = 0;
    const seen: number[] = [];
    const out = await runLoop<number, number>({
      store,
      command: "test",
      config: {},
      items: Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, index: i, value: i })),
      concurrency: 8,
      work: async ({ value }) => {
        inFlight++;
        most = Math.max(most, inFlight);
        // later items finish first: order comes from the loop, not from timing
        await new Promise((r) => setTimeout(r, (40 - value) % 7));
        await engine.complete({ prompt: String(value), maxTokens: 1 });
        inFlight--;
        return value * 2;
      },
      onResult: (_item, result) => seen.push(result),
    });
    expect(most).toBe(8);
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));
    expect(store.results(out.run.id)).toHaveLength(40);
    store.close();
  });

  it("an item past its timeout is aborted and counted failed; a programming error stops the run", async () => {
    const store = new RunStore(":memory:");
    const slow = await runLoop<number, number>({
      store,
      command: "timeouts",
      config: {},
      items: [0, 1, 2].map((v) => ({ key: `k${v}`, index: v, value: v })),
      concurrency: 3,
      itemTimeoutMs: 50,
      work: (item, signal) =>
        new Promise((resolve, reject) => {
          if (item.value !== 1) return resolve(item.value);
          signal.addEventListener("abort", () => reject(new Error("aborted")));
        }),
    });
    expect(slow.failures).toMatchObject([{ key: "k1", code: "timeout" }]);
    expect([...slow.results.keys()].sort()).toEqual([0, 2]);
    expect(store.failures(slow.run.id)).toHaveLength(1);
    await expect(
      runLoop({
        store,
        command: "bug",
        config: {},
        items: [{ key: "a", index: 0, value: 0 }],
        concurrency: 1,
        work: async () => {
          throw new TypeError("a bug");
        },
      }),
    ).rejects.toThrow("a bug");
    expect(store.listRuns().find((r) => r.command === "bug")!.status).toBe("failed");
    store.close();
  });
});
