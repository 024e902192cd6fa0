import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUILTIN_CHAT_TEMPLATES } from "../../src/engines/chat-template.js";
import { LlamaCppEngine } from "../../src/engines/llama-cpp/engine.js";
import { makeTinyModel } from "../../src/engines/llama-cpp/test-models.js";
import { ScriptedEngine } from "../../src/engines/scripted.js";
import type { CompletionRequest } from "../../src/engines/types.js";
import { beamSearch, bestOfNSearch, dvts } from "../../src/search/beam-search.js";
import { functionScorer, verifierScorer } from "../../src/search/scorers.js";
import { ThinkPrmVerifier } from "../../src/verifier/thinkprm-verifier.js";

/**
 * A scripted generator: each sample writes "## Step k: good|bad" (alternating by sample index),
 * and after three steps the final answer. The scorer likes solutions whose steps are all good,
 * so the search's choice is known in advance.
 */
function generator() {
  return new ScriptedEngine({
    respond: (req: CompletionRequest, i: number) => {
      // the partial solution follows the problem ("Q: …") and its blank line
      const afterProblem = req.prompt.slice(req.prompt.indexOf("Q:"));
      const partial = afterProblem.slice(afterProblem.indexOf("\n\n") + 2);
      const done = (partial.match(/## Step/g) ?? []).length;
      if (done >= 3)
        return {
          text: `Therefore, the final answer is: $\\boxed{${partial.includes("bad") ? 7 : 42}}$.`,
          finishReason: "eos",
        };
      return `## Step ${done + 1}: ${i % 2 === 0 ? "good" : "bad"} move\n\nmore`;
    },
  });
}
const scorer = functionScorer((_p, steps) => (steps.some((s) => s.includes("bad")) ? 0.1 : 0.9));
const ctx = () => ({
  generator: { engine: generator(), chatTemplate: null, temperature: 0.6, maxTokens: 64, seed: 1 },
  scorer,
});

describe("beam search", () => {
  it("keeps the beams the verifier prefers and returns completed beams", async () => {
    const g = ctx();
    const r = await beamSearch({ id: "p", problem: "Q: What is 6 × 7?" }, g, {
      n: 4,
      beamWidth: 2,
      iterations: 10,
      filterDuplicates: true,
      sortCompleted: false,
    });
    expect(r.completions).toHaveLength(4);
    expect(r.pred).toBeGreaterThanOrEqual(0);
    const best = r.completions[r.pred]!;
    expect(best.text).toContain("\\boxed{42}");
    expect(best.text).not.toContain("bad");
    expect(best.steps).toHaveLength(3); // by the official rule the conclusion belongs to step 3
    const reqs = g.generator.engine.callsOf("complete") as CompletionRequest[];
    // steps end at a blank line, kept in the text; one request per distinct prefix with n = its beams
    expect(reqs[0]).toMatchObject({ n: 4, stop: ["\n\n"], temperature: 0.6 });
    // after dedupe the top N/M = 2 prefixes survive (one good, one bad); the good one is extended
    expect(reqs.some((q) => q.prompt.endsWith("## Step 1: good move\n\n## Step 2: good move\n\n"))).toBe(
      true,
    );
  });

  it("N < M keeps every beam (the reference's n // M = 0 slice)", async () => {
    const r = await beamSearch({ id: "p", problem: "Q: q" }, ctx(), {
      n: 2,
      beamWidth: 4,
      iterations: 10,
      filterDuplicates: false,
      sortCompleted: false,
    });
    expect(r.completions).toHaveLength(2);
  });

  it("the last iteration generates to the end (no stop)", async () => {
    const g = ctx();
    await beamSearch({ id: "p", problem: "Q: q" }, g, {
      n: 2,
      beamWidth: 2,
      iterations: 2,
      filterDuplicates: true,
      sortCompleted: false,
    });
    const reqs = g.generator.engine.callsOf("complete") as CompletionRequest[];
    expect(reqs.at(-1)!.stop).toBeUndefined();
  });

  it("DVTS pools N / M independent searches; best-of-N scores N samples", async () => {
    const d = await dvts({ id: "p", problem: "Q: q" }, ctx(), {
      n: 4,
      beamWidth: 2,
      iterations: 10,
      filterDuplicates: true,
      sortCompleted: false,
    });
    expect(d.completions).toHaveLength(4);
    expect(d.completions[d.pred]!.text).toContain("42");
    const b = await bestOfNSearch({ id: "p", problem: "Q: q" }, ctx(), { n: 3 });
    expect(b.completions).toHaveLength(3);
  });

  it("runs end to end on the embedded tiny model, generator and ThinkPRM verifier both real", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "thinkprm-beam-")), "tiny.gguf");
    writeFileSync(path, makeTinyModel());
    const engine = await LlamaCppEngine.create({ modelPath: path, threads: 1, contextSize: 2048 });
    const verifier = new ThinkPrmVerifier({
      engine,
      chatTemplate: BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"],
      maxTokens: 8,
      onTruncated: "force-decision",
    });
    const r = await beamSearch(
      { id: "p", problem: "What is 2 + 3?" },
      {
        generator: {
          engine,
          chatTemplate: BUILTIN_CHAT_TEMPLATES["qwen2.5"],
          temperature: 0.8,
          maxTokens: 6,
          seed: 3,
        },
        scorer: verifierScorer(verifier),
      },
      { n: 2, beamWidth: 2, iterations: 3, filterDuplicates: true, sortCompleted: false },
    );
    expect(r.completions).toHaveLength(2);
    expect(r.generatedTokens).toBeGreaterThan(0);
    expect(r.verifierTokens).toBeGreaterThan(0);
    expect(r.completions.every((c) => c.score === null || (c.score >= 0 && c.score <= 1))).toBe(true);
    await engine.close();
  }, 60_000);
});
