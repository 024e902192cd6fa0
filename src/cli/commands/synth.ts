/** `thinkprm synth`, `thinkprm synth stats`, `thinkprm export`. */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../../datasets/jsonl.js";
import { type LabelledPrefix, loadPrefixes } from "../../datasets/prm800k.js";
import { BUILTIN_CHAT_TEMPLATES } from "../../engines/chat-template.js";
import { openTokenCounter, synthJob, synthRecords } from "../../jobs/synth.js";
import { RunStore } from "../../store/run-store.js";
import {
  type KeptChain,
  LLAMA_FACTORY_DATASET_INFO,
  messagesRecord,
  sharegptRecord,
  thinkprmRecord,
  trlRecord,
} from "../../synth/export.js";
import { balanceClasses } from "../../synth/filters.js";
import { formatStatistics, setStatistics } from "../../synth/stats.js";
import { resolveChatTemplate } from "../chat-template-option.js";
import { CliError, type CliIo, CommandExit, resolvePath, writeJsonLine } from "../io.js";
import { endIfInterrupted, failureAdvice, jobEnvironment, reportFailure } from "../job-io.js";
import { Progress } from "../progress.js";
import { engineSpecFrom } from "../settings-options.js";

export interface SynthOptions {
  teacher: string;
  model?: string;
  serverKind?: "vllm" | "sglang" | "llama.cpp" | "ollama" | "openai";
  servedModel?: string;
  source: string;
  perPrefix: number;
  temperature: number;
  until: number;
  filter: "process" | "outcome";
  neutral: "negative" | "positive";
  officialThinkCut?: boolean;
  /** Count padded verdicts (`\boxed{ incorrect }`) as decisions; default: the official exact reading. */
  lenientVerdicts?: boolean;
  tokenizerModel?: string;
  maxLength: number;
  maxTokens: number;
  chatTemplate: string;
  limit?: number;
  seed: number;
  store: string;
  concurrency?: number;
  quiet?: boolean;
  json?: boolean;
}

async function prefixes(io: CliIo, source: string): Promise<{ items: LabelledPrefix[]; sha256: string }> {
  const [kind, ...rest] = source.split(":");
  if (kind !== "prm800k" && kind !== "jsonl")
    throw new CliError(
      `--source: unknown kind "${kind}"; use prm800k:<file> or jsonl:<file of {problem, steps, labels}>`,
    );
  const file = resolvePath(io, rest.join(":"));
  if (!existsSync(file)) throw new CliError(`--source: file not found: ${rest.join(":")}`);
  try {
    const items = await loadPrefixes(`${kind}:${file}`);
    return { items, sha256: createHash("sha256").update(readFileSync(file)).digest("hex") };
  } catch (error) {
    if (error instanceof InputError) throw new CliError(error.message);
    throw error;
  }
}

export async function runSynth(io: CliIo, opts: SynthOptions): Promise<void> {
  const { items: all, sha256 } = await prefixes(io, opts.source);
  const items = opts.limit ? all.slice(0, opts.limit) : all;
  const quiet = opts.quiet ?? false;
  let progress: Progress | undefined;
  const teacherOpts = {
    engine: opts.teacher,
    model: opts.model,
    serverKind: opts.serverKind,
    servedModel: opts.servedModel,
  } as Record<string, unknown>;
  const result = await synthJob(
    {
      store: opts.store,
      teacher: engineSpecFrom(teacherOpts),
      chatTemplate: opts.chatTemplate,
      prefixes: items,
      source: { source: opts.source.split(":")[0], sha256 },
      settings: {
        mode: opts.filter,
        neutral: opts.neutral,
        thinkCut: opts.officialThinkCut ? ("official" as const) : ("after" as const),
        // only when asked: runs made before the option existed keep their configuration (and resume)
        ...(opts.lenientVerdicts ? { lenientVerdicts: true } : {}),
        perPrefix: opts.perPrefix,
        temperature: opts.temperature,
        maxTokens: opts.maxTokens,
        maxLength: opts.maxLength,
        seed: opts.seed,
      },
      until: opts.until,
      ...(opts.tokenizerModel ? { tokenizerModel: opts.tokenizerModel } : {}),
      ...(opts.concurrency === undefined ? {} : { concurrency: opts.concurrency }),
    },
    jobEnvironment(io),
    {
      onStart: (info) => {
        if (!quiet) {
          io.stderr.write(`--max-length counts ${info.tokenCounter}\n`);
          io.stderr.write(
            `${info.resumed ? `resuming run ${info.run.id}: ${info.kept} kept so far` : `run ${info.run.id}`} (${info.total} prefixes)\n`,
          );
        }
        progress = new Progress(io, "synth", info.total, { quiet, alreadyDone: info.run.itemsDone });
      },
      onProgress: (e) => progress?.tick({ tokens: e.tokens, invalid: e.rejected, failed: e.failed }),
      onFailure: (prefix, failure) => {
        progress?.clearLine();
        reportFailure(io, prefix.id, failure, false);
        progress?.redraw();
      },
    },
  ).finally(() => progress?.stop());
  const y = result.yield;
  if (opts.json) {
    writeJsonLine(io, { run: result.run.id, ...y, failed: result.failures.length });
  } else {
    io.stdout.write(
      `run ${result.run.id}: ${y.prefixes} prefixes, ${y.sampled} chains sampled, ${y.kept} kept (yield ${y.sampled ? ((100 * y.kept) / y.sampled).toFixed(1) : "0.0"}%; the paper: about 20%)\n`,
    );
    for (const [reason, n] of Object.entries(y.reasons)) io.stdout.write(`  rejected, ${reason}: ${n}\n`);
    if (result.exhausted)
      io.stdout.write(`the source ran out of prefixes before ${opts.until} chains were kept\n`);
    if (result.failures.length > 0)
      io.stdout.write(
        `${result.failures.length} prefixes failed for engine reasons; ${failureAdvice(result.failures)}\n`,
      );
  }
  endIfInterrupted(io, result.run, true);
  if (result.failures.length > 0) throw new CommandExit(1);
}

