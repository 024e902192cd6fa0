/** `thinkprm train`: a recipe folder with the paper's settings for an existing trainer; launches it on request. */
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import cliProgress from "cli-progress";
import { readTokenizerFiles } from "../../engines/llama-cpp/convert-qwen2-tokenizer.js";
import { RunStore } from "../../store/run-store.js";
import { launchRecipe, missingExportFiles, writeRecipe } from "../../train/launch.js";
import { torchHasCuda, trainerPython } from "../../train/python-env.js";
import { type ModelSize, type TrainDevice, type TrainerKind, trainPlan } from "../../train/recipe.js";
import type { TrainerProgress } from "../../train/trainer-log.js";
import { CliError, type CliIo, resolvePath, writeJsonLine } from "../io.js";

export interface TrainOptions {
  data: string;
  baseModel: string;
  size?: ModelSize;
  trainer: TrainerKind;
  gpus: number;
  nodes: number;
  perDeviceBatch: number;
  deepspeed?: boolean;
  maxLength: number;
  maxSteps?: number;
  epochs?: number;
  lr?: number;
  /** Effective batch (the paper's 32 or 16), filled by gradient accumulation. */
  batch?: number;
  method?: "full" | "lora";
  loraR?: number;
  loraAlpha?: number;
  device: "auto" | TrainDevice;
  /** CPU threads of the trainer (OMP_NUM_THREADS). */
  threads?: number;
  seed: number;
  out: string;
  checkpoint: string;
  python?: string;
  launch?: boolean;
  store: string;
  quiet?: boolean;
  json?: boolean;
}

const fmtEta = (s: number | undefined) =>
  s === undefined
    ? "?"
    : s >= 3600
      ? `${(s / 3600).toFixed(1)}h`
      : s >= 60
        ? `${Math.round(s / 60)}m`
        : `${Math.round(s)}s`;

/** A step bar with loss, lr and ETA on a TTY; a plain line every few seconds otherwise. */
function trainingDisplay(io: CliIo, quiet: boolean) {
  let bar: cliProgress.SingleBar | undefined;
  let last = 0;
  const started = Date.now();
  const eta = (p: TrainerProgress) => {
    if (p.etaS !== undefined) return p.etaS;
    if (!p.step || !p.totalSteps) return undefined;
    return ((Date.now() - started) / 1000 / p.step) * (p.totalSteps - p.step);
  };
  return {
    update(p: TrainerProgress) {
      if (quiet || p.step === undefined) return;
      const fields = {
        loss: p.loss?.toFixed(4) ?? "–",
        lr: p.lr?.toExponential(1) ?? "–",
        eta: fmtEta(eta(p)),
      };
      if (io.stderr.isTTY && p.totalSteps) {
        bar ??= new cliProgress.SingleBar(
          {
            format: "train [{bar}] step {value}/{total} · loss {loss} · lr {lr} · ETA {eta}",
            stream: io.stderr as unknown as NodeJS.WritableStream,
          },
          cliProgress.Presets.shades_classic,
        );
        if (!bar.isActive) bar.start(p.totalSteps, p.step, fields);
        bar.setTotal(p.totalSteps);
        bar.update(p.step, fields);
        return;
      }
      if (Date.now() - last < 5000 && p.step !== p.totalSteps) return;
      last = Date.now();
      io.stderr.write(
        `train: step ${p.step}${p.totalSteps ? `/${p.totalSteps}` : ""} · loss ${fields.loss} · lr ${fields.lr} · ETA ${fields.eta}\n`,
      );
    },
    stop() {
      bar?.stop();
    },
  };
}

/**
 * `--base-model` as the trainer must read it: a local folder becomes an absolute path (the trainer
 * runs inside the recipe folder, where `./tiny` would be read as a hub repo id); anything else must
 * look like a Hugging Face id.
 */
export function resolveBaseModel(io: CliIo, spec: string): string {
  const local = resolvePath(io, spec);
  if (existsSync(local)) {
    if (!statSync(local).isDirectory() || !existsSync(join(local, "config.json")))
      throw new CliError(
        `--base-model ${spec} is not a checkpoint folder (no config.json); give a Hugging Face model folder or id`,
      );
    return local;
  }
  if (/^(\.{1,2}($|[/\\])|[/\\~])/.test(spec) || spec.includes("\\") || spec.split("/").length > 2)
    throw new CliError(`--base-model ${spec}: no such folder (relative paths are read from ${io.cwd})`);
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(spec))
    throw new CliError(
      `--base-model "${spec}" is neither a local folder nor a Hugging Face id like org/name`,
    );
  return spec;
}

/** The BOS a local base model's tokenizer adds by itself, for trainers that tokenise with special tokens. */
function tokenizerBos(baseModel: string): string | null | undefined {
  if (!existsSync(baseModel)) return undefined; // a hub id: the recipe assumes R1-Distill's behaviour
  try {
    const t = readTokenizerFiles(baseModel, (m) => new Error(m));
    return t.addBos === true && t.bos ? t.bos : null;
  } catch {
    return undefined;
  }
}

