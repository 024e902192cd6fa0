/**
 * Ctrl-C (SIGINT) and SIGTERM for the commands that work through items. The first signal cancels
 * the job: it stops launching items, aborts those in flight (left for a resume, never stored as
 * failed), marks the run `interrupted`, prints its summary and how to continue, and the command
 * ends with 128 + the signal's number (130 for Ctrl-C). A second signal ends the process at once.
 *
 * The handlers are installed only when a command asks for the signal (`CliIo.signal`), so every
 * other command keeps the default behaviour (a signal ends it) — and `serve`, which never asks,
 * keeps its own shutdown.
 */
import { constants } from "node:os";

/** The abort reason: which signal, and the exit code it calls for. */
export class Interrupted extends Error {
  readonly exitCode: number;
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.name = "Interrupted";
    this.exitCode = 128 + (constants.signals[signal] ?? 2);
  }
}

let controller: AbortController | undefined;

/** The process's interrupt signal; the first call installs the SIGINT/SIGTERM handlers. */
export function interruptSignal(stderr: { write(text: string): unknown }): AbortSignal {
  if (controller) return controller.signal;
  const own = new AbortController();
  controller = own;
  const onSignal = (signal: NodeJS.Signals) => {
    if (own.signal.aborted) {
      stderr.write(`\n${signal} again: quitting now; items in flight were not stored\n`);
      process.exit(new Interrupted(signal).exitCode);
    }
    stderr.write(
      `\n${signal === "SIGINT" ? "Ctrl-C" : signal}: stopping — items in flight are left for a resume (${signal === "SIGINT" ? "Ctrl-C" : signal} again quits at once)\n`,
    );
    own.abort(new Interrupted(signal));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return own.signal;
}
