/**
 * Gold step labels as the ThinkPRM data code treats them (thinkprm-spec.md §4.3), pure.
 */

export type StepLabel = "+" | "-";

/**
 * A PRM800K rating as a label. The official code maps `'+'` or 1 to `'+'` and everything else to
 * `'-'`, so a neutral 0 counts as wrong; `neutral: "positive"` reads 0 as acceptable instead.
 *
 * @example ratingLabel(0) // "-"
 * @example ratingLabel(0, "positive") // "+"
 */
export function ratingLabel(
  rating: number | string | null | undefined,
  neutral: "negative" | "positive" = "negative",
): StepLabel {
  if (rating === "+" || rating === 1) return "+";
  if (rating === 0 && neutral === "positive") return "+";
  return "-";
}

/**
 * The official `fix_step_labels`: every label before the last `+` becomes `+` (a later correct
 * step means the earlier "errors" were not fatal), leaving all `+` then a trailing run of `-`.
 *
 * @example fixStepLabels(["+", "-", "+", "-", "-"]) // ["+", "+", "+", "-", "-"]
 */
export function fixStepLabels(labels: readonly StepLabel[]): StepLabel[] {
  const last = labels.lastIndexOf("+");
  return labels.map((l, i) => (i < last ? "+" : l));
}

/**
 * Labels up to and including the first `-` (all of them when there is none).
 *
 * @example labelsUntilError(["+", "-", "-"]) // ["+", "-"]
 */
export function labelsUntilError(labels: readonly StepLabel[]): StepLabel[] {
  const i = labels.indexOf("-");
  return i < 0 ? [...labels] : labels.slice(0, i + 1);
}

/** A prefix is correct when its last label is `+` (the official `is_correct`). */
export const prefixIsCorrect = (labels: readonly StepLabel[]) => labels.at(-1) === "+";
