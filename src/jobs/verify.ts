/**
 * The verify job: solutions in, verifications out, through the run loop — a full window of items
 * in flight, each result stored as it lands, results handed back in input order, resumable.
 *
 * @example
 * const summary = await verifyJob(
 *   { engine: { kind: "openai", endpoints: ["http://gpu:8000/v1"] }, settings: { k: 4 },
 *     items, keys, input: { source: "in.jsonl", sha256 }, store: ".thinkprm/runs.sqlite" },
 *   {}, { onResult: (item, v) => console.log(item.key, v.score) });
 */
import type { SolutionInput } from "../core/types.js";
import type { EngineSpecInput } from "../engines/spec.js";
import type { Engine } from "../engines/types.js";
import { type ItemFailure, type RunLoopItem, runLoop, runStatusAfter } from "../store/run-loop.js";
import type { RunRecord } from "../store/run-store.js";
import { chainStats } from "../verifier/aggregate.js";
import { llmSplitSteps } from "../verifier/llm-splitter.js";
import type { VerifierSettingsInput } from "../verifier/settings.js";
import type { Verification, VerificationEvent, Verifier } from "../verifier/types.js";
import {
  itemWindow,
  type JobEnvironment,
  type JobStart,
  type LoopChoice,
  openEngine,
  openStore,
  planVerifier,
  refuseSpecialTokens,
  type StoreChoice,
  verificationProgress,
  verificationUsage,
  verifierForRun,
} from "./setup.js";

export interface Shard {
  index: number;
  count: number;
}

export interface VerifyJobOptions extends StoreChoice, LoopChoice {
  engine: EngineSpecInput;
  settings: VerifierSettingsInput;
  items: SolutionInput[];
  /** One unique key per item (`itemKeys`). */
  keys: string[];
  /**
   * Where the input came from and its content hash. The hash (with the split rule) is part of the
   * run's identity; the source is only remembered (`state.inputSource`): `./in.jsonl` and
   * `in.jsonl` are one input, and a renamed file of the same content resumes its run.
   */
  input: { source: string; sha256: string; split?: string };
  shard?: Shard;
  /** Re-cut solutions given as one text with this model first (falling back when it rewrites them). */
  splitter?: { engine: EngineSpecInput; chatTemplate: string };
}

export interface VerifyItem {
  input: SolutionInput;
  key: string;
  index: number;
}

export interface VerifyJobCallbacks {
  onStart?: (info: JobStart & { chatTemplate: string }) => void;
  /** Each verification, in input order (`stored`: from an earlier attempt of this run). */
  onResult?: (item: VerifyItem, verification: StoredVerification, stored: boolean) => void;
  onFailure?: (item: VerifyItem, failure: ItemFailure) => void;
  onProgress?: (event: { tokens: number; invalid: number; failed: boolean }) => void;
  /** What each verification reports while it runs (the chain as it is written, each verdict as it lands). */
  onEvent?: (item: VerifyItem, event: VerificationEvent) => void;
  /** The LLM splitter fell back to the deterministic split for an item. */
  onSplitFallback?: (item: VerifyItem, coverage: number) => void;
}

export interface VerifySummary {
  run: RunRecord;
  verified: number;
  scored: number;
  unscored: number;
  failed: number;
  invalidChains: number;
  meanScore: number | null;
  meanChains: number;
  invalidByCode: Record<string, number>;
  elapsedMs: number;
}

/** What a stored verify result holds: the verification, the input it judged and the gold labels. */
export type StoredVerification = Verification & {
  input: { problem: string; steps: string[] };
  gold?: SolutionInput["gold"];
};

