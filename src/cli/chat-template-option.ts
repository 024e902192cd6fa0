/** `--chat-template <file>|r1-distill-qwen|qwen2.5|none`. */
import { existsSync, readFileSync } from "node:fs";
import {
  BUILTIN_CHAT_TEMPLATES,
  type ChatTemplate,
  chatTemplateFromTokenizerConfig,
  isBuiltinChatTemplate,
} from "../engines/chat-template.js";
import { CliError, type CliIo, resolvePath } from "./io.js";

export const CHAT_TEMPLATE_HELP =
  "chat template: a tokenizer_config.json path, r1-distill-qwen (ThinkPRM's base models), qwen2.5, or none";

export function resolveChatTemplate(io: CliIo, value: string): ChatTemplate | null {
  if (value === "none") return null;
  if (isBuiltinChatTemplate(value)) return BUILTIN_CHAT_TEMPLATES[value];
  const full = resolvePath(io, value);
  if (!existsSync(full)) {
    throw new CliError(
      `--chat-template: "${value}" is neither a file nor a built-in; use a tokenizer_config.json path, ${Object.keys(BUILTIN_CHAT_TEMPLATES).join(", ")}, or none`,
    );
  }
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(full, "utf8"));
  } catch (error) {
    throw new CliError(`--chat-template: ${value} is not valid JSON (${(error as Error).message})`);
  }
  try {
    return chatTemplateFromTokenizerConfig(config, value);
  } catch (error) {
    throw new CliError(`--chat-template: ${(error as Error).message}`);
  }
}
