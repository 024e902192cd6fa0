/**
 * `thinkprm eval bon`: parse flags, load the candidates (or the problems to sample them for),
 * hand them to the library's best-of-N job, print the curve.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { Aggregation } from "../../core/decision-score.js";
import { loadCandidateSet } from "../../datasets/bon-candidates.js";
import { InputError } from "../../datasets/jsonl.js";
import { KNOWN_DATASETS } from "../../datasets/problems.js";
import { formatCurve } from "../../eval/best-of-n-eval.js";
import { BON_TASK_RECORDS, type BonTaskName, type TaskOptions } from "../../eval/bon-tasks.js";
import { type BonSource, bonJob } from "../../jobs/best-of-n.js";
import { CliError, type CliIo, CommandExit, resolvePath, writeJsonLine } from "../io.js";
import { endIfInterrupted, failureAdvice, jobEnvironment, reportFailure, startMessage } from "../job-io.js";
import { Progress } from "../progress.js";
import { safeText } from "../safe-text.js";
import { engineSpecFrom, loopValuesFrom, verifierSettingsFrom } from "../settings-options.js";

type Opts = Record<string, unknown>;

function parseNs(value: string | undefined): number[] | undefined {
  if (!value) return undefined;
  const ns = value.split(",").map((x) => Number(x.trim()));
  if (ns.some((n) => !Number.isInteger(n) || n < 1))
    throw new CliError("--n must list positive integers, e.g. 1,2,4,8");
  return ns;
}

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

function source(io: CliIo, opts: Opts, task: BonTaskName, taskOptions: TaskOptions): BonSource {
  const limit = opts.limit as number | undefined;
  if (opts.candidates) {
    const path = resolvePath(io, opts.candidates as string);
    if (!existsSync(path)) throw new CliError(`candidates file not found: ${opts.candidates}`);
    const set = loadCandidateSet(path);
    const problems = limit ? set.problems.slice(0, limit) : set.problems;
    return { kind: "file", problems, format: set.format, identity: { candidates: sha256(path), limit } };
  }
  if (!opts.dataset)
    throw new CliError(
      task === "math"
        ? "--generate needs --dataset math500|aime24|<file.jsonl>"
        : task === "gpqa"
          ? "--task gpqa needs --dataset <gpqa_diamond.csv> (see the README: how to obtain GPQA)"
          : "--task code needs --dataset <livecodebench.jsonl> (see the README: how to obtain LiveCodeBench)",
    );
  if (!opts.generator)
    throw new CliError("--generate needs --generator <engine> (llama-cpp, openai:<url>, scripted:<file>)");
  const dataset = opts.dataset as string;
  const known = task === "math" && KNOWN_DATASETS[dataset] !== undefined;
  const file = known
    ? resolvePath(io, `${taskOptions.dataDir}/${KNOWN_DATASETS[dataset]}`)
    : resolvePath(io, dataset);
  if (!existsSync(file)) throw new CliError(`--dataset: file not found: ${dataset}`);
  const all = BON_TASK_RECORDS[task].load(known ? dataset : file, taskOptions);
  const problems = limit ? all.slice(0, limit) : all;
  const generator = {
    engine: engineSpecFrom(opts, "generator"),
    chatTemplate: opts.generatorTemplate as string,
    temperature: opts.genTemperature as number,
    maxTokens: opts.genMaxTokens as number,
    seed: opts.genSeed as number,
  };
  return {
    kind: "generate",
    problems,
    generator,
    samples: opts.samples as number,
    identity: { dataset: sha256(file), limit, samples: opts.samples },
  };
}

/** The flags the user typed, by whom they are read: a verifier's or --generate's. */
export interface GivenFlags {
  verifier: string[];
  generator: string[];
}

