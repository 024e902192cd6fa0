/** The paper's table "Statistics of the 1K finetuning dataset", for any set of kept chains. */
import type { KeptChain } from "./export.js";

export interface SetStatistics {
  prefixes: { correct: number; incorrect: number };
  stepLabels: { correct: number; incorrect: number };
  uniqueQuestions: number;
  stepsPerPrefix: { avg: number; min: number; max: number };
  chainTokens: { avg: number; min: number; max: number };
}

const summary = (xs: number[]) => ({
  avg: xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0,
  min: xs.length ? Math.min(...xs) : 0,
  max: xs.length ? Math.max(...xs) : 0,
});

export function setStatistics(chains: readonly KeptChain[], tokens: (text: string) => number): SetStatistics {
  const labels = chains.flatMap((c) => c.labels);
  return {
    prefixes: {
      correct: chains.filter((c) => c.isCorrect).length,
      incorrect: chains.filter((c) => !c.isCorrect).length,
    },
    stepLabels: {
      correct: labels.filter((l) => l === "+").length,
      incorrect: labels.filter((l) => l === "-").length,
    },
    uniqueQuestions: new Set(chains.map((c) => c.problem)).size,
    stepsPerPrefix: summary(chains.map((c) => c.steps.length)),
    chainTokens: summary(chains.map((c) => tokens(c.generation))),
  };
}

export function formatStatistics(s: SetStatistics, tokenizer: string): string {
  const n = s.prefixes.correct + s.prefixes.incorrect;
  const l = s.stepLabels.correct + s.stepLabels.incorrect;
  const pct = (x: number, of: number) => `${of ? ((100 * x) / of).toFixed(1) : "0.0"}%`;
  return [
    "statistic                            value",
    `prefixes correct / incorrect         ${s.prefixes.correct} (${pct(s.prefixes.correct, n)}) / ${s.prefixes.incorrect} (${pct(s.prefixes.incorrect, n)})`,
    `step labels correct / incorrect      ${s.stepLabels.correct} (${pct(s.stepLabels.correct, l)}) / ${s.stepLabels.incorrect} (${pct(s.stepLabels.incorrect, l)})`,
    `unique questions                     ${s.uniqueQuestions}`,
    `steps per prefix avg / min / max     ${s.stepsPerPrefix.avg.toFixed(1)} / ${s.stepsPerPrefix.min} / ${s.stepsPerPrefix.max}`,
    `chain tokens avg / min / max         ${s.chainTokens.avg.toFixed(1)} / ${s.chainTokens.min} / ${s.chainTokens.max}   (${tokenizer})`,
    "(the paper's 1K set: 486/514 prefixes, 7,474/625 labels, 869 questions, 9.5/1/53 steps, 1037.0/207/3669 tokens)",
  ].join("\n");
}
