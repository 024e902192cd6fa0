/**
 * Every trainer path really runs, on the CPU, with the tiny generated checkpoint as the base model:
 * `thinkprm train --launch` with the shipped script (full fine-tune, and LoRA merged into the base)
 * and with TRL's `trl sft` (full, and LoRA merged by the shipped script), all from the venv of
 * `npm run setup:python`. Each trained checkpoint converts to GGUF and verifies on the embedded
 * engine with the model's own chat template: the training set is two verification chains, which
 * the tiny model learns, so the chains the converted model writes parse into the trained verdicts.
 * The checkpoint transformers 5 saved after training also gets both converter oracles.
 * (LLaMA-Factory is not in the local wheel indexes; its recipe is tested as text in recipe.test.ts.)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { StepLabel } from "../../src/core/step-labels.js";
import { BUILTIN_CHAT_TEMPLATES } from "../../src/engines/chat-template.js";
import { readGgufHeader, readGgufTensor } from "../../src/engines/llama-cpp/gguf-reader.js";
import { writeHfTinyCheckpoint } from "../../src/engines/llama-cpp/test-checkpoint.js";
import { type KeptChain, trlRecord } from "../../src/synth/export.js";
import { cli, workdir } from "../cli/run-cli.js";
import { diffGguf, EXPECTED_METADATA_DIFFERENCES } from "../engines/gguf-diff.js";
import { llamaLogprobs, maxDelta } from "../engines/llama-logprobs.js";
import { ORACLE_CANDIDATES, ORACLE_PROMPTS } from "../engines/oracle-prompts.js";
import { REPO_ROOT } from "../helpers.js";
import { hfReference, llamaCppConvert, pythonChildEnv, pythonEnv, runPython } from "../python-env.js";

const CHAINS: KeptChain[] = [
  {
    id: "wrong",
    problem: "Solve for x: 2x + 3 = 7",
    steps: ["Subtract 3 from both sides: 2x = 4", "Divide by 2: x = 1"],
    labels: ["+", "-"] as StepLabel[],
    isCorrect: false,
    generation:
      "Step 1: 7 - 3 = 4, so 2x = 4. \\boxed{correct}\nStep 2: 4 / 2 = 2, not 1. \\boxed{incorrect}",
  },
  {
    id: "right",
    problem: "What is 3 + 4?",
    steps: ["3 + 4 = 7", "The answer is 7"],
    labels: ["+", "+"] as StepLabel[],
    isCorrect: true,
    generation: "Step 1: 3 + 4 = 7. \\boxed{correct}\nStep 2: yes, 7. \\boxed{correct}",
  },
];

const dir = workdir({
  "in.jsonl": CHAINS.map((c) => JSON.stringify({ id: c.id, problem: c.problem, steps: c.steps })).join("\n"),
});
/** The trainers' children: offline, one thread each (the cores are shared), the real PATH. */
const env = Object.fromEntries(
  Object.entries(pythonChildEnv()).filter((e): e is [string, string] => e[1] !== undefined),
);

