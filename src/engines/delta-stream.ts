/**
 * Streaming a sample's text without ever taking a piece back: text that could still turn out to be
 * the start of a stop string (which is not part of the result) is held back until it is known not
 * to be, so the deltas always concatenate to exactly the final text.
 */
import type { CompletionDelta } from "./types.js";

/** Length of the longest suffix of `text` that is a proper prefix of some stop string. */
export function heldBack(text: string, stops: readonly string[]): number {
  let hold = 0;
  for (const stop of stops) {
    for (let k = Math.min(stop.length - 1, text.length); k > hold; k--) {
      if (text.endsWith(stop.slice(0, k))) {
        hold = k;
        break;
      }
    }
  }
  return hold;
}

export class DeltaEmitter {
  private sent = 0;
  constructor(
    private readonly index: number,
    private readonly stops: readonly string[],
    private readonly emit: ((delta: CompletionDelta) => void) | undefined,
  ) {}

  /** The sample's text so far (no stop string found in it yet): sends what is safe. */
  update(text: string): void {
    if (!this.emit) return;
    const safe = text.length - heldBack(text, this.stops);
    if (safe > this.sent) {
      this.emit({ index: this.index, text: text.slice(this.sent, safe) });
      this.sent = safe;
    }
  }

  /** The sample's final text: sends the rest. */
  finish(text: string): void {
    if (!this.emit || text.length <= this.sent) return;
    this.emit({ index: this.index, text: text.slice(this.sent) });
    this.sent = text.length;
  }
}
