/** What every command that runs a job shares: its environment, its start line, its failure lines. */

import type { JobEnvironment } from "../jobs/setup.js";
import type { ItemFailure } from "../store/run-loop.js";
import type { RunRecord } from "../store/run-store.js";
import { type CliIo, writeJsonLine } from "./io.js";

/** The job's environment; status lines (downloads, conversions) go to stderr even with --quiet, which silences progress only. */
export function jobEnvironment(io: CliIo): JobEnvironment {
  return {
    env: io.env,
    cwd: io.cwd,
    onStatus: (message: string) => io.stderr.write(`${message}\n`),
    ...(io.signal ? { signal: io.signal } : {}),
  };
}

/** "run X (store)" or "resuming run X: n of N already done (store)", with the template in use. */
export function startMessage(
  info: {
    run: RunRecord;
    resumed: boolean;
    alreadyDone: number;
    total: number;
    storePath: string;
    chatTemplate?: string;
  },
  onDisk: boolean,
): string {
  const where = onDisk ? ` (${info.storePath})` : "";
  const head = info.resumed
    ? `resuming run ${info.run.id}: ${info.alreadyDone} of ${info.total} already done${where}`
    : `run ${info.run.id}${where}`;
  return `${head}${info.chatTemplate ? ` · chat template: ${info.chatTemplate}` : ""}\n`;
}

/** An item that failed for an engine reason: a line on stderr (and a JSON record with --json). */
export function reportFailure(io: CliIo, label: string, failure: ItemFailure, json: boolean): void {
  io.stderr.write(`${label}: failed (${failure.code}): ${failure.message}\n`);
  if (json)
    writeJsonLine(io, { id: label, failed: true, error: { code: failure.code, message: failure.message } });
}
