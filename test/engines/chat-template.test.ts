import { describe, expect, it } from "vitest";
import {
  BUILTIN_CHAT_TEMPLATES,
  chatTemplateFromTokenizerConfig,
  renderChat,
} from "../../src/engines/chat-template.js";

describe("built-in chat templates (golden strings)", () => {
  it("R1-Distill-Qwen: BOS, User turn, generation prompt opens <think>", () => {
    const t = BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"];
    expect(renderChat(t, [{ role: "user", content: "Hi $1" }], { addGenerationPrompt: true })).toBe(
      "<｜begin▁of▁sentence｜><｜User｜>Hi $1<｜Assistant｜><think>\n",
    );
  });
  it("R1-Distill-Qwen: an assistant turn keeps only the text after </think>", () => {
    const t = BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"];
    const out = renderChat(
      t,
      [
        { role: "system", content: "S" },
        { role: "user", content: "Q" },
        { role: "assistant", content: "<think>\nhidden\n</think>\nIs the solution correct? Yes" },
      ],
      { addGenerationPrompt: false },
    );
    expect(out).toBe(
      "<｜begin▁of▁sentence｜>S<｜User｜>Q<｜Assistant｜>\nIs the solution correct? Yes<｜end▁of▁sentence｜>",
    );
  });
  it("Qwen2.5: default system turn and assistant generation prompt", () => {
    expect(
      renderChat(BUILTIN_CHAT_TEMPLATES["qwen2.5"], [{ role: "user", content: "Q" }], {
        addGenerationPrompt: true,
      }),
    ).toBe(
      "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n",
    );
  });
});

describe("tokenizer_config.json", () => {
  it("reads string and list forms, and special tokens given as objects", () => {
    const t = chatTemplateFromTokenizerConfig(
      {
        chat_template: [
          { name: "tool_use", template: "x" },
          { name: "default", template: "{{ bos_token }}{{ messages[0]['content'] }}{{ eos_token }}" },
        ],
        bos_token: { content: "<s>", lstrip: false },
        eos_token: "</s>",
      },
      "cfg.json",
    );
    expect(renderChat(t, [{ role: "user", content: "hi" }], { addGenerationPrompt: true })).toBe("<s>hi</s>");
  });
  it("says what to do when there is no template", () => {
    expect(() => chatTemplateFromTokenizerConfig({}, "cfg.json")).toThrow(
      /cfg.json has no "chat_template".*r1-distill-qwen/,
    );
  });
});
