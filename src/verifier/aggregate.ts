/** Combining K chains into one verification (parallel scaling: the score is the mean). */
import type { StepVerdict } from "../core/types.js";
import { addUsage, emptyUsage } from "../core/types.js";
import type { ChainOutcome, Verification } from "./types.js";

/**
 * Majority verdict per step over the chains that judged it; a tie counts as incorrect (a step
 * half the chains reject is not one to trust). Steps no chain judged stay `unverified`.
 *
 * @example majorityVerdicts([["correct","incorrect"],["correct","correct"]], 2) // ["correct","incorrect"]
 */
export function majorityVerdicts(perChain: readonly StepVerdict[][], stepCount: number): StepVerdict[] {
  return Array.from({ length: stepCount }, (_, i) => {
    let correct = 0;
    let incorrect = 0;
    for (const verdicts of perChain) {
      if (verdicts[i] === "correct") correct++;
      else if (verdicts[i] === "incorrect") incorrect++;
    }
    if (correct + incorrect === 0) return "unverified";
    return correct > incorrect ? "correct" : "incorrect";
  });
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export function summariseChains(
  id: string | undefined,
  prompt: string,
  stepCount: number,
  chains: ChainOutcome[],
): Verification {
  const valid = chains.filter((c) => c.valid);
  const scores = valid.map((c) => c.score).filter((x): x is number => x !== null);
  const score = scores.length > 0 ? mean(scores) : null;
  const stepVerdicts = majorityVerdicts(
    valid.map((c) => c.stepVerdicts),
    stepCount,
  );
  const stepScores = Array.from({ length: stepCount }, (_, step) => {
    const xs: number[] = [];
    for (const c of valid) {
      c.judgments.forEach((j, k) => {
        const v = c.stepScores[k];
        if (j.stepIndex === step && v !== null && v !== undefined) xs.push(v);
      });
    }
    return xs.length > 0 ? mean(xs) : null;
  });
  const verification: Verification = {
    stepCount,
    prompt,
    score,
    decision: score === null ? null : score >= 0.5 ? "yes" : "no",
    stepVerdicts,
    firstIncorrectStep: stepVerdicts.indexOf("incorrect"),
    stepScores,
    chains,
    validChains: valid.length,
    invalidChains: chains.length - valid.length,
    usage: chains.reduce((u, c) => addUsage(u, c.usage), emptyUsage()),
  };
  if (id !== undefined) verification.id = id;
  return verification;
}

export interface ChainStats {
  /** Mean chains per verification (adaptive K and per-step mode vary it). */
  meanChains: number;
  /** Invalid chains by the code of their first issue (`truncated`, `repetition`, …). */
  invalidByCode: Record<string, number>;
}

/** How many chains verifications took, and why the invalid ones were invalid. */
export function chainStats(verifications: readonly Pick<Verification, "chains">[]): ChainStats {
  const invalidByCode: Record<string, number> = {};
  let chains = 0;
  for (const v of verifications) {
    chains += v.chains.length;
    for (const c of v.chains) {
      if (c.valid) continue;
      const code = c.issues[0]?.code ?? "invalid";
      invalidByCode[code] = (invalidByCode[code] ?? 0) + 1;
    }
  }
  return { meanChains: verifications.length ? chains / verifications.length : 0, invalidByCode };
}

/** "repetition 3, truncated 1" — the invalid chains by reason, for a summary line. */
export function formatInvalidByCode(counts: Record<string, number>): string {
  const parts = Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `${code} ${n}`);
  return parts.length ? parts.join(", ") : "none";
}
