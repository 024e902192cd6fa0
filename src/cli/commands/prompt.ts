import type { PromptTemplateName } from "../../core/judge-prompts.js";
import type { StepLayout } from "../../core/thinkprm-prompt.js";
import { buildPrompt } from "../../verifier/prompt.js";
import { resolveChatTemplate } from "../chat-template-option.js";
import { type CliIo, readSolutionInputs, writeJsonLine } from "../io.js";

export interface PromptOptions {
  input?: string;
  template: PromptTemplateName;
  layout: StepLayout;
  chatTemplate: string;
  instruction?: string;
  letsVerify: boolean;
  json?: boolean;
}

/**
 * Prints each prompt. With one record the raw text is printed exactly (no newline added), so
 * `thinkprm prompt > p.txt` gives the bytes the engine receives; with several, each is preceded by
 * a `### prompt <n> [id]` header line. `--json` is the machine form.
 */
export async function runPrompt(io: CliIo, opts: PromptOptions): Promise<void> {
  const chatTemplate = resolveChatTemplate(io, opts.chatTemplate);
  const prompts: { id?: string; prompt: string }[] = [];
  for await (const input of readSolutionInputs(io, opts.input, "auto")) {
    const prompt = buildPrompt(input, {
      template: opts.template,
      chatTemplate,
      layout: opts.layout,
      letsVerifySuffix: opts.letsVerify,
      ...(opts.instruction === undefined ? {} : { instruction: opts.instruction }),
    });
    if (opts.json) writeJsonLine(io, { id: input.id ?? null, prompt });
    else prompts.push(input.id === undefined ? { prompt } : { id: input.id, prompt });
  }
  if (opts.json) return;
  if (prompts.length === 1) {
    io.stdout.write(prompts[0]!.prompt);
    return;
  }
  prompts.forEach((p, i) => {
    io.stdout.write(`### prompt ${i + 1}${p.id === undefined ? "" : ` [${p.id}]`}\n${p.prompt}\n`);
  });
}
