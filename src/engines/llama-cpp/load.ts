/**
 * node-llama-cpp is an optional dependency (its native binaries are ~700 MB, which an HTTP-only
 * user does not need). It is loaded here, once, and its absence is an error that says how to fix it.
 */
import { EngineError } from "../errors.js";

type NodeLlamaCpp = typeof import("node-llama-cpp");

let loaded: Promise<NodeLlamaCpp> | undefined;

/** The node-llama-cpp module, or an `EngineError` naming the package when it is not installed. */
export function loadNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  loaded ??= import("node-llama-cpp").catch((error: unknown) => {
    loaded = undefined; // a later install in the same process can still succeed
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new EngineError(
        "the embedded engine needs the optional package node-llama-cpp, which is not installed: run `npm install node-llama-cpp@3.21.1`, or use an HTTP engine (--engine openai:<url>)",
        { cause: error },
      );
    }
    throw new EngineError(`node-llama-cpp could not be loaded: ${(error as Error).message}`, {
      cause: error,
    });
  });
  return loaded;
}
