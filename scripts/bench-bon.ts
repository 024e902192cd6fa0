/**
 * npm run bench:bon — best-of-N metrics over 500 problems × 64 candidates (goal < 2 s): answer
 * extraction, equivalence classes, naive / weighted / majority at n = 1 … 64, coverage.
 * Candidates are full solution texts built from MATH-500 answers: the right answer written in
 * several equivalent ways, wrong answers from other problems, and some with no answer.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { CandidateProblem } from "../src/datasets/bon-candidates.js";
import { evaluateBestOfN } from "../src/eval/best-of-n-eval.js";
import { defaultNs } from "../src/search/best-of-n.js";

const shared = process.env.THINKPRM_SHARED ?? join(process.cwd(), "..", "shared");
const math = readFileSync(join(shared, "data/math500/test.jsonl"), "utf8")
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as { problem: string; answer: string; solution: string });
let seed = 7;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
const problems: CandidateProblem[] = math.map((m, i) => ({
  id: String(i),
  problem: m.problem,
  gold: m.answer,
  candidates: Array.from({ length: 64 }, (_, j) => {
    const r = rand();
    const answer =
      r < 0.4
        ? m.answer
        : r < 0.5
          ? `${m.answer} `
          : r < 0.9
            ? math[(i + 1 + (j % 7)) % math.length]!.answer
            : "";
    const text = `## Step 1: work\nSome reasoning about the problem.\n\n## Step 2: more\nTherefore, the final answer is: $\\boxed{${answer}}$. I hope it is correct.`;
    return { text: answer ? text : "I could not finish.", stepScores: [rand(), rand(), rand()] };
  }),
}));
const ns = defaultNs(64);
const t0 = performance.now();
const ev = evaluateBestOfN(problems, ns, (p, i) => p.candidates[i]!.stepScores.at(-1)!);
const seconds = (performance.now() - t0) / 1000;
const last = ev.curve.at(-1)!;
console.log(`bench:bon — ${problems.length} problems × 64 candidates, n = ${ns.join(", ")}`);
console.log(`time ${seconds.toFixed(2)} s (goal < 2 s: ${(2 / seconds).toFixed(2)}× headroom)`);
console.log(
  `accuracy@64: naive ${(100 * last.naive).toFixed(1)}%, weighted ${(100 * last.weighted).toFixed(1)}%, majority ${(100 * last.majority).toFixed(1)}%, pass@64 ${(100 * last.coverage).toFixed(1)}%`,
);
