/**
 * `thinkprm verify`: parse flags, read the input, hand both to the library's verify job, print.
 * Exit code 1 when a solution got no score (every chain invalid) or an item failed for an engine
 * reason; 2 on bad input; 130 when interrupted (Ctrl-C: a rerun continues the run).
 */
import { splitSteps } from "../../core/step-split.js";
import type { SolutionInput } from "../../core/types.js";
import { verifyJob } from "../../jobs/verify.js";
import type { ItemFailure } from "../../store/run-loop.js";
import { formatInvalidByCode } from "../../verifier/aggregate.js";
import type { VerificationEvent } from "../../verifier/types.js";
import { formatVerification, streamToTerminal } from "../format.js";
import { CliError, type CliIo, CommandExit, loadSolutionInputs, writeJsonLine } from "../io.js";
import { endIfInterrupted, failureAdvice, jobEnvironment, reportFailure, startMessage } from "../job-io.js";
import { Progress } from "../progress.js";
import { safeText } from "../safe-text.js";
import { engineSpecFrom, loopValuesFrom, verifierSettingsFrom } from "../settings-options.js";

type SplitRule = "auto" | "step-headers" | "blank-lines" | "sentences" | "llm";

async function inputs(
  io: CliIo,
  opts: Record<string, unknown>,
): Promise<{ items: SolutionInput[]; keys: string[]; source: string; sha256: string }> {
  const split = opts.split as SplitRule;
  const rule = split === "llm" ? "auto" : split;
  const step = opts.step as string[] | undefined;
  const solution = opts.solution as string | undefined;
  if (opts.problem !== undefined) {
    if (opts.input !== undefined) throw new CliError("give either --input or --problem, not both");
    if (step && solution !== undefined)
      throw new CliError("give the solution as --step … or as --solution, not both");
    const steps = step ?? (solution !== undefined ? splitSteps(solution, rule) : undefined);
    if (!steps)
      throw new CliError("--problem needs its solution: --step <text> (repeat) or --solution <text>");
    const item: SolutionInput = { problem: opts.problem as string, steps };
    if (solution !== undefined) item.solution = solution;
    const { createHash } = await import("node:crypto");
    const sha256 = createHash("sha256").update(JSON.stringify(item)).digest("hex");
    return { items: [item], keys: ["#1"], source: "<flags>", sha256 };
  }
  if (step || solution !== undefined) throw new CliError("--step/--solution need --problem");
  return loadSolutionInputs(io, opts.input as string | undefined, rule);
}

export async function runVerify(io: CliIo, opts: Record<string, unknown>): Promise<void> {
  const split = opts.split as SplitRule;
  if (split === "llm" && !opts.splitter)
    throw new CliError("--split llm needs --splitter <engine> (the model that cuts solutions into steps)");
  const settings = verifierSettingsFrom(opts);
  const engine = engineSpecFrom(opts);
  const loop = loopValuesFrom(opts);
  const { items, keys, source, sha256 } = await inputs(io, opts);
  if (items.length === 0) throw new CliError("no solutions to verify: the input was empty");
  const json = Boolean(opts.json);
  // one solution on a terminal: the chain streams as it is written (no bar to mix with it)
  const live = !json && items.length === 1 && Boolean(io.stdout.isTTY);
  const quiet = Boolean(opts.quiet) || live;
  const onEvent = live ? streamToTerminal((t) => io.stdout.write(t), !io.env.NO_COLOR) : undefined;
  let progress: Progress | undefined;
  const failures: ItemFailure[] = [];
  const env = jobEnvironment(io);
  const summary = await verifyJob(
    {
      engine,
      settings,
      items,
      keys,
      input: { source, sha256, split },
      ...loop,
      ...(split === "llm"
        ? {
            splitter: {
              engine: engineSpecFrom({ ...opts, engine: opts.splitter, model: undefined }),
              chatTemplate: (opts.chatTemplate as string) ?? "auto",
            },
          }
        : {}),
    },
    env,
    {
      onStart: (info) => {
        if (!quiet) io.stderr.write(startMessage(info, loop.store !== null));
        progress = new Progress(io, "verify", info.total, { quiet, alreadyDone: info.alreadyDone });
      },
      onProgress: (e) => progress?.tick({ tokens: e.tokens, invalid: e.invalid, failed: e.failed }),
      ...(onEvent ? { onEvent: (_item: unknown, event: VerificationEvent) => onEvent(event) } : {}),
      onSplitFallback: (item, coverage) => {
        if (!quiet)
          io.stderr.write(
            `${safeText(item.input.id ?? item.key)}: the splitter's steps kept ${(100 * coverage).toFixed(0)}% of the text; used the sentence splitter instead\n`,
          );
      },
      onResult: (item, v) => {
        const label = `[${item.index + 1}]${item.input.id === undefined ? "" : ` ${safeText(item.input.id)}`}`;
        progress?.clearLine();
        if (json) {
          const { input: _input, gold: _gold, ...printed } = v;
          writeJsonLine(io, { ...printed, id: item.input.id ?? null });
        } else io.stdout.write(formatVerification(item.input, v, label));
        progress?.redraw();
      },
      onFailure: (item, failure) => {
        failures.push(failure);
        progress?.clearLine();
        reportFailure(io, item.input.id ?? item.key, failure, json);
        progress?.redraw();
      },
    },
  ).finally(() => progress?.stop());
  if (!json) {
    io.stdout.write(
      `${summary.verified} verified, ${summary.scored} scored, ${summary.unscored} unscored, ${summary.invalidChains} invalid chains${summary.invalidChains ? ` (${formatInvalidByCode(summary.invalidByCode)})` : ""}${summary.failed ? `, ${summary.failed} failed (engine errors; ${failureAdvice(failures)})` : ""}\n`,
    );
  }
  endIfInterrupted(io, summary.run, loop.store !== null);
  if (summary.unscored > 0 || summary.failed > 0) throw new CommandExit(1);
}
