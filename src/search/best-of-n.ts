/**
 * Best-of-N selection (thinkprm-spec.md §6.2): from N scored candidates pick one answer by
 * - naive: the highest score;
 * - weighted: the answer whose equivalence class has the largest summed score (weighted majority);
 * - majority: the most frequent answer class (no scores).
 * Evaluated for every n in a list using the *first* n candidates, as the reference does.
 *
 * Ties are resolved deterministically: the earliest candidate (naive), or the class first seen
 * among the first n (weighted, majority). Candidates without a score (an invalid verification)
 * never win a naive selection and add nothing to a weighted one.
 *
 * Answers are grouped into equivalence classes once per problem (answer equivalence is treated as
 * transitive), so every n reuses the same classes.
 */
import { type PreparedAnswer, prepareAnswer, preparedEquivalent } from "../grading/equivalence.js";

export interface ScoredCandidate {
  /** The candidate's text (or its final answer). */
  text: string;
  /** Verifier score, or null when there is none. */
  score: number | null;
}

export interface AnswerClasses {
  /** Class id of each candidate, by first appearance (0, 1, …); -1 when no answer was found. */
  classOf: number[];
  /** A prepared representative answer per class. */
  representatives: PreparedAnswer[];
}

/** Groups candidates whose final answers are equivalent. */
export function answerClasses(texts: readonly string[]): AnswerClasses {
  const representatives: PreparedAnswer[] = [];
  const byNormalized = new Map<string, number>();
  const classOf = texts.map((text) => {
    const a = prepareAnswer(text);
    if (!a.normalized) return -1;
    const known = byNormalized.get(a.normalized);
    if (known !== undefined) return known;
    let id = representatives.findIndex((r) => preparedEquivalent(r, a) || preparedEquivalent(a, r));
    if (id < 0) {
      id = representatives.length;
      representatives.push(a);
    }
    byNormalized.set(a.normalized, id);
    return id;
  });
  return { classOf, representatives };
}

export type Selection = "naive" | "weighted" | "majority";

/** Index of the candidate chosen among the first `n`, or -1 when none can be chosen. */
export function select(
  method: Selection,
  scores: readonly (number | null)[],
  classes: AnswerClasses,
  n: number,
): number {
  const m = Math.min(n, scores.length);
  if (method === "naive") {
    let best = -1;
    for (let i = 0; i < m; i++) {
      const s = scores[i];
      if (s !== null && s !== undefined && !Number.isNaN(s) && (best < 0 || s > scores[best]!)) best = i;
    }
    return best;
  }
  const weight = new Map<number, number>();
  const first = new Map<number, number>();
  for (let i = 0; i < m; i++) {
    const c = classes.classOf[i]!;
    if (c < 0) continue;
    if (!first.has(c)) first.set(c, i);
    const s = scores[i];
    const w = method === "majority" ? 1 : s === null || s === undefined || Number.isNaN(s) ? 0 : s;
    weight.set(c, (weight.get(c) ?? 0) + w);
  }
  let bestClass = -1;
  for (const [c, w] of weight) {
    if (
      bestClass < 0 ||
      w > weight.get(bestClass)! ||
      (w === weight.get(bestClass)! && first.get(c)! < first.get(bestClass)!)
    )
      bestClass = c;
  }
  return bestClass < 0 ? -1 : first.get(bestClass)!;
}

/**
 * The candidate each selection picks among scored solutions (no reference answer needed):
 * `naive` the highest score, `weighted` the answer with the largest summed score, `majority` the
 * most frequent answer; -1 where none can be picked.
 *
 * @example
 * rankCandidates([{ text: "\\boxed{5}", score: 0.4 }, { text: "\\boxed{6}", score: 0.7 }, { text: "\\boxed{5}", score: 0.5 }])
 * // { naive: 1, weighted: 0, majority: 0 }
 */
