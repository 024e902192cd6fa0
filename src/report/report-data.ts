/**
 * What the chain viewer shows, derived from stored results (pure): per item its problem, steps and
 * every one of its K chains, cut into text, math and verdict segments for the page to typeset.
 */
import type { RunRecord } from "../store/run-store.js";
import { type Segment, splitChain, splitMath } from "./math-text.js";

export interface ViewerChain {
  /** 0-based index among the item's K chains. */
  index: number;
  valid: boolean;
  score: number | null;
  finishReason: string;
  rounds: number;
  /** Generated tokens of this chain, all rounds. */
  tokens: number;
  stepVerdicts: string[];
  firstIncorrectStep: number;
  issues: string[];
  warnings: string[];
  /** Why the chain stopped early, when early exit cut it at an incorrect step. */
  earlyExit: string | null;
  text: Segment[];
}

export interface ViewerItem {
  run: string;
  key: string;
  problem: Segment[];
  steps: Segment[][];
  score: number | null;
  decision: string | null;
  /** Per step, the majority verdict of the valid chains. */
  stepVerdicts: string[];
  /** Per step, mean P(correct) at its verdict over the chains that judged it. */
  stepScores: (number | null)[];
  firstIncorrectStep: number;
  /** At least one chain is valid (the item has a score). */
  valid: boolean;
  generatedTokens: number;
  /** Gold first-error step (ProcessBench convention: -1 when every step is correct). */
  goldFirstError: number | null;
  goldCorrect: boolean | null;
  /** The prediction disagrees with the gold label (first error or correctness). */
  disagrees: boolean;
  chains: ViewerChain[];
}

interface StoredIssue {
  code: string;
  message: string;
}

interface StoredChain {
  index?: number;
  text: string;
  valid: boolean;
  issues?: StoredIssue[];
  warnings?: StoredIssue[];
  score?: number | null;
  finishReason?: string;
  rounds?: number;
  stepVerdicts?: string[];
  firstIncorrectStep?: number;
  earlyExit?: { atStep: number; stepsSkipped: number; estimatedTokensSaved: number };
  usage?: { generatedTokens?: number };
}

interface StoredVerification {
  score: number | null;
  decision: string | null;
  stepCount?: number;
  stepVerdicts: string[];
  stepScores?: (number | null)[];
  firstIncorrectStep: number;
  chains?: StoredChain[];
  usage?: { generatedTokens?: number };
  input?: { problem: string; steps: string[] };
  gold?: { firstErrorStep?: number; correct?: boolean };
}

/** Stored results that are verifications (eval-bon stores score lists, synth stores samples). */
function isVerification(value: unknown): value is StoredVerification {
  return value !== null && typeof value === "object" && "stepVerdicts" in value;
}

const describeIssue = (i: StoredIssue) => `${i.code}: ${i.message}`;

function viewerChain(c: StoredChain, k: number, stepCount: number, fallbackTokens: number): ViewerChain {
  const e = c.earlyExit;
  return {
    index: c.index ?? k,
    valid: c.valid,
    score: c.score ?? null,
    finishReason: c.finishReason ?? "unknown",
    rounds: c.rounds ?? 1,
    tokens: c.usage?.generatedTokens ?? fallbackTokens,
    stepVerdicts: c.stepVerdicts ?? [],
    firstIncorrectStep: c.firstIncorrectStep ?? -1,
    issues: (c.issues ?? []).map(describeIssue),
    warnings: (c.warnings ?? []).map(describeIssue),
    earlyExit: e
      ? `stopped at step ${e.atStep + 1}, skipping ${e.stepsSkipped} step(s) (≈ ${e.estimatedTokensSaved} tokens saved)`
      : null,
    text: splitChain(c.text ?? "", stepCount),
  };
}

export function viewerItems(run: RunRecord, results: { key: string; value: unknown }[]): ViewerItem[] {
  return results.flatMap(({ key, value }) => {
    if (!isVerification(value)) return [];
    const v = value;
    const steps = v.input?.steps ?? [];
    const stepCount = v.stepCount ?? steps.length;
    const goldFirstError = v.gold?.firstErrorStep ?? null;
    const goldCorrect = v.gold?.correct ?? (goldFirstError === null ? null : goldFirstError === -1);
    const predictedCorrect = v.decision === null ? null : v.decision === "yes";
    const disagrees =
      (goldFirstError !== null && v.score !== null && v.firstIncorrectStep !== goldFirstError) ||
      (goldCorrect !== null && predictedCorrect !== null && predictedCorrect !== goldCorrect);
    const chains = v.chains ?? [];
    const generatedTokens = v.usage?.generatedTokens ?? 0;
    // records written before chains carried their own usage: share the item's tokens evenly
    const fallbackTokens = chains.length > 0 ? Math.round(generatedTokens / chains.length) : 0;
    return [
      {
        run: run.id,
        key,
        problem: splitMath(v.input?.problem ?? ""),
        steps: steps.map((s) => splitMath(s)),
        score: v.score,
        decision: v.decision,
        stepVerdicts: v.stepVerdicts ?? [],
        stepScores: v.stepScores ?? [],
        firstIncorrectStep: v.firstIncorrectStep ?? -1,
        valid: chains.some((c) => c.valid),
        generatedTokens,
        goldFirstError,
        goldCorrect,
        disagrees,
        chains: chains.map((c, k) => viewerChain(c, k, stepCount, fallbackTokens)),
      },
    ];
  });
}

/** The colour of each run, in order (Tableau 10, as vega uses; cycled past ten runs). */
export const RUN_COLOURS = [
  "#4c78a8",
  "#f58518",
  "#54a24b",
  "#e45756",
  "#72b7b2",
  "#b279a2",
  "#eeca3b",
  "#9d755d",
  "#ff9da6",
  "#bab0ac",
] as const;

export interface ReportRun {
  record: RunRecord;
  colour: string;
  items: ViewerItem[];
}

export function reportRuns(
  runs: { record: RunRecord; results: { key: string; value: unknown }[] }[],
): ReportRun[] {
  return runs.map((r, i) => ({
    record: r.record,
    colour: RUN_COLOURS[i % RUN_COLOURS.length]!,
    items: viewerItems(r.record, r.results),
  }));
}
