/**
 * Chat-template rendering with the model's own Jinja template (`@huggingface/jinja`), as the
 * official code does with `tokenizer.apply_chat_template(…, tokenize=False)`.
 *
 * Built-in templates cover the models ThinkPRM is made from, each pinned by a golden test; any
 * other model is served by pointing at its `tokenizer_config.json`.
 */
import { Template } from "@huggingface/jinja";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface ChatTemplate {
  /** Name for messages and run records (`r1-distill-qwen`, a file path, …). */
  name: string;
  /** Jinja source. */
  source: string;
  bosToken?: string;
  eosToken?: string;
}

/**
 * DeepSeek-R1-Distill-Qwen (1.5B/7B/14B, what ThinkPRM-1.5B/7B/14B are fine-tuned from), the
 * updated revision (early 2025): the generation prompt opens `<think>\n`, and assistant turns keep
 * only the text after `</think>`. The tool-call branches are as published.
 */
const R1_DISTILL_QWEN_SOURCE =
  String.raw`{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='') %}{%- for message in messages %}{%- if message['role'] == 'system' %}{% set ns.system_prompt = message['content'] %}{%- endif %}{%- endfor %}{{bos_token}}{{ns.system_prompt}}{%- for message in messages %}{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is none %}{%- set ns.is_tool = false -%}{%- for tool in message['tool_calls']%}{%- if not ns.is_first %}{{'<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\n' + '` +
  "```json" +
  String.raw`' + '\n' + tool['function']['arguments'] + '\n' + '` +
  "```" +
  String.raw`' + '<｜tool▁call▁end｜>'}}{%- set ns.is_first = true -%}{%- else %}{{'\n' + '<｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\n' + '` +
  "```json" +
  String.raw`' + '\n' + tool['function']['arguments'] + '\n' + '` +
  "```" +
  String.raw`' + '<｜tool▁call▁end｜>'}}{{'<｜tool▁calls▁end｜><｜end▁of▁sentence｜>'}}{%- endif %}{%- endfor %}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is not none %}{%- if ns.is_tool %}{{'<｜tool▁outputs▁end｜>' + message['content'] + '<｜end▁of▁sentence｜>'}}{%- set ns.is_tool = false -%}{%- else %}{% set content = message['content'] %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endif %}{%- if message['role'] == 'tool' %}{%- set ns.is_tool = true -%}{%- if ns.is_output_first %}{{'<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- set ns.is_output_first = false %}{%- else %}{{'\n<｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- endif %}{%- endif %}{%- endfor -%}{% if ns.is_tool %}{{'<｜tool▁outputs▁end｜>'}}{% endif %}{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜><think>\n'}}{% endif %}`;

/**
 * Qwen2.5-Instruct's template without its tool-calling branches (which a verifier never uses):
 * a default system turn, `<|im_start|>role\ncontent<|im_end|>\n` turns, `<|im_start|>assistant\n`.
 */
const QWEN25_SOURCE = String.raw`{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}{%- else %}{{- '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' }}{%- endif %}{%- for message in messages %}{%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant") %}{{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}{%- endif %}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\n' }}{%- endif %}`;

export const BUILTIN_CHAT_TEMPLATES = {
  "r1-distill-qwen": {
    name: "r1-distill-qwen",
    source: R1_DISTILL_QWEN_SOURCE,
    bosToken: "<｜begin▁of▁sentence｜>",
    eosToken: "<｜end▁of▁sentence｜>",
  },
  "qwen2.5": { name: "qwen2.5", source: QWEN25_SOURCE, eosToken: "<|im_end|>" },
} as const satisfies Record<string, ChatTemplate>;

export type BuiltinChatTemplateName = keyof typeof BUILTIN_CHAT_TEMPLATES;

export function isBuiltinChatTemplate(name: string): name is BuiltinChatTemplateName {
  return Object.hasOwn(BUILTIN_CHAT_TEMPLATES, name);
}

/** A special token in `tokenizer_config.json` is a string or `{ content: string, … }`. */
function tokenText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && typeof (value as { content?: unknown }).content === "string") {
    return (value as { content: string }).content;
  }
  return undefined;
}

/**
 * Reads the chat template out of a parsed `tokenizer_config.json`. `chat_template` may be a string
 * or a list of `{ name, template }` (the `default` one is used).
 *
 * @throws Error naming the file and what is missing.
 */
export function chatTemplateFromTokenizerConfig(config: unknown, name: string): ChatTemplate {
  const c = (config ?? {}) as Record<string, unknown>;
  let source: unknown = c.chat_template;
  if (Array.isArray(source)) {
    const entries = source as { name?: string; template?: string }[];
    source = (entries.find((e) => e.name === "default") ?? entries[0])?.template;
  }
  if (typeof source !== "string" || source.length === 0) {
    throw new Error(
      `${name} has no "chat_template". Point --chat-template at the model's tokenizer_config.json, or use a built-in (${Object.keys(BUILTIN_CHAT_TEMPLATES).join(", ")}) or "none".`,
    );
  }
  return { name, source, bosToken: tokenText(c.bos_token), eosToken: tokenText(c.eos_token) };
}

const compiled = new Map<string, Template>();

/**
 * Renders messages with the template, as `apply_chat_template(messages, tokenize=False,
 * add_generation_prompt=…)` does.
 *
 * @example
 * renderChat(BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"], [{ role: "user", content: "Hi" }], { addGenerationPrompt: true })
 * // "<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜><think>\n"
 */
export function renderChat(
  template: ChatTemplate,
  messages: readonly ChatMessage[],
  options: { addGenerationPrompt: boolean },
): string {
  let t = compiled.get(template.source);
  if (!t) {
    t = new Template(template.source);
    compiled.set(template.source, t);
  }
  return t.render({
    messages: messages.map((m) => ({ ...m })),
    add_generation_prompt: options.addGenerationPrompt,
    bos_token: template.bosToken ?? "",
    eos_token: template.eosToken ?? "",
  });
}
