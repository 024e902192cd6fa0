/**
 * Python string semantics the official code relies on, reproduced exactly so prompts are
 * byte-identical to the reference (thinkprm-spec.md §1.1).
 */

/**
 * Characters Python's `str.isspace()` accepts. JavaScript's `trim()` differs on two sets:
 * it keeps U+001C–U+001F (Python strips them) and strips U+FEFF (Python keeps it).
 */
const PY_WHITESPACE =
  "\t\n\u000b\u000c\r\u001c\u001d\u001e\u001f \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";

/**
 * Python's `s.strip()`.
 *
 * @example pyStrip("\u001f x \ufeff") // "x \ufeff" (JS trim() would give "\u001f x")
 */
export function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && PY_WHITESPACE.includes(s[start]!)) start++;
  while (end > start && PY_WHITESPACE.includes(s[end - 1]!)) end--;
  return s.slice(start, end);
}

/**
 * Python's `s.replace(old, new)`: every occurrence, literal on both sides.
 *
 * JavaScript's `replace`/`replaceAll` with a string replacement expands `$&`, `$$`, `` $` ``…,
 * and math text is full of `$`; a function replacer keeps the replacement literal.
 *
 * @example pyReplace("a {x} b {x}", "{x}", "$$1$$") // "a $$1$$ b $$1$$"
 */
export function pyReplace(s: string, old: string, replacement: string): string {
  if (old === "") return s; // never happens in our templates; Python would interleave
  return s.split(old).join(replacement);
}
