// `thinkprm synth --lenient-verdicts`: the official parser by default, the lenient reading on request.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, workdir } from "../cli/run-cli.js";
import { SHARED } from "../helpers.js";

const source = `prm800k:${resolve(SHARED, "data/prm800k/phase1_test.solutions.jsonl")}`;

describe("synth and a padded verdict box", () => {
  // the first prefix (L1/0/0) has one step, rated 1
  const dir = workdir({
    "teacher.json": JSON.stringify({ replies: ["Step 1: fine. \\boxed{ correct }\n</think>"] }),
  });
  const args = [
    "synth",
    "--teacher",
    "scripted:teacher.json",
    "--source",
    source,
    "--limit",
    "1",
    "--per-prefix",
    "1",
    "-q",
    "--json",
  ];

  it("is no decision by default (extract_boxed_predictions keeps exact contents only)", async () => {
    const r = await cli([...args, "--store", "strict.sqlite"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ sampled: 1, kept: 0 });
  });

  it("is a decision with --lenient-verdicts, and the kept chain keeps its step", async () => {
    const r = await cli([...args, "--store", "lenient.sqlite", "--lenient-verdicts"], { cwd: dir });
    expect(JSON.parse(r.stdout)).toMatchObject({ sampled: 1, kept: 1 });
    const run = JSON.parse(r.stdout).run as string;
    const out = await cli(
      ["export", "--run", run, "--store", "lenient.sqlite", "--format", "thinkprm", "--out", "set"],
      { cwd: dir },
    );
    expect(out.code).toBe(0);
    const row = JSON.parse(readFileSync(resolve(dir, "set/thinkprm.jsonl"), "utf8").trim());
    expect(row.cot).toContain("Step 1: fine. \\boxed{correct}\n</think>");
  });
});
