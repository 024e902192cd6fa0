/**
 * The tokenizer half of the Qwen2 converter: tokenizer.json (vocabulary, merges, added tokens,
 * pre-tokenizer), tokenizer_config.json (special tokens, written as strings or as transformers'
 * `{"__type": "AddedToken", "content": …}` objects) and the chat template (transformers 5's
 * `chat_template.jinja`, which takes priority as in transformers, or `chat_template` in
 * tokenizer_config.json). Token types and special-token flags follow llama.cpp's converter.
 * A tokenizer llama.cpp would split differently from transformers (another pre-tokenizer, a
 * normaliser other than NFC, byte fallback) is refused rather than converted into a model whose
 * token ids silently differ from the ones it was trained on.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { GgufTokenType } from "./gguf-format.js";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
export type MakeError = (message: string) => Error;

/** Qwen2's pre-tokenizer split (Qwen2.5, R1-Distill-Qwen, ThinkPRM): the one llama.cpp's qwen2 pre-type implements. */
export const QWEN2_SPLIT_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

interface AddedTokenJson {
  id: number;
  content: string;
  special?: boolean;
}

export interface TokenizerFiles {
  dir: string;
  vocab: Record<string, number>;
  merges: (string | string[])[];
  added: AddedTokenJson[];
  bos?: string;
  eos?: string;
  pad?: string;
  /** Whether the tokenizer adds these by itself; undefined when nothing says. */
  addBos: boolean | undefined;
  addEos: boolean | undefined;
  addSep: boolean | undefined;
  chatTemplate?: { source: string; file: "chat_template.jinja" | "tokenizer_config.json" };
}

/** A special token in tokenizer_config.json: a string or an AddedToken object with `content`. */
export function specialTokenText(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (isObject(v) && typeof v.content === "string") return v.content;
  return undefined;
}

/** The model's own chat template from a tokenizer_config.json object (string, or list with a `default`). */
export function templateFromTokenizerConfig(config: Json): string | undefined {
  let t: unknown = config.chat_template;
  if (Array.isArray(t)) {
    const entries = t.filter(isObject);
    t = (entries.find((e) => e.name === "default") ?? entries[0])?.template;
  }
  return typeof t === "string" && t.length > 0 ? t : undefined;
}

function readJsonFile(path: string, fail: MakeError): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw fail(`${path} is not valid JSON (${(error as Error).message})`);
  }
}

/**
 * Whether the tokenizer adds BOS / EOS / a separator by itself, as llama.cpp's converter reads it
 * (gguf-py `SpecialVocab`): `add_{bos,eos,sep}_token` in tokenizer_config.json when it is a
 * boolean, else what tokenizer.json's TemplateProcessing post-processor puts first, last and
 * between a pair; undefined when neither says (the key is then not written).
 */
export function specialTokenFlags(
  json: Json,
  config: Json,
  bos: string | undefined,
  eos: string | undefined,
) {
  const out: { bos?: boolean; eos?: boolean; sep?: boolean } = {};
  const pp = json.post_processor;
  const processors = isObject(pp)
    ? Array.isArray(pp.processors)
      ? pp.processors.filter(isObject)
      : [pp]
    : [];
  const special = (x: unknown) =>
    isObject(x) && isObject(x.SpecialToken) && typeof x.SpecialToken.id === "string"
      ? x.SpecialToken.id
      : undefined;
  const sequence = (x: unknown) => (isObject(x) && isObject(x.Sequence) ? x.Sequence.id : undefined);
  const sep = specialTokenText(config.sep_token);
  for (const p of processors) {
    if (p.type !== "TemplateProcessing") continue;
    const single = Array.isArray(p.single) ? p.single : [];
    let pair = Array.isArray(p.pair) ? p.pair : [];
    const first = single.length > 1 ? special(single[0]) : undefined;
    const last = single.length > 1 ? special(single.at(-1)) : undefined;
    if (first !== undefined) out.bos = first === bos;
    if (last !== undefined) out.eos = last === eos;
    if (pair.length > 0) {
      pair = pair.slice(first !== undefined && special(pair[0]) === first ? 1 : 0);
      if (last !== undefined && special(pair.at(-1)) === last) pair = pair.slice(0, -1);
      const middle = pair.slice(1, -1);
      if (sequence(pair[0]) === "A" && sequence(pair.at(-1)) === "B" && middle.length > 0) {
        const entry = special(middle[0]);
        let addSep = entry !== undefined && (entry === sep || entry === eos) && last === undefined;
        if (middle.length === 2) {
          const second = special(middle[1]);
          if (second !== undefined && (second === sep || second === eos)) addSep = true;
        }
        out.sep = addSep;
      }
    }
  }
  for (const typ of ["bos", "eos", "sep"] as const) {
    const v = config[`add_${typ}_token`];
    if (typeof v === "boolean") out[typ] = v;
  }
  return out;
}

