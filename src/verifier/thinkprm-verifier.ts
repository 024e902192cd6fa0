/**
 * ThinkPRM verification of one solution with any engine (thinkprm-spec.md §2–3):
 * K parallel chains × R sequential rounds, optional early exit, and the decision read as a
 * continuation of each chain. Invalid chains are explicit outcomes, never scores.
 */
import { DECISION_SPECS, decisionScore } from "../core/decision-score.js";
import type { GeneratedToken } from "../core/step-scores.js";
import { DECISION_QUESTION, verifierStopStrings } from "../core/stop-strings.js";
import { addUsage, emptyUsage, type SolutionInput, type TokenUsage } from "../core/types.js";
import type { ChatTemplate } from "../engines/chat-template.js";
import { EngineCapabilityError, EngineError } from "../engines/errors.js";
import type { CompletionChoice, CompletionDelta, Engine, EngineUsage } from "../engines/types.js";
import { summariseChains } from "./aggregate.js";
import { ChainEvents } from "./chain-events.js";
import { evaluateChain } from "./chain-outcome.js";
import { guardInput } from "./input-guard.js";
import { buildPromptParts, type PromptParts, thinkingIsOpen } from "./prompt.js";
import {
  THINKING_ROUND_TRIGGERS,
  type VerifySettings,
  type VerifySettingsInput,
  verifySettingsSchema,
} from "./settings.js";
import type { ChainOutcome, Verification, VerificationEvent, Verifier } from "./types.js";

/** The prompt of one verification, with what the engine and the decision need to know of it. */
interface PromptContext {
  prompt: string;
  /** The user message's span: engines keep it plain text. */
  plainSpans: readonly (readonly [number, number])[];
  /** The template (not the candidate) left a `<think>` block open. */
  thinking: boolean;
  events: ChainEvents;
}

/** The engine's text deltas as the verification's token events (chain `chain`, or the sample's index for n = K). */
function deltas(ctx: PromptContext, chain?: number): { onDelta?: (d: CompletionDelta) => void } {
  if (!ctx.events.active) return {};
  return { onDelta: (d) => ctx.events.text(chain ?? d.index, d.text) };
}

/** How often a chain may go on past a quoted decision question within one round. */
const MAX_QUOTE_CONTINUATIONS = 8;

/** Stop strings that end a chain early at its first incorrect verdict. */
export const EARLY_EXIT_STOPS = ["\\boxed{incorrect}", "\\boxed{\\text{incorrect}}"];

export interface ThinkPrmVerifierOptions extends VerifySettingsInput {
  engine: Engine;
  /** The model's chat template; `null` sends the bare user message. */
  chatTemplate: ChatTemplate | null;
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
  usage: TokenUsage;
  /** Where each round's text ends in `text`, and the tokens each round generated. */
  roundEnds: number[];
  roundTokens: number[];
}

const fromEngineUsage = (u: EngineUsage): TokenUsage => ({
  promptTokens: u.promptTokens,
  generatedTokens: u.generatedTokens,
  reusedPromptTokens: u.reusedPromptTokens,
});

export class ThinkPrmVerifier implements Verifier {
  readonly name = "thinkprm";
  readonly engine: Engine;
  readonly chatTemplate: ChatTemplate | null;
  readonly settings: VerifySettings;

  constructor(options: ThinkPrmVerifierOptions) {
    const { engine, chatTemplate, ...settings } = options;
    this.engine = engine;
    this.chatTemplate = chatTemplate;
    this.settings = verifySettingsSchema.parse(settings);
    this.checkCapabilities();
  }

  /** Fails fast, with the fix, when the engine cannot do what the settings ask. */
  private checkCapabilities(): void {
    const caps = this.engine.capabilities;
    if (this.settings.scoreWith === "probabilities" && !caps.candidateLogprobs) {
      throw new EngineCapabilityError(
        "candidateLogprobs",
        `the ${this.engine.provider} engine (${this.engine.modelId}) returns no token probabilities, so P(Yes) cannot be read; use a server that returns logprobs, or score by vote (--score vote) if a 0/1 vote share is acceptable`,
      );
    }
    if (this.settings.earlyExit && !caps.reportsStopSequence) {
      throw new EngineCapabilityError(
        "reportsStopSequence",
        `early exit needs an engine that reports which stop string matched; the ${this.engine.provider} engine does not. Run without --early-exit`,
      );
    }
  }

  /** The raw prompt for a solution. */
  prompt(input: SolutionInput): string {
    return this.promptParts(input).text;
  }

  /** The raw prompt with the span of its user message (the candidate's text lies there). */
  promptParts(input: SolutionInput): PromptParts {
    return buildPromptParts(input, {
      template: "thinkprm",
      chatTemplate: this.chatTemplate,
      layout: this.settings.layout,
      letsVerifySuffix: this.settings.letsVerifySuffix,
      ...(this.settings.instruction === undefined ? {} : { instruction: this.settings.instruction }),
    });
  }

