import { describe, expect, it } from "vitest";
import {
  answerClasses,
  bestOfNCurve,
  defaultNs,
  evaluateProblem,
  select,
} from "../../src/search/best-of-n.js";

const texts = [
  "The answer is $\\boxed{\\frac12}$",
  "so \\boxed{0.5}",
  "\\boxed{3}",
  "\\boxed{3}",
  "\\boxed{3}",
  "no answer at all…",
];

describe("best-of-N selection", () => {
  it("groups equivalent answers into classes", () => {
    const c = answerClasses(texts);
    expect(c.classOf.slice(0, 5)).toEqual([0, 0, 1, 1, 1]);
    expect(c.representatives).toHaveLength(c.classOf.at(-1) === -1 ? 2 : 3);
  });

  it("naive takes the highest score, ties and null scores resolved as documented", () => {
    const c = answerClasses(texts);
    expect(select("naive", [0.9, 0.2, 0.5, 0.5, 0.1, 0.95], c, 6)).toBe(5);
    expect(select("naive", [0.9, 0.2, 0.5, 0.5, 0.1, 0.95], c, 5)).toBe(0); // first n only
    expect(select("naive", [0.5, 0.5, null, 0.4, 0.4, null], c, 6)).toBe(0); // tie → earliest
    expect(select("naive", [null, null], c, 2)).toBe(-1);
  });

  it("weighted sums scores per class; majority counts", () => {
    const c = answerClasses(texts);
    // class 0: 0.9 + 0.8 = 1.7; class 1: 0.5 + 0.5 + 0.5 = 1.5 → weighted picks class 0, majority class 1
    const scores = [0.9, 0.8, 0.5, 0.5, 0.5, null];
    expect(select("weighted", scores, c, 6)).toBe(0);
    expect(select("majority", scores, c, 6)).toBe(2);
    // a tie between classes goes to the class seen first
    expect(
      select(
        "majority",
        [1, 1, 1, 1, 0, 0],
        answerClasses(["\\boxed{1}", "\\boxed{2}", "\\boxed{2}", "\\boxed{1}"]),
        4,
      ),
    ).toBe(0);
  });

  it("evaluates every n on the first n candidates, with coverage", () => {
    const sel = evaluateProblem(
      {
        id: "p",
        gold: "\\frac{1}{2}",
        candidates: texts.map((text, i) => ({ text, score: [0.1, 0.2, 0.9, 0.8, 0.7, null][i]! })),
      },
      defaultNs(6),
    );
    expect(sel.correct).toEqual([true, true, false, false, false, false]);
    expect(sel.byN.map((r) => r.n)).toEqual([1, 2, 4, 6]);
    expect(sel.byN.map((r) => r.naiveCorrect)).toEqual([true, true, false, false]);
    expect(sel.byN.map((r) => r.majorityCorrect)).toEqual([true, true, true, false]); // n=4: 2 vs 2, class 0 first
    expect(sel.byN.map((r) => r.coverage)).toEqual([true, true, true, true]);
    const curve = bestOfNCurve(
      [sel, { ...sel, byN: sel.byN.map((r) => ({ ...r, naiveCorrect: false, coverage: false })) }],
      defaultNs(6),
    );
    expect(curve[0]).toEqual({ n: 1, naive: 0.5, weighted: 1, majority: 1, coverage: 0.5 });
  });

  it("n values: powers of two up to N, and N", () => {
    expect(defaultNs(1)).toEqual([1]);
    expect(defaultNs(8)).toEqual([1, 2, 4, 8]);
    expect(defaultNs(6)).toEqual([1, 2, 4, 6]);
  });
});
