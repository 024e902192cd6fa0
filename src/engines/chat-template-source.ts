/**
 * Which chat template a verifier uses — one resolution for the CLI, `serve` and the library:
 * - `auto` (the default): the model's own — what the engine read from its GGUF, or the template of
 *   a local model file or checkpoint folder — and the built-in R1-Distill-Qwen template (what the
 *   released ThinkPRMs are trained with) only when the model has none;
 * - a built-in by name (`r1-distill-qwen`, `qwen2.5`); `none` (the bare user message);
 * - a path: a `tokenizer_config.json`, a `.jinja` file, a checkpoint folder or a `.gguf` file.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import {
  BUILTIN_CHAT_TEMPLATES,
  type ChatTemplate,
  chatTemplateFromTokenizerConfig,
  isBuiltinChatTemplate,
} from "./chat-template.js";
import { ChatTemplateError, chatTemplateForModel } from "./model-chat-template.js";
import type { Engine } from "./types.js";

export { ChatTemplateError };

export interface ResolvedChatTemplate {
  template: ChatTemplate | null;
  /**
   * Where it came from, for messages and run records: `model` (the engine's own), `gguf`,
   * `chat_template.jinja`, `tokenizer_config.json` (a local model's), `builtin:<name>`,
   * `file:<path>`, or `none`.
   */
  source: string;
}

/** Resolves `--chat-template` / the `chatTemplate` setting. Throws `ChatTemplateError` with the fix. */
export function resolveChatTemplate(
  value: string,
  context: { cwd?: string; engine?: Pick<Engine, "chatTemplate">; model?: string } = {},
): ResolvedChatTemplate {
  if (value === "none") return { template: null, source: "none" };
  if (isBuiltinChatTemplate(value))
    return { template: BUILTIN_CHAT_TEMPLATES[value], source: `builtin:${value}` };
  const at = (p: string) => resolve(context.cwd ?? process.cwd(), p);
  if (value === "auto") {
    const own = context.engine?.chatTemplate;
    if (own) return { template: own, source: "model" };
    const found = chatTemplateForModel(context.model === undefined ? undefined : at(context.model));
    return { template: found.template, source: found.source };
  }
  const full = at(value);
  if (!existsSync(full))
    throw new ChatTemplateError(
      `--chat-template: "${value}" is neither a file nor a built-in; use auto, ${Object.keys(BUILTIN_CHAT_TEMPLATES).join(", ")}, or none, or a tokenizer_config.json / .jinja / checkpoint folder / .gguf path`,
    );
  if (statSync(full).isDirectory() || full.endsWith(".gguf")) {
    const found = chatTemplateForModel(full);
    if (found.source.startsWith("builtin:"))
      throw new ChatTemplateError(`--chat-template: ${value} holds no chat template`);
    return { template: found.template, source: `${found.source}:${value}` };
  }
  if (full.endsWith(".jinja"))
    return { template: { name: value, source: readFileSync(full, "utf8") }, source: `file:${value}` };
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(full, "utf8"));
  } catch (error) {
    throw new ChatTemplateError(`--chat-template: ${value} is not valid JSON (${(error as Error).message})`);
  }
  try {
    return { template: chatTemplateFromTokenizerConfig(config, value), source: `file:${value}` };
  } catch (error) {
    throw new ChatTemplateError(`--chat-template: ${(error as Error).message}`);
  }
}
