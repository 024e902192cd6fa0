import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUILTIN_CHAT_TEMPLATES, renderChat } from "../../src/engines/chat-template.js";
import { convertQwen2Checkpoint } from "../../src/engines/llama-cpp/convert-qwen2.js";
import { readGgufHeader } from "../../src/engines/llama-cpp/gguf-reader.js";
import { writeHfTinyCheckpoint } from "../../src/engines/llama-cpp/test-checkpoint.js";
import { ChatTemplateError, chatTemplateForModel } from "../../src/engines/model-chat-template.js";
import { cli, workdir } from "../cli/run-cli.js";

const root = mkdtempSync(join(tmpdir(), "thinkprm-model-template-"));
const jsonl = (...rs: unknown[]) => rs.map((r) => JSON.stringify(r)).join("\n");
/** A template unlike R1's, so a test can tell which one was used. */
const OTHER =
  "{% for m in messages %}<<{{ m['role'] }}>>{{ m['content'] }}{% endfor %}{% if add_generation_prompt %}<<assistant>>{% endif %}";

function checkpoint(name: string, edit: (config: Record<string, unknown>) => Record<string, unknown>) {
  const dir = join(root, name);
  writeHfTinyCheckpoint(dir);
  const path = join(dir, "tokenizer_config.json");
  writeFileSync(path, JSON.stringify(edit(JSON.parse(readFileSync(path, "utf8")))));
  return dir;
}

describe("the model's own chat template", () => {
  it("from a GGUF file: tokenizer.chat_template with the BOS/EOS texts of its ids", () => {
    const dir = checkpoint("gguf", (c) => ({ ...c, chat_template: OTHER }));
    const gguf = join(root, "other.gguf");
    convertQwen2Checkpoint(dir, gguf, { type: "f32" });
    const t = chatTemplateForModel(gguf);
    expect(t.source).toBe("gguf");
    expect(t.template.source).toBe(OTHER);
    expect(t.template.bosToken).toBe("<｜begin▁of▁sentence｜>");
    expect(t.template.eosToken).toBe("<｜end▁of▁sentence｜>");
    expect(renderChat(t.template, [{ role: "user", content: "hi" }], { addGenerationPrompt: true })).toBe(
      "<<user>>hi<<assistant>>",
    );
  });

  it("from a checkpoint folder: chat_template.jinja (transformers 5) before tokenizer_config.json, as transformers loads them", () => {
    const dir = checkpoint("folder", (c) => c);
    expect(chatTemplateForModel(dir)).toMatchObject({
      source: "tokenizer_config.json",
      template: { source: BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"].source },
    });
    writeFileSync(join(dir, "chat_template.jinja"), OTHER);
    expect(chatTemplateForModel(dir)).toMatchObject({
      source: "chat_template.jinja",
      template: { source: OTHER },
    });
    // convert carries the jinja file's template into the GGUF
    const gguf = join(root, "jinja.gguf");
    expect(convertQwen2Checkpoint(dir, gguf, { type: "f32" }).chatTemplateSource).toBe("chat_template.jinja");
    expect(readGgufHeader(gguf).metadata.get("tokenizer.chat_template")).toBe(OTHER);
  });

  it("the built-in only when the model has none; a missing model is an error, not a silent default", () => {
    const dir = checkpoint("none", ({ chat_template: _t, ...c }) => c);
    expect(chatTemplateForModel(dir).source).toBe("builtin:r1-distill-qwen");
    const gguf = join(root, "none.gguf");
    expect(convertQwen2Checkpoint(dir, gguf, { type: "f32" }).chatTemplateSource).toBeNull();
    expect(readGgufHeader(gguf).metadata.has("tokenizer.chat_template")).toBe(false);
    expect(chatTemplateForModel(gguf).source).toBe("builtin:r1-distill-qwen");
    expect(chatTemplateForModel(gguf, "qwen2.5").source).toBe("builtin:qwen2.5");
    expect(chatTemplateForModel(undefined).source).toBe("builtin:r1-distill-qwen");
    expect(() => chatTemplateForModel(join(root, "nope.gguf"))).toThrow(ChatTemplateError);
    rmSync(dir, { recursive: true });
  });
});

describe("thinkprm prompt --chat-template auto (the default)", () => {
  const record = { id: "a", problem: "Solve 2x = 4", steps: ["x = 2"] };

  it("uses the model's template and says which one, on stderr or in --json", async () => {
    const dir = workdir({ "in.jsonl": jsonl(record) });
    const ckpt = checkpoint("cli", (c) => ({ ...c, chat_template: OTHER }));
    convertQwen2Checkpoint(ckpt, join(dir, "m.gguf"), { type: "f32" });
    const text = await cli(["prompt", "-i", "in.jsonl", "-m", "m.gguf"], { cwd: dir });
    expect(text.code).toBe(0);
    expect(text.stdout.startsWith("<<user>>")).toBe(true);
    expect(text.stdout).toContain("Solve 2x = 4");
    expect(text.stdout).toContain("<<assistant>>");
    expect(text.stderr).toBe("chat template: gguf\n");
    const json = await cli(["prompt", "-i", "in.jsonl", "-m", ckpt, "--json"], { cwd: dir });
    expect(JSON.parse(json.stdout).chat_template).toBe("tokenizer_config.json");
    // an explicit built-in still wins over the model's
    const forced = await cli(
      ["prompt", "-i", "in.jsonl", "-m", "m.gguf", "--chat-template", "r1-distill-qwen", "--json"],
      { cwd: dir },
    );
    expect(JSON.parse(forced.stdout)).toMatchObject({ chat_template: "builtin:r1-distill-qwen" });
    expect(JSON.parse(forced.stdout).prompt.startsWith("<｜begin▁of▁sentence｜><｜User｜>")).toBe(true);
  });

  it("without a model: the built-in r1-distill-qwen, said so; a .jinja file or folder as the value", async () => {
    const dir = workdir({ "in.jsonl": jsonl(record), "t.jinja": OTHER });
    const r = await cli(["prompt", "-i", "in.jsonl"], { cwd: dir });
    expect(r.stderr).toBe("chat template: builtin:r1-distill-qwen\n");
    const jinja = await cli(["prompt", "-i", "in.jsonl", "--chat-template", "t.jinja", "--json"], {
      cwd: dir,
    });
    expect(JSON.parse(jinja.stdout).prompt.startsWith("<<user>>")).toBe(true);
    const missing = await cli(["prompt", "-i", "in.jsonl", "-m", "nope.gguf"], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("nope.gguf is not a local .gguf file or checkpoint folder");
  });
});
