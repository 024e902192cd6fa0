export { buildByteBpeVocab, bytesToUnicode } from "./byte-bpe.js";
export { LlamaCppEngine, type LlamaCppEngineOptions } from "./engine.js";
export { GgmlType, GgufTokenType, GgufValueType } from "./gguf-format.js";
export { GgufFormatError, type GgufHeader, readGgufHeader, validateGguf } from "./gguf-reader.js";
export { encodeTensor, fromHalf, type GgufTensor, type GgufValue, toHalf, writeGguf } from "./gguf-writer.js";
export { CONSTANT_DEFAULT, makeConstantModel, makeTinyModel } from "./test-models.js";
