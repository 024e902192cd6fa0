/**
 * safetensors: u64 header length | JSON header {name: {dtype, shape, data_offsets: [begin, end]}}
 * | data. Reading is per tensor (a 7B checkpoint does not fit in memory at once); writing is for the
 * tiny checkpoints the tests make.
 */
import { closeSync, fstatSync, openSync, readSync, writeFileSync } from "node:fs";
import { fromHalf, toHalf } from "./gguf-writer.js";

export type SafetensorsDtype = "F32" | "F16" | "BF16";

export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** Bytes per value of the dtypes this reader decodes. */
const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

export class SafetensorsFile {
  readonly entries = new Map<string, SafetensorsEntry>();
  private readonly dataStart: number;

  constructor(readonly path: string) {
    const fd = openSync(path, "r");
    try {
      const size = fstatSync(fd).size;
      const lenBuf = Buffer.alloc(8);
      readSync(fd, lenBuf, 0, 8, 0);
      const headerLength = Number(lenBuf.readBigUInt64LE());
      if (headerLength <= 0 || headerLength > 100 * 2 ** 20 || 8 + headerLength > size) {
        throw new Error(`${path} is not a safetensors file (header length ${headerLength})`);
      }
      const header = Buffer.alloc(headerLength);
      readSync(fd, header, 0, headerLength, 8);
      let json: Record<string, unknown>;
      try {
        json = JSON.parse(header.toString("utf8")) as Record<string, unknown>;
      } catch {
        throw new Error(`${path} is not a safetensors file (its header is not JSON)`);
      }
      const dataBytes = size - 8 - headerLength;
      for (const [name, raw] of Object.entries(json)) {
        if (name === "__metadata__") continue;
        const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
        const offsets = e.data_offsets;
        const shape = e.shape;
        // a header is input like any other: offsets inside the file, a size that matches the shape
        if (
          typeof e.dtype !== "string" ||
          !Array.isArray(shape) ||
          !shape.every((d) => Number.isInteger(d) && d >= 0) ||
          !Array.isArray(offsets) ||
          offsets.length !== 2 ||
          !offsets.every((o) => Number.isInteger(o) && o >= 0) ||
          offsets[0] > offsets[1] ||
          offsets[1] > dataBytes
        )
          throw new Error(
            `${path}: tensor ${name} has a malformed header entry (dtype, shape or data_offsets)`,
          );
        const width = DTYPE_BYTES[e.dtype];
        const count = (shape as number[]).reduce((a, b) => a * b, 1);
        if (width !== undefined && offsets[1] - offsets[0] !== count * width)
          throw new Error(
            `${path}: tensor ${name} holds ${offsets[1] - offsets[0]} bytes, but ${e.dtype} [${shape.join(", ")}] needs ${count * width}`,
          );
        this.entries.set(name, {
          dtype: e.dtype,
          shape: shape as number[],
          begin: offsets[0],
          end: offsets[1],
        });
      }
      this.dataStart = 8 + headerLength;
    } finally {
      closeSync(fd);
    }
  }

  /** One tensor as float32 values, row-major. */
  read(name: string): Float32Array {
    const e = this.entries.get(name);
    if (!e) throw new Error(`${this.path} has no tensor ${name}`);
    const bytes = Buffer.alloc(e.end - e.begin);
    const fd = openSync(this.path, "r");
    try {
      readSync(fd, bytes, 0, bytes.length, this.dataStart + e.begin);
    } finally {
      closeSync(fd);
    }
    return decode(bytes, e.dtype, `${this.path}:${name}`);
  }
}

function decode(bytes: Buffer, dtype: string, what: string): Float32Array {
  switch (dtype) {
    case "F32": {
      const out = new Float32Array(bytes.length / 4);
      for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
      return out;
    }
    case "F16": {
      const out = new Float32Array(bytes.length / 2);
      for (let i = 0; i < out.length; i++) out[i] = fromHalf(bytes.readUInt16LE(i * 2));
      return out;
    }
    case "BF16": {
      // bfloat16 is the top half of a float32
      const out = new Float32Array(bytes.length / 2);
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < out.length; i++) u32[i] = bytes.readUInt16LE(i * 2) << 16;
      return out;
    }
    default:
      throw new Error(`${what}: dtype ${dtype} is not supported (bf16, f16 and f32 are)`);
  }
}

// one scratch word for the bit-level conversions below (no allocation per value)
const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** The bfloat16 bits of a float, round to nearest even (as torch's `.to(torch.bfloat16)`). */
export function bf16Bits(x: number): number {
  scratchF32[0] = x;
  const v = scratchU32[0]!;
  return ((v + 0x7fff + ((v >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Rounds a float to bfloat16 (round to nearest even) and back. */
export function roundToBf16(x: number): number {
  scratchU32[0] = bf16Bits(x) << 16;
  return scratchF32[0]!;
}

export interface SafetensorsTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
}

/**
 * Writes a safetensors file (values are rounded to the dtype). `metadata` becomes the header's
 * `__metadata__` (torch's `save_file` writes `{"format": "pt"}`, which transformers checks).
 */
export function writeSafetensors(
  path: string,
  tensors: SafetensorsTensor[],
  metadata?: Record<string, string>,
): void {
  const width = { F32: 4, F16: 2, BF16: 2 } as const;
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const t of tensors) {
    const n = t.data.length * width[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  let json = Buffer.from(JSON.stringify(header), "utf8");
  json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  const data = Buffer.alloc(offset);
  let at = 0;
  for (const t of tensors) {
    for (const x of t.data) {
      if (t.dtype === "F32") data.writeFloatLE(x, at);
      else if (t.dtype === "F16") data.writeUInt16LE(toHalf(x), at);
      else data.writeUInt16LE(bf16Bits(x), at);
      at += width[t.dtype];
    }
  }
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([len, json, data]));
}
