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

export type StepSplitRule = "step-headers" | "blank-lines" | "auto";

/**
 * Splits by the named rule. `auto` uses step headers when the text has a `Step <n>:` header and
 * blank lines otherwise, so a solution written as paragraphs is not verified as one giant step.
 */
export function splitSteps(text: string, rule: StepSplitRule = "auto"): string[] {
  if (rule === "step-headers") return splitByStepHeaders(text);
  if (rule === "blank-lines") return splitByBlankLines(text);
  return /Step \p{Nd}+:/u.test(text) ? splitByStepHeaders(text) : splitByBlankLines(text);
}
