/**
 * npm run bench:grader — grading speed on the 337 acceptance cases (a mix of short answers and
 * whole solutions to extract from), on one core. Goal ≥ 2,000 cases/s (Math-Verify runs about 140/s
 * on these machines).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gradeAnswer } from "../src/grading/equivalence.js";

const shared = process.env.THINKPRM_SHARED ?? join(process.cwd(), "..", "shared");
const cases = readFileSync(join(shared, "acceptance/grader-cases.jsonl"), "utf8")
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as { gold: string; pred: string; kind: string });

function rate(subset: typeof cases, seconds = 2): number {
  for (const c of subset) gradeAnswer(c.gold, c.pred); // warm up
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    for (const c of subset) gradeAnswer(c.gold, c.pred);
    n += subset.length;
  }
  return n / ((performance.now() - t0) / 1000);
}

const all = rate(cases);
const answer = rate(cases.filter((c) => c.kind === "answer"));
const extract = rate(cases.filter((c) => c.kind === "extract"));
console.log("bench:grader — one core, acceptance cases\n");
console.log(`all 337 cases        ${all.toFixed(0)} cases/s   (goal ≥ 2000: ${(all / 2000).toFixed(2)}×)`);
console.log(`kind answer (218)    ${answer.toFixed(0)} cases/s`);
console.log(`kind extract (119)   ${extract.toFixed(0)} cases/s`);
console.log(`vs Math-Verify ~140/s: ${(all / 140).toFixed(1)}×`);
