/**
 * Reads a GGUF file's metadata and tensor table (not the tensor data) and checks it before
 * llama.cpp loads it: some malformed files make llama.cpp abort the whole process
 * (`GGML_ASSERT`) instead of failing, e.g. a qwen2 file without `head_count` or
 * `feed_forward_length`. A bad file must give a clear error, never a crash.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { GGML_BLOCK, GGUF_MAGIC, GgmlType, GgufValueType } from "./gguf-format.js";
import { fromHalf } from "./gguf-writer.js";

export type GgufMetadataValue = number | bigint | string | boolean | (number | bigint | string | boolean)[];

export interface GgufTensorInfo {
  name: string;
  dims: number[];
  type: number;
  offset: bigint;
}

export interface GgufHeader {
  version: number;
  metadata: Map<string, GgufMetadataValue>;
  tensors: GgufTensorInfo[];
  /** File offset of the tensor data section (the tensor offsets count from here). */
  dataOffset: number;
}

export class GgufFormatError extends Error {
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = "GgufFormatError";
  }
}

/** Sequential reads over a file descriptor with a small buffer. */
class Cursor {
  private buf = Buffer.alloc(1 << 16);
  private start = 0; // file offset of buf[0]
  private end = 0; // bytes valid in buf
  private pos = 0; // file offset
  constructor(
    private readonly fd: number,
    private readonly size: number,
    private readonly path: string,
  ) {}
  private need(n: number): number {
    if (this.pos + n > this.size)
      throw new GgufFormatError(this.path, "the file ends inside its header (truncated or not a GGUF file)");
    if (this.pos < this.start || this.pos + n > this.start + this.end) {
      if (n > this.buf.length) this.buf = Buffer.alloc(n * 2);
      this.start = this.pos;
      this.end = readSync(this.fd, this.buf, 0, this.buf.length, this.pos);
    }
    const at = this.pos - this.start;
    this.pos += n;
    return at;
  }
  u8 = () => this.buf.readUInt8(this.need(1));
  i8 = () => this.buf.readInt8(this.need(1));
  u16 = () => this.buf.readUInt16LE(this.need(2));
  i16 = () => this.buf.readInt16LE(this.need(2));
  u32 = () => this.buf.readUInt32LE(this.need(4));
  i32 = () => this.buf.readInt32LE(this.need(4));
  f32 = () => this.buf.readFloatLE(this.need(4));
  f64 = () => this.buf.readDoubleLE(this.need(8));
  u64 = () => this.buf.readBigUInt64LE(this.need(8));
  i64 = () => this.buf.readBigInt64LE(this.need(8));
  count(what: string, max: number): number {
    const n = this.u64();
    if (n > BigInt(max)) throw new GgufFormatError(this.path, `implausible ${what} (${n})`);
    return Number(n);
  }
  get position(): number {
    return this.pos;
  }
  string(): string {
    const n = this.count("string length", 1 << 26);
    const at = this.need(n);
    return this.buf.toString("utf8", at, at + n);
  }
}

function readValue(c: Cursor, type: number, path: string): GgufMetadataValue {
  switch (type) {
    case GgufValueType.U8:
      return c.u8();
    case GgufValueType.I8:
      return c.i8();
    case GgufValueType.U16:
      return c.u16();
    case GgufValueType.I16:
      return c.i16();
    case GgufValueType.U32:
      return c.u32();
    case GgufValueType.I32:
      return c.i32();
    case GgufValueType.F32:
      return c.f32();
    case GgufValueType.BOOL:
      return c.u8() !== 0;
    case GgufValueType.STRING:
      return c.string();
    case GgufValueType.U64:
      return c.u64();
    case GgufValueType.I64:
      return c.i64();
    case GgufValueType.F64:
      return c.f64();
    case GgufValueType.ARRAY: {
      const elementType = c.u32();
      const n = c.count("array length", 1 << 26);
      const out: (number | bigint | string | boolean)[] = [];
      for (let i = 0; i < n; i++)
        out.push(readValue(c, elementType, path) as number | bigint | string | boolean);
      return out;
    }
    default:
      throw new GgufFormatError(path, `unknown metadata value type ${type}`);
  }
}

