import { splitSteps } from "../../core/step-split.js";
import type { SolutionInput } from "../../core/types.js";
import { CachedEngine } from "../../engines/cached.js";
import { RunStore } from "../../store/run-store.js";
import { llmSplitSteps } from "../../verifier/llm-splitter.js";
import { ThinkPrmVerifier } from "../../verifier/thinkprm-verifier.js";
import type { Verification } from "../../verifier/types.js";
import { resolveChatTemplate } from "../chat-template-option.js";
import { resolveEngine } from "../engine-spec.js";
import { formatVerification } from "../format.js";
import { CliError, type CliIo, CommandExit, loadSolutionInputs, resolvePath, writeJsonLine } from "../io.js";
import { Progress } from "../progress.js";
import { parseShard, type Shard } from "../shard.js";

export interface VerifyCommandOptions {
  engine: string;
  model: string;
  modelType: "f32" | "f16" | "q8_0";
  input?: string;
  problem?: string;
  step?: string[];
  solution?: string;
  k: number;
  rounds: number;
  earlyExit?: boolean;
  maxTokens: number;
  temperature?: number;
  seed?: number;
  layout: "numbered" | "plain";
  chatTemplate: string;
  decision: "paper" | "sglang";
  score: "probabilities" | "vote";
  stepMax: "numeric" | "lexicographic";
  onTruncated: "invalid" | "force-decision";
  threads?: number;
  contextSize?: number;
  serverKind: "vllm" | "sglang" | "llama.cpp" | "ollama" | "openai";
  servedModel?: string;
  store: string | false;
  resume?: string;
  shard?: string;
  split: "auto" | "step-headers" | "blank-lines" | "sentences" | "llm";
  splitter?: string;
  quiet?: boolean;
  json?: boolean;
}

async function inputs(
  io: CliIo,
  opts: VerifyCommandOptions,
): Promise<{ items: SolutionInput[]; source: string; sha256: string }> {
  const rule = opts.split === "llm" ? "auto" : opts.split;
  if (opts.problem !== undefined) {
    if (opts.input !== undefined) throw new CliError("give either --input or --problem, not both");
    if (opts.step && opts.solution !== undefined)
      throw new CliError("give the solution as --step … or as --solution, not both");
    const steps = opts.step ?? (opts.solution !== undefined ? splitSteps(opts.solution, rule) : undefined);
    if (!steps)
      throw new CliError("--problem needs its solution: --step <text> (repeat) or --solution <text>");
    const item: SolutionInput = { problem: opts.problem, steps };
    if (opts.solution !== undefined) item.solution = opts.solution;
    return { items: [item], source: "<flags>", sha256: "" };
  }
  if (opts.step || opts.solution !== undefined) throw new CliError("--step/--solution need --problem");
  return loadSolutionInputs(io, opts.input, rule);
}

/** Re-cuts solutions given as one text with a language model (falling back when it rewrites them). */
async function splitWithModel(io: CliIo, opts: VerifyCommandOptions, items: SolutionInput[]): Promise<void> {
  const engine = await resolveEngine(io, opts.splitter!, { model: opts.model });
  const chatTemplate = resolveChatTemplate(io, opts.chatTemplate);
  try {
    for (const item of items) {
      if (item.solution === undefined) continue;
      const r = await llmSplitSteps(item.solution, { engine, chatTemplate });
      item.steps = r.steps;
      if (r.method === "fallback" && !opts.quiet) {
        io.stderr.write(
          `${item.id ?? "a solution"}: the splitter's steps kept ${(100 * r.coverage).toFixed(0)}% of the text; used the sentence splitter instead\n`,
        );
      }
    }
  } finally {
    await engine.close?.();
  }
}

/** A result's key within its run: the record's id, or its position in the input. */
const itemKey = (input: SolutionInput, index: number) => input.id ?? `#${index + 1}`;

/**
 * Verifies each solution. Results go to the run store as they are produced (with the engine-call
 * cache), so an interrupted run resumes where it stopped: automatically for the same configuration
 * and input, or with `--resume <run>`. Exit code 1 when any verification had no valid chain.
 */
