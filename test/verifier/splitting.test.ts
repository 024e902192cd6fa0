import { describe, expect, it } from "vitest";
import { splitBySentences, splitSteps } from "../../src/core/step-split.js";
import { ScriptedEngine } from "../../src/engines/scripted.js";
import { coverageOf, llmSplitSteps } from "../../src/verifier/llm-splitter.js";
import { cli, workdir } from "../cli/run-cli.js";

const PARAGRAPH = "The side is 32 / 4 = 8 ft. The area is $8^2 = 64$ square feet. So the answer is 64.";

describe("splitting free-form solutions into steps", () => {
  it("sentences outside math; short fragments join the step before", () => {
    expect(splitBySentences("We have $x = 2.5$. So $2x = 5$. Done!")).toEqual([
      "We have $x = 2.5$.",
      "So $2x = 5$. Done!",
    ]);
    expect(splitBySentences("Since \\(a. B\\) holds, x = 1.\nThus y equals 2.")).toEqual([
      "Since \\(a. B\\) holds, x = 1.",
      "Thus y equals 2.",
    ]);
    expect(splitBySentences("So x = 1. Thus.")).toEqual(["So x = 1. Thus."]);
    expect(splitSteps(PARAGRAPH)).toEqual([
      "The side is 32 / 4 = 8 ft.",
      "The area is $8^2 = 64$ square feet.",
      "So the answer is 64.",
    ]);
    expect(splitSteps("one\n\ntwo")).toEqual(["one", "two"]);
    expect(splitSteps("Step 1: a\nStep 2: b")).toEqual(["a", "b"]);
  });

  it("an LLM split is used when it copies the text, and replaced when it does not", async () => {
    const faithful = new ScriptedEngine({
      replies: [
        "Step 1: The side is 32 / 4 = 8 ft.\nStep 2: The area is $8^2 = 64$ square feet. So the answer is 64.",
      ],
    });
    const a = await llmSplitSteps(PARAGRAPH, { engine: faithful, chatTemplate: null });
    expect(a).toMatchObject({
      method: "llm",
      steps: ["The side is 32 / 4 = 8 ft.", "The area is $8^2 = 64$ square feet. So the answer is 64."],
    });
    expect(a.coverage).toBeGreaterThan(0.99);
    const summariser = new ScriptedEngine({ replies: ["Step 1: compute the side.\nStep 2: square it."] });
    const b = await llmSplitSteps(PARAGRAPH, { engine: summariser, chatTemplate: null });
    expect(b.method).toBe("fallback");
    expect(b.steps).toEqual(splitSteps(PARAGRAPH));
    expect(coverageOf("abc def", "abcdef")).toBe(1);
    expect(coverageOf("abc def", "xyz")).toBe(0);
  });

  it("thinkprm verify accepts a plain solution and cuts it into steps", async () => {
    const dir = workdir({
      "s.json": JSON.stringify({
        replies: ["Step 1: \\boxed{correct}\nStep 2: \\boxed{correct}\nStep 3: \\boxed{correct}\n"],
        probabilities: { " Yes": 0.9, " No": 0.1 },
      }),
    });
    const r = await cli(
      ["verify", "-q", "-e", "scripted:s.json", "--problem", "Area?", "--solution", PARAGRAPH, "--json"],
      { cwd: dir },
    );
    const v = JSON.parse(r.stdout);
    expect(v.stepCount).toBe(3);
    expect(v.prompt).toContain("Step 2: The area is $8^2 = 64$ square feet.\nStep 3: So the answer is 64.");
  });
});

describe("thinkprm verify --split llm", () => {
  it("cuts with the splitter model, and falls back with a note when it rewrites", async () => {
    const dir = workdir({
      "v.json": JSON.stringify({
        replies: ["Step 1: \\boxed{correct}\n"],
        probabilities: { " Yes": 0.9, " No": 0.1 },
      }),
      "good.json": JSON.stringify({
        replies: [
          "Step 1: The side is 32 / 4 = 8 ft. The area is $8^2 = 64$ square feet.\nStep 2: So the answer is 64.",
        ],
      }),
      "bad.json": JSON.stringify({ replies: ["Step 1: it is 64"] }),
    });
    const base = [
      "verify",
      "-e",
      "scripted:v.json",
      "--problem",
      "Area?",
      "--solution",
      PARAGRAPH,
      "--split",
      "llm",
      "--json",
      "--no-store",
    ];
    const good = await cli([...base, "--splitter", "scripted:good.json", "-q"], { cwd: dir });
    expect(JSON.parse(good.stdout).stepCount).toBe(2);
    const bad = await cli([...base, "--splitter", "scripted:bad.json"], { cwd: dir });
    expect(JSON.parse(bad.stdout).stepCount).toBe(3);
    expect(bad.stderr).toMatch(/kept \d+% of the text; used the sentence splitter instead/);
    const missing = await cli(
      ["verify", "-e", "scripted:v.json", "--problem", "p", "--solution", "s", "--split", "llm"],
      { cwd: dir },
    );
    expect(missing.stderr).toContain("--split llm needs --splitter");
  });
});
