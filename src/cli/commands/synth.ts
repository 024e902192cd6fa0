/** `thinkprm synth`, `thinkprm synth stats`, `thinkprm export`. */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../../datasets/jsonl.js";
import { type LabelledPrefix, loadPrefixes } from "../../datasets/prm800k.js";
import { CachedEngine } from "../../engines/cached.js";
import { BUILTIN_CHAT_TEMPLATES } from "../../engines/chat-template.js";
import type { Engine } from "../../engines/types.js";
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
import { type PrefixRecord, synthesizePrefix, synthYield } from "../../synth/synthesize.js";
import { resolveChatTemplate } from "../chat-template-option.js";
import { resolveEngine } from "../engine-spec.js";
import { CliError, type CliIo, resolvePath, writeJsonLine } from "../io.js";
import { Progress } from "../progress.js";

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
  quiet?: boolean;
  json?: boolean;
}

interface TokenCounter {
  count: (text: string) => number;
  name: string;
  close: () => Promise<void>;
}

/**
 * Tokens of the target model: `--tokenizer-model` (a GGUF, tokenizer only), else a llama-cpp
 * teacher's own, else an estimate of 3.6 characters per token (said so in the output).
 */
async function openTokenCounter(
  io: CliIo,
  tokenizerModel: string | undefined,
  teacher?: Engine,
): Promise<TokenCounter> {
  // llama-cpp engines can count tokens; other engines cannot
  const own = async (engine: Engine, close: boolean): Promise<TokenCounter | undefined> => {
    const counter = (engine as { tokenCount?: (t: string) => number }).tokenCount;
    if (!counter) return undefined;
    return {
      count: (t) => counter.call(engine, t),
      name: `${engine.modelId} tokenizer`,
      close: async () => (close ? engine.close?.() : undefined),
    };
  };
  if (tokenizerModel) {
    const found = await own(await resolveEngine(io, `llama-cpp:${tokenizerModel}`), true);
    if (found) return found;
  }
  const teachers = teacher ? await own(teacher, false) : undefined;
  return (
    teachers ?? {
      count: (t) => Math.ceil(t.length / 3.6),
      name: "≈ characters / 3.6 (pass --tokenizer-model for exact counts)",
      close: async () => {},
    }
  );
}

async function prefixes(io: CliIo, source: string): Promise<LabelledPrefix[]> {
  const [kind, ...rest] = source.split(":");
  const spec = `${kind}:${resolvePath(io, rest.join(":"))}`;
  if (!existsSync(spec.slice(kind!.length + 1)))
    throw new CliError(`--source: file not found: ${rest.join(":")}`);
  try {
    return await loadPrefixes(spec);
  } catch (error) {
    if (error instanceof InputError) throw new CliError(error.message);
    throw error;
  }
}

export async function runSynth(io: CliIo, opts: SynthOptions): Promise<void> {
  let items = await prefixes(io, opts.source);
  if (opts.limit) items = items.slice(0, opts.limit);
  const store = new RunStore(resolvePath(io, opts.store));
  const teacherEngine = await resolveEngine(io, opts.teacher, {
    model: opts.model,
    serverKind: opts.serverKind,
    servedModel: opts.servedModel,
  });
  const teacher = new CachedEngine(teacherEngine, store);
  const template = resolveChatTemplate(io, opts.chatTemplate);
  const tokens = await openTokenCounter(io, opts.tokenizerModel, teacherEngine);
  if (!opts.quiet) io.stderr.write(`--max-length counts ${tokens.name}\n`);
  const settings = {
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
  };
  // --until and --limit stay out of the configuration: a rerun with a larger target extends the
  // same run (finished or not), so nothing already sampled is sampled again
  const config = { source: opts.source, teacher: opts.teacher, settings };
  const { run, resumed } = store.startRun("synth", config, {
    itemsTotal: items.length,
    reopenFinished: true,
  });
  const records: PrefixRecord[] = [];
  const seen = new Set<string>();
  let kept = 0;
  for (const r of store.results(run.id)) {
    const rec = r.value as PrefixRecord;
    records.push(rec);
    for (const g of rec.generations) {
      if (!g.kept) continue;
      seen.add(g.cleaned);
      kept++;
    }
  }
  if (!opts.quiet)
    io.stderr.write(
      `${resumed ? `resuming run ${run.id}: ${kept} kept so far` : `run ${run.id}`} (${items.length} prefixes)\n`,
    );
  const progress = new Progress(io, "synth", Math.min(items.length, Number.MAX_SAFE_INTEGER), {
    quiet: opts.quiet ?? false,
    alreadyDone: records.length,
  });
  const done = new Set(records.map((r) => r.prefix.id));
  try {
    for (const [k, prefix] of items.entries()) {
      if (kept >= opts.until) break;
      if (done.has(prefix.id)) continue;
      const rec = await synthesizePrefix(prefix, teacher, template, settings, tokens.count, seen);
      const keptHere = rec.generations.filter((g) => g.kept).length;
      kept += keptHere;
      records.push(rec);
      store.recordResult(run.id, prefix.id, k, rec, {
        generatedTokens: rec.generations.reduce((s, g) => s + g.tokens, 0),
        invalid: rec.generations.length - keptHere,
      });
      progress.tick({
        tokens: rec.generations.reduce((s, g) => s + g.tokens, 0),
        invalid: rec.generations.length - keptHere,
      });
    }
  } finally {
    progress.stop();
    await teacher.close();
    await tokens.close();
  }
  const y = synthYield(records);
  store.finishRun(run.id, "done", {
    kept: y.kept,
    sampled: y.sampled,
    yield: y.sampled ? y.kept / y.sampled : 0,
    ...Object.fromEntries(Object.entries(y.reasons).map(([k, v]) => [`rejected: ${k}`, v])),
  });
  store.close();
  if (opts.json) {
    writeJsonLine(io, { run: run.id, ...y });
    return;
  }
  io.stdout.write(
    `run ${run.id}: ${y.prefixes} prefixes, ${y.sampled} chains sampled, ${y.kept} kept (yield ${y.sampled ? ((100 * y.kept) / y.sampled).toFixed(1) : "0.0"}%; the paper: about 20%)\n`,
  );
  for (const [reason, n] of Object.entries(y.reasons)) io.stdout.write(`  rejected, ${reason}: ${n}\n`);
  if (y.kept < opts.until && records.length >= items.length)
    io.stdout.write(`the source ran out of prefixes before ${opts.until} chains were kept\n`);
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
  const store = new RunStore(path);
  try {
    const run = store.getRun(runId);
    if (run?.command !== "synth")
      throw new CliError(`no synth run ${runId} in ${storePath}; see thinkprm runs list`);
    const chains: KeptChain[] = [];
    for (const r of store.results(run.id)) {
      const rec = r.value as PrefixRecord;
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
  const counter = await openTokenCounter(io, opts.tokenizerModel);
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
  io.stdout.write(`exported ${chains.length} examples to ${opts.out}: ${written.join(", ")}\n`);
}