export async function runVerify(io: CliIo, opts: VerifyCommandOptions): Promise<void> {
  const shard: Shard | undefined = opts.shard === undefined ? undefined : parseShard(opts.shard);
  if (opts.split === "llm" && !opts.splitter)
    throw new CliError("--split llm needs --splitter <engine> (the model that cuts solutions into steps)");
  const { items, source, sha256 } = await inputs(io, opts);
  if (opts.split === "llm") await splitWithModel(io, opts, items);
  if (items.length === 0) throw new CliError("no solutions to verify: the input was empty");
  const inner = await resolveEngine(io, opts.engine, {
    model: opts.model,
    modelType: opts.modelType,
    serverKind: opts.serverKind,
    ...(opts.servedModel ? { servedModel: opts.servedModel } : {}),
    ...(opts.threads === undefined ? {} : { threads: opts.threads }),
    ...(opts.contextSize === undefined ? {} : { contextSize: opts.contextSize }),
  });
  const store = new RunStore(opts.store === false ? ":memory:" : resolvePath(io, opts.store));
  const engine = new CachedEngine(inner, store);
  let verifier: ThinkPrmVerifier;
  try {
    verifier = new ThinkPrmVerifier({
      engine,
      chatTemplate: resolveChatTemplate(io, opts.chatTemplate),
      k: opts.k,
      rounds: opts.rounds,
      earlyExit: opts.earlyExit ?? false,
      maxTokens: opts.maxTokens,
      layout: opts.layout,
      decisionMode: opts.decision,
      scoreWith: opts.score,
      stepMax: opts.stepMax,
      onTruncated: opts.onTruncated,
      ...(opts.temperature === undefined ? {} : { temperature: opts.temperature }),
      ...(opts.seed === undefined ? {} : { seed: opts.seed }),
    });
  } catch (error) {
    store.close();
    await inner.close?.();
    throw new CliError((error as Error).message);
  }
  const mine = items
    .map((item, index) => ({ item, index }))
    .filter(({ index }) => !shard || index % shard.count === shard.index);
  const config = {
    engine: opts.engine,
    model: opts.engine.startsWith("llama-cpp") ? opts.model : undefined,
    modelId: inner.modelId,
    chatTemplate: opts.chatTemplate,
    settings: verifier.settings,
    input: { source, sha256, items: items.length, split: opts.split, splitter: opts.splitter },
    shard: shard ? `${shard.index}/${shard.count}` : undefined,
  };
  let started: ReturnType<RunStore["startRun"]>;
  try {
    started = store.startRun("verify", config, {
      ...(opts.resume ? { resume: opts.resume } : {}),
      itemsTotal: mine.length,
    });
  } catch (error) {
    store.close();
    await inner.close?.();
    throw new CliError((error as Error).message);
  }
  const { run, resumed } = started;
  const done = store.doneKeys(run.id);
  if (!opts.quiet && opts.store !== false) {
    io.stderr.write(
      resumed
        ? `resuming run ${run.id}: ${done.size} of ${mine.length} already verified (${store.path})\n`
        : `run ${run.id} (${store.path})\n`,
    );
  }
  const progress = new Progress(io, "verify", mine.length, {
    quiet: opts.quiet ?? false,
    alreadyDone: done.size,
  });
  const summary = { verified: 0, scored: 0, unscored: 0, invalidChains: 0, scoreSum: 0 };
  try {
    for (const { item, index } of mine) {
      const key = itemKey(item, index);
      let v = store.storedResult(run.id, key) as Verification | undefined;
      if (!v) {
        const t0 = Date.now();
        // the verifier never sees the gold labels; they are stored beside the result for reports
        const { gold, ...unlabelled } = item;
        v = await verifier.verify(unlabelled);
        const stored = {
          ...v,
          input: { problem: item.problem, steps: item.steps },
          ...(gold ? { gold } : {}),
        };
        store.recordResult(run.id, key, index, stored, {
          promptTokens: v.usage.promptTokens,
          generatedTokens: v.usage.generatedTokens,
          reusedTokens: v.usage.reusedPromptTokens,
          invalid: v.invalidChains,
          elapsedMs: Date.now() - t0,
        });
        progress.tick({ tokens: v.usage.generatedTokens, invalid: v.invalidChains });
      }
      summary.verified++;
      if (v.score === null) summary.unscored++;
      else {
        summary.scored++;
        summary.scoreSum += v.score;
      }
      summary.invalidChains += v.invalidChains;
      if (opts.json) {
        const { input: _input, ...printed } = v as Verification & { input?: unknown };
        writeJsonLine(io, { ...printed, id: item.id ?? null });
      } else
        io.stdout.write(
          formatVerification(item, v, `[${index + 1}]${item.id === undefined ? "" : ` ${item.id}`}`),
        );
    }
    progress.stop();
    store.finishRun(run.id, "done", {
      verified: summary.verified,
      scored: summary.scored,
      unscored: summary.unscored,
      invalidChains: summary.invalidChains,
      meanScore: summary.scored > 0 ? summary.scoreSum / summary.scored : null,
      cacheHits: engine.hits,
    });
  } catch (error) {
    progress.stop();
    store.finishRun(run.id, "failed");
    throw error;
  } finally {
    store.close();
    await engine.close();
  }
  if (!opts.json) {
    io.stdout.write(
      `${summary.verified} verified, ${summary.scored} scored, ${summary.unscored} unscored, ${summary.invalidChains} invalid chains\n`,
    );
  }
  if (summary.unscored > 0) throw new CommandExit(1);
}
