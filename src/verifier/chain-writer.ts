/**
 * Writing verification chains with an engine: the first round of K chains (one n = K request
 * when the engine can), the later thinking rounds after their trigger phrases, going on past a
 * quoted decision question, and — with runaway detection on — stopping a chain that loops or
 * overthinks the moment it does. Engine failures propagate: a chain the server never wrote is an
 * outage, not a verdict.
 */
import { type QuotedSource, RUNAWAY_DEFAULTS, RunawayWatch, runawayReason } from "../core/runaway.js";
import type { GeneratedToken } from "../core/step-scores.js";
import { DECISION_QUESTION } from "../core/stop-strings.js";
import { addUsage, type TokenUsage } from "../core/types.js";
import { EngineError } from "../engines/errors.js";
import type {
  CompletionChoice,
  CompletionDelta,
  CompletionRequest,
  Engine,
  EngineUsage,
} from "../engines/types.js";
import type { ChainEvents } from "./chain-events.js";
import { THINKING_ROUND_TRIGGERS, type VerifySettings } from "./settings.js";

/** The prompt of one verification, with what the engine and the decision need to know of it. */
export interface PromptContext {
  prompt: string;
  /** The user message's span: engines keep it plain text. */
  plainSpans: readonly (readonly [number, number])[];
  /** The template (not the candidate) left a `<think>` block open. */
  thinking: boolean;
  events: ChainEvents;
  stepCount: number;
  stop: string[];
  /** The candidate's own text, which the chain may quote without counting as runaway. */
  quoted: QuotedSource;
}

/** A generated chain before it is parsed and scored. */
export interface RawChain {
  index: number;
  text: string;
  tokens: GeneratedToken[] | undefined;
  rounds: number;
  finishReason: CompletionChoice["finishReason"] | "error";
  lastStop: string | undefined;
  earlyExit: boolean;
  error?: string;
  /** Why the chain was stopped as runaway (a loop, a step judged again and again, an overlong step). */
  runaway?: string;
  usage: TokenUsage;
  /** Where each round's text ends in `text`, and the tokens each round generated. */
  roundEnds: number[];
  roundTokens: number[];
}

/** Stop strings that end a chain early at its first incorrect verdict. */
export const EARLY_EXIT_STOPS = ["\\boxed{incorrect}", "\\boxed{\\text{incorrect}}"];

/**
 * How often a chain may go on past a decision question it wrote while still thinking, within one
 * round, beyond the questions the candidate itself holds (each of which a faithful verifier may
 * quote): a candidate with many copies of the question cannot outlast the allowance and cut the
 * verification short. The round's token budget bounds the total either way.
 */
const SPARE_QUOTE_CONTINUATIONS = 8;

/** The decision questions inside the user message (the candidate's text), each one quotable. */
function questionsInUserText(ctx: PromptContext): number {
  let n = 0;
  for (const [start, end] of ctx.plainSpans)
    n += ctx.prompt.slice(start, end).split(DECISION_QUESTION).length - 1;
  return n;
}

/**
 * The prompt's plain spans plus the chain written so far, for a request that sends the chain back
 * (a later round, a quote's continuation, the decision). Everything in it is text: what the model
 * generated (a `</think>` or EOS it generated as a token ended the chain and is not in it, so any
 * such string there is the model spelling out, e.g., a candidate's) and the verifier's own plain
 * phrases. Engines that tokenise plain spans never read it as control tokens, even where their
 * record of the chain's own ids is gone (evicted, a cached round, a resumed run).
 */
export function spansWithChain(ctx: PromptContext, chainText: string): PromptContext["plainSpans"] {
  if (chainText === "") return ctx.plainSpans;
  return [...ctx.plainSpans, [ctx.prompt.length, ctx.prompt.length + chainText.length]];
}

export const fromEngineUsage = (u: EngineUsage): TokenUsage => ({
  promptTokens: u.promptTokens,
  generatedTokens: u.generatedTokens,
  reusedPromptTokens: u.reusedPromptTokens,
});

/** One request's outcome for one chain. */
interface Written {
  choice: CompletionChoice;
  usage: TokenUsage;
  runaway?: string;
}

export class ChainWriter {
  constructor(
    private readonly engine: Engine,
    private readonly settings: VerifySettings,
  ) {}

  temperature(): number {
    const s = this.settings;
    return s.temperature ?? (s.k > 1 || s.adaptiveK ? 0.6 : 0);
  }