  /**
   * Verifies one solution. Candidate text never becomes control tokens: the engine reads the user
   * message as plain text, or — for engines that cannot promise it — special-token strings are
   * refused or escaped (`specialTokens`). Engine failures propagate (a verification the engine
   * could not finish has no score).
   */
  async verify(
    input: SolutionInput,
    signal?: AbortSignal,
    onEvent?: (event: VerificationEvent) => void,
  ): Promise<Verification> {
    const s = this.settings;
    const parts = this.promptParts(guardInput(input, this.engine, s.specialTokens));
    const ctx: PromptContext = {
      prompt: parts.text,
      plainSpans: [parts.user],
      // only the template's text after the message says whether thinking is open
      thinking: thinkingIsOpen(parts.text, parts.user[1]),
      events: new ChainEvents(onEvent, Math.max(1, input.steps.length)),
    };
    const stop = verifierStopStrings(parts.text, {
      ...(this.engine.eosToken ? { eosToken: this.engine.eosToken } : {}),
      prefixMode: s.prefixMode ?? s.layout === "numbered",
      stepMax: s.stepMax,
    });
    if (s.earlyExit) stop.push(...EARLY_EXIT_STOPS);
    const raws = await this.generateChains(ctx, stop, signal);
    const stepCount = Math.max(1, input.steps.length);
    const chains: ChainOutcome[] = [];
    for (const raw of raws) {
      const decision = await this.decide(ctx, raw, signal);
      const outcome = evaluateChain(raw, decision, stepCount, s);
      chains.push(outcome);
      ctx.events.event({ type: "decision", chain: raw.index, score: outcome.score, valid: outcome.valid });
    }
    const verification = summariseChains(input.id, parts.text, stepCount, chains);
    ctx.events.event({ type: "done", verification });
    return verification;
  }

