/**
 * The grader against ../shared/acceptance/grader-cases.jsonl (337 cases from Math-Verify,
 * NeMo-Skills, lighteval, hendrycks MATH, simple-evals, verl, open-r1), read from there, not copied.
 * Goal: ≥ 327/337 agreement and no false positives; the table per kind and source is printed.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gradeAnswer } from "../../src/grading/equivalence.js";
import { SHARED } from "../helpers.js";

interface Case {
  id: string;
  gold: string;
  pred: string;
  equivalent: boolean;
  kind: "answer" | "extract";
  source: string;
}

const cases = readFileSync(join(SHARED, "acceptance/grader-cases.jsonl"), "utf8")
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as Case);

describe("grader acceptance", () => {
  it("agrees on ≥ 327 of 337 cases with no false positives", () => {
    const table = new Map<string, { n: number; agree: number; fp: number; fn: number }>();
    const misses: string[] = [];
    let agree = 0;
    let fp = 0;
    for (const c of cases) {
      const got = gradeAnswer(c.gold, c.pred).equivalent;
      for (const key of [`kind ${c.kind}`, `source ${c.source.split(":")[0]}`]) {
        const row = table.get(key) ?? { n: 0, agree: 0, fp: 0, fn: 0 };
        row.n++;
        if (got === c.equivalent) row.agree++;
        else if (got) row.fp++;
        else row.fn++;
        table.set(key, row);
      }
      if (got === c.equivalent) agree++;
      else {
        if (got) fp++;
        misses.push(`${c.id} expected ${c.equivalent}`);
      }
    }
    const lines = [...table].map(
      ([k, r]) => `${k.padEnd(40)} ${r.agree}/${r.n} (false positives ${r.fp}, false negatives ${r.fn})`,
    );
    console.log(
      `grader acceptance: ${agree}/${cases.length}\n${lines.join("\n")}${misses.length ? `\nmisses: ${misses.join(", ")}` : ""}`,
    );
    expect(cases).toHaveLength(337);
    expect(fp).toBe(0);
    expect(agree).toBeGreaterThanOrEqual(327);
  });

  it("says false for every negative, kind by kind", () => {
    const negatives = cases.filter((c) => !c.equivalent);
    expect(negatives.length).toBe(48);
    for (const c of negatives) expect(gradeAnswer(c.gold, c.pred).equivalent, c.id).toBe(false);
  });
});

describe("real data", () => {
  const math500 = readFileSync(join(SHARED, "data/math500/test.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { answer: string; solution: string; subject: string; unique_id: string });

  it("every MATH-500 answer matches its own reference solution", () => {
    const misses = math500
      .filter((r) => !gradeAnswer(r.answer, r.solution).equivalent)
      .map((r) => r.unique_id);
    expect(misses).toEqual([]);
  });

  it("no two different MATH-500 answers of a subject are called equal unless they are", () => {
    // every pair within a subject; the only matches allowed are answers equal as numbers or text
    const numericValue = (a: string) =>
      Number(
        a
          .replace(/\\!|,|\^\\circ|\\\$/g, "")
          .replace(/^\\frac\{?(\d+)\}?\{?(\d+)\}?$/, (_m, p, q) => String(p / q)),
      );
    let suspicious: string[] = [];
    for (const a of math500) {
      for (const b of math500) {
        if (a === b || a.subject !== b.subject || a.answer.trim() === b.answer.trim()) continue;
        if (!gradeAnswer(a.answer, b.answer).equivalent) continue;
        const [x, y] = [numericValue(a.answer), numericValue(b.answer)];
        if (!(Number.isFinite(x) && x === y)) suspicious.push(`${a.answer} ~ ${b.answer}`);
      }
    }
    suspicious = [...new Set(suspicious)];
    // reviewed by hand: each is the same number or value written two ways
    expect(suspicious.sort()).toMatchSnapshot();
  });
});
