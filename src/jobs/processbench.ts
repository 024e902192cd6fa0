/**
 * The ProcessBench job: verify every item with numbered steps through the run loop, predict each
 * item's earliest error, and compute the metrics per subset — official and binary F1, invalid
 * rate, tokens, accuracy by error position, the scaling points (F1 vs verifier tokens for K' ≤ K
 * and R' ≤ R from the same run) and the score's calibration. Items that failed for engine reasons
 * are left out of every metric and counted apart.
 */
import type { ProcessBenchItem } from "../datasets/processbench.js";
import type { EngineSpecInput } from "../engines/spec.js";
import type { Engine } from "../engines/types.js";
import { calibrationReport } from "../eval/calibration.js";
import {
  type Prediction,
  type ProcessBenchMetrics,
  processBenchMetrics,
} from "../eval/processbench-metrics.js";
import { predictFirstError, type ScalingPoint, scalingFromRun } from "../eval/processbench-predict.js";
import { type ItemFailure, runLoop, runStatusAfter } from "../store/run-loop.js";
import type { RunRecord } from "../store/run-store.js";
import { type ChainStats, chainStats } from "../verifier/aggregate.js";
import type { VerifierSettingsInput } from "../verifier/settings.js";
import type { Verification, Verifier } from "../verifier/types.js";
import {
  itemWindow,
  type JobEnvironment,
  type JobStart,
  type LoopChoice,
  openEngine,
  openStore,
  planVerifier,
  refuseSpecialTokens,
  type StoreChoice,
  verificationProgress,
  verificationUsage,
  verifierForRun,
} from "./setup.js";
import type { Shard } from "./verify.js";

export interface ProcessBenchJobOptions extends StoreChoice, LoopChoice {
  engine: EngineSpecInput;
  settings: VerifierSettingsInput;
  items: ProcessBenchItem[];
  /** What the items are (files and their content hash, subsets, errata, sampling): part of the run's identity. */
  data: Record<string, unknown>;
  shard?: Shard;
}

export type SubsetPrediction = Prediction & { subset: string };

export interface ProcessBenchResult {
  run: RunRecord;
  predictions: SubsetPrediction[];
  /** Per subset, plus `all` when there are several. */
  bySubset: Map<string, ProcessBenchMetrics>;
  scaling: ScalingPoint[];
  calibration: ReturnType<typeof calibrationReport> | null;
  /** Chains per item and invalid chains by reason. */
  chains: ChainStats;
  failures: ItemFailure[];
  elapsedMs: number;
}

export interface ProcessBenchCallbacks {
  onStart?: (info: JobStart & { chatTemplate: string }) => void;
  onProgress?: (event: { tokens: number; invalid: number; failed: boolean }) => void;
  onFailure?: (item: ProcessBenchItem, failure: ItemFailure) => void;
}

/** Metrics per subset (and `all` over several), from predictions. Pure. */
export function metricsBySubset(preds: readonly SubsetPrediction[]): Map<string, ProcessBenchMetrics> {
  const bySubset = new Map<string, ProcessBenchMetrics>();
  for (const subset of [...new Set(preds.map((p) => p.subset))])
    bySubset.set(
      subset,
      processBenchMetrics(
        preds.filter((p) => p.subset === subset),
        { intervals: true },
      ),
    );
  if (bySubset.size > 1) bySubset.set("all", processBenchMetrics(preds, { intervals: true }));
  return bySubset;
}

