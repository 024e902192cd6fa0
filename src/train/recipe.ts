/**
 * Training recipes with the paper's settings (thinkprm-spec.md §5.1), as pure functions from a
 * plan to the files and command lines of three existing trainers: the project's own
 * transformers + peft + accelerate script, TRL's `trl sft`, and LLaMA-Factory.
 */

export type ModelSize = "1.5b" | "7b" | "14b" | "32b";
export type TrainerKind = "script" | "trl" | "llama-factory";
/** Where the trainer runs: GPUs (bf16, gradient checkpointing) or the CPU (float32, for small models and smoke runs). */
export type TrainDevice = "cuda" | "cpu";

export interface PaperSettings {
  method: "full" | "lora";
  epochs: number;
  learningRate: number;
  effectiveBatch: number;
  loraR?: number;
  loraAlpha?: number;
}

/**
 * The paper's table: 1.5B/7B full fine-tune (3 epochs, 6e-5 constant, batch 32); 14B LoRA r=32
 * α=16, 4e-4, batch 16; QwQ-32B the same LoRA for 5 epochs. No warmup or decay anywhere.
 */
export const PAPER_SETTINGS: Record<ModelSize, PaperSettings> = {
  "1.5b": { method: "full", epochs: 3, learningRate: 6e-5, effectiveBatch: 32 },
  "7b": { method: "full", epochs: 3, learningRate: 6e-5, effectiveBatch: 32 },
  "14b": { method: "lora", epochs: 3, learningRate: 4e-4, effectiveBatch: 16, loraR: 32, loraAlpha: 16 },
  "32b": { method: "lora", epochs: 5, learningRate: 4e-4, effectiveBatch: 16, loraR: 32, loraAlpha: 16 },
};

/** The size from a model name (`…-1.5B`, `…7B…`), or undefined. */
export function sizeFromModelName(model: string): ModelSize | undefined {
  const m = /(?:^|[^0-9.])(1\.5|7|14|32)b(?![a-z0-9])/i.exec(model);
  return m ? (`${m[1]}b` as ModelSize) : undefined;
}

export interface TrainPlan extends PaperSettings {
  baseModel: string;
  size: ModelSize;
  /** Per-device micro-batch; gradient accumulation fills the effective batch. */
  perDeviceBatch: number;
  gradAccum: number;
  gpusPerNode: number;
  nodes: number;
  /** DeepSpeed ZeRO-3 (sharded parameters, gradients and optimizer state) across the devices. */
  deepspeed: boolean;
  maxLength: number;
  maxSteps: number;
  seed: number;
  outputDir: string;
  device: TrainDevice;
  /** CPU threads of the trainer (OMP_NUM_THREADS); undefined: the trainer's own default. */
  threads?: number;
}

export interface PlanInput {
  baseModel: string;
  size?: ModelSize;
  perDeviceBatch?: number;
  gpusPerNode?: number;
  nodes?: number;
  deepspeed?: boolean;
  maxLength?: number;
  maxSteps?: number;
  seed?: number;
  outputDir: string;
  device?: TrainDevice;
  threads?: number;
  /** Overrides of the paper's settings. */
  epochs?: number;
  learningRate?: number;
  effectiveBatch?: number;
  method?: "full" | "lora";
  loraR?: number;
  loraAlpha?: number;
}

export type PlanResult =
  | { ok: true; plan: TrainPlan }
  | { ok: false; issue: { code: "unknown_size" | "batch_not_divisible"; message: string } };

