/**
 * `thinkprm eval processbench`: verify every ProcessBench item with numbered steps, predict the
 * earliest error from the verification, and report per subset the official F1, the paper's binary
 * F1, the invalid-output rate, mean chain tokens and accuracy by error position. Or score an
 * existing predictions file (`--predictions`), with no model at all.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { InputError, parseJsonlText } from "../../datasets/jsonl.js";
import { loadProcessBench, type ProcessBenchItem } from "../../datasets/processbench.js";
import { CachedEngine } from "../../engines/cached.js";
import { calibrationReport } from "../../eval/calibration.js";
import {
  type Prediction,
  type ProcessBenchMetrics,
  processBenchMetrics,
  randomBaselines,
} from "../../eval/processbench-metrics.js";
import { predictFirstError, scalingFromRun } from "../../eval/processbench-predict.js";
import { RunStore } from "../../store/run-store.js";
import type { Verification, Verifier } from "../../verifier/types.js";
import { CliError, type CliIo, resolvePath, writeJsonLine } from "../io.js";
import { Progress } from "../progress.js";
import { parseShard } from "../shard.js";
import { makeVerifier, type VerifierFlags } from "../verifier-factory.js";

export interface EvalProcessBenchOptions extends VerifierFlags {
  subsets: string;
  dataDir: string;
  errata: boolean;
  predictions?: string;
  predictionsOut?: string;
  limit?: number;
  shard?: string;
  store: string | false;
  quiet?: boolean;
  json?: boolean;
}

function loadSubsets(io: CliIo, opts: EvalProcessBenchOptions): ProcessBenchItem[] {
  const dir = resolvePath(io, opts.dataDir);
  const items: ProcessBenchItem[] = [];
  for (const subset of opts.subsets
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    try {
      const all = loadProcessBench(dir, subset, { errata: opts.errata });
      items.push(...(opts.limit ? all.slice(0, opts.limit) : all));
    } catch (error) {
      if (error instanceof InputError) throw new CliError(error.message);
      throw error;
    }
  }
  return items;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}`;

function table(bySubset: Map<string, ProcessBenchMetrics>): string {
  const lines = [
    "subset          items  acc_err  acc_cor  F1(official)  F1(binary)  random(binary)  invalid  mean tokens",
  ];
  for (const [subset, m] of bySubset) {
    const random = randomBaselines(m.items === 0 ? 0 : m.correct / m.items).positiveCorrect;
    lines.push(
      `${subset.padEnd(15)} ${String(m.items).padStart(5)}  ${pct(m.accErr).padStart(7)}  ${pct(m.accCor).padStart(7)}  ${pct(m.f1).padStart(12)}  ${pct(m.binaryF1).padStart(10)}  ${pct(random).padStart(14)}  ${pct(m.invalidRate).padStart(6)}%  ${(m.meanTokens ?? 0).toFixed(0).padStart(11)}`,
    );
  }
  return lines.join("\n");
}

function positions(m: ProcessBenchMetrics): string {
  const keys = Object.keys(m.byPosition).sort(
    (a, b) => (a === "5+" ? 99 : Number(a)) - (b === "5+" ? 99 : Number(b)),
  );
  return keys
    .map(
      (k) =>
        `${k === "-1" ? "no error" : `step ${k}`}: ${pct(m.byPosition[k]!.accuracy)}% of ${m.byPosition[k]!.n}`,
    )
    .join(" · ");
}

function report(
  io: CliIo,
  preds: (Prediction & { subset: string })[],
  json: boolean | undefined,
  extra: Record<string, unknown> = {},
): Map<string, ProcessBenchMetrics> {
  const bySubset = new Map<string, ProcessBenchMetrics>();
  for (const subset of [...new Set(preds.map((p) => p.subset))])
    bySubset.set(subset, processBenchMetrics(preds.filter((p) => p.subset === subset)));
  if (bySubset.size > 1) bySubset.set("all", processBenchMetrics(preds));
  if (json) {
    writeJsonLine(io, { ...extra, subsets: Object.fromEntries(bySubset) });
    return bySubset;
  }
  io.stdout.write(`${table(bySubset)}\n\naccuracy by gold error position:\n`);
  for (const [subset, m] of bySubset) io.stdout.write(`  ${subset}: ${positions(m)}\n`);
  io.stdout.write(
    "F1(official) = harmonic mean of acc_err and acc_cor (ProcessBench). F1(binary) = F1 of the class \"correct\" (the paper's); random(binary) is a coin flip's F1 for that class.\n",
  );
  return bySubset;
}

/** Scores a predictions file: JSONL {id, prediction (-1, a step, or null), label?, tokens?}. */
function scorePredictions(io: CliIo, opts: EvalProcessBenchOptions): void {
  const path = resolvePath(io, opts.predictions!);
  if (!existsSync(path)) throw new CliError(`predictions file not found: ${opts.predictions}`);
  const gold = new Map(loadSubsets(io, { ...opts, limit: undefined }).map((i) => [i.id, i] as const));
  const preds: (Prediction & { subset: string })[] = [];
  let lines: { line: number; value: unknown }[];
  try {
    lines = parseJsonlText(readFileSync(path, "utf8"), opts.predictions!);
  } catch (error) {
    if (error instanceof InputError) throw new CliError(error.message);
    throw error;
  }
  for (const { line, value } of lines) {
    const r = value as Record<string, unknown>;
    const id = String(r.id);
    const item = gold.get(id);
    const label = typeof r.label === "number" ? r.label : item?.label;
    if (label === undefined)
      throw new CliError(
        `${opts.predictions}:${line}: no label for "${id}" (not in --subsets ${opts.subsets}, and the line has no "label")`,
      );
    const prediction = r.prediction === null ? null : Number(r.prediction);
    if (prediction !== null && (!Number.isInteger(prediction) || prediction < -1)) {
      throw new CliError(
        `${opts.predictions}:${line}: field "prediction": expected -1, a step index, or null; got ${JSON.stringify(r.prediction)}`,
      );
    }
    preds.push({
      id,
      label,
      prediction,
      subset: item?.subset ?? String(r.subset ?? id.replace(/-\d+$/, "")),
      ...(typeof r.tokens === "number" ? { tokens: r.tokens } : {}),
    });
  }
  report(io, preds, opts.json, { predictions: opts.predictions });
}

