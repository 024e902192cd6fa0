/**
 * A GGUF v3 writer: metadata key/values and tensors (F32, F16, Q8_0, Q4_0 from real floats).
 * Used by the checkpoint converter and by the test-model generator.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import {
  GGML_BLOCK,
  GGUF_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_VERSION,
  GgmlType,
  GgufValueType,
} from "./gguf-format.js";

export type GgufScalar =
  | {
      type: GgufValueType.U32 | GgufValueType.I32 | GgufValueType.F32 | GgufValueType.U8 | GgufValueType.I8;
      value: number;
    }
  | { type: GgufValueType.U16 | GgufValueType.I16 | GgufValueType.F64; value: number }
  | { type: GgufValueType.U64 | GgufValueType.I64; value: bigint }
  | { type: GgufValueType.BOOL; value: boolean }
  | { type: GgufValueType.STRING; value: string };

export type GgufValue =
  | GgufScalar
  | { type: GgufValueType.ARRAY; elementType: GgufValueType; values: (number | string | boolean | bigint)[] };

export const u32 = (value: number): GgufValue => ({ type: GgufValueType.U32, value });
export const i32 = (value: number): GgufValue => ({ type: GgufValueType.I32, value });
export const f32 = (value: number): GgufValue => ({ type: GgufValueType.F32, value });
export const bool = (value: boolean): GgufValue => ({ type: GgufValueType.BOOL, value });
export const str = (value: string): GgufValue => ({ type: GgufValueType.STRING, value });
export const strArray = (values: string[]): GgufValue => ({
  type: GgufValueType.ARRAY,
  elementType: GgufValueType.STRING,
  values,
});
export const i32Array = (values: number[]): GgufValue => ({
  type: GgufValueType.ARRAY,
  elementType: GgufValueType.I32,
  values,
});

export interface GgufTensor {
  name: string;
  /** Dimensions, innermost (contiguous) first, as GGUF stores them: a [rows, cols] matrix is `[cols, rows]`. */
  dims: number[];
  type: GgmlType;
  /** Row-major values (innermost dimension fastest); encoded to `type` on write. */
  data: Float32Array;
}

