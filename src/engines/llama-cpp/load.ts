/**
 * node-llama-cpp is an optional dependency (its native binaries are ~700 MB, which an HTTP-only
 * user does not need). It is loaded here, once, and its absence is an error that says how to fix it.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
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

/** `waitForLockRelease` of lifecycle-utils, the copy node-llama-cpp itself uses. */
export type WaitForLockRelease = (scope: readonly unknown[]) => Promise<void>;

let lockUtils: Promise<WaitForLockRelease> | undefined;

/**
 * The lock utility of the very lifecycle-utils copy node-llama-cpp resolves (its locks are keyed
 * by objects in that copy's module state, so another copy would never see them held).
 */
export function loadWaitForLockRelease(): Promise<WaitForLockRelease> {
  lockUtils ??= (async () => {
    const fromNodeLlamaCpp = createRequire(createRequire(import.meta.url).resolve("node-llama-cpp"));
    const path = fromNodeLlamaCpp.resolve("lifecycle-utils");
    const utils = (await import(pathToFileURL(path).href)) as { waitForLockRelease: WaitForLockRelease };
    return utils.waitForLockRelease;
  })();
  return lockUtils;
}
