/**
 * Full ProcessBench runs: all 3,400 items with a scripted engine replaying crafted chains (so every
 * number is known in advance), and through the embedded engine on the generated tiny model (numbers
 * meaningless, the path real).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { layoutSolution } from "../../src/core/thinkprm-prompt.js";
import { loadProcessBench } from "../../src/datasets/processbench.js";
import { makeTinyModel } from "../../src/engines/llama-cpp/test-models.js";
import { processBenchMetrics } from "../../src/eval/processbench-metrics.js";
import { cli, workdir } from "../cli/run-cli.js";
import { SHARED } from "../helpers.js";

const DIR = join(SHARED, "data/processbench");
const SUBSETS = ["gsm8k", "math", "olympiadbench", "omnimath"];

/** A chain judging steps up to `stop` (0-based), the last one incorrect when `incorrect`. */
function chain(stepCount: number, firstError: number): string {
  const until = firstError < 0 ? stepCount - 1 : firstError;
  let text = "\n\n";
  for (let k = 0; k <= until; k++) {
    text += `Step ${k + 1}: critique.\n\nThe step is \\boxed{${k === firstError ? "incorrect" : "correct"}}\n\n`;
  }
  return text;
}

describe("ProcessBench, all 3,400 items", () => {
  it("replays crafted chains and reports exactly the numbers they imply", async () => {
    const items = SUBSETS.flatMap((s) => loadProcessBench(DIR, s));
    expect(items).toHaveLength(3400);
    const byPrompt: Record<string, unknown> = {};
    const expected = items.map((it, i) => {
      const key = `${it.problem}\n\n[Solution]\n\n${layoutSolution(it.steps, "numbered")}`;
      // a third right, a third wrong by one step, a third cut off (invalid)
      const kind = i % 3;
      const wrong = it.label === -1 ? 0 : it.label + 1 < it.steps.length ? it.label + 1 : -1;
      const predicted = kind === 0 ? it.label : kind === 1 ? wrong : null;
      byPrompt[key] =
        kind === 2
          ? { text: chain(it.steps.length, it.label), finishReason: "length" }
          : chain(it.steps.length, predicted as number);
      return { id: it.id, subset: it.subset, label: it.label, prediction: predicted };
    });
    const dir = workdir({
      "replay.json": JSON.stringify({ byPrompt, probabilities: { " Yes": 0.5, " No": 0.5 } }),
    });
    const r = await cli(
      [
        "eval",
        "processbench",
        "--subsets",
        SUBSETS.join(","),
        "--data-dir",
        DIR,
        "-e",
        "scripted:replay.json",
        "--max-tokens",
        "100000",
        "-q",
        "--json",
        "--predictions-out",
        "preds.jsonl",
      ],
      { cwd: dir },
    );
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout);
    for (const subset of SUBSETS) {
      const want = processBenchMetrics(expected.filter((e) => e.subset === subset));
      const got = out.subsets[subset];
      expect(got.items).toBe(want.items);
      expect(got.accErr).toBeCloseTo(want.accErr, 12);
      expect(got.accCor).toBeCloseTo(want.accCor, 12);
      expect(got.f1).toBeCloseTo(want.f1, 12);
      expect(got.binaryF1).toBeCloseTo(want.binaryF1, 12);
      expect(got.invalidRate).toBeCloseTo(want.invalidRate, 12);
    }
    expect(out.subsets.all.invalid).toBe(expected.filter((e) => e.prediction === null).length);
    // the predictions file scores to the same numbers with no model
    const again = JSON.parse(
      (
        await cli(
          [
            "eval",
            "processbench",
            "--subsets",
            SUBSETS.join(","),
            "--data-dir",
            DIR,
            "--predictions",
            "preds.jsonl",
            "--json",
          ],
          { cwd: dir },
        )
      ).stdout,
    );
    expect(again.subsets.all.f1).toBeCloseTo(out.subsets.all.f1, 12);
  }, 120_000);

  it("--limit takes a seeded sample of each subset; --sample-seed picks another", async () => {
    const dir = workdir({
      "s.json": JSON.stringify({
        replies: ["Step 1: ok \\boxed{correct}\n"],
        probabilities: { " Yes": 0.7, " No": 0.3 },
      }),
    });
    const sample = async (seed: string[]) => {
      const r = await cli(
        [
          "eval",
          "processbench",
          "-e",
          "scripted:s.json",
          "--data-dir",
          DIR,
          "--subsets",
          "gsm8k,math",
          "--limit",
          "6",
          ...seed,
          "--predictions-out",
          "p.jsonl",
          "--no-store",
          "-q",
          "--json",
        ],
        { cwd: dir },
      );
      expect(r.stderr).toBe("");
      expect(JSON.parse(r.stdout).subsets.gsm8k.items).toBe(6);
      const { readFileSync } = await import("node:fs");
      return readFileSync(join(dir, "p.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).id as string);
    };
    const first = await sample([]);
    expect(first).toHaveLength(12);
    // both labels: the files are sorted by label, so a first-k cut would be one kind only
    const labels = new Set(
      loadProcessBench(DIR, "gsm8k")
        .filter((i) => first.includes(i.id))
        .map((i) => i.label === -1),
    );
    expect(labels.size).toBe(2);
    expect(await sample(["--sample-seed", "0"])).toEqual(first);
    expect(await sample(["--sample-seed", "7"])).not.toEqual(first);
  }, 60_000);

  it("runs end to end through the embedded engine on the generated tiny model", async () => {
    const dir = workdir({});
    writeFileSync(join(dir, "tiny.gguf"), makeTinyModel());
    const t0 = Date.now();
    const r = await cli(
      [
        "eval",
        "processbench",
        "--subsets",
        SUBSETS.join(","),
        "--data-dir",
        DIR,
        "-m",
        "tiny.gguf",
        "--threads",
        "1",
        "--max-tokens",
        "1",
        "--context-size",
        "8192",
        "-q",
        "--json",
      ],
      { cwd: dir },
    );
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout);
    expect(out.subsets.all.items).toBe(3400);
    console.log(`ProcessBench, 3,400 items on the tiny model: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }, 900_000);
});
