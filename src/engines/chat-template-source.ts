/**
 * Which chat template a verifier uses: `auto` (the default) takes the model's own — what the
 * engine read from the GGUF — and falls back to the built-in R1-Distill-Qwen template (what the
 * released ThinkPRMs are trained with) only when the model has none; a built-in by name; a
 * `tokenizer_config.json`; or `none` (the bare user message).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import {
  BUILTIN_CHAT_TEMPLATES,
  type ChatTemplate,
  chatTemplateFromTokenizerConfig,
  isBuiltinChatTemplate,
} from "./chat-template.js";
import type { Engine } from "./types.js";

export interface ResolvedChatTemplate {
  template: ChatTemplate | null;
  /** Where it came from, for messages and run records: `model`, `builtin:<name>`, a file path, `none`. */
  source: string;
}

export class ChatTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ChatTemplateError";
  }
}

/** Resolves `--chat-template` / the `chatTemplate` setting. Throws `ChatTemplateError` with the fix. */
export function resolveChatTemplate(
  value: string,
  context: { cwd?: string; engine?: Pick<Engine, "chatTemplate"> } = {},
): ResolvedChatTemplate {
  if (value === "none") return { template: null, source: "none" };
  if (value === "auto") {
    const own = context.engine?.chatTemplate;
    if (own) return { template: own, source: "model" };
    return { template: BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"], source: "builtin:r1-distill-qwen" };
  }
  if (isBuiltinChatTemplate(value))
    return { template: BUILTIN_CHAT_TEMPLATES[value], source: `builtin:${value}` };
  const full = resolve(context.cwd ?? process.cwd(), value);
  if (!existsSync(full)) {
    throw new ChatTemplateError(
      `--chat-template: "${value}" is neither a file nor a built-in; use auto, a tokenizer_config.json path, ${Object.keys(BUILTIN_CHAT_TEMPLATES).join(", ")}, or none`,
    );
  }
  // a checkpoint folder: its tokenizer_config.json (transformers 5 may keep the template beside it)
  const file = statSync(full).isDirectory() ? join(full, "tokenizer_config.json") : full;
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw new ChatTemplateError(
      `--chat-template: ${value} is not readable JSON (${(error as Error).message})`,
    );
  }
  const jinja = join(dirname(file), "chat_template.jinja");
  if (typeof config.chat_template !== "string" && !Array.isArray(config.chat_template) && existsSync(jinja))
    config = { ...config, chat_template: readFileSync(jinja, "utf8") };
  try {
    return { template: chatTemplateFromTokenizerConfig(config, value), source: value };
  } catch (error) {
    throw new ChatTemplateError(`--chat-template: ${(error as Error).message}`);
  }
}
