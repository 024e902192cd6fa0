/**
 * One sample on one context sequence of the embedded engine: evaluate the rest of the prompt, then
 * draw tokens until EOS, a stop string, maxTokens or the context end — streaming deltas, and
 * reading the distribution at verdict positions (or at every token) when logprobs are asked for.
 *
 * Every decode request first waits at the round's `LockstepBarrier` (when samples decode
 * together), so all samples' tokens of one step form one batch.
 */
import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { DeltaEmitter } from "../delta-stream.js";
import { EngineError } from "../errors.js";
import type { CompletionChoice, CompletionRequest } from "../types.js";
import type { LockstepBarrier } from "./batch.js";
import { findStop, splitStops, TextPieces } from "./text-pieces.js";

const BOXED_OPEN = /\\boxed\s*\{\s*(?:\\(?:text|textbf|mathrm)\s*\{\s*)?$/;

export interface SampleJob {
  seq: LlamaContextSequence;
  /** Prompt tokens still to evaluate on `seq` (at least the last one: generation starts from it). */
  input: Token[];
  promptLength: number;
  request: CompletionRequest;
  seed: number | undefined;
  /** The sample's index in the request (its deltas carry it). */
  index: number;
  barrier?: LockstepBarrier | undefined;
}

export interface SampleContext {
  model: LlamaModel;
  contextSize: number;
  maxTopLogprobs: number;
  /** Texts of the vocabulary's added tokens (control and user-defined: `</think>`, EOS, `<|im_end|>`). */
  addedTokens: ReadonlySet<string>;
}

export async function generateSample(ctx: SampleContext, job: SampleJob) {
  const { model } = ctx;
  const { seq, request, seed, barrier } = job;
  const temperature = request.temperature ?? 0;
  /**
   * The sampler settings for a sampler created after `step` tokens. node-llama-cpp makes a new
   * sampler for every `controlledEvaluate` and every `evaluate` loop, seeded afresh: with one seed
   * for all, each verdict (and every token of the slow path, and the text after each verdict) would
   * be drawn with the same random numbers again. Step 0 keeps the seed itself.
   */
  const sampling = (step: number) => ({
    temperature,
    topK: 0,
    topP: request.topP ?? 1,
    minP: 0,
    ...(seed === undefined ? {} : { seed: stepSeed(seed, step) }),
  });
  // only added tokens (`</think>`, EOS) stop as tokens: an ordinary one ("\n\n") is also written
  // merged into others (".\n\n", ":\n\n"), so it must match the text
  const { tokenStops, textStops: stops } = splitStops(request.stop ?? [], (stop) =>
    ctx.addedTokens.has(stop) ? singleToken(model, stop) : null,
  );
  const longestStop = stops.reduce((m, s) => Math.max(m, s.length), 0);
  const topK = Math.min(request.topLogprobs ?? 0, ctx.maxTopLogprobs);
  const text = new TextPieces((t) => model.detokenize(t as Token[], false));
  const contextLeft = ctx.contextSize - job.promptLength;
  let generated = 0;
  let finishReason: CompletionChoice["finishReason"] = "eos";
  let stopSequence: string | undefined;
  let next: Token[] = job.input;
  let probeToken: Token | undefined;
  const deltas = new DeltaEmitter(job.index, stops, request.onDelta);

  const accept = (token: Token, logprob: number, top?: { text: string; logprob: number }[]): boolean => {
    generated++;
    const tokenStop = tokenStops.get(token);
    if (tokenStop !== undefined) {
      finishReason = "stop";
      stopSequence = tokenStop;
      return false;
    }
    const before = text.text.length;
    text.push(token, logprob, top);
    const hit = findStop(text.text, stops, before - longestStop + 1);
    if (hit) {
      text.truncate(hit.at);
      finishReason = "stop";
      stopSequence = hit.stop;
      return false;
    }
    if (generated >= request.maxTokens || generated >= contextLeft - 1) {
      finishReason = "length";
      return false;
    }
    deltas.update(text.text);
    return true;
  };

  const topOf = (probs: Map<Token, number> | undefined) => {
    const top: { text: string; logprob: number }[] = [];
    if (probs) {
      for (const [t, p] of probs) {
        if (top.length >= topK) break;
        top.push({ text: model.detokenize([t], false), logprob: Math.log(p) });
      }
    }
    return top;
  };

  if (request.logprobsEveryToken && topK > 0) {
    // slow path, one token at a time, each with the distribution it was drawn from
    let input = next;
    for (;;) {
      if (request.signal?.aborted) break;
      await barrier?.arrive(job.index);
      const out = await seq.controlledEvaluate([
        ...input.slice(0, -1),
        [input.at(-1)!, { generateNext: { token: true, probabilities: true, options: sampling(generated) } }],
      ]);
      const r = out.at(-1)?.next;
      const t = r?.token;
      if (t === undefined || t === null) break;
      if (model.isEogToken(t)) {
        // the end of sequence was drawn: keep its position's distribution, as servers report it
        text.pushEnd(Math.log(r?.probabilities?.get(t) ?? 1), topOf(r?.probabilities));
        break;
      }
      if (!accept(t, Math.log(r?.probabilities?.get(t) ?? 1), topOf(r?.probabilities))) break;
      input = [t];
    }
  } else {
    generation: for (;;) {
      // fast path: the sequence's own generator; it stops by itself at an end-of-generation token
      await barrier?.arrive(job.index);
      const loop = seq.evaluate(next, sampling(generated)); // no repeat penalty: evaluate applies none unless asked
      probeToken = undefined;
      for await (const token of loop) {
        if (request.signal?.aborted) break generation;
        if (!accept(token, 0)) break generation;
        if (topK > 0 && BOXED_OPEN.test(text.textWithPending)) {
          // the next token is a verdict: step out before it is sampled, to read its distribution
          probeToken = token;
          break;
        }
        await barrier?.arrive(job.index); // the loop's next step decodes `token`
      }
      if (probeToken === undefined) break; // EOS
      // `probeToken` was sampled but not evaluated yet: evaluate it and draw the verdict with its distribution
      await barrier?.arrive(job.index);
      const [out] = await seq.controlledEvaluate([
        [probeToken, { generateNext: { token: true, probabilities: true, options: sampling(generated) } }],
      ]);
      const chosen = out?.next.token;
      if (chosen === undefined || chosen === null || model.isEogToken(chosen)) break;
      const probs = out?.next.probabilities;
      if (!accept(chosen, Math.log(probs?.get(chosen) ?? 1), topOf(probs))) break;
      next = [chosen];
    }
  }
  text.finish();
  // a cancelled generation is no sample: its partial text must not pass for a finished chain
  if (request.signal?.aborted)
    throw new EngineError("request aborted", { code: "aborted", cause: request.signal.reason });
  deltas.finish(text.text);
  const choice: CompletionChoice = { text: text.text, finishReason, generatedTokens: generated };
  if (stopSequence !== undefined) choice.stopSequence = stopSequence;
  if (topK > 0) choice.tokens = text.pieces;
  return { choice, prefix: text.tokenisedPrefix() };
}

/** A 31-bit seed for the sampler made after `step` tokens of a sample seeded `seed` (step 0: `seed`). */
export function stepSeed(seed: number, step: number): number {
  if (step === 0) return seed;
  let h = (seed ^ Math.imul(step, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0; // murmur3's finaliser: nearby steps, unrelated seeds
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 1;
}

const singleTokens = new WeakMap<LlamaModel, Map<string, Token | null>>();

/** The model's one token whose text is `text` exactly (added tokens parsed), else null. */
export function singleToken(model: LlamaModel, text: string): Token | null {
  let known = singleTokens.get(model);
  if (!known) {
    known = new Map();
    singleTokens.set(model, known);
  }
  if (!known.has(text)) {
    const ids = model.tokenize(text, true);
    known.set(text, ids.length === 1 && model.detokenize(ids, true) === text ? ids[0]! : null);
  }
  return known.get(text)!;
}
