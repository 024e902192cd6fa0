// GPQA (multiple choice) and LiveCodeBench (code run in the sandbox): loaders, steps, grading, and
// `thinkprm eval bon --task gpqa|code` end to end on scripted engines and on the tiny model.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { seededShuffle } from "../../src/core/seeded-random.js";
import { loadGpqa, parseCsv } from "../../src/datasets/gpqa.js";
import { loadLiveCodeBench } from "../../src/datasets/livecodebench.js";
import { makeTinyModel } from "../../src/engines/llama-cpp/test-models.js";
import { choiceGrading, codeSteps, codeUserPrompt, loadTaskItems, programKey } from "../../src/eval/tasks.js";
import { sandboxUnavailable } from "../../src/grading/sandbox.js";
import { cli, workdir } from "../cli/run-cli.js";
import { fixture } from "../helpers.js";

const GPQA = fixture("ood/gpqa-sample.csv");
const LCB = fixture("ood/lcb-sample.jsonl");

describe("GPQA from the official CSV layout", () => {
  it("parses quoted fields with commas, quotes and line breaks", () => {
    expect(parseCsv('a,b\r\n"x, ""y""\nz",2\n')).toEqual([
      { line: 1, cells: ["a", "b"] },
      { line: 2, cells: ['x, "y"\nz', "2"] },
    ]);
  });

  it("selects a domain and shuffles the options reproducibly", () => {
    const physics = loadGpqa(GPQA, { domain: "physics", seed: 0 });
    expect(physics.map((p) => p.id)).toEqual(["phys-fall", "phys-charge"]);
    for (const p of physics)
      expect(p.options["ABCD".indexOf(p.answer)]).toBe(p.id === "phys-fall" ? "20 m" : "coulomb");
    expect(loadGpqa(GPQA, { domain: "physics", seed: 0 })).toEqual(physics);
    expect(loadGpqa(GPQA)).toHaveLength(3);
    // over many seeds the correct option lands on every letter
    const letters = new Set(Array.from({ length: 40 }, (_, s) => loadGpqa(GPQA, { seed: s })[0]!.answer));
    expect([...letters].sort()).toEqual(["A", "B", "C", "D"]);
    expect(seededShuffle([1, 2, 3, 4], 5, "x").sort()).toEqual([1, 2, 3, 4]);
  });

  it("says which column is missing", () => {
    const dir = workdir({ "bad.csv": "Question,Correct Answer\nq,a\n" });
    expect(() => loadGpqa(join(dir, "bad.csv"))).toThrow(
      /bad\.csv:1: missing column\(s\) "Incorrect Answer 1"/,
    );
  });

  it("grades letters and groups votes by letter", () => {
    const g = choiceGrading(["… $\\boxed{B}$", "The answer is (C)", "\\boxed{B}", "no letter"], "C");
    expect(g).toEqual({ classOf: [0, 1, 0, -1], correct: [false, true, false, false] });
  });
});

describe("LiveCodeBench problems and code steps", () => {
  it("loads release_v5 rows, decoding the private tests", () => {
    const [sum, twoSum] = loadLiveCodeBench(LCB);
    expect(sum).toMatchObject({
      id: "sum-two",
      starterCode: "",
      publicTests: [{ input: "1 2\n", output: "3\n", testtype: "stdin" }],
    });
    expect(sum!.privateTests).toHaveLength(2);
    expect(twoSum).toMatchObject({
      funcName: "twoSum",
      privateTests: [{ input: "[3, 2, 4]\n6", output: "[1, 2]", testtype: "functional" }],
    });
    expect(codeUserPrompt(sum!)).toContain("### Format: Read the inputs from stdin");
    expect(codeUserPrompt(twoSum!)).toContain("```python\nclass Solution:\n    def twoSum");
    const dir = workdir({
      "bad.jsonl": `${JSON.stringify({ question_content: "q", public_test_cases: "[]", private_test_cases: "" })}\n`,
    });
    expect(() => loadLiveCodeBench(join(dir, "bad.jsonl"))).toThrow(/bad\.jsonl:1: no test cases/);
  });

  const completion =
    "First read the two numbers.\n\nThen print their sum.\n\n```python\nimport sys\n\ndef main():\n    a, b = map(int, input().split())\n    print(a + b)\n\nmain()\n```\n";
  it("cuts a code candidate into steps: reasoning then program, program blocks, or whole", () => {
    expect(codeSteps(completion)).toEqual([
      "First read the two numbers.",
      "Then print their sum.",
      "```python\nimport sys\n\ndef main():\n    a, b = map(int, input().split())\n    print(a + b)\n\nmain()\n```",
    ]);
    expect(codeSteps(completion, "blocks")).toEqual([
      "import sys",
      "def main():\n    a, b = map(int, input().split())\n    print(a + b)",
      "main()",
    ]);
    expect(codeSteps(completion, "whole")).toEqual([completion.trim()]);
    expect(codeSteps("## Step 1: think\n## Step 2: still thinking")).toEqual(["think", "still thinking"]);
  });

  it("programs vote together when equal up to comments and blank lines", () => {
    expect(programKey("```python\nx = 1  # one\n\nprint(x)\n```")).toBe(
      programKey("```python\n# a comment\nx = 1\nprint(x)\n```"),
    );
    expect(programKey("no program")).toBeNull();
  });

  it("task items: what the generator and the verifier see", () => {
    const [item] = loadTaskItems("gpqa", GPQA, { domain: "Physics" });
    expect(item!.verifierProblem).toMatch(
      /how far does it fall in the first 2 s\?\n\n\(A\) .+\n\(B\) .+\n\(C\) .+\n\(D\) .+$/,
    );
    const code = loadTaskItems("code", LCB);
    expect(code[1]!.verifierProblem).toContain("Starter code:\n```python\nclass Solution:");
  });
});

