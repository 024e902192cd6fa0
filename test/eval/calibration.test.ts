import { describe, expect, it } from "vitest";
import {
  applyCalibrator,
  auroc,
  brier,
  ece,
  fitPlatt,
  fitTemperature,
  kendall,
  meanPerProblem,
  spearman,
} from "../../src/eval/calibration.js";

describe("calibration and ranking metrics, hand-computed", () => {
  it("ECE with 10 bins", () => {
    // bin 0: score .05 wrong → |.05 − 0| ; bin 9: scores .95, .95 one right → |.95 − .5|
    expect(ece([0.05, 0.95, 0.95], [false, true, false])).toBeCloseTo((1 / 3) * 0.05 + (2 / 3) * 0.45, 12);
    expect(ece([], [])).toBe(0);
  });
  it("Brier", () => expect(brier([0.8, 0.3], [true, false])).toBeCloseTo((0.04 + 0.09) / 2, 12));
  it("AUROC with ties, and undefined without both classes", () => {
    expect(auroc([0.9, 0.8, 0.3, 0.1], [true, true, false, false])).toBe(1);
    expect(auroc([0.1, 0.9], [true, false])).toBe(0);
    expect(auroc([0.5, 0.5], [true, false])).toBe(0.5);
    expect(auroc([0.4, 0.9], [true, true])).toBeNull();
  });
  it("Spearman and Kendall", () => {
    expect(spearman([1, 2, 3], [10, 20, 30])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNull();
    expect(kendall([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(4 / 6, 12); // 5 concordant, 1 discordant
    expect(
      meanPerProblem(
        [
          { scores: [0.9, 0.1], correct: [true, false] },
          { scores: [0.5, 0.5], correct: [true, true] },
        ],
        spearman,
      ),
    ).toBe(1);
  });
  it("temperature and Platt scaling fit over-confident scores", () => {
    // scores at 0.99 / 0.01 that are right only 80% of the time → T > 1 softens them
    const scores = [...Array(100)].map((_, i) => (i % 2 === 0 ? 0.99 : 0.01));
    const labels = scores.map((s, i) => (i % 10 < 8 ? s > 0.5 : s < 0.5));
    const t = fitTemperature(scores, labels);
    expect(t.kind === "temperature" && t.temperature).toBeGreaterThan(1);
    expect(applyCalibrator(t, 0.99)).toBeCloseTo(0.8, 2);
    const platt = fitPlatt(scores, labels);
    expect(applyCalibrator(platt, 0.99)).toBeCloseTo(0.8, 3);
    expect(
      ece(
        scores.map((s) => applyCalibrator(platt, s)),
        labels,
      ),
    ).toBeLessThan(ece(scores, labels));
  });
});
