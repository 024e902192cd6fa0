/**
 * The fine-tuning set (thinkprm-spec.md §1.4): each kept chain becomes the exact ThinkPRM training
 * sequence, and the layouts trainers read.
 */

import type { StepLabel } from "../core/step-labels.js";
import {
  buildThinkPrmUserMessage,
  layoutSolution,
  THINKPRM_DEFAULT_INSTRUCTION,
} from "../core/thinkprm-prompt.js";
import { type ChatTemplate, renderChat } from "../engines/chat-template.js";

export interface KeptChain {
  id: string;
  problem: string;
  steps: string[];
  /** Gold labels up to the first error. */
  labels: StepLabel[];
  isCorrect: boolean;
  /** The cleaned teacher generation. */
  generation: string;
}

/**
 * The assistant side: `<think>\n{g}\n</think>\nIs the solution correct? Yes|No`, with
 * `Let's verify step by step:` inserted after `<think>` when the chain lacks it.
 *
 * @example assistantTarget("Step 1: … \\boxed{incorrect}", false)
 * // "<think>\nLet's verify step by step:\nStep 1: … \\boxed{incorrect}\n</think>\nIs the solution correct? No"
 */
export function assistantTarget(generation: string, isCorrect: boolean): string {
  let think = `<think>\n${generation}\n`;
  if (!think.includes("Let's verify step by step:"))
    think = think.replace("<think>", "<think>\nLet's verify step by step:");
  return `${think}</think>\nIs the solution correct? ${isCorrect ? "Yes" : "No"}`;
}

/**
 * The full training sequence, as `format_train_verification_cot_for_thinkprm` builds it: the chat
 * template renders [user, assistant(text before `</think>`)] without a generation prompt, the EOS
 * that closes the assistant turn is removed, then `</think>` + the text after it + EOS are
 * appended — so the thinking survives templates (such as R1's) that drop assistant text before
 * `</think>`.
 *
 * Official bug, decided: the official code deletes *every* EOS string from the rendering. With
 * R1-Distill's templates EOS only closes the assistant turn, so both readings give the same bytes
 * (the golden test pins them); with Qwen-Instruct templates, whose EOS `<|im_end|>` also closes the
 * system and user turns, the official deletion fuses the turns. We cut at the last EOS only.
 */
export function trainingSequence(chain: KeptChain, template: ChatTemplate): string {
  const user = buildThinkPrmUserMessage(chain.problem, chain.steps, {
    layout: "numbered",
    instruction: THINKPRM_DEFAULT_INSTRUCTION,
  });
  const target = assistantTarget(chain.generation, chain.isCorrect);
  const cut = target.indexOf("</think>");
  const before = target.slice(0, cut);
  const after = target.slice(cut + "</think>".length);
  const eos = template.eosToken ?? "";
  let rendered = renderChat(
    template,
    [
      { role: "user", content: user },
      { role: "assistant", content: before },
    ],
    { addGenerationPrompt: false },
  );
  const closing = eos ? rendered.lastIndexOf(eos) : -1;
  if (closing >= 0) rendered = rendered.slice(0, closing);
  return `${rendered}</think>${after}${eos}`;
}

/** The record of the released 1K set (launch/thinkprm-1K-verification-cots), plus the training text. */
export function thinkprmRecord(chain: KeptChain, template: ChatTemplate) {
  return {
    id: chain.id,
    problem: chain.problem,
    prefix: layoutSolution(chain.steps, "numbered"),
    prefix_steps: chain.steps,
    gt_step_labels: chain.labels,
    prefix_label: chain.isCorrect,
    cot: assistantTarget(chain.generation, chain.isCorrect),
    text: trainingSequence(chain, template),
  };
}

/**
 * TRL SFT, prompt–completion form: the prompt is the rendering up to the assistant tag, the
 * completion (the supervised part) everything after it, from `<think>` on, as the official code
 * supervises the text after `<｜Assistant｜>`. A generation prompt that already opens `<think>\n`
 * (R1's newer template) is split before it.
 */
export function trlRecord(chain: KeptChain, template: ChatTemplate) {
  const text = trainingSequence(chain, template);
  const user = buildThinkPrmUserMessage(chain.problem, chain.steps, { layout: "numbered" });
  let prompt = renderChat(template, [{ role: "user", content: user }], { addGenerationPrompt: true });
  if (prompt.endsWith("<think>\n")) prompt = prompt.slice(0, -"<think>\n".length);
  if (!text.startsWith(prompt))
    throw new Error(
      `the chat template renders the prompt differently with and without the answer; cannot split ${chain.id}`,
    );
  return { prompt, completion: text.slice(prompt.length) };
}

/** Chat messages (OpenAI fine-tuning JSONL; LLaMA-Factory's sharegpt with `from`/`value`). */
export function messagesRecord(chain: KeptChain) {
  const user = buildThinkPrmUserMessage(chain.problem, chain.steps, { layout: "numbered" });
  return {
    messages: [
      { role: "user", content: user },
      { role: "assistant", content: assistantTarget(chain.generation, chain.isCorrect) },
    ],
  };
}

export function sharegptRecord(chain: KeptChain) {
  const [u, a] = messagesRecord(chain).messages;
  return {
    conversations: [
      { from: "human", value: u!.content },
      { from: "gpt", value: a!.content },
    ],
  };
}

export const LLAMA_FACTORY_DATASET_INFO = (file: string) => ({
  thinkprm: {
    file_name: file,
    formatting: "sharegpt",
    columns: { messages: "conversations" },
    tags: { role_tag: "from", content_tag: "value", user_tag: "human", assistant_tag: "gpt" },
  },
});
