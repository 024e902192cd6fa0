/**
 * Which plots a report has (pure): each only when its data exists, every run kept apart. Item
 * plots (scores, chain lengths, reliability) show all runs in one chart with a colour per run;
 * the curves a run stores in its metrics (best-of-N, verifier-compute scaling) get a chart per run.
 */
import { calibrationReport } from "../core/calibration.js";
import {
  accuracyVsN,
  type ChartSpec,
  chainTokenHistogram,
  metricVsTokens,
  type ReliabilitySeries,
  type RunColour,
  reliabilityDiagram,
  scoreHistogram,
} from "./charts.js";
import type { ReportRun } from "./report-data.js";

interface StoredCurves {
  bestOfN?: { n: number; method: string; accuracy: number }[];
  scaling?: { tokens: number; value: number; series: string; metric?: string }[];
}

/** Each run's calibration of its item scores against gold correctness, where it has labels. */
export function reliabilitySeries(runs: readonly ReportRun[]): ReliabilitySeries[] {
  return runs.flatMap((r) => {
    const labelled = r.items.filter((i) => i.score !== null && i.goldCorrect !== null);
    if (labelled.length === 0) return [];
    const cal = calibrationReport(
      labelled.map((i) => i.score!),
      labelled.map((i) => i.goldCorrect!),
    );
    return [{ run: r.record.id, ece: cal.ece, n: cal.n, bins: cal.reliability }];
  });
}

export function plotsFor(runs: readonly ReportRun[]): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const colours = (ids: Set<string>): RunColour[] =>
    runs.filter((r) => ids.has(r.record.id)).map((r) => ({ id: r.record.id, colour: r.colour }));

  const scores = runs.flatMap((r) =>
    r.items.flatMap((i) => (i.score === null ? [] : [{ run: r.record.id, score: i.score }])),
  );
  if (scores.length > 0) charts.push(scoreHistogram(scores, colours(new Set(scores.map((s) => s.run)))));

  const chains = runs.flatMap((r) =>
    r.items.flatMap((i) => i.chains.map((c) => ({ run: r.record.id, tokens: c.tokens }))),
  );
  if (chains.length > 0) charts.push(chainTokenHistogram(chains, colours(new Set(chains.map((c) => c.run)))));

  const reliability = reliabilitySeries(runs);
  if (reliability.length > 0)
    charts.push(reliabilityDiagram(reliability, colours(new Set(reliability.map((s) => s.run)))));

  const several = runs.length > 1;
  for (const r of runs) {
    const m = (r.record.metrics ?? {}) as StoredCurves;
    const label = several ? r.record.id : undefined;
    if (Array.isArray(m.bestOfN) && m.bestOfN.length > 0) charts.push(accuracyVsN(m.bestOfN, label));
    if (Array.isArray(m.scaling) && m.scaling.length > 0) {
      const byMetric = new Map<string, typeof m.scaling>();
      for (const p of m.scaling)
        byMetric.set(p.metric ?? "F1", [...(byMetric.get(p.metric ?? "F1") ?? []), p]);
      for (const [metric, points] of byMetric) charts.push(metricVsTokens(points, metric, label));
    }
  }
  return charts;
}