/** IEEE half from a float, round to nearest even (as ggml's FP32→FP16). */
export function toHalf(value: number): number {
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  let exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  exp = exp - 127 + 15;
  if (exp >= 0x1f) return sign | 0x7c00; // overflow → Inf
  if (exp <= 0) {
    if (exp < -10) return sign; // underflow → ±0
    mant |= 0x800000;
    const shift = 14 - exp;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = sign | (exp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return half;
}

/** The float a half decodes to. */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** C `roundf`: halves away from zero. */
const roundf = (x: number) => Math.sign(x) * Math.round(Math.abs(x));

/** Encodes values as ggml blocks of the given type (ggml's reference quantisers). */
export function encodeTensor(data: Float32Array, type: GgmlType): Buffer {
  const { bytes, weights } = GGML_BLOCK[type];
  if (data.length % weights !== 0)
    throw new Error(`${GgmlType[type]} needs a multiple of ${weights} values, got ${data.length}`);
  const out = Buffer.alloc((data.length / weights) * bytes);
  switch (type) {
    case GgmlType.F32:
      for (let i = 0; i < data.length; i++) out.writeFloatLE(data[i]!, i * 4);
      return out;
    case GgmlType.F16:
      for (let i = 0; i < data.length; i++) out.writeUInt16LE(toHalf(data[i]!), i * 2);
      return out;
    case GgmlType.Q8_0:
      for (let b = 0; b < data.length / 32; b++) {
        let amax = 0;
        for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(data[b * 32 + j]!));
        // float32 arithmetic, as ggml's quantize_row_q8_0_ref and gguf-py compute it (bit-exact)
        const d = Math.fround(amax / 127);
        const id = d ? Math.fround(1 / d) : 0;
        out.writeUInt16LE(toHalf(d), b * 34);
        for (let j = 0; j < 32; j++)
          out.writeInt8(roundf(Math.fround(data[b * 32 + j]! * id)), b * 34 + 2 + j);
      }
      return out;
    case GgmlType.Q4_0:
      for (let b = 0; b < data.length / 32; b++) {
        let amax = 0;
        let max = 0;
        for (let j = 0; j < 32; j++) {
          const v = data[b * 32 + j]!;
          if (Math.abs(v) > amax) {
            amax = Math.abs(v);
            max = v;
          }
        }
        const d = max / -8;
        const id = d ? 1 / d : 0;
        out.writeUInt16LE(toHalf(d), b * 18);
        for (let j = 0; j < 16; j++) {
          const q0 = Math.min(15, Math.trunc(data[b * 32 + j]! * id + 8.5));
          const q1 = Math.min(15, Math.trunc(data[b * 32 + 16 + j]! * id + 8.5));
          out.writeUInt8(q0 | (q1 << 4), b * 18 + 2 + j);
        }
      }
      return out;
  }
}

class ByteSink {
  private readonly chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  u64(v: number | bigint): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  string(s: string): void {
    const bytes = Buffer.from(s, "utf8");
    this.u64(bytes.length);
    this.push(bytes);
  }
  pad(to: number): void {
    const rem = this.length % to;
    if (rem) this.push(Buffer.alloc(to - rem));
  }
  concat(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

/** The little-endian bytes of one scalar (strings carry their u64 length). */
function scalarBytes(type: GgufValueType, value: number | string | boolean | bigint): Buffer {
  const b = Buffer.alloc(8);
  switch (type) {
    case GgufValueType.U8:
      b.writeUInt8(value as number);
      return b.subarray(0, 1);
    case GgufValueType.I8:
      b.writeInt8(value as number);
      return b.subarray(0, 1);
    case GgufValueType.U16:
      b.writeUInt16LE(value as number);
      return b.subarray(0, 2);
    case GgufValueType.I16:
      b.writeInt16LE(value as number);
      return b.subarray(0, 2);
    case GgufValueType.U32:
      b.writeUInt32LE(value as number);
      return b.subarray(0, 4);
    case GgufValueType.I32:
      b.writeInt32LE(value as number);
      return b.subarray(0, 4);
    case GgufValueType.F32:
      b.writeFloatLE(value as number);
      return b.subarray(0, 4);
    case GgufValueType.BOOL:
      b.writeUInt8(value ? 1 : 0);
      return b.subarray(0, 1);
    case GgufValueType.STRING: {
      const bytes = Buffer.from(value as string, "utf8");
      b.writeBigUInt64LE(BigInt(bytes.length));
      return Buffer.concat([b, bytes]);
    }
    case GgufValueType.U64:
      b.writeBigUInt64LE(value as bigint);
      return b;
    case GgufValueType.I64:
      b.writeBigInt64LE(value as bigint);
      return b;
    case GgufValueType.F64:
      b.writeDoubleLE(value as number);
      return b;
    case GgufValueType.ARRAY:
      throw new Error("nested GGUF arrays are not supported");
  }
}

/** A tensor whose values are produced when it is written (one at a time, for large models). */
export interface LazyGgufTensor {
  name: string;
  dims: number[];
  type: GgmlType;
  /** The values, or bytes already encoded in `type` (e.g. random blocks for throughput models). */
  load: () => Float32Array | Buffer;
}

type TensorShape = { name: string; dims: number[]; type: GgmlType };

function encodedSize(t: TensorShape): number {
  const count = t.dims.reduce((a, b) => a * b, 1);
  const { bytes, weights } = GGML_BLOCK[t.type];
  if (count % weights !== 0)
    throw new Error(`tensor ${t.name}: ${GgmlType[t.type]} needs a multiple of ${weights} values`);
  return (count / weights) * bytes;
}

function encodeChecked(t: TensorShape, data: Float32Array): Buffer {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (count !== data.length)
    throw new Error(`tensor ${t.name}: dims ${t.dims.join("×")} need ${count} values, got ${data.length}`);
  return encodeTensor(data, t.type);
}

type Metadata = Map<string, GgufValue> | Record<string, GgufValue>;

/** Header, metadata and tensor table, padded to the alignment; the data section follows. */
function ggufHeader(metadata: Metadata, tensors: TensorShape[]): ByteSink {
  const kvs = metadata instanceof Map ? [...metadata] : Object.entries(metadata);
  const head = new ByteSink();
  head.u32(GGUF_MAGIC);
  head.u32(GGUF_VERSION);
  head.u64(tensors.length);
  head.u64(kvs.length);
  for (const [key, v] of kvs) {
    head.string(key);
    head.u32(v.type);
    if (v.type === GgufValueType.ARRAY) {
      head.u32(v.elementType);
      head.u64(v.values.length);
      for (const x of v.values) head.push(scalarBytes(v.elementType, x));
    } else {
      head.push(scalarBytes(v.type, v.value));
    }
  }
  let offset = 0;
  for (const t of tensors) {
    head.string(t.name);
    head.u32(t.dims.length);
    for (const d of t.dims) head.u64(d);
    head.u32(t.type);
    head.u64(offset);
    offset += encodedSize(t);
    offset += (GGUF_ALIGNMENT - (offset % GGUF_ALIGNMENT)) % GGUF_ALIGNMENT;
  }
  head.pad(GGUF_ALIGNMENT);
  return head;
}

/** Serialises a complete GGUF v3 file in memory. Keys are written in insertion order. */
export function writeGguf(metadata: Metadata, tensors: GgufTensor[]): Buffer {
  const head = ggufHeader(metadata, tensors);
  for (const t of tensors) {
    head.push(encodeChecked(t, t.data));
    head.pad(GGUF_ALIGNMENT);
  }
  return head.concat();
}

/** Writes a GGUF file tensor by tensor, so only one tensor's values are in memory at a time. */
export function writeGgufFile(
  path: string,
  metadata: Metadata,
  tensors: LazyGgufTensor[],
  onTensor?: (index: number, name: string) => void,
): void {
  const fd = openSync(path, "w");
  try {
    let at = 0;
    const put = (b: Buffer) => {
      writeSync(fd, b, 0, b.length, at);
      at += b.length;
    };
    put(ggufHeader(metadata, tensors).concat());
    for (const [i, t] of tensors.entries()) {
      onTensor?.(i, t.name);
      const data = t.load();
      const bytes = Buffer.isBuffer(data) ? data : encodeChecked(t, data);
      if (bytes.length !== encodedSize(t))
        throw new Error(`tensor ${t.name}: ${bytes.length} bytes, expected ${encodedSize(t)}`);
      put(bytes);
      const rem = bytes.length % GGUF_ALIGNMENT;
      if (rem) put(Buffer.alloc(GGUF_ALIGNMENT - rem));
    }
  } finally {
    closeSync(fd);
  }
}