export function readGgufHeader(path: string): GgufHeader {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw new GgufFormatError(
      path,
      `cannot open the model file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  try {
    const size = fstatSync(fd).size;
    const c = new Cursor(fd, size, path);
    if (size < 24 || c.u32() !== GGUF_MAGIC) throw new GgufFormatError(path, "not a GGUF file (bad magic)");
    const version = c.u32();
    if (version < 2 || version > 3) throw new GgufFormatError(path, `unsupported GGUF version ${version}`);
    const nTensors = c.count("tensor count", 1 << 20);
    const nKv = c.count("metadata count", 1 << 20);
    const metadata = new Map<string, GgufMetadataValue>();
    for (let i = 0; i < nKv; i++) {
      const key = c.string();
      metadata.set(key, readValue(c, c.u32(), path));
    }
    const tensors: GgufTensorInfo[] = [];
    for (let i = 0; i < nTensors; i++) {
      const name = c.string();
      const nDims = c.u32();
      if (nDims > 4) throw new GgufFormatError(path, `tensor ${name} has ${nDims} dimensions`);
      const dims: number[] = [];
      for (let d = 0; d < nDims; d++) dims.push(Number(c.u64()));
      tensors.push({ name, dims, type: c.u32(), offset: c.u64() });
    }
    const alignment = Number(metadata.get("general.alignment") ?? 32) || 32;
    const dataOffset = Math.ceil(c.position / alignment) * alignment;
    return { version, metadata, tensors, dataOffset };
  } finally {
    closeSync(fd);
  }
}

const positive = (v: GgufMetadataValue | undefined) =>
  (typeof v === "number" || typeof v === "bigint") && Number(v) >= 1;

/**
 * Checks what llama.cpp needs before loading: the architecture, its shape keys (the ones whose
 * absence aborts the process), and a tokenizer. Returns the header; throws `GgufFormatError`
 * naming the missing key and the fix.
 */
export function validateGguf(path: string): GgufHeader {
  const header = readGgufHeader(path);
  const m = header.metadata;
  const arch = m.get("general.architecture");
  if (typeof arch !== "string")
    throw new GgufFormatError(path, 'no "general.architecture"; re-convert the model');
  for (const key of [
    "context_length",
    "embedding_length",
    "block_count",
    "feed_forward_length",
    "attention.head_count",
  ]) {
    if (!positive(m.get(`${arch}.${key}`))) {
      throw new GgufFormatError(
        path,
        `missing or zero "${arch}.${key}"; the file is incomplete, re-convert it (thinkprm convert)`,
      );
    }
  }
  const tokens = m.get("tokenizer.ggml.tokens");
  if (typeof m.get("tokenizer.ggml.model") !== "string" || !Array.isArray(tokens) || tokens.length === 0) {
    throw new GgufFormatError(
      path,
      "no tokenizer (tokenizer.ggml.model / tokenizer.ggml.tokens); re-convert it with its tokenizer files",
    );
  }
  if (header.tensors.length === 0) throw new GgufFormatError(path, "the file holds no tensors");
  return header;
}

/**
 * The chat template a GGUF carries (`tokenizer.chat_template`, as llama.cpp's converter and
 * `thinkprm convert` write it), with its BOS/EOS token texts; undefined when it has none.
 */
export function templateFromGgufHeader(
  header: GgufHeader,
  name: string,
): { name: string; source: string; bosToken?: string; eosToken?: string } | undefined {
  const source = header.metadata.get("tokenizer.chat_template");
  if (typeof source !== "string" || source.trim() === "") return undefined;
  const tokens = header.metadata.get("tokenizer.ggml.tokens");
  const text = (key: string) => {
    const id = header.metadata.get(key);
    if (!Array.isArray(tokens) || (typeof id !== "number" && typeof id !== "bigint")) return undefined;
    const t = tokens[Number(id)];
    return typeof t === "string" ? t : undefined;
  };
  const bosToken = text("tokenizer.ggml.bos_token_id");
  const eosToken = text("tokenizer.ggml.eos_token_id");
  return {
    name: `${name} (gguf)`,
    source,
    ...(bosToken === undefined ? {} : { bosToken }),
    ...(eosToken === undefined ? {} : { eosToken }),
  };
}

/** The texts of a GGUF's control (3) and user-defined (4) tokens, longer than one character. */
export function addedTokenTexts(header: GgufHeader): string[] {
  const tokens = header.metadata.get("tokenizer.ggml.tokens");
  const types = header.metadata.get("tokenizer.ggml.token_type");
  if (!Array.isArray(tokens) || !Array.isArray(types)) return [];
  const out: string[] = [];
  types.forEach((t, i) => {
    const text = tokens[i];
    if ((Number(t) === 3 || Number(t) === 4) && typeof text === "string" && text.length > 1) out.push(text);
  });
  return out;
}

/** ggml's BF16 type id (not written by this project, but llama.cpp's converter can write it). */
const GGML_BF16 = 30;

/**
 * One tensor's values as float32, row-major (innermost dimension fastest), decoded from F32, F16,
 * BF16 or Q8_0 — for comparing two conversions of the same checkpoint.
 */
export function readGgufTensor(path: string, header: GgufHeader, name: string): Float32Array {
  const t = header.tensors.find((x) => x.name === name);
  if (!t) throw new GgufFormatError(path, `no tensor ${name}`);
  const count = t.dims.reduce((a, b) => a * b, 1);
  const block = t.type === GGML_BF16 ? { bytes: 2, weights: 1 } : GGML_BLOCK[t.type as GgmlType];
  if (!block) throw new GgufFormatError(path, `tensor ${name}: type ${t.type} cannot be decoded here`);
  const bytes = Buffer.alloc((count / block.weights) * block.bytes);
  const fd = openSync(path, "r");
  try {
    const read = readSync(fd, bytes, 0, bytes.length, header.dataOffset + Number(t.offset));
    if (read !== bytes.length)
      throw new GgufFormatError(path, `tensor ${name} runs past the end of the file`);
  } finally {
    closeSync(fd);
  }
  const out = new Float32Array(count);
  switch (t.type) {
    case GgmlType.F32:
      for (let i = 0; i < count; i++) out[i] = bytes.readFloatLE(i * 4);
      return out;
    case GgmlType.F16:
      for (let i = 0; i < count; i++) out[i] = fromHalf(bytes.readUInt16LE(i * 2));
      return out;
    case GGML_BF16: {
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u[i] = bytes.readUInt16LE(i * 2) << 16;
      return out;
    }
    case GgmlType.Q8_0:
      for (let b = 0; b < count / 32; b++) {
        const d = fromHalf(bytes.readUInt16LE(b * 34));
        for (let j = 0; j < 32; j++) out[b * 32 + j] = d * bytes.readInt8(b * 34 + 2 + j);
      }
      return out;
    default:
      throw new GgufFormatError(path, `tensor ${name}: type ${t.type} cannot be decoded here`);
  }
}
