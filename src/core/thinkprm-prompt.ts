/**
 * The ThinkPRM verifier prompt, byte-exact to the official formatter
 * `format_verification_cot_for_thinkprm` (thinkprm-spec.md §1.1–1.3).
 */
import { pyReplace, pyStrip } from "./python-str.js";

/**
 * The user-turn template. The official code writes it as a triple-quoted string and `.strip()`s
 * the *template* (not the filled message), so it starts at "You" and ends at `{_instruction}`.
 * Placeholders are replaced literally, in order.
 */
export const THINKPRM_USER_TEMPLATE =
  "You are given a math problem and a proposed step-by-step solution:\n\n[Math Problem]\n\n{problem}\n\n[Solution]\n\n{solution}\n\n{_instruction}";

/** "default instruction (models were trained with this)" — the official code's comment. */
export const THINKPRM_DEFAULT_INSTRUCTION =
  "Review and critique each step in the proposed solution to determine whether each step is correct. If the solution is incomplete, only verify the provided steps.";

/** Appended after the rendered generation prompt by the paper-era (July 2025) code. */
export const LETS_VERIFY_SUFFIX = "\nLet's verify step by step:";

/**
 * How steps are laid out in `{solution}`.
 * - `numbered`: `Step 1: …` lines (the July client's process-verifier / beam-search mode, the
 *   Oct 2025 standalone class, and the training data).
 * - `plain`: steps joined by `\n` with no label (what the July client sends in best-of-N mode;
 *   thinkprm-spec.md §8.2 item 5).
 */
export type StepLayout = "numbered" | "plain";

/**
 * Removes every `Step <digits>:` and trims, as the official cleaner does
 * (`re.sub(r'Step \d+:', '', step).strip()`). Python's `\d` matches any Unicode decimal digit,
 * hence `\p{Nd}`.
 *
 * @example cleanStep("Step 3: Add 2. See Step 1: above ") // "Add 2. See  above"
 */
export function cleanStep(step: string): string {
  return pyStrip(step.replace(/Step \p{Nd}+:/gu, ""));
}

/**
 * Lays out the solution text the template receives.
 *
 * An empty step list is treated as one empty step, as the official code does (it warns).
 *
 * @example layoutSolution(["x = 1", "Step 2: y = 2"], "numbered") // "Step 1: x = 1\nStep 2: y = 2"
 * @example layoutSolution(["x = 1", "y = 2"], "plain") // "x = 1\ny = 2"
 */
export function layoutSolution(steps: readonly string[], layout: StepLayout): string {
  const cleaned = (steps.length === 0 ? [""] : steps).map(cleanStep);
  return layout === "numbered" ? cleaned.map((s, i) => `Step ${i + 1}: ${s}`).join("\n") : cleaned.join("\n");
}

export interface ThinkPrmPromptOptions {
  layout?: StepLayout;
  /** Overrides the default instruction (the official `prm_verifier_instruction`). */
  instruction?: string;
}

/**
 * The ThinkPRM user message: the (already stripped) template filled by three successive literal
 * replacements: `{problem}`, then `{solution}`, then `{_instruction}`. The filled message is not
 * stripped again, so a problem with leading spaces or an instruction with a trailing newline keeps
 * them, exactly as in the official code.
 *
 * Faithful quirk, kept on purpose for byte-exactness with the trained models' inputs: a problem
 * that itself contains the text `{solution}` has it replaced by the solution, and a problem or
 * solution containing `{_instruction}` gets the instruction. The text is only ever *data* in the
 * prompt; nothing in it can change how the verifier's output is parsed or scored.
 */
export function buildThinkPrmUserMessage(
  problem: string,
  steps: readonly string[],
  options: ThinkPrmPromptOptions = {},
): string {
  const solution = layoutSolution(steps, options.layout ?? "numbered");
  let text = pyReplace(THINKPRM_USER_TEMPLATE, "{problem}", problem);
  text = pyReplace(text, "{solution}", solution);
  text = pyReplace(text, "{_instruction}", options.instruction ?? THINKPRM_DEFAULT_INSTRUCTION);
  return text;
}