beforeAll(() => {
  pythonEnv(); // fails with the fix (npm run setup:python) when the venv is missing
  writeHfTinyCheckpoint(join(dir, "base"));
  mkdirSync(join(dir, "set"));
  const rows = CHAINS.map((c) => trlRecord(c, BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"]));
  writeFileSync(join(dir, "set/trl.jsonl"), `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
});

interface TrainResult {
  exitCode: number;
  steps: number;
  finalLoss: number;
  checkpoint: string;
  model: string;
  device: string;
  python: string;
  plan: { baseModel: string; method: string; device: string };
}

async function train(out: string, extra: string[]): Promise<TrainResult> {
  const r = await cli(
    [
      "train",
      "--data",
      "set",
      "--base-model",
      "./base",
      "--size",
      "1.5b",
      "--batch",
      "1",
      "--threads",
      "1",
    ].concat(["--out", out, "--launch", "-q", "--json", ...extra]),
    { cwd: dir, env },
  );
  if (r.code !== 0)
    throw new Error(
      `train failed (${r.code}): ${r.stderr}\n${readFileSync(join(dir, out, "train.log"), "utf8").slice(-3000)}`,
    );
  return JSON.parse(r.stdout) as TrainResult;
}

async function convertAndVerify(model: string, gguf: string) {
  const c = await cli(["convert", model, "-o", gguf, "--type", "f32", "--json"], { cwd: dir });
  expect(c.code).toBe(0);
  const v = await cli(
    // the model's own template, read from the GGUF (what --chat-template auto does once verify passes it the model)
    ["verify", "-q", "-m", gguf, "--chat-template", gguf, "--threads", "1", "--max-tokens", "300"].concat([
      "-i",
      "in.jsonl",
      "--json",
      "--no-store",
    ]),
    { cwd: dir },
  );
  expect(v.stderr).toBe("");
  return {
    convert: JSON.parse(c.stdout) as { hparams: { ropeTheta: number }; chat_template: string },
    verdicts: v.stdout
      .trim()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as {
            id: string;
            score: number | null;
            stepVerdicts: string[];
            chains: { valid: boolean; text: string }[];
          },
      ),
  };
}

const expectedVerdicts = CHAINS.map((c) => c.labels.map((l) => (l === "+" ? "correct" : "incorrect")));

describe("trainer paths on the CPU, end to end: train → convert → verify", () => {
  it("the shipped script, full fine-tune: a relative --base-model, the venv, CPU defaults; the model learns the chains", async () => {
    const r = await train("r-full", ["--max-steps", "100", "--lr", "3e-3"]);
    expect(r).toMatchObject({ exitCode: 0, steps: 100, device: "cpu" });
    expect(r.plan.baseModel).toBe(join(dir, "base")); // resolved against the caller's directory
    expect(r.python).toBe(pythonEnv().python.replace(/python3?$/, "python"));
    expect(r.finalLoss).toBeLessThan(0.05);
    const log = readFileSync(join(dir, "r-full/train.log"), "utf8");
    expect(log).toContain(
      '"thinkprm": "start", "examples": 2, "total_steps": 100, "processes": 1, "device": "cpu", "dtype": "float32"',
    );
    // transformers 5 saved the checkpoint: rope_parameters, dtype, chat_template.jinja
    const config = JSON.parse(readFileSync(join(r.checkpoint, "config.json"), "utf8"));
    expect(config.rope_parameters).toEqual({ rope_theta: 1e6, rope_type: "default" });
    expect(config.rope_theta).toBeUndefined();
    expect(existsSync(join(r.checkpoint, "chat_template.jinja"))).toBe(true);

    const { convert, verdicts } = await convertAndVerify(r.model, "full.gguf");
    expect(convert.hparams.ropeTheta).toBe(1e6);
    expect(convert.chat_template).toBe("chat_template.jinja");
    for (const [i, v] of verdicts.entries()) {
      expect(v.chains.every((c) => c.valid)).toBe(true);
      expect(v.stepVerdicts).toEqual(expectedVerdicts[i]);
    }
    expect(verdicts[0]!.score).toBeLessThan(0.5); // the wrong solution
    expect(verdicts[1]!.score).toBeGreaterThan(0.5);
  }, 300_000);

  it("the checkpoint saved after training passes both converter oracles", async () => {
    const checkpoint = join(dir, "r-full/checkpoint");
    const [hf] = hfReference([
      { model: checkpoint, texts: ORACLE_PROMPTS, prompts: ORACLE_PROMPTS, candidates: ORACLE_CANDIDATES },
    ]);
    const ours = join(dir, "full.gguf");
    const exact = await llamaLogprobs(ours, ORACLE_PROMPTS, ORACLE_CANDIDATES);
    expect(exact.ids).toEqual(hf!.ids);
    expect(maxDelta(exact.logprobs, hf!.logprobs)).toBeLessThanOrEqual(1e-3);
    const theirs = join(dir, "full-llama.gguf");
    llamaCppConvert(checkpoint, theirs, "f32");
    const diff = diffGguf(ours, theirs);
    expect(diff.tensors).toEqual([]);
    expect(Object.keys(diff.metadata).sort()).toEqual([...EXPECTED_METADATA_DIFFERENCES].sort());
  }, 300_000);

  it("the shipped script, LoRA: the adapter, merged into the base (checkpoint/merged), converts and verifies", async () => {
    const r = await train(
      "r-lora",
      ["--method", "lora", "--lora-r", "16", "--lora-alpha", "32"].concat([
        "--max-steps",
        "250",
        "--lr",
        "1e-2",
      ]),
    );
    expect(r).toMatchObject({ exitCode: 0, steps: 250, plan: { method: "lora" } });
    expect(r.model).toBe(join(r.checkpoint, "merged"));
    expect(existsSync(join(r.checkpoint, "adapter_config.json"))).toBe(true);
    expect(r.finalLoss).toBeLessThan(0.5);
    const { verdicts } = await convertAndVerify(r.model, "lora.gguf");
    for (const [i, v] of verdicts.entries()) {
      expect(v.chains.every((c) => c.valid)).toBe(true);
      expect(v.stepVerdicts).toEqual(expectedVerdicts[i]);
    }
    // LoRA moved the attention and MLP matrices (merged into them), not the embedding
    await cli(["convert", "base", "-o", "base.gguf", "--type", "f32"], { cwd: dir });
    const same = (name: string) => {
      const a = readGgufTensor(join(dir, "base.gguf"), readGgufHeader(join(dir, "base.gguf")), name);
      const b = readGgufTensor(join(dir, "lora.gguf"), readGgufHeader(join(dir, "lora.gguf")), name);
      return a.every((x, i) => x === b[i]);
    };
    expect(same("token_embd.weight")).toBe(true);
    expect(same("blk.0.attn_q.weight")).toBe(false);
  }, 300_000);

  it("TRL's trl sft: a BOS the tokenizer adds is cut from the prompts; the model learns the chains", async () => {
    const r = await train("r-trl", ["--trainer", "trl", "--max-steps", "100", "--lr", "3e-3"]);
    expect(r).toMatchObject({ exitCode: 0, device: "cpu" });
    const recipe = JSON.parse(readFileSync(join(dir, "r-trl/recipe.json"), "utf8"));
    expect(recipe.bosCutFromPrompts).toBe(2);
    expect(recipe.argv).toEqual(expect.arrayContaining(["--use_cpu", "--max_steps", "100"]));
    expect(
      readFileSync(join(dir, "r-trl/data/train.jsonl"), "utf8").startsWith('{"prompt":"<｜User｜>'),
    ).toBe(true);
    const { verdicts } = await convertAndVerify(r.model, "trl.gguf");
    for (const [i, v] of verdicts.entries()) {
      expect(v.chains.every((c) => c.valid)).toBe(true);
      expect(v.stepVerdicts).toEqual(expectedVerdicts[i]);
    }
    expect(verdicts[0]!.score).toBeLessThan(0.5);
    expect(verdicts[1]!.score).toBeGreaterThan(0.5);
  }, 300_000);

  it("TRL with LoRA: run.sh merges the adapter with the shipped script; the merged model converts", async () => {
    const r = await train("r-trl-lora", [
      "--trainer",
      "trl",
      "--method",
      "lora",
      "--max-steps",
      "5",
      "--lr",
      "1e-2",
    ]);
    expect(r.model).toBe(join(r.checkpoint, "merged"));
    expect(readFileSync(join(dir, "r-trl-lora/run.sh"), "utf8")).toContain(
      "python3 thinkprm_sft.py --merge-lora checkpoint --output-dir checkpoint/merged\n",
    );
    const c = await cli(["convert", r.model, "-o", "trl-lora.gguf", "--type", "f32"], { cwd: dir });
    expect(c.code).toBe(0);
    expect(readGgufHeader(join(dir, "trl-lora.gguf")).tensors).toHaveLength(27);
  }, 300_000);

  it("the shipped script's tokenizer guard: transformers 5 misreads a LlamaTokenizerFast byte-level tokenizer (transformers#45488); tokenizer.json is used as it is", () => {
    // the tokenizer files alone (no config.json naming qwen2): AutoTokenizer picks LlamaTokenizer
    const tok = join(dir, "tokenizer-only");
    mkdirSync(tok);
    for (const f of ["tokenizer.json", "tokenizer_config.json"])
      writeFileSync(join(tok, f), readFileSync(join(dir, "base", f)));
    const out = runPython([
      "-c",
      `import sys, json; sys.path.insert(0, ${JSON.stringify(join(REPO_ROOT, "python"))})
import thinkprm_sft
from transformers import AutoTokenizer
from tokenizers import Tokenizer
text = "Hello world, x = 2"
auto = AutoTokenizer.from_pretrained(sys.argv[1])(text, add_special_tokens=False)["input_ids"]
guarded = thinkprm_sft.load_tokenizer(sys.argv[1])(text, add_special_tokens=False)["input_ids"]
raw = Tokenizer.from_file(sys.argv[1] + "/tokenizer.json").encode(text, add_special_tokens=False).ids
print(json.dumps({"auto_ok": auto == raw, "guarded_ok": guarded == raw}))`,
      tok,
    ]);
    const lines = out.trim().split("\n");
    expect(lines[0]).toContain('"thinkprm": "warning"');
    expect(JSON.parse(lines.at(-1)!)).toEqual({ auto_ok: false, guarded_ok: true });
  }, 120_000);

  it("says what is wrong before training: a missing base folder, a Python without torch", async () => {
    const missing = await cli(
      ["train", "--data", "set", "--base-model", "./nope", "--size", "1.5b", "--out", "x"],
      { cwd: dir, env },
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--base-model ./nope: no such folder (relative paths are read from");
    const noTorch = await cli(
      [
        "train",
        "--data",
        "set",
        "--base-model",
        "./base",
        "--size",
        "1.5b",
        "--out",
        "y",
        "--launch",
        "--python",
        "/usr/bin/env",
      ],
      { cwd: dir, env },
    );
    expect(noTorch.code).toBe(2);
    expect(noTorch.stderr).toContain("cannot import torch with /usr/bin/env");
  });
});
