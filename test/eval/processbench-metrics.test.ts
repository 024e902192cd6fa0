import { describe, expect, it } from "vitest";
import {
  firstBelow,
  type Prediction,
  processBenchMetrics,
  randomBaselines,
  tuneThreshold,
} from "../../src/eval/processbench-metrics.js";

const p = (label: number, prediction: number | null, tokens?: number): Prediction => ({
  id: `${label}/${prediction}`,
  label,
  prediction,
  ...(tokens === undefined ? {} : { tokens }),
});

describe("ProcessBench metrics, hand-computed", () => {
  it("a small mixed file", () => {
    // erroneous: (2→2 ✓) (0→1 ✗) (1→-1 ✗) (3→null ✗) ; correct: (-1→-1 ✓) (-1→0 ✗)
    const m = processBenchMetrics([
      p(2, 2, 100),
      p(0, 1, 200),
      p(1, -1, 300),
      p(3, null),
      p(-1, -1, 400),
      p(-1, 0, 500),
    ]);
    expect(m.accErr).toBeCloseTo(1 / 4, 12);
    expect(m.accCor).toBeCloseTo(1 / 2, 12);
    expect(m.f1).toBeCloseTo((2 * 0.25 * 0.5) / 0.75, 12); // 1/3
    // binary "correct" class: tp = 1 (the -1→-1), fp = 1 (1→-1), fn = 1 (-1→0): P = R = 1/2
    expect(m.binaryF1).toBeCloseTo(0.5, 12);
    expect(m.invalid).toBe(1);
    expect(m.invalidRate).toBeCloseTo(1 / 6, 12);
    expect(m.meanTokens).toBe(300);
    expect(m.byPosition).toEqual({
      "2": { n: 1, accuracy: 1 },
      "0": { n: 1, accuracy: 0 },
      "1": { n: 1, accuracy: 0 },
      "3": { n: 1, accuracy: 0 },
      "-1": { n: 2, accuracy: 0.5 },
    });
  });

  it("an all-correct subset: acc_err is 0 by convention, so F1 is 0; binary F1 still measures", () => {
    const m = processBenchMetrics([p(-1, -1), p(-1, -1), p(-1, 2)]);
    expect([m.erroneous, m.accErr, m.accCor, m.f1]).toEqual([0, 0, 2 / 3, 0]);
    expect(m.binaryF1).toBeCloseTo((2 * 1 * (2 / 3)) / (1 + 2 / 3), 12); // P = 1, R = 2/3
  });

  it("no predictions, and every output invalid", () => {
    const empty = processBenchMetrics([]);
    expect([empty.items, empty.f1, empty.binaryF1, empty.invalidRate, empty.meanTokens]).toEqual([
      0,
      0,
      0,
      0,
      null,
    ]);
    const invalid = processBenchMetrics([p(-1, null), p(0, null)]);
    expect([invalid.accErr, invalid.accCor, invalid.f1, invalid.binaryF1, invalid.invalidRate]).toEqual([
      0, 0, 0, 0, 1,
    ]);
  });

  it("random baselines for both positive classes (the paper's 39.1 / 32.7)", () => {
    const olympiad = randomBaselines(339 / 1000);
    const omni = randomBaselines(241 / 1000);
    expect(olympiad.positiveCorrect).toBeCloseTo(0.404, 3);
    expect(omni.positiveCorrect).toBeCloseTo(0.325, 3);
    expect(olympiad.positiveError).toBeCloseTo(0.569, 3);
    expect(omni.positiveError).toBeCloseTo(0.603, 3);
  });

  it("threshold tuning picks the cut that localises errors best", () => {
    const items = [
      { label: 1, stepScores: [0.9, 0.3, 0.8] },
      { label: -1, stepScores: [0.9, 0.7, 0.8] },
      { label: 0, stepScores: [0.4, 0.9] },
    ];
    const t = tuneThreshold(items);
    expect(t.f1).toBe(1);
    expect(t.threshold).toBeGreaterThan(0.4);
    expect(t.threshold).toBeLessThanOrEqual(0.7);
    expect(firstBelow([0.9, 0.3], 0.5)).toBe(1);
    expect(firstBelow([0.9, 0.8], 0.5)).toBe(-1);
    expect(firstBelow([0.9, null], 0.5)).toBeNull();
  });
});
