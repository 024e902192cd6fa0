/**
 * Cutting model and dataset text into plain text, math to typeset, and step verdicts (pure). The
 * page typesets the math with KaTeX and writes the text through `textContent`; nothing here ever
 * becomes HTML.
 *
 * Delimiters: `$…$`, `$$…$$`, `\(…\)`, `\[…\]`, and a bare `\boxed{…}` outside them (solutions end
 * with `\boxed{answer}` without any `$`). A single `$` follows pandoc's rule so that prices stay
 * text: it opens only before a non-space, closes only after a non-space and not before a digit,
 * and never spans a blank line ("$20 for a shirt and $30 for…" has no math).
 */
import { extractJudgments } from "../core/parse-chain.js";

/**
 * One piece of text, as a compact tuple (a report embeds thousands): `t` plain text, `m` inline
 * math, `d` display math, `v` a step verdict `\boxed{correct|incorrect}` with its 0-based step
 * (the step the chain parser tied it to).
 */
export type Segment =
  | readonly ["t", string]
  | readonly ["m", string]
  | readonly ["d", string]
  | readonly ["v", string, "correct" | "incorrect", number];

/** Longest math accepted between delimiters; beyond it the text stays text (a stray `$`, not a formula). */
const MAX_MATH = 8000;
/** Longest bare `\boxed{…}` argument. */
const MAX_BOXED = 2000;

const VERDICT_AT = /\\boxed\s*\{\s*(?:\\(?:text|textbf|mathrm)\s*\{\s*[A-Za-z]+\s*\}|[A-Za-z]+)\s*\}/y;

/** The index of the `}` closing the group opened at `open` (a `{`), or -1. `\{` and `\}` do not count. */
function closingBrace(text: string, open: number, limit: number): number {
  let depth = 0;
  const end = Math.min(text.length, open + limit);
  for (let i = open; i < end; i++) {
    const c = text[i];
    if (c === "\\") i++;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i;
  }
  return -1;
}

/** Three words in a row outside commands: prose caught between two prices, not a formula. */
const PROSE = /(?:^|[^\\A-Za-z])[A-Za-z]{2,}\s+[A-Za-z]{2,}\s+[A-Za-z]{2,}/;
const TEXT_GROUPS = /\\(?:text\w*|mathrm|operatorname|mbox)\s*\{[^{}]*\}/g;

/**
 * Where an inline `$` opened at `open` closes, or -1. The first unescaped `$` after it must close
 * it (not after a space, not before a digit, no blank line between), and what lies between must
 * not read as prose; so "$20 for a shirt and $30" stays text while "$ n\times n$" is math.
 */
