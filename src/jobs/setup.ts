/**
 * What every job shares: the environment it runs in, the run store it writes, and the verifier it
 * assembles from an engine spec and one settings object. The CLI and `serve` hand these over and
 * only print; nothing here writes to a terminal.
 */
import { createHash, randomInt } from "node:crypto";
import { resolve } from "node:path";
import type { SolutionInput } from "../core/types.js";
import { InputError } from "../datasets/jsonl.js";
import { type ResolvedChatTemplate, resolveChatTemplate } from "../engines/chat-template-source.js";
import { createEngine, type EngineEnvironment } from "../engines/create.js";
import type { EngineSpecInput } from "../engines/spec.js";
import type { Engine } from "../engines/types.js";
import type { ItemFailure, ItemUsage } from "../store/run-loop.js";
import type { RunRecord } from "../store/run-store.js";
import { RunStore } from "../store/run-store.js";
import { createVerifier } from "../verifier/create.js";
import { findSpecialTokenIn, SpecialTokenError } from "../verifier/input-guard.js";
import {
  type VerifierSettings,
  type VerifierSettingsInput,
  verifierSettingsSchema,
} from "../verifier/settings.js";
import type { Verification, Verifier } from "../verifier/types.js";

export interface JobEnvironment {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Download, conversion and set-up messages (stderr in the CLI). */
  onStatus?: (message: string) => void;
  /** Cancels the job (SIGINT): items in flight are left for a resume. */
  signal?: AbortSignal;
}

/** Where a job keeps its work: a store file, or nothing on disk (`null`, an in-memory store). */
export interface StoreChoice {
  store: string | null;
  /** Answer repeated engine calls from the store's cache (default true). */
  cache?: boolean;
}

/** How a job loops: its window, per-item timeout and resume choices. */
export interface LoopChoice {
  /** Items in flight; default `itemWindow(engine)`, what the engine declares (`capabilities.concurrency`). */
  concurrency?: number;
  itemTimeoutMs?: number;
  resume?: string;
  forceResume?: boolean;
}

/**
 * Items in flight when the user sets no `--concurrency`: what the engine declares it serves at once
 * (an HTTP engine's endpoints × their window; 1 for the embedded engine, whose K chains are one
 * call, so its KV cache follows one item). Twice that was measured too (bench:http, with the wire
 * client: window fill 82% → 85%, 28× → 30×): what leaves the window part-empty is the client's own
 * work on a burst of answers before their items' next requests, not a lack of items.
 *
 * @example itemWindow({ capabilities: { concurrency: 64 } }) // 64
 */
export function itemWindow(
  engine: { capabilities: { concurrency?: number } } | undefined,
  fallback = 1,
): number {
  return engine?.capabilities.concurrency ?? fallback;
}

/** What a job tells its caller when its run starts (the CLI prints it with `startMessage`). */
export interface JobStart {
  run: RunRecord;
  resumed: boolean;
  alreadyDone: number;
  total: number;
  storePath: string;
  /** The chat template in use, for jobs that verify. */
  chatTemplate?: string;
}

/** A verification's counters for the run store (its `usage` in the run loop). */
export function verificationUsage(v: Verification): ItemUsage {
  return {
    promptTokens: v.usage.promptTokens,
    generatedTokens: v.usage.generatedTokens,
    reusedTokens: v.usage.reusedPromptTokens,
    invalid: v.invalidChains,
  };
}

/** The run loop's progress for jobs whose items are verifications, as their callers' events. */
export function verificationProgress(
  onProgress: ((event: { tokens: number; invalid: number; failed: boolean }) => void) | undefined,
) {
  return ({ result, failure }: { result?: Verification; failure?: ItemFailure }) =>
    onProgress?.({
      tokens: result?.usage.generatedTokens ?? 0,
      invalid: result?.invalidChains ?? 0,
      failed: failure !== undefined,
    });
}

export function openStore(choice: StoreChoice, cwd?: string): RunStore {
  return new RunStore(choice.store === null ? ":memory:" : resolve(cwd ?? process.cwd(), choice.store));
}

export function engineEnvironment(env: JobEnvironment, store: RunStore, cache: boolean): EngineEnvironment {
  return {
    ...(env.env ? { env: env.env } : {}),
    ...(env.cwd ? { cwd: env.cwd } : {}),
    ...(env.onStatus ? { onStatus: env.onStatus } : {}),
    ...(cache ? { cache: store } : {}),
  };
}

/** An engine for a job, closed with the job. */
export async function openEngine(
  spec: EngineSpecInput,
  env: JobEnvironment,
  store: RunStore,
  cache = true,
): Promise<Engine> {
  return createEngine(spec, engineEnvironment(env, store, cache));
}

/** The verifier settings and template, resolved against the engine (the template `auto` picks). */
export interface VerifierPlan {
  settings: VerifierSettings;
  chatTemplate: ResolvedChatTemplate;
  /** What the results depend on, for the run's configuration (engine identity, settings, template). */
  identity: Record<string, unknown>;
}

export function planVerifier(engine: Engine, input: VerifierSettingsInput, cwd?: string): VerifierPlan {
  const settings = verifierSettingsSchema.parse(input);
  const chatTemplate = resolveChatTemplate(settings.chatTemplate, { ...(cwd ? { cwd } : {}), engine });
  // the template is known by its text (below), not by how it was named: `./t.jinja` and `t.jinja`,
  // or `auto` and the name it picks, are one configuration
  const { seed: _seed, chatTemplate: _named, ...rest } = settings;
  return {
    settings,
    chatTemplate,
    identity: {
      engine: engine.identity ?? `${engine.provider}:${engine.modelId}`,
      // the template's text, not its name: a model whose own template changed is another configuration
      chatTemplate: chatTemplate.template
        ? createHash("sha256").update(chatTemplate.template.source).digest("hex").slice(0, 16)
        : "none",
      // a seed the user gave is part of the configuration; a drawn one is remembered by the run
      settings: settings.seed === undefined ? rest : { ...rest, seed: settings.seed },
    },
  };
}

/**
 * Refuses, before any work, input whose candidate text holds a special-token string when the
 * engine cannot keep it plain (an HTTP engine) and the settings say refuse — naming the item, the
 * field and the string (`escape` breaks such strings instead; the embedded engine needs neither).
 */
export function refuseSpecialTokens(
  engine: Engine,
  plan: VerifierPlan,
  items: readonly { key: string; value: SolutionInput }[],
  source: string,
): void {
  if (engine.capabilities.plainSpans || plan.settings.specialTokens !== "refuse") return;
  for (const item of items) {
    const hit = findSpecialTokenIn(item.value, engine);
    if (hit)
      throw new InputError(
        source,
        undefined,
        `item ${item.key}: ${new SpecialTokenError(hit.token, hit.field).message}`,
      );
  }
}

/**
 * The verifier for a run: the user's seed, else the seed the run drew when it started (so a
 * resume reproduces every chain, and K chains are K distinct samples on every engine), else a new
 * one, remembered.
 */
export function verifierForRun(
  plan: VerifierPlan,
  engine: Engine,
  run: RunRecord,
  store: RunStore,
): { verifier: Verifier; seed: number } {
  let seed = plan.settings.seed;
  if (seed === undefined) {
    const remembered = run.state.seed;
    seed = typeof remembered === "number" ? remembered : randomInt(2 ** 31 - 1);
    if (remembered !== seed) store.setRunState(run.id, { seed });
  }
  return {
    verifier: createVerifier(
      { ...plan.settings, seed },
      { engine, chatTemplate: plan.chatTemplate.template },
    ),
    seed,
  };
}
