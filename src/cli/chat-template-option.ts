/**
 * `--chat-template auto|<builtin>|none|<file or folder>`.
 *
 * `auto` reads the model's own template (GGUF `tokenizer.chat_template`, a checkpoint's
 * `chat_template.jinja` or `tokenizer_config.json`) and falls back to the built-in
 * `r1-distill-qwen` only when the model has none or no local model is given. A path may name a
 * tokenizer_config.json, a `.jinja` file, a checkpoint folder or a `.gguf` file.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import {
  BUILTIN_CHAT_TEMPLATES,
  type ChatTemplate,
  chatTemplateFromTokenizerConfig,
  isBuiltinChatTemplate,
} from "../engines/chat-template.js";
import { ChatTemplateError, chatTemplateForModel } from "../engines/model-chat-template.js";
import { CliError, type CliIo, resolvePath } from "./io.js";

export const CHAT_TEMPLATE_HELP =
  "chat template: auto (the model's own, else r1-distill-qwen), r1-distill-qwen (ThinkPRM's base models), qwen2.5, none, or a tokenizer_config.json / .jinja / checkpoint folder / .gguf path";

export interface ResolvedChatTemplate {
  template: ChatTemplate | null;
  /** Where it came from: `gguf`, `chat_template.jinja`, `tokenizer_config.json`, `builtin:<name>`, `file:<path>` or `none`. */
  source: string;
}

/**
 * Resolves a `--chat-template` value. `model` is the local model (a `.gguf` file or a checkpoint
 * folder, as the user gave it) that `auto` reads; without one, `auto` is the built-in
 * `r1-distill-qwen`.
 */
export function resolveChatTemplateWithSource(
  io: CliIo,
  value: string,
  model?: string,
): ResolvedChatTemplate {
  if (value === "none") return { template: null, source: "none" };
  if (isBuiltinChatTemplate(value))
    return { template: BUILTIN_CHAT_TEMPLATES[value], source: `builtin:${value}` };
  try {
    if (value === "auto") {
      const found = chatTemplateForModel(model === undefined ? undefined : resolvePath(io, model));
      return { template: found.template, source: found.source };
    }
    const full = resolvePath(io, value);
    if (!existsSync(full)) {
      throw new CliError(
        `--chat-template: "${value}" is neither a file nor a built-in; use auto, ${Object.keys(BUILTIN_CHAT_TEMPLATES).join(", ")}, or none, or a tokenizer_config.json path`,
      );
    }
    if (statSync(full).isDirectory() || full.endsWith(".gguf")) {
      const found = chatTemplateForModel(full);
      if (found.source.startsWith("builtin:"))
        throw new CliError(`--chat-template: ${value} holds no chat template`);
      return { template: found.template, source: `${found.source}:${value}` };
    }
    if (full.endsWith(".jinja"))
      return { template: { name: value, source: readFileSync(full, "utf8") }, source: `file:${value}` };
    let config: unknown;
    try {
      config = JSON.parse(readFileSync(full, "utf8"));
    } catch (error) {
      throw new CliError(`--chat-template: ${value} is not valid JSON (${(error as Error).message})`);
    }
    return { template: chatTemplateFromTokenizerConfig(config, value), source: `file:${value}` };
  } catch (error) {
    if (error instanceof CliError) throw error;
    if (error instanceof ChatTemplateError || error instanceof Error)
      throw new CliError(`--chat-template: ${error.message}`);
    throw error;
  }
}

/** As `resolveChatTemplateWithSource`, the template only. */
export function resolveChatTemplate(io: CliIo, value: string, model?: string): ChatTemplate | null {
  return resolveChatTemplateWithSource(io, value, model).template;
}
