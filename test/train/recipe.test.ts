import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { launchRecipe, SHIPPED_SCRIPT, writeRecipe } from "../../src/train/launch.js";
import {
  accelerateConfig,
  deepspeedZero3,
  llamaFactoryYaml,
  scriptArgs,
  sizeFromModelName,
  type TrainPlan,
  trainPlan,
  trlArgs,
} from "../../src/train/recipe.js";
import { parseTrainerLine } from "../../src/train/trainer-log.js";
import { fixture } from "../helpers.js";

const plan = (input: Parameters<typeof trainPlan>[0]): TrainPlan => {
  const r = trainPlan(input);
  if (!r.ok) throw new Error(r.issue.message);
  return r.plan;
};

describe("the paper's training settings", () => {
  it("reads the size from the model name", () => {
    expect(sizeFromModelName("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B")).toBe("1.5b");
    expect(sizeFromModelName("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B")).toBe("7b");
    expect(sizeFromModelName("Qwen/Qwen2.5-14B-Instruct")).toBe("14b");
    expect(sizeFromModelName("Qwen/QwQ-32B-Preview")).toBe("32b");
    expect(sizeFromModelName("gpt2")).toBeUndefined();
  });

  it("1.5B/7B: full fine-tune, 3 epochs, 6e-5 constant, effective batch 32 through accumulation", () => {
    const p = plan({ baseModel: "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", outputDir: "ckpt" });
    expect(p).toMatchObject({
      size: "1.5b",
      method: "full",
      epochs: 3,
      learningRate: 6e-5,
      effectiveBatch: 32,
      perDeviceBatch: 1,
      gradAccum: 32,
      deepspeed: false,
      maxLength: 4096,
    });
    const four = plan({ baseModel: "x-7B", gpusPerNode: 4, perDeviceBatch: 2, outputDir: "ckpt" });
    expect(four).toMatchObject({ gradAccum: 4, deepspeed: true });
  });

  it("14B: LoRA r=32 α=16, lr 4e-4, batch 16; 32B: 5 epochs", () => {
    expect(plan({ baseModel: "Qwen/Qwen2.5-14B-Instruct", outputDir: "c" })).toMatchObject({
      method: "lora",
      loraR: 32,
      loraAlpha: 16,
      learningRate: 4e-4,
      effectiveBatch: 16,
      gradAccum: 16,
      deepspeed: false,
    });
    expect(plan({ baseModel: "Qwen/QwQ-32B-Preview", outputDir: "c" }).epochs).toBe(5);
  });

  it("says why a plan cannot be made", () => {
    expect(trainPlan({ baseModel: "gpt2", outputDir: "c" })).toMatchObject({
      ok: false,
      issue: { code: "unknown_size" },
    });
    expect(trainPlan({ baseModel: "m-1.5B", gpusPerNode: 3, outputDir: "c" })).toMatchObject({
      ok: false,
      issue: { code: "batch_not_divisible" },
    });
  });
});

