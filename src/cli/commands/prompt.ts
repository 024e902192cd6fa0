import type { PromptTemplateName } from "../../core/judge-prompts.js";
import type { StepLayout } from "../../core/thinkprm-prompt.js";
import { buildPrompt } from "../../verifier/prompt.js";
import { resolveChatTemplateWithSource } from "../chat-template-option.js";
import { type CliIo, readSolutionInputs, writeJsonLine } from "../io.js";

export interface PromptOptions {
  input?: string;
  template: PromptTemplateName;
  layout: StepLayout;
  chatTemplate: string;
  /** The local model (.gguf or checkpoint folder) whose template `--chat-template auto` reads. */
  model?: string;
  instruction?: string;
  letsVerify: boolean;
  json?: boolean;
}

/**
 * Prints each prompt. With one record the raw text is printed exactly (no newline added), so
 * `thinkprm prompt > p.txt` gives the bytes the engine receives; with several, each is preceded by
 * a `### prompt <n> [id]` header line. `--json` is the machine form, and each line names the chat
 * template's source (`chat_template`); the text form says it on stderr.
 */
export async function runPrompt(io: CliIo, opts: PromptOptions): Promise<void> {
  const { template: chatTemplate, source } = resolveChatTemplateWithSource(io, opts.chatTemplate, opts.model);
  const prompts: { id?: string; prompt: string }[] = [];
  for await (const input of readSolutionInputs(io, opts.input, "auto")) {
    const prompt = buildPrompt(input, {
      template: opts.template,
      chatTemplate,
      layout: opts.layout,
      letsVerifySuffix: opts.letsVerify,
      ...(opts.instruction === undefined ? {} : { instruction: opts.instruction }),
    });
    if (opts.json) writeJsonLine(io, { id: input.id ?? null, prompt, chat_template: source });
    else prompts.push(input.id === undefined ? { prompt } : { id: input.id, prompt });
  }
  if (opts.json) return;
  io.stderr.write(`chat template: ${source}\n`);
  if (prompts.length === 1) {
    io.stdout.write(prompts[0]!.prompt);
    return;
  }
  prompts.forEach((p, i) => {
    io.stdout.write(`### prompt ${i + 1}${p.id === undefined ? "" : ` [${p.id}]`}\n${p.prompt}\n`);
  });
}