/** The paper's settings for the model's size, with the accumulation that reaches the effective batch. */
export function trainPlan(input: PlanInput): PlanResult {
  const size = input.size ?? sizeFromModelName(input.baseModel);
  if (!size)
    return {
      ok: false,
      issue: {
        code: "unknown_size",
        message: `cannot tell the size of ${input.baseModel} from its name; pass --size 1.5b, 7b, 14b or 32b`,
      },
    };
  const row = PAPER_SETTINGS[size];
  // a method other than the row's keeps the row's epochs; LoRA without a rank takes the paper's r=32 α=16
  const method = input.method ?? row.method;
  const paper: PaperSettings =
    method === "lora"
      ? {
          ...row,
          method,
          loraR: input.loraR ?? row.loraR ?? 32,
          loraAlpha: input.loraAlpha ?? row.loraAlpha ?? 16,
        }
      : { method, epochs: row.epochs, learningRate: row.learningRate, effectiveBatch: row.effectiveBatch };
  const gpusPerNode = input.gpusPerNode ?? 1;
  const nodes = input.nodes ?? 1;
  const perDeviceBatch = input.perDeviceBatch ?? 1;
  const effectiveBatch = input.effectiveBatch ?? paper.effectiveBatch;
  const perStep = perDeviceBatch * gpusPerNode * nodes;
  if (effectiveBatch % perStep !== 0) {
    return {
      ok: false,
      issue: {
        code: "batch_not_divisible",
        message: `the effective batch ${effectiveBatch} is not a multiple of per-device batch × devices = ${perStep}; change --per-device-batch or --gpus`,
      },
    };
  }
  return {
    ok: true,
    plan: {
      ...paper,
      epochs: input.epochs ?? paper.epochs,
      learningRate: input.learningRate ?? paper.learningRate,
      effectiveBatch,
      baseModel: input.baseModel,
      size,
      perDeviceBatch,
      gradAccum: effectiveBatch / perStep,
      gpusPerNode,
      nodes,
      // ZeRO-3 by default where the paper full-fine-tunes on several GPUs (7B does not fit one 48 GB card with Adam states)
      deepspeed:
        (input.device ?? "cuda") === "cuda" &&
        (input.deepspeed ?? (paper.method === "full" && gpusPerNode * nodes > 1)),
      maxLength: input.maxLength ?? 4096,
      maxSteps: input.maxSteps ?? 0,
      seed: input.seed ?? 42,
      outputDir: input.outputDir,
      device: input.device ?? "cuda",
      ...(input.threads ? { threads: input.threads } : {}),
    },
  };
}

/** An accelerate config for the plan's devices (multi-GPU / multi-node, optionally DeepSpeed). */
export function accelerateConfig(plan: TrainPlan, deepspeedConfigFile: string): string {
  const processes = plan.gpusPerNode * plan.nodes;
  const lines = [
    "compute_environment: LOCAL_MACHINE",
    `distributed_type: ${plan.deepspeed ? "DEEPSPEED" : processes > 1 ? "MULTI_GPU" : "NO"}`,
    ...(plan.deepspeed
      ? ["deepspeed_config:", `  deepspeed_config_file: ${deepspeedConfigFile}`, "  zero3_init_flag: true"]
      : []),
    `mixed_precision: ${plan.device === "cpu" ? "'no'" : "bf16"}`,
    `num_machines: ${plan.nodes}`,
    `num_processes: ${processes}`,
    "machine_rank: 0",
    ...(plan.nodes > 1
      ? ["main_process_ip: 127.0.0.1 # set to the first node's address", "main_process_port: 29500"]
      : []),
    "rdzv_backend: static",
    "same_network: true",
    `use_cpu: ${plan.device === "cpu"}`,
  ];
  return `${lines.join("\n")}\n`;
}

/** DeepSpeed ZeRO-3; "auto" values are filled in by the HF integration from the trainer's arguments. */
export function deepspeedZero3(plan: TrainPlan) {
  return {
    bf16: { enabled: "auto" },
    zero_optimization: {
      stage: 3,
      overlap_comm: true,
      contiguous_gradients: true,
      reduce_bucket_size: "auto",
      stage3_prefetch_bucket_size: "auto",
      stage3_param_persistence_threshold: "auto",
      stage3_gather_16bit_weights_on_model_save: true,
    },
    gradient_accumulation_steps: plan.gradAccum,
    train_micro_batch_size_per_gpu: plan.perDeviceBatch,
    gradient_clipping: "auto",
    steps_per_print: 1_000_000,
  };
}

