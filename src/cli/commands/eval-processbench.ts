/**
 * `thinkprm eval processbench`: parse flags, load the items, hand them to the library's
 * ProcessBench job, print the per-subset table. Or score an existing predictions file
 * (`--predictions`), with no model at all.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { lcg, shuffle } from "../../core/seeded-random.js";
import { InputError, parseJsonlText } from "../../datasets/jsonl.js";
import {
  loadProcessBench,
  loadProcessBenchFile,
  type ProcessBenchItem,
} from "../../datasets/processbench.js";
import { type ProcessBenchMetrics, randomBaselines } from "../../eval/processbench-metrics.js";
import { metricsBySubset, processBenchJob, type SubsetPrediction } from "../../jobs/processbench.js";
import { formatInvalidByCode } from "../../verifier/aggregate.js";
import { CliError, type CliIo, CommandExit, resolvePath, writeJsonLine } from "../io.js";
import { endIfInterrupted, failureAdvice, jobEnvironment, reportFailure, startMessage } from "../job-io.js";
import { Progress } from "../progress.js";
import { engineSpecFrom, loopValuesFrom, verifierSettingsFrom } from "../settings-options.js";
import { formatInterval, wilson } from "../stats.js";

type Opts = Record<string, unknown>;

/**
 * `--limit k`: a seeded sample of k items per subset, kept in file order. The files are sorted by
 * label, so their first k items would all be of one kind.
 */
export function sampleItems(items: ProcessBenchItem[], k: number, seed: number): ProcessBenchItem[] {
  if (k >= items.length) return items;
  const chosen = new Set(
    shuffle(
      items.map((_, i) => i),
      lcg(seed, "processbench-limit"),
    ).slice(0, k),
  );
  return items.filter((_, i) => chosen.has(i));
}

