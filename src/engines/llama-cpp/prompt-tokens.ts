/**
 * Prompts as token ids for the embedded engine. Candidate text (the plain spans of a prompt) is
 * tokenised as plain text, so nothing in it becomes a control token; and texts this engine
 * produced are remembered with their exact ids, so a later prompt continuing one keeps them.
 */
import type { LlamaModel, Token } from "node-llama-cpp";
import { findSpecialTokens } from "../../core/special-tokens.js";

export class PromptTokenizer {
  /**
   * Texts whose tokens are known because the engine produced them (a prompt it tokenised plus what
   * it generated). A later prompt that continues one of them keeps those exact tokens, so the KV
   * cache is reused even where re-tokenising the generated text would split it differently.
   */
  private known: Known[] = [];

  constructor(
    private readonly model: LlamaModel,
    /** Texts of the vocabulary's added tokens (control and user-defined). */
    private readonly addedTokens: readonly string[],
  ) {}

  /** Forgets every known text. */
  reset(): void {
    this.known = [];
  }

  /**
   * The ids of `prompt`, continuing the longest known text it starts with. A known text is reused
   * when its prompt part was tokenised with the same plain spans; its generated part is the
   * model's own ids, right whether the caller marks it plain or not.
   */
  tokenize(prompt: string, plainSpans?: readonly (readonly [number, number])[]): Token[] {
    let best: Known | undefined;
    for (const k of this.known)
      if (
        k.text.length > (best?.text.length ?? 0) &&
        prompt.startsWith(k.text) &&
        k.plain === spanKey(plainSpans, k.promptEnd)
      )
        best = k;
    if (!best) return this.tokenizeFrom(prompt, 0, plainSpans);
    const rest = prompt.slice(best.text.length);
    return rest ? [...best.ids, ...this.tokenizeFrom(rest, best.text.length, plainSpans)] : [...best.ids];
  }

  /**
   * Tokens of `text` (which starts at `offset` of the prompt): the parts inside plain spans as
   * plain text — a candidate's `<｜end▁of▁sentence｜>` stays characters — the rest with special
   * tokens parsed. The spans sit between the template's own special tokens, where tokenizers split
   * anyway, so the ids equal those of a tokenizer that splits on special tokens first.
   */
  private tokenizeFrom(
    text: string,
    offset: number,
    plainSpans?: readonly (readonly [number, number])[],
  ): Token[] {
    const end = offset + text.length;
    const spans = (plainSpans ?? [])
      .map(([a, b]) => [Math.max(a, offset), Math.min(b, end)] as const)
      .filter(([a, b]) => b > a)
      .sort((x, y) => x[0] - y[0]);
    if (spans.length === 0) return this.model.tokenize(text, true);
    const out: Token[] = [];
    let at = offset;
    for (const [a, b] of spans) {
      if (a > at) out.push(...this.model.tokenize(text.slice(at - offset, a - offset), true));
      if (b > Math.max(a, at))
        out.push(...this.tokenizePlain(text.slice(Math.max(a, at) - offset, b - offset)));
      at = Math.max(at, b);
    }
    if (at < end) out.push(...this.model.tokenize(text.slice(at - offset), true));
    return out;
  }

  /**
   * Untrusted text as plain text. llama.cpp's tokenizer without special-token parsing still matches
   * *user-defined* added tokens (R1's `<think>`), so every occurrence of any added token's text —
   * the model's own, the known ones, anything shaped like one — gets a tokenisation boundary just
   * after its first character: no added or control token can match, and the bytes are unchanged.
   */
  private tokenizePlain(text: string): Token[] {
    const hits = findSpecialTokens(text, this.addedTokens);
    if (hits.length === 0) return this.model.tokenize(text, false);
    const out: Token[] = [];
    let from = 0;
    for (const h of hits) {
      const cut = h.index + 1;
      if (cut <= from) continue;
      out.push(...this.model.tokenize(text.slice(from, cut), false));
      from = cut;
    }
    if (from < text.length) out.push(...this.model.tokenize(text.slice(from), false));
    return out;
  }

  /**
   * Keeps `text`'s ids: a prompt (its first `promptEnd` characters, tokenised with `plainSpans`)
   * plus what was generated after it. The 16 most recent are kept.
   */
  remember(
    text: string,
    ids: Token[],
    promptEnd: number,
    plainSpans?: readonly (readonly [number, number])[],
  ): void {
    const plain = spanKey(plainSpans, promptEnd);
    this.known = [
      { text, ids, promptEnd, plain },
      ...this.known.filter((k) => k.text !== text || k.plain !== plain),
    ].slice(0, 16);
  }
}

interface Known {
  text: string;
  ids: Token[];
  /** Where the prompt ends and the generated text begins. */
  promptEnd: number;
  /** The plain spans within the prompt part (`spanKey`). */
  plain: string;
}

/** Plain spans within [0, end), sorted and merged where they touch, as a comparable string. */
function spanKey(spans: readonly (readonly [number, number])[] | undefined, end: number): string {
  const clipped = (spans ?? [])
    .map(([a, b]) => [Math.max(0, a), Math.min(b, end)] as [number, number])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const [a, b] of clipped) {
    const last = merged.at(-1);
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  return JSON.stringify(merged);
}
