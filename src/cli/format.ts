/**
 * The human view of a verification: one line per step with ✓ / ✗ / ·, the score, the chains.
 * Everything that comes from the input or the model is printed through `safeText`: a control
 * character in a step or a chain never reaches the terminal as a command.
 */
import type { SolutionInput } from "../core/types.js";
import type { Verification, VerificationEvent } from "../verifier/types.js";
import { safeText } from "./safe-text.js";

const MARK = { correct: "✓", incorrect: "✗", unverified: "·" } as const;

function oneLine(text: string, width: number): string {
  const flat = safeText(text.replace(/\s+/g, " ").trim());
  return flat.length <= width ? flat : `${flat.slice(0, width - 1)}…`;
}

export function formatVerification(input: SolutionInput, v: Verification, label: string): string {
  const lines: string[] = [];
  const score =
    v.score === null ? "no score (every chain invalid)" : `score ${v.score.toFixed(4)} → ${v.decision}`;
  const tokens = v.usage.promptTokens + v.usage.reusedPromptTokens + v.usage.generatedTokens;
  lines.push(
    `${label}  ${score}  ·  ${v.validChains}/${v.chains.length} chains valid  ·  ${v.usage.generatedTokens} generated / ${tokens} tokens`,
  );
  v.stepVerdicts.forEach((verdict, i) => {
    const p = v.stepScores[i];
    const prob = p === null || p === undefined ? "" : `  (p=${p.toFixed(2)})`;
    lines.push(`  ${MARK[verdict]} Step ${i + 1}  ${oneLine(input.steps[i] ?? "", 70)}${prob}`);
  });
  if (v.firstIncorrectStep >= 0) lines.push(`  first error: step ${v.firstIncorrectStep + 1}`);
  for (const c of v.chains) {
    for (const problem of c.issues)
      lines.push(`  chain ${c.index + 1} invalid: ${problem.code}: ${safeText(problem.message)}`);
    for (const w of c.warnings)
      lines.push(`  chain ${c.index + 1} warning: ${w.code}: ${safeText(w.message)}`);
    if (c.earlyExit) {
      lines.push(
        `  chain ${c.index + 1} early exit at step ${c.earlyExit.atStep + 1}: ${c.earlyExit.stepsSkipped} steps skipped, ~${c.earlyExit.estimatedTokensSaved} tokens saved (estimate)`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Writes a verification to a terminal as it happens: each chain's text as it is generated, a ✓/✗
 * mark with the step number the moment a verdict lands, a header when another chain (or round)
 * takes over, each chain's decision. Returns the event handler; the summary comes after.
 */
export function streamToTerminal(
  write: (text: string) => void,
  colour: boolean,
): (event: VerificationEvent) => void {
  const paint = (code: string, text: string) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text);
  let current = -1;
  let atLineStart = true;
  const out = (text: string) => {
    if (text === "") return;
    write(text);
    atLineStart = text.endsWith("\n");
  };
  const newline = () => {
    if (!atLineStart) out("\n");
  };
  return (event) => {
    if (event.type === "done") return newline();
    if (event.chain !== current) {
      newline();
      out(paint("2", `── chain ${event.chain + 1} ──\n`));
      current = event.chain;
    }
    switch (event.type) {
      case "token":
        return out(safeText(event.text));
      case "step":
        return out(
          paint(event.verdict === "correct" ? "32" : "31", ` ${MARK[event.verdict]} step ${event.step + 1}`),
        );
      case "round":
        newline();
        return out(paint("2", `── round ${event.round} ──\n`));
      case "decision":
        newline();
        return out(
          paint(
            "1",
            `decision: ${event.valid && event.score !== null ? `P(Yes) share ${event.score.toFixed(4)}` : "invalid chain"}\n`,
          ),
        );
    }
  };
}
