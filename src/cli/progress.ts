/**
 * Progress of a long command: a bar with counts, rate, ETA, tokens, invalid outputs and failed
 * items on a TTY, and a plain line every few seconds otherwise (logs, CI). Always on stderr, so
 * `--json` output on stdout stays clean; `--quiet` turns it off. When stdout is the same terminal,
 * the bar is cleared before a result is printed and drawn again after (`clearLine`/`redraw`), so
 * results and the bar never share a line.
 */
import cliProgress from "cli-progress";
import type { CliIo } from "./io.js";

export interface ProgressTick {
  tokens?: number;
  invalid?: number;
  failed?: boolean;
}

export class Progress {
  private done = 0;
  private tokens = 0;
  private invalid = 0;
  private failed = 0;
  private readonly started = Date.now();
  private readonly startedDone: number;
  private lastLine = 0;
  private bar: cliProgress.SingleBar | undefined;

  constructor(
    private readonly io: CliIo,
    private readonly label: string,
    private readonly total: number | undefined,
    private readonly options: { quiet?: boolean; intervalMs?: number; alreadyDone?: number } = {},
  ) {
    this.done = options.alreadyDone ?? 0;
    this.startedDone = this.done;
    if (options.quiet) return;
    if (io.stderr.isTTY && total !== undefined) {
      this.bar = new cliProgress.SingleBar(
        {
          format: `${label} [{bar}] {value}/{total} · {rate}/s · ETA {eta_formatted} · {tokens} tok · {invalid} invalid · {failed} failed`,
          stream: io.stderr as unknown as NodeJS.WritableStream,
          hideCursor: true,
          etaBuffer: 20,
          clearOnComplete: false,
          // redraw even when unchanged: `clearLine` erased it
          forceRedraw: true,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, this.done, { rate: "0.0", tokens: 0, invalid: 0, failed: 0 });
    }
  }

  tick(t: ProgressTick = {}): void {
    // never past the total: a resumed count plus new work can only reach it
    this.done = this.total === undefined ? this.done + 1 : Math.min(this.total, this.done + 1);
    this.tokens += t.tokens ?? 0;
    this.invalid += t.invalid ?? 0;
    if (t.failed) this.failed++;
    if (this.options.quiet) return;
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? (this.done - this.startedDone) / seconds : 0;
    if (this.bar) {
      this.bar.update(this.done, {
        rate: rate.toFixed(1),
        tokens: this.tokens,
        invalid: this.invalid,
        failed: this.failed,
      });
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
      `${this.label}: ${this.done}${of} · ${rate.toFixed(1)}/s${eta} · ${this.tokens} tokens · ${this.invalid} invalid${this.failed ? ` · ${this.failed} failed` : ""}\n`,
    );
  }

  /** Erases the bar's line (before something else is printed to the same terminal). */
  clearLine(): void {
    if (this.bar && this.io.stdout.isTTY) this.io.stderr.write("\r\x1b[2K");
  }

  /** Draws the bar again after `clearLine`. */
  redraw(): void {
    if (this.bar && this.io.stdout.isTTY) this.bar.render();
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
