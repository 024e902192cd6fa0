import { describe, expect, it } from "vitest";
import { extractChoice, isChoiceCorrect } from "../../src/grading/choice.js";
import { gradeAnswer, isEquivalent } from "../../src/grading/equivalence.js";
import { extractAnswer } from "../../src/grading/extract.js";
import { normalizeAnswer } from "../../src/grading/normalize.js";
import { parseMath } from "../../src/grading/parse-math.js";

describe("extraction", () => {
  it("takes the last box, joined with the boxes next to it", () => {
    expect(extractAnswer("so $x = \\boxed{3}$. Then \\boxed{4}")).toBe("4");
    expect(extractAnswer("\\boxed{1} and \\boxed{2}")).toBe("1, 2");
    expect(
      extractAnswer("First \\boxed{7}. Much later, after a long argument that goes on. Finally \\boxed{9}"),
    ).toBe("9");
    expect(extractAnswer("\\boxed{\\frac{1}{2}}")).toBe("\\frac{1}{2}");
  });
  it("an answer phrase after the box wins, unless it holds no math", () => {
    expect(
      extractAnswer("We get \\boxed{255}. Final Answer: The final answer is $10,455$. I hope it is correct."),
    ).toBe("10,455");
    expect(extractAnswer("Therefore \\boxed{44}. So our answer is correct.")).toBe("44");
    expect(extractAnswer("Final Answer: The largest $n$ is 34.")).toBe("34");
    expect(extractAnswer("Réponse: Janeth aura encore 220 $ à payer d'ici 12 mois.")).toBe("220");
  });
  it("the last math span or the last number, whichever comes later", () => {
    expect(extractAnswer("We have $x = 2$ and so the result grows by 100%.")).toBe("100%");
    expect(extractAnswer("the ordered pair is $(7, 6)$.")).toBe("(7, 6)");
    expect(extractAnswer("$1$ and $2$ and $3$")).toBe("$1$ and $2$ and $3$");
    expect(extractAnswer("总共有3 + 10 = 13只")).toBe("13");
  });
  it("short plain answers are taken whole", () => {
    expect(extractAnswer("64 square feet")).toBe("64 square feet");
    expect(extractAnswer("odd")).toBe("odd");
  });
});

describe("normalisation", () => {
  it.each([
    ["\\$1,000.99", "1000.99"],
    ["7,425,000", "7425000"],
    ["(12,102)", "(12,102)"],
    ["32, 349", "32, 349"],
    ["\\dfrac{1}{3}", "\\frac{1}{3}"],
    ["\\frac34", "\\frac{3}{4}"],
    ["90^{\\circ}", "90"],
    ["50\\%", "50"],
    ["\\text{(B)}", "(B)"],
    ["5\\text{ cm}^2", "5"],
    ["x+1", "x+1"],
    ["\\tan^2(y)+1", "\\tan^2(y)+1"],
    ["+3", "3"],
    ["007", "7"],
  ])("%s → %s", (raw, want) => expect(normalizeAnswer(raw)).toBe(want));
});

describe("equivalence", () => {
  it.each([
    ["\\frac{1}{2}", "0.5"],
    ["x^2+2x+1", "(x+1)^2"],
    ["\\sqrt{8}", "2\\sqrt{2}"],
    ["(0, 1]", "(0,1]"],
    ["\\{1, 2\\}", "2, 1"],
    ["x = 3", "3"],
    ["y = 2x + 1", "2x - y + 1 = 0"],
    ["x > 2", "2 < x"],
    ["\\pm 3", "3, -3"],
    ["918\\frac{1}{2}", "918.5"],
    ["\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{bmatrix}1\\\\2\\end{bmatrix}"],
    ["\\text{Evelyn}", "Evelyn"],
    ["\\binom{5}{2}", "10"],
    ["5!", "120"],
  ])("%s ≡ %s", (gold, pred) => expect(isEquivalent(gold, pred)).toBe(true));

  it.each([
    ["\\frac{1}{2}", "\\frac{1}{3}"],
    ["x+1", "x-1"],
    ["(1,2)", "(2,1)"],
    ["[0,1]", "(0,1)"],
    ["3", "3.1"],
    ["\\sqrt{2}", "1.414"],
    ["\\pi", "3.14"],
    ["12", "21"],
    ["-3", "3"],
    ["2,3", "2,3,4"],
    ["x > 2", "x \\ge 2"],
    ["x = 3", "x = 4"],
    ["a + b = 1", "1"],
    ["A", "B"],
    ["x^2", "2x"],
    ["10", "10.0001"],
    ["\\text{yes}", "no"],
    ["1:2", "2:1"],
    ["", "5"],
    ["5", ""],
  ])("%s ≢ %s", (gold, pred) => expect(isEquivalent(gold, pred)).toBe(false));

  it("never throws on junk", () => {
    for (const junk of [
      "\\frac{",
      "}}}",
      "\\begin{pmatrix}",
      "((((",
      "\\boxed{",
      "$$$",
      "\\sqrt[",
      "1/0",
      "0/0",
      "\\infty - \\infty",
    ]) {
      expect(() => gradeAnswer(junk, junk)).not.toThrow();
      expect(() => gradeAnswer("1", junk)).not.toThrow();
    }
  });

  it("parses what it understands and refuses the rest", () => {
    expect(parseMath("2x+1")).not.toBeNull();
    expect(parseMath("\\unknowncommand{x}")).toBeNull();
    expect(parseMath("x @ y")).toBeNull();
  });
});

describe("multiple choice", () => {
  it("finds the chosen letter", () => {
    expect(extractChoice("so the answer is \\boxed{C}")).toBe("C");
    expect(extractChoice("The answer is (B).")).toBe("B");
    expect(extractChoice("Answer: D")).toBe("D");
    expect(extractChoice("between (A) and (C), we pick (C)")).toBe("C");
    expect(extractChoice("no letter here")).toBeNull();
    expect(isChoiceCorrect("(A)", "\\boxed{\\text{A}}")).toBe(true);
    expect(isChoiceCorrect("A", "The answer is (B)")).toBe(false);
  });
});
