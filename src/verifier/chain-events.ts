/**
 * Turning the text of K chains, as it streams in, into verification events: `token` for every
 * piece, `step` the moment a `\boxed{correct|incorrect}` verdict is complete (tied to its step as
 * the parser ties it), `round` when a thinking round starts.
 */
import { extractJudgments } from "../core/parse-chain.js";
import type { VerificationEvent } from "./types.js";

export class ChainEvents {
  private readonly texts: string[] = [];
  private readonly judged: number[] = [];

  constructor(
    private readonly emit: ((event: VerificationEvent) => void) | undefined,
    private readonly stepCount: number,
  ) {}

  get active(): boolean {
    return this.emit !== undefined;
  }

  /** Text of chain `chain` — generated, or put in by the verifier (a trigger phrase, a verdict cut by early exit). */
  text(chain: number, piece: string): void {
    if (!this.emit || piece === "") return;
    this.texts[chain] = (this.texts[chain] ?? "") + piece;
    this.emit({ type: "token", chain, text: piece });
    // a verdict completes with its closing brace: only then is the chain parsed again
    if (!piece.includes("}")) return;
    const judgments = extractJudgments(this.texts[chain]!, this.stepCount);
    for (let j = this.judged[chain] ?? 0; j < judgments.length; j++) {
      const { stepIndex, verdict } = judgments[j]!;
      this.emit({ type: "step", chain, step: stepIndex, verdict });
    }
    this.judged[chain] = judgments.length;
  }

  round(chain: number, round: number): void {
    this.emit?.({ type: "round", chain, round });
  }

  /** Forgets a chain's text (a first round that will be streamed again is not). */
  event(event: VerificationEvent): void {
    this.emit?.(event);
  }
}
