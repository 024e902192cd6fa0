/**
 * The embedded engine: llama.cpp in-process through node-llama-cpp (pinned 3.21.1), on CPU.
 *
 * - Threads are always explicit (default min(2, cores)): the library's default of 4 threads on 2
 *   cores makes generation about 100× slower.
 * - No repeat penalty, no injected system prompt: the prompt is the raw text `core/` built, special
 *   tokens parsed.
 * - KV caches are reused: each call runs on the context sequence that shares the longest prefix
 *   with its prompt (the generation prompt, and the chain generated there) and keeps that prefix, so
 *   the decision evaluates only `</think>\nIs the solution correct?`, and best-of-N candidates reuse
 *   the shared instruction and problem.
 * - `n` samples: with several sequences, the prompt is evaluated once, copied into the others, and
 *   the samples decode together, one batch per step (`batch.ts`); each sample's chain stays in its
 *   sequence for the decision that continues it. With one sequence they run one after another.
 * - Calls are serialised (one KV cache).
 */
import { randomInt } from "node:crypto";
import { availableParallelism } from "node:os";
import { basename } from "node:path";
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import type { ChatTemplate } from "../chat-template.js";
import { EngineError } from "../errors.js";
import { fileDigest } from "../file-digest.js";
import type {
  CompletionChoice,
  CompletionRequest,
  CompletionResult,
  EngineCapabilities,
  EngineV1,
  ProbabilitiesOptions,
  ProbabilitiesResult,
} from "../types.js";
import { DispatchGate, defaultSequences, LockstepBarrier, rankSequences, SequenceCopier } from "./batch.js";
import { generateSample, type SampleContext } from "./generate.js";
import { addedTokenTexts, type GgufHeader, templateFromGgufHeader, validateGguf } from "./gguf-reader.js";
import { loadNodeLlamaCpp, loadWaitForLockRelease } from "./load.js";
import { PromptTokenizer } from "./prompt-tokens.js";

export interface LlamaCppEngineOptions {
  modelPath: string;
  /** CPU threads; default min(2, available cores). Tests use 1. */
  threads?: number;
  /** Context window in tokens (prompt + generation); default min(model's training context, 16384). */
  contextSize?: number;
  /** Decision probabilities: `ratio` (default; exact P(a)/(P(a)+P(b)) via equal bias + top-2) or `absolute` (full softmax). */
  decisionProbabilities?: "ratio" | "absolute";
  /** How many top alternatives `topLogprobs` may return; 0 disables. Default 20. */
  maxTopLogprobs?: number;
  /**
   * Context sequences (each holds up to `contextSize` tokens; the KV cache grows with them). With
   * more than one, the `n` samples of a request evaluate the prompt once and decode together, up to
   * this many at a time, and each keeps its chain cached for the decision; 1 draws samples one
   * after another. Default 4, or 2 or 1 where 4 would need more than 2 GiB over one sequence (a
   * large model at a long context; `defaultSequences`).
   */
  sequences?: number;
  /**
   * Where the model file's digest is remembered (by path + size + mtime) so it is computed once;
   * the digest is the engine's cache identity. Default: not remembered (computed at each start).
   */
  digestMemoDir?: string;
}