  /**
   * The seed of sample `offset` (chain i: seed + i). Greedy requests carry none: their answer does
   * not depend on it, and leaving it out keeps them cacheable across runs with other seeds.
   */
  private seedFor(offset: number): { seed?: number } {
    const s = this.settings;
    if (s.seed === undefined || this.temperature() === 0) return {};
    return { seed: s.seed + offset };
  }

  private base(ctx: PromptContext, signal: AbortSignal | undefined): CompletionRequest {
    const s = this.settings;
    const topLogprobs = s.stepScores ? Math.min(20, this.engine.capabilities.topLogprobs) : 0;
    return {
      prompt: ctx.prompt,
      stop: ctx.stop,
      maxTokens: s.maxTokens,
      temperature: this.temperature(),
      plainSpans: ctx.plainSpans,
      ...(s.topP === undefined ? {} : { topP: s.topP }),
      ...(topLogprobs > 0 ? { topLogprobs } : {}),
      ...(signal ? { signal } : {}),
    };
  }

  /**
   * Chains `from`, `from + 1`, … `from + count − 1`, each with all its rounds. One n = count request
   * when the engine serves n and runaway detection is off (a runaway chain must be stopped on its
   * own); otherwise one request per chain.
   */
  async write(ctx: PromptContext, from: number, count: number, signal?: AbortSignal): Promise<RawChain[]> {
    const base = this.base(ctx, signal);
    const firsts: Written[] = [];
    if (count > 1 && this.engine.capabilities.parallelSamples && this.settings.runaway === "off") {
      const res = await this.engine.complete({
        ...base,
        n: count,
        ...this.seedFor(from),
        ...(ctx.events.active
          ? { onDelta: (d: CompletionDelta) => ctx.events.text(from + d.index, d.text) }
          : {}),
      });
      // the shared prompt is billed to the first chain, generation to each chain
      for (const [i, choice] of res.choices.entries()) {
        firsts.push({
          choice,
          usage: {
            promptTokens: i === 0 ? res.usage.promptTokens : 0,
            reusedPromptTokens: i === 0 ? res.usage.reusedPromptTokens : 0,
            generatedTokens: choice.generatedTokens,
          },
        });
      }
    } else {
      for (let i = 0; i < count; i++)
        firsts.push(await this.one(ctx, { ...base, ...this.seedFor(from + i) }, from + i));
    }
    const chains: RawChain[] = [];
    for (const [i, first] of firsts.entries()) chains.push(await this.rounds(from + i, ctx, base, first));
    return chains;
  }

  /**
   * One sample for one chain, its text streamed as the chain's events and, with runaway detection
   * on, watched: a chain that runs away is stopped there (its text so far kept, counted invalid).
   * Engines that do not stream are checked on the finished text.
   */
  private async one(ctx: PromptContext, request: CompletionRequest, chain: number): Promise<Written> {
    const watching = this.settings.runaway === "on";
    if (!watching) {
      const res = await this.engine.complete({
        ...request,
        n: 1,
        ...(ctx.events.active ? { onDelta: (d: CompletionDelta) => ctx.events.text(chain, d.text) } : {}),
      });
      return { choice: res.choices[0]!, usage: fromEngineUsage(res.usage) };
    }
    const watch = new RunawayWatch(ctx.stepCount, RUNAWAY_DEFAULTS, ctx.quoted);
    const controller = new AbortController();
    const outer = request.signal;
    const follow = () => controller.abort(outer?.reason);
    outer?.addEventListener("abort", follow, { once: true });
    let text = "";
    let pieces = 0;
    let verdict: string | undefined;
    try {
      const res = await this.engine.complete({
        ...request,
        n: 1,
        signal: controller.signal,
        onDelta: (d) => {
          if (verdict) return;
          ctx.events.text(chain, d.text);
          text += d.text;
          pieces++;
          const v = watch.push(d.text);
          if (v) {
            verdict = v.message;
            controller.abort(new Error(`runaway chain: ${v.message}`));
          }
        },
      });
      const choice = res.choices[0]!;
      // an engine that does not stream is judged on what it wrote
      const late =
        verdict ?? runawayReason(choice.text, ctx.stepCount, RUNAWAY_DEFAULTS, ctx.quoted)?.message;
      return { choice, usage: fromEngineUsage(res.usage), ...(late ? { runaway: late } : {}) };
    } catch (error) {
      if (!verdict || outer?.aborted) throw error;
      // stopped by us: the text so far is the chain. Its cost is what the engine says the stopped
      // request had taken (an HTTP stream: the server's own counts, or the tokens received); an
      // engine that cannot say is counted a token per delta, its prompt unknown
      const spent: EngineUsage = (EngineError.isInstance(error) ? error.partialUsage : undefined) ?? {
        promptTokens: 0,
        reusedPromptTokens: 0,
        generatedTokens: pieces,
      };
      return {
        choice: { text, finishReason: "length", generatedTokens: spent.generatedTokens },
        usage: fromEngineUsage(spent),
        runaway: verdict,
      };
    } finally {
      outer?.removeEventListener("abort", follow);
    }
  }

