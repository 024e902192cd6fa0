/**
 * Runaway chains: a verifier that loops (the same text over and over), judges one step again and
 * again, or thinks about one step far past any useful length — the failure modes the paper's own
 * analysis of invalid chains lists (repetition, overthinking). Detected on the text as it is
 * written, so the chain can be stopped early and counted invalid (`repetition`), never scored.
 * Pure; feed it the chain's text, get a reason once it runs away.
 */
import { extractJudgments } from "./parse-chain.js";

export interface RunawayOptions {
  /** A block of at least this many characters repeated back to back… */
  minPeriod: number;
  /** …this many times at the end of the chain is a loop. */
  repeats: number;
  /** The same step judged this many times is a loop over verdicts. */
  maxJudgmentsPerStep: number;
  /** Characters written since the last verdict (about 3.5 per token) beyond which a step is overthought. */
  maxCharsPerStep: number;
}

/**
 * Defaults sized on the paper's chains (about 1,000 tokens for 9.5 steps, ~110 tokens a step): a
 * step may take twenty times that before it counts as runaway, a loop must repeat a block of 24+
 * characters four times, a step may be re-verified twice.
 */
export const RUNAWAY_DEFAULTS: RunawayOptions = {
  minPeriod: 24,
  repeats: 4,
  maxJudgmentsPerStep: 3,
  maxCharsPerStep: 8000,
};

/**
 * What the candidate itself holds. A faithful verifier quotes the step it judges, so a step that
 * repeats a phrase, holds verdict boxes or runs for pages must not make its own quotation look
 * like a runaway chain: quoted repeats, boxes and lengths are allowed on top of the budgets.
 */
export interface QuotedSource {
  /** The problem and the steps, joined. */
  text: string;
  longestStep: number;
  /** `\boxed{…}` in the candidate: each may be quoted as if it were a verdict. */
  boxes: number;
}

export const NOTHING_QUOTED: QuotedSource = { text: "", longestStep: 0, boxes: 0 };

export function quotedSource(problem: string, steps: readonly string[]): QuotedSource {
  const text = [problem, ...steps].join("\n");
  return {
    text,
    longestStep: Math.max(0, ...steps.map((st) => st.length)),
    boxes: (text.match(/\\boxed\s*\{/g) ?? []).length,
  };
}

/** How often `block` repeats back to back at the end of `text`. */
function trailingRepeats(text: string, block: string): number {
  const p = block.length;
  let r = 1;
  while (text.length >= (r + 1) * p && text.slice(text.length - (r + 1) * p, text.length - r * p) === block)
    r++;
  return r;
}

/** Non-overlapping occurrences of `block` in `text`. */
function occurrences(text: string, block: string): number {
  return block.length === 0 ? 0 : text.split(block).length - 1;
}

export interface RunawayVerdict {
  kind: "loop" | "rejudged" | "overlong_step";
  message: string;
}

/** The largest period checked for a loop (longer loops are caught by the per-step budget). */
const MAX_PERIOD = 600;

/**
 * Whether `text` ends in a block repeated `repeats` times back to back (period ≥ `minPeriod`).
 *
 * @example endsInLoop("intro " + "Let me check again. ".repeat(4), { minPeriod: 10, repeats: 4 }) // 20
 */
export function endsInLoop(
  text: string,
  options: Pick<RunawayOptions, "minPeriod" | "repeats">,
): number | null {
  const { minPeriod, repeats } = options;
  const maxPeriod = Math.min(MAX_PERIOD, Math.floor(text.length / repeats));
  for (let p = minPeriod; p <= maxPeriod; p++) {
    const block = text.slice(text.length - p);
    let r = 1;
    while (r < repeats && text.slice(text.length - (r + 1) * p, text.length - r * p) === block) r++;
    if (r >= repeats) return p;
  }
  return null;
}

/**
 * Why the chain has run away, or null.
 *
 * @example runawayReason("Step 1: \\boxed{correct}\nStep 1: \\boxed{correct}\n…") // { kind: "rejudged", … } after 3
 */
export function runawayReason(
  text: string,
  stepCount: number,
  options: RunawayOptions = RUNAWAY_DEFAULTS,
  source: QuotedSource = NOTHING_QUOTED,
): RunawayVerdict | null {
  const period = endsInLoop(text, options);
  if (period !== null) {
    const block = text.slice(text.length - period);
    const repeats = trailingRepeats(text, block);
    // repeats the candidate holds are a quotation; the per-step budget still bounds them
    if (repeats - occurrences(source.text, block) >= options.repeats)
      return {
        kind: "loop",
        message: `the chain repeats a ${period}-character block ${repeats} times in a row`,
      };
  }
  const judgments = extractJudgments(text, stepCount);
  const counts = new Map<number, number>();
  for (const j of judgments) {
    const n = (counts.get(j.stepIndex) ?? 0) + 1;
    counts.set(j.stepIndex, n);
    if (n >= options.maxJudgmentsPerStep + source.boxes)
      return { kind: "rejudged", message: `step ${j.stepIndex + 1} was judged ${n} times` };
  }
  const sinceVerdict = text.length - (judgments.at(-1)?.offset ?? 0);
  // room to quote the longest step twice over
  const budget = options.maxCharsPerStep + 2 * source.longestStep;
  if (sinceVerdict > budget)
    return {
      kind: "overlong_step",
      message: `${sinceVerdict} characters since the last verdict (the budget is ${budget})`,
    };
  return null;
}

/**
 * Watches a chain as it is written: `push` the new text, get a reason once it runs away. Checks
 * are spaced (every `checkEvery` characters) so the cost stays linear in the chain.
 */
export class RunawayWatch {
  private text = "";
  private checkedAt = 0;

  constructor(
    private readonly stepCount: number,
    private readonly options: RunawayOptions = RUNAWAY_DEFAULTS,
    private readonly source: QuotedSource = NOTHING_QUOTED,
    private readonly checkEvery = 64,
  ) {}

  push(piece: string): RunawayVerdict | null {
    this.text += piece;
    if (this.text.length - this.checkedAt < this.checkEvery) return null;
    this.checkedAt = this.text.length;
    return runawayReason(this.text, this.stepCount, this.options, this.source);
  }
}