/** The shipped script's arguments. */
export function scriptArgs(plan: TrainPlan, data: string): string[] {
  return [
    "--model",
    plan.baseModel,
    "--data",
    data,
    "--output-dir",
    plan.outputDir,
    "--method",
    plan.method,
    "--epochs",
    String(plan.epochs),
    "--learning-rate",
    String(plan.learningRate),
    "--per-device-batch",
    String(plan.perDeviceBatch),
    "--grad-accum",
    String(plan.gradAccum),
    "--max-length",
    String(plan.maxLength),
    "--seed",
    String(plan.seed),
    // on GPUs activations are the memory bottleneck; on the CPU (small models) recomputing only costs time
    ...(plan.device === "cpu" ? ["--device", "cpu"] : ["--gradient-checkpointing"]),
    ...(plan.method === "lora"
      ? ["--lora-r", String(plan.loraR), "--lora-alpha", String(plan.loraAlpha)]
      : []),
    ...(plan.maxSteps ? ["--max-steps", String(plan.maxSteps)] : []),
  ];
}

/**
 * `trl sft` arguments for the prompt–completion set (loss on the completion only, TRL's default for
 * that layout). `dataset_text_field` is unused; the folder holds only `train.jsonl`.
 */
export function trlArgs(plan: TrainPlan, dataDir: string): string[] {
  return [
    "sft",
    "--model_name_or_path",
    plan.baseModel,
    "--dataset_name",
    dataDir,
    "--output_dir",
    plan.outputDir,
    "--num_train_epochs",
    String(plan.epochs),
    "--learning_rate",
    String(plan.learningRate),
    "--lr_scheduler_type",
    "constant",
    "--warmup_steps",
    "0",
    "--per_device_train_batch_size",
    String(plan.perDeviceBatch),
    "--gradient_accumulation_steps",
    String(plan.gradAccum),
    "--max_length",
    String(plan.maxLength),
    ...(plan.device === "cpu"
      ? ["--use_cpu", "--dataloader_num_workers", "0"]
      : ["--gradient_checkpointing", "--bf16"]),
    "--logging_steps",
    "1",
    "--save_strategy",
    // a capped (smoke or benchmark) run saves only the final model, which the script writes anyway
    plan.maxSteps ? "no" : "epoch",
    "--seed",
    String(plan.seed),
    "--report_to",
    "none",
    ...(plan.method === "lora"
      ? [
          "--use_peft",
          "--lora_r",
          String(plan.loraR),
          "--lora_alpha",
          String(plan.loraAlpha),
          "--lora_target_modules",
          "all-linear",
        ]
      : []),
    ...(plan.maxSteps ? ["--max_steps", String(plan.maxSteps)] : []),
  ];
}

/**
 * LLaMA-Factory's training YAML (`llamafactory-cli train <file>`), over the sharegpt set written by
 * `thinkprm export --format llama-factory`. The `deepseekr1` template is R1-Distill-Qwen's.
 */
export function llamaFactoryYaml(plan: TrainPlan, datasetDir: string, deepspeedConfigFile: string): string {
  const rows: [string, string | number | boolean][] = [
    ["model_name_or_path", plan.baseModel],
    ["stage", "sft"],
    ["do_train", true],
    ["finetuning_type", plan.method],
    ...(plan.method === "lora"
      ? ([
          ["lora_rank", plan.loraR!],
          ["lora_alpha", plan.loraAlpha!],
          ["lora_target", "all"],
        ] as [string, number | string][])
      : []),
    ...(plan.deepspeed ? ([["deepspeed", deepspeedConfigFile]] as [string, string][]) : []),
    ["dataset", "thinkprm"],
    ["dataset_dir", datasetDir],
    ["template", "deepseekr1"],
    ["cutoff_len", plan.maxLength],
    ["output_dir", plan.outputDir],
    ["logging_steps", 1],
    ["save_strategy", "epoch"],
    ["per_device_train_batch_size", plan.perDeviceBatch],
    ["gradient_accumulation_steps", plan.gradAccum],
    ["learning_rate", plan.learningRate],
    ["num_train_epochs", plan.epochs],
    ["lr_scheduler_type", "constant"],
    ["warmup_steps", 0],
    ["bf16", plan.device === "cuda"],
    ["seed", plan.seed],
    ["report_to", "none"],
    ...(plan.maxSteps ? ([["max_steps", plan.maxSteps]] as [string, number][]) : []),
  ];
  return `${rows.map(([k, v]) => `${k}: ${typeof v === "string" ? JSON.stringify(v) : v}`).join("\n")}\n`;
}

/** Quotes an argument for a POSIX shell only where needed. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}
