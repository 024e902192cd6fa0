/**
 * `thinkprm recipe run`: a recipe file validated with file:line:field errors, expanded into the
 * commands a user would type, run through the real CLI against scripted engines (so every number
 * of the table is known in advance), and ending in a report page that leads with the table.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, workdir } from "./run-cli.js";

const CORRECT = "Step 1: checked \\boxed{correct}\nStep 2: checked \\boxed{correct}\n";
const FIRST_WRONG = "Step 1: 2 + 2 is 4, not 5 \\boxed{incorrect}\n";

/** Three ProcessBench-format items: the scripted verifier gets two right and misses one error. */
const ITEMS = [
  { id: "t-0", problem: "1 + 1?", steps: ["1 + 1 = 2", "so 2"], label: -1 },
  { id: "t-1", problem: "2 + 2?", steps: ["2 + 2 = 5", "so 5"], label: 0 },
  { id: "t-2", problem: "3 + 3, doubled?", steps: ["3 + 3 = 6", "6 × 2 = 13"], label: 1 },
];
const SCRIPT = {
  replies: [CORRECT],
  rules: [{ when: "2 + 2 = 5", reply: FIRST_WRONG, probabilities: { " Yes": 0.1, " No": 0.9 } }],
  probabilities: { " Yes": 0.8, " No": 0.2 },
};

