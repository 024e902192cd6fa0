// synth → synth stats → export → train, through the real CLI in-process, on PRM800K phase-1
// prefixes with a scripted teacher whose replies are crafted to pass or fail each filter.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { makeQwenTokenizerModel } from "../../src/engines/llama-cpp/qwen-tokenizer-model.js";
import { RunStore } from "../../src/store/run-store.js";
import { REPO_ROOT, SHARED } from "../helpers.js";
import { cli, workdir } from "./run-cli.js";

const source = `prm800k:${resolve(SHARED, "data/prm800k/phase1_test.solutions.jsonl")}`;
// the first two prefixes: L1/0/0 (1 step, rated 1) and L1/1/1 (2 steps, rated 1, -1); 4 samples each
const replies = [
  "Step 1: fine. \\boxed{correct}\n</think>", // kept
  "Step 1: wrong. \\boxed{incorrect}", // process mismatch
  "I cannot tell.", // no decisions
  "Step 1: fine. \\boxed{correct} and more", // the first, once cleaned: duplicate
  "Step 1 ok \\boxed{correct}\nStep 2 wrong \\boxed{incorrect}", // kept
  "Step 1 ok \\boxed{correct}\nStep 2 ok \\boxed{correct}", // process mismatch
  "Step 1 ok \\boxed{correct}", // one decision for two labels: decision count
  "Step one holds \\boxed{\\text{correct}}\nStep two fails \\boxed{\\text{incorrect}}", // kept, \text removed
];