  private sampling(ctx: PromptContext, signal: AbortSignal | undefined) {
    const s = this.settings;
    const temperature = this.temperature();
    const topLogprobs = s.stepScores ? Math.min(20, this.engine.capabilities.topLogprobs) : 0;
    return {
      maxTokens: s.maxTokens,
      temperature,
      plainSpans: ctx.plainSpans,
      ...(s.topP === undefined ? {} : { topP: s.topP }),
      ...(topLogprobs > 0 ? { topLogprobs } : {}),
      ...(signal ? { signal } : {}),
    };
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

  private temperature(): number {
    return this.settings.temperature ?? (this.settings.k > 1 ? 0.6 : 0);
  }

  /** K first rounds (one request with n = K when the engine can), then each chain's later rounds. */
  private async generateChains(
    ctx: PromptContext,
    stop: string[],
    signal?: AbortSignal,
  ): Promise<RawChain[]> {
    const s = this.settings;
    const base = { prompt: ctx.prompt, stop, ...this.sampling(ctx, signal) };
    const firsts: { choice: CompletionChoice; usage: TokenUsage }[] = [];
    // engine failures propagate: a chain the server never wrote is an outage, not a verdict, and
    // the run loop keeps the item apart (failed, retried on resume) instead of scoring it
    if (s.k > 1 && this.engine.capabilities.parallelSamples) {
      const res = await this.engine.complete({ ...base, n: s.k, ...this.seedFor(0), ...deltas(ctx) });
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
      for (let i = 0; i < s.k; i++) {
        const res = await this.engine.complete({ ...base, n: 1, ...this.seedFor(i), ...deltas(ctx, i) });
        firsts.push({ choice: res.choices[0]!, usage: fromEngineUsage(res.usage) });
      }
    }
    const chains: RawChain[] = [];
    for (const [index, first] of firsts.entries())
      chains.push(await this.continueRounds(index, ctx, base, first.choice, first.usage));
    return chains;
  }

  /** Rounds 2..R: the trigger phrase is appended right after the previous round's text. */
  private async continueRounds(
    index: number,
    ctx: PromptContext,
    base: Parameters<Engine["complete"]>[0],
    first: CompletionChoice,
    firstUsage: TokenUsage,
  ): Promise<RawChain> {
    const chain: RawChain = {
      index,
      text: "",
      tokens: [],
      rounds: 0,
      finishReason: first.finishReason,
      lastStop: undefined,
      earlyExit: false,
      usage: firstUsage,
      roundEnds: [],
      roundTokens: [],
    };
    const take = (choice: CompletionChoice) => {
      chain.rounds++;
      chain.text += choice.text;
      chain.finishReason = choice.finishReason;
      chain.lastStop = choice.stopSequence;
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
    /**
     * A stop at "Is the solution correct?" while the template's `<think>` is still open is the
     * chain quoting the question (a candidate step that contains it, restated) — the trained
     * decision comes only after `</think>`, itself a stop. In paper mode the chain goes on past the
     * quote, within the round's budget, so a quote cannot cut the verification short and hide a
     * later wrong step; the July client's behaviour (`--decision sglang`) stops there.
     */
    const continueQuotes = async (r: number) => {
      for (let q = 0; q < MAX_QUOTE_CONTINUATIONS; q++) {
        if (chain.lastStop !== DECISION_QUESTION || !ctx.thinking || this.settings.decisionMode !== "paper")
          return;
        const left = this.settings.maxTokens - chain.roundTokens.at(-1)!;
        if (left <= 0) return;
        chain.text += DECISION_QUESTION;
        ctx.events.text(index, DECISION_QUESTION);
        chain.tokens?.push({ text: DECISION_QUESTION, logprob: 0 });
        const res = await this.engine.complete({
          ...base,
          prompt: ctx.prompt + chain.text,
          n: 1,
          maxTokens: left,
          ...deltas(ctx, index),
          ...this.seedFor(index + 1000 * r + 100 * (q + 1)),
        });
        chain.usage = addUsage(chain.usage, fromEngineUsage(res.usage));
        extend(res.choices[0]!);
      }
    };
    /** More of the current round (after a quoted question). */
    const extend = (choice: CompletionChoice) => {
      chain.rounds--;
      const before = chain.roundTokens.pop()!;
      chain.roundEnds.pop();
      take(choice);
      chain.roundTokens[chain.roundTokens.length - 1]! += before;
    };
    take(first);
    await continueQuotes(0);
    const s = this.settings;
    for (let r = 1; r < s.rounds && !chain.earlyExit && chain.finishReason !== "length"; r++) {
      const trigger = THINKING_ROUND_TRIGGERS[r - 1]!;
      chain.text += trigger;
      ctx.events.round(index, r + 1);
      ctx.events.text(index, trigger);
      chain.tokens?.push({ text: trigger, logprob: 0 });
      const res = await this.engine.complete({
        ...base,
        prompt: ctx.prompt + chain.text,
        n: 1,
        ...this.seedFor(index + 1000 * r),
        ...deltas(ctx, index),
      });
      chain.usage = addUsage(chain.usage, fromEngineUsage(res.usage));
      take(res.choices[0]!);
      await continueQuotes(r);
    }
    return chain;
  }

  /**
   * The decision, as a continuation of the chain. In `paper` mode, when the prompt opened a
   * `<think>` block and the chain did not itself stop at the decision question, `</think>` is put
   * back on its own line first, so the model sees the exact trained shape
   * `…\boxed{…}\n</think>\nIs the solution correct?`. The July client (`sglang` mode) appends the
   * question without `</think>` (thinkprm-spec.md §8.2 item 4); that mode keeps its behaviour.
   */
  private async decide(ctx: PromptContext, raw: RawChain, signal?: AbortSignal): Promise<Decision> {
    if (raw.finishReason === "length" && this.settings.onTruncated === "invalid") {
      return { kind: "skipped", usage: emptyUsage() };
    }
    const spec = DECISION_SPECS[this.settings.decisionMode];
    const closeThink =
      this.settings.decisionMode === "paper" && ctx.thinking && raw.lastStop !== DECISION_QUESTION;
    const closing = closeThink ? `${raw.text.endsWith("\n") ? "" : "\n"}</think>` : "";
    const decisionPrompt = ctx.prompt + raw.text + closing + spec.predecision;
    if (this.settings.scoreWith === "vote") {
      const res = await this.engine.complete({
        prompt: decisionPrompt,
        maxTokens: 3,
        temperature: 0,
        plainSpans: ctx.plainSpans,
        ...(signal ? { signal } : {}),
      });
      const word = res.choices[0]?.text.trim().toLowerCase() ?? "";
      const vote = word.startsWith("yes") ? 1 : word.startsWith("no") ? 0 : null;
      return { kind: "vote", vote, usage: fromEngineUsage(res.usage) };
    }
    const res = await this.engine.nextTokenProbabilities(decisionPrompt, [spec.yes, spec.no], {
      plainSpans: ctx.plainSpans,
      ...(signal ? { signal } : {}),
    });
    const [yes, no] = res.candidates;
    const usage = fromEngineUsage(res.usage);
    if (!yes || !no)
      throw new EngineError(`the ${this.engine.provider} engine returned no probabilities for Yes/No`, {
        isRetryable: true,
        code: "malformed_response",
      });
    const lp = { yes: yes.logprob, no: no.logprob };
    if (lp.yes === null && lp.no === null)
      return { kind: "absent", logprobs: { yes: null, no: null }, usage };
    const score = decisionScore(
      { logprob: lp.yes ?? Number.NEGATIVE_INFINITY, tokens: yes.tokens },
      { logprob: lp.no ?? Number.NEGATIVE_INFINITY, tokens: no.tokens },
      this.settings.decisionMode,
      this.settings.decisionTemperature,
    );
    return { kind: "probabilities", logprobs: lp, score, usage };
  }
}

/** How the decision of one chain came out. */
export type Decision =
  | {
      kind: "probabilities";
      logprobs: { yes: number | null; no: number | null };
      score: number;
      usage: TokenUsage;
    }
  | { kind: "absent"; logprobs: { yes: null; no: null }; usage: TokenUsage }
  | { kind: "vote"; vote: 0 | 1 | null; usage: TokenUsage }
  | { kind: "error"; message: string; usage: TokenUsage }
  | { kind: "skipped"; usage: TokenUsage };

/** Shorthand: verify one solution with a fresh ThinkPRM verifier. */
export function verify(input: SolutionInput, options: ThinkPrmVerifierOptions): Promise<Verification> {
  return new ThinkPrmVerifier(options).verify(input);
}
