/** Prefix scorers: how a search asks a verifier about a partial solution. */
import type { Verifier } from "../verifier/types.js";
import type { PrefixScorer } from "./types.js";

/** Any verifier as a prefix scorer (ThinkPRM in prefix mode sees numbered steps). */
export function verifierScorer(verifier: Verifier): PrefixScorer {
  return {
    async score(problem, steps, signal) {
      const v = await verifier.verify({ problem, steps }, signal);
      return { score: v.score, tokens: v.usage.promptTokens + v.usage.generatedTokens };
    },
  };
}

/** A scorer from a plain function (tests, or scores computed elsewhere). */
export function functionScorer(fn: (problem: string, steps: string[]) => number | null): PrefixScorer {
  return { score: async (problem, steps) => ({ score: fn(problem, steps), tokens: 0 }) };
}
