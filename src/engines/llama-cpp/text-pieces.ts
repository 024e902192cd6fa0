/**
 * Generated text built token by token. Byte-level BPE tokens can split a UTF-8 character, and a
 * lone token then decodes to U+FFFD; so tokens are held back until they decode cleanly and then
 * become one piece. The pieces always concatenate to the text, which keeps per-token logprobs
 * aligned with character offsets (what step scores need).
 */
import type { GeneratedToken } from "../../core/step-scores.js";

export type Detokenize = (tokens: readonly number[]) => string;

export class TextPieces {
  readonly pieces: GeneratedToken[] = [];
  /** The token ids behind each piece. */
  readonly pieceIds: number[][] = [];
  private text_ = "";
  private pending: number[] = [];
  private pendingLogprob = 0;
  private pendingTop: GeneratedToken["top"];

  constructor(private readonly detokenize: Detokenize) {}

  get text(): string {
    return this.text_;
  }

  /** The text including held-back tokens (as they decode now). */
  get textWithPending(): string {
    return this.pending.length === 0 ? this.text_ : this.text_ + this.detokenize(this.pending);
  }

  push(token: number, logprob = 0, top?: GeneratedToken["top"]): void {
    if (this.pending.length === 0) this.pendingTop = top;
    this.pending.push(token);
    this.pendingLogprob += logprob;
    const decoded = this.detokenize(this.pending);
    if (!decoded.endsWith("\uFFFD")) this.flush(decoded);
  }

  /** An end-of-sequence position: no text, but its probabilities (servers report them). */
  pushEnd(logprob: number, top?: GeneratedToken["top"]): void {
    this.finish();
    const piece: GeneratedToken = { text: "", logprob };
    if (top) piece.top = top;
    this.pieces.push(piece);
    this.pieceIds.push([]);
  }

  /** Emits whatever is held back (at the end of generation, even an incomplete character). */
  finish(): void {
    if (this.pending.length > 0) this.flush(this.detokenize(this.pending));
  }

  /** Cuts the text at `length` characters (a stop string starts there), trimming the pieces to match. */
  truncate(length: number): void {
    this.finish();
    if (length >= this.text_.length) return;
    this.text_ = this.text_.slice(0, length);
    let at = 0;
    let keep = 0;
    for (const p of this.pieces) {
      if (at >= length) break;
      if (at + p.text.length > length) {
        p.text = p.text.slice(0, length - at);
        this.pieceIds[keep] = []; // a cut piece no longer matches its tokens
      }
      at += p.text.length;
      keep++;
    }
    this.pieces.length = keep;
    this.pieceIds.length = keep;
  }

  /** The longest start of the text that whole tokens produce, with those tokens. */
  tokenisedPrefix(): { text: string; ids: number[] } {
    let text = "";
    const ids: number[] = [];
    for (const [i, p] of this.pieces.entries()) {
      const pieceIds = this.pieceIds[i]!;
      if (pieceIds.length === 0) break;
      text += p.text;
      ids.push(...pieceIds);
    }
    return { text, ids };
  }

  private flush(decoded: string): void {
    const piece: GeneratedToken = { text: decoded, logprob: this.pendingLogprob };
    if (this.pendingTop) piece.top = this.pendingTop;
    this.pieces.push(piece);
    this.pieceIds.push(this.pending);
    this.text_ += decoded;
    this.pending = [];
    this.pendingLogprob = 0;
    this.pendingTop = undefined;
  }
}

/** The earliest occurrence of any stop string in `text` at or after `from`, or null. */
export function findStop(
  text: string,
  stops: readonly string[],
  from: number,
): { at: number; stop: string } | null {
  let best: { at: number; stop: string } | null = null;
  for (const stop of stops) {
    if (!stop) continue;
    const at = text.indexOf(stop, Math.max(0, from));
    if (at >= 0 && (best === null || at < best.at)) best = { at, stop };
  }
  return best;
}

/**
 * Stop strings split by how they can end a sample. A stop that is one *added* token of the
 * vocabulary (`</think>`, `<｜end▁of▁sentence｜>`) ends it only when the model generates that token:
 * the same characters spelled out by plain tokens — a verifier quoting a candidate that wrote
 * `</think>` — are text the chain goes on after. Other stops (`\n\n`, words) match the text, since
 * ordinary tokens also appear merged into others (".\n\n").
 *
 * @param single the added token for a string, or null where it is not one
 */
export function splitStops<T>(
  stops: readonly string[],
  single: (stop: string) => T | null,
): { tokenStops: Map<T, string>; textStops: string[] } {
  const tokenStops = new Map<T, string>();
  const textStops: string[] = [];
  for (const stop of stops) {
    if (!stop) continue;
    const token = single(stop);
    if (token === null) textStops.push(stop);
    else tokenStops.set(token, stop);
  }
  return { tokenStops, textStops };
}
