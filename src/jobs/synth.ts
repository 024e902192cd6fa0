/**
 * The synth job (thinkprm-spec.md §4): teacher chains for labelled solution prefixes, each judged
 * by the filters, through the run loop — prefixes in flight, every generation stored with its
 * verdict, until enough chains are kept. Duplicates are marked in input order, so what is kept
 * does not depend on which prefix finished first. A rerun with a larger target extends the same
 * run and samples nothing twice.
 */
import type { LabelledPrefix } from "../datasets/prm800k.js";
import { resolveChatTemplate } from "../engines/chat-template-source.js";
import type { EngineSpecInput } from "../engines/spec.js";
import type { Engine } from "../engines/types.js";
import { type ItemFailure, runLoop, runStatusAfter } from "../store/run-loop.js";
import type { RunRecord, RunStore } from "../store/run-store.js";
import {
  markDuplicates,
  type PrefixRecord,
  type SynthSettings,
  type SynthYield,
  synthesizePrefix,
  synthYield,
} from "../synth/synthesize.js";
import { itemWindow, type JobEnvironment, type LoopChoice, openEngine, openStore } from "./setup.js";

export interface TokenCounter {
  count: (text: string) => number;
  name: string;
  close: () => Promise<void>;
}

/**
 * Tokens of the target model: a GGUF's tokenizer (`model`), else a llama-cpp teacher's own, else
 * an estimate of 3.6 characters per token (its name says so).
 */
export async function openTokenCounter(
  model: string | undefined,
  env: JobEnvironment,
  teacher?: Engine,
): Promise<TokenCounter> {
  const own = (engine: Engine, close: boolean): TokenCounter | undefined => {
    const inner = (engine as { inner?: Engine }).inner ?? engine;
    const counter = (inner as { tokenCount?: (t: string) => number }).tokenCount;
    if (!counter) return undefined;
    return {
      count: (t) => counter.call(inner, t),
      name: `${inner.modelId} tokenizer`,
      close: async () => (close ? inner.close?.() : undefined),
    };
  };
  if (model) {
    const { createEngine } = await import("../engines/create.js");
    const engine = await createEngine(
      { kind: "llama-cpp", model, threads: 1, contextSize: 256 },
      { ...(env.env ? { env: env.env } : {}), ...(env.cwd ? { cwd: env.cwd } : {}) },
    );
    const found = own(engine, true);
    if (found) return found;
  }
  return (
    (teacher ? own(teacher, false) : undefined) ?? {
      count: (t) => Math.ceil(t.length / 3.6),
      name: "≈ characters / 3.6 (pass --tokenizer-model for exact counts)",
      close: async () => {},
    }
  );
}

export interface SynthJobOptions extends LoopChoice {
  store: string;
  cache?: boolean;
  teacher: EngineSpecInput;
  /** The teacher's chat template (`auto`, a name, a path, `none`). */
  chatTemplate: string;
  prefixes: LabelledPrefix[];
  /** What the prefixes are (source and its content hash): part of the run's identity. */
  source: Record<string, unknown>;
  settings: Omit<SynthSettings, "maxLength"> & { maxLength: number };
  /** Stop launching new prefixes once this many chains are kept. */
  until: number;
  tokenizerModel?: string;
}

export interface SynthJobResult {
  run: RunRecord;
  yield: SynthYield;
  /** The source ran out before `until` chains were kept. */
  exhausted: boolean;
  failures: ItemFailure[];
  tokenCounter: string;
  elapsedMs: number;
}

/** A synth run's records in input order, duplicates marked. */
export function synthRecords(store: RunStore, runId: string): PrefixRecord[] {
  return markDuplicates(store.results(runId).map((r) => r.value as PrefixRecord));
}