export async function runEvalBon(
  io: CliIo,
  opts: Opts,
  given: GivenFlags = { verifier: [], generator: [] },
): Promise<void> {
  const task = opts.task as BonTaskName;
  if (!opts.generate && !opts.candidates)
    throw new CliError("give --candidates <file>, or --generate with --dataset and --generator");
  if (opts.generate && opts.candidates) throw new CliError("give --candidates or --generate, not both");
  if (!opts.generate && given.generator.length > 0)
    throw new CliError(
      `${given.generator.join(", ")} ${given.generator.length > 1 ? "apply" : "applies"} to --generate; with --candidates the file holds the candidates`,
    );
  // -m names the verifier's model: it means "verify now" on the embedded engine, never "read the file's scores"
  if (opts.model && !opts.engine) opts.engine = "llama-cpp";
  if (opts.generate && !opts.engine)
    throw new CliError("generated candidates carry no scores: pass a verifier engine with -e <engine>");
  if (task !== "math" && !opts.generate)
    throw new CliError(
      `--task ${task} samples its candidates: pass --generate with --dataset and --generator`,
    );
  const taskOptions: TaskOptions = {
    dataDir: resolvePath(io, opts.dataDir as string),
    domain: opts.domain as string,
    seed: opts.genSeed as number,
    codeSteps: opts.codeSteps as TaskOptions["codeSteps"],
    testCpuSeconds: opts.testCpu as number,
  };
  let src: BonSource;
  try {
    src = source(io, opts, task, taskOptions);
  } catch (error) {
    if (error instanceof InputError) throw new CliError(error.message);
    throw error;
  }
  if (!opts.engine) {
    // no verifier: the file's scores rank the candidates, so the file must have some, and the
    // verifier's flags would be ignored
    const flags = given.verifier;
    if (flags.length > 0)
      throw new CliError(
        `${flags.join(", ")} ${flags.length > 1 ? "apply" : "applies"} to a verifier, and none is given: pass -m <model.gguf> or -e <engine> to score the candidates now`,
      );
    if (
      src.kind === "file" &&
      src.problems.every((p) => p.candidates.every((c) => c.stepScores.length === 0))
    )
      throw new CliError(
        `${opts.candidates} carries no scores: pass -m <model.gguf> or -e <engine> to score the candidates with a verifier now`,
      );
  }
  const loop = loopValuesFrom(opts);
  const quiet = Boolean(opts.quiet);
  let progress: Progress | undefined;
  const result = await bonJob(
    {
      task,
      taskOptions,
      source: src,
      ...(opts.engine
        ? {
            verifier: {
              engine: engineSpecFrom(opts, undefined, { shared: true }),
              settings: verifierSettingsFrom(opts),
              instruction: opts.verifierInstruction as "trained" | "multiple-choice",
            },
          }
        : {}),
      agg: opts.agg as Aggregation,
      ...(parseNs(opts.n as string | undefined) ? { ns: parseNs(opts.n as string)! } : {}),
      ...loop,
    },
    jobEnvironment(io),
    {
      onStart: (info) => {
        if (!quiet)
          io.stderr.write(
            startMessage(info, loop.store !== null).replace(
              /\n$/,
              ` · ${info.total} problems (${src.kind === "file" ? src.format : "generated"})\n`,
            ),
          );
        progress = new Progress(io, "eval bon", info.total, { quiet, alreadyDone: info.alreadyDone });
      },
      onProgress: (e) => progress?.tick({ tokens: e.tokens, failed: e.failed }),
      onFailure: (id, failure) => {
        progress?.clearLine();
        reportFailure(io, id, failure, false);
        progress?.redraw();
      },
    },
  ).finally(() => progress?.stop());
  const ev = result.evaluation;
  const N = Math.max(1, ...result.problems.map((p) => p.candidates.length));
  if (opts.json) {
    writeJsonLine(io, {
      run: result.run.id,
      format: src.kind === "file" ? src.format : "generated",
      problems: result.problems.length,
      task,
      passAt1: result.passAt1,
      curve: ev.curve,
      flags: ev.flags,
      spearman: result.spearman,
      kendall: result.kendall,
      calibration: result.calibration,
      failed: result.failures.length,
      candidates: result.candidates,
      unscored: result.unscored,
      elapsedMs: result.elapsedMs,
    });
  } else {
    io.stdout.write(
      `${formatCurve(ev.curve, opts.primary as "naive" | "weighted", result.problems.length)}\n`,
    );
    io.stdout.write(`pass@1 (mean over all ${N} samples): ${(100 * result.passAt1).toFixed(1)}%\n`);
    const cal = result.calibration;
    if (result.spearman !== null || cal) {
      io.stdout.write(
        `\nper-problem rank correlation of scores with correctness: Spearman ${result.spearman?.toFixed(3) ?? "n/a"}, Kendall ${result.kendall?.toFixed(3) ?? "n/a"}`,
      );
      io.stdout.write(
        cal
          ? ` · scores as probabilities: ECE ${cal.ece.toFixed(4)}, Brier ${cal.brier.toFixed(4)}, AUROC ${cal.auroc?.toFixed(4) ?? "n/a"}\n`
          : "\n",
      );
    }
    if (ev.flags) {
      io.stdout.write(
        `\nthe file's correctness flags agree with the grader on ${ev.flags.agree} of ${ev.flags.total} candidates\n`,
      );
      for (const e of ev.flags.examples) {
        io.stdout.write(
          `  problem ${e.problem}, candidate ${e.candidate}: file says ${e.flag ? "correct" : "wrong"}, grader says ${e.grader ? "correct" : "wrong"} · …${safeText(e.answer.replace(/\s+/g, " ").slice(-90))}\n`,
        );
      }
    }
    io.stdout.write(`wall time ${(result.elapsedMs / 1000).toFixed(1)} s\n`);
    if (result.failures.length > 0)
      io.stdout.write(
        `${result.failures.length} problems failed for engine reasons and are not in the curve; ${failureAdvice(result.failures)}\n`,
      );
  }
  if (result.unscored > 0 && !(opts.json && result.unscored < result.candidates)) {
    const none =
      result.unscored === result.candidates
        ? `; with none scored the curve says nothing about the verifier${loop.store === null ? "" : " (see the chains: thinkprm runs show)"}`
        : "";
    io.stderr.write(
      `${result.unscored} of ${result.candidates} candidates have no score (an invalid chain, or none in the file): naive selection never picks them, weighted voting gives them no weight${none}\n`,
    );
  }
  endIfInterrupted(io, result.run, loop.store !== null);
  if (result.failures.length > 0 || (result.candidates > 0 && result.unscored === result.candidates))
    throw new CommandExit(1);
}