/** eval bon on the generated tiny model as generator and verifier: one problem × 2 candidates. */
async function tinyModelRun(task: "gpqa" | "code", dataset: string) {
  const dir = workdir({});
  writeFileSync(join(dir, "tiny.gguf"), makeTinyModel());
  const tiny = [
    "--generator",
    "llama-cpp:tiny.gguf",
    "-e",
    "llama-cpp",
    "-m",
    "tiny.gguf",
    "--threads",
    "1",
    "--gen-max-tokens",
    "8",
    "--max-tokens",
    "6",
    // a random model's chains end at the budget: score them anyway, so the curve has scores
    "--on-truncated",
    "force-decision",
  ];
  const r = await cli(
    [
      "eval",
      "bon",
      "-q",
      "--task",
      task,
      "--generate",
      "--dataset",
      dataset,
      "--limit",
      "1",
      "-N",
      "2",
      ...tiny,
      "--json",
    ],
    { cwd: dir },
  );
  expect(r.stderr).toBe("");
  return JSON.parse(r.stdout);
}

// Scripted runs: the verifier gives P(Yes) 0.9 to candidates marked CONFIDENT and 0.2 to the rest,
// so best-of-N can beat the majority vote (problem 1) and agree with it (problem 2).
const VERIFIER = JSON.stringify({
  replies: ["Step 1: fine \\boxed{correct}\n"],
  rules: [{ when: "CONFIDENT", probabilities: { " Yes": 0.9, " No": 0.1 } }],
  probabilities: { " Yes": 0.2, " No": 0.8 },
});
const EXPECTED_CURVE = [
  { n: 1, naive: 0.5, weighted: 0.5, majority: 0.5, coverage: 0.5 },
  { n: 2, naive: 0.5, weighted: 0.5, majority: 0.5, coverage: 0.5 },
  { n: 4, naive: 1, weighted: 1, majority: 0.5, coverage: 1 },
];

