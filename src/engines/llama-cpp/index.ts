export { buildByteBpeVocab, bytesToUnicode } from "./byte-bpe.js";
export {
  ConvertError,
  type ConvertOptions,
  type ConvertResult,
  type ConvertType,
  convertQwen2Checkpoint,
} from "./convert-qwen2.js";
export { type Qwen2Hparams, type RopeScaling, readQwen2Config } from "./convert-qwen2-config.js";
export { LlamaCppEngine, type LlamaCppEngineOptions } from "./engine.js";
export { GgmlType, GgufTokenType, GgufValueType } from "./gguf-format.js";
export {
  GgufFormatError,
  type GgufHeader,
  readGgufHeader,
  readGgufTensor,
  validateGguf,
} from "./gguf-reader.js";
export { encodeTensor, fromHalf, type GgufTensor, type GgufValue, toHalf, writeGguf } from "./gguf-writer.js";
export { CONSTANT_DEFAULT, makeConstantModel, makeTinyModel } from "./test-models.js";