describe("recipe files", () => {
  it("errors name the file, the line and the field; unknown fields are errors", async () => {
    const dir = workdir({
      "typo.yaml":
        "kind: processbench-scaling\nengine: scripted:s.json\ndata:\n  file: items.json\nsetings:\n  maxTokens: 10\n",
      "k.yaml": "kind: processbench-scaling\ndata:\n  file: items.json\nk: [1, 3]\n",
      "kind.yaml": "# a comment\nkind: processbench\n",
      "broken.yaml": "kind: bon-selection\ncandidates: [unclosed\n",
      "both.json": JSON.stringify({ kind: "processbench-scaling", data: { file: "a", dir: "b" } }),
      "setting.yaml": "kind: processbench-scaling\ndata:\n  file: items.json\nsettings:\n  maxTokenz: 5\n",
      "k-setting.yaml": "kind: processbench-scaling\ndata:\n  file: items.json\nsettings:\n  k: 4\n",
      "typed.yaml":
        "kind: processbench-scaling\ndata:\n  file: items.json\nsettings:\n  maxTokens: abc\n  runaway: sometimes\n",
      "rounds.yaml": "kind: processbench-scaling\ndata:\n  file: items.json\nrounds: [1, 8]\n",
      "unverified.yaml":
        "kind: bon-selection\ncandidates: c.jsonl\nverify: false\nmodel: v.gguf\nsettings:\n  k: 4\n",
      "maps.yaml": [
        "kind: filter-ablation",
        "teacher: scripted:t.json",
        "source: jsonl:p.jsonl",
        "baseModel: base/",
        "data: { file: held-out.json }",
        "synth: { perPrefx: 2, until: 3 }",
        "train:",
        "  pythn: /bin/sh",
      ].join("\n"),
      "bomb.yaml": [
        "a: &a [x, x, x, x, x, x, x, x, x]",
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]",
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]",
        "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]",
        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]",
        "kind: processbench-scaling",
      ].join("\n"),
    });
    const run = (file: string) => cli(["recipe", "run", file, "--dry-run"], { cwd: dir });
    expect((await run("typo.yaml")).stderr).toContain("typo.yaml:5: setings: unknown field");
    expect((await run("k.yaml")).stderr).toMatch(/k\.yaml:4: k: K values are powers of two/);
    expect((await run("kind.yaml")).stderr).toContain(
      'kind.yaml:2: kind: unknown kind "processbench"; one of processbench-scaling, bon-selection, filter-ablation',
    );
    const broken = await run("broken.yaml");
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/broken\.yaml:\d+: /);
    expect((await run("both.json")).stderr).toContain('both.json:1: data: give "file"');
    expect((await run("setting.yaml")).stderr).toContain(
      "setting.yaml:5: settings.maxTokenz: not a verifier setting",
    );
    expect((await run("k-setting.yaml")).stderr).toContain(
      "k-setting.yaml:5: settings.k: the recipe sets chains, rounds and mode itself",
    );
    // every value is checked against the verifier's own schema before anything runs
    const typed = await run("typed.yaml");
    expect(typed.stderr).toContain("typed.yaml:5: settings.maxTokens:");
    expect(typed.stderr).toContain("typed.yaml:6: settings.runaway:");
    expect((await run("rounds.yaml")).stderr).toMatch(/rounds\.yaml:4: rounds\.1: /);
    // a verifier's keys where the file's scores decide would be silently unused
    const unverified = (await run("unverified.yaml")).stderr;
    expect(unverified).toContain("unverified.yaml:4: model: a verifier's setting, and verify is false");
    expect(unverified).toContain("unverified.yaml:6: settings.k: a verifier's setting, and verify is false");
    // the synth: and train: maps are checked against those commands' flags
    const maps = await run("maps.yaml");
    expect(maps.stderr).toContain("maps.yaml:6: synth.perPrefx: thinkprm synth has no --per-prefx");
    expect(maps.stderr).toContain("maps.yaml:6: synth.until: the recipe sets --until itself");
    expect(maps.stderr).toContain("maps.yaml:8: train.pythn: thinkprm train has no --pythn");
    const bomb = await run("bomb.yaml");
    expect(bomb.code).toBe(2);
    expect(bomb.stderr).toMatch(/bomb\.yaml: .*alias/i);
    expect(bomb.stderr).not.toContain("    at ");
    expect((await run("missing.yaml")).stderr).toContain("recipe not found: missing.yaml");
  });

  it("--dry-run prints the commands, paths relative to the recipe, later steps naming earlier outputs", async () => {
    const dir = workdir({
      "exp/ablation.yaml": [
        "kind: filter-ablation",
        "teacher: scripted:teacher.json",
        "source: jsonl:prefixes.jsonl",
        "until: 10",
        "synth: { perPrefix: 2, seed: 3 }",
        "baseModel: base/",
        "train: { maxSteps: 5, device: cpu }",
        "data: { file: held-out.json }",
      ].join("\n"),
    });
    const r = await cli(["recipe", "run", "exp/ablation.yaml", "--dry-run", "--store", "s.sqlite"], {
      cwd: dir,
    });
    expect(r.code).toBe(0);
    // pasteable: the commands run in the recipe's folder
    expect(r.stdout.split("\n")[0]).toBe(`cd ${join(dir, "exp")}`);
    const commands = r.stdout.split("\n").filter((l) => l.startsWith("thinkprm "));
    expect(commands).toHaveLength(10);
    expect(commands[0]).toBe(
      `thinkprm synth --teacher scripted:teacher.json --source jsonl:prefixes.jsonl --filter process --until 10 --per-prefix 2 --seed 3 --store ${join(dir, "s.sqlite")} --json`,
    );
    expect(commands[1]).toContain(
      "export --run '<run of step 1>' -o ablation/process/data --chat-template base/",
    );
    expect(commands[2]).toContain(
      "train --data ablation/process/data --base-model base/ -o ablation/process/train --launch --max-steps 5 --device cpu",
    );
    expect(commands[3]).toContain("convert '<model of step 3>' -o ablation/process/verifier.gguf");
    expect(commands[4]).toContain(
      "eval processbench -m ablation/process/verifier.gguf --seed 0 --data held-out.json",
    );
    expect(commands[5]).toContain("--filter outcome");
  });
});

