/**
 * What a report shows, derived from stored runs (pure): per-item rows for the chain viewer, the
 * numbers for the metric table, and the charts whose data exists.
 */
import type { RunRecord } from "../store/run-store.js";
import {
  accuracyVsN,
  type ChartSpec,
  chainLengthHistogram,
  metricVsTokens,
  reliabilityBins,
  reliabilityDiagram,
  scoreHistogram,
} from "./charts.js";

export interface ViewerItem {
  run: string;
  key: string;
  problem: string;
  steps: string[];
  score: number | null;
  decision: string | null;
  stepVerdicts: string[];
  firstIncorrectStep: number;
  chain: string;
  valid: boolean;
  issues: string[];
  generatedTokens: number;
  /** Gold first-error step (ProcessBench convention: -1 when every step is correct). */
  goldFirstError: number | null;
  goldCorrect: boolean | null;
  /** The prediction disagrees with the gold label (first error or correctness). */
  disagrees: boolean;
}

interface StoredVerification {
  id?: string | null;
  score: number | null;
  decision: string | null;
  stepVerdicts: string[];
  firstIncorrectStep: number;
  chains: { text: string; valid: boolean; issues: { code: string; message: string }[] }[];
  usage: { generatedTokens: number };
  input?: { problem: string; steps: string[] };
  gold?: { firstErrorStep?: number; correct?: boolean };
}

export function viewerItems(run: RunRecord, results: { key: string; value: unknown }[]): ViewerItem[] {
  // only verification results have chains to view (eval-bon stores score lists)
  const verifications = results.filter(
    ({ value }) => value !== null && typeof value === "object" && "stepVerdicts" in value,
  );
  return verifications.map(({ key, value }) => {
    const v = value as StoredVerification;
    const goldFirstError = v.gold?.firstErrorStep ?? null;
    const goldCorrect = v.gold?.correct ?? (goldFirstError === null ? null : goldFirstError === -1);
    const chain = v.chains?.[0];
    const predictedCorrect = v.decision === null ? null : v.decision === "yes";
    const disagrees =
      (goldFirstError !== null && v.score !== null && v.firstIncorrectStep !== goldFirstError) ||
      (goldCorrect !== null && predictedCorrect !== null && predictedCorrect !== goldCorrect);
    return {
      run: run.id,
      key,
      problem: v.input?.problem ?? "",
      steps: v.input?.steps ?? [],
      score: v.score,
      decision: v.decision,
      stepVerdicts: v.stepVerdicts ?? [],
      firstIncorrectStep: v.firstIncorrectStep ?? -1,
      chain: chain?.text ?? "",
      valid: (v.chains ?? []).some((c) => c.valid),
      issues: (v.chains ?? []).flatMap((c) => c.issues.map((i) => `${i.code}: ${i.message}`)),
      generatedTokens: v.usage?.generatedTokens ?? 0,
      goldFirstError,
      goldCorrect,
      disagrees,
    };
  });
}

/** Charts for the items and any curves the run's metrics carry. */
export function chartsFor(items: ViewerItem[], metrics: unknown): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const scored = items.filter((i) => i.score !== null);
  if (scored.length > 0) charts.push(scoreHistogram(scored.map((i) => i.score!)));
  if (items.length > 0) charts.push(chainLengthHistogram(items.map((i) => i.generatedTokens)));
  const labelled = scored.filter((i) => i.goldCorrect !== null);
  if (labelled.length > 0) {
    charts.push(
      reliabilityDiagram(
        reliabilityBins(
          labelled.map((i) => i.score!),
          labelled.map((i) => i.goldCorrect!),
        ),
      ),
    );
  }
  const m = (metrics ?? {}) as {
    bestOfN?: { n: number; method: string; accuracy: number }[];
    scaling?: { tokens: number; value: number; series: string; metric?: string }[];
  };
  if (m.bestOfN?.length) charts.push(accuracyVsN(m.bestOfN));
  if (m.scaling?.length) charts.push(metricVsTokens(m.scaling, m.scaling[0]!.metric ?? "F1"));
  return charts;
}
