/**
 * `thinkprm calibrate`: fit a temperature (or Platt scaling) to labelled scores — a stored run with
 * gold labels, or JSONL {score, correct} — print it with calibration before and after, and write
 * the calibrated scores.
 */

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { InputError, type JsonlLine, parseJsonlText } from "../../datasets/jsonl.js";
import {
  applyCalibrator,
  type Calibrator,
  calibrationReport,
  fitPlatt,
  fitTemperature,
} from "../../eval/calibration.js";
import { RunStore } from "../../store/run-store.js";
import { CliError, type CliIo, resolvePath, writeJsonLine } from "../io.js";

export interface CalibrateOptions {
  run?: string;
  input?: string;
  store: string;
  method: "temperature" | "platt";
  out?: string;
  json?: boolean;
}

interface Labelled {
  id: string;
  score: number;
  correct: boolean;
}

function fromRun(io: CliIo, opts: CalibrateOptions): Labelled[] {
  const path = resolvePath(io, opts.store);
  if (!existsSync(path)) throw new CliError(`no run store at ${opts.store}`);
  const store = new RunStore(path, { readonly: true });
  try {
    const run = store.getRun(opts.run!);
    if (!run) throw new CliError(`no run ${opts.run} in ${opts.store}; see thinkprm runs list`);
    const out: Labelled[] = [];
    for (const r of store.results(run.id)) {
      const v = r.value as { score?: number | null; gold?: { correct?: boolean; firstErrorStep?: number } };
      const correct =
        v.gold?.correct ?? (v.gold?.firstErrorStep === undefined ? undefined : v.gold.firstErrorStep === -1);
      if (typeof v.score === "number" && correct !== undefined)
        out.push({ id: r.key, score: v.score, correct });
    }
    return out;
  } finally {
    store.close();
  }
}

function fromFile(io: CliIo, file: string): Labelled[] {
  const path = resolvePath(io, file);
  if (!existsSync(path)) throw new CliError(`input file not found: ${file}`);
  let lines: JsonlLine[];
  try {
    lines = parseJsonlText(readFileSync(path, "utf8"), file);
  } catch (error) {
    if (error instanceof InputError) throw new CliError(error.message);
    throw error;
  }
  return lines.map(({ line, value }) => {
    const r = value as Record<string, unknown>;
    if (typeof r.score !== "number" || r.score < 0 || r.score > 1)
      throw new CliError(`${file}:${line}: field "score": expected a probability from 0 to 1`);
    if (typeof r.correct !== "boolean")
      throw new CliError(`${file}:${line}: field "correct": expected true or false`);
    return { id: String(r.id ?? line), score: r.score, correct: r.correct };
  });
}

const fmt = (x: number | null) => (x === null ? "n/a" : x.toFixed(4));

export async function runCalibrate(io: CliIo, opts: CalibrateOptions): Promise<void> {
  if (!opts.run === !opts.input)
    throw new CliError(
      "give one of --run <id> (a stored run with gold labels) or --input <file> (JSONL {score, correct})",
    );
  const data = opts.run ? fromRun(io, opts) : fromFile(io, opts.input!);
  if (data.length < 2 || new Set(data.map((d) => d.correct)).size < 2) {
    throw new CliError(
      `calibration needs labelled scores of both classes; found ${data.length} usable item(s)`,
    );
  }
  const scores = data.map((d) => d.score);
  const labels = data.map((d) => d.correct);
  const calibrator: Calibrator =
    opts.method === "platt" ? fitPlatt(scores, labels) : fitTemperature(scores, labels);
  const calibrated = scores.map((s) => applyCalibrator(calibrator, s));
  const before = calibrationReport(scores, labels);
  const after = calibrationReport(calibrated, labels);
  if (opts.out)
    writeFileSync(
      resolvePath(io, opts.out),
      data.map((d, i) => JSON.stringify({ ...d, calibrated: calibrated[i] })).join("\n") + "\n",
    );
  if (opts.json) {
    writeJsonLine(io, { calibrator, n: data.length, before, after });
    return;
  }
  const what =
    calibrator.kind === "temperature"
      ? `temperature T = ${calibrator.temperature.toFixed(4)} (use it as --decision-temperature)`
      : `Platt a = ${calibrator.a.toFixed(4)}, b = ${calibrator.b.toFixed(4)}`;
  io.stdout.write(`${data.length} labelled scores; ${what}\n`);
  io.stdout.write(
    `          ECE      Brier    AUROC\nbefore    ${fmt(before.ece)}   ${fmt(before.brier)}   ${fmt(before.auroc)}\nafter     ${fmt(after.ece)}   ${fmt(after.brier)}   ${fmt(after.auroc)}\n`,
  );
}
