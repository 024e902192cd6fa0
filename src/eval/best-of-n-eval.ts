/**
 * Best-of-N evaluation over candidate sets: accuracy of naive / weighted / majority selection and
 * coverage at n = 1, 2, 4, …, N, and how far the files' own correctness flags agree with our
 * grader. Pure.
 */
import { type Aggregation, aggregateScores } from "../core/decision-score.js";
import type { CandidateProblem } from "../datasets/bon-candidates.js";
import {
  type BestOfNPoint,
  bestOfNCurve,
  type CandidateGrading,
  evaluateProblem,
  type ProblemSelections,
} from "../search/best-of-n.js";
import { wilson } from "./intervals.js";

export interface FlagAgreement {
  total: number;
  agree: number;
  /** A few disagreements, to look at. */
  examples: { problem: string; candidate: number; flag: boolean; grader: boolean; answer: string }[];
}

export interface BestOfNEvaluation {
  curve: BestOfNPoint[];
  selections: ProblemSelections[];
  flags: FlagAgreement | null;
}

/** A candidate's score: its verifier score if given, else its carried step scores aggregated. */
export function candidateScore(stepScores: number[], agg: Aggregation): number | null {
  const s = aggregateScores(stepScores, agg);
  return Number.isNaN(s) ? null : s;
}

export function evaluateBestOfN(
  problems: readonly CandidateProblem[],
  ns: readonly number[],
  scoreOf: (problem: CandidateProblem, index: number) => number | null,
  gradingOf?: (problem: CandidateProblem) => CandidateGrading | undefined,
): BestOfNEvaluation {
  const selections = problems.map((p) =>
    evaluateProblem(
      {
        id: p.id,
        gold: p.gold,
        candidates: p.candidates.map((c, i) => ({ text: c.text, score: scoreOf(p, i) })),
      },
      ns,
      gradingOf?.(p),
    ),
  );
  let total = 0;
  let agree = 0;
  const examples: FlagAgreement["examples"] = [];
  problems.forEach((p, k) => {
    p.candidates.forEach((c, i) => {
      if (c.flag === undefined) return;
      total++;
      const grader = selections[k]!.correct[i]!;
      if (grader === c.flag) agree++;
      else if (examples.length < 8)
        examples.push({ problem: p.id, candidate: i, flag: c.flag, grader, answer: c.text.slice(-160) });
    });
  });
  return {
    curve: bestOfNCurve(selections, ns),
    selections,
    flags: total > 0 ? { total, agree, examples } : null,
  };
}

/**
 * The metrics table as text. With the number of problems, the primary method's accuracy carries
 * its 95% Wilson interval (a best-of-N curve over 100 problems moves by ±9 points by chance alone).
 */
export function formatCurve(curve: BestOfNPoint[], primary: "naive" | "weighted", problems?: number): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(7);
  const mark = (m: string) => (m === primary ? `${m}*` : m);
  const interval = (x: number) => {
    if (!problems) return "";
    const i = wilson(Math.round(x * problems), problems);
    return `[${(100 * i.low).toFixed(1)}, ${(100 * i.high).toFixed(1)}]`;
  };
  const lines = [
    `${"n".padStart(5)}  ${mark("naive").padStart(7)}  ${mark("weighted").padStart(9)}  ${"majority".padStart(8)}  ${"pass@n".padStart(7)}${problems ? `  95% interval (${primary})` : ""}`,
  ];
  for (const p of curve)
    lines.push(
      `${String(p.n).padStart(5)}  ${pct(p.naive)}  ${pct(p.weighted).padStart(9)}  ${pct(p.majority).padStart(8)}  ${pct(p.coverage)}${problems ? `  ${interval(p[primary])}` : ""}`,
    );
  lines.push(`* the paper's selection for this dataset (AIME ranks by score, MATH-500 by weighted vote)`);
  return lines.join("\n");
}