export async function runTrain(io: CliIo, opts: TrainOptions): Promise<void> {
  const exportDir = resolvePath(io, opts.data);
  const missing = missingExportFiles(opts.trainer, exportDir);
  if (missing.length > 0) {
    const format = opts.trainer === "llama-factory" ? "llama-factory" : "trl";
    throw new CliError(
      `--data ${opts.data} lacks ${missing.join(", ")}; write it with: thinkprm export --run <synth run> --format ${format} --out ${opts.data}`,
    );
  }
  const baseModel = resolveBaseModel(io, opts.baseModel);
  // the venv's bin/ goes first on the PATH the trainer would otherwise see
  const py = trainerPython(io.cwd, opts.python, { PATH: io.env.PATH ?? process.env.PATH });
  // auto: the machine the run launches on decides; a recipe written for elsewhere is for GPUs
  let device: TrainDevice = opts.device === "auto" ? "cuda" : opts.device;
  if (opts.device === "auto" && opts.launch) {
    const cuda = torchHasCuda(py.python, py.env);
    if (cuda === undefined)
      throw new CliError(
        `cannot import torch with ${py.python}${py.venv ? ` (venv ${py.venv})` : ""}; run npm run setup:python, or pass --python with a Python that has torch, transformers, peft and accelerate`,
      );
    device = cuda ? "cuda" : "cpu";
  }
  const planned = trainPlan({
    baseModel,
    device,
    threads: opts.threads,
    effectiveBatch: opts.batch,
    method: opts.method,
    loraR: opts.loraR,
    loraAlpha: opts.loraAlpha,
    size: opts.size,
    perDeviceBatch: opts.perDeviceBatch,
    gpusPerNode: opts.gpus,
    nodes: opts.nodes,
    deepspeed: opts.deepspeed,
    maxLength: opts.maxLength,
    maxSteps: opts.maxSteps,
    seed: opts.seed,
    outputDir: opts.checkpoint,
    epochs: opts.epochs,
    learningRate: opts.lr,
  });
  if (!planned.ok) throw new CliError(planned.issue.message);
  const { plan } = planned;
  const dir = resolvePath(io, opts.out);
  const recipe = writeRecipe(plan, opts.trainer, exportDir, dir, py.python, {
    tokenizerBos: tokenizerBos(baseModel),
  });
  const summary = {
    recipe: opts.out,
    trainer: opts.trainer,
    files: recipe.files,
    command: `sh ${opts.out}/run.sh`,
    plan,
  };
  if (!opts.launch) {
    if (opts.json) return writeJsonLine(io, summary);
    io.stdout.write(
      `wrote ${opts.out}/ (${recipe.files.join(", ")})\n` +
        `${plan.baseModel}: ${plan.method === "lora" ? `LoRA r=${plan.loraR} α=${plan.loraAlpha}` : "full fine-tune"}, ${plan.epochs} epochs, lr ${plan.learningRate} constant, ` +
        `effective batch ${plan.effectiveBatch} = ${plan.perDeviceBatch} × ${plan.gpusPerNode * plan.nodes} device(s) × ${plan.gradAccum} accumulation${plan.deepspeed ? ", DeepSpeed ZeRO-3" : ""}\n` +
        `start it with: sh ${opts.out}/run.sh   (or thinkprm train … --launch)\n`,
    );
    return;
  }

  const store = new RunStore(resolvePath(io, opts.store));
  const { run } = store.startRun("train", {
    trainer: opts.trainer,
    plan,
    recipe: resolve(dir),
    launchedAt: new Date().toISOString(),
  });
  if (!opts.quiet)
    io.stderr.write(
      `run ${run.id}: ${recipe.argv.join(" ")}${py.venv ? ` (venv ${py.venv})` : ""} on ${plan.device} (log: ${opts.out}/train.log)\n`,
    );
  const display = trainingDisplay(io, opts.quiet ?? false);
  let logged = 0;
  let result: Awaited<ReturnType<typeof launchRecipe>>;
  try {
    result = await launchRecipe(
      recipe,
      (_line, p) => {
        if (!p) return;
        display.update(p);
        if (p.loss === undefined && !p.done) return;
        store.recordResult(run.id, `log-${logged}`, logged, p);
        logged++;
      },
      { extraEnv: py.env },
    );
  } catch (error) {
    store.finishRun(run.id, "failed", { error: (error as Error).message });
    store.close();
    throw new CliError((error as Error).message);
  } finally {
    display.stop();
  }
  const checkpoint = resolve(dir, plan.outputDir);
  const metrics = {
    exitCode: result.exitCode,
    steps: result.progress.step ?? 0,
    finalLoss: result.progress.loss ?? null,
    checkpoint,
    // the full model to convert: LoRA runs merge the adapter into checkpoint/merged
    model: plan.method === "lora" ? join(checkpoint, "merged") : checkpoint,
    device: plan.device,
    python: py.venv ? join(py.venv, "bin", "python") : py.python,
  };
  store.finishRun(run.id, result.exitCode === 0 ? "done" : "failed", metrics);
  store.close();
  if (result.exitCode !== 0) {
    throw new CliError(
      `the trainer exited with code ${result.exitCode}; last lines:\n${result.tail.slice(-8).join("\n")}\nfull log: ${opts.out}/train.log`,
      1,
    );
  }
  if (opts.json) return writeJsonLine(io, { run: run.id, ...summary, ...metrics });
  io.stdout.write(
    `run ${run.id}: ${metrics.steps} steps, final loss ${metrics.finalLoss ?? "?"}; checkpoint in ${metrics.checkpoint}\nrun it on the embedded engine: thinkprm convert ${metrics.model} -o verifier.gguf\n`,
  );
}