describe("processbench-scaling", () => {
  it("runs K chains and R rounds, prints the table, writes the report; a rerun gives the same table", async () => {
    const dir = workdir({
      "items.json": JSON.stringify(ITEMS),
      "s.json": JSON.stringify(SCRIPT),
      "scaling.yaml": [
        "kind: processbench-scaling",
        "engine: scripted:s.json",
        "data: { file: items.json }",
        "k: [1, 2, 4]",
        "rounds: [1, 2]",
        "settings: { maxTokens: 200 }",
        "out: out/scaling.html",
      ].join("\n"),
    });
    // out/ does not exist: the report's folder is made
    const first = await cli(["recipe", "run", "scaling.yaml", "--json", "-q"], { cwd: dir });
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const out = JSON.parse(first.stdout) as { runs: string[]; table: { rows: string[][] }; report: string };
    expect(out.runs).toHaveLength(2);
    const rows = out.table.rows;
    expect(rows.map((r) => r.slice(0, 4))).toEqual([
      // acc_err 1/2 (t-1 found, t-2 missed), acc_cor 1/1: F1 = 2/3 at every budget
      ["parallel", "1", "1", "66.7"],
      ["parallel", "2", "1", "66.7"],
      ["parallel", "4", "1", "66.7"],
      ["sequential", "1", "1", "66.7"],
      ["sequential", "1", "2", "66.7"],
    ]);
    const tokens = rows.map((r) => Number(r[4]));
    // the same chain K times: K times the tokens; a second round costs more than one
    // (the table rounds the means to whole tokens)
    expect(Math.abs(tokens[1]! - 2 * tokens[0]!)).toBeLessThanOrEqual(2);
    expect(Math.abs(tokens[2]! - 4 * tokens[0]!)).toBeLessThanOrEqual(4);
    expect(tokens[4]).toBeGreaterThan(tokens[3]!);
    const html = readFileSync(join(dir, "out/scaling.html"), "utf8");
    expect(html).toContain('id="summary-table"');
    expect(html).toContain("recipe-F1-vs-tokens");
    // a rerun: new runs (a repeat of the experiment), the same chains (the recipe fixes the seed)
    const again = await cli(["recipe", "run", "scaling.yaml", "--json", "-q"], { cwd: dir });
    expect(JSON.parse(again.stdout).table).toEqual(out.table);
    // the text form: the table, aligned, and where the page went
    const text = await cli(["recipe", "run", "scaling.yaml", "-q", "-o", "elsewhere.html"], { cwd: dir });
    expect(text.stdout).toMatch(/compute\s+chains K\s+rounds\s+F1 \(official\)/);
    expect(text.stdout).toContain(`wrote ${join(dir, "elsewhere.html")}`);
    expect(existsSync(join(dir, "elsewhere.html"))).toBe(true);
  });

  it("a failing step stops the recipe with its exit code and says how to resume", async () => {
    const dir = workdir({
      "scaling.yaml":
        "kind: processbench-scaling\nengine: scripted:missing.json\ndata: { file: items.json }\n",
      "items.json": JSON.stringify(ITEMS),
    });
    const r = await cli(["recipe", "run", "scaling.yaml"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("script file not found");
    expect(r.stderr).toMatch(/step 1 \(parallel compute: 8 chains of one round\) ended with exit code 2/);
  });
});

describe("bon-selection", () => {
  // two problems, four candidates each, with the scores a reward model gave them
  const candidate = (answer: number) => `We work it out.\n\nSo the answer is $\\boxed{${answer}}$.`;
  const PROBLEMS = [
    { problem: "What is 2 + 2?", answer: "4", picks: [4, 5, 4, 4], scores: [0.3, 0.9, 0.4, 0.35] },
    { problem: "What is 3 + 4?", answer: "7", picks: [6, 7, 6, 6], scores: [0.6, 0.5, 0.1, 0.2] },
  ];
  const candidates = PROBLEMS.map((p) =>
    JSON.stringify({
      problem: p.problem,
      answer: p.answer,
      completions: p.picks.map(candidate),
      scores: p.scores.map((s) => [s]),
    }),
  ).join("\n");

  it("the file's scores: naive, weighted and majority at each n, exactly", async () => {
    const dir = workdir({
      "c.jsonl": candidates,
      "bon.yaml": "kind: bon-selection\ncandidates: c.jsonl\nverify: false\nn: [1, 4]\n",
    });
    const r = await cli(["recipe", "run", "bon.yaml", "--json", "-q"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout).table.rows).toEqual([
      ["1", "50.0", "50.0", "50.0", "50.0"],
      // naive follows the top score to a wrong answer twice; weighting and votes recover one
      ["4", "0.0", "50.0", "50.0", "100.0"],
    ]);
  });

  it("verify: true scores the candidates with the verifier now", async () => {
    const dir = workdir({
      "c.jsonl": candidates,
      "v.json": JSON.stringify({
        replies: ["Step 1: checked \\boxed{correct}\n"],
        rules: [
          { when: "\\boxed{4}", probabilities: { " Yes": 0.9, " No": 0.1 } },
          { when: "\\boxed{7}", probabilities: { " Yes": 0.8, " No": 0.2 } },
        ],
        probabilities: { " Yes": 0.2, " No": 0.8 },
      }),
      "bon.yaml": "kind: bon-selection\ncandidates: c.jsonl\nengine: scripted:v.json\nn: [1, 4]\n",
    });
    const r = await cli(["recipe", "run", "bon.yaml", "--json", "-q"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout).table.rows).toEqual([
      ["1", "50.0", "50.0", "50.0", "50.0"],
      ["4", "100.0", "100.0", "50.0", "100.0"],
    ]);
  });
});
