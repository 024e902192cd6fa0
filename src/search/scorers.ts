/** Prefix scorers: how a search asks a verifier about a partial solution. */
import { SpecialTokenError } from "../verifier/input-guard.js";
import type { Verifier } from "../verifier/types.js";
import type { PrefixScorer } from "./types.js";

/** Any verifier as a prefix scorer (ThinkPRM in prefix mode sees numbered steps). */
export function verifierScorer(verifier: Verifier): PrefixScorer {
  return {
    async score(problem, steps, signal) {
      try {
        const v = await verifier.verify({ problem, steps }, signal);
        return { score: v.score, tokens: v.usage.promptTokens + v.usage.generatedTokens };
      } catch (error) {
        // a generated candidate holding a special-token string that the verifier must refuse
        // (an HTTP verifier under --special-tokens refuse): that candidate has no score
        if (error instanceof SpecialTokenError) return { score: null, tokens: 0 };
        throw error;
      }
    },
  };
}

/** A scorer from a plain function (tests, or scores computed elsewhere). */
export function functionScorer(fn: (problem: string, steps: string[]) => number | null): PrefixScorer {
  return { score: async (problem, steps) => ({ score: fn(problem, steps), tokens: 0 }) };
}
