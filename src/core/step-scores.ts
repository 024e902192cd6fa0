/**
 * Numeric per-step scores from the verifier's own token probabilities (beyond the paper; the
 * official issue #3 asks for numeric step scores). At each judgment, the token right after
 * `\boxed{` (or `\boxed{\text{`) is where the model chose between "correct" and "incorrect"; the
 * step score is P(correct) / (P(correct) + P(incorrect)) there.
 */
import type { StepJudgment } from "./types.js";

/** One generated token with its log-probability and the top alternatives at its position. */
export interface GeneratedToken {
  text: string;
  logprob: number;
  top?: { text: string; logprob: number }[];
}

/** Is `piece` a non-empty start of `word` (token boundaries vary: "correct", "cor", " correct")? */
function startsWord(piece: string, word: string): boolean {
  const p = piece.trimStart();
  return p.length > 0 && word.startsWith(p);
}

/**
 * One score per judgment, or `null` where the tokens do not show the choice (no logprobs, or
 * neither word among the top alternatives). "in"-prefixes belong to "incorrect" only and "c"-
 * prefixes to "correct" only, so the two sets never overlap.
 *
 * @example
 * // tokens "\\boxed{" + "correct"(top: correct -0.105, incorrect -2.303) + "}" → [0.9]
 */
export function stepScoresFromTokens(
  chain: string,
  tokens: readonly GeneratedToken[],
  judgments: readonly StepJudgment[],
): (number | null)[] {
  const starts: number[] = [];
  let at = 0;
  for (const t of tokens) {
    starts.push(at);
    at += t.text.length;
  }
  return judgments.map((j) => {
    const open = chain.indexOf("{", chain.indexOf("boxed", j.offset));
    const inner = chain.slice(open + 1).match(/^\s*(?:\\(?:text|textbf|mathrm)\s*\{\s*)?/);
    const wordAt = open + 1 + (inner?.[0].length ?? 0);
    // the token that covers the first character of the verdict word
    let k = -1;
    for (let i = 0; i < tokens.length; i++) if (starts[i]! <= wordAt) k = i;
    const token = k >= 0 ? tokens[k] : undefined;
    if (!token?.top || token.top.length === 0) return null;
    let pc = 0;
    let pi = 0;
    for (const alt of token.top) {
      if (startsWord(alt.text, "incorrect")) pi += Math.exp(alt.logprob);
      else if (startsWord(alt.text, "correct")) pc += Math.exp(alt.logprob);
    }
    return pc + pi > 0 ? pc / (pc + pi) : null;
  });
}
