/**
 * The one resumable run loop. Every command that works through items (verify, eval processbench,
 * eval bon, synth, search) runs them here, so the guarantees hold for all of them:
 * - a bounded window of items in flight (`concurrency`), so an HTTP engine's window stays full;
 * - every result stored the moment it exists (with its counters, in one transaction), so a crash
 *   loses at most the items in flight and a resume repeats nothing;
 * - results handed back in input order, whatever order they finish in;
 * - a per-item timeout;
 * - items that fail for engine reasons (server down, timeouts after retries, malformed answers)
 *   stored as failed — never results, never in metrics — and retried by the next resume;
 * - a resume only into a run of the same configuration (`ConfigMismatchError` otherwise).
 */
import { setMaxListeners } from "node:events";
import { HEARTBEAT_MS } from "./run-owner.js";
import type { RunRecord, RunStatus, RunStore } from "./run-store.js";

export interface RunLoopItem<I> {
  /** Unique within the run (the input's id, or its position). */
  key: string;
  /** Position in the whole input (results are handed back and stored in this order). */
  index: number;
  value: I;
}

export interface ItemUsage {
  promptTokens?: number;
  generatedTokens?: number;
  reusedTokens?: number;
  invalid?: number;
}

/** An item that failed, with why. */
export interface ItemFailure {
  key: string;
  index: number;
  message: string;
  code: string;
}

export interface RunLoopOptions<I, R> {
  store: RunStore;
  command: string;
  /** Everything that determines the results (input content, model identity, settings). */
  config: unknown;
  items: readonly RunLoopItem<I>[];
  /** Items of the whole job (with shards, more than `items`). Default `items.length`. */
  itemsTotal?: number;
  work: (item: RunLoopItem<I>, signal: AbortSignal, run: RunRecord) => Promise<R>;
  /** What a result cost, for the run's counters. */
  usage?: (result: R) => ItemUsage;
  /** Items in flight at once. */
  concurrency: number;
  /** Per item, in milliseconds; an item past it is aborted and counted failed. */
  itemTimeoutMs?: number;
  resume?: string;
  forceResume?: boolean;
  /** Resume a finished run of the same configuration (for jobs whose target can grow). */
  reopenFinished?: boolean;
  /** Errors that make an item failed rather than stopping the run. Default: every `EngineError`-like error. */
  isItemFailure?: (error: unknown) => boolean;
  /**
   * Called once, before any work, with the run (new or resumed) and how many items are already
   * stored; awaited, so a job can finish its set-up from the run (e.g. the seed it remembers).
   */
  onStart?: (run: RunRecord, resumed: boolean, alreadyDone: number) => void | Promise<void>;
  /** Each item's outcome, in input order; `stored`: it came from the store (an earlier attempt). */
  onResult?: (item: RunLoopItem<I>, result: R, stored: boolean) => void;
  onFailure?: (item: RunLoopItem<I>, failure: ItemFailure) => void;
  /** After each item computed now (not stored ones), in completion order, for progress displays. */
  onProgress?: (event: { result?: R; failure?: ItemFailure; usage: ItemUsage }) => void;
  /** Checked before each new item starts (in input order): true stops launching (e.g. synth's target reached). */
  stopLaunching?: () => boolean;
  /** Cancels the whole loop (SIGINT): items in flight are aborted and left for a resume. */
  signal?: AbortSignal;
}

export interface RunLoopOutcome<R> {
  run: RunRecord;
  resumed: boolean;
  /** Results by input position (stored and new), for the items that have one. */
  results: Map<number, R>;
  failures: ItemFailure[];
  /** Items not started (stopLaunching, or a cancelled loop). */
  notStarted: number;
  /**
   * The loop's signal aborted before every item had an outcome: the items not started and those
   * aborted in flight are left for a resume (never stored as failed).
   */
  cancelled: boolean;
  /** Wall time of this invocation's loop, in milliseconds. */
  elapsedMs: number;
}

const defaultIsItemFailure = (error: unknown): boolean =>
  typeof error === "object" && error !== null && Symbol.for("thinkprm.engine-error") in error;

class ItemTimeout extends Error {
  readonly code = "timeout";
  constructor(ms: number) {
    super(`the item took longer than ${ms} ms (per-item timeout) and was aborted`);
  }
}

/**
 * The status a job gives its run when the loop returns: `interrupted` when cancelled, `incomplete`
 * when items failed or were not started, else `done`. `notStartedIsDone`: items left unstarted
 * on purpose (a target reached) do not make the run incomplete.
 */
export function runStatusAfter(
  outcome: Pick<RunLoopOutcome<unknown>, "cancelled" | "failures" | "notStarted">,
  options: { notStartedIsDone?: boolean } = {},
): RunStatus {
  if (outcome.cancelled) return "interrupted";
  if (outcome.failures.length > 0) return "incomplete";
  return outcome.notStarted > 0 && !options.notStartedIsDone ? "incomplete" : "done";
}