  /** Rounds 2..R: the trigger phrase is appended right after the previous round's text. */
  private async rounds(
    index: number,
    ctx: PromptContext,
    base: CompletionRequest,
    first: Written,
  ): Promise<RawChain> {
    const chain: RawChain = {
      index,
      text: "",
      tokens: [],
      rounds: 0,
      finishReason: first.choice.finishReason,
      lastStop: undefined,
      earlyExit: false,
      usage: first.usage,
      roundEnds: [],
      roundTokens: [],
    };
    const take = (w: Written) => {
      const choice = w.choice;
      chain.rounds++;
      chain.text += choice.text;
      chain.finishReason = choice.finishReason;
      chain.lastStop = choice.stopSequence;
      if (w.runaway) chain.runaway = w.runaway;
      if (chain.tokens && choice.tokens) chain.tokens.push(...choice.tokens);
      else chain.tokens = undefined;
      if (choice.stopSequence && EARLY_EXIT_STOPS.includes(choice.stopSequence)) {
        // the verdict is part of the chain; only the rest is skipped
        chain.text += choice.stopSequence;
        ctx.events.text(index, choice.stopSequence);
        chain.tokens?.push({ text: choice.stopSequence, logprob: 0 });
        chain.earlyExit = true;
      }
      chain.roundEnds.push(chain.text.length);
      chain.roundTokens.push(choice.generatedTokens);
    };
    /** More of the current round (after a quoted question). */
    const extend = (w: Written) => {
      chain.rounds--;
      const before = chain.roundTokens.pop()!;
      chain.roundEnds.pop();
      take(w);
      chain.roundTokens[chain.roundTokens.length - 1]! += before;
    };
    const next = async (extra: Partial<CompletionRequest>) => {
      const prompt = ctx.prompt + chain.text;
      const w = await this.one(
        ctx,
        { ...base, prompt, plainSpans: spansWithChain(ctx, chain.text), ...extra },
        index,
      );
      chain.usage = addUsage(chain.usage, w.usage);
      return w;
    };
    /**
     * A stop at "Is the solution correct?" while the template's `<think>` is still open is the
     * chain quoting the question (a candidate step that contains it, restated) — the trained
     * decision comes only after `</think>`, itself a stop. In paper mode the chain goes on past the
     * quote, within the round's budget, so a quote cannot cut the verification short and hide a
     * later wrong step; the July client's behaviour (`--decision sglang`) stops there.
     */
    const continueQuotes = async (r: number) => {
      const allowance = SPARE_QUOTE_CONTINUATIONS + questionsInUserText(ctx);
      for (let q = 0; q < allowance; q++) {
        if (
          chain.runaway ||
          chain.lastStop !== DECISION_QUESTION ||
          !ctx.thinking ||
          this.settings.decisionMode !== "paper"
        )
          return;
        const left = this.settings.maxTokens - chain.roundTokens.at(-1)!;
        if (left <= 0) return;
        chain.text += DECISION_QUESTION;
        ctx.events.text(index, DECISION_QUESTION);
        chain.tokens?.push({ text: DECISION_QUESTION, logprob: 0 });
        extend(await next({ maxTokens: left, ...this.seedFor(index + 1000 * r + 100 * (q + 1)) }));
      }
    };
    take(first);
    await continueQuotes(0);
    const s = this.settings;
    for (
      let r = 1;
      r < s.rounds && !chain.earlyExit && !chain.runaway && chain.finishReason !== "length";
      r++
    ) {
      const trigger = THINKING_ROUND_TRIGGERS[r - 1]!;
      chain.text += trigger;
      ctx.events.round(index, r + 1);
      ctx.events.text(index, trigger);
      chain.tokens?.push({ text: trigger, logprob: 0 });
      take(await next(this.seedFor(index + 1000 * r)));
      await continueQuotes(r);
    }
    return chain;
  }
}
