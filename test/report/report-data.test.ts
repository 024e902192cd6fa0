/** What a report shows, from stored runs (pure): viewer items, tables, which plots. */
import { describe, expect, it } from "vitest";
import { reportRuns, viewerItems } from "../../src/report/report-data.js";
import { plotsFor } from "../../src/report/report-plots.js";
import { metricTable, runTable } from "../../src/report/report-tables.js";
import type { RunRecord } from "../../src/store/run-store.js";

function run(id: string, command: string, metrics: unknown): RunRecord {
  return {
    id,
    command,
    config: { engine: "scripted:s.json" },
    configHash: "h",
    status: "done",
    createdAt: "2026-01-01T00:00:00Z",
    updatedAt: "2026-01-01T00:00:00Z",
    finishedAt: null,
    itemsDone: 2,
    itemsTotal: 2,
    promptTokens: 10,
    generatedTokens: 20,
    reusedTokens: 5,
    invalid: 1,
    elapsedMs: 1500,
    metrics,
    state: {},
    itemsFailed: 0,
    owner: null,
  };
}

const chain = (text: string, valid: boolean, tokens: number) => ({
  text,
  valid,
  issues: valid ? [] : [{ code: "truncated", message: "hit the limit" }],
  score: valid ? 0.9 : null,
  usage: { generatedTokens: tokens },
});

const verification = (score: number | null, correct: boolean) => ({
  score,
  decision: score === null ? null : score >= 0.5 ? "yes" : "no",
  stepCount: 2,
  stepVerdicts: ["correct", "incorrect"],
  firstIncorrectStep: 1,
  chains: [
    chain("Step 1: $x$ \\boxed{correct}\nStep 2: \\boxed{incorrect}", true, 7),
    chain("Step 1: cut", false, 3),
  ],
  usage: { generatedTokens: 10 },
  input: { problem: "What is $\\frac{1}{2}$?", steps: ["a", "b"] },
  gold: { firstErrorStep: correct ? -1 : 1 },
});

const bestOfN = [
  { n: 1, method: "naive", accuracy: 0.4 },
  { n: 2, method: "naive", accuracy: 0.6 },
];

describe("report data", () => {
  it("keeps every chain of an item, with its own tokens, verdicts and issues", () => {
    const [item] = viewerItems(run("r1", "verify", {}), [{ key: "a", value: verification(0.8, false) }]);
    expect(item!.chains.map((c) => [c.valid, c.tokens, c.issues])).toEqual([
      [true, 7, []],
      [false, 3, ["truncated: hit the limit"]],
    ]);
    expect(item!.chains[0]!.text.filter((s) => s[0] === "v").map((s) => [s[2], s[3]])).toEqual([
      ["correct", 0],
      ["incorrect", 1],
    ]);
    expect(item!.problem).toEqual([
      ["t", "What is "],
      ["m", "\\frac{1}{2}"],
      ["t", "?"],
    ]);
    // eval-bon's score lists are not verifications
    expect(viewerItems(run("r2", "eval-bon", {}), [{ key: "scores:p", value: [0.1, 0.2] }])).toEqual([]);
  });

  it("gives every run a column and its own plots, never pooling them", () => {
    const runs = reportRuns([
      {
        record: run("pb1", "eval-processbench", { "all F1 (official)": 0.5, "score ECE": 0.1, bySubset: {} }),
        results: [
          { key: "a", value: verification(0.8, true) },
          { key: "b", value: verification(0.3, false) },
        ],
      },
      {
        record: run("pb2", "verify", { meanScore: 0.25 }),
        results: [{ key: "a", value: verification(0.2, true) }],
      },
      { record: run("bon1", "eval-bon", { bestOfN }), results: [] },
      { record: run("bon2", "eval-bon", { bestOfN }), results: [] },
    ]);
    expect(new Set(runs.map((r) => r.colour)).size).toBe(4);
    const metrics = metricTable(runs);
    expect(metrics.find((r) => r.label === "all F1 (official)")!.values).toEqual([
      "0.5000",
      null,
      null,
      null,
    ]);
    // stored where the command computed it, from the items where it did not (verify)
    expect(metrics.find((r) => r.label === "score ECE")!.values).toEqual(["0.1000", "0.8000", null, null]);
    expect(metrics.some((r) => r.label === "bySubset" || r.label === "bestOfN")).toBe(false);
    expect(runTable(runs).find((r) => r.label === "verification chains")!.values).toEqual([
      "4 (2 valid)",
      "2 (1 valid)",
      null,
      null,
    ]);
    const plots = plotsFor(runs);
    expect(plots.map((p) => p.id)).toEqual([
      "scores",
      "chain-lengths",
      "reliability",
      "accuracy-vs-n-bon1",
      "accuracy-vs-n-bon2",
    ]);
    const reliability = plots.find((p) => p.id === "reliability")!;
    expect(reliability.note).toBe("pb1: ECE 0.2500 over 2 solutions · pb2: ECE 0.8000 over 1 solution");
    // one run: the plain ids the PNG files have always had
    expect(plotsFor(runs.slice(2, 3)).map((p) => p.id)).toEqual(["accuracy-vs-n"]);
  });
});
