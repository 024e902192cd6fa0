/**
 * `thinkprm search`: parse flags, load the problems, hand them to the library's search job, print
 * each problem's chosen completion (or JSON lines) and the accuracy.
 */
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { InputError, parseJsonlText } from "../../datasets/jsonl.js";
import { itemKeys } from "../../datasets/keys.js";
import { KNOWN_DATASETS } from "../../datasets/problems.js";
import { wilson } from "../../eval/intervals.js";
import { type SearchJobProblem, type SearchMethod, searchJob } from "../../jobs/search.js";
import type { ItemFailure } from "../../store/run-loop.js";
import { CliError, type CliIo, CommandExit, resolvePath, writeJsonLine } from "../io.js";
import { endIfInterrupted, failureAdvice, jobEnvironment, reportFailure, startMessage } from "../job-io.js";
import { Progress } from "../progress.js";
import { safeText } from "../safe-text.js";
import { engineSpecFrom, loopValuesFrom, verifierSettingsFrom } from "../settings-options.js";
import { formatInterval } from "../stats.js";

type Opts = Record<string, unknown>;

/** Problems: math500/aime24 by name, or a JSONL of {id?, problem, answer?}. */
function loadSearchProblems(
  io: CliIo,
  dataset: string,
  dataDir: string,
): { problems: SearchJobProblem[]; sha256: string } {
  const path = KNOWN_DATASETS[dataset]
    ? resolvePath(io, `${dataDir}/${KNOWN_DATASETS[dataset]}`)
    : resolvePath(io, dataset);
  if (!existsSync(path))
    throw new CliError(
      KNOWN_DATASETS[dataset]
        ? `--dataset ${dataset}: ${dataDir}/${KNOWN_DATASETS[dataset]} not found; pass --data-dir <the folder holding ${KNOWN_DATASETS[dataset]}> (default ../shared/data, relative to where you run)`
        : `--dataset: file not found: ${dataset} (a JSONL of {problem, answer?}, or math500 / aime24 with --data-dir)`,
    );
  const text = readFileSync(path, "utf8");
  try {
    const lines = parseJsonlText(text, dataset);
    const problems = lines.map(({ line, value }, i) => {
      const r = value as Record<string, unknown>;
      const problem = r.problem ?? r.question;
      if (typeof problem !== "string")
        throw new InputError(dataset, line, 'field "problem": expected a string');
      const answer = r.answer ?? r.gt;
      const id = r.unique_id ?? r.id;
      return {
        id: id === undefined ? `#${i + 1}` : String(id),
        problem,
        ...(answer === undefined ? {} : { answer: String(answer) }),
      };
    });
    itemKeys(
      problems,
      lines.map((l) => l.line),
      dataset,
    );
    return { problems, sha256: createHash("sha256").update(text).digest("hex") };
  } catch (error) {
    if (error instanceof InputError) throw new CliError(error.message);
    throw error;
  }
}

export async function runSearch(io: CliIo, opts: Opts): Promise<void> {
  if (!opts.dataset)
    throw new CliError("search needs --dataset math500|aime24|<file.jsonl of {problem, answer?}>");
  if (!opts.generator)
    throw new CliError("search needs --generator <engine> (the model that writes solution steps)");
  const { problems: all, sha256 } = loadSearchProblems(io, opts.dataset as string, opts.dataDir as string);
  const limit = opts.limit as number | undefined;
  const problems = limit ? all.slice(0, limit) : all;
  const loop = loopValuesFrom(opts);
  const quiet = Boolean(opts.quiet);
  const json = Boolean(opts.json);
  const out = opts.out ? resolvePath(io, opts.out as string) : undefined;
  if (out) writeFileSync(out, "");
  let progress: Progress | undefined;
  const failures: ItemFailure[] = [];
  const summary = await searchJob(
    {
      method: opts.method as SearchMethod,
      n: opts.beams as number,
      beamWidth: opts.beamWidth as number,
      depth: opts.depth as number,
      generator: {
        engine: engineSpecFrom(opts, "generator"),
        chatTemplate: opts.generatorTemplate as string,
        temperature: opts.genTemperature as number,
        maxTokens: opts.genMaxTokens as number,
        seed: opts.genSeed as number,
      },
      engine: engineSpecFrom(opts, undefined, { shared: true }),
      // --method here is the search's (bon, beam, dvts); the verifier is ThinkPRM
      settings: verifierSettingsFrom(opts, { omit: ["method"] }),
      problems,
      data: { sha256, limit },
      ...loop,
    },
    jobEnvironment(io),
    {
      onStart: (info) => {
        if (!quiet) io.stderr.write(startMessage(info, loop.store !== null));
        progress = new Progress(io, "search", info.total, { quiet, alreadyDone: info.alreadyDone });
      },
      onProgress: (e) => progress?.tick({ tokens: e.tokens, failed: e.failed }),
      onResult: (p, r) => {
        const chosen = r.pred >= 0 ? r.completions[r.pred] : undefined;
        const record = {
          id: p.id,
          pred: r.pred,
          chosen: chosen?.text ?? null,
          score: chosen?.score ?? null,
          ...(r.correct === undefined ? {} : { answer: r.answer, correct: r.correct }),
          completions: r.completions.map((c) => ({ text: c.text, score: c.score })),
          generatedTokens: r.generatedTokens,
          verifierTokens: r.verifierTokens,
        };
        if (out) appendFileSync(out, `${JSON.stringify(record)}\n`);
        progress?.clearLine();
        if (json) writeJsonLine(io, record);
        else
          io.stdout.write(
            `${safeText(p.id)}: ${chosen ? `score ${chosen.score?.toFixed(4) ?? "n/a"}` : "no scored completion"}${r.correct === undefined ? "" : r.correct ? " ✓" : " ✗"} · …${safeText((chosen?.text ?? "").replace(/\s+/g, " ").slice(-80))}\n`,
          );
        progress?.redraw();
      },
      onFailure: (p, failure) => {
        failures.push(failure);
        progress?.clearLine();
        reportFailure(io, p.id, failure, json);
        progress?.redraw();
      },
    },
  ).finally(() => progress?.stop());
  if (!json) {
    const acc =
      summary.accuracy === null
        ? "no reference answers"
        : `accuracy ${(100 * summary.accuracy).toFixed(1)}% ${formatInterval(wilson(Math.round(summary.accuracy * summary.graded), summary.graded))} over ${summary.graded}`;
    io.stdout.write(
      `${summary.problems} problems · ${acc} · ${summary.generatedTokens} generator tokens · ${summary.verifierTokens} verifier tokens · wall time ${(summary.elapsedMs / 1000).toFixed(1)} s${summary.failed ? ` · ${summary.failed} failed (${failureAdvice(failures)})` : ""}\n`,
    );
  }
  endIfInterrupted(io, summary.run, loop.store !== null);
  if (summary.failed > 0) throw new CommandExit(1);
}
