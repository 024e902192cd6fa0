/**
 * Filtering teacher chains (thinkprm-spec.md §4.2–4.3, the official `LongThoughtCritiqueDataset`),
 * each filter a pure function; a rejected chain carries the reason.
 */
import { lcg, shuffle } from "../core/seeded-random.js";
import {
  fixStepLabels,
  labelsUntilError,
  prefixIsCorrect,
  ratingLabel,
  type StepLabel,
} from "../core/step-labels.js";

export type RejectReason =
  | "no_decisions"
  | "decision_count"
  | "process_mismatch"
  | "outcome_mismatch"
  | "too_long"
  | "duplicate"
  | "balanced_out";

/**
 * Step decisions as the training parser reads them (the official `extract_boxed_predictions`,
 * thinkprm-spec.md §2.4): `\text{X}` → `X`, then the contents of every `\boxed{…}` (no nested
 * braces) that are *exactly* "correct" or "incorrect", in order. A padded `\boxed{ incorrect }` is
 * not a decision there; `lenient: true` trims the contents first (not the official reading).
 *
 * @example boxedDecisions("\\boxed{correct} … \\boxed{\\text{incorrect}} … \\boxed{468} \\boxed{ correct }") // ["+", "-"]
 */
export function boxedDecisions(generation: string, lenient = false): StepLabel[] {
  const plain = generation.replace(/\\text\{([^{}]*)\}/g, "$1");
  return [...plain.matchAll(/\\boxed\{([^{}]*)\}/g)]
    .map((m) => (lenient ? m[1]!.trim() : m[1]!))
    .filter((c) => c === "correct" || c === "incorrect")
    .map((c) => (c === "correct" ? "+" : "-"));
}

/** Format: decisions exist, and there is one per step up to the first error (or one per prefix step). */
export function formatFilter(
  decisions: readonly StepLabel[],
  labelsUntil: readonly StepLabel[],
  prefixSteps: number,
): RejectReason | null {
  if (decisions.length === 0) return "no_decisions";
  if (decisions.length !== labelsUntil.length && decisions.length !== prefixSteps) return "decision_count";
  return null;
}

/** Process-based: every decision equals the gold label, over the shorter of the two lists. */
export function processFilter(
  decisions: readonly StepLabel[],
  labelsUntil: readonly StepLabel[],
): RejectReason | null {
  const n = Math.min(decisions.length, labelsUntil.length);
  for (let i = 0; i < n; i++) if (decisions[i] !== labelsUntil[i]) return "process_mismatch";
  return null;
}

/** Outcome-based (the ablation): the last decision equals the last gold label, and the chain says "The answer is". */
export function outcomeFilter(
  decisions: readonly StepLabel[],
  labels: readonly StepLabel[],
  generation: string,
): RejectReason | null {
  return decisions.at(-1) === labels.at(-1) && generation.includes("The answer is")
    ? null
    : "outcome_mismatch";
}

/**
 * Cleaning a kept generation as the official code does: `\boxed{\text{(in)correct}}` →
 * `\boxed{(in)correct}`, everything after the last verdict box cut, and text from `</think>` on cut.
 *
 * Official bug, decided: where a `<think>` occurs the official code keeps the text *up to and
 * including* it, which empties a chain from a teacher that opens with the tag (a no-op for QwQ,
 * which writes none). By default we keep the text after the last `<think>` instead;
 * `thinkCut: "official"` restores the official cut. `lenient` goes with `boxedDecisions`' lenient
 * reading: padded verdicts (`\boxed{ incorrect }`, `\boxed{\text{ correct }}`) are normalised first.
 */
export function cleanGeneration(
  generation: string,
  thinkCut: "after" | "official" = "after",
  lenient = false,
): string {
  let g = generation.replace(/\\boxed\{\\text\{(correct|incorrect)\}\}/g, "\\boxed{$1}");
  // the lenient reading counted padded verdicts as decisions: write them as the decisions they
  // were counted as, so the cut below keeps their steps
  if (lenient)
    g = g.replace(
      /\\boxed\{\s*(?:\\text\{\s*(correct|incorrect)\s*\}|(correct|incorrect))\s*\}/g,
      (_m, a, b) => `\\boxed{${a ?? b}}`,
    );
  const ends = ["\\boxed{correct}", "\\boxed{incorrect}"].map((box) => {
    const at = g.lastIndexOf(box);
    return at < 0 ? -1 : at + box.length;
  });
  const last = Math.max(...ends);
  if (last > 0) g = g.slice(0, last);
  if (thinkCut === "official") {
    const open = g.indexOf("<think>");
    if (open >= 0) g = g.slice(0, open + "<think>".length);
  } else {
    const open = g.lastIndexOf("<think>");
    if (open >= 0) g = g.slice(open + "<think>".length);
  }
  const close = g.indexOf("</think>");
  if (close >= 0) g = g.slice(0, close);
  return g;
}

export interface ChainJudgement {
  kept: boolean;
  reason?: RejectReason;
  decisions: StepLabel[];
  labelsUntilError: StepLabel[];
  /** The prefix's gold outcome: its last (fixed) label is `+`. */
  isCorrect: boolean;
  cleaned: string;
}

export interface FilterOptions {
  mode: "process" | "outcome";
  /** How a neutral PRM800K rating (0) counts. Default "negative", as the official code. */
  neutral?: "negative" | "positive";
  /** Where a `<think>` in the chain cuts it; see `cleanGeneration`. Default "after". */
  thinkCut?: "after" | "official";
  /**
   * Count padded verdicts (`\boxed{ incorrect }`) as decisions and keep their steps. Default false:
   * the official parser, which counts only contents exactly "correct"/"incorrect".
   */
  lenientVerdicts?: boolean;
}

/** Format, then process (or outcome) filtering of one generation for one labelled prefix. */
export function judgeChain(
  ratings: readonly (number | string)[],
  prefixSteps: number,
  generation: string,
  options: FilterOptions,
): ChainJudgement {
  const labels = fixStepLabels(ratings.map((r) => ratingLabel(r as number | string, options.neutral)));
  const until = labelsUntilError(labels);
  const lenient = options.lenientVerdicts ?? false;
  const decisions = boxedDecisions(generation, lenient);
  const base = {
    decisions,
    labelsUntilError: until,
    isCorrect: prefixIsCorrect(labels),
    cleaned: cleanGeneration(generation, options.thinkCut, lenient),
  };
  const reason =
    formatFilter(decisions, until, prefixSteps) ??
    (options.mode === "process"
      ? processFilter(decisions, until)
      : outcomeFilter(decisions, labels, generation));
  return reason ? { kept: false, reason, ...base } : { kept: true, ...base };
}

/**
 * Class balancing (the official `balance_data`): the majority class (correct vs incorrect prefixes)
 * is downsampled, by a seeded shuffle, to the minority's size. Returns the indices kept.
 */
export function balanceClasses(isCorrect: readonly boolean[], seed = 42): Set<number> {
  const pos = isCorrect.flatMap((c, i) => (c ? [i] : []));
  const neg = isCorrect.flatMap((c, i) => (c ? [] : [i]));
  const n = Math.min(pos.length, neg.length);
  // one stream for both classes, as before: the same seed keeps choosing the same chains
  const rand = lcg(seed);
  const sample = (xs: number[]) => shuffle(xs, rand).slice(0, n);
  return new Set([...sample(pos), ...sample(neg)]);
}