export async function processBenchJob(
  options: ProcessBenchJobOptions,
  env: JobEnvironment = {},
  callbacks: ProcessBenchCallbacks = {},
): Promise<ProcessBenchResult> {
  const store = openStore(options, env.cwd);
  let engine: Engine | undefined;
  try {
    engine = await openEngine(options.engine, env, store, options.cache !== false);
    // ProcessBench locates the first error: the verifier sees numbered steps
    const plan = planVerifier(engine, { layout: "numbered", ...options.settings }, env.cwd);
    const all = options.items.map((item, index) => ({ key: item.id, index, value: item }));
    const mine = options.shard
      ? all.filter((i) => i.index % options.shard!.count === options.shard!.index)
      : all;
    refuseSpecialTokens(engine, plan, mine, "ProcessBench items");
    let verifier: Verifier | undefined;
    const predictions: SubsetPrediction[] = [];
    const labelled: { id: string; label: number; verification: Verification }[] = [];
    const outcome = await runLoop<ProcessBenchItem, Verification>({
      store,
      command: "eval-processbench",
      config: {
        verifier: plan.identity,
        data: options.data,
        ...(options.shard ? { shard: `${options.shard.index}/${options.shard.count}` } : {}),
      },
      items: mine,
      concurrency: options.concurrency ?? itemWindow(engine),
      ...(options.itemTimeoutMs === undefined ? {} : { itemTimeoutMs: options.itemTimeoutMs }),
      ...(options.resume ? { resume: options.resume } : {}),
      ...(options.forceResume ? { forceResume: true } : {}),
      ...(env.signal ? { signal: env.signal } : {}),
      onStart: (run, resumed, alreadyDone) => {
        verifier = verifierForRun(plan, engine!, run, store).verifier;
        callbacks.onStart?.({
          run,
          resumed,
          alreadyDone,
          total: mine.length,
          chatTemplate: plan.chatTemplate.source,
          storePath: store.path,
        });
      },
      work: async ({ value: item }, signal) => {
        const v = await verifier!.verify({ id: item.id, problem: item.problem, steps: item.steps }, signal);
        return {
          ...v,
          input: { problem: item.problem, steps: item.steps },
          gold: { firstErrorStep: item.label },
        } as Verification;
      },
      usage: verificationUsage,
      onProgress: verificationProgress(callbacks.onProgress),
      onResult: ({ value: item }, v) => {
        predictions.push({
          id: item.id,
          subset: item.subset,
          label: item.label,
          prediction: predictFirstError(v),
          tokens: v.usage.generatedTokens,
          score: v.score,
        });
        labelled.push({ id: item.id, label: item.label, verification: v });
      },
      onFailure: ({ value: item }, failure) => callbacks.onFailure?.(item, failure),
    });
    const bySubset = metricsBySubset(predictions);
    const scaling = scalingFromRun(labelled);
    // calibration of the solution-level score against "the solution is correct" (label -1)
    const scored = predictions.filter((p) => typeof p.score === "number");
    const calibration =
      scored.length > 0
        ? calibrationReport(
            scored.map((p) => p.score as number),
            scored.map((p) => p.label === -1),
          )
        : null;
    const metrics: Record<string, unknown> = {};
    for (const [subset, m] of bySubset) {
      metrics[`${subset} F1 (official)`] = m.f1;
      metrics[`${subset} F1 (binary)`] = m.binaryF1;
      metrics[`${subset} invalid rate`] = m.invalidRate;
    }
    if (calibration) {
      metrics["score ECE"] = calibration.ece;
      metrics["score Brier"] = calibration.brier;
      if (calibration.auroc !== null) metrics["score AUROC"] = calibration.auroc;
    }
    const chains = chainStats(labelled.map((l) => l.verification));
    metrics.meanChains = chains.meanChains;
    metrics.invalidByCode = chains.invalidByCode;
    metrics.failed = outcome.failures.length;
    metrics.wallMs = outcome.elapsedMs;
    metrics.scaling = scaling;
    metrics.bySubset = Object.fromEntries(bySubset);
    store.finishRun(outcome.run.id, runStatusAfter(outcome), metrics);
    return {
      run: store.getRun(outcome.run.id)!,
      predictions,
      bySubset,
      scaling,
      calibration,
      chains,
      failures: outcome.failures,
      elapsedMs: outcome.elapsedMs,
    };
  } finally {
    await engine?.close?.();
    store.close();
  }
}
