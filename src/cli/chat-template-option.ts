/**
 * `--chat-template` for the commands that have no engine to ask (`prompt`, `export`, `synth
 * stats`): the library's one resolution (`resolveChatTemplate`), its errors as CLI errors.
 */

import type { ChatTemplate } from "../engines/chat-template.js";
import {
  type ResolvedChatTemplate,
  resolveChatTemplate as resolveInLibrary,
} from "../engines/chat-template-source.js";
import { CliError, type CliIo } from "./io.js";

export type { ResolvedChatTemplate };

export const CHAT_TEMPLATE_HELP =
  "chat template: auto (the model's own, else r1-distill-qwen), r1-distill-qwen (ThinkPRM's base models), qwen2.5, none, or a tokenizer_config.json / .jinja / checkpoint folder / .gguf path";

/** Resolves a `--chat-template` value; `model` is the local model `auto` reads. */
export function resolveChatTemplateWithSource(
  io: CliIo,
  value: string,
  model?: string,
): ResolvedChatTemplate {
  try {
    return resolveInLibrary(value, { cwd: io.cwd, ...(model === undefined ? {} : { model }) });
  } catch (error) {
    throw new CliError((error as Error).message.replace(/^(--chat-template: )?/, "--chat-template: "));
  }
}

/** As `resolveChatTemplateWithSource`, the template only. */
export function resolveChatTemplate(io: CliIo, value: string, model?: string): ChatTemplate | null {
  return resolveChatTemplateWithSource(io, value, model).template;
}
