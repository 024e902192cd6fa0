/**
 * Batched sampling for the embedded engine: K samples of one prompt on K context sequences, the
 * prompt evaluated once and copied into the other sequences, then every sample's next token decoded
 * in one llama.cpp batch per step.
 *
 * node-llama-cpp 3.21.1 exposes no sequence copy (`llama_memory_seq_cp`), so the copy goes through
 * its sequence state files: `saveStateToFile` on the sequence that evaluated the prompt, then
 * `loadStateFromFile` into each other one (a 480-token prompt of a 1.5B model is about 13 MiB;
 * saving takes ~15 ms and loading ~5 ms each, against ~4 s to evaluate the prompt again).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LlamaContextSequence, Token } from "node-llama-cpp";

/**
 * Lanes that decode together. A lane waits here before each decode request it makes; when every
 * lane still running has arrived, all are released in the same turn of the event loop, so their
 * requests reach node-llama-cpp's batch queue together and are decoded as one batch.
 *
 * Without it the lanes drift apart (each samples its token on a worker thread and the next batch is
 * dispatched as soon as some have re-queued), giving batches of mixed sizes in an order set by
 * thread timing. Lockstep keeps every batch full, and its composition the same run to run, which
 * seeded sampling needs: the batch's size can change the floating-point sums behind the logits.
 */
export class LockstepBarrier {
  private waiting: { lane: number; resolve: () => void }[] = [];
  private releasing = false;

  /**
   * `idle`: resolves once node-llama-cpp's dispatch of the last batch has ended. Its dispatch loop
   * decodes again at once whatever was queued while it finished the batch (sampling and its other
   * after-batch work run on the thread pool), so lanes released before it ends would make a batch
   * of whoever was quickest.
   */
  constructor(
    private parties: number,
    private readonly idle: () => Promise<void> = async () => {},
  ) {}

  /** Lanes still making decode requests. */
  get running(): number {
    return this.parties;
  }

  /** Resolves when every lane still running has arrived; `lane` orders the release. */
  arrive(lane: number): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push({ lane, resolve });
      this.check();
    });
  }

  /** A lane makes no more decode requests (finished, failed or aborted). */
  leave(): void {
    this.parties--;
    this.check();
  }

  private check(): void {
    if (this.releasing || this.waiting.length === 0 || this.waiting.length < this.parties) return;
    this.releasing = true;
    const release = () => {
      // in lane order, whatever order they arrived in: the order their requests reach the queue
      // sets where each token's KV cells go, and with them the order of the attention's float sums
      const waiting = this.waiting.sort((a, b) => a.lane - b.lane);
      this.waiting = [];
      this.releasing = false;
      for (const w of waiting) w.resolve();
    };
    // released when node-llama-cpp's dispatch has ended, on the turn after: the new requests are
    // queued together, and the dispatch gate sends them as one batch
    this.idle().then(
      () => setImmediate(release),
      () => setImmediate(release),
    );
  }
}

/**
 * node-llama-cpp's batch dispatch, held while lanes decode in lockstep until every running lane's
 * request is queued. Released together, the lanes still reach the queue at different moments when
 * one of them waits on the thread pool first (its sampling, the context lock): dispatched on the
 * next turn as by default, the batch then went out without it, so its size — and the logits, and
 * a seeded sample — depended on thread timing (under load, 3 runs in 8 of the batched test drew
 * other samples). Without a lockstep group, a batch is dispatched on the next turn, as by default.
 */
export class DispatchGate {
  /** The lanes decoding in lockstep now, if any. */
  barrier: LockstepBarrier | undefined;

  /**
   * `queued`: how many sequences have a decode request waiting in the context's queue; `idle`:
   * resolves when no batch is being dispatched (see `LockstepBarrier`).
   */
  constructor(
    private readonly queued: () => number | undefined,
    readonly idle: () => Promise<void>,
  ) {}

  readonly schedule = (dispatch: () => void): void => {
    const attempt = () => {
      const running = this.barrier?.running ?? 0;
      const queued = this.queued();
      // poll on the next turn until the stragglers are queued (they are a thread-pool task away)
      if (running > 1 && queued !== undefined && queued < running) setImmediate(attempt);
      else dispatch();
    };
    setImmediate(attempt);
  };
}

/**
 * Copies one sequence's KV state (its tokens and cache cells) into others. The state file lives in
 * a private temporary directory (mode 0700: a state file from another model or a tampered one can
 * crash llama.cpp, so nothing outside this process may write there) and is deleted at once.
 */
export class SequenceCopier {
  private dir: string | undefined;
  private copies = 0;

  async copy(from: LlamaContextSequence, to: readonly LlamaContextSequence[]): Promise<void> {
    if (to.length === 0) return;
    this.dir ??= mkdtempSync(join(tmpdir(), "thinkprm-kv-"));
    const file = join(this.dir, `prefix-${this.copies++}.kv`);
    try {
      await from.saveStateToFile(file);
      // the file was written by this process from this very context: the "risk" (a state from
      // another model) cannot arise
      for (const seq of to) await seq.loadStateFromFile(file, { acceptRisk: true });
    } finally {
      rmSync(file, { force: true });
    }
  }

  dispose(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}

/**
 * Sequences ordered for a prompt: the longest shared prefix first, then the least recently used
 * (so that a new prompt does not evict a chain a later decision will continue).
 */
export function rankSequences(
  sequences: readonly LlamaContextSequence[],
  tokens: Token[],
  lastUsed: ReadonlyMap<LlamaContextSequence, number>,
): { seq: LlamaContextSequence; shared: number }[] {
  return sequences
    .map((seq) => ({ seq, shared: seq.compareContextTokens(tokens).firstDifferentIndex }))
    .sort((a, b) => b.shared - a.shared || (lastUsed.get(a.seq) ?? -1) - (lastUsed.get(b.seq) ?? -1));
}

/** The most memory the default number of sequences may add over one sequence. */
const DEFAULT_SEQUENCES_EXTRA_BYTES = 2 * 2 ** 30;

/**
 * The default number of context sequences: 4 (so K ≤ 4 samples decode together), halved while the
 * context those sequences need (llama.cpp's own estimate: KV cache and buffers) is more than 2 GiB
 * above one sequence's — a large model or a long context is not made to hold memory that only
 * batched samples use. It depends on the model and the context size only, never on the machine's
 * free memory, so the same settings draw the same samples everywhere.
 */
export async function defaultSequences(
  estimate: (sequences: number) => Promise<number>,
  most = 4,
): Promise<number> {
  const one = await estimate(1);
  let sequences = most;
  while (sequences > 1 && (await estimate(sequences)) - one > DEFAULT_SEQUENCES_EXTRA_BYTES) sequences /= 2;
  return Math.max(1, Math.floor(sequences));
}
