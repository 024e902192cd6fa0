/**
 * Inputs of discriminative PRMs (thinkprm-spec.md §5.2, §6.3), byte-exact strings.
 * - The paper's DiscPRM: the raw question (no chat template, no BOS), then per step
 *   `\nStep {k}: {step}` followed by the separator ` ки`; the label is P("+") vs P("-") read at the
 *   separator.
 * - Math-Shepherd: `{system}\n{question}\n`, then steps each followed by ` ки`, joined by `\n`;
 *   labels "+"/"-" at each ` ки`.
 * - Qwen2.5-Math-PRM: the chat template's system prompt, the question, the steps joined by
 *   `<extra_0>`; scores come from a reward head, not from the LM's next tokens.
 */

export const DISC_SEPARATOR = " ки";
export const MATH_SHEPHERD_SYSTEM = "";

/**
 * Prefixes ending at each step's separator, where the step's label is read.
 *
 * @example discPrmPrefixes("What is 1+1?", ["1+1 = 2", "So 2."])
 * // ["What is 1+1?\nStep 1: 1+1 = 2 ки", "What is 1+1?\nStep 1: 1+1 = 2 ки\nStep 2: So 2. ки"]
 */
export function discPrmPrefixes(question: string, steps: readonly string[]): string[] {
  let text = question;
  return steps.map((s, i) => {
    text += `\nStep ${i + 1}: ${s}${DISC_SEPARATOR}`;
    return text;
  });
}

/** @example mathShepherdPrefixes("Q", ["a", "b"]) // ["\nQ\na ки", "\nQ\na ки\nb ки"] */
export function mathShepherdPrefixes(
  question: string,
  steps: readonly string[],
  system = MATH_SHEPHERD_SYSTEM,
): string[] {
  let text = `${system}\n${question}\n`;
  return steps.map((s, i) => {
    text += `${i > 0 ? "\n" : ""}${s}${DISC_SEPARATOR}`;
    return text;
  });
}

/** @example qwenMathPrmAssistant(["a", "b"]) // "a<extra_0>b<extra_0>" */
export function qwenMathPrmAssistant(steps: readonly string[]): string {
  return steps.map((s) => `${s}<extra_0>`).join("");
}
