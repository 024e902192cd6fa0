/**
 * Normalising a final answer's text (the MATH `strip_string` rules and beyond) before it is split
 * into elements and parsed: delimiters, \left/\right, spacing, \text{} and units, percent, degrees,
 * currency, thousands separators, \dfrac/\tfrac, single-token \frac12 and \sqrt3, escaping artifacts.
 */

/** Source strings sometimes carry doubled backslashes (`\\frac`) or a stray trailing one (`185\`). */
export function fixEscapes(s: string): string {
  return s.replace(/\\\\(?=[A-Za-z])/g, "\\").replace(/\\+$/, "");
}

/** Content of the first `{…}` group starting at `open` (the index of `{`), with its end. */
export function braceGroup(s: string, open: number): { content: string; end: number } | null {
  if (s[open] !== "{") return null;
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (c === "{") depth++;
    else if (c === "}") {
      depth--;
      if (depth === 0) return { content: s.slice(open + 1, i), end: i + 1 };
    }
  }
  return null;
}

/** Replaces `\cmd{X}` by `fn(X)` for each occurrence, brace-matched. */
function replaceCommand(s: string, cmds: string[], fn: (content: string) => string): string {
  const re = new RegExp(`\\\\(?:${cmds.join("|")})\\s*(?=\\{)`, "g");
  let out = "";
  let last = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    const g = braceGroup(s, m.index + m[0].length);
    if (!g) continue;
    out += s.slice(last, m.index) + fn(g.content);
    last = g.end;
    re.lastIndex = g.end;
  }
  return out + s.slice(last);
}

const UNIT_WORDS =
  /\s*\b(?:square|cubic|sq\.?|units?|unit\^2|meters?|metres?|centimeters?|cm|mm|km|m|kg|g|grams?|inches|inch|in|feet|foot|ft|yards?|miles?|hours?|hrs?|minutes?|mins?|seconds?|secs?|days?|weeks?|years?|dollars?|cents?|yuan|euros?|degrees?|radians?|points?|people|students|pages?|cookies|marbles|apples|ways|times|kilograms?|liters?|litres?|ml)\b(?:\^\{?[23]\}?)?/gi;

/**
 * The normalised text of one answer. Pure; the worked examples are the acceptance cases.
 *
 * @example normalizeAnswer("$\\boxed{28 percent}") // "28"
 * @example normalizeAnswer("\\$1,000.99") // "1000.99"
 * @example normalizeAnswer("\\left( \\frac{1}{3} \\right)") // "(\\frac{1}{3})"
 */
export function normalizeAnswer(raw: string): string {
  let s = fixEscapes(raw);
  s = s.replace(/\\n(?![a-z])/g, " ").replace(/\n/g, " ");
  s = replaceCommand(s, ["boxed", "fbox"], (c) => c);
  // math delimiters
  s = s.replace(/\\\[|\\\]|\\\(|\\\)/g, " ");
  s = s.replace(/\\\$/g, " ").replace(/\$/g, " ");
  s = s.replace(/\\displaystyle|\\limits/g, "");
  // thousands separators written with a thin space or a brace: 12,\!000  14{,}916
  s = s.replace(/(\d)\s*\{\s*,\s*\}\s*(?=\d{3})/g, "$1").replace(/(\d),\\!\s*(?=\d{3}(?!\d))/g, "$1");
  // unicode
  s = s
    .replace(/−/g, "-")
    .replace(/×/g, "\\times ")
    .replace(/÷/g, "\\div ")
    .replace(/≤/g, "\\le ")
    .replace(/≥/g, "\\ge ")
    .replace(/≠/g, "\\ne ")
    .replace(/∞/g, "\\infty ")
    .replace(/π/g, "\\pi ")
    .replace(/√/g, "\\sqrt ")
    .replace(/°/g, "");
  // \left( … \right) and sizing
  s = s
    .replace(/\\left\.|\\right\./g, "")
    .replace(/\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big|bigg|Bigg)\s*(?=[()[\]|]|\\[{}|])/g, "");
  // degrees and percent
  s = s.replace(/\^\s*\{?\s*\\circ\s*\}?/g, "").replace(/\\circ|\\degree/g, "");
  s = s.replace(/\\%/g, "%");
  // spacing
  s = s.replace(/(?<!\\)\\[,;:!>]|\\quad|\\qquad|~/g, " ").replace(/(?<!\\)\\ /g, " ");
  // \text{…} right after a number is a unit or a remark: dropped (but "\text{ and }" separates)
  s = s.replace(
    /(\d|\})\s*\\(?:text|textbf|textit|textnormal|textrm|mbox)\s*\{(?!\s*(?:and|or)\s*\})\s*[A-Za-z][^{}]*\}(?:\^\{?[23]\}?)?/g,
    "$1",
  );
  // text-like commands become their text (a unit after a number is dropped below)
  s = replaceCommand(
    s,
    [
      "text",
      "textbf",
      "textit",
      "textnormal",
      "textrm",
      "mbox",
      "mathrm",
      "mathit",
      "mathsf",
      "mathbf",
      "operatorname",
    ],
    (c) => ` ${c} `,
  );
  // single-token \frac and \sqrt arguments: \frac13, \frac3{3}, \sqrt3
  s = s
    .replace(/\\[dtc]?frac\s*(\d)\s*(\d)/g, "\\frac{$1}{$2}")
    .replace(/\\[dtc]?frac\s*(\d)\s*\{/g, "\\frac{$1}{")
    .replace(/\\[dtc]?frac/g, "\\frac")
    .replace(/\\frac\{([^{}]*)\}\s*(\d)/g, "\\frac{$1}{$2}");
  // ordinals: 12^{th}, 12th, 3^{\text{rd}}
  s = s.replace(/(\d)\s*\^?\s*\{?\s*(?:st|nd|rd|th)\s*\}?(?![A-Za-z])/g, "$1");
  // percent words; units after numbers
  s = s.replace(/(\d|\})\s*(?:%|percentage|percent|pct)(?![a-z])/gi, "$1").replace(/%/g, "");
  s = s.replace(
    /(\d|\})(\s*(?:\^\{?[23]\}?)?)((?:\s*[a-zA-Z][a-zA-Z.]+)+)\s*(\^\{?[23]\}?)?\s*$/,
    (whole, d, _e, words: string) => (words.replace(UNIT_WORDS, "").trim() === "" ? d : whole),
  );
  s = s.replace(/(\d)\s+(?:degrees?|units?)\b/gi, "$1");
  // thousands separators: 7,425,000  1 000 (not "32, 349", which is a list)
  // (not inside a tuple or interval, where "(12,102)" is two numbers)
  s = s.replace(/(?<![\d.,([{;]\s*)(?<![\d.])\d{1,3}(?:,\d{3})+(?![\d,])/g, (m) => m.replace(/,/g, ""));
  s = s.replace(/(?<![\d.,([{;])(?<![\d.] )\b\d{1,3}(?: \d{3})+(?![\d.])/g, (m) => m.replace(/ /g, ""));
  // plain numbers: leading +, leading zeros (033 → 33), a bare leading dot (.4 → 0.4)
  s = s.replace(/(^|[^\d.])\.(\d)/g, "$10.$2");
  s = s.replace(/(^|[(,=]\s*)\+(?=\d)/g, "$1");
  s = s.replace(/(^|[^\w.])0+(\d)/g, "$1$2");
  // trailing punctuation
  s = s.replace(/[\s.,;:]+$/g, "").replace(/^[\s,;:]+/, "");
  return s.replace(/\s+/g, " ").trim();
}
