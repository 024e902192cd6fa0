/**
 * The model's own chat template, wherever the model keeps it — a GGUF file's
 * `tokenizer.chat_template` (with its BOS/EOS texts), or a Hugging Face checkpoint folder's
 * `chat_template.jinja` (transformers 5, which prefers it) or `tokenizer_config.json` — and a
 * built-in copy only when the model has none. A checkpoint fine-tuned with another template must
 * be prompted with that template: the built-in R1 copy would give it prompts it never saw.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { BUILTIN_CHAT_TEMPLATES, type BuiltinChatTemplateName, type ChatTemplate } from "./chat-template.js";
import { specialTokenText, templateFromTokenizerConfig } from "./llama-cpp/convert-qwen2-tokenizer.js";
import { readGgufHeader, templateFromGgufHeader } from "./llama-cpp/gguf-reader.js";

export type ChatTemplateSource =
  | "gguf"
  | "tokenizer_config.json"
  | "chat_template.jinja"
  | `builtin:${BuiltinChatTemplateName}`;

export interface ModelChatTemplate {
  template: ChatTemplate;
  source: ChatTemplateSource;
  /** The file the template was read from (absent for a built-in). */
  path?: string;
}

export class ChatTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ChatTemplateError";
  }
}

function readJsonObject(path: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ChatTemplateError(`${path} is not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ChatTemplateError(`${path} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** The template in a GGUF file's metadata, with the BOS/EOS texts its ids name; null when it has none. */
export function chatTemplateFromGguf(path: string): ModelChatTemplate | null {
  const template = templateFromGgufHeader(readGgufHeader(path), basename(path));
  return template ? { template, source: "gguf", path } : null;
}

/**
 * The template of a Hugging Face checkpoint folder: `chat_template.jinja` first (as transformers
 * loads it), else `tokenizer_config.json`'s `chat_template`; BOS/EOS from tokenizer_config.json.
 * Null when the folder has neither.
 */
export function chatTemplateFromCheckpoint(dir: string): ModelChatTemplate | null {
  const configPath = join(dir, "tokenizer_config.json");
  const config = existsSync(configPath) ? readJsonObject(configPath) : {};
  const withSpecials = (template: ChatTemplate): ChatTemplate => {
    const bos = specialTokenText(config.bos_token);
    const eos = specialTokenText(config.eos_token);
    if (bos !== undefined) template.bosToken = bos;
    if (eos !== undefined) template.eosToken = eos;
    return template;
  };
  const jinja = join(dir, "chat_template.jinja");
  if (existsSync(jinja)) {
    const source = readFileSync(jinja, "utf8");
    if (source.length > 0)
      return {
        template: withSpecials({ name: jinja, source }),
        source: "chat_template.jinja",
        path: jinja,
      };
  }
  const source = templateFromTokenizerConfig(config);
  if (source)
    return {
      template: withSpecials({ name: configPath, source }),
      source: "tokenizer_config.json",
      path: configPath,
    };
  return null;
}

/**
 * The chat template a model should be prompted with: its own (from a `.gguf` file or a checkpoint
 * folder), else the built-in `fallback` (default `r1-distill-qwen`, the template of ThinkPRM's base
 * models). `model` undefined means "no local model" and gives the built-in.
 *
 * @throws ChatTemplateError when `model` names nothing on disk, or a file that cannot be read.
 * @example chatTemplateForModel("ThinkPRM-1.5B-q8_0.gguf").source // "gguf"
 */
export function chatTemplateForModel(
  model: string | undefined,
  fallback: BuiltinChatTemplateName = "r1-distill-qwen",
): ModelChatTemplate {
  const builtin: ModelChatTemplate = {
    template: BUILTIN_CHAT_TEMPLATES[fallback],
    source: `builtin:${fallback}`,
  };
  if (model === undefined) return builtin;
  if (!existsSync(model))
    throw new ChatTemplateError(
      `${model} is not a local .gguf file or checkpoint folder, so its chat template cannot be read; give a local model or a template (${Object.keys(BUILTIN_CHAT_TEMPLATES).join(", ")})`,
    );
  if (statSync(model).isDirectory()) return chatTemplateFromCheckpoint(model) ?? builtin;
  try {
    return chatTemplateFromGguf(model) ?? builtin;
  } catch (error) {
    throw new ChatTemplateError(`cannot read the chat template of ${model}: ${(error as Error).message}`);
  }
}
