/**
 * Cutting a generator's free-form output into steps (thinkprm-spec.md §2.6).
 */
import { pyStrip } from "./python-str.js";

/**
 * The official ThinkPRM / DiscPRM rule: `## Step` → `Step`, trim, split on `Step <digits>:`, trim
 * each piece and drop empty ones. Text before the first header becomes its own step; text with no
 * header is one step; blank lines inside a step are kept.
 *
 * @example splitByStepHeaders("## Step 1: a\n\n## Step 2: b") // ["a", "b"]
 * @example splitByStepHeaders("Intro\nStep 1: a") // ["Intro", "a"]
 */
export function splitByStepHeaders(text: string): string[] {
  const normalised = pyStrip(text.split("## Step").join("Step"));
  return normalised
    .split(/Step \p{Nd}+:/u)
    .map(pyStrip)
    .filter((s) => s.length > 0);
}

/**
 * The rule of the Math-Shepherd / RLHFlow / Qwen2.5-Math-PRM baselines and of beam search:
 * split on blank lines (`\n\n`), trim, drop empty pieces.
 *
 * @example splitByBlankLines("a\n\nb\n\n\n\nc") // ["a", "b", "c"]
 */
export function splitByBlankLines(text: string): string[] {
  return text
    .split("\n\n")
    .map(pyStrip)
    .filter((s) => s.length > 0);
}

/**
 * Sentences, for a solution written as one paragraph: a sentence ends at `.`, `!` or `?` followed
 * by a line break or by a space and a capital letter — never inside math (`$…$`, `\(…\)`,
 * `\[…\]`), so "x = 2.5" and "$a. B$" stay whole. Fragments under 12 characters join the step
 * before them ("Thus." is not a step).
 *
 * @example splitBySentences("We have $x = 2.5$. So $2x = 5$. Done!") // ["We have $x = 2.5$.", "So $2x = 5$. Done!"]
 */
export function splitBySentences(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inMath: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    cur += c;
    const two = text.slice(i, i + 2);
    if (inMath === null) {
      if (two === "$$" || two === "\\[" || two === "\\(") {
        inMath = two === "$$" ? "$$" : two === "\\[" ? "\\]" : "\\)";
        cur += text[i + 1]!;
        i++;
        continue;
      }
      if (c === "$") {
        inMath = "$";
        continue;
      }
      if (
        ".!?".includes(c) &&
        (text[i + 1] === "\n" || (text[i + 1] === " " && /[A-Z]/.test(text[i + 2] ?? "")))
      ) {
        out.push(cur);
        cur = "";
      }
    } else if ((inMath.length === 2 && two === inMath) || (inMath === "$" && c === "$")) {
      if (inMath.length === 2) {
        cur += text[i + 1]!;
        i++;
      }
      inMath = null;
    }
  }
  out.push(cur);
  const steps: string[] = [];
  for (const piece of out.map(pyStrip).filter((s) => s.length > 0)) {
    if (piece.length < 12 && steps.length > 0) steps[steps.length - 1] += ` ${piece}`;
    else steps.push(piece);
  }
  return steps;
}

export type StepSplitRule = "step-headers" | "blank-lines" | "sentences" | "auto";

/**
 * Splits by the named rule. `auto` uses step headers when the text has a `Step <n>:` header, blank
 * lines when it has paragraphs, and sentences for a single paragraph — so a solution written
 * without explicit steps (the official issue #2) is not verified as one giant step.
 */
export function splitSteps(text: string, rule: StepSplitRule = "auto"): string[] {
  if (rule === "step-headers") return splitByStepHeaders(text);
  if (rule === "blank-lines") return splitByBlankLines(text);
  if (rule === "sentences") return splitBySentences(text);
  if (/Step \p{Nd}+:/u.test(text)) return splitByStepHeaders(text);
  const paragraphs = splitByBlankLines(text);
  return paragraphs.length > 1 ? paragraphs : splitBySentences(text);
}
