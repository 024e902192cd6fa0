/**
 * Admission control: at most `maxConcurrent` requests run, at most `maxQueue` wait; beyond that a
 * request is refused at once (the caller answers 429 with retry-after). Waiting is FIFO.
 */
export class Admission {
  active = 0;
  private readonly waiting: (() => void)[] = [];
  rejected = 0;

  constructor(
    private readonly maxConcurrent: number,
    private readonly maxQueue: number,
  ) {}

  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `fn` when a slot is free; `null` when the queue is full. */
  async run<T>(fn: () => Promise<T>): Promise<{ value: T } | null> {
    if (this.active >= this.maxConcurrent) {
      if (this.waiting.length >= this.maxQueue) {
        this.rejected++;
        return null;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      return { value: await fn() };
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }

  /** Resolves when nothing runs or waits. */
  async drained(): Promise<void> {
    while (this.active > 0 || this.waiting.length > 0) await new Promise((r) => setTimeout(r, 20));
  }
}
