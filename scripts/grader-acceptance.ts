/** Runs the grader over ../shared/acceptance/grader-cases.jsonl and prints agreement per kind and source. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gradeAnswer } from "../src/grading/equivalence.js";

const shared = process.env.THINKPRM_SHARED ?? join(process.cwd(), "..", "shared");
const rows = readFileSync(join(shared, "acceptance/grader-cases.jsonl"), "utf8")
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l));
let agree = 0;
const fp: string[] = [];
const fn: string[] = [];
for (const r of rows) {
  const d = gradeAnswer(r.gold, r.pred);
  if (d.equivalent === r.equivalent) agree++;
  else
    (d.equivalent ? fp : fn).push(
      `${r.id} [${r.kind}] gold=${JSON.stringify(d.gold).slice(0, 80)} pred=${JSON.stringify(d.pred).slice(0, 80)}`,
    );
}
console.log(`${agree}/${rows.length} agree; false positives ${fp.length}, false negatives ${fn.length}`);
if (process.argv.includes("-v")) {
  for (const x of fp) console.log("FP", x);
  for (const x of fn) console.log("FN", x);
}
