/** `thinkprm/openai`: the engine for OpenAI-compatible servers (vLLM, SGLang, llama.cpp server, Ollama, OpenAI). */
export { OpenAICompatibleEngine, type OpenAICompatibleOptions } from "./engines/openai-compatible/engine.js";
export { SERVER_KINDS, SERVER_PROFILES, type ServerKind } from "./engines/openai-compatible/profiles.js";
