/** `thinkprm dev synthetic-task`: the last-digit task's files, from one seed. */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HELD_OUT_SUBSET, syntheticTask } from "../../synth/synthetic/index.js";
import { CliError, type CliIo, resolvePath, writeJsonLine } from "../io.js";

export interface SyntheticTaskCliOptions {
  out: string;
  seed: number;
  train: number;
  heldOut: number;
  addends: string;
  errorRate: number;
  truncateAtError: number;
  partial: number;
  bonProblems: number;
  bonN: number;
  json?: boolean;
}

export function runSyntheticTask(io: CliIo, opts: SyntheticTaskCliOptions): void {
  const addends = opts.addends.split(",").map((d) => Number(d.trim()));
  if (addends.some((d) => !Number.isInteger(d) || d < 2 || d > 12))
    throw new CliError(
      `--addends: expected a comma-separated list of how many numbers are added (2 to 12), got "${opts.addends}"`,
    );
  let task: ReturnType<typeof syntheticTask>;
  try {
    task = syntheticTask({
      seed: opts.seed,
      train: opts.train,
      heldOut: opts.heldOut,
      addends,
      errorRate: opts.errorRate,
      truncateAtError: opts.truncateAtError,
      partial: opts.partial,
      bonProblems: opts.bonProblems,
      bonN: opts.bonN,
    });
  } catch (error) {
    // e.g. more problems asked for than the addend counts allow
    throw new CliError((error as Error).message);
  }
  const dir = resolvePath(io, opts.out);
  if (existsSync(dir) && !statSync(dir).isDirectory())
    throw new CliError(`-o ${opts.out}: a file is there; name a folder (it is made if missing)`);
  mkdirSync(join(dir, "held-out"), { recursive: true });
  const train = `${task.train.map((r) => JSON.stringify(r)).join("\n")}\n`;
  const heldOut = `${JSON.stringify(task.heldOut, null, 1)}\n`;
  writeFileSync(join(dir, "train.jsonl"), train);
  writeFileSync(join(dir, "held-out", `${HELD_OUT_SUBSET}.json`), heldOut);
  const bon = `${task.bon.map((r) => JSON.stringify(r)).join("\n")}\n`;
  writeFileSync(join(dir, "bon.jsonl"), bon);
  const sha = (t: string) => createHash("sha256").update(t).digest("hex").slice(0, 16);
  const summary = {
    task: "last-digit",
    options: task.options,
    files: {
      "train.jsonl": { records: task.train.length, sha256: sha(train) },
      [`held-out/${HELD_OUT_SUBSET}.json`]: { records: task.heldOut.length, sha256: sha(heldOut) },
      "bon.jsonl": { records: task.bon.length, sha256: sha(bon) },
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
    `wrote ${opts.out}/train.jsonl (${task.train.length} labelled prefixes, ${summary.correctTrainPrefixes} correct) and ${opts.out}/held-out/${HELD_OUT_SUBSET}.json (${task.heldOut.length} ProcessBench items, ${summary.correctHeldOut} correct) and ${opts.out}/bon.jsonl (${task.bon.length} best-of-N problems)\n` +
      `next: thinkprm synth --teacher synthetic-teacher --source jsonl:${opts.out}/train.jsonl\n`,
  );
}
