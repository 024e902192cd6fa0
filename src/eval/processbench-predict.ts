/**
 * From stored verifications to ProcessBench predictions, also for fewer chains (K' ≤ K) or fewer
 * thinking rounds (R' ≤ R) than were run — the verifier-compute scaling study from one run.
 */
import { parseVerificationChain } from "../core/parse-chain.js";
import type { StepVerdict } from "../core/types.js";
import { majorityVerdicts } from "../verifier/aggregate.js";
import type { ChainOutcome, Verification } from "../verifier/types.js";
import { type Prediction, processBenchMetrics } from "./processbench-metrics.js";

/** "There is an error, but the output does not say where": never equal to a gold index. */
export const UNLOCATED_ERROR = -2;

/**
 * The predicted earliest error of the chains given: the first step their majority judges incorrect
 * (-1 if none). A chain that stops after its first incorrect step predicts that step, as intended.
 * Valid chains that judged no step but decided (a single yes/no judge) predict -1 for "yes" and
 * `UNLOCATED_ERROR` for "no". `null` (an invalid output) when no chain is valid.
 */
export function predictFromChains(
  chains: readonly ChainOutcome[],
  stepCount: number,
  verdictsOf = (c: ChainOutcome) => c.stepVerdicts,
): number | null {
  const valid = chains.filter((c) => c.valid);
  if (valid.length === 0) return null;
  const located = valid.filter((c) => verdictsOf(c).some((v) => v !== "unverified"));
  if (located.length > 0) return majorityVerdicts(located.map(verdictsOf), stepCount).indexOf("incorrect");
  const scores = valid.map((c) => c.score).filter((s): s is number => s !== null);
  if (scores.length === 0) return null;
  return scores.reduce((a, b) => a + b, 0) / scores.length >= 0.5 ? -1 : UNLOCATED_ERROR;
}

export function predictFirstError(v: Verification): number | null {
  // per-step verification decides each prefix itself; its chains judge different prefixes
  if (v.mode === "per-step") return v.validChains === 0 ? null : v.firstIncorrectStep;
  return predictFromChains(v.chains, v.stepCount);
}

/** The step verdicts a chain had after its first `rounds` rounds. */
function verdictsAfterRounds(c: ChainOutcome, rounds: number, stepCount: number): StepVerdict[] {
  const end = c.roundEnds[Math.min(rounds, c.roundEnds.length) - 1] ?? c.text.length;
  const parsed = parseVerificationChain(c.text.slice(0, end), { stepCount, requireDecision: false });
  return parsed.ok ? parsed.value.stepVerdicts : [];
}

export interface LabelledVerification {
  id: string;
  label: number;
  verification: Verification;
}

export interface ScalingPoint {
  series: string;
  /** Mean generated verifier tokens per item. */
  tokens: number;
  value: number;
  metric: string;
  /** The chains per item (K') and thinking rounds (R') the point was read with. */
  chains: number;
  rounds: number;
}

/**
 * F1 against verifier tokens: K' = 1, 2, 4, … chains (the first K' of each item) and R' = 1 … R
 * rounds (each chain cut after its R'-th round), from the same stored verifications.
 */
export function scalingFromRun(items: readonly LabelledVerification[]): ScalingPoint[] {
  // per-step chains are one per prefix, not K samples of one judgment: no K' or R' to read
  if (items.length === 0 || items.some((i) => i.verification.mode === "per-step")) return [];
  const K = Math.max(...items.map((i) => i.verification.chains.length));
  const R = Math.max(
    ...items.map((i) => Math.max(0, ...i.verification.chains.map((c) => c.roundEnds.length))),
  );
  const points: ScalingPoint[] = [];
  const evaluate = (
    series: string,
    budget: { chains: number; rounds: number },
    pick: (v: Verification) => { prediction: number | null; tokens: number },
  ) => {
    const preds: Prediction[] = items.map((i) => {
      const p = pick(i.verification);
      return { id: i.id, label: i.label, prediction: p.prediction, tokens: p.tokens };
    });
    const m = processBenchMetrics(preds);
    points.push({ series, tokens: m.meanTokens ?? 0, value: m.f1, metric: "F1", ...budget });
  };
  for (let k = 1; k <= K; k *= 2) {
    evaluate("parallel (K chains)", { chains: k, rounds: R }, (v) => {
      const chains = v.chains.slice(0, k);
      return {
        prediction: predictFromChains(chains, v.stepCount),
        tokens: chains.reduce((s, c) => s + c.usage.generatedTokens, 0),
      };
    });
  }
  if (R > 1) {
    for (let r = 1; r <= R; r++) {
      evaluate("sequential (rounds)", { chains: 1, rounds: r }, (v) => {
        const chains = v.chains.slice(0, 1);
        return {
          prediction: predictFromChains(chains, v.stepCount, (c) => verdictsAfterRounds(c, r, v.stepCount)),
          tokens: chains.reduce((s, c) => s + c.roundTokens.slice(0, r).reduce((a, b) => a + b, 0), 0),
        };
      });
    }
  }
  return points;
}