describe("thinkprm eval bon --task gpqa", () => {
  it("generates, verifies and grades multiple-choice candidates (scripted engines)", async () => {
    const [fall, charge] = loadGpqa(GPQA, { domain: "Physics", seed: 42 });
    const wrong = (p: typeof fall) => "ABCD"[("ABCD".indexOf(p!.answer) + 1) % 4];
    const other = (p: typeof fall) => "ABCD"[("ABCD".indexOf(p!.answer) + 2) % 4];
    const say = (letter: string, extra = "") =>
      `## Step 1: compute${extra}\n\nTherefore, the final answer is: $\\boxed{${letter}}$. I hope it is correct.`;
    const replies = [
      say(wrong(fall)!),
      say(wrong(fall)!),
      say(fall!.answer, " (CONFIDENT)"),
      say(other(fall)!),
      say(charge!.answer),
      say(charge!.answer),
      say(wrong(charge)!),
      say(other(charge)!),
    ];
    const dir = workdir({ "g.json": JSON.stringify({ replies }), "v.json": VERIFIER });
    const scripted = [
      "eval",
      "bon",
      "-q",
      "--task",
      "gpqa",
      "--generate",
      "--dataset",
      GPQA,
      "--generator",
      "scripted:g.json",
      "-e",
      "scripted:v.json",
      "-N",
      "4",
    ];
    const r = await cli([...scripted, "--json"], { cwd: dir });
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ task: "gpqa", problems: 2, passAt1: 0.375, curve: EXPECTED_CURVE });
    const text = await cli(scripted, { cwd: dir });
    expect(text.stdout).toContain("pass@1 (mean over all 4 samples): 37.5%");
    // the multiple-choice instruction reaches the verifier's prompt: this verifier prefers every
    // candidate it sees under that instruction (0.95) to the CONFIDENT one (0.9), so the choice flips
    const mcVerifier = {
      replies: ["Step 1: fine \\boxed{correct}\n"],
      rules: [
        { when: "CONFIDENT", probabilities: { " Yes": 0.9, " No": 0.1 } },
        {
          when: "whether the option it finally chooses follows",
          probabilities: { " Yes": 0.95, " No": 0.05 },
        },
      ],
      probabilities: { " Yes": 0.2, " No": 0.8 },
    };
    writeFileSync(join(dir, "mc.json"), JSON.stringify(mcVerifier));
    const base = [...scripted.map((x) => (x === "scripted:v.json" ? "scripted:mc.json" : x)), "--json"];
    const mc = await cli([...base, "--verifier-instruction", "multiple-choice"], { cwd: dir });
    expect(JSON.parse(mc.stdout).curve.at(-1)).toEqual({
      n: 4,
      naive: 0.5,
      weighted: 0.5,
      majority: 0.5,
      coverage: 1,
    });
    expect(JSON.parse((await cli(base, { cwd: dir })).stdout).curve.at(-1).naive).toBe(1);
    const missing = await cli(
      [
        "eval",
        "bon",
        "--task",
        "gpqa",
        "--generate",
        "--generator",
        "scripted:g.json",
        "-e",
        "scripted:v.json",
      ],
      { cwd: dir },
    );
    expect(missing.stderr).toContain("--task gpqa needs --dataset <gpqa_diamond.csv>");
  });

  it("runs on the embedded tiny model as generator and verifier", async () => {
    const out = await tinyModelRun("gpqa", GPQA);
    expect(out.problems).toBe(1);
    expect(out.curve.map((p: { n: number }) => p.n)).toEqual([1, 2]);
  }, 120_000);
});

describe.skipIf(sandboxUnavailable() !== null)("thinkprm eval bon --task code", () => {
  const fence = (code: string, note = "") => `${note}Here is the program.\n\n\`\`\`python\n${code}\n\`\`\``;
  const sumRight = "a, b = map(int, input().split())\nprint(a + b)";
  const sumWrong = "a, b = map(int, input().split())\nprint(a - b)";
  const twoSum =
    "class Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n        seen = {}\n        for i, x in enumerate(nums):\n            if target - x in seen:\n                return [seen[target - x], i]\n            seen[x] = i";
  const replies = [
    fence(sumWrong),
    fence(sumWrong),
    fence(sumRight, "I am CONFIDENT. "),
    fence("while True:\n    pass"),
    fence(twoSum),
    fence("class Solution:\n    def twoSum(self, nums, target):\n        return [0, 0]"),
    "I do not know.",
    fence(twoSum),
  ];

  it("grades candidates by running the tests in the sandbox, and ranks them with the verifier (scripted engines)", async () => {
    const dir = workdir({ "g.json": JSON.stringify({ replies }), "v.json": VERIFIER });
    const args = [
      "eval",
      "bon",
      "-q",
      "--task",
      "code",
      "--generate",
      "--dataset",
      LCB,
      "--generator",
      "scripted:g.json",
      "-e",
      "scripted:v.json",
      "-N",
      "4",
      "--test-cpu",
      "1",
      "--json",
    ];
    const r = await cli(args, { cwd: dir });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toMatchObject({
      task: "code",
      problems: 2,
      passAt1: 0.375,
      curve: EXPECTED_CURVE,
    });
    const runs = await cli(["runs", "list"], { cwd: dir });
    const id = runs.stdout.split("\n")[1]!.split(/\s+/)[0]!;
    const stored = await cli(["runs", "export", id], { cwd: dir });
    // each problem's stored result holds its candidates' grades (a resume runs no test again)
    const grades = stored.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { key: string; grades: { statuses: string[][] } })
      .map((x) => ({ key: x.key, statuses: x.grades.statuses }));
    // tests run in parallel up to the cores and stop starting new ones at the first failure,
    // so a failing program shows one or more of its failures
    const kinds = Object.fromEntries(
      grades.map((g) => [g.key, g.statuses.map((st: string[]) => [...new Set(st)])]),
    );
    expect(kinds).toEqual({
      "sum-two": [["fail"], ["fail"], ["pass"], ["timeout"]],
      "two-sum": [["pass"], ["fail"], [], ["pass"]],
    });
    expect(grades.find((g) => g.key === "sum-two")!.statuses[2]).toHaveLength(3);
  }, 120_000);

  it("runs on the embedded tiny model as generator and verifier", async () => {
    // the tiny model writes no program, so no candidate passes
    expect(await tinyModelRun("code", LCB)).toMatchObject({ task: "code", problems: 1, passAt1: 0 });
  }, 120_000);
});
