import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadCandidateSet } from "../../src/datasets/bon-candidates.js";
import { makeTinyModel } from "../../src/engines/llama-cpp/test-models.js";
import { candidateScore, evaluateBestOfN } from "../../src/eval/best-of-n-eval.js";
import { isEquivalent } from "../../src/grading/equivalence.js";
import { answerClasses } from "../../src/search/best-of-n.js";
import { cli, workdir } from "../cli/run-cli.js";
import { SHARED } from "../helpers.js";

const bon = (f: string) => join(SHARED, "data/bon", f);

describe("best-of-N on the shared candidate sets", () => {
  it.each([
    [
      "math500_llama3.2-3b-instruct_n4_rlhflow-prm_first10.jsonl",
      [1, 2, 4],
      ["test/intermediate_algebra/1994.json"],
    ],
    ["math500_llama3.2-1b-instruct_n256_rlhflow-prm_first3.jsonl", [1, 2, 4, 8, 16, 32, 64, 128, 256], []],
  ])("selects what search-and-learn selected with the same scores (%s)", (file, ns, knownUncomparable) => {
    const set = loadCandidateSet(bon(file));
    const raw = readFileSync(bon(file), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const ev = evaluateBestOfN(set.problems, ns, (p, i) =>
      candidateScore(p.candidates[i]!.stepScores, "last"),
    );
    const uncomparable = new Set<string>();
    const differing: string[] = [];
    let compared = 0;
    ev.selections.forEach((sel, k) => {
      const problem = set.problems[k]!;
      const agg = raw[k]!.agg_scores as number[];
      for (const r of sel.byN) {
        // naive: the upstream's np.argmax over its own stored aggregate scores (first index on ties)
        const first = agg.slice(0, r.n);
        expect(r.naive, `${problem.id} naive@${r.n}`).toBe(first.indexOf(Math.max(...first)));
        for (const [method, key] of [
          ["weighted", "weighted"],
          ["majority", "maj"],
        ] as const) {
          const theirs = raw[k]![`pred_${key}@${r.n}`] as string;
          // upstream stores its sympy canonical form; where that garbled the answer it matches no
          // candidate at all and cannot be compared
          if (!problem.candidates.slice(0, r.n).some((c) => isEquivalent(theirs, c.text))) {
            uncomparable.add(problem.id);
            continue;
          }
          const ours = problem.candidates[r[method]]!.text;
          if (!isEquivalent(theirs, ours)) {
            // a different pick must come from finer grouping upstream (e.g. "p \cdot q" vs "q \, p"):
            // under our classes, our class weighs at least as much and wins ties by first appearance
            const classes = answerClasses(problem.candidates.slice(0, r.n).map((c) => c.text));
            const weight = (cls: number) =>
              classes.classOf.reduce(
                (w, c, i) => w + (c === cls ? (method === "majority" ? 1 : (agg[i] ?? 0)) : 0),
                0,
              );
            const oursClass = classes.classOf[r[method]]!;
            const theirsIndex = problem.candidates
              .slice(0, r.n)
              .findIndex((c) => isEquivalent(theirs, c.text));
            const theirsClass = classes.classOf[theirsIndex]!;
            expect(weight(oursClass), `${problem.id} ${method}@${r.n}`).toBeGreaterThanOrEqual(
              weight(theirsClass),
            );
            if (weight(oursClass) === weight(theirsClass)) expect(r[method]).toBeLessThan(theirsIndex);
            differing.push(`${problem.id} ${method}@${r.n}`);
          }
          compared++;
        }
      }
    });
    // reviewed: for 1994 upstream stored "2p+\frac{1}{2}\frac{11}{3}" for "2p + \frac{1}{2}q - \frac{11}{3}"
    expect([...uncomparable]).toEqual(knownUncomparable);
    expect(differing.length).toBeLessThanOrEqual(2);
    expect(compared).toBeGreaterThanOrEqual((set.problems.length - knownUncomparable.length) * ns.length * 2);
  });

  it("the files' correctness flags agree with the grader (disagreements reported)", () => {
    const rm = loadCandidateSet(bon("math_qwen2.5-math_cot_100_n8_rm.jsonl"));
    expect(rm.format).toBe("qwen-math-rm");
    const ev = evaluateBestOfN(rm.problems, [1, 8], (p, i) =>
      candidateScore(p.candidates[i]!.stepScores, "last"),
    );
    expect(ev.flags!.total).toBe(800);
    expect(ev.flags!.agree).toBeGreaterThanOrEqual(795);
    // reviewed: the file marks "\boxed{10000}" wrong against the gold "10{,}000"
    expect(ev.flags!.examples.map((e) => `${e.problem}/${e.candidate}`)).toEqual(["72/7"]);
    const tts = loadCandidateSet(bon("math500_qwen2.5-1.5b-instruct_2samples_mathshepherd-prm.jsonl"));
    expect(tts.format).toBe("compute-optimal-tts");
    expect(tts.problems).toHaveLength(500);
    expect(tts.problems[0]!.candidates[0]!.text).not.toContain("ки");
  });

  it("coverage bounds every method, and n = 1 is the first candidate for all methods", () => {
    const set = loadCandidateSet(bon("math_qwen2.5-math_cot_100_n8_rm.jsonl"));
    const ev = evaluateBestOfN(set.problems, [1, 2, 4, 8], (p, i) =>
      candidateScore(p.candidates[i]!.stepScores, "last"),
    );
    for (const p of ev.curve)
      for (const m of [p.naive, p.weighted, p.majority]) expect(m).toBeLessThanOrEqual(p.coverage);
    expect(
      new Set([ev.curve[0]!.naive, ev.curve[0]!.weighted, ev.curve[0]!.majority, ev.curve[0]!.coverage]).size,
    ).toBe(1);
  });
});

describe("thinkprm eval bon", () => {
  it("prints the table from carried scores and stores the curve for reports", async () => {
    const dir = workdir({});
    const r = await cli(
      ["eval", "bon", "-q", "-c", bon("math500_llama3.2-3b-instruct_n4_rlhflow-prm_first10.jsonl")],
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/n\s+naive\s+weighted\*\s+majority\s+pass@n/);
    expect(r.stdout).toMatch(/\n\s+4\s+70\.0%\s+80\.0%\s+70\.0%\s+80\.0%/);
    const report = await cli(["report", "-o", "r.html"], { cwd: dir });
    expect(report.stdout).toContain("1 plots");
  });

  it("runs ThinkPRM over the candidates with an engine, resumably", async () => {
    const dir = workdir({
      "s.json": JSON.stringify({ replies: ["Step 1: \\boxed{correct}\n"], probabilities: "prompt-hash" }),
    });
    const args = [
      "eval",
      "bon",
      "-q",
      "-c",
      bon("math500_llama3.2-3b-instruct_n4_rlhflow-prm_first10.jsonl"),
      "-e",
      "scripted:s.json",
      "--json",
      "--limit",
      "3",
    ];
    const first = await cli(args, { cwd: dir });
    expect(first.stderr).toBe("");
    const a = JSON.parse(first.stdout);
    expect(a.problems).toBe(3);
    expect(a.curve.map((p: { n: number }) => p.n)).toEqual([1, 2, 4]);
    const again = JSON.parse((await cli(args, { cwd: dir })).stdout);
    expect(again.curve).toEqual(a.curve);
    const bad = await cli(["eval", "bon", "-c", "missing.jsonl"], { cwd: dir });
    expect(bad.stderr).toContain("candidates file not found");
  });

  it("refuses scores that are not numbers, or not one per candidate, naming the line and field", async () => {
    const row = {
      idx: 0,
      question: "1+1?",
      gt: "2",
      code: ["2", "3", "4"],
      pred: ["2", "3", "4"],
      score: [true, false, false],
    };
    const dir = workdir({
      "strings.jsonl": `${JSON.stringify({ ...row, pred_score: [[0.9], ["0.5"], [0.1]] })}\n`,
      "short.jsonl": `${JSON.stringify({ ...row, pred_score: [[0.9], [0.5]] })}\n`,
      "sal.jsonl": `${JSON.stringify({ problem: "1+1?", answer: "2", completions: ["2", "3"], scores: [[0.2, "x"], [0.4]] })}\n`,
    });
    const run = (file: string) => cli(["eval", "bon", "-c", file, "--no-store", "-q"], { cwd: dir });
    const strings = await run("strings.jsonl");
    expect(strings.code).toBe(2);
    expect(strings.stderr).toContain('strings.jsonl:1: pred_score: entry 1 holds "0.5"; scores are numbers');
    const short = await run("short.jsonl");
    expect(short.code).toBe(2);
    expect(short.stderr).toContain("short.jsonl:1: pred_score: 2 entries for 3 responses");
    const sal = await run("sal.jsonl");
    expect(sal.code).toBe(2);
    expect(sal.stderr).toContain('sal.jsonl:1: scores: entry 0 holds "x"');
  });

  it("never prints a curve of missing scores as if it were one", async () => {
    const unscored = JSON.stringify({
      problem: "What is 1+1?",
      answer: "2",
      completions: ["1+1=2", "1+1=3"],
    });
    const dir = workdir({
      "c.jsonl": `${unscored}\n`,
      // no verdict, no decision: every chain is invalid
      "s.json": JSON.stringify({ replies: ["I have no idea"], probabilities: { " Yes": 0.9, " No": 0.1 } }),
    });
    // a file without scores and no verifier: nothing could rank the candidates
    const none = await cli(["eval", "bon", "-c", "c.jsonl", "--no-store"], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("c.jsonl carries no scores: pass -m <model.gguf> or -e <engine>");
    // a verifier's flag without a verifier would be ignored
    const ignored = await cli(["eval", "bon", "-c", "c.jsonl", "--threads", "1", "--no-store"], { cwd: dir });
    expect(ignored.code).toBe(2);
    expect(ignored.stderr).toContain("--threads applies to a verifier, and none is given");
    // any verifier setting typed, defaults or not (ThinkPRM@4 asked for, the file's scores would answer)
    const k = await cli(["eval", "bon", "-c", "c.jsonl", "-k", "4", "--max-tokens", "9", "--no-store"], {
      cwd: dir,
    });
    expect(k.code).toBe(2);
    expect(k.stderr).toContain("--k, --max-tokens apply to a verifier, and none is given");
    // generation flags without --generate
    const n = await cli(["eval", "bon", "-c", "c.jsonl", "-N", "4", "-e", "scripted:s.json"], { cwd: dir });
    expect(n.code).toBe(2);
    expect(n.stderr).toContain(
      "--samples applies to --generate; with --candidates the file holds the candidates",
    );
    // a verifier whose every chain is invalid: said, and a failure
    const invalid = await cli(
      ["eval", "bon", "-c", "c.jsonl", "-e", "scripted:s.json", "--max-tokens", "1", "--no-store", "--json"],
      {
        cwd: dir,
      },
    );
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("2 of 2 candidates have no score");
    expect(JSON.parse(invalid.stdout)).toMatchObject({ candidates: 2, unscored: 2 });
  });
});

describe("thinkprm eval bon --generate", () => {
  it("samples candidates for dataset problems, verifies them, and computes the curve", async () => {
    const dir = workdir({
      // the generator answers the first problem right ((3, π/2)) and everything else with 7
      "g.json": JSON.stringify({
        rules: [
          {
            when: "Convert the point $(0,3)$",
            reply:
              "## Step 1: r = 3, θ = π/2\n\nTherefore, the final answer is: $\\boxed{(3, \\frac{\\pi}{2})}$.",
          },
        ],
        replies: ["## Step 1: guess\n\nTherefore, the final answer is: $\\boxed{7}$."],
      }),
      // the verifier likes solutions with π/2 in them
      "v.json": JSON.stringify({
        replies: ["Step 1: \\boxed{correct}\n"],
        rules: [{ when: "frac{\\pi}{2}", probabilities: { " Yes": 0.9, " No": 0.1 } }],
        probabilities: { " Yes": 0.2, " No": 0.8 },
      }),
    });
    const args = [
      "eval",
      "bon",
      "-q",
      "--generate",
      "--dataset",
      "math500",
      "--data-dir",
      join(SHARED, "data"),
      "--generator",
      "scripted:g.json",
      "-e",
      "scripted:v.json",
      "-N",
      "4",
      "--limit",
      "3",
      "--json",
    ];
    const r = await cli(args, { cwd: dir });
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout);
    expect(out.problems).toBe(3);
    expect(out.curve.at(-1)).toEqual({
      n: 4,
      naive: 1 / 3,
      weighted: 1 / 3,
      majority: 1 / 3,
      coverage: 1 / 3,
    });
    const noVerifier = await cli(
      ["eval", "bon", "--generate", "--dataset", "math500", "--generator", "scripted:g.json"],
      { cwd: dir },
    );
    expect(noVerifier.stderr).toContain("generated candidates carry no scores");
    const noDataset = await cli(
      [
        "eval",
        "bon",
        "--generate",
        "--dataset",
        "nope",
        "--generator",
        "scripted:g.json",
        "-e",
        "scripted:v.json",
      ],
      { cwd: dir },
    );
    expect(noDataset.stderr).toContain("--dataset: file not found: nope");
  });

  it("verifies a shared candidate set with ThinkPRM on the embedded tiny model", async () => {
    const dir = workdir({});
    writeFileSync(join(dir, "tiny.gguf"), makeTinyModel());
    const r = await cli(
      [
        "eval",
        "bon",
        "-q",
        "-c",
        bon("math500_llama3.2-3b-instruct_n4_rlhflow-prm_first10.jsonl"),
        "--limit",
        "1",
        "-e",
        "llama-cpp",
        "-m",
        "tiny.gguf",
        "--threads",
        "1",
        "--max-tokens",
        "6",
        // a random model's chains end at the budget: score them anyway, so the curve has scores
        "--on-truncated",
        "force-decision",
        "--json",
      ],
      { cwd: dir },
    );
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout);
    expect(out.curve.map((p: { n: number }) => p.n)).toEqual([1, 2, 4]);
    expect(out).toMatchObject({ candidates: 4, unscored: 0 });
  }, 60_000);
});
