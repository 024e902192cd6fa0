import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CachedEngine } from "../../src/engines/cached.js";
import { ScriptedEngine } from "../../src/engines/scripted.js";
import { canonicalJson } from "../../src/store/content-key.js";
import { RunStore } from "../../src/store/run-store.js";
import { cli, workdir } from "../cli/run-cli.js";
import { REPO_ROOT } from "../helpers.js";

describe("RunStore", () => {
  it("resumes an unfinished run of the same configuration, starts a new one otherwise", () => {
    const store = new RunStore(join(workdir({}), "s.sqlite"));
    const a = store.startRun("verify", { k: 1, input: "x" });
    expect(a.resumed).toBe(false);
    // while this process works on it, the run is not joined (not even by this process)
    expect(() => store.startRun("verify", { k: 1, input: "x" })).toThrow(/is being worked on by process/);
    store.finishRun(a.run.id, "interrupted");
    expect(store.startRun("verify", { input: "x", k: 1 }).run.id).toBe(a.run.id); // key order does not matter
    expect(store.startRun("verify", { k: 2, input: "x" }).run.id).not.toBe(a.run.id);
    store.finishRun(a.run.id, "done");
    expect(store.startRun("verify", { k: 1, input: "x" }).resumed).toBe(false); // a finished run is not resumed
    expect(store.startRun("verify", { k: 1, input: "x" }, { resume: a.run.id.slice(0, 18) }).run.id).toBe(
      a.run.id,
    );
    store.finishRun(a.run.id, "interrupted");
    // a resume into another configuration is refused, naming what differs, unless forced
    expect(() => store.startRun("verify", { k: 1, input: "y" }, { resume: a.run.id })).toThrow(
      /differs in config\.input \("x" → "y"\).*--force-resume/,
    );
    const forced = store.startRun(
      "verify",
      { k: 1, input: "y" },
      { resume: a.run.id, forceResume: true },
    ).run;
    expect(forced.id).toBe(a.run.id);
    // the run now holds the configuration it runs with; the one it had is in its history
    expect(forced.config).toEqual({ k: 1, input: "y" });
    expect(forced.state.configHistory).toMatchObject([{ config: { k: 1, input: "x" } }]);
    expect(() => store.startRun("verify", {}, { resume: "nope" })).toThrow(/no run nope/);
    store.close();
  });

  it("records each result once, with its counters, in one transaction", () => {
    const store = new RunStore(":memory:");
    const { run } = store.startRun("verify", {});
    expect(
      store.recordResult(run.id, "a", 0, { score: 1 }, { promptTokens: 10, generatedTokens: 5, invalid: 1 }),
    ).toBe(true);
    expect(store.recordResult(run.id, "a", 0, { score: 2 }, { promptTokens: 10 })).toBe(false);
    const r = store.getRun(run.id)!;
    expect([r.itemsDone, r.promptTokens, r.generatedTokens, r.invalid]).toEqual([1, 10, 5, 1]);
    expect(store.storedResult(run.id, "a")).toEqual({ score: 1 });
    expect([...store.doneKeys(run.id)]).toEqual(["a"]);
    store.close();
  });

  it("caches engine calls by content: a second identical call costs nothing", async () => {
    const store = new RunStore(":memory:");
    const inner = new ScriptedEngine({
      replies: ["x", "y"],
      probabilities: () => ({ " Yes": 0.5, " No": 0.5 }),
    });
    const engine = new CachedEngine(inner, store);
    const req = { prompt: "p", maxTokens: 5, temperature: 0.7, seed: 3 };
    const first = await engine.complete(req);
    const again = await engine.complete({ ...req });
    expect(again).toEqual(first);
    await engine.complete({ ...req, seed: 4 }); // another seed is another call
    expect(inner.callsOf("complete")).toHaveLength(2);
    await engine.nextTokenProbabilities("p", [" Yes", " No"]);
    await engine.nextTokenProbabilities("p", [" Yes", " No"]);
    expect(inner.callsOf("nextTokenProbabilities")).toHaveLength(1);
    expect([engine.hits, engine.misses]).toEqual([2, 3]);
    store.close();
  });

  it("merges stores (e.g. shards written apart)", () => {
    const dir = workdir({});
    const a = new RunStore(join(dir, "a.sqlite"));
    const b = new RunStore(join(dir, "b.sqlite"));
    const ra = a.startRun("verify", { shard: 0 }).run;
    const rb = b.startRun("verify", { shard: 1 }).run;
    a.recordResult(ra.id, "x", 0, 1);
    b.recordResult(rb.id, "y", 1, 2);
    b.cacheSet("k", { v: 1 });
    a.close();
    b.close();
    const into = new RunStore(join(dir, "all.sqlite"));
    expect(into.merge([join(dir, "a.sqlite"), join(dir, "b.sqlite")])).toEqual({
      runs: 2,
      results: 2,
      cache: 1,
    });
    expect(into.listRuns()).toHaveLength(2);
    into.close();
  });

  it("canonical JSON sorts keys at every level", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 0 }], c: 3 } })).toBe(
      '{"a":{"c":3,"d":[2,{"y":0,"z":1}]},"b":1}',
    );
  });
});

describe("shards and the runs commands", () => {
  it("two processes write one store concurrently; runs list / show / export read it", async () => {
    const lines = Array.from({ length: 60 }, (_, i) =>
      JSON.stringify({ id: `q${i}`, problem: `P${i}`, steps: ["a", "b"] }),
    );
    const dir = workdir({
      "in.jsonl": lines.join("\n"),
      "s.json": JSON.stringify({
        replies: ["Step 1: \\boxed{correct}\nStep 2: \\boxed{incorrect}\n"],
        probabilities: "prompt-hash",
        latencyMs: 2,
      }),
    });
    const shard = (i: number) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            join(REPO_ROOT, "bin/thinkprm.js"),
            "verify",
            "-e",
            "scripted:s.json",
            "-i",
            "in.jsonl",
            "--shard",
            `${i}/2`,
            "--json",
            "-q",
          ],
          { cwd: dir, stdio: "ignore" },
        );
        child.on("close", resolve);
      });
    expect(await Promise.all([shard(0), shard(1)])).toEqual([0, 0]);

    const list = await cli(["runs", "list", "--json"], { cwd: dir });
    const runs = list.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(runs).toHaveLength(2);
    expect(runs.map((r) => [r.status, r.itemsDone]).sort()).toEqual([
      ["done", 30],
      ["done", 30],
    ]);
    const human = await cli(["runs", "list"], { cwd: dir });
    expect(human.stdout).toMatch(/verify\s+done\s+30\/30/);
    const show = await cli(["runs", "show", runs[0].id], { cwd: dir });
    expect(JSON.parse(show.stdout).config.shard).toMatch(/^[01]\/2$/);
    const csv = await cli(["runs", "export", runs[0].id, "--format", "csv"], { cwd: dir });
    const rows = csv.stdout.trim().split("\n");
    expect(rows[0]).toBe(
      "key,id,score,decision,firstIncorrectStep,stepCount,validChains,invalidChains,promptTokens,generatedTokens",
    );
    expect(rows).toHaveLength(31);
    expect(rows[1]).toMatch(/^q\d+,q\d+,0\.\d+,(yes|no),1,2,1,0,\d+,\d+$/);
    const jsonl = await cli(["runs", "export", runs[1].id], { cwd: dir });
    expect(jsonl.stdout.trim().split("\n")).toHaveLength(30);
    const missing = await cli(["runs", "list", "--store", "nope.sqlite"], { cwd: dir });
    expect(missing.stderr).toContain("no run store at nope.sqlite");
  }, 60_000);
});
