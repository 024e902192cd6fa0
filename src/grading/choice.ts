/**
 * Multiple-choice answers (GPQA): the chosen letter from `\boxed{C}`, "The answer is (C)",
 * "Answer: C", or a last standalone "(C)".
 */
import { boxedAnswer } from "./extract.js";
import { fixEscapes } from "./normalize.js";

const LETTER = "[A-J]";

/** The letter a model chose, or null. */
export function extractChoice(text: string, letters = "ABCD"): string | null {
  const t = fixEscapes(text);
  const ok = (c: string | undefined) => (c && letters.includes(c.toUpperCase()) ? c.toUpperCase() : null);
  const boxed = boxedAnswer(t)
    ?.content.replace(/\\text\{([^}]*)\}/g, "$1")
    .replace(/[()\s.]/g, "");
  if (boxed && boxed.length === 1) return ok(boxed);
  const phrases = [
    new RegExp(`answer is\\s*:?\\s*\\(?(${LETTER})\\)?(?![A-Za-z])`, "gi"),
    new RegExp(`answer\\s*:\\s*\\(?(${LETTER})\\)?(?![A-Za-z])`, "gi"),
    new RegExp(`\\((${LETTER})\\)`, "g"),
  ];
  for (const re of phrases) {
    const last = [...t.matchAll(re)].at(-1);
    if (last) return ok(last[1]);
  }
  return null;
}

export function isChoiceCorrect(gold: string, pred: string, letters = "ABCD"): boolean {
  const g = gold.trim().toUpperCase().replace(/[()]/g, "");
  return extractChoice(pred, letters) === g;
}