/** Reads and checks the tokenizer files of a checkpoint folder. */
export function readTokenizerFiles(dir: string, fail: MakeError): TokenizerFiles {
  const tokPath = join(dir, "tokenizer.json");
  const cfgPath = join(dir, "tokenizer_config.json");
  for (const p of [tokPath, cfgPath])
    if (!existsSync(p))
      throw fail(
        `${dir} has no ${p.slice(dir.length + 1)}; a Hugging Face checkpoint folder needs config.json, *.safetensors, tokenizer.json and tokenizer_config.json`,
      );
  const json = readJsonFile(tokPath, fail);
  const config = readJsonFile(cfgPath, fail);
  if (!isObject(json) || !isObject(config))
    throw fail(`${dir}: tokenizer.json and tokenizer_config.json must be objects`);
  const model = json.model;
  if (!isObject(model) || model.type !== "BPE" || !isObject(model.vocab) || !Array.isArray(model.merges))
    throw fail(
      `${tokPath} is not a BPE tokenizer with a vocabulary and merges (model.type ${JSON.stringify(isObject(model) ? model.type : undefined)})`,
    );
  if (model.byte_fallback === true) throw fail(`${tokPath}: byte_fallback BPE is not Qwen2's byte-level BPE`);
  checkPreTokenizer(json, tokPath, fail);

  const added = (Array.isArray(json.added_tokens) ? json.added_tokens : []).filter(
    (t): t is AddedTokenJson =>
      isObject(t) && Number.isInteger(t.id) && (t.id as number) >= 0 && typeof t.content === "string",
  );
  const bos = specialTokenText(config.bos_token);
  const eos = specialTokenText(config.eos_token);
  const pad = specialTokenText(config.pad_token);
  // transformers 5 drops add_bos_token from tokenizer_config.json when tokenizer.json exists and
  // decides by the post-processor; llama.cpp's converter reads both
  const flags = specialTokenFlags(json, config, bos, eos);

  // transformers loads chat_template.jinja in preference to the config's chat_template
  const jinja = join(dir, "chat_template.jinja");
  let chatTemplate: TokenizerFiles["chatTemplate"];
  if (existsSync(jinja)) {
    const source = readFileSync(jinja, "utf8");
    if (source.length > 0) chatTemplate = { source, file: "chat_template.jinja" };
  }
  if (!chatTemplate) {
    const source = templateFromTokenizerConfig(config);
    if (source) chatTemplate = { source, file: "tokenizer_config.json" };
  }
  const files: TokenizerFiles = {
    dir,
    vocab: model.vocab as Record<string, number>,
    merges: model.merges as (string | string[])[],
    added,
    addBos: flags.bos,
    addEos: flags.eos,
    addSep: flags.sep,
  };
  if (bos !== undefined) files.bos = bos;
  if (eos !== undefined) files.eos = eos;
  if (pad !== undefined) files.pad = pad;
  if (chatTemplate) files.chatTemplate = chatTemplate;
  return files;
}

