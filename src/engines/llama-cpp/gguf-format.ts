/**
 * GGUF v3 constants shared by the writer and the reader.
 * Layout: "GGUF" | u32 version | u64 n_tensors | u64 n_kv | KVs | tensor infos | pad to alignment | data.
 */

export const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
export const GGUF_VERSION = 3;
export const GGUF_ALIGNMENT = 32;

export enum GgufValueType {
  U8 = 0,
  I8 = 1,
  U16 = 2,
  I16 = 3,
  U32 = 4,
  I32 = 5,
  F32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  U64 = 10,
  I64 = 11,
  F64 = 12,
}

/** ggml tensor types this project writes. */
export enum GgmlType {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q8_0 = 8,
}

/** Token types of `tokenizer.ggml.token_type`. */
export enum GgufTokenType {
  NORMAL = 1,
  UNKNOWN = 2,
  CONTROL = 3,
  USER_DEFINED = 4,
  UNUSED = 5,
  BYTE = 6,
}

/** Bytes per block and weights per block of each type. */
export const GGML_BLOCK: Record<GgmlType, { bytes: number; weights: number }> = {
  [GgmlType.F32]: { bytes: 4, weights: 1 },
  [GgmlType.F16]: { bytes: 2, weights: 1 },
  [GgmlType.Q4_0]: { bytes: 18, weights: 32 },
  [GgmlType.Q8_0]: { bytes: 34, weights: 32 },
};