describe("trainer command lines and configs", () => {
  const full = plan({
    baseModel: "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
    gpusPerNode: 4,
    outputDir: "checkpoint",
  });
  const lora = plan({ baseModel: "Qwen/Qwen2.5-14B-Instruct", outputDir: "checkpoint", maxSteps: 5 });

  it("the shipped script", () => {
    expect(scriptArgs(full, "data/train.jsonl").join(" ")).toBe(
      "--model deepseek-ai/DeepSeek-R1-Distill-Qwen-7B --data data/train.jsonl --output-dir checkpoint --method full --epochs 3 --learning-rate 0.00006 --per-device-batch 1 --grad-accum 8 --max-length 4096 --seed 42 --gradient-checkpointing",
    );
    expect(scriptArgs(lora, "d")).toEqual(
      expect.arrayContaining([
        "--method",
        "lora",
        "--lora-r",
        "32",
        "--lora-alpha",
        "16",
        "--max-steps",
        "5",
        "--grad-accum",
        "16",
      ]),
    );
  });

  it("trl sft", () => {
    const args = trlArgs(lora, "data").join(" ");
    expect(
      args.startsWith(
        "sft --model_name_or_path Qwen/Qwen2.5-14B-Instruct --dataset_name data --output_dir checkpoint --num_train_epochs 3 --learning_rate 0.0004 --lr_scheduler_type constant --warmup_steps 0",
      ),
    ).toBe(true);
    expect(args).toContain(
      "--use_peft --lora_r 32 --lora_alpha 16 --lora_target_modules all-linear --max_steps 5",
    );
    expect(trlArgs(full, "data")).not.toContain("--use_peft");
  });

  it("LLaMA-Factory", () => {
    const yaml = llamaFactoryYaml(full, "data", "deepspeed_zero3.json");
    expect(yaml).toContain('finetuning_type: "full"\n');
    expect(yaml).toContain('deepspeed: "deepspeed_zero3.json"\n');
    expect(yaml).toContain('template: "deepseekr1"\ncutoff_len: 4096\n');
    expect(yaml).toContain(
      'gradient_accumulation_steps: 8\nlearning_rate: 0.00006\nnum_train_epochs: 3\nlr_scheduler_type: "constant"\nwarmup_steps: 0\n',
    );
    expect(llamaFactoryYaml(lora, "data", "x")).toContain(
      'lora_rank: 32\nlora_alpha: 16\nlora_target: "all"\n',
    );
  });

  it("accelerate and DeepSpeed ZeRO-3", () => {
    expect(accelerateConfig(full, "ds.json")).toContain(
      "distributed_type: DEEPSPEED\ndeepspeed_config:\n  deepspeed_config_file: ds.json\n",
    );
    expect(accelerateConfig(full, "ds.json")).toContain("num_processes: 4\n");
    expect(accelerateConfig(lora, "ds.json")).toContain("distributed_type: NO\n");
    expect(accelerateConfig({ ...full, nodes: 2 }, "ds.json")).toContain(
      "num_machines: 2\nnum_processes: 8\n",
    );
    expect(deepspeedZero3(full)).toMatchObject({
      zero_optimization: { stage: 3 },
      gradient_accumulation_steps: 8,
      train_micro_batch_size_per_gpu: 1,
    });
  });
});

describe("reading trainer output", () => {
  it("the shipped script's events, HF Trainer dicts and tqdm bars", () => {
    expect(
      parseTrainerLine(
        '{"thinkprm": "step", "step": 3, "total_steps": 93, "epoch": 0.1, "loss": 0.41, "lr": 6e-05, "elapsed_s": 9}',
      ),
    ).toEqual({ step: 3, totalSteps: 93, epoch: 0.1, loss: 0.41, lr: 6e-5 });
    expect(parseTrainerLine('{"thinkprm": "done", "steps": 93, "output_dir": "checkpoint"}')).toEqual({
      done: true,
      step: 93,
      outputDir: "checkpoint",
    });
    expect(
      parseTrainerLine("{'loss': 0.8123, 'grad_norm': 2.1, 'learning_rate': 0.0004, 'epoch': 1.5}"),
    ).toEqual({ loss: 0.8123, lr: 4e-4, epoch: 1.5 });
    expect(parseTrainerLine("{'loss': '0.8123', 'learning_rate': '6e-05', 'epoch': '0.5'}")).toEqual({
      loss: 0.8123,
      lr: 6e-5,
      epoch: 0.5,
    });
    expect(parseTrainerLine("{'train_runtime': 40.1, 'train_loss': 0.52, 'epoch': 3.0}")).toEqual({
      done: true,
      loss: 0.52,
      epoch: 3,
    });
    expect(parseTrainerLine(" 12%|█▏        | 12/93 [00:25<02:50,  2.10s/it]")).toEqual({
      step: 12,
      totalSteps: 93,
      etaS: 170,
    });
    expect(parseTrainerLine("  0%|     | 0/93 [00:00<?, ?it/s]")).toEqual({ step: 0, totalSteps: 93 });
    expect(parseTrainerLine("Loading checkpoint shards: 100%")).toBeNull();
    expect(parseTrainerLine('{"thinkprm": broken')).toBeNull();
  });
});

