/** What every command that runs a job shares: its environment, its start line, its failure and interruption lines. */

import { failsAgain } from "../engines/errors.js";
import type { JobEnvironment, JobStart } from "../jobs/setup.js";
import type { ItemFailure } from "../store/run-loop.js";
import type { RunRecord } from "../store/run-store.js";
import { type CliIo, CommandExit, writeJsonLine } from "./io.js";
import { safeText } from "./safe-text.js";

/** The job's environment; status lines (downloads, conversions) go to stderr even with --quiet, which silences progress only. */
export function jobEnvironment(io: CliIo): JobEnvironment {
  const signal = io.signal;
  return {
    env: io.env,
    cwd: io.cwd,
    onStatus: (message: string) => io.stderr.write(`${message}\n`),
    ...(signal ? { signal } : {}),
  };
}

/** "run X (store)" or "resuming run X: n of N already done (store)", with the template in use. */
export function startMessage(info: JobStart, onDisk: boolean): string {
  const where = onDisk ? ` (${info.storePath})` : "";
  const head = info.resumed
    ? `resuming run ${info.run.id}: ${info.alreadyDone} of ${info.total} already done${where}`
    : `run ${info.run.id}${where}`;
  return `${head}${info.chatTemplate ? ` · chat template: ${info.chatTemplate}` : ""}\n`;
}

/**
 * What to change when a failure recurs on a rerun, by code (a prompt past the context is told
 * apart by its message: both engines say "context").
 */
function remedy(code: string, message: string): string {
  if (/context/i.test(message) && /token/i.test(message))
    return "the prompt does not fit the model's context: raise --context-size (llama-cpp) or the server's maximum model length, or lower --max-tokens";
  switch (code) {
    case "bad_request":
      return "the server refuses the request as it is (HTTP 4xx; its reason is above): change what it names — the served model (--served-model), --max-tokens, the server's limits";
    case "capability":
      return "the engine cannot do what the settings ask (see above): change the settings it names, or the engine";
    case "model":
      return "the model cannot answer this request (see above): fix the model or pick another";
    default:
      return "see the reason above and change what it names (the input, the settings, the engine or its script)";
  }
}

/** An item that failed for an engine reason: a line on stderr (and a JSON record with --json). */
export function reportFailure(io: CliIo, label: string, failure: ItemFailure, json: boolean): void {
  const again = failsAgain(failure.code) ? ", a rerun fails the same way" : "";
  io.stderr.write(`${safeText(label)}: failed (${failure.code}${again}): ${safeText(failure.message)}\n`);
  if (json)
    writeJsonLine(io, {
      id: label,
      failed: true,
      error: { code: failure.code, message: failure.message, failsAgain: failsAgain(failure.code) },
    });
}

/**
 * What the summary says about failed items: "run the same command again to retry them" only for
 * failures a retry may cure; for the others, why they will fail again and what to change.
 *
 * @example
 * failureAdvice([{ code: "timeout", … }]) // "run the same command again to retry them"
 * failureAdvice([{ code: "bad_request", message: "… 400 …" }])
 * // "1 will fail the same way again: the server refuses the request as it is …"
 */
export function failureAdvice(failures: readonly Pick<ItemFailure, "code" | "message">[]): string {
  const recurring = failures.filter((f) => failsAgain(f.code));
  const retryable = failures.length - recurring.length;
  if (recurring.length === 0) return "run the same command again to retry them";
  const remedies = [...new Set(recurring.map((f) => remedy(f.code, f.message)))];
  const head = `${recurring.length} will fail the same way again (${[...new Set(recurring.map((f) => f.code))].join(", ")}): ${remedies.join("; ")}`;
  return retryable > 0 ? `${head}; ${retryable} may pass on a retry (run the same command again)` : head;
}

/**
 * After a job: when it was interrupted (Ctrl-C, SIGTERM), says how far it got and how to continue,
 * then ends the command with 128 + the signal's number (130 for Ctrl-C).
 */
export function endIfInterrupted(io: CliIo, run: RunRecord, onDisk: boolean): void {
  if (run.status !== "interrupted") return;
  const reason = io.signal?.reason as { exitCode?: unknown } | undefined;
  const exitCode = typeof reason?.exitCode === "number" ? reason.exitCode : 130;
  const how = onDisk
    ? `stored in run ${run.id}; run the same command again to continue it (or add --resume ${run.id})`
    : "nothing was kept (--no-store): a rerun starts over";
  io.stderr.write(`interrupted: ${run.itemsDone} of ${run.itemsTotal ?? "?"} items done, ${how}\n`);
  throw new CommandExit(exitCode);
}
