/**
 * The full raw prompt an engine receives: a user message from `core/` rendered with the model's
 * chat template, plus the assistant-side suffix.
 */
import {
  buildJudgeBadStepMessage,
  buildJudgeSingleMessage,
  buildTeacherMessage,
  type PromptTemplateName,
} from "../core/judge-prompts.js";
import { buildThinkPrmUserMessage, LETS_VERIFY_SUFFIX, type StepLayout } from "../core/thinkprm-prompt.js";
import type { SolutionInput } from "../core/types.js";
import { type ChatTemplate, renderChat } from "../engines/chat-template.js";

export interface PromptOptions {
  template?: PromptTemplateName;
  /** `null` sends the user message as it is (no chat template). */
  chatTemplate?: ChatTemplate | null;
  layout?: StepLayout;
  instruction?: string;
  /**
   * Append `\nLet's verify step by step:` after the generation prompt (ThinkPRM template only).
   * Default true, as the paper-era (July 2025) code does; the Oct 2025 code dropped it.
   */
  letsVerifySuffix?: boolean;
}

/** The user message of the chosen template. */
export function buildUserMessage(input: SolutionInput, options: PromptOptions = {}): string {
  switch (options.template ?? "thinkprm") {
    case "thinkprm":
      return buildThinkPrmUserMessage(input.problem, input.steps, {
        layout: options.layout ?? "numbered",
        ...(options.instruction === undefined ? {} : { instruction: options.instruction }),
      });
    case "judge-single":
      return buildJudgeSingleMessage(input.problem, input.steps);
    case "judge-badstep":
      return buildJudgeBadStepMessage(input.problem, input.steps);
    case "judge-each":
    case "teacher":
      return buildTeacherMessage(input.problem, input.steps);
  }
}

/**
 * The exact text sent to the engine.
 *
 * @example
 * buildPrompt({ problem: "1+1?", steps: ["2"] }, { chatTemplate: BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"] })
 * // "<｜begin▁of▁sentence｜><｜User｜>You are given a math problem …<｜Assistant｜><think>\n\nLet's verify step by step:"
 */
export function buildPrompt(input: SolutionInput, options: PromptOptions = {}): string {
  const user = buildUserMessage(input, options);
  const rendered = options.chatTemplate
    ? renderChat(options.chatTemplate, [{ role: "user", content: user }], { addGenerationPrompt: true })
    : user;
  const suffix = (options.template ?? "thinkprm") === "thinkprm" && options.letsVerifySuffix !== false;
  return suffix ? rendered + LETS_VERIFY_SUFFIX : rendered;
}

/** Whether the prompt leaves a `<think>` block open (the verifier is inside its thinking). */
export function thinkingIsOpen(prompt: string): boolean {
  return prompt.lastIndexOf("<think>") > prompt.lastIndexOf("</think>");
}
