/**
 * `thinkprm/llama-cpp`: the embedded llama.cpp engine (needs the optional package node-llama-cpp),
 * the GGUF converter and the models the project generates for tests.
 */
export { convertQwen2Checkpoint } from "./engines/llama-cpp/convert-qwen2.js";
export { LlamaCppEngine, type LlamaCppEngineOptions } from "./engines/llama-cpp/engine.js";
export { readGgufHeader, validateGguf } from "./engines/llama-cpp/gguf-reader.js";
export { resolveModel } from "./engines/llama-cpp/model-source.js";
export { makeConstantModel, makeTinyModel } from "./engines/llama-cpp/test-models.js";
