/**
 * A small byte-level BPE vocabulary (GPT-2 / Qwen style) for generated test models: the 256 byte
 * tokens, merge chains for chosen words, and special tokens.
 */
import { GgufTokenType } from "./gguf-format.js";

/** GPT-2's `bytes_to_unicode`: every byte gets a printable character. */
export function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table: string[] = new Array(256);
  for (const b of printable) table[b] = String.fromCodePoint(b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (table[b] === undefined) table[b] = String.fromCodePoint(256 + n++);
  return table;
}

export interface ByteBpeVocab {
  tokens: string[];
  types: GgufTokenType[];
  merges: string[];
  /** Token id of each special token text. */
  special: Record<string, number>;
}

/**
 * Builds a vocabulary: byte tokens (ids 0–255 in byte order), then for each word a left-to-right
 * merge chain (so " Yes" becomes one token), then the special tokens.
 */
export function buildByteBpeVocab(
  words: readonly string[],
  specials: readonly { text: string; type: GgufTokenType.CONTROL | GgufTokenType.USER_DEFINED }[],
): ByteBpeVocab {
  const table = bytesToUnicode();
  const tokens = [...table];
  const types: GgufTokenType[] = tokens.map(() => GgufTokenType.NORMAL);
  const index = new Map(tokens.map((t, i) => [t, i]));
  const merges: string[] = [];
  for (const word of words) {
    const pieces = [...Buffer.from(word, "utf8")].map((b) => table[b]!);
    let current = pieces[0]!;
    for (const next of pieces.slice(1)) {
      const merged = current + next;
      if (!index.has(merged)) {
        merges.push(`${current} ${next}`);
        index.set(merged, tokens.length);
        tokens.push(merged);
        types.push(GgufTokenType.NORMAL);
      }
      current = merged;
    }
  }
  const special: Record<string, number> = {};
  for (const s of specials) {
    special[s.text] = tokens.length;
    tokens.push(s.text);
    types.push(s.type);
  }
  return { tokens, types, merges, special };
}
