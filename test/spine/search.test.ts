/** `thinkprm search` end to end: a scripted generator whose best beam is known, and the embedded tiny model. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeTinyModel } from "../../src/engines/llama-cpp/test-models.js";
import { cli, workdir } from "../cli/run-cli.js";

const jsonl = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;

describe("thinkprm search", () => {
  it("beam search keeps the beam the verifier prefers and ends on the right answer", async () => {
    const dir = workdir({
      "problems.jsonl": jsonl([{ id: "p1", problem: "What is 2 + 2?", answer: "4" }]),
      // a first step (good or bad, in turn; steps end at a blank line, the beam's stop), then the
      // same final answer after either: only the verifier's view of the first step tells them apart
      "gen.json": JSON.stringify({
        replies: ["## Step 1: a careful good step\n\n", "## Step 1: a hasty bad step\n\n"],
        rules: ["good step", "bad step"].map((when) => ({
          when,
          reply: {
            text: "Therefore, the final answer is: $\\boxed{4}$. I hope it is correct.",
            finishReason: "eos",
          },
        })),
      }),
      // the verifier dislikes the bad step
      "ver.json": JSON.stringify({
        replies: ["Step 1: looks fine \\boxed{correct}\n"],
        rules: [{ when: "bad step", probabilities: { " Yes": 0.1, " No": 0.9 } }],
        probabilities: { " Yes": 0.9, " No": 0.1 },
      }),
    });
    const r = await cli(
      [
        "search",
        "--dataset",
        "problems.jsonl",
        "--generator",
        "scripted:gen.json",
        "--generator-template",
        "none",
        "-e",
        "scripted:ver.json",
        "--chat-template",
        "none",
        "-N",
        "4",
        "-M",
        "2",
        "--depth",
        "3",
        "--json",
        "-q",
      ],
      { cwd: dir },
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      chosen: string;
      correct: boolean;
      score: number;
      completions: { text: string; score: number }[];
    };
    expect(out.correct).toBe(true);
    expect(out.chosen).toContain("good step");
    expect(out.chosen).not.toContain("bad step");
    expect(out.chosen).toContain("\\boxed{4}");
    expect(out.score).toBeCloseTo(0.9, 12);
    // every completion that took the bad step scored lower than the chosen one
    for (const c of out.completions) if (c.text.includes("bad step")) expect(c.score).toBeLessThan(out.score);
  });

  it("runs beam search, DVTS and best-of-N on the embedded tiny model as generator and verifier", async () => {
    const dir = workdir({ "problems.jsonl": jsonl([{ problem: "What is 1 + 1?", answer: "2" }]) });
    writeFileSync(join(dir, "tiny.gguf"), makeTinyModel());
    for (const method of ["beam", "dvts", "bon"]) {
      const r = await cli(
        [
          "search",
          "--method",
          method,
          "--dataset",
          "problems.jsonl",
          "--generator",
          "llama-cpp:tiny.gguf",
          "-m",
          "tiny.gguf",
          "--threads",
          "1",
          "-N",
          "2",
          "-M",
          "2",
          "--depth",
          "2",
          "--gen-max-tokens",
          "6",
          "--max-tokens",
          "6",
          "--json",
          "-q",
          "--no-store",
        ],
        { cwd: dir },
      );
      expect(r.stderr, method).toBe("");
      const out = JSON.parse(r.stdout) as {
        completions: unknown[];
        generatedTokens: number;
        verifierTokens: number;
      };
      expect(out.completions.length, method).toBeGreaterThanOrEqual(2);
      expect(out.generatedTokens, method).toBeGreaterThan(0);
      expect(out.verifierTokens, method).toBeGreaterThan(0);
    }
  }, 120_000);
});
