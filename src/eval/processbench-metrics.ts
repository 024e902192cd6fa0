/**
 * ProcessBench metrics (thinkprm-spec.md §6.1), pure.
 *
 * - Official (QwenLM/ProcessBench; maintainers in its issue #6): acc_err = share of erroneous items
 *   whose predicted earliest error equals the gold index; acc_cor = share of correct items predicted
 *   "no error" (-1); F1 = their harmonic mean.
 * - The paper's binary F1 ("judge whether there exists a mistake"): F1 of the class "the solution
 *   is correct" (label -1), with "predicted correct" = the verifier found no wrong step. That class
 *   is the one whose coin-flip F1, 2p·0.5/(p + 0.5) with p the share of correct items, comes
 *   closest to the paper's random baselines (40.4 vs 39.1 on OlympiadBench, 32.5 vs 32.7 on
 *   OmniMath; the "has an error" class would give 56.9 and 60.3); `randomBaselines` computes both.
 * An invalid output (no prediction) is wrong for both accuracies and counts as "predicted an error"
 * in the binary F1, which never rewards it.
 */

import { bootstrap, type Interval } from "./intervals.js";

export interface Prediction {
  id: string;
  /** Gold earliest error (0-based) or -1. */
  label: number;
  /** Predicted earliest error, -1 for "no error", or null for an invalid output. */
  prediction: number | null;
  /** Verifier tokens spent on this item (generated). */
  tokens?: number;
  /** The verifier's score (P(Yes) share), when it has one. */
  score?: number | null;
}

export interface ProcessBenchMetrics {
  items: number;
  erroneous: number;
  correct: number;
  accErr: number;
  accCor: number;
  /** Official ProcessBench F1 (harmonic mean of accErr and accCor). */
  f1: number;
  /** The paper's binary F1 (positive class: the solution is correct). */
  binaryF1: number;
  invalid: number;
  invalidRate: number;
  meanTokens: number | null;
  /** acc_err by gold error position (0, 1, 2, 3, 4, "5+") and acc_cor under "-1". */
  byPosition: Record<string, { n: number; accuracy: number }>;
  /** 95% bootstrap intervals over items (with `{ intervals: true }`). */
  f1Interval?: Interval;
  binaryF1Interval?: Interval;
}

const harmonic = (a: number, b: number) => (a + b === 0 ? 0 : (2 * a * b) / (a + b));

export function processBenchMetrics(
  preds: readonly Prediction[],
  options: { intervals?: boolean } = {},
): ProcessBenchMetrics {
  const err = preds.filter((p) => p.label >= 0);
  const cor = preds.filter((p) => p.label === -1);
  const accErr = err.length === 0 ? 0 : err.filter((p) => p.prediction === p.label).length / err.length;
  const accCor = cor.length === 0 ? 0 : cor.filter((p) => p.prediction === -1).length / cor.length;
  // binary F1 of "correct": true positive = gold correct and predicted no error
  const tp = cor.filter((p) => p.prediction === -1).length;
  const fp = err.filter((p) => p.prediction === -1).length;
  const fn = cor.length - tp;
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const invalid = preds.filter((p) => p.prediction === null).length;
  const tokens = preds.map((p) => p.tokens).filter((t): t is number => typeof t === "number");
  const byPosition: ProcessBenchMetrics["byPosition"] = {};
  const bucket = (label: number) => (label < 0 ? "-1" : label >= 5 ? "5+" : String(label));
  for (const p of preds) {
    const k = bucket(p.label);
    const b = byPosition[k] ?? { n: 0, accuracy: 0 };
    b.accuracy = (b.accuracy * b.n + (p.prediction === p.label ? 1 : 0)) / (b.n + 1);
    b.n++;
    byPosition[k] = b;
  }
  return {
    items: preds.length,
    erroneous: err.length,
    correct: cor.length,
    accErr,
    accCor,
    f1: harmonic(accErr, accCor),
    binaryF1: harmonic(precision, recall),
    invalid,
    invalidRate: preds.length === 0 ? 0 : invalid / preds.length,
    meanTokens: tokens.length === 0 ? null : tokens.reduce((a, b) => a + b, 0) / tokens.length,
    byPosition,
    ...(options.intervals
      ? {
          f1Interval: bootstrap(preds, (s) => processBenchMetrics(s).f1),
          binaryF1Interval: bootstrap(preds, (s) => processBenchMetrics(s).binaryF1),
        }
      : {}),
  };
}

/**
 * Expected binary F1 of a coin-flip predictor, for each choice of positive class, given the share
 * of correct items: F1 = 2·q·0.5 / (q + 0.5) where q is the positive class's share.
 *
 * @example randomBaselines(0.339) // { positiveCorrect: 0.404, positiveError: 0.569 }
 */
export function randomBaselines(shareCorrect: number): { positiveCorrect: number; positiveError: number } {
  const f = (q: number) => (q + 0.5 === 0 ? 0 : (2 * q * 0.5) / (q + 0.5));
  return { positiveCorrect: f(shareCorrect), positiveError: f(1 - shareCorrect) };
}

/**
 * The step-score threshold that maximises the official F1 on labelled items (for discriminative
 * PRMs: the first step scoring below the threshold is the predicted error). Tune on one subset,
 * apply to the others.
 */
export function tuneThreshold(items: readonly { label: number; stepScores: (number | null)[] }[]): {
  threshold: number;
  f1: number;
} {
  const candidates = [
    ...new Set(items.flatMap((i) => i.stepScores.filter((s): s is number => s !== null))),
  ].sort((a, b) => a - b);
  const grid = [
    0,
    ...candidates.map((c, i) => (i + 1 < candidates.length ? (c + candidates[i + 1]!) / 2 : c + 1e-9)),
    1.000001,
  ];
  let best = { threshold: 0.5, f1: -1 };
  for (const t of grid) {
    const f1 = processBenchMetrics(
      items.map((it, k) => ({ id: String(k), label: it.label, prediction: firstBelow(it.stepScores, t) })),
    ).f1;
    if (f1 > best.f1) best = { threshold: t, f1 };
  }
  return best;
}

/** The first step whose score is below the threshold, -1 if none, null if the scores are missing. */
export function firstBelow(stepScores: readonly (number | null)[], threshold: number): number | null {
  if (stepScores.length === 0 || stepScores.some((s) => s === null)) return null;
  const i = stepScores.findIndex((s) => s! < threshold);
  return i;
}
