/** `thinkprm dev synthetic-task`: the column-addition task's files, from one seed. */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HELD_OUT_SUBSET, syntheticTask } from "../../synth/synthetic/index.js";
import { CliError, type CliIo, resolvePath, writeJsonLine } from "../io.js";

export interface SyntheticTaskCliOptions {
  out: string;
  seed: number;
  train: number;
  heldOut: number;
  digits: string;
  errorRate: number;
  truncateAtError: number;
  partial: number;
  json?: boolean;
}

export function runSyntheticTask(io: CliIo, opts: SyntheticTaskCliOptions): void {
  const digits = opts.digits.split(",").map((d) => Number(d.trim()));
  if (digits.length === 0 || digits.some((d) => !Number.isInteger(d) || d < 1 || d > 5))
    throw new CliError(
      `--digits: expected a comma-separated list of digit counts from 1 to 5, got "${opts.digits}"`,
    );
  const task = syntheticTask({
    seed: opts.seed,
    train: opts.train,
    heldOut: opts.heldOut,
    digits,
    errorRate: opts.errorRate,
    truncateAtError: opts.truncateAtError,
    partial: opts.partial,
  });
  const dir = resolvePath(io, opts.out);
  mkdirSync(join(dir, "held-out"), { recursive: true });
  const train = `${task.train.map((r) => JSON.stringify(r)).join("\n")}\n`;
  const heldOut = `${JSON.stringify(task.heldOut, null, 1)}\n`;
  writeFileSync(join(dir, "train.jsonl"), train);
  writeFileSync(join(dir, "held-out", `${HELD_OUT_SUBSET}.json`), heldOut);
  const sha = (t: string) => createHash("sha256").update(t).digest("hex").slice(0, 16);
  const summary = {
    task: "column-addition",
    options: task.options,
    files: {
      "train.jsonl": { records: task.train.length, sha256: sha(train) },
      [`held-out/${HELD_OUT_SUBSET}.json`]: { records: task.heldOut.length, sha256: sha(heldOut) },
    },
    correctHeldOut: task.heldOut.filter((r) => r.label === -1).length,
    correctTrainPrefixes: task.train.filter((r) => !r.labels.includes("-")).length,
  };
  writeFileSync(join(dir, "task.json"), `${JSON.stringify(summary, null, 2)}\n`);
  if (opts.json) {
    writeJsonLine(io, summary);
    return;
  }
  io.stdout.write(
    `wrote ${opts.out}/train.jsonl (${task.train.length} labelled prefixes, ${summary.correctTrainPrefixes} correct) and ${opts.out}/held-out/${HELD_OUT_SUBSET}.json (${task.heldOut.length} ProcessBench items, ${summary.correctHeldOut} correct)\n` +
      `next: thinkprm synth --teacher synthetic-teacher --source jsonl:${opts.out}/train.jsonl\n`,
  );
}