function closingDollar(text: string, open: number): number {
  if (text[open + 1] === undefined || text[open + 1] === "$") return -1;
  const end = Math.min(text.length, open + 1 + MAX_MATH);
  for (let i = open + 1; i < end; i++) {
    const c = text[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (c === "\n" && text[i + 1] === "\n") return -1;
    if (c === "$") {
      if (/\s/.test(text[i - 1]!) || /\d/.test(text[i + 1] ?? "")) return -1;
      return PROSE.test(text.slice(open + 1, i).replace(TEXT_GROUPS, "")) ? -1 : i;
    }
  }
  return -1;
}

/** Math environments that mean display math even without `$$` around them (MATH solutions use them bare). */
const BARE_ENVIRONMENTS =
  /\\begin\{((?:align|aligned|alignat|equation|gather|gathered|multline|split|cases|array|matrix|pmatrix|bmatrix|vmatrix|Bmatrix|Vmatrix)\*?)\}/y;

/** Index of `close` after `from`, skipping backslash escapes, within MAX_MATH; -1 if absent. */
function closingToken(text: string, from: number, close: string): number {
  const end = Math.min(text.length, from + MAX_MATH + close.length);
  for (let i = from; i < end; i++) {
    if (text.startsWith(close, i)) return i;
    if (text[i] === "\\") i++;
  }
  return -1;
}

/**
 * What KaTeX needs to typeset math the way its writer meant it: a `$` inside math is a dollar sign
 * (`\\boxed{$7455}`, `\\(\\frac{$100}{5}\\)`), `%` on one line is a percent sign, not a comment
 * eating the closing brace (`\\boxed{66.67%}`), and a form feed or backspace character is a `\\f`/`\\b`
 * that a JSON encoder turned into a control character (`\\frac` → U+000C "rac").
 *
 * @example repairMath("\\boxed{66.67%}") // "\\boxed{66.67\\%}"
 */
export function repairMath(tex: string): string {
  const oneLine = !tex.includes("\n");
  let out = "";
  for (let i = 0; i < tex.length; i++) {
    const c = tex[i]!;
    if (c === "\\") {
      out += c + (tex[i + 1] ?? "");
      i++;
    } else if (c === "$" || (c === "%" && oneLine)) out += `\\${c}`;
    else if (c === "\f") out += "\\f";
    else if (c === "\b") out += "\\b";
    else out += c;
  }
  return out;
}

function pushText(out: Segment[], s: string): void {
  if (s === "") return;
  const last = out.at(-1);
  if (last?.[0] === "t") out[out.length - 1] = ["t", last[1] + s];
  else out.push(["t", s]);
}

/**
 * Text and math segments of `text` (no verdicts).
 *
 * @example splitMath("So \\(1/3 \\times 18 = 6\\) and $x^2$ cost $5.")
 * // [["t","So "],["m","1/3 \\times 18 = 6"],["t"," and "],["m","x^2"],["t"," cost $5."]]
 */
export function splitMath(text: string): Segment[] {
  const out: Segment[] = [];
  let plain = 0;
  let i = 0;
  const emit = (start: number, end: number, seg: Segment) => {
    pushText(out, text.slice(plain, start));
    const body = seg[1].trim();
    if (body === "") pushText(out, text.slice(start, end));
    else out.push(seg[0] === "v" ? seg : ([seg[0], repairMath(body)] as Segment));
    plain = end;
    i = end;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === "\\") {
      const next = text[i + 1];
      if (next === "(" || next === "[") {
        const close = closingToken(text, i + 2, next === "(" ? "\\)" : "\\]");
        if (close >= 0) {
          emit(i, close + 2, [next === "(" ? "m" : "d", text.slice(i + 2, close)]);
          continue;
        }
      } else if (next === "$") {
        // an escaped dollar is a dollar sign
        pushText(out, text.slice(plain, i));
        pushText(out, "$");
        plain = i + 2;
        i += 2;
        continue;
      } else if (next === "b" && text.startsWith("begin{", i + 1)) {
        BARE_ENVIRONMENTS.lastIndex = i;
        const env = BARE_ENVIRONMENTS.exec(text)?.[1];
        const close = env === undefined ? -1 : closingToken(text, i, `\\end{${env}}`);
        if (close >= 0) {
          const end = close + `\\end{${env}}`.length;
          emit(i, end, ["d", text.slice(i, end)]);
          continue;
        }
      } else if (text.startsWith("boxed", i + 1)) {
        const open = text.indexOf("{", i + 6);
        if (open >= 0 && text.slice(i + 6, open).trim() === "") {
          const close = closingBrace(text, open, MAX_BOXED);
          if (close >= 0) {
            emit(i, close + 1, ["m", text.slice(i, close + 1)]);
            continue;
          }
        }
      }
      i += 2;
      continue;
    }
    if (c === "$") {
      if (text[i + 1] === "$") {
        const close = closingToken(text, i + 2, "$$");
        if (close >= 0) {
          emit(i, close + 2, ["d", text.slice(i + 2, close)]);
          continue;
        }
        i += 2;
        continue;
      }
      const close = closingDollar(text, i);
      if (close >= 0) {
        emit(i, close + 1, ["m", text.slice(i + 1, close)]);
        continue;
      }
    }
    i++;
  }
  pushText(out, text.slice(plain));
  return out;
}

/**
 * Segments of a verification chain: the step verdicts the chain parser counts (`extractJudgments`,
 * so what is highlighted is exactly what was scored), and text and math between them.
 *
 * @example splitChain("Step 1: $2+2=4$ \\boxed{correct}", 1)
 * // [["t","Step 1: "],["m","2+2=4"],["t"," "],["v","\\boxed{correct}","correct",0]]
 */
export function splitChain(text: string, stepCount?: number): Segment[] {
  const out: Segment[] = [];
  let from = 0;
  for (const j of extractJudgments(text, stepCount)) {
    if (j.offset < from) continue;
    VERDICT_AT.lastIndex = j.offset;
    const m = VERDICT_AT.exec(text);
    if (!m) continue;
    for (const s of splitMath(text.slice(from, j.offset))) {
      if (s[0] === "t") pushText(out, s[1]);
      else out.push(s);
    }
    out.push(["v", m[0], j.verdict, j.stepIndex]);
    from = j.offset + m[0].length;
  }
  for (const s of splitMath(text.slice(from))) {
    if (s[0] === "t") pushText(out, s[1]);
    else out.push(s);
  }
  return out;
}
