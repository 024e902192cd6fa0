/**
 * Finding the final answer in a model output (or a reference solution), in priority order:
 * 1. `\boxed{…}` / `\fbox{…}`: the last one, joined with the boxes just before it when they sit
 *    together ("\boxed{1} and \boxed{2}");
 * 2. an answer phrase ("The final answer is …", "Final Answer: …", "the answer is", "Answer:",
 *    "Réponse", "答案"): what follows it;
 * 3. the last math span ($…$, $$…$$, \(…\), \[…\]) or the last number, whichever ends later;
 * 4. a short answer written plainly is taken whole.
 */
import { braceGroup, fixEscapes } from "./normalize.js";

/** The `\boxed` contents that form the answer (and where the last box ends), or null. */
export function boxedAnswer(text: string): { content: string; end: number } | null {
  const re = /\\(?:boxed|fbox)\s*(?=\{)/g;
  const boxes: { start: number; end: number; content: string }[] = [];
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const g = braceGroup(text, m.index + m[0].length);
    if (!g) continue;
    boxes.push({ start: m.index, end: g.end, content: g.content.trim() });
    re.lastIndex = g.end;
  }
  if (boxes.length === 0) return null;
  const group = [boxes.at(-1)!];
  for (let i = boxes.length - 2; i >= 0; i--) {
    const gap = text.slice(boxes[i]!.end, group[0]!.start);
    // boxes sitting together (a few connecting words, no new sentence) answer together
    if (gap.length > 60 || /[.!?]\s+[A-Z]/.test(gap) || /\n\s*\n/.test(gap)) break;
    group.unshift(boxes[i]!);
  }
  const distinct = [...new Set(group.map((b) => b.content))];
  return { content: distinct.join(", "), end: group.at(-1)!.end };
}

const MATH_SPAN =
  /\$\$([\s\S]+?)\$\$|(?<!\\)\$((?:\\\$|[^$])+?)(?<!\\)\$|\\\(([\s\S]+?)\\\)|\\\[([\s\S]+?)\\\]/g;

interface Span {
  content: string;
  start: number;
  end: number;
}

export function mathSpans(text: string): Span[] {
  const out: Span[] = [];
  for (const m of text.matchAll(MATH_SPAN)) {
    const content = (m[1] ?? m[2] ?? m[3] ?? m[4] ?? "").trim();
    if (content) out.push({ content, start: m.index, end: m.index + m[0].length });
  }
  return out;
}

const NUMBER =
  /\\frac\{-?\d+\}\{\d+\}|(?<![\w.])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?%?|(?<![\w.])-?\d+(?:\.\d+)?(?:\s*\/\s*\d+(?:\.\d+)?)?%?|(?<![\w\d])-?\.\d+/g;

function numbers(text: string): Span[] {
  return [...text.matchAll(NUMBER)].map((m) => ({
    content: m[0].replace(/\s+/g, ""),
    start: m.index,
    end: m.index + m[0].length,
  }));
}

const PHRASES = [
  /final answer is:?/gi,
  /the answer is:?/gi,
  /answer is:?/gi,
  /final answer:/gi,
  /\banswer:/gi,
  /réponse(?: est)?\s*:?/gi,
  /答案[是：:]?/g,
];

/** Text after the last answer phrase, cut at the end of its sentence, and where the phrase starts. */
function afterPhrase(text: string): { rest: string; at: number } | null {
  let best: { at: number; len: number } | null = null;
  for (const re of PHRASES) {
    for (const m of text.matchAll(re)) {
      if (!best || m.index + m[0].length > best.at + best.len) best = { at: m.index, len: m[0].length };
    }
  }
  if (!best) return null;
  let rest = text.slice(best.at + best.len);
  rest = rest.split(/I hope it is correct|<\|im_start\|>|<\|im_end\|>|\n\s*\n/)[0]!;
  // the sentence: up to ". " + capital, or the end (math spans may contain dots, so skip them)
  const spans = mathSpans(rest);
  const stop = [...rest.matchAll(/\.(\s+[A-Z]|\s*$)/g)].find(
    (m) => !spans.some((s) => m.index >= s.start && m.index < s.end),
  );
  if (stop) rest = rest.slice(0, stop.index);
  return { rest: rest.trim(), at: best.at };
}

/** The answer inside a phrase's sentence: after its last "is" when there is one ("The largest $n$ is 34"). */
function answerInPhrase(phrase: string): string | null {
  const is = [...phrase.matchAll(/\bis\s+/g)].at(-1);
  const tail = is ? phrase.slice(is.index + is[0].length) : phrase;
  const spans = mathSpans(tail);
  if (spans.length > 0) return joinedSpans(tail, spans) ?? spans[0]!.content;
  const plain = tail.trim().replace(/[.\s]+$/, "");
  if (plain && plain.length <= 40 && !isProse(plain)) return plain;
  const first = numbers(tail)[0];
  if (first) return first.content;
  const all = mathSpans(phrase);
  return all.length > 0 ? all[0]!.content : null;
}

/** Running text rather than a written-out answer: non-Latin script, or four words or more. */
function isProse(text: string): boolean {
  if (/[\u3000-\u9fff\u0600-\u06ff\u0900-\u097f]/.test(text)) return true;
  return (text.replace(/\\[A-Za-z]+/g, " ").match(/[A-Za-z]{2,}/g) ?? []).length >= 4;
}
const CONNECTORS = /^(?:[\s,;.:]|and|or|percent|percentage|pct|%|degrees?)*$/i;

/** Several math spans joined only by "and", "or", commas or "%" are one answer ("$1$ and $2$"). */
function joinedSpans(text: string, spans: Span[]): string | null {
  if (spans.length < 2) return null;
  let residue = text;
  for (const s of [...spans].reverse()) residue = residue.slice(0, s.start) + " " + residue.slice(s.end);
  return CONNECTORS.test(residue.replace(/\\text\{([^}]*)\}/g, "$1").replace(/\\?["“”]/g, "")) ? text : null;
}

/** The answer part of `text`, not yet normalised. */
export function extractAnswer(raw: string): string {
  // a literal "\n" typed as two characters is a line break, unless it starts a command (\neq)
  const text = fixEscapes(raw).replace(/\\n(?![a-z])/g, "\n");
  const boxed = boxedAnswer(text);
  const phrase = afterPhrase(text);
  const phraseAnswer = phrase ? answerInPhrase(phrase.rest) : null;
  // whichever comes last: a box, or an answer phrase written after it — unless the phrase holds no
  // math at all ("…so our answer is correct.")
  const phraseHasMath = phraseAnswer !== null && /[\d\\^=]/.test(phraseAnswer);
  if (boxed !== null && (!phraseHasMath || boxed.end > phrase!.at)) return boxed.content;
  if (phraseAnswer !== null) return phraseAnswer;

  const spans = mathSpans(text);
  if (spans.length > 0) {
    const joined = joinedSpans(text, spans);
    if (joined !== null) return joined;
    const lastSpan = spans.at(-1)!;
    const lastNumber = numbers(text)
      .filter((n) => !spans.some((s) => n.start >= s.start && n.end <= s.end))
      .at(-1);
    if (lastNumber && lastNumber.start >= lastSpan.end) return lastNumber.content;
    return lastSpan.content;
  }
  if (isProse(text)) {
    const last = numbers(text).at(-1);
    if (last) return last.content;
  }
  return text.trim();
}