/** The kept chains of a synth run (optionally class-balanced). */
function keptChains(
  io: CliIo,
  storePath: string,
  runId: string,
  balance: boolean,
  seed: number,
): KeptChain[] {
  const path = resolvePath(io, storePath);
  if (!existsSync(path)) throw new CliError(`no run store at ${storePath}`);
  const store = new RunStore(path, { readonly: true });
  try {
    const run = store.getRun(runId);
    if (run?.command !== "synth")
      throw new CliError(`no synth run ${runId} in ${storePath}; see thinkprm runs list`);
    const chains: KeptChain[] = [];
    for (const rec of synthRecords(store, run.id)) {
      rec.generations.forEach((g, i) => {
        if (g.kept)
          chains.push({
            id: `${rec.prefix.id}#${i}`,
            problem: rec.prefix.problem,
            steps: rec.prefix.steps,
            labels: g.labelsUntilError,
            isCorrect: g.isCorrect,
            generation: g.cleaned,
          });
      });
    }
    if (!balance) return chains;
    const keep = balanceClasses(
      chains.map((c) => c.isCorrect),
      seed,
    );
    return chains.filter((_, i) => keep.has(i));
  } finally {
    store.close();
  }
}

export async function runSynthStats(
  io: CliIo,
  opts: {
    run: string;
    store: string;
    balance?: boolean;
    seed: number;
    tokenizerModel?: string;
    json?: boolean;
  },
): Promise<void> {
  const chains = keptChains(io, opts.store, opts.run, opts.balance ?? false, opts.seed);
  const counter = await openTokenCounter(opts.tokenizerModel, jobEnvironment(io));
  const stats = setStatistics(chains, counter.count);
  await counter.close();
  if (opts.json) writeJsonLine(io, stats);
  else io.stdout.write(`${formatStatistics(stats, counter.name)}\n`);
}

export async function runExport(
  io: CliIo,
  opts: {
    run: string;
    store: string;
    format: string;
    out: string;
    chatTemplate: string;
    balance?: boolean;
    seed: number;
    json?: boolean;
  },
): Promise<void> {
  const chains = keptChains(io, opts.store, opts.run, opts.balance ?? false, opts.seed);
  if (chains.length === 0) throw new CliError(`run ${opts.run} kept no chains: nothing to export`);
  const template = resolveChatTemplate(io, opts.chatTemplate) ?? BUILTIN_CHAT_TEMPLATES["r1-distill-qwen"];
  const dir = resolvePath(io, opts.out);
  mkdirSync(dir, { recursive: true });
  const formats = opts.format === "all" ? ["thinkprm", "trl", "llama-factory", "openai"] : [opts.format];
  const jsonl = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;
  const written: string[] = [];
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    written.push(name);
  };
  for (const f of formats) {
    if (f === "thinkprm") write("thinkprm.jsonl", jsonl(chains.map((c) => thinkprmRecord(c, template))));
    else if (f === "trl") write("trl.jsonl", jsonl(chains.map((c) => trlRecord(c, template))));
    else if (f === "openai") write("openai.jsonl", jsonl(chains.map(messagesRecord)));
    else if (f === "llama-factory") {
      write("thinkprm_sharegpt.json", JSON.stringify(chains.map(sharegptRecord), null, 1));
      write(
        "dataset_info.json",
        JSON.stringify(LLAMA_FACTORY_DATASET_INFO("thinkprm_sharegpt.json"), null, 2),
      );
    } else throw new CliError(`unknown --format ${f}: thinkprm, trl, llama-factory, openai or all`);
  }
  if (opts.json) writeJsonLine(io, { out: opts.out, examples: chains.length, files: written });
  else io.stdout.write(`exported ${chains.length} examples to ${opts.out}: ${written.join(", ")}\n`);
}
