/** Cutting text into plain text, math and verdicts for the report's typesetting. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repairMath, splitChain, splitMath } from "../../src/report/math-text.js";
import { type ProcessBenchItem, SHARED } from "../helpers.js";

describe("splitMath", () => {
  it("finds every delimiter", () => {
    expect(splitMath("So \\(1/3 \\times 18 = 6\\) and $x^2$, then $$\\frac{a}{b}$$ and \\[y\\].")).toEqual([
      ["t", "So "],
      ["m", "1/3 \\times 18 = 6"],
      ["t", " and "],
      ["m", "x^2"],
      ["t", ", then "],
      ["d", "\\frac{a}{b}"],
      ["t", " and "],
      ["d", "y"],
      ["t", "."],
    ]);
  });

  it("keeps prices as text", () => {
    for (const text of [
      "He pays $20 for a shirt and $30 for pants.",
      "It costs $5. Then $x$ is",
      "I have $ 5 and you have $ 6.",
      "from $3.5 per gallon to $4",
    ]) {
      const segs = splitMath(text);
      expect(
        segs
          .filter((s) => s[0] === "t")
          .map((s) => s[1])
          .join(""),
        text,
      ).toBe(text === "It costs $5. Then $x$ is" ? "It costs $5. Then  is" : text);
    }
    expect(splitMath("a \\$5 fee")).toEqual([["t", "a $5 fee"]]);
    expect(splitMath("$ n\\times n$ table")).toEqual([
      ["m", "n\\times n"],
      ["t", " table"],
    ]);
  });

  it("typesets a bare \\boxed{…} and bare math environments, braces balanced", () => {
    expect(splitMath("The answer is \\boxed{\\frac{1}{2}}.")).toEqual([
      ["t", "The answer is "],
      ["m", "\\boxed{\\frac{1}{2}}"],
      ["t", "."],
    ]);
    expect(splitMath("so \\begin{align*} a &= b \\\\ c &= d \\end{align*} done")).toEqual([
      ["t", "so "],
      ["d", "\\begin{align*} a &= b \\\\ c &= d \\end{align*}"],
      ["t", " done"],
    ]);
    // unbalanced or unclosed: text
    expect(splitMath("\\boxed{1 + {2}")).toEqual([["t", "\\boxed{1 + {2}"]]);
    expect(splitMath("\\(never closed")).toEqual([["t", "\\(never closed"]]);
    expect(splitMath("$$ $$")).toEqual([["t", "$$ $$"]]);
  });

  it("repairs what KaTeX would misread", () => {
    expect(repairMath("\\boxed{66.67%}")).toBe("\\boxed{66.67\\%}");
    expect(repairMath("\\boxed{$400}")).toBe("\\boxed{\\$400}");
    expect(repairMath("50\\% of \\$4")).toBe("50\\% of \\$4");
    expect(repairMath("\frac{1}{2}")).toBe("\\frac{1}{2}"); // a form feed from a JSON-encoded \f
    expect(splitMath("\\boxed{$7455}")).toEqual([["m", "\\boxed{\\$7455}"]]);
  });

  it("leaves almost no raw LaTeX outside math in all of ProcessBench", () => {
    let texts = 0;
    let raw = 0;
    for (const subset of ["gsm8k", "math", "olympiadbench", "omnimath"]) {
      const items = JSON.parse(
        readFileSync(join(SHARED, "data/processbench", `${subset}.json`), "utf8"),
      ) as ProcessBenchItem[];
      for (const it of items)
        for (const t of [it.problem, ...it.steps]) {
          texts++;
          const plain = splitMath(t)
            .filter((s) => s[0] === "t")
            .map((s) => s[1])
            .join("");
          if (/\\(frac|sqrt|times|cdot|boxed|begin)\b/.test(plain)) raw++;
        }
    }
    expect(texts).toBeGreaterThan(29_000);
    // what is left is text whose delimiters the dataset lost ("Let  be … \frac{x}{y}=4$")
    expect(raw).toBeLessThan(30);
  });
});

describe("splitChain", () => {
  it("marks the verdicts the chain parser counts, with their steps", () => {
    const chain =
      "Step 1: $2+2=4$ \\boxed{correct}\nStep 3: wrong \\boxed{\\text{Incorrect}}\nAnswer \\boxed{5}";
    expect(splitChain(chain, 3)).toEqual([
      ["t", "Step 1: "],
      ["m", "2+2=4"],
      ["t", " "],
      ["v", "\\boxed{correct}", "correct", 0],
      ["t", "\nStep 3: wrong "],
      ["v", "\\boxed{\\text{Incorrect}}", "incorrect", 2],
      ["t", "\nAnswer "],
      ["m", "\\boxed{5}"],
    ]);
  });
});
