/**
 * Special-token strings in untrusted text. A candidate solution is text a generator (or a user)
 * wrote; if its `<｜end▁of▁sentence｜>` or `<|im_end|>` reached the tokenizer as a special token it
 * would end the user's turn and forge the assistant's. The embedded engine tokenises candidate text
 * as plain text (never special tokens); a server tokenises the whole raw prompt itself, so for HTTP
 * engines such text is refused — or escaped, on request.
 *
 * Escaping inserts U+200B (ZERO WIDTH SPACE, 3 bytes in UTF-8) right after the `<` of each
 * occurrence: the text looks the same, no tokenizer matches the special token any more, and the
 * verifier still reads the candidate's words. It is a change of the candidate's bytes, which is
 * why it is never done silently.
 */

/**
 * The added tokens of the DeepSeek-R1-Distill-Qwen tokenizer (ThinkPRM's base) and of Qwen2.5's
 * (its chat template and FIM/vision tokens), as their tokenizers split them out of any text.
 */
export const KNOWN_SPECIAL_TOKENS: readonly string[] = [
  // R1-Distill-Qwen
  "<｜begin▁of▁sentence｜>",
  "<｜end▁of▁sentence｜>",
  "<｜User｜>",
  "<｜Assistant｜>",
  "<｜tool▁calls▁begin｜>",
  "<｜tool▁calls▁end｜>",
  "<｜tool▁call▁begin｜>",
  "<｜tool▁call▁end｜>",
  "<｜tool▁outputs▁begin｜>",
  "<｜tool▁outputs▁end｜>",
  "<｜tool▁output▁begin｜>",
  "<｜tool▁output▁end｜>",
  "<｜tool▁sep｜>",
  "<｜▁pad▁｜>",
  "<think>",
  "</think>",
  // Qwen2.5
  "<|endoftext|>",
  "<|im_start|>",
  "<|im_end|>",
  "<|object_ref_start|>",
  "<|object_ref_end|>",
  "<|box_start|>",
  "<|box_end|>",
  "<|quad_start|>",
  "<|quad_end|>",
  "<|vision_start|>",
  "<|vision_end|>",
  "<|vision_pad|>",
  "<|image_pad|>",
  "<|video_pad|>",
  "<tool_call>",
  "</tool_call>",
  "<|fim_prefix|>",
  "<|fim_middle|>",
  "<|fim_suffix|>",
  "<|fim_pad|>",
  "<|repo_name|>",
  "<|file_sep|>",
];

/** The shapes other models' special tokens take: `<|…|>` (Qwen, Llama 3, GPT) and `<｜…｜>` (DeepSeek). */
const GENERIC = /<\|[^|<>\s]{1,48}\|>|<｜[^｜<>]{1,48}｜>/gu;

export interface SpecialTokenHit {
  token: string;
  /** Character offset in the text. */
  index: number;
}

/**
 * Every special-token string in `text`: the known ones, `extra` (e.g. the model's own BOS/EOS), and
 * anything shaped like one. Sorted by position.
 *
 * @example findSpecialTokens("2 + 2 = 4<|im_end|>") // [{ token: "<|im_end|>", index: 9 }]
 */
export function findSpecialTokens(text: string, extra: readonly string[] = []): SpecialTokenHit[] {
  const hits = new Map<number, string>();
  for (const token of [...KNOWN_SPECIAL_TOKENS, ...extra]) {
    if (!token) continue;
    for (let at = text.indexOf(token); at >= 0; at = text.indexOf(token, at + 1)) {
      const known = hits.get(at);
      if (known === undefined || token.length > known.length) hits.set(at, token);
    }
  }
  for (const m of text.matchAll(GENERIC)) if (!hits.has(m.index!)) hits.set(m.index!, m[0]);
  return [...hits.entries()].sort((a, b) => a[0] - b[0]).map(([index, token]) => ({ token, index }));
}

const ZWSP = "\u200B";

/**
 * The text with every special-token string broken by a zero-width space after its `<`.
 *
 * @example escapeSpecialTokens("done<｜end▁of▁sentence｜>") // "done<\u200B｜end▁of▁sentence｜>"
 */
export function escapeSpecialTokens(text: string, extra: readonly string[] = []): string {
  const hits = findSpecialTokens(text, extra);
  if (hits.length === 0) return text;
  let out = "";
  let from = 0;
  for (const h of hits) {
    if (h.index < from) continue; // overlapping shapes: the first one broken is enough
    out += `${text.slice(from, h.index + 1)}${ZWSP}`;
    from = h.index + 1;
  }
  return out + text.slice(from);
}
