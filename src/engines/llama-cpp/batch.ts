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
  private waiting: (() => void)[] = [];
  private releasing = false;

  constructor(private parties: number) {}

  /** Resolves when every lane still running has arrived. */
  arrive(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
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
    // released on the next turn: by then node-llama-cpp has finished the bookkeeping of the batch
    // that produced these tokens, so the new requests are queued together into one batch
    setImmediate(() => {
      const waiting = this.waiting;
      this.waiting = [];
      this.releasing = false;
      for (const resolve of waiting) resolve();
    });
  }
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
