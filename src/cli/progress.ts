/**
 * Progress of a long command: a bar with counts, rate, ETA, tokens and invalid outputs on a TTY,
 * and a plain line every few seconds otherwise (logs, CI). Always on stderr, so `--json` output on
 * stdout stays clean; `--quiet` turns it off.
 */
import cliProgress from "cli-progress";
import type { CliIo } from "./io.js";

export interface ProgressTick {
  tokens?: number;
  invalid?: number;
}

export class Progress {
  private done = 0;
  private tokens = 0;
  private invalid = 0;
  private readonly started = Date.now();
  private lastLine = 0;
  private bar: cliProgress.SingleBar | undefined;

  constructor(
    private readonly io: CliIo,
    private readonly label: string,
    private total: number | undefined,
    private readonly options: { quiet?: boolean; intervalMs?: number; alreadyDone?: number } = {},
  ) {
    this.done = options.alreadyDone ?? 0;
    if (options.quiet) return;
    if (io.stderr.isTTY && total !== undefined) {
      this.bar = new cliProgress.SingleBar(
        {
          format: `${label} [{bar}] {value}/{total} · {rate}/s · ETA {eta_formatted} · {tokens} tok · {invalid} invalid`,
          stream: io.stderr as unknown as NodeJS.WritableStream,
          hideCursor: true,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, this.done, { rate: "0.0", tokens: 0, invalid: 0 });
    }
  }

  tick(t: ProgressTick = {}): void {
    this.done++;
    this.tokens += t.tokens ?? 0;
    this.invalid += t.invalid ?? 0;
    if (this.options.quiet) return;
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? this.done / seconds : 0;
    if (this.bar) {
      this.bar.update(this.done, { rate: rate.toFixed(1), tokens: this.tokens, invalid: this.invalid });
      return;
    }
    const now = Date.now();
    const finished = this.total !== undefined && this.done >= this.total;
    if (now - this.lastLine < (this.options.intervalMs ?? 5000) && !finished && this.done > 1) return;
    this.lastLine = now;
    const of = this.total === undefined ? "" : `/${this.total}`;
    const eta =
      this.total !== undefined && rate > 0 ? ` · ETA ${Math.ceil((this.total - this.done) / rate)} s` : "";
    this.io.stderr.write(
      `${this.label}: ${this.done}${of} · ${rate.toFixed(1)}/s${eta} · ${this.tokens} tokens · ${this.invalid} invalid\n`,
    );
  }

  stop(): void {
    this.bar?.stop();
  }
}