describe("recipes on disk and the launcher", () => {
  const exportDir = mkdtempSync(join(tmpdir(), "thinkprm-export-"));
  writeFileSync(
    join(exportDir, "trl.jsonl"),
    `${JSON.stringify({ prompt: "<｜User｜>q<｜Assistant｜>", completion: "<think>\nx\n</think>\nIs the solution correct? Yes<｜end▁of▁sentence｜>" })}\n`,
  );
  writeFileSync(join(exportDir, "thinkprm_sharegpt.json"), "[]");
  writeFileSync(join(exportDir, "dataset_info.json"), "{}");

  it("writes a self-contained folder with a run.sh that runs the command", () => {
    const dir = mkdtempSync(join(tmpdir(), "thinkprm-recipe-"));
    const r = writeRecipe(plan({ baseModel: "m-1.5B", outputDir: "checkpoint" }), "script", exportDir, dir);
    expect(r.files.sort()).toEqual([
      "accelerate.yaml",
      "data/train.jsonl",
      "recipe.json",
      "run.sh",
      "thinkprm_sft.py",
    ]);
    expect(r.argv.slice(0, 2)).toEqual(["python3", "thinkprm_sft.py"]);
    expect(readFileSync(join(dir, "run.sh"), "utf8")).toContain(
      'cd "$(dirname "$0")"\npython3 thinkprm_sft.py --model m-1.5B --data data/train.jsonl',
    );
    expect(readFileSync(join(dir, "thinkprm_sft.py"), "utf8")).toBe(readFileSync(SHIPPED_SCRIPT, "utf8"));
    const multi = writeRecipe(
      plan({ baseModel: "m-7B", gpusPerNode: 8, outputDir: "checkpoint" }),
      "trl",
      exportDir,
      mkdtempSync(join(tmpdir(), "thinkprm-recipe-")),
    );
    expect(multi.argv.slice(0, 7)).toEqual([
      "accelerate",
      "launch",
      "--config_file",
      "accelerate.yaml",
      "-m",
      "trl.scripts.sft",
      "--model_name_or_path",
    ]);
    expect(multi.files).toContain("deepspeed_zero3.json");
    const lf = writeRecipe(
      plan({ baseModel: "m-7B", gpusPerNode: 2, outputDir: "checkpoint" }),
      "llama-factory",
      exportDir,
      mkdtempSync(join(tmpdir(), "thinkprm-recipe-")),
    );
    expect(lf.argv).toEqual(["llamafactory-cli", "train", "train.yaml"]);
    expect(lf.env).toEqual({ FORCE_TORCHRUN: "1", NNODES: "1", NPROC_PER_NODE: "2" });
    expect(readFileSync(join(lf.dir, "run.sh"), "utf8")).toContain(
      "FORCE_TORCHRUN=1 NNODES=1 NPROC_PER_NODE=2 llamafactory-cli train train.yaml",
    );
  });

  it("streams a real child process's output into progress and train.log", async () => {
    const dir = mkdtempSync(join(tmpdir(), "thinkprm-launch-"));
    const recipe = {
      dir,
      trainer: "trl" as const,
      argv: [process.execPath, fixture("trainer/hf-trainer-output.mjs"), "0"],
      env: {},
      files: [],
    };
    const seen: number[] = [];
    const result = await launchRecipe(recipe, (_line, p) => {
      if (p?.step !== undefined) seen.push(p.step);
    });
    expect(result.exitCode).toBe(0);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(result.progress).toMatchObject({ step: 4, totalSteps: 4, done: true, loss: 1.0417, epoch: 3 });
    expect(readFileSync(join(dir, "train.log"), "utf8")).toContain("'train_runtime': 4.2");
    const failed = await launchRecipe(
      { ...recipe, argv: [process.execPath, fixture("trainer/hf-trainer-output.mjs"), "3"] },
      () => {},
    );
    expect(failed.exitCode).toBe(3);
    await expect(launchRecipe({ ...recipe, argv: ["no-such-trainer-xyz"] }, () => {})).rejects.toThrow(
      /not found on PATH/,
    );
  });
});

describe("the shipped trainer script", () => {
  it("compiles, and validates data without torch", () => {
    expect(spawnSync("python3", ["-m", "py_compile", SHIPPED_SCRIPT]).status).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), "thinkprm-py-"));
    const good = join(dir, "train.jsonl");
    writeFileSync(
      good,
      `${JSON.stringify({ prompt: "p", completion: "c" })}\n\n${JSON.stringify({ prompt: "p2", completion: "c2" })}\n`,
    );
    const ok = spawnSync(
      "python3",
      [SHIPPED_SCRIPT, "--model", "m", "--data", good, "--output-dir", dir, "--check-data"],
      { encoding: "utf8" },
    );
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout.trim())).toEqual({ thinkprm: "data", examples: 2 });
    const bad = join(dir, "bad.jsonl");
    writeFileSync(
      bad,
      `${JSON.stringify({ prompt: "p", completion: "c" })}\n${JSON.stringify({ prompt: "p" })}\n`,
    );
    const no = spawnSync(
      "python3",
      [SHIPPED_SCRIPT, "--model", "m", "--data", bad, "--output-dir", dir, "--check-data"],
      { encoding: "utf8" },
    );
    expect(no.status).toBe(1);
    expect(no.stderr).toContain(`${bad}:2: field 'completion' must be a non-empty string`);
  });
});
