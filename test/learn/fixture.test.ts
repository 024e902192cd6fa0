/**
 * The committed learned verifier (test/fixtures/learned/, rebuilt by the commands in RECIPE.md
 * there): it loads in the embedded engine, writes chains in ThinkPRM's shape, and still finds the
 * first error on held-out items it was never trained on — a regression guard for later work on
 * adaptive K, per-step verification and runaway chains, which measures on it.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cli } from "../cli/run-cli.js";
import { fixture } from "../helpers.js";

const MODEL = fixture("learned/last-digit-verifier.gguf");
const HELD_OUT = fixture("learned/last-digit.json");

describe("the committed learned verifier", () => {
  it("is the model RECIPE.md describes, with its held-out set", () => {
    const recipe = readFileSync(fixture("learned/RECIPE.md"), "utf8");
    expect(existsSync(MODEL)).toBe(true);
    const items = JSON.parse(readFileSync(HELD_OUT, "utf8")) as { label: number; steps: string[] }[];
    expect(items).toHaveLength(200);
    expect(recipe).toContain("thinkprm dev synthetic-task");
    expect(recipe).toContain("--seed 1");
  });

  it("finds the first error of held-out items, greedy, on the embedded engine", async () => {
    const r = await cli([
      "eval",
      "processbench",
      "-m",
      MODEL,
      "--data-dir",
      fixture("learned"),
      "--subsets",
      "last-digit",
      "--limit",
      "40",
      "--max-tokens",
      "192",
      "--chat-template",
      "r1-distill-qwen",
      "--threads",
      "1",
      "--no-store",
      "--json",
      "-q",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout).subsets["last-digit"];
    expect(m.items).toBe(40);
    // FIXTURE_THRESHOLDS
    expect(m.invalidRate).toBeLessThanOrEqual(0.05);
    expect(m.f1).toBeGreaterThanOrEqual(0.65); // measured 0.735 (acc_err 0.667, acc_cor 0.818)
  }, 120_000);
});
