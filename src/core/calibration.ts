/**
 * Calibration of verifier scores as probabilities, pure: reliability bins, ECE, Brier, AUROC
 * (thinkprm-spec.md §6.5). The evaluations, the report and the CLI read them from here.
 */

export interface ReliabilityBin {
  bin: number;
  meanScore: number;
  fractionCorrect: number;
  count: number;
}

/**
 * Reliability diagram data: 10 equal-width score bins; in each, the mean score and the fraction of
 * solutions that are actually correct. A calibrated verifier lies on the diagonal.
 *
 * @example reliabilityBins([0.05, 0.95, 0.9], [false, true, false]) // two bins: 0 → 0/1, 9 → 1/2
 */
export function reliabilityBins(scores: number[], correct: boolean[], bins = 10): ReliabilityBin[] {
  const acc = Array.from({ length: bins }, () => ({ sum: 0, correct: 0, count: 0 }));
  scores.forEach((s, i) => {
    const b = Math.min(bins - 1, Math.floor(s * bins));
    acc[b]!.sum += s;
    acc[b]!.correct += correct[i] ? 1 : 0;
    acc[b]!.count++;
  });
  return acc
    .map((a, bin) => ({
      bin,
      meanScore: a.count ? a.sum / a.count : 0,
      fractionCorrect: a.count ? a.correct / a.count : 0,
      count: a.count,
    }))
    .filter((b) => b.count > 0);
}

/** Expected calibration error with equal-width bins: Σ (n_b / N) · |mean score − accuracy|. */
export function ece(scores: readonly number[], labels: readonly boolean[], bins = 10): number {
  if (scores.length === 0) return 0;
  return reliabilityBins([...scores], [...labels], bins).reduce(
    (s, b) => s + (b.count / scores.length) * Math.abs(b.meanScore - b.fractionCorrect),
    0,
  );
}

/** Mean squared error of the scores as probabilities. */
export function brier(scores: readonly number[], labels: readonly boolean[]): number {
  if (scores.length === 0) return 0;
  return scores.reduce((s, x, i) => s + (x - (labels[i] ? 1 : 0)) ** 2, 0) / scores.length;
}

/** Area under the ROC curve (the probability a random positive outscores a random negative; ties count half). */
export function auroc(scores: readonly number[], labels: readonly boolean[]): number | null {
  const pos = scores.filter((_, i) => labels[i]);
  const neg = scores.filter((_, i) => !labels[i]);
  if (pos.length === 0 || neg.length === 0) return null;
  // rank-sum with average ranks for ties
  const all = scores.map((s, i) => ({ s, pos: labels[i]! })).sort((a, b) => a.s - b.s);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]!.s === all[i]!.s) j++;
    const avg = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k]!.pos) rankSum += avg;
    i = j;
  }
  return (rankSum - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}

export interface CalibrationReport {
  n: number;
  ece: number;
  brier: number;
  auroc: number | null;
  reliability: ReliabilityBin[];
}

export function calibrationReport(scores: readonly number[], labels: readonly boolean[]): CalibrationReport {
  return {
    n: scores.length,
    ece: ece(scores, labels),
    brier: brier(scores, labels),
    auroc: auroc(scores, labels),
    reliability: reliabilityBins([...scores], [...labels]),
  };
}