/**
 * Qwen2's splitting: Split(the Qwen2 regex) then ByteLevel without its own regex; no normaliser or
 * NFC (which llama.cpp does not apply: text that is not NFC-normalised tokenises differently there).
 */
function checkPreTokenizer(json: Json, path: string, fail: MakeError): void {
  const n = json.normalizer;
  const nfcOrNone =
    n === null ||
    n === undefined ||
    (isObject(n) &&
      (n.type === "NFC" ||
        (n.type === "Sequence" && Array.isArray(n.normalizers) && n.normalizers.length === 0)));
  if (!nfcOrNone) throw fail(`${path}: normalizer ${JSON.stringify(n)} is not supported (none or NFC)`);
  const pre = json.pre_tokenizer;
  const steps =
    isObject(pre) && pre.type === "Sequence" && Array.isArray(pre.pretokenizers) ? pre.pretokenizers : [pre];
  const [split, byteLevel] = steps as Json[];
  const ok =
    steps.length === 2 &&
    isObject(split) &&
    split.type === "Split" &&
    isObject(split.pattern) &&
    split.pattern.Regex === QWEN2_SPLIT_REGEX &&
    isObject(byteLevel) &&
    byteLevel.type === "ByteLevel" &&
    byteLevel.use_regex === false;
  if (!ok)
    throw fail(
      `${path}: the pre-tokenizer is not Qwen2's (Split on Qwen2's pattern, then ByteLevel); llama.cpp would split text differently from transformers`,
    );
}

/**
 * Looks like a control token to llama.cpp's converter (`does_token_look_special`): `<|…|>` and
 * `<｜…｜>` added tokens are control tokens even when tokenizer.json does not mark them special.
 */
export function looksSpecial(text: string): boolean {
  return (
    ["<pad>", "<mask>", "<2mass>", "[@BOS@]"].includes(text) ||
    (text.startsWith("<|") && text.endsWith("|>")) ||
    (text.startsWith("<｜") && text.endsWith("｜>")) ||
    (text.startsWith("<unused") && text.endsWith(">"))
  );
}

/** Vocabulary, token types, merges and pre-tokenizer name, padded to the embedding's rows. */
export function ggufTokenizer(files: TokenizerFiles, vocabRows: number, fail: MakeError) {
  const tokens: string[] = Array.from({ length: vocabRows }, (_, i) => `[PAD${i}]`);
  const types: GgufTokenType[] = Array.from({ length: vocabRows }, () => GgufTokenType.UNUSED);
  const place = (text: string, id: number, type: GgufTokenType) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabRows)
      throw fail(
        `${files.dir}: token ${JSON.stringify(text)} has id ${id}, outside the embedding's ${vocabRows} rows (config.json vocab_size)`,
      );
    tokens[id] = text;
    types[id] = type;
  };
  for (const [text, id] of Object.entries(files.vocab)) place(text, id, GgufTokenType.NORMAL);
  for (const t of files.added)
    place(
      t.content,
      t.id,
      t.special || looksSpecial(t.content) ? GgufTokenType.CONTROL : GgufTokenType.USER_DEFINED,
    );
  // merges: "a b" strings, or [a, b] pairs (tokenizers ≥ 0.20), whose spaces llama.cpp encodes as U+0120
  const merges = files.merges.map((m) => {
    if (typeof m === "string") return m;
    if (Array.isArray(m) && m.length === 2 && m.every((x) => typeof x === "string"))
      return m.map((part) => part.replaceAll(" ", "\u0120")).join(" ");
    throw fail(`${files.dir}/tokenizer.json: a merge is neither "a b" nor ["a", "b"]: ${JSON.stringify(m)}`);
  });
  // llama.cpp names R1-Distill-Qwen's pre-tokenizer separately; its splitting rule is Qwen2's
  const pre = tokens.includes("<｜begin▁of▁sentence｜>") ? "deepseek-r1-qwen" : "qwen2";
  return { tokens, types, merges, pre };
}