describe("making a verifier from the command line", () => {
  const dir = workdir({ "teacher.json": JSON.stringify({ replies }) });
  const synthArgs = [
    "synth",
    "--teacher",
    "scripted:teacher.json",
    "--source",
    source,
    "--limit",
    "2",
    "--until",
    "10",
    "-q",
  ];
  let runId = "";

  it("synth keeps exactly the expected chains and reports the yield and reasons", async () => {
    const r = await cli(synthArgs, { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    runId = /^run (\S+):/.exec(r.stdout)![1]!;
    expect(r.stdout).toContain("2 prefixes, 8 chains sampled, 3 kept (yield 37.5%");
    expect(r.stdout).toContain("rejected, process_mismatch: 2\n");
    expect(r.stdout).toContain("rejected, no_decisions: 1\n");
    expect(r.stdout).toContain("rejected, duplicate: 1\n");
    expect(r.stdout).toContain("rejected, decision_count: 1\n");
    // a rerun resumes the stored run and samples nothing again
    const again = await cli([...synthArgs.slice(0, -1), "--json"], { cwd: dir });
    expect(JSON.parse(again.stdout)).toMatchObject({ run: runId, sampled: 8, kept: 3 });
    expect(again.stderr).toContain(`resuming run ${runId}: 3 kept so far`);
  });

  it("synth stats prints the paper's table", async () => {
    const r = await cli(["synth", "stats", "--run", runId], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("prefixes correct / incorrect         1 (33.3%) / 2 (66.7%)");
    expect(r.stdout).toContain("step labels correct / incorrect      3 (60.0%) / 2 (40.0%)");
    expect(r.stdout).toContain("unique questions                     1");
    expect(r.stdout).toContain("steps per prefix avg / min / max     1.7 / 1 / 2");
    expect(r.stdout).toContain("chain tokens avg / min / max         14.3 / 9 / 18   (≈ characters / 3.6");
    // exact counts with a tokenizer: the real Qwen/R1 tokenizer in a tiny generated model
    writeFileSync(join(dir, "qwen.gguf"), makeQwenTokenizerModel());
    const exact = await cli(["synth", "stats", "--run", runId, "--tokenizer-model", "qwen.gguf"], {
      cwd: dir,
    });
    expect(exact.stdout).toMatch(/chain tokens avg \/ min \/ max {9}15\.0 \/ 11 \/ 18 {3}\(.*tokenizer\)/);
  });

  it("export writes every trainer format", async () => {
    const r = await cli(["export", "--run", runId, "--out", "set"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "exported 3 examples to set: thinkprm.jsonl, trl.jsonl, thinkprm_sharegpt.json, dataset_info.json, openai.jsonl\n",
    );
    const rows = readFileSync(join(dir, "set/thinkprm.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows.map((x) => x.cot)).toEqual([
      "<think>\nLet's verify step by step:\nStep 1: fine. \\boxed{correct}\n</think>\nIs the solution correct? Yes",
      "<think>\nLet's verify step by step:\nStep 1 ok \\boxed{correct}\nStep 2 wrong \\boxed{incorrect}\n</think>\nIs the solution correct? No",
      "<think>\nLet's verify step by step:\nStep one holds \\boxed{correct}\nStep two fails \\boxed{incorrect}\n</think>\nIs the solution correct? No",
    ]);
    const trl = JSON.parse(readFileSync(join(dir, "set/trl.jsonl"), "utf8").split("\n")[0]!);
    expect(trl.prompt.endsWith("<｜Assistant｜>")).toBe(true);
    expect(trl.completion).toBe(`${rows[0].cot}<｜end▁of▁sentence｜>`);
    expect(JSON.parse(readFileSync(join(dir, "set/dataset_info.json"), "utf8")).thinkprm.file_name).toBe(
      "thinkprm_sharegpt.json",
    );
  });

  it("train writes a recipe with the paper's settings, and the shipped script accepts the exported set", async () => {
    const r = await cli(["train", "--data", "set", "--out", "recipe"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "full fine-tune, 3 epochs, lr 0.00006 constant, effective batch 32 = 1 × 1 device(s) × 32 accumulation",
    );
    expect(readFileSync(join(dir, "recipe/run.sh"), "utf8")).toContain(
      "python3 thinkprm_sft.py --model deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B --data data/train.jsonl --output-dir checkpoint --method full --epochs 3 --learning-rate 0.00006 --per-device-batch 1 --grad-accum 32",
    );
    const check = spawnSync(
      "python3",
      ["thinkprm_sft.py", "--model", "m", "--data", "data/train.jsonl", "--output-dir", "c", "--check-data"],
      { cwd: join(dir, "recipe"), encoding: "utf8" },
    );
    expect(check.stdout.trim()).toBe('{"thinkprm": "data", "examples": 3}');
    const lora = await cli(
      [
        "train",
        "--data",
        "set",
        "--out",
        "lf",
        "--trainer",
        "llama-factory",
        "--base-model",
        "Qwen/Qwen2.5-14B-Instruct",
        "--json",
      ],
      { cwd: dir },
    );
    expect(JSON.parse(lora.stdout).plan).toMatchObject({
      method: "lora",
      loraR: 32,
      loraAlpha: 16,
      learningRate: 4e-4,
      effectiveBatch: 16,
    });
    expect(existsSync(join(dir, "lf/train.yaml"))).toBe(true);
  });

  it("train explains bad input", async () => {
    const missing = await cli(["train", "--data", "nowhere", "--out", "r2"], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      "--data nowhere lacks trl.jsonl; write it with: thinkprm export --run <synth run> --format trl --out nowhere",
    );
    const size = await cli(["train", "--data", "set", "--base-model", "gpt2"], { cwd: dir });
    expect(size.stderr).toContain("cannot tell the size of gpt2 from its name; pass --size");
    const badSource = await cli(
      ["synth", "--teacher", "scripted:teacher.json", "--source", "prm800k:missing.jsonl"],
      { cwd: dir },
    );
    expect(badSource.stderr).toContain("--source: file not found: missing.jsonl");
  });

  const hasTorch = spawnSync("python3", ["-c", "import torch, transformers, accelerate"]).status === 0;
  it.skipIf(hasTorch)(
    "train --launch runs the real command, reports the trainer's failure and stores the run",
    async () => {
      // a Python without torch (not the project's .venv), on a device named so nothing probes torch first
      const r = await cli(
        [
          "train",
          "--data",
          "set",
          "--out",
          "recipe",
          "--launch",
          "-q",
          "--python",
          "python3",
          "--device",
          "cpu",
        ],
        { cwd: dir },
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("the trainer exited with code 1");
      expect(r.stderr).toContain("No module named 'torch'");
      expect(readFileSync(join(dir, "recipe/train.log"), "utf8")).toContain("ModuleNotFoundError");
      const runs = await cli(["runs", "list"], { cwd: dir });
      expect(runs.stdout).toMatch(/train\s+failed/);
    },
  );
});

describe("synth after a crash", () => {
  it("kill -9 mid-run, rerun: the same run resumes, every prefix sampled once", async () => {
    // every call takes 150 ms, so the kill lands while prefixes remain
    const dir = workdir({ "slow.json": JSON.stringify({ replies, latencyMs: 150 }) });
    const args = [
      "synth",
      "--teacher",
      "scripted:slow.json",
      "--source",
      source,
      "--limit",
      "12",
      "--until",
      "1000",
      "-q",
    ];
    const child = spawn(process.execPath, [join(REPO_ROOT, "bin/thinkprm.js"), ...args], {
      cwd: dir,
      stdio: "ignore",
    });
    const storePath = join(dir, ".thinkprm/runs.sqlite");
    const storedPrefixes = () => {
      if (!existsSync(storePath)) return 0;
      const store = new RunStore(storePath);
      try {
        const run = store.listRuns()[0];
        return run ? store.results(run.id).length : 0;
      } finally {
        store.close();
      }
    };
    while (storedPrefixes() < 3) await new Promise((done) => setTimeout(done, 50));
    child.kill("SIGKILL");
    await new Promise((done) => child.on("close", done));
    const before = storedPrefixes();
    expect(before).toBeGreaterThanOrEqual(3);
    expect(before).toBeLessThan(12);
    const r = await cli([...args.slice(0, -1), "--json"], { cwd: dir });
    expect(r.stderr).toMatch(/\nresuming run \S+: \d+ kept so far \(12 prefixes\)/);
    expect(JSON.parse(r.stdout)).toMatchObject({ prefixes: 12, sampled: 48 });
    const store = new RunStore(storePath);
    const keys = store.results(store.listRuns()[0]!.id).map((x) => x.key);
    store.close();
    expect(new Set(keys).size).toBe(12);
    expect(keys).toHaveLength(12);
  }, 60_000);
});
