/**
 * Spending verifier compute where it pays: runaway chains stopped early and counted invalid,
 * adaptive K that stops once the chains agree, and step-isolated (per-prefix) verification — with
 * scripted engines whose outcome is exact, and through the CLI.
 */
import { describe, expect, it } from "vitest";
import { endsInLoop, quotedSource, RUNAWAY_DEFAULTS, runawayReason } from "../../src/core/runaway.js";
import { BUILTIN_CHAT_TEMPLATES } from "../../src/engines/chat-template.js";
import { ScriptedEngine } from "../../src/engines/scripted.js";
import { createVerifier } from "../../src/verifier/create.js";
import { PerStepVerifier } from "../../src/verifier/per-step.js";
import { scoreSettled, ThinkPrmVerifier } from "../../src/verifier/thinkprm-verifier.js";
import { cli, workdir } from "../cli/run-cli.js";

const r1 = BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"];
const LOOP = `Step 1: 2 + 3 = 5 holds. \\boxed{correct}\nStep 2: ${"Wait, let me check that again. ".repeat(400)}`;
const input = { problem: "Start at 2, add 3, double it.", steps: ["2 + 3 = 5", "5 × 2 = 10"] };

describe("runaway chains", () => {
  it("loops, re-judged steps and overlong steps are recognised; a healthy chain is not", () => {
    expect(endsInLoop("intro " + "Let me check again. ".repeat(4), { minPeriod: 10, repeats: 4 })).toBe(20);
    expect(runawayReason(LOOP.slice(0, 2000), 2)?.kind).toBe("loop");
    expect(runawayReason("Step 1: ok \\boxed{correct}\n".repeat(3), 2)?.kind).toBe("rejudged");
    // long and never the same twice: no loop, but far past any step's budget
    const rambling = Array.from({ length: 1200 }, (_, i) => `thought ${i}`).join(", ");
    expect(runawayReason(`Step 1: ${rambling}`, 2)?.kind).toBe("overlong_step");
    expect(
      runawayReason("Step 1: fine \\boxed{correct}\nStep 2: 5 × 2 = 10 holds. \\boxed{correct}\n", 2),
    ).toBeNull();
  });

  it("quoting the candidate is not running away: its repeats, boxes and length are allowed on top", () => {
    const phrase = "carry the one, then carry the one again; ";
    const repetitive = { problem: "Add 99 + 1.", steps: [phrase.repeat(7), "so 100"] };
    const quoting = `Step 1: the step says "${repetitive.steps[0]}`;
    expect(runawayReason(quoting, 2)?.kind).toBe("loop"); // blind to the candidate
    const source = quotedSource(repetitive.problem, repetitive.steps);
    expect(runawayReason(quoting, 2, RUNAWAY_DEFAULTS, source)).toBeNull();
    // going on past what the candidate holds is a loop again
    expect(runawayReason(quoting + phrase.repeat(4), 2, RUNAWAY_DEFAULTS, source)?.kind).toBe("loop");

    const boxes = quotedSource("p", ["a \\boxed{correct} b \\boxed{correct}", "c"]);
    // a candidate whose step carries its own "Step 1: … \\boxed{correct}" lines, quoted back
    const quotedBoxes = "Step 1: ok \\boxed{correct}\n".repeat(3);
    expect(runawayReason(quotedBoxes, 2)?.kind).toBe("rejudged");
    expect(runawayReason(quotedBoxes, 2, RUNAWAY_DEFAULTS, boxes)).toBeNull();

    const long = Array.from({ length: 1400 }, (_, i) => `term ${i}`).join(" + ");
    const longSource = quotedSource("Sum these.", [long, "done"]);
    const quotingLong = `Step 1: the step reads ${long}`;
    expect(runawayReason(quotingLong, 2)?.kind).toBe("overlong_step");
    expect(runawayReason(quotingLong, 2, RUNAWAY_DEFAULTS, longSource)).toBeNull();
  });

  it("--runaway on stops a looping chain as it streams, counts it invalid (repetition), never scores it", async () => {
    const make = () =>
      new ScriptedEngine({ replies: [LOOP], probabilities: () => ({ " Yes": 0.9, " No": 0.1 }) });
    const on = make();
    const stopped = await createVerifier(
      { runaway: "on", maxTokens: 100_000 },
      { engine: on, chatTemplate: r1 },
    ).verify(input);
    expect(stopped.chains[0]!.valid).toBe(false);
    expect(stopped.chains[0]!.issues[0]!.code).toBe("repetition");
    expect(stopped.score).toBeNull();
    // stopped a few loops in, far short of the 3,200 words the chain would have written
    expect(stopped.chains[0]!.usage.generatedTokens).toBeLessThan(200);
    expect(on.aborts).toBe(1);
    expect(on.callsOf("nextTokenProbabilities")).toHaveLength(0);
    // the paper's behaviour (off): the chain runs to its end and is scored
    const off = await createVerifier({ maxTokens: 100_000 }, { engine: make(), chatTemplate: r1 }).verify(
      input,
    );
    expect(off.chains[0]!.valid).toBe(true);
    expect(off.chains[0]!.usage.generatedTokens).toBeGreaterThan(2000);
  });
});