export async function verifyJob(
  options: VerifyJobOptions,
  env: JobEnvironment = {},
  callbacks: VerifyJobCallbacks = {},
): Promise<VerifySummary> {
  const store = openStore(options, env.cwd);
  const cache = options.cache !== false;
  let engine: Engine | undefined;
  try {
    const splitter = options.splitter ? await splitWithModel(options, env, store, callbacks) : undefined;
    engine = await openEngine(options.engine, env, store, cache);
    const plan = planVerifier(engine, options.settings, env.cwd);
    const all = options.items.map((input, index) => ({ key: options.keys[index]!, index, value: input }));
    const mine = options.shard
      ? all.filter((i) => i.index % options.shard!.count === options.shard!.index)
      : all;
    refuseSpecialTokens(engine, plan, mine, options.input.source);
    const { source, ...content } = options.input;
    const config = {
      verifier: plan.identity,
      input: { ...content, items: options.items.length },
      ...(splitter ? { splitter } : {}),
      ...(options.shard ? { shard: `${options.shard.index}/${options.shard.count}` } : {}),
    };
    const summary = { verified: 0, scored: 0, unscored: 0, invalidChains: 0, scoreSum: 0, chains: 0 };
    const invalidByCode: Record<string, number> = {};
    let verifier: Verifier | undefined;
    const toItem = (i: RunLoopItem<SolutionInput>): VerifyItem => ({
      input: i.value,
      key: i.key,
      index: i.index,
    });
    const outcome = await runLoop<SolutionInput, StoredVerification>({
      store,
      command: "verify",
      config,
      items: mine,
      concurrency: options.concurrency ?? itemWindow(engine),
      ...(options.itemTimeoutMs === undefined ? {} : { itemTimeoutMs: options.itemTimeoutMs }),
      ...(options.resume ? { resume: options.resume } : {}),
      ...(options.forceResume ? { forceResume: true } : {}),
      ...(env.signal ? { signal: env.signal } : {}),
      onStart: (run, resumed, alreadyDone) => {
        if (run.state.inputSource !== source) store.setRunState(run.id, { inputSource: source });
        verifier = verifierForRun(plan, engine!, run, store).verifier;
        callbacks.onStart?.({
          run,
          resumed,
          alreadyDone,
          total: mine.length,
          chatTemplate: plan.chatTemplate.source,
          storePath: store.path,
        });
      },
      work: async (item, signal) => {
        // the verifier never sees the gold labels; they are stored beside the result for reports
        const { gold, ...unlabelled } = item.value;
        const onEvent = callbacks.onEvent;
        const v = await verifier!.verify(
          unlabelled,
          signal,
          onEvent ? (event) => onEvent(toItem(item), event) : undefined,
        );
        return {
          ...v,
          input: { problem: item.value.problem, steps: item.value.steps },
          ...(gold ? { gold } : {}),
        };
      },
      usage: verificationUsage,
      onProgress: verificationProgress(callbacks.onProgress),
      onResult: (item, stored, fromStore) => {
        summary.verified++;
        if (stored.score === null) summary.unscored++;
        else {
          summary.scored++;
          summary.scoreSum += stored.score;
        }
        summary.invalidChains += stored.invalidChains;
        summary.chains += stored.chains.length;
        for (const [code, n] of Object.entries(chainStats([stored]).invalidByCode))
          invalidByCode[code] = (invalidByCode[code] ?? 0) + n;
        callbacks.onResult?.(toItem(item), stored, fromStore);
      },
      onFailure: (item, failure) => callbacks.onFailure?.(toItem(item), failure),
    });
    const metrics = {
      verified: summary.verified,
      scored: summary.scored,
      unscored: summary.unscored,
      failed: outcome.failures.length,
      invalidChains: summary.invalidChains,
      meanScore: summary.scored > 0 ? summary.scoreSum / summary.scored : null,
      meanChains: summary.verified > 0 ? summary.chains / summary.verified : 0,
      invalidByCode,
      wallMs: outcome.elapsedMs,
    };
    store.finishRun(outcome.run.id, runStatusAfter(outcome), metrics);
    return {
      run: store.getRun(outcome.run.id)!,
      ...metrics,
      elapsedMs: outcome.elapsedMs,
    };
  } finally {
    await engine?.close?.();
    store.close();
  }
}

/**
 * Re-cuts solutions given as one text with a language model (falling back when it rewrites them).
 * Returns the splitter's identity for the run's configuration: the model's, and its template's
 * text (not how the engine flag was spelled).
 */
async function splitWithModel(
  options: VerifyJobOptions,
  env: JobEnvironment,
  store: ReturnType<typeof openStore>,
  callbacks: VerifyJobCallbacks,
): Promise<Record<string, unknown>> {
  const splitter = options.splitter!;
  const engine = await openEngine(splitter.engine, env, store, options.cache !== false);
  try {
    const plan = planVerifier(engine, { chatTemplate: splitter.chatTemplate }, env.cwd);
    for (const [index, item] of options.items.entries()) {
      if (item.solution === undefined) continue;
      const r = await llmSplitSteps(item.solution, { engine, chatTemplate: plan.chatTemplate.template });
      item.steps = r.steps;
      if (r.method === "fallback")
        callbacks.onSplitFallback?.({ input: item, key: options.keys[index]!, index }, r.coverage);
    }
    return { engine: plan.identity.engine, chatTemplate: plan.identity.chatTemplate };
  } finally {
    await engine.close?.();
  }
}
