/** `--method`: which verifier a command runs, built from the shared flags. */
import type { Engine } from "../engines/types.js";
import { DiscPrmVerifier } from "../verifier/disc-prm-verifier.js";
import { JudgeVerifier } from "../verifier/judge-verifier.js";
import { ThinkPrmVerifier } from "../verifier/thinkprm-verifier.js";
import type { Verifier } from "../verifier/types.js";
import { resolveChatTemplate } from "./chat-template-option.js";
import { resolveEngine } from "./engine-spec.js";
import { CliError, type CliIo } from "./io.js";

import type { VerifierMethod } from "./verifier-methods.js";

export type { VerifierMethod };

export interface VerifierFlags {
  method: VerifierMethod;
  engine: string;
  model: string;
  k: number;
  rounds: number;
  maxTokens: number;
  temperature?: number;
  seed?: number;
  chatTemplate: string;
  threads?: number;
  serverKind?: "vllm" | "sglang" | "llama.cpp" | "ollama" | "openai";
  servedModel?: string;
}

/** The verifier, over the engine `wrap` returns (e.g. the run store's cache), and how to close it. */
export async function makeVerifier(
  io: CliIo,
  f: VerifierFlags,
  wrap: (e: Engine) => Engine,
): Promise<{ verifier: Verifier; close: () => Promise<void> }> {
  const inner = await resolveEngine(io, f.engine, {
    model: f.model,
    ...(f.threads ? { threads: f.threads } : {}),
  });
  const engine = wrap(inner);
  const close = async () => {
    await engine.close?.();
  };
  try {
    const chatTemplate = resolveChatTemplate(io, f.chatTemplate);
    const sampling = {
      ...(f.temperature === undefined ? {} : { temperature: f.temperature }),
      ...(f.seed === undefined ? {} : { seed: f.seed }),
    };
    let verifier: Verifier;
    switch (f.method) {
      case "thinkprm":
        verifier = new ThinkPrmVerifier({
          engine,
          chatTemplate,
          k: f.k,
          rounds: f.rounds,
          maxTokens: f.maxTokens,
          layout: "numbered",
          ...sampling,
        });
        break;
      case "judge-single":
      case "judge-badstep":
      case "judge-each":
        verifier = new JudgeVerifier({
          engine,
          chatTemplate,
          template: f.method,
          k: f.k,
          maxTokens: f.maxTokens,
          ...sampling,
        });
        break;
      case "disc-prm":
      case "math-shepherd":
        verifier = new DiscPrmVerifier(engine, f.method);
        break;
    }
    return { verifier, close };
  } catch (error) {
    await close();
    throw new CliError((error as Error).message);
  }
}