export async function synthJob(
  options: SynthJobOptions,
  env: JobEnvironment = {},
  callbacks: {
    onStart?: (info: {
      run: RunRecord;
      resumed: boolean;
      kept: number;
      total: number;
      tokenCounter: string;
    }) => void;
    onProgress?: (event: { tokens: number; rejected: number; failed: boolean }) => void;
    onFailure?: (prefix: LabelledPrefix, failure: ItemFailure) => void;
  } = {},
): Promise<SynthJobResult> {
  const store = openStore({ store: options.store }, env.cwd);
  let teacher: Engine | undefined;
  let counter: TokenCounter | undefined;
  try {
    teacher = await openEngine(options.teacher, env, store, options.cache !== false);
    const template = resolveChatTemplate(options.chatTemplate, {
      ...(env.cwd ? { cwd: env.cwd } : {}),
      engine: teacher,
    });
    counter = await openTokenCounter(options.tokenizerModel, env, teacher);
    const seen = new Set<string>();
    let kept = 0;
    const items = options.prefixes.map((p, index) => ({ key: p.id, index, value: p }));
    const outcome = await runLoop<LabelledPrefix, PrefixRecord>({
      store,
      command: "synth",
      // --until and --limit stay out of the configuration: a rerun with a larger target extends
      // the same run (finished or not), so nothing already sampled is sampled again
      config: {
        source: options.source,
        teacher: teacher.identity ?? teacher.modelId,
        chatTemplate: template.source,
        settings: options.settings,
        tokens: counter.name,
      },
      items,
      reopenFinished: true,
      concurrency: options.concurrency ?? itemWindow(teacher),
      ...(options.itemTimeoutMs === undefined ? {} : { itemTimeoutMs: options.itemTimeoutMs }),
      ...(options.resume ? { resume: options.resume } : {}),
      ...(options.forceResume ? { forceResume: true } : {}),
      ...(env.signal ? { signal: env.signal } : {}),
      stopLaunching: () => kept >= options.until,
      onStart: (run, resumed) => {
        const already = resumed ? synthYield(synthRecords(store, run.id)).kept : 0;
        callbacks.onStart?.({
          run,
          resumed,
          kept: already,
          total: items.length,
          tokenCounter: counter!.name,
        });
      },
      work: ({ value }, signal) =>
        synthesizePrefix(
          value,
          teacher!,
          template.template,
          options.settings,
          counter!.count,
          undefined,
          signal,
        ),
      usage: (r) => ({
        generatedTokens: r.generations.reduce((s, g) => s + g.tokens, 0),
        invalid: r.generations.filter((g) => !g.kept).length,
      }),
      onProgress: ({ result, failure }) =>
        callbacks.onProgress?.({
          tokens: result?.generations.reduce((s, g) => s + g.tokens, 0) ?? 0,
          rejected: result?.generations.filter((g) => !g.kept).length ?? 0,
          failed: failure !== undefined,
        }),
      // in input order: the dedupe and the count toward --until are the same on every rerun
      onResult: (_item, record) => {
        kept += markDuplicates([record], seen)[0]!.generations.filter((g) => g.kept).length;
      },
      onFailure: ({ value }, failure) => callbacks.onFailure?.(value, failure),
    });
    const records = synthRecords(store, outcome.run.id);
    const y = synthYield(records);
    // prefixes left unstarted once the target is reached are not missing work
    store.finishRun(outcome.run.id, runStatusAfter(outcome, { notStartedIsDone: true }), {
      kept: y.kept,
      sampled: y.sampled,
      yield: y.sampled ? y.kept / y.sampled : 0,
      failed: outcome.failures.length,
      wallMs: outcome.elapsedMs,
      ...Object.fromEntries(Object.entries(y.reasons).map(([k, v]) => [`rejected: ${k}`, v])),
    });
    return {
      run: store.getRun(outcome.run.id)!,
      yield: y,
      exhausted:
        y.kept < options.until &&
        outcome.notStarted === 0 &&
        outcome.failures.length === 0 &&
        !outcome.cancelled,
      failures: outcome.failures,
      tokenCounter: counter.name,
      elapsedMs: outcome.elapsedMs,
    };
  } finally {
    await teacher?.close?.();
    await counter?.close();
    store.close();
  }
}