function loadItems(io: CliIo, opts: Opts): { items: ProcessBenchItem[]; data: Record<string, unknown> } {
  const errata = opts.errata !== false;
  const limit = opts.limit as number | undefined;
  const seed = (opts.sampleSeed as number | undefined) ?? 0;
  const hash = createHash("sha256");
  const items: ProcessBenchItem[] = [];
  try {
    if (opts.data) {
      const path = resolvePath(io, opts.data as string);
      hash.update(existsSync(path) ? readFileSync(path) : "");
      const all = loadProcessBenchFile(path, { errata });
      const bySubset = new Map<string, ProcessBenchItem[]>();
      for (const i of all) bySubset.set(i.subset, [...(bySubset.get(i.subset) ?? []), i]);
      for (const subsetItems of bySubset.values())
        items.push(...(limit ? sampleItems(subsetItems, limit, seed) : subsetItems));
    } else {
      const dir = resolvePath(io, opts.dataDir as string);
      for (const subset of (opts.subsets as string)
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)) {
        const all = loadProcessBench(dir, subset, { errata });
        hash.update(readFileSync(`${dir}/${subset}.json`));
        items.push(...(limit ? sampleItems(all, limit, seed) : all));
      }
    }
  } catch (error) {
    if (error instanceof InputError) throw new CliError(error.message);
    throw error;
  }
  if (items.length === 0) throw new CliError("no ProcessBench items to evaluate");
  // the items' content, not the folder's name: another --data-dir with other files is another run
  const data = {
    sha256: hash.digest("hex"),
    subsets: opts.data ? undefined : opts.subsets,
    errata,
    limit,
    ...(limit ? { sampleSeed: seed } : {}),
  };
  return { items, data };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}`;

function table(bySubset: Map<string, ProcessBenchMetrics>): string {
  const lines = [
    "subset          items  acc_err  acc_cor  F1(official)        F1(binary)          random(binary)  invalid  mean tokens",
  ];
  for (const [subset, m] of bySubset) {
    const random = randomBaselines(m.items === 0 ? 0 : m.correct / m.items).positiveCorrect;
    lines.push(
      `${subset.padEnd(15)} ${String(m.items).padStart(5)}  ${pct(m.accErr).padStart(7)}  ${pct(m.accCor).padStart(7)}  ${`${pct(m.f1)} ${formatInterval(m.f1Interval)}`.padEnd(18)}  ${`${pct(m.binaryF1)} ${formatInterval(m.binaryF1Interval)}`.padEnd(18)}  ${pct(random).padStart(14)}  ${pct(m.invalidRate).padStart(6)}%  ${(m.meanTokens ?? 0).toFixed(0).padStart(11)}`,
    );
  }
  return lines.join("\n");
}

function positions(m: ProcessBenchMetrics): string {
  const keys = Object.keys(m.byPosition).sort(
    (a, b) => (a === "5+" ? 99 : Number(a)) - (b === "5+" ? 99 : Number(b)),
  );
  return keys
    .map((k) => {
      const p = m.byPosition[k]!;
      return `${k === "-1" ? "no error" : `step ${k}`}: ${pct(p.accuracy)}% ${formatInterval(wilson(Math.round(p.accuracy * p.n), p.n))} of ${p.n}`;
    })
    .join(" · ");
}

function print(io: CliIo, bySubset: Map<string, ProcessBenchMetrics>): void {
  io.stdout.write(`${table(bySubset)}\n\naccuracy by gold error position:\n`);
  for (const [subset, m] of bySubset) io.stdout.write(`  ${subset}: ${positions(m)}\n`);
  io.stdout.write(
    "F1(official) = harmonic mean of acc_err and acc_cor (ProcessBench). F1(binary) = F1 of the class \"correct\" (the paper's); random(binary) is a coin flip's F1 for that class. [low, high]: 95% bootstrap interval over items.\n",
  );
}

/** Scores a predictions file: JSONL {id, prediction (-1, a step, or null), label?, tokens?}. */
function scorePredictions(io: CliIo, opts: Opts): void {
  const file = opts.predictions as string;
  const path = resolvePath(io, file);
  if (!existsSync(path)) throw new CliError(`predictions file not found: ${file}`);
  const gold = new Map(loadItems(io, { ...opts, limit: undefined }).items.map((i) => [i.id, i] as const));
  const preds: SubsetPrediction[] = [];
  let lines: { line: number; value: unknown }[];
  try {
    lines = parseJsonlText(readFileSync(path, "utf8"), file);
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
        `${file}:${line}: no label for "${id}" (not in the data, and the line has no "label")`,
      );
    const prediction = r.prediction === null ? null : Number(r.prediction);
    if (prediction !== null && (!Number.isInteger(prediction) || prediction < -1)) {
      throw new CliError(
        `${file}:${line}: field "prediction": expected -1, a step index, or null; got ${JSON.stringify(r.prediction)}`,
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
  const bySubset = metricsBySubset(preds);
  if (opts.json) writeJsonLine(io, { predictions: file, subsets: Object.fromEntries(bySubset) });
  else print(io, bySubset);
}

export async function runEvalProcessBench(io: CliIo, opts: Opts): Promise<void> {
  if (opts.predictions) return scorePredictions(io, opts);
  const settings = verifierSettingsFrom(opts);
  const engine = engineSpecFrom(opts);
  const loop = loopValuesFrom(opts);
  const { items, data } = loadItems(io, opts);
  const quiet = Boolean(opts.quiet);
  let progress: Progress | undefined;
  const result = await processBenchJob({ engine, settings, items, data, ...loop }, jobEnvironment(io), {
    onStart: (info) => {
      if (!quiet) io.stderr.write(startMessage(info, loop.store !== null));
      progress = new Progress(io, "processbench", info.total, { quiet, alreadyDone: info.alreadyDone });
    },
    onProgress: (e) => progress?.tick({ tokens: e.tokens, invalid: e.invalid, failed: e.failed }),
    onFailure: (item, failure) => {
      progress?.clearLine();
      reportFailure(io, item.id, failure, false);
      progress?.redraw();
    },
  }).finally(() => progress?.stop());
  if (opts.predictionsOut) {
    writeFileSync(
      resolvePath(io, opts.predictionsOut as string),
      `${result.predictions.map((p) => JSON.stringify(p)).join("\n")}\n`,
    );
  }
  const failed = result.failures.length;
  if (opts.json) {
    writeJsonLine(io, {
      run: result.run.id,
      subsets: Object.fromEntries(result.bySubset),
      calibration: result.calibration,
      scaling: result.scaling,
      chains: result.chains,
      failed,
      elapsedMs: result.elapsedMs,
    });
  } else {
    print(io, result.bySubset);
    const cal = result.calibration;
    if (cal)
      io.stdout.write(
        `score calibration vs "correct": ECE ${cal.ece.toFixed(4)} · Brier ${cal.brier.toFixed(4)} · AUROC ${cal.auroc?.toFixed(4) ?? "n/a"} over ${result.predictions.filter((p) => typeof p.score === "number").length} scored items\n`,
      );
    io.stdout.write(
      `chains per item: ${result.chains.meanChains.toFixed(2)} · invalid chains by reason: ${formatInvalidByCode(result.chains.invalidByCode)} · wall time ${(result.elapsedMs / 1000).toFixed(1)} s\n`,
    );
    if (failed > 0)
      io.stdout.write(
        `${failed} items failed for engine reasons and are not in the metrics; ${failureAdvice(result.failures)}\n`,
      );
  }
  endIfInterrupted(io, result.run, loop.store !== null);
  if (failed > 0) throw new CommandExit(1);
}