export async function runLoop<I, R>(options: RunLoopOptions<I, R>): Promise<RunLoopOutcome<R>> {
  const t0 = Date.now();
  const { store, items } = options;
  const { run, resumed } = store.startRun(options.command, options.config, {
    itemsTotal: options.itemsTotal ?? items.length,
    ...(options.resume ? { resume: options.resume } : {}),
    ...(options.forceResume ? { forceResume: true } : {}),
    ...(options.reopenFinished ? { reopenFinished: true } : {}),
  });
  // the run is this process's until it finishes: a heartbeat tells other processes it is alive
  const heartbeat = setInterval(() => {
    try {
      store.heartbeat(run.id);
    } catch {
      // a store busy past its timeout: one missed beat is harmless (staleness takes many)
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  try {
    return await loop(options, run, resumed, t0);
  } finally {
    clearInterval(heartbeat);
  }
}

async function loop<I, R>(
  options: RunLoopOptions<I, R>,
  run: RunRecord,
  resumed: boolean,
  t0: number,
): Promise<RunLoopOutcome<R>> {
  const { store, items } = options;
  const isFailure = options.isItemFailure ?? defaultIsItemFailure;
  const done = store.doneKeys(run.id);
  try {
    await options.onStart?.(run, resumed, items.filter((i) => done.has(i.key)).length);
  } catch (error) {
    store.finishRun(run.id, "failed");
    throw error;
  }

  const results = new Map<number, R>();
  const failures: ItemFailure[] = [];
  // in-order delivery: outcomes wait here until every earlier item has been delivered
  const outcomes: ({ result: R; stored: boolean } | { failure: ItemFailure } | undefined)[] = new Array(
    items.length,
  );
  let delivered = 0;
  const deliver = () => {
    while (delivered < items.length && outcomes[delivered] !== undefined) {
      const o = outcomes[delivered]!;
      const item = items[delivered]!;
      if ("failure" in o) options.onFailure?.(item, o.failure);
      else options.onResult?.(item, o.result, o.stored);
      delivered++;
    }
  };

  const controller = new AbortController();
  // every item in flight listens to the loop's signal: hundreds of listeners are the design
  setMaxListeners(0, controller.signal);
  const stopAll = () => controller.abort(options.signal?.reason ?? new Error("cancelled"));
  options.signal?.addEventListener("abort", stopAll, { once: true });
  // a signal that fired before the loop began (Ctrl-C while the model loaded) fires no event
  if (options.signal?.aborted) stopAll();
  let fatal: { error: unknown } | undefined;
  let next = 0;
  let launched = 0;

  const runOne = async (position: number) => {
    const item = items[position]!;
    const stored = store.storedResult(run.id, item.key) as R | undefined;
    if (stored !== undefined) {
      results.set(item.index, stored);
      outcomes[position] = { result: stored, stored: true };
      return;
    }
    const itemController = new AbortController();
    const onAbort = () => itemController.abort(controller.signal.reason);
    controller.signal.addEventListener("abort", onAbort, { once: true });
    const timer =
      options.itemTimeoutMs === undefined
        ? undefined
        : setTimeout(
            () => itemController.abort(new ItemTimeout(options.itemTimeoutMs!)),
            options.itemTimeoutMs,
          );
    const started = Date.now();
    try {
      const result = await options.work(item, itemController.signal, run);
      if (itemController.signal.aborted) throw itemController.signal.reason;
      const usage = options.usage?.(result) ?? {};
      store.recordResult(run.id, item.key, item.index, result, { ...usage, elapsedMs: Date.now() - started });
      results.set(item.index, result);
      outcomes[position] = { result, stored: false };
      options.onProgress?.({ result, usage });
    } catch (caught) {
      // an abort surfaces as whatever the engine threw; the signal's reason says why it happened
      const error = itemController.signal.aborted ? itemController.signal.reason : caught;
      if (controller.signal.aborted && !(error instanceof ItemTimeout)) return; // cancelled: left for a resume
      if (error instanceof ItemTimeout || isFailure(error)) {
        const failure: ItemFailure = {
          key: item.key,
          index: item.index,
          message: (error as Error).message,
          code: (error as { code?: string }).code ?? "other",
        };
        store.recordFailure(run.id, item.key, item.index, { message: failure.message, code: failure.code });
        failures.push(failure);
        outcomes[position] = { failure };
        options.onProgress?.({ failure, usage: {} });
      } else {
        fatal ??= { error };
        stopAll();
      }
    } finally {
      if (timer) clearTimeout(timer);
      controller.signal.removeEventListener("abort", onAbort);
    }
  };

  const lane = async () => {
    while (!controller.signal.aborted) {
      const position = next;
      if (position >= items.length) return;
      // items already stored never count against the target (they are delivered all the same)
      if (!done.has(items[position]!.key) && options.stopLaunching?.()) return;
      next++;
      launched++;
      await runOne(position);
      deliver();
    }
  };
  const width = Math.max(1, Math.min(options.concurrency, items.length || 1));
  try {
    await Promise.all(Array.from({ length: width }, lane));
  } finally {
    options.signal?.removeEventListener("abort", stopAll);
  }
  if (fatal) {
    store.finishRun(run.id, "failed");
    throw fatal.error;
  }
  deliver();
  return {
    run: store.getRun(run.id)!,
    resumed,
    results,
    failures,
    notStarted: items.length - launched,
    // delivery stops at the first item without an outcome
    cancelled: controller.signal.aborted && delivered < items.length,
    elapsedMs: Date.now() - t0,
  };
}