describe("adaptive K", () => {
  /** Chain i (seed + i) is a "yes" chain when yes(i), else a "no" chain; the decision follows. */
  const engine = (yes: (i: number) => boolean) =>
    new ScriptedEngine({
      respond: (request) =>
        yes(request.seed ?? 0)
          ? "Step 1: fine \\boxed{correct}\nStep 2: fine \\boxed{correct}\n"
          : "Step 1: fine \\boxed{correct}\nStep 2: wrong \\boxed{incorrect}\n",
      probabilities: (prompt) =>
        prompt.includes("incorrect") ? { " Yes": 0.2, " No": 0.8 } : { " Yes": 0.9, " No": 0.1 },
    });

  it("stops at two chains that agree; goes on to --k-max while they disagree", async () => {
    const settings = { adaptiveK: true, kMax: 8, seed: 100 } as const;
    const agree = await createVerifier(settings, { engine: engine(() => true), chatTemplate: r1 }).verify(
      input,
    );
    expect(agree.chains).toHaveLength(2);
    expect(agree.score).toBeCloseTo(0.9, 12);
    const split = await createVerifier(settings, {
      engine: engine((s) => s % 2 === 0),
      chatTemplate: r1,
    }).verify(input);
    expect(split.chains).toHaveLength(8); // 0.9, 0.2, 0.9, 0.2 …: the interval never leaves 0.5
    expect(split.score).toBeCloseTo(0.55, 12);
    // the rule itself: agreement, or an interval that excludes 0.5
    expect(scoreSettled([{ valid: true, score: 0.3 }])).toBe(false);
    expect(
      scoreSettled([
        { valid: true, score: 0.9 },
        { valid: true, score: 0.45 },
      ]),
    ).toBe(false);
    expect(scoreSettled([0.95, 0.9, 0.97, 0.92, 0.4].map((score) => ({ valid: true, score })))).toBe(true);
  });
});

