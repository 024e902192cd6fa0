import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPrefixes, prefixesFromStepwiseParquet } from "../../src/datasets/prm800k.js";
import { SHARED } from "../helpers.js";

const data = (f: string) => resolve(SHARED, "data/prm800k", f);

describe("PRM800K prefixes", () => {
  it("raw records: the chosen path extended by each rated candidate", async () => {
    const ps = await loadPrefixes(`prm800k:${data("raw_samples.jsonl")}`);
    expect(ps).toHaveLength(65);
    expect(ps.slice(0, 3).map((p) => p.ratings)).toEqual([[1], [1, -1], [1, -1]]);
    // candidates at one step share the path before them
    expect(ps[1]!.steps[0]).toBe(ps[0]!.steps[0]);
    expect(ps[1]!.steps[1]).not.toBe(ps[2]!.steps[1]);
    for (const p of ps) expect(p.steps).toHaveLength(p.ratings.length);
  });

  it("phase-1 solution files: one prefix per rated candidate, ratings 1, 0 or -1", async () => {
    const ps = await loadPrefixes(`prm800k:${data("phase1_test.solutions.jsonl")}`);
    expect(ps).toHaveLength(1801);
    expect(ps[0]).toMatchObject({ id: "L1/0/0", ratings: [1] });
    expect(ps.every((p) => p.ratings.every((r) => r === 1 || r === 0 || r === -1))).toBe(true);
  });

  it("stepwise-critic parquet: accepted steps count as correct, the rated next step last", async () => {
    const ps = await prefixesFromStepwiseParquet(
      data("stepwise_critic_parquet/phase1_test.stepwise-critic.parquet"),
      50,
    );
    expect(ps.length).toBeGreaterThan(0);
    for (const p of ps) {
      expect(p.ratings.slice(0, -1).every((r) => r === 1)).toBe(true);
      expect([1, 0, -1]).toContain(p.ratings.at(-1));
      expect(typeof p.problem).toBe("string");
    }
  });

  it("generic JSONL, with errors that name the file, line and field", async () => {
    const dir = mkdtempSync(join(tmpdir(), "thinkprm-prefixes-"));
    const good = join(dir, "good.jsonl");
    writeFileSync(
      good,
      `${JSON.stringify({ id: "a", problem: "p", steps: ["s1", "s2"], labels: ["+", "-"] })}\n`,
    );
    expect(await loadPrefixes(`jsonl:${good}`)).toEqual([
      { id: "a", problem: "p", steps: ["s1", "s2"], ratings: ["+", "-"] },
    ]);
    const bad = join(dir, "bad.jsonl");
    writeFileSync(
      bad,
      `${JSON.stringify({ problem: "p", steps: ["s1"], labels: ["+"] })}\n${JSON.stringify({ problem: "p", steps: ["s1", "s2"], labels: ["+"] })}\n`,
    );
    await expect(loadPrefixes(`jsonl:${bad}`)).rejects.toThrow(/bad\.jsonl:2.*"labels"/);
    await expect(loadPrefixes(`csv:${bad}`)).rejects.toThrow(/unknown source "csv"/);
  });
});