export function rankCandidates(
  candidates: readonly { text: string; score: number | null }[],
): Record<Selection, number> {
  const classes = answerClasses(candidates.map((c) => c.text));
  const scores = candidates.map((c) => c.score);
  const n = candidates.length;
  return {
    naive: select("naive", scores, classes, n),
    weighted: select("weighted", scores, classes, n),
    majority: select("majority", scores, classes, n),
  };
}

export interface BestOfNProblem {
  id: string;
  /** The reference answer (or solution). */
  gold: string;
  candidates: ScoredCandidate[];
}

export interface BestOfNPoint {
  n: number;
  naive: number;
  weighted: number;
  majority: number;
  /** pass@n: some candidate among the first n is correct. */
  coverage: number;
}

export interface ProblemSelections {
  id: string;
  /** Whether each candidate's answer is equivalent to the gold answer. */
  correct: boolean[];
  /** Per n: the chosen candidate of each method and whether it is correct. */
  byN: {
    n: number;
    naive: number;
    weighted: number;
    majority: number;
    naiveCorrect: boolean;
    weightedCorrect: boolean;
    majorityCorrect: boolean;
    coverage: boolean;
  }[];
}

/** The powers of two up to N, and N itself: 1, 2, 4, …, N. */
export function defaultNs(max: number): number[] {
  const ns: number[] = [];
  for (let n = 1; n < max; n *= 2) ns.push(n);
  ns.push(max);
  return [...new Set(ns)];
}

/**
 * How a task groups and grades candidates, when it is not math answer equivalence: the class of
 * each candidate (-1: no answer) for the votes, and whether each is correct.
 */
export interface CandidateGrading {
  classOf: number[];
  correct: boolean[];
}

/** Classes from keys (a letter, a normalised program): equal keys vote together; null has no class. */
export function classesFromKeys(keys: readonly (string | null)[]): number[] {
  const ids = new Map<string, number>();
  return keys.map((k) => {
    if (k === null) return -1;
    if (!ids.has(k)) ids.set(k, ids.size);
    return ids.get(k)!;
  });
}

/** Selections and correctness for one problem at every n (math equivalence unless `grading` is given). */
export function evaluateProblem(
  problem: BestOfNProblem,
  ns: readonly number[],
  grading?: CandidateGrading,
): ProblemSelections {
  let classes: AnswerClasses;
  let correct: boolean[];
  if (grading) {
    classes = { classOf: grading.classOf, representatives: [] };
    correct = grading.correct;
  } else {
    classes = answerClasses(problem.candidates.map((c) => c.text));
    const gold = prepareAnswer(problem.gold);
    const classCorrect = classes.representatives.map((r) => preparedEquivalent(gold, r));
    correct = classes.classOf.map((c) => c >= 0 && classCorrect[c]!);
  }
  const scores = problem.candidates.map((c) => c.score);
  const ok = (i: number) => i >= 0 && correct[i]!;
  return {
    id: problem.id,
    correct,
    byN: ns.map((n) => {
      const naive = select("naive", scores, classes, n);
      const weighted = select("weighted", scores, classes, n);
      const majority = select("majority", scores, classes, n);
      return {
        n,
        naive,
        weighted,
        majority,
        naiveCorrect: ok(naive),
        weightedCorrect: ok(weighted),
        majorityCorrect: ok(majority),
        coverage: correct.slice(0, n).some(Boolean),
      };
    }),
  };
}

/** Accuracy of each method and coverage at every n, over problems. */
export function bestOfNCurve(
  selections: readonly ProblemSelections[],
  ns: readonly number[],
): BestOfNPoint[] {
  return ns.map((n, k) => {
    const rows = selections.map((s) => s.byN[k]!);
    const frac = (f: (r: (typeof rows)[number]) => boolean) =>
      rows.length === 0 ? 0 : rows.filter(f).length / rows.length;
    return {
      n,
      naive: frac((r) => r.naiveCorrect),
      weighted: frac((r) => r.weightedCorrect),
      majority: frac((r) => r.majorityCorrect),
      coverage: frac((r) => r.coverage),
    };
  });
}
