/**
 * Admission control: at most `maxConcurrent` requests run, at most `maxQueue` wait; beyond that a
 * request is refused at once (the caller answers 429 with retry-after). Waiting is FIFO. A waiting
 * request whose client went away (its signal aborts) leaves the queue at once, so abandoned
 * requests never crowd out live ones.
 */
export class Admission {
  active = 0;
  private readonly waiting: { resume: () => void }[] = [];
  rejected = 0;
  abandoned = 0;

  constructor(
    private readonly maxConcurrent: number,
    private readonly maxQueue: number,
  ) {}

  get queued(): number {
    return this.waiting.length;
  }

  /** Whether a request arriving now would be refused (every slot busy and the queue full). */
  get full(): boolean {
    return this.active >= this.maxConcurrent && this.waiting.length >= this.maxQueue;
  }

  /** Runs `fn` when a slot is free; `null` when the queue is full; `"aborted"` when `signal` aborts while waiting. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<{ value: T } | null | "aborted"> {
    if (signal?.aborted) return "aborted";
    if (this.active >= this.maxConcurrent) {
      if (this.waiting.length >= this.maxQueue) {
        this.rejected++;
        return null;
      }
      const admitted = await new Promise<boolean>((resolve) => {
        const entry = {
          resume: () => {
            signal?.removeEventListener("abort", leave);
            resolve(true);
          },
        };
        const leave = () => {
          const at = this.waiting.indexOf(entry);
          if (at >= 0) this.waiting.splice(at, 1);
          this.abandoned++;
          resolve(false);
        };
        this.waiting.push(entry);
        signal?.addEventListener("abort", leave, { once: true });
      });
      if (!admitted) return "aborted";
    } else {
      this.active++;
    }
    try {
      return { value: await fn() };
    } finally {
      // the slot passes to the next waiter (the count stays), or is freed
      const next = this.waiting.shift();
      if (next) next.resume();
      else this.active--;
    }
  }

  /** Resolves when nothing runs or waits. */
  async drained(): Promise<void> {
    while (this.active > 0 || this.waiting.length > 0) await new Promise((r) => setTimeout(r, 20));
  }
}
