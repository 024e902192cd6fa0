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
      const json = JSON.parse(header.toString("utf8")) as Record<
        string,
        { dtype: string; shape: number[]; data_offsets: [number, number] }
      >;
      for (const [name, e] of Object.entries(json)) {
        if (name === "__metadata__") continue;
        this.entries.set(name, {
          dtype: e.dtype,
          shape: e.shape,
          begin: e.data_offsets[0],
          end: e.data_offsets[1],
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

/** Rounds a float to bfloat16 (round to nearest even) and back. */
export function roundToBf16(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  const v = u[0]!;
  u[0] = ((v + 0x7fff + ((v >>> 16) & 1)) >>> 16) << 16;
  return f[0]!;
}

export interface SafetensorsTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
}

/** Writes a safetensors file (values are rounded to the dtype). */
export function writeSafetensors(path: string, tensors: SafetensorsTensor[]): void {
  const width = { F32: 4, F16: 2, BF16: 2 } as const;
  const header: Record<string, unknown> = {};
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
      else data.writeUInt16LE(new Uint32Array(new Float32Array([roundToBf16(x)]).buffer)[0]! >>> 16, at);
      at += width[t.dtype];
    }
  }
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([len, json, data]));
}