export async function runEvalProcessBench(io: CliIo, opts: EvalProcessBenchOptions): Promise<void> {
  if (opts.predictions) return scorePredictions(io, opts);
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
  const items = loadSubsets(io, opts).filter((_, i) => !shard || i % shard.count === shard.index);
  const store = new RunStore(opts.store === false ? ":memory:" : resolvePath(io, opts.store));
  let verifier: Verifier;
  let close: () => Promise<void>;
  try {
    const made = await makeVerifier(io, opts, (e) => new CachedEngine(e, store));
    verifier = made.verifier;
    close = made.close;
  } catch (error) {
    store.close();
    throw error;
  }
  const config = {
    subsets: opts.subsets,
    errata: opts.errata,
    limit: opts.limit,
    shard: opts.shard,
    method: opts.method,
    engine: opts.engine,
    model: opts.engine.startsWith("llama-cpp") ? opts.model : undefined,
    verifier: verifier.name,
    settings: {
      k: opts.k,
      rounds: opts.rounds,
      maxTokens: opts.maxTokens,
      temperature: opts.temperature,
      seed: opts.seed,
      chatTemplate: opts.chatTemplate,
    },
  };
  const { run, resumed } = store.startRun("eval-processbench", config, { itemsTotal: items.length });
  const done = store.doneKeys(run.id);
  if (!opts.quiet)
    io.stderr.write(
      `${resumed ? `resuming run ${run.id}: ${done.size} of ${items.length} done` : `run ${run.id}`}\n`,
    );
  const progress = new Progress(io, "processbench", items.length, {
    quiet: opts.quiet ?? false,
    alreadyDone: done.size,
  });
  const preds: (Prediction & { subset: string })[] = [];
  const labelled: { id: string; label: number; verification: Verification }[] = [];
  try {
    for (const [k, item] of items.entries()) {
      let v = store.storedResult(run.id, item.id) as Verification | undefined;
      if (!v) {
        v = await verifier.verify({ id: item.id, problem: item.problem, steps: item.steps });
        store.recordResult(
          run.id,
          item.id,
          k,
          { ...v, input: { problem: item.problem, steps: item.steps }, gold: { firstErrorStep: item.label } },
          {
            promptTokens: v.usage.promptTokens,
            generatedTokens: v.usage.generatedTokens,
            reusedTokens: v.usage.reusedPromptTokens,
            invalid: v.invalidChains,
          },
        );
        progress.tick({ tokens: v.usage.generatedTokens, invalid: v.invalidChains });
      }
      preds.push({
        id: item.id,
        subset: item.subset,
        label: item.label,
        prediction: predictFirstError(v),
        tokens: v.usage.generatedTokens,
        score: v.score,
      });
      labelled.push({ id: item.id, label: item.label, verification: v });
    }
  } catch (error) {
    progress.stop();
    store.finishRun(run.id, "failed");
    store.close();
    await close();
    throw error;
  }
  progress.stop();
  await close();
  if (opts.predictionsOut) {
    writeFileSync(
      resolvePath(io, opts.predictionsOut),
      preds.map((p) => JSON.stringify(p)).join("\n") + "\n",
    );
  }
  const bySubset = report(io, preds, opts.json, { run: run.id });
  const metrics: Record<string, unknown> = {};
  for (const [subset, m] of bySubset) {
    metrics[`${subset} F1 (official)`] = m.f1;
    metrics[`${subset} F1 (binary)`] = m.binaryF1;
    metrics[`${subset} invalid rate`] = m.invalidRate;
  }
  metrics.scaling = scalingFromRun(labelled);
  // calibration of the solution-level score against "the solution is correct" (label -1)
  const scored = preds.filter((p) => typeof p.score === "number");
  if (scored.length > 0) {
    const cal = calibrationReport(
      scored.map((p) => p.score as number),
      scored.map((p) => p.label === -1),
    );
    metrics["score ECE"] = cal.ece;
    metrics["score Brier"] = cal.brier;
    if (cal.auroc !== null) metrics["score AUROC"] = cal.auroc;
    if (!opts.json && !opts.quiet)
      io.stdout.write(
        `score calibration vs "correct": ECE ${cal.ece.toFixed(4)} · Brier ${cal.brier.toFixed(4)} · AUROC ${cal.auroc?.toFixed(4) ?? "n/a"} over ${scored.length} scored items\n`,
      );
  }
  metrics.bySubset = Object.fromEntries(bySubset);
  store.finishRun(run.id, "done", metrics);
  store.close();
}
