/**
 * Text from input files and models, made safe to print on a terminal. An ESC or other control
 * character in an id, a step or a streamed chain would reach the terminal as a command: clear the
 * screen, recolour, set the window title (`ESC ] 0 ; … BEL`), move the cursor over earlier lines.
 * Every C0 control (but newline and tab), DEL and every C1 control (U+0080–U+009F, which some
 * terminals obey as 8-bit escapes) is shown as a visible escape instead (`\x1b`), and so are the
 * bidirectional controls (U+200E/F, U+202A–E, U+2066–9), which reorder what is displayed (a step
 * that reads right but is not: "Trojan Source"). JSON output needs none of this: JSON.stringify
 * escapes control characters itself.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * @example
 * safeText("a\x1b[2Jb\tc\n") // "a\\x1b[2Jb\tc\n" (the ESC shown as the four characters \x1b)
 * safeText("ok")             // "ok"
 */
export function safeText(text: string): string {
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code > 0xff ? `\\u${code.toString(16)}` : `\\x${code.toString(16).padStart(2, "0")}`;
  });
}

/**
 * A CSV cell that a spreadsheet will not run as a formula (OWASP "CSV injection"): a value that
 * starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, then the cell is
 * quoted when it holds a quote, comma or line break. Numbers are written as they are (a negative
 * score is a number, not a formula). Control characters are shown as escapes, as by `safeText`.
 *
 * @example
 * csvCell("=HYPERLINK(\"http://x\")") // "'=HYPERLINK(\"\"http://x\"\")" wrapped in quotes
 * csvCell(-1)                           // "-1"
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  // control characters shown as escapes too: a CSV is as often printed as opened (line breaks and
  // tabs stay, quoted)
  let s = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  if (typeof value === "string") s = safeText(s);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