describe("per-step verification", () => {
  it("verifies each prefix with its own chain, all at once; the first prefix judged wrong is the first error", async () => {
    const engine = new ScriptedEngine({
      replies: ["Step 1: looked at it \\boxed{correct}\n"],
      // a prefix that includes the wrong step is judged wrong
      probabilities: (prompt) =>
        prompt.includes("5 × 2 = 11") ? { " Yes": 0.1, " No": 0.9 } : { " Yes": 0.8, " No": 0.2 },
      latencyMs: 20,
    });
    const steps = ["2 + 3 = 5", "5 - 1 = 4", "4 × 2 = 8", "5 × 2 = 11", "so 11"];
    const t0 = performance.now();
    const v = await createVerifier({ mode: "per-step" }, { engine, chatTemplate: r1 }).verify({
      problem: "p",
      steps,
    });
    const wall = performance.now() - t0;
    expect(v.mode).toBe("per-step");
    expect(v.stepVerdicts).toEqual(["correct", "correct", "correct", "incorrect", "unverified"]);
    expect(v.firstIncorrectStep).toBe(3);
    expect(v.stepScores.map((x) => x?.toFixed(1))).toEqual(["0.8", "0.8", "0.8", "0.1", "0.1"]);
    expect(v.chains).toHaveLength(5);
    expect(v.score).toBeCloseTo(0.1, 12); // the whole solution's prefix
    // the five prefixes ran together: about two latencies (chain + decision), not ten
    expect(wall).toBeLessThan(8 * 20 + 100);
    const prompts = engine.callsOf("complete").map((r) => (r as { prompt: string }).prompt);
    expect(prompts.map((p) => (p.match(/Step \d+:/g) ?? []).length)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe("per-step verification of a long solution", () => {
  it("queues its prefixes at the engine's declared concurrency instead of opening them all", async () => {
    const engine = new ScriptedEngine({
      replies: ["Step 1: fine \\boxed{correct}\n"],
      probabilities: () => ({ " Yes": 0.9, " No": 0.1 }),
      latencyMs: 5,
    });
    let inFlight = 0;
    let most = 0;
    const complete = engine.complete.bind(engine);
    engine.complete = async (request) => {
      most = Math.max(most, ++inFlight);
      try {
        return await complete(request);
      } finally {
        inFlight--;
      }
    };
    const steps = Array.from({ length: 30 }, (_, i) => `${i} + 1 = ${i + 1}`);
    const v = await new PerStepVerifier(new ThinkPrmVerifier({ engine, chatTemplate: r1 }), 3).verify({
      problem: "count",
      steps,
    });
    expect(v.chains).toHaveLength(30);
    expect(v.firstIncorrectStep).toBe(-1);
    expect(most).toBe(3);
  });
});

describe("settings that would be ignored together", () => {
  it("are refused with the flag at fault", async () => {
    const dir = workdir({
      "s.json": JSON.stringify({
        replies: ["Step 1: ok \\boxed{correct}\n"],
        probabilities: { " Yes": 0.9, " No": 0.1 },
      }),
    });
    const verify = (extra: string[]) =>
      cli(["verify", "-e", "scripted:s.json", "--problem", "p", "--step", "a", "--no-store", ...extra], {
        cwd: dir,
      });
    const cases: [string[], string][] = [
      [["--adaptive-k", "-k", "4"], "-k, --k <n>: adaptive K chooses how many chains to sample"],
      [["--k-max", "4"], "--k-max <n>: applies only with --adaptive-k"],
      [
        ["--method", "judge-single", "--mode", "per-step"],
        "--mode <mode>: per-step verification is a thinkprm method option",
      ],
      [
        ["--method", "judge-badstep", "--runaway", "on"],
        "--runaway <mode>: runaway detection is a thinkprm method option",
      ],
    ];
    for (const [flags, message] of cases) {
      const r = await verify(flags);
      expect(r.code, flags.join(" ")).toBe(2);
      expect(r.stderr).toContain(message);
    }
    expect((await verify(["--adaptive-k", "--k-max", "4"])).code).toBe(0);
    // a model flag the engine would not use
    const model = async (argv: string[]) =>
      (await cli(["verify", ...argv, "--problem", "p", "--step", "a", "--no-store"], { cwd: dir })).stderr;
    expect(await model(["-e", "scripted:s.json", "-m", "x.gguf"])).toContain(
      "-m/--model names a local model for llama-cpp; --engine scripted takes none",
    );
    expect(await model(["-e", "openai:http://127.0.0.1:9/v1", "-m", "x"])).toContain(
      "a server names its own (pick one with --served-model)",
    );
    expect(await model(["-e", "llama-cpp:a.gguf", "-m", "b.gguf"])).toContain(
      "two models: --engine llama-cpp:a.gguf and --model b.gguf; give one",
    );
    // inputs named by what they are
    const search = await cli(
      [
        "search",
        "--dataset",
        "math500",
        "--data-dir",
        "nowhere",
        "-e",
        "scripted:s.json",
        "--generator",
        "scripted:s.json",
      ],
      { cwd: dir },
    );
    expect(search.stderr).toContain(
      "--dataset math500: nowhere/math500/test.jsonl not found; pass --data-dir",
    );
    const synth = await cli(["synth", "--teacher", "scripted:s.json", "--source", "bogus:x"], { cwd: dir });
    expect(synth.stderr).toContain('--source: unknown kind "bogus"; use prm800k:<file> or jsonl:<file');
  });
});

describe("through the CLI", () => {
  it("eval processbench --mode per-step --runaway on --adaptive-k run and report their counts", async () => {
    const items = [
      { id: "a-0", problem: "1 + 1?", steps: ["1 + 1 = 2", "so 2"], label: -1 },
      { id: "a-1", problem: "2 + 2?", steps: ["2 + 2 = 5", "so 5"], label: 0 },
    ];
    const dir = workdir({
      "items.json": JSON.stringify(items),
      "s.json": JSON.stringify({
        replies: ["Step 1: checked \\boxed{correct}\n"],
        rules: [{ when: "2 + 2 = 5", probabilities: { " Yes": 0.1, " No": 0.9 } }],
        probabilities: { " Yes": 0.9, " No": 0.1 },
      }),
    });
    const run = async (extra: string[]) => {
      const r = await cli(
        [
          "eval",
          "processbench",
          "-e",
          "scripted:s.json",
          "--data",
          "items.json",
          "--json",
          "-q",
          "--no-store",
          ...extra,
        ],
        {
          cwd: dir,
        },
      );
      expect(r.stderr).toBe("");
      return JSON.parse(r.stdout) as { subsets: { items: { f1: number } }; scaling: unknown[] };
    };
    const perStep = await run(["--mode", "per-step"]);
    expect(perStep.subsets.items.f1).toBe(1);
    // one chain per prefix is not K samples: no scaling points to misread
    expect(perStep.scaling).toEqual([]);
    expect(
      (await run(["--adaptive-k", "--k-max", "4", "--runaway", "on"])).subsets.items.f1,
    ).toBeGreaterThanOrEqual(0);
  });
});