/** Serialises async work on the one sequence. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export class LlamaCppEngine implements EngineV1 {
  readonly specificationVersion = "v1" as const;
  readonly provider = "llama-cpp";
  readonly modelId: string;
  readonly identity: string;
  readonly capabilities: EngineCapabilities;
  readonly eosToken?: string;
  readonly chatTemplate?: ChatTemplate;
  readonly threads: number;
  /** The texts of the vocabulary's control and user-defined tokens (what plain text must never match). */
  private readonly addedTokens: string[];
  private readonly mutex = new Mutex();
  private readonly copier = new SequenceCopier();
  /** When each sequence was last chosen (ties in shared prefix go to the least recently used). */
  private readonly lastUsed = new Map<LlamaContextSequence, number>();
  private uses = 0;
  private readonly sampleContext: SampleContext;
  /** Prompts as token ids: candidate text as plain text, known prefixes kept (prompt-tokens.ts). */
  private readonly prompts: PromptTokenizer;

  private constructor(
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly sequences: LlamaContextSequence[],
    private readonly options: LlamaCppEngineOptions,
    threads: number,
    digest: string,
    header: GgufHeader,
    /** Holds a batch until every lane decoding in lockstep has queued (batch.ts). */
    private readonly gate: DispatchGate,
  ) {
    this.modelId = options.modelPath;
    this.identity = `gguf-sha256:${digest}`;
    this.threads = threads;
    const eos = model.tokens.eos;
    if (eos !== null) this.eosToken = model.detokenize([eos], true);
    this.addedTokens = addedTokenTexts(header);
    this.prompts = new PromptTokenizer(model, this.addedTokens);
    const template = templateFromGgufHeader(header, basename(options.modelPath));
    if (template) this.chatTemplate = template;
    this.capabilities = {
      candidateLogprobs: true,
      topLogprobs: options.maxTopLogprobs ?? 20,
      promptLogprobs: false,
      prefixCaching: true,
      parallelSamples: true,
      reportsStopSequence: true,
      seed: true,
      maxContext: context.contextSize,
      // one KV cache, calls serialised: more items in flight only queue
      concurrency: 1,
      plainSpans: true,
      streaming: true,
    };
    this.sampleContext = {
      model,
      contextSize: context.contextSize,
      maxTopLogprobs: this.capabilities.topLogprobs,
      addedTokens: new Set(this.addedTokens),
    };
  }

  /** Validates the file, loads the model and makes a context. Throws `EngineError` with the fix on failure. */
  static async create(options: LlamaCppEngineOptions): Promise<LlamaCppEngine> {
    const header = validateGguf(options.modelPath); // a malformed file must not reach llama.cpp: some abort the process
    const threads = options.threads ?? Math.min(2, availableParallelism());
    const digest = fileDigest(options.modelPath, options.digestMemoDir);
    const { getLlama, LlamaLogLevel } = await loadNodeLlamaCpp();
    let llama: Llama;
    try {
      llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    } catch (error) {
      throw new EngineError(
        `the llama.cpp binary for this platform could not be loaded (${(error as Error).message}); reinstall with npm ci, which installs node-llama-cpp's prebuilt CPU binary`,
        { cause: error },
      );
    }
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: options.modelPath });
    } catch (error) {
      throw new EngineError(`llama.cpp could not load ${options.modelPath}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const contextSize = options.contextSize ?? Math.min(model.trainContextSize || 4096, 16384);
    const count = Math.max(
      1,
      options.sequences ??
        (await defaultSequences(
          async (sequences) =>
            (
              await model.fileInsights.estimateContextResourceRequirementsV2({
                contextSize,
                sequences,
                modelGpuLayers: 0,
              })
            ).cpuRam,
        )),
    );
    const waitForLockRelease = await loadWaitForLockRelease();
    const gate = new DispatchGate(
      () => {
        // node-llama-cpp 3.21.1's own record of the sequences with a queued decode (pinned version)
        const ids = (context as unknown as { _queuedDecodeSequenceIds?: Set<number> })
          ._queuedDecodeSequenceIds;
        return ids?.size;
      },
      // its batches are dispatched under this lock (LlamaContext.dispatchPendingBatch)
      () => waitForLockRelease([context, "context"]),
    );
    const context = await model.createContext({
      contextSize,
      threads,
      sequences: count,
      batching: { dispatchSchedule: gate.schedule },
    });
    const sequences = Array.from({ length: count }, () => context.getSequence());
    return new LlamaCppEngine(model, context, sequences, options, threads, digest, header, gate);
  }

  /**
   * Token ids of a text with this model's tokenizer: special tokens parsed, except inside
   * `plainSpans` (character ranges read as plain text).
   */
  tokenize(text: string, plainSpans?: readonly (readonly [number, number])[]): number[] {
    return this.prompts.tokenize(text, plainSpans);
  }

  /** The text of token ids, special tokens written out. */
  detokenize(ids: readonly number[]): string {
    return this.model.detokenize(ids as Token[], true);
  }

  /** Whether a token id is a special (control) token of this model. */
  isSpecialToken(id: number): boolean {
    return this.model.isSpecialToken(id as Token);
  }

  /** Tokens of a text with this model's tokenizer (e.g. for length filters). */
  tokenCount(text: string): number {
    return this.prompts.tokenize(text).length;
  }

  /** Context sequences: how many samples of one request decode together. */
  get sequenceCount(): number {
    return this.sequences.length;
  }

  /** Forgets every cached prefix (for measuring the cost without reuse). */
  async resetCache(): Promise<void> {
    for (const seq of this.sequences) await seq.clearHistory();
    this.prompts.reset();
  }

  /**
   * Aligns a sequence with `tokens`, keeping the shared prefix, and returns the tokens still to be
   * evaluated (at least one, since generation and probabilities come from the last one) and how many
   * were reused.
   */
  private async align(
    seq: LlamaContextSequence,
    tokens: Token[],
  ): Promise<{ rest: Token[]; reused: number }> {
    let { firstDifferentIndex: same } = seq.compareContextTokens(tokens);
    if (same >= tokens.length) same = tokens.length - 1;
    if (same < seq.nextTokenIndex) {
      await seq.eraseContextTokenRanges([{ start: same, end: seq.nextTokenIndex }]);
    }
    return { rest: tokens.slice(same), reused: same };
  }

  /** The `count` sequences to run `tokens` on, best first (longest shared prefix, then least recently used). */
  private choose(tokens: Token[], count: number): LlamaContextSequence[] {
    const chosen = rankSequences(this.sequences, tokens, this.lastUsed)
      .slice(0, count)
      .map((r) => r.seq);
    for (const seq of chosen) this.lastUsed.set(seq, this.uses++);
    return chosen;
  }

  /**
   * Readies `count` sequences to sample from `tokens`: one evaluates the prompt (all but its last
   * token, what it does not already hold); the others get that state copied unless they hold it
   * already. Each lane then evaluates only the last prompt token, in the first batched step.
   */
  private async prepareLanes(tokens: Token[], count: number) {
    const [source, ...others] = this.choose(tokens, count);
    const { rest, reused } = await this.align(source!, tokens);
    if (count === 1) return [{ seq: source!, input: rest, evaluated: rest.length, reused }];
    if (rest.length > 1) await source!.evaluateWithoutGeneratingNewTokens(rest.slice(0, -1));
    const shared = tokens.length - 1;
    const lanes = [{ seq: source!, input: rest.slice(-1), evaluated: rest.length, reused }];
    const stale = others.filter((seq) => seq.compareContextTokens(tokens).firstDifferentIndex < shared);
    await this.copier.copy(source!, stale);
    for (const seq of others) {
      const { rest: last } = await this.align(seq, tokens); // drops what follows the shared prompt
      lanes.push({ seq, input: last, evaluated: last.length, reused: tokens.length - last.length });
    }
    return lanes;
  }

  complete(request: CompletionRequest): Promise<CompletionResult> {
    return this.mutex.run(async () => {
      const tokens = this.prompts.tokenize(request.prompt, request.plainSpans);
      if (tokens.length === 0) throw new EngineError("the prompt is empty");
      if (tokens.length >= this.context.contextSize) {
        throw new EngineError(
          `the prompt has ${tokens.length} tokens but the context holds ${this.context.contextSize}; raise the context size`,
        );
      }
      const n = request.n ?? 1;
      const results: { choice: CompletionChoice; evaluated: number; reused: number }[] = new Array(n);
      // rounds of up to one sample per sequence, decoding together; one sequence: one at a time
      const width = Math.min(n, this.sequences.length);
      for (let first = 0; first < n; first += width) {
        if (request.signal?.aborted)
          throw new EngineError("request aborted", { code: "aborted", cause: request.signal.reason });
        const lanes = await this.prepareLanes(tokens, Math.min(width, n - first));
        const barrier = lanes.length > 1 ? new LockstepBarrier(lanes.length, this.gate.idle) : undefined;
        this.gate.barrier = barrier;
        const settled = await Promise.allSettled(
          lanes.map(async (lane, j) => {
            const i = first + j;
            try {
              // no seed: a fresh one per sample (node-llama-cpp's own default is the clock's second,
              // which repeats the same chain for samples drawn within one second)
              const seed = request.seed === undefined ? randomInt(2 ** 31) : request.seed + i;
              const { choice, prefix } = await generateSample(this.sampleContext, {
                seq: lane.seq,
                input: lane.input,
                promptLength: tokens.length,
                request,
                seed,
                index: i,
                barrier,
              });
              results[i] = { choice, evaluated: lane.evaluated, reused: lane.reused };
              this.prompts.remember(
                request.prompt + prefix.text,
                [...tokens, ...(prefix.ids as Token[])],
                request.prompt.length,
                request.plainSpans,
              );
            } finally {
              barrier?.leave();
            }
          }),
        );
        this.gate.barrier = undefined;
        // every lane has stopped before the engine takes the next call
        const failed = settled.find((s) => s.status === "rejected");
        if (failed) throw failed.reason;
      }
      const choices = results.map((r) => r.choice);
      return {
        choices,
        usage: {
          // prompt tokens each sample evaluated itself; reused ones came from a cache or a copy
          promptTokens: results.reduce((sum, r) => sum + r.evaluated, 0),
          reusedPromptTokens: results.reduce((sum, r) => sum + r.reused, 0),
          generatedTokens: choices.reduce((sum, c) => sum + c.generatedTokens, 0),
        },
      };
    });
  }

  nextTokenProbabilities(
    prompt: string,
    candidates: readonly string[],
    options: ProbabilitiesOptions = {},
  ): Promise<ProbabilitiesResult> {
    return this.mutex.run(async () => {
      if (options.signal?.aborted)
        throw new EngineError("request aborted", { code: "aborted", cause: options.signal.reason });
      const tokens = this.prompts.tokenize(prompt, options.plainSpans);
      const ids = candidates.map((c) => this.model.tokenize(c, false));
      const single = ids.every((t) => t.length === 1) && new Set(ids.map((t) => t[0])).size === ids.length;
      const [seq] = this.choose(tokens, 1) as [LlamaContextSequence];
      const { rest, reused } = await this.align(seq, tokens);
      const usage = { promptTokens: rest.length, reusedPromptTokens: reused, generatedTokens: 0 };
      if (single && this.options.decisionProbabilities !== "absolute") {
        // equal bias on every candidate + top-k = their count: the sampler renormalises over exactly
        // these tokens, so each probability is P(c) / Σ P(candidates) — exact, and no full-vocab sort
        const { TokenBias } = await loadNodeLlamaCpp();
        const bias = new TokenBias(this.model.tokenizer);
        for (const [t] of ids) bias.set(t!, { logit: 100 });
        const out = await seq.controlledEvaluate([
          ...rest.slice(0, -1),
          [
            rest.at(-1)!,
            {
              generateNext: {
                probabilities: true,
                options: { temperature: 1, topK: ids.length, topP: 1, minP: 0, tokenBias: bias },
              },
            },
          ],
        ]);
        const probs = out.at(-1)?.next.probabilities;
        return {
          candidates: candidates.map((text, i) => {
            const p = probs?.get(ids[i]![0]!);
            return { text, logprob: p === undefined || p === 0 ? null : Math.log(p), tokens: 1 };
          }),
          usage,
        };
      }
      // absolute: the full distribution at each candidate token's position
      const results = [];
      for (const [i, text] of candidates.entries()) {
        const cand = ids[i]!;
        const { rest: r } = i === 0 ? { rest } : await this.align(seq, tokens);
        const input = [...r, ...cand.slice(0, -1)];
        const marks = new Set(Array.from({ length: cand.length }, (_, k) => input.length - cand.length + k));
        const out = await seq.controlledEvaluate(
          input.map((t, k) => (marks.has(k) ? [t, { generateNext: { probabilities: true } }] : t)),
        );
        let logprob: number | null = 0;
        cand.forEach((t, k) => {
          const p = out[input.length - cand.length + k]?.next.probabilities?.get(t);
          logprob = logprob === null || p === undefined || p === 0 ? null : logprob + Math.log(p);
        });
        results.push({ text, logprob, tokens: cand.length });
      }
      return { candidates: results, usage };
    });
  }

  async close(): Promise<void> {
    this.copier.dispose();
    await this.context.dispose();
    await this.model.dispose();
  }
}
