/**
 * `createVerifier(settings, context)`: one settings object (see `settings.ts`) → the verifier it
 * names — ThinkPRM, an LLM-as-a-judge prompt, or a discriminative PRM — over an engine. The CLI,
 * `serve` and library users all build verifiers here, so every setting means the same everywhere.
 *
 * @example
 * const verifier = createVerifier({ k: 4, rounds: 2 }, { engine, chatTemplate: BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"] });
 */
import type { ChatTemplate } from "../engines/chat-template.js";
import type { Engine } from "../engines/types.js";
import { DiscPrmVerifier } from "./disc-prm-verifier.js";
import { JudgeVerifier } from "./judge-verifier.js";
import { PerStepVerifier } from "./per-step.js";
import { type VerifierSettingsInput, verifierSettingsSchema } from "./settings.js";
import { ThinkPrmVerifier } from "./thinkprm-verifier.js";
import type { Verifier } from "./types.js";

export interface VerifierContext {
  engine: Engine;
  /** The resolved chat template (`resolveChatTemplate`); null sends bare user messages. */
  chatTemplate: ChatTemplate | null;
}

/**
 * Builds the verifier. Throws a `ZodError` for settings out of bounds and an
 * `EngineCapabilityError` (with the fix) when the engine cannot do what the settings ask.
 */
export function createVerifier(settings: VerifierSettingsInput, context: VerifierContext): Verifier {
  const { method, chatTemplate: _name, ...s } = verifierSettingsSchema.parse(settings);
  const { engine, chatTemplate } = context;
  switch (method) {
    case "thinkprm": {
      const { mode, ...thinkprm } = s;
      const verifier = new ThinkPrmVerifier({ engine, chatTemplate, ...thinkprm });
      return mode === "per-step"
        ? new PerStepVerifier(verifier, engine.capabilities.concurrency ?? 8)
        : verifier;
    }
    case "judge-single":
    case "judge-badstep":
    case "judge-each":
      return new JudgeVerifier({
        engine,
        chatTemplate,
        template: method,
        k: s.k,
        maxTokens: s.maxTokens,
        ...(s.temperature === undefined ? {} : { temperature: s.temperature }),
        ...(s.seed === undefined ? {} : { seed: s.seed }),
        specialTokens: s.specialTokens,
      });
    case "disc-prm":
    case "math-shepherd":
      return new DiscPrmVerifier(engine, method, 0.5, s.specialTokens);
  }
}
