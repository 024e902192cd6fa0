/**
 * Cutting a free-form solution into steps with a language model (the official issue #2: "extract
 * the essential steps with another LLM"). The model is asked to copy the text into `Step k:`
 * lines; if its steps do not cover the original (it summarised, rewrote, or stopped), the
 * deterministic splitter is used instead and the result says so.
 */
import { splitByStepHeaders, splitSteps } from "../core/step-split.js";
import { type ChatTemplate, renderChat } from "../engines/chat-template.js";
import type { Engine } from "../engines/types.js";

export const SPLITTER_INSTRUCTION =
  'Split the following solution into its steps. Copy the text exactly, without changing, adding or dropping anything. Write each step on its own line, starting with "Step 1:", "Step 2:", and so on.\n\nSolution:\n';

export interface SplitResult {
  steps: string[];
  /** `llm` when the model's split was used, `fallback` when the deterministic one replaced it. */
  method: "llm" | "fallback";
  /** Share of the original's characters found in the model's steps. */
  coverage: number;
}

const letters = (s: string) => s.replace(/\s+/g, "");

/** The share of `original`'s non-space characters, in order, that `copy` keeps. */
export function coverageOf(original: string, copy: string): number {
  const a = letters(original);
  const b = letters(copy);
  if (a.length === 0) return 1;
  let j = 0;
  let kept = 0;
  for (const c of a) {
    const k = b.indexOf(c, j);
    if (k >= 0 && k - j < 40) {
      kept++;
      j = k + 1;
    }
  }
  return kept / a.length;
}

export async function llmSplitSteps(
  text: string,
  options: { engine: Engine; chatTemplate: ChatTemplate | null; minCoverage?: number; maxTokens?: number },
): Promise<SplitResult> {
  const user = SPLITTER_INSTRUCTION + text;
  const prompt = options.chatTemplate
    ? renderChat(options.chatTemplate, [{ role: "user", content: user }], { addGenerationPrompt: true })
    : `${user}\n\n`;
  const res = await options.engine.complete({
    prompt,
    maxTokens: options.maxTokens ?? Math.max(256, text.length),
    temperature: 0,
  });
  const out = res.choices[0]?.text ?? "";
  const steps = splitByStepHeaders(out.slice(Math.max(0, out.search(/Step \d+:/))));
  const coverage = coverageOf(text, steps.join(" "));
  if (steps.length > 0 && coverage >= (options.minCoverage ?? 0.9)) return { steps, method: "llm", coverage };
  return { steps: splitSteps(text), method: "fallback", coverage };
}
